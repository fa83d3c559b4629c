//! Nothing a client sends is silently ignored: a query parameter that the
//! matched operation of the published document does not declare is refused
//! with 400, each one named in `errors`. One check for the whole service,
//! driven by the document itself, so what an operation accepts is exactly
//! what it documents; handlers that take several query extractors at once (a
//! filter and a page) need no code of their own.
//!
//! Requests the document does not describe pass untouched: `/openapi.json`,
//! `/docs/*`, `/metrics`, unknown routes (404) and other methods (405, CORS
//! preflights). The token endpoint refuses query parameters itself, in the
//! shape of its own errors (RFC 6749 §5.2).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web;
use serde_json::Value;

use crate::error::{ApiError, FieldError};

/// The operation that answers its own query-string errors (see the module).
pub const TOKEN_PATH: &str = "/v1/oauth/token";

/// What refusing a parameter says, in `errors[].message` and the document.
pub const UNKNOWN: &str = "this operation takes no such query parameter";

/// Whether the middleware checks this operation of the document (and so the
/// document lists its 400 for an unknown parameter).
pub fn checked(path: &str) -> bool {
    path != TOKEN_PATH
}

#[derive(Clone)]
enum Segment {
    Literal(String),
    Parameter,
}

struct Operation {
    method: Method,
    segments: Vec<Segment>,
    literals: usize,
    query: Vec<String>,
}

/// Every checked operation of the document with the query parameters it
/// declares; built once, at start-up.
pub struct Operations(Vec<Operation>);

impl Operations {
    pub fn from_document(doc: &Value) -> Self {
        let mut operations = Vec::new();
        let paths = doc["paths"].as_object().into_iter().flatten();
        for (path, item) in paths.filter(|(path, _)| checked(path)) {
            let segments: Vec<Segment> = path
                .split('/')
                .map(|s| match s.starts_with('{') && s.ends_with('}') {
                    true => Segment::Parameter,
                    false => Segment::Literal(s.to_owned()),
                })
                .collect();
            let literals = segments
                .iter()
                .filter(|s| matches!(s, Segment::Literal(_)))
                .count();
            for (method, op) in item.as_object().into_iter().flatten() {
                let Ok(method) = Method::from_bytes(method.to_ascii_uppercase().as_bytes()) else {
                    continue;
                };
                let declared = [&item["parameters"], &op["parameters"]];
                let query = declared
                    .into_iter()
                    .filter_map(Value::as_array)
                    .flatten()
                    .filter(|p| p["in"] == "query")
                    .filter_map(|p| p["name"].as_str().map(str::to_owned))
                    .collect();
                operations.push(Operation {
                    method,
                    segments: segments.clone(),
                    literals,
                    query,
                });
            }
        }
        // The most literal template first: `/x/record` before `/x/{id}`.
        operations.sort_by_key(|op| std::cmp::Reverse(op.literals));
        Operations(operations)
    }

    /// The query parameters of the operation answering `method` on `path`,
    /// or `None` when the document has no such operation. Segments are
    /// compared percent-decoded, as the router matches them, so
    /// `/submission%73` is `/submissions` here too.
    pub fn declared(&self, method: &Method, path: &str) -> Option<&[String]> {
        let parts: Vec<String> = path.split('/').map(percent_decoded).collect();
        self.0
            .iter()
            .filter(|op| op.method == method && op.segments.len() == parts.len())
            .find(|op| {
                op.segments.iter().zip(&parts).all(|(s, p)| match s {
                    Segment::Literal(l) => l == p,
                    Segment::Parameter => !p.is_empty(),
                })
            })
            .map(|op| op.query.as_slice())
    }
}

/// A path segment with its `%XX` escapes decoded (invalid ones kept as sent).
pub(crate) fn percent_decoded(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied(),
            bytes.get(i + 2).copied(),
        ) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, ..) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The longest name an answer repeats; longer ones are cut short.
const MAX_NAME: usize = 64;

