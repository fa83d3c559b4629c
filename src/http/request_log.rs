//! The request line the access log writes, with credentials taken out of the
//! query string. A client that puts `?access_token=<jwt>` or
//! `?client_secret=...` in a URL is refused, but the log line is written
//! either way, and logs travel further than the service (aggregators,
//! support tickets).
//!
//! A parameter's value is replaced by `[redacted]` when its name (decoded, in
//! any case) contains `token`, `secret`, `password`, `passwd`, `key`,
//! `assertion`, `signature`, `credential` or `authorization`, or is `code` or
//! `sig`; and a parameter that looks like a JWT (`eyJ...` with two dots), in
//! its name or its value, is replaced whole. Everything else (filters,
//! cursors) is logged as sent, so the log still says what was asked.

use std::borrow::Cow;

use actix_web::dev::ServiceRequest;

const SECRET_NAME_PARTS: [&str; 9] = [
    "token",
    "secret",
    "password",
    "passwd",
    "key",
    "assertion",
    "signature",
    "credential",
    "authorization",
];
const SECRET_NAMES: [&str; 2] = ["code", "sig"];
const REDACTED: &str = "[redacted]";

/// `GET /v1/partnerships?limit=2 HTTP/1.1`, as actix's `%r` but redacted.
pub fn request_line(req: &ServiceRequest) -> String {
    format_request_line(
        req.method().as_str(),
        req.path(),
        req.query_string(),
        req.version(),
    )
}

pub fn format_request_line(
    method: &str,
    path: &str,
    query: &str,
    version: actix_web::http::Version,
) -> String {
    if query.is_empty() {
        format!("{method} {path} {version:?}")
    } else {
        format!("{method} {path}?{} {version:?}", redact_query(query))
    }
}

/// The query string with secrets replaced (see the module's documentation).
pub fn redact_query(query: &str) -> Cow<'_, str> {
    let mut changed = false;
    // `;` separates too: some parsers split on it, and a value must not hide
    // behind it. Each part keeps its separator.
    let parts: Vec<Cow<'_, str>> = query
        .split_inclusive(['&', ';'])
        .map(|part| {
            let (body, separator) = match part.char_indices().last() {
                Some((at, '&' | ';')) => part.split_at(at),
                _ => (part, ""),
            };
            match redact_parameter(body) {
                Some(redacted) => {
                    changed = true;
                    Cow::Owned(format!("{redacted}{separator}"))
                }
                None => Cow::Borrowed(part),
            }
        })
        .collect();
    if changed {
        Cow::Owned(parts.concat())
    } else {
        Cow::Borrowed(query)
    }
}

/// The parameter as logged, when it differs from what was sent.
fn redact_parameter(part: &str) -> Option<String> {
    let (raw_name, raw_value) = part.split_once('=').unwrap_or((part, ""));
    let (name, value) = decoded(part);
    if looks_like_jwt(&name) || looks_like_jwt(&value) {
        Some(REDACTED.to_owned())
    } else if is_secret_name(&name) && !raw_value.is_empty() {
        Some(format!("{raw_name}={REDACTED}"))
    } else {
        None
    }
}

/// The parameter's name and value as the service reads them (`%5F`, `+`).
fn decoded(part: &str) -> (String, String) {
    serde_urlencoded::from_str::<Vec<(String, String)>>(part)
        .ok()
        .and_then(|pairs| pairs.into_iter().next())
        .unwrap_or_else(|| {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            (name.to_owned(), value.to_owned())
        })
}

fn is_secret_name(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    SECRET_NAMES.contains(&name.as_str()) || SECRET_NAME_PARTS.iter().any(|p| name.contains(p))
}

/// Whether `text` holds a JWT anywhere (`Bearer eyJ...`, `1;t=eyJ...`): a
/// run starting `eyJ` (base64url of `{"`) with two dots after it.
fn looks_like_jwt(text: &str) -> bool {
    text.match_indices("eyJ")
        .any(|(at, _)| text[at..].matches('.').count() >= 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::Version;

    const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";

    #[test]
    fn credentials_never_reach_the_line() {
        let line = format_request_line(
            "GET",
            "/v1/partnerships",
            &format!("access_token={JWT}&limit=2"),
            Version::HTTP_11,
        );
        assert_eq!(line, "GET /v1/partnerships?[redacted]&limit=2 HTTP/1.1");
        let line = format_request_line(
            "POST",
            "/v1/oauth/token",
            "grant_type=client_credentials&client_id=0196&client_secret=s3cr3t-value",
            Version::HTTP_11,
        );
        assert_eq!(
            line,
            "POST /v1/oauth/token?grant_type=client_credentials&client_id=0196&client_secret=[redacted] HTTP/1.1"
        );
    }

    #[test]
    fn encoded_and_disguised_names_are_caught() {
        for query in [
            "access%5Ftoken=abc",
            "Client_Secret=abc",
            "CLIENT%5fSECRET=abc",
            "api+key=abc",
            "password=abc",
            "code=abc",
        ] {
            let redacted = redact_query(query);
            assert!(redacted.ends_with("=[redacted]"), "{query} -> {redacted}");
            assert!(!redacted.contains("abc"), "{query} -> {redacted}");
        }
        // A JWT, under any name or none, anywhere in a value, behind a `;`.
        for query in [
            JWT.to_owned(),
            format!("q={JWT}"),
            format!("x={JWT}&y=1"),
            format!("auth=Bearer%20{JWT}"),
            format!("x=1;access_token={JWT}"),
        ] {
            assert!(!redact_query(&query).contains("eyJ"), "{query}");
        }
    }

    #[test]
    fn ordinary_queries_are_logged_as_sent() {
        for query in [
            "status=open&owner=PG&overdue=true",
            "limit=2&cursor=MDE5NmEzYzQtZDM2Yy03",
            "from=2019-12-01T00%3A00%3A00Z",
            "broken=%ZZ&&=",
        ] {
            assert!(matches!(redact_query(query), Cow::Borrowed(_)), "{query}");
        }
        assert_eq!(
            format_request_line("GET", "/healthz", "", Version::HTTP_11),
            "GET /healthz HTTP/1.1"
        );
    }
}
