//! `Idempotency-Key` on POST: a retry with the same key and body replays the
//! first answer byte for byte; the same key with another body is 422; a retry
//! while the first is still running is 409. Keys are scoped to the caller and
//! kept 24 hours. Written once, as middleware, for every POST route.

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use chrono::Duration;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::auth::authenticate;
use crate::db::schema::idempotency_keys as keys;
use crate::db::{self, DbConnection, UtcTime};
use crate::error::ApiError;
use crate::http::json::read_body;
use crate::state::AppState;

pub const HEADER: &str = "idempotency-key";
/// How long a key is remembered.
pub const RETENTION_HOURS: i64 = 24;
/// A key whose first request never finished (the instance died) is released after this.
pub const ABANDONED_AFTER_SECONDS: i64 = 300;
/// Response headers kept and replayed with the body.
const REPLAYED_HEADERS: [HeaderName; 3] = [header::CONTENT_TYPE, header::ETAG, header::LOCATION];

/// What the key store says about a request.
#[derive(Debug)]
pub enum Claim {
    /// First use: run the request, then store its answer.
    New,
    /// Seen and finished: replay this answer.
    Replay {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
}

/// Validates a key: 1 to 255 visible ASCII characters.
pub fn validate_key(key: &str) -> Result<(), ApiError> {
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(ApiError::bad_request(
            "Idempotency-Key must be 1 to 255 visible ASCII characters",
        ));
    }
    Ok(())
}

/// Fingerprint of what was asked: method, target, content type and body.
pub fn request_hash(method: &Method, target: &str, content_type: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.as_str().as_bytes());
    h.update(b" ");
    h.update(target.as_bytes());
    h.update(b"\n");
    h.update(content_type.as_bytes());
    h.update(b"\n");
    h.update(body);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

type StoredRow = (
    String,
    Option<i32>,
    Option<String>,
    Option<Vec<u8>>,
    UtcTime,
);

/// Claims `key` for `caller`, or says how to answer a repeat.
pub fn claim(
    conn: &mut DbConnection,
    caller: &str,
    key: &str,
    hash: &str,
) -> Result<Claim, ApiError> {
    let now = UtcTime::now();
    let expired = UtcTime(now.0 - Duration::hours(RETENTION_HOURS));
    diesel::delete(keys::table.filter(keys::created_at.lt(expired))).execute(conn)?;

    let existing: Option<StoredRow> = keys::table
        .filter(keys::caller.eq(caller))
        .filter(keys::idempotency_key.eq(key))
        .select((
            keys::request_hash,
            keys::response_status,
            keys::response_headers,
            keys::response_body,
            keys::created_at,
        ))
        .first(conn)
        .optional()?;

    match existing {
        None => {
            diesel::insert_into(keys::table)
                .values((
                    keys::caller.eq(caller),
                    keys::idempotency_key.eq(key),
                    keys::request_hash.eq(hash),
                    keys::created_at.eq(now),
                ))
                .execute(conn)?;
            Ok(Claim::New)
        }
        Some((stored_hash, _, _, _, _)) if stored_hash != hash => Err(ApiError::Unprocessable(
            "this Idempotency-Key was used with a different request; use a new key".into(),
        )),
        Some((_, None, _, _, created_at)) => {
            if created_at.0 < now.0 - Duration::seconds(ABANDONED_AFTER_SECONDS) {
                diesel::update(
                    keys::table
                        .filter(keys::caller.eq(caller))
                        .filter(keys::idempotency_key.eq(key)),
                )
                .set(keys::created_at.eq(now))
                .execute(conn)?;
                Ok(Claim::New)
            } else {
                Err(in_flight())
            }
        }
        Some((_, Some(status), headers, body, _)) => Ok(Claim::Replay {
            status: status as u16,
            headers: headers
                .and_then(|h| serde_json::from_str(&h).ok())
                .unwrap_or_default(),
            body: body.unwrap_or_default(),
        }),
    }
}

fn in_flight() -> ApiError {
    ApiError::conflict("a request with this Idempotency-Key is still being processed; retry later")
}