/// The parameters of `query` not in `declared`, each named once, in the
/// order sent.
pub fn unknown(query: &str, declared: &[String]) -> Result<Vec<String>, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|_| ApiError::bad_request("the query string is not form-encoded"))?;
    let mut out: Vec<String> = Vec::new();
    for (name, _) in pairs {
        // Named back, not echoed whole: a name can be anything.
        let name = match name.char_indices().nth(MAX_NAME) {
            Some((end, _)) => format!("{}…", &name[..end]),
            None => name,
        };
        if !declared.contains(&name) && !out.contains(&name) {
            out.push(name);
        }
    }
    Ok(out)
}

/// The refusal naming each unknown parameter.
pub fn refusal(names: Vec<String>) -> ApiError {
    ApiError::Query(
        names
            .into_iter()
            .map(|name| FieldError::new(name, UNKNOWN))
            .collect(),
    )
}

/// Refuses, before anything else runs, a request to a documented operation
/// that carries a query parameter the operation does not declare.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if !req.query_string().is_empty() {
        let declared = req
            .app_data::<web::Data<Operations>>()
            .and_then(|ops| ops.declared(req.method(), req.path()));
        if let Some(declared) = declared {
            let refused = match unknown(req.query_string(), declared) {
                Ok(names) if names.is_empty() => None,
                Ok(names) => Some(refusal(names)),
                Err(e) => Some(e),
            };
            if let Some(e) = refused {
                return Ok(req.error_response(e).map_into_boxed_body());
            }
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn operations() -> Operations {
        Operations::from_document(&json!({ "paths": {
            "/v1/meetings/{id}/items": {
                "get": { "parameters": [
                    { "name": "id", "in": "path" },
                    { "name": "limit", "in": "query" },
                    { "name": "cursor", "in": "query" }
                ] },
                "post": { "parameters": [{ "name": "Idempotency-Key", "in": "header" }] }
            },
            "/v1/meetings/{id}/record": { "put": {} },
            "/v1/meetings/record/{id}": { "get": { "parameters": [{ "name": "a", "in": "query" }] } },
            "/v1/meetings/{id}/{x}": { "get": {} },
            "/v1/oauth/token": { "post": {} }
        }}))
    }

    #[test]
    fn the_matched_operation_declares_the_parameters() {
        let ops = operations();
        let get = |path| ops.declared(&Method::GET, path).map(<[String]>::to_vec);
        assert_eq!(
            get("/v1/meetings/abc/items"),
            Some(vec!["limit".into(), "cursor".into()])
        );
        assert_eq!(get("/v1/meetings/abc/other"), Some(vec![]));
        assert_eq!(get("/v1/meetings/record/1"), Some(vec!["a".into()]));
        // Matched as the router matches: percent-decoded.
        assert_eq!(
            get("/v1/meetings/abc/item%73"),
            Some(vec!["limit".into(), "cursor".into()])
        );
        assert_eq!(get("/v1/%6Deetings/record/1"), Some(vec!["a".into()]));
        assert_eq!(get("/v1/meetings//items"), None);
        assert_eq!(get("/v1/meetings/abc/items/"), None);
        assert_eq!(get("/docs/index.html"), None);
        let post = ops.declared(&Method::POST, "/v1/meetings/abc/items");
        assert_eq!(post.map(<[String]>::len), Some(0), "headers are not query");
        assert!(ops
            .declared(&Method::OPTIONS, "/v1/meetings/abc/items")
            .is_none());
        assert!(ops.declared(&Method::POST, TOKEN_PATH).is_none());
    }

    #[test]
    fn unknown_names_each_once_in_order() {
        let declared = vec!["limit".to_owned(), "cursor".to_owned()];
        let names = unknown("b=1&limit=2&a=3&b=4&dry%5Frun=true", &declared).unwrap();
        assert_eq!(names, ["b", "a", "dry_run"]);
        assert!(unknown("limit=1&cursor=x", &declared).unwrap().is_empty());
        assert_eq!(unknown("&&flag", &declared).unwrap(), ["flag"]);
        let long = "x".repeat(100);
        assert_eq!(
            unknown(&long, &declared).unwrap(),
            [format!("{}…", &long[..64])]
        );
    }
}