/// Stores the answer of a claimed key.
pub fn complete(
    conn: &mut DbConnection,
    caller: &str,
    key: &str,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<(), ApiError> {
    let headers = serde_json::to_string(headers).map_err(|e| ApiError::internal(e.to_string()))?;
    diesel::update(
        keys::table
            .filter(keys::caller.eq(caller))
            .filter(keys::idempotency_key.eq(key)),
    )
    .set((
        keys::response_status.eq(Some(status as i32)),
        keys::response_headers.eq(Some(headers)),
        keys::response_body.eq(Some(body.to_vec())),
    ))
    .execute(conn)?;
    Ok(())
}

/// Forgets a claimed key whose request failed on our side, so a retry runs again.
pub fn release(conn: &mut DbConnection, caller: &str, key: &str) -> Result<(), ApiError> {
    diesel::delete(
        keys::table
            .filter(keys::caller.eq(caller))
            .filter(keys::idempotency_key.eq(key)),
    )
    .execute(conn)?;
    Ok(())
}

fn error_response(req: ServiceRequest, err: ApiError) -> ServiceResponse<BoxBody> {
    req.error_response(err)
}

/// The middleware.
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let key = match req.headers().get(HEADER) {
        Some(value) if req.method() == Method::POST => value.to_str().unwrap_or("\u{0}").to_owned(),
        _ => {
            return next
                .call(req)
                .await
                .map(ServiceResponse::map_into_boxed_body)
        }
    };
    // An unauthenticated request is refused by the handler (401 comes before
    // any complaint about the key); no key is stored for it.
    let Ok(principal) = authenticate(req.request()) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    if let Err(e) = validate_key(&key) {
        return Ok(error_response(req, e));
    }
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(error_response(
            req,
            ApiError::internal("state not configured"),
        ));
    };

    let body = {
        let (http_req, payload) = req.parts_mut();
        match read_body(http_req, payload).await {
            Ok(b) => b,
            Err(e) => return Ok(error_response(req, e)),
        }
    };
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let hash = request_hash(req.method(), target, content_type, &body);
    req.set_payload(actix_web::dev::Payload::from(body));

    let caller = principal.subject.clone();
    let claim_result = {
        let (caller, key) = (caller.clone(), key.clone());
        db::run(&state.pool, move |conn| claim(conn, &caller, &key, &hash)).await
    };
    match claim_result {
        Ok(Claim::New) => {}
        Ok(Claim::Replay {
            status,
            headers,
            body,
        }) => {
            let mut builder =
                HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::OK));
            for (name, value) in headers {
                builder.insert_header((name, value));
            }
            builder.insert_header(("Idempotent-Replayed", "true"));
            return Ok(req.into_response(builder.body(body)));
        }
        // Two first requests raced on one key: the loser is told to wait.
        Err(ApiError::Conflict(_)) => return Ok(error_response(req, in_flight())),
        Err(e) => return Ok(error_response(req, e)),
    }

    let outcome = next.call(req).await;
    let response = match outcome {
        Ok(r) => r,
        Err(e) => {
            forget(&state, caller, key).await;
            return Err(e);
        }
    };
    let no_store = response
        .headers()
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("no-store"));
    // A failure on our side may succeed on retry; an answer marked no-store
    // (it carries a secret) must not be kept in the database.
    if response.status().is_server_error() || no_store {
        forget(&state, caller, key).await;
        return Ok(response.map_into_boxed_body());
    }

    let (http_req, res) = response.into_parts();
    let status = res.status();
    let kept: Vec<(String, String)> = REPLAYED_HEADERS
        .iter()
        .filter_map(|name| {
            res.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| (name.to_string(), v.to_owned()))
        })
        .collect();
    let (head, res_body) = res.into_parts();
    let bytes = match body::to_bytes(res_body).await {
        Ok(b) => b,
        Err(_) => {
            forget(&state, caller, key).await;
            return Ok(ServiceResponse::new(
                http_req,
                HttpResponse::InternalServerError().finish(),
            ));
        }
    };
    let stored = {
        let (caller, key, bytes, kept) = (caller.clone(), key.clone(), bytes.clone(), kept.clone());
        db::run(&state.pool, move |conn| {
            complete(conn, &caller, &key, status.as_u16(), &kept, &bytes)
        })
        .await
    };
    if let Err(e) = stored {
        log::warn!("could not store the answer of an idempotent request: {e}");
        forget(&state, caller, key).await;
    }
    let res = head.set_body(BoxBody::new(bytes));
    Ok(ServiceResponse::new(http_req, res))
}

async fn forget(state: &web::Data<AppState>, caller: String, key: String) {
    if let Err(e) = db::run(&state.pool, move |conn| release(conn, &caller, &key)).await {
        log::warn!("could not release an idempotency key: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_validated() {
        assert!(validate_key("7b0c-retry-1").is_ok());
        assert!(validate_key("").is_err());
        assert!(validate_key("has space").is_err());
        assert!(validate_key(&"k".repeat(256)).is_err());
    }

    #[test]
    fn hash_covers_target_and_body() {
        let a = request_hash(&Method::POST, "/v1/a", "application/json", b"{}");
        assert_ne!(
            a,
            request_hash(&Method::POST, "/v1/b", "application/json", b"{}")
        );
        assert_ne!(
            a,
            request_hash(&Method::POST, "/v1/a", "application/json", b"{ }")
        );
        assert_eq!(
            a,
            request_hash(&Method::POST, "/v1/a", "application/json", b"{}")
        );
    }
}
