//! `Idempotency-Key` on POST: a retry with the same key and body replays the
//! first answer byte for byte; the same key with another body is 422. Keys
//! are scoped to the caller and kept 24 hours.
//!
//! The key, the writes and the stored answer commit in one transaction
//! ([`write`]): the middleware checks the key and passes it to the handler
//! (a task-local), and the handler's write claims it first thing in its own
//! transaction and stores its answer last. A crash anywhere leaves either
//! nothing (a retry runs again) or all three (a retry replays): never a write
//! whose key was released. A second request racing the first with the same
//! key waits on the claim and then replays what the first committed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use chrono::Duration;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::etag::Answer;
use crate::auth::authenticate;
use crate::db::schema::idempotency_keys as keys;
use crate::db::{self, DbConnection, DbPool, UtcTime};
use crate::error::ApiError;
use crate::http::json::read_body;
use crate::state::AppState;

pub const HEADER: &str = "idempotency-key";
/// How long a key is remembered.
pub const RETENTION_HOURS: i64 = 24;
/// Response headers kept and replayed with the body.
const REPLAYED_HEADERS: [HeaderName; 3] = [header::CONTENT_TYPE, header::ETAG, header::LOCATION];

/// A request's key, on its way from the middleware to the handler's write.
#[derive(Debug, Clone)]
pub struct Pending {
    caller: String,
    key: String,
    /// Of the request as the middleware read it; for a streamed body (a
    /// paper), completed by the handler once it has hashed the body
    /// ([`streamed_body`]).
    hash: Arc<std::sync::Mutex<String>>,
    /// Set once a write has claimed the key: the answer is in the database.
    claimed: Arc<AtomicBool>,
}

tokio::task_local! {
    static PENDING: Pending;
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

impl Pending {
    fn hash(&self) -> String {
        self.hash.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Whether a request's body is streamed to its handler rather than read
/// here: a paper's upload (`POST /v1/meetings/{id}/items/{item_id}/papers`,
/// as the router reads the path), up to `PAPER_MAX_BYTES`, which is never
/// held whole in memory. Its key is matched on the SHA-256 the handler
/// computes while it streams.
pub fn streams_body(path: &str) -> bool {
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(super::query::percent_decoded)
        .collect();
    matches!(
        segments
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice(),
        ["v1", "meetings", _, "items", _, "papers"]
    )
}

/// Completes the request's fingerprint with the SHA-256 of its streamed
/// body (hex), before the handler's write claims the key; a retry with the
/// same key and bytes then replays, one with other bytes is 422.
pub fn streamed_body(sha256: &str) {
    let _ = PENDING.try_with(|pending| {
        let mut hash = pending.hash.lock().unwrap_or_else(|e| e.into_inner());
        let mut h = Sha256::new();
        h.update(hash.as_bytes());
        h.update(b"\nsha256:");
        h.update(sha256.as_bytes());
        *hash = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    });
}

/// What a key already stands for.
enum Seen {
    Nothing,
    Replay(Answer),
    OtherRequest,
    /// A claim without an answer: written by an earlier version of the
    /// service that stored answers apart; treated as still running.
    Unanswered,
}

type StoredRow = (String, Option<i32>, Option<String>, Option<Vec<u8>>);

/// What the caller's key stands for, read after a claim found it taken.
fn seen(conn: &mut DbConnection, pending: &Pending) -> Result<Seen, ApiError> {
    let row: Option<StoredRow> = keys::table
        .filter(keys::caller.eq(&pending.caller))
        .filter(keys::idempotency_key.eq(&pending.key))
        .select((
            keys::request_hash,
            keys::response_status,
            keys::response_headers,
            keys::response_body,
        ))
        .first(conn)
        .optional()?;
    Ok(match row {
        None => Seen::Nothing,
        Some((stored, ..)) if stored != pending.hash() => Seen::OtherRequest,
        Some((_, Some(status), headers, body)) => Seen::Replay(Answer {
            status: status as u16,
            headers: headers
                .and_then(|h| serde_json::from_str(&h).ok())
                .unwrap_or_default(),
            body: body.unwrap_or_default(),
            no_store: false,
        }),
        Some((_, None, ..)) => Seen::Unanswered,
    })
}

/// Forgets the caller's key if it is past its retention, so the claim can
/// take it anew.
fn forget_expired(conn: &mut DbConnection, pending: &Pending) -> Result<(), ApiError> {
    let expired = UtcTime(UtcTime::now().0 - Duration::hours(RETENTION_HOURS));
    diesel::delete(
        keys::table
            .filter(keys::caller.eq(&pending.caller))
            .filter(keys::idempotency_key.eq(&pending.key))
            .filter(keys::created_at.lt(expired)),
    )
    .execute(conn)?;
    Ok(())
}

/// Forgets every key past its retention: at most once every ten minutes
/// per instance, in a transaction of its own.
async fn sweep(pool: &DbPool) {
    use std::sync::atomic::AtomicI64;
    static LAST: AtomicI64 = AtomicI64::new(0);
    let now = UtcTime::now().0.timestamp();
    let last = LAST.load(Ordering::Relaxed);
    if now - last < 600
        || LAST
            .compare_exchange(last, now, Ordering::SeqCst, Ordering::Relaxed)
            .is_err()
    {
        return;
    }
    let expired = UtcTime(UtcTime::now().0 - Duration::hours(RETENTION_HOURS));
    let swept = db::run(pool, move |conn| {
        Ok(diesel::delete(keys::table.filter(keys::created_at.lt(expired))).execute(conn)?)
    })
    .await;
    if let Err(e) = swept {
        log::warn!("expired idempotency keys not swept: {e}");
    }
}

/// Claims the key in the caller's transaction; false when it is taken (on
/// PostgreSQL this waits for a transaction holding it to end).
fn claim(conn: &mut DbConnection, pending: &Pending) -> Result<bool, ApiError> {
    let row = (
        keys::caller.eq(&pending.caller),
        keys::idempotency_key.eq(&pending.key),
        keys::request_hash.eq(pending.hash()),
        keys::created_at.eq(UtcTime::now()),
    );
    let inserted = crate::insert_ignoring!(conn, keys::table, row)?;
    Ok(inserted == 1)
}

/// Stores the answer with the claim, in the same transaction.
fn answer(conn: &mut DbConnection, pending: &Pending, answer: &Answer) -> Result<(), ApiError> {
    let kept = if answer.no_store {
        withheld(answer)?
    } else {
        answer.clone()
    };
    let headers: Vec<&(String, String)> = kept
        .headers
        .iter()
        .filter(|(name, _)| REPLAYED_HEADERS.iter().any(|h| h.as_str() == name))
        .collect();
    let headers = serde_json::to_string(&headers).map_err(|e| ApiError::internal(e.to_string()))?;
    diesel::update(
        keys::table
            .filter(keys::caller.eq(&pending.caller))
            .filter(keys::idempotency_key.eq(&pending.key)),
    )
    .set((
        keys::response_status.eq(Some(i32::from(kept.status))),
        keys::response_headers.eq(Some(headers)),
        keys::response_body.eq(Some(kept.body)),
    ))
    .execute(conn)?;
    Ok(())
}

/// What a replay of an answer that held a secret says: the work was done
/// (and where the record is), but the secret is shown only once. Its own
/// problem type, so a client does not take it for "still running".
fn withheld(answer: &Answer) -> Result<Answer, ApiError> {
    let problem = crate::error::Problem {
        kind: "urn:safeguarding-api:problem:answer-withheld".to_owned(),
        title: "The answer is not kept".to_owned(),
        status: 409,
        detail:
            "this request was carried out; its answer held a secret, which is shown only once: \
                 rotate the secret to get a new one"
                .to_owned(),
        errors: Vec::new(),
    };
    let mut kept = Answer::json(actix_web::http::StatusCode::CONFLICT, &problem)?;
    kept.headers = vec![(
        "content-type".to_owned(),
        crate::error::PROBLEM_JSON.to_owned(),
    )];
    kept.headers.extend(
        answer
            .headers
            .iter()
            .filter(|(name, _)| name == "location")
            .cloned(),
    );
    Ok(kept)
}

enum Written {
    Done(Answer),
    /// The key was taken, and the caller passes the operation's checks now.
    Taken(Seen),
}

/// Whether an error of the operation says the caller may not do it now:
/// unauthenticated, forbidden, or (tenancy) the record is not theirs to see.
fn refuses_caller(e: &ApiError) -> bool {
    matches!(
        e,
        ApiError::Unauthorized { .. } | ApiError::Forbidden(_) | ApiError::NotFound(_)
    )
}

/// Runs the operation in a savepoint that is always rolled back, only to
/// learn whether the caller passes its checks now (authentication, tenancy,
/// role, the records it acts on): the checks are the operation's own, so a
/// stored answer is never shown to a caller the operation would refuse.
fn authorise<F>(conn: &mut DbConnection, f: F) -> Result<(), ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<Answer, ApiError>,
{
    use diesel::connection::TransactionManager;
    <DbConnection as TransactionManager<DbConnection>>::begin_transaction(conn)?;
    let outcome = f(conn);
    <DbConnection as TransactionManager<DbConnection>>::rollback_transaction(conn)?;
    match outcome {
        Err(e) if refuses_caller(&e) => Err(e),
        // Anything else (success, or a conflict with what the first request
        // wrote) means the caller may do this: the stored answer stands.
        _ => Ok(()),
    }
}

/// The write of a POST: `f` runs in one transaction and builds its answer
/// there; when the request carried an `Idempotency-Key`, the same
/// transaction claims the key first and stores the answer last. A key
/// already taken is answered only after the caller passes the operation's
/// checks now ([`authorise`]): the handler's extractors ran before this, and
/// the operation's own checks run in a rolled-back savepoint.
pub async fn write<F>(pool: &DbPool, f: F) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<Answer, ApiError> + Send + 'static,
{
    let pending = PENDING.try_with(Pending::clone).ok();
    let mine = pending.clone();
    let written = db::run(pool, move |conn| {
        if let Some(pending) = &mine {
            forget_expired(conn, pending)?;
            if !claim(conn, pending)? {
                let seen = seen(conn, pending)?;
                authorise(conn, f)?;
                return Ok(Written::Taken(seen));
            }
        }
        let done = f(conn)?;
        if let Some(pending) = &mine {
            answer(conn, pending, &done)?;
        }
        Ok(Written::Done(done))
    })
    .await?;
    if let Some(pending) = &pending {
        pending.claimed.store(true, Ordering::SeqCst);
    }
    match written {
        Written::Done(done) => {
            pause_after_commit();
            Ok(done.into())
        }
        // Another request with this key committed first: answer as it did.
        Written::Taken(Seen::Replay(stored)) => Ok(replayed(stored)),
        Written::Taken(Seen::OtherRequest) => Err(reused()),
        Written::Taken(Seen::Nothing | Seen::Unanswered) => Err(in_flight()),
    }
}

/// A test hook (`FAILPOINT=pause-after-commit`): the process sleeps between
/// a write's commit and its answer, so a test can kill it there. Not in
/// release builds.
#[cfg(not(debug_assertions))]
fn pause_after_commit() {}

#[cfg(debug_assertions)]
fn pause_after_commit() {
    static PAUSE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *PAUSE.get_or_init(|| std::env::var("FAILPOINT").is_ok_and(|v| v == "pause-after-commit")) {
        std::thread::sleep(std::time::Duration::from_secs(30));
    }
}

fn replayed(stored: Answer) -> HttpResponse {
    let mut response = HttpResponse::from(stored);
    response.headers_mut().insert(
        HeaderName::from_static("idempotent-replayed"),
        header::HeaderValue::from_static("true"),
    );
    response
}

fn in_flight() -> ApiError {
    ApiError::conflict("a request with this Idempotency-Key is still being processed; retry later")
}

fn reused() -> ApiError {
    ApiError::Unprocessable(
        "this Idempotency-Key was used with a different request; use a new key".into(),
    )
}

/// Reads the key of an authenticated POST and sends it with the request to
/// the handler's [`write`], which alone answers a key already used: only
/// after the handler's own checks, never before.
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
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
        return Ok(req.error_response(e).map_into_boxed_body());
    }
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(req
            .error_response(ApiError::internal("state not configured"))
            .map_into_boxed_body());
    };
    let streamed = streams_body(req.path());
    let body = if streamed {
        actix_web::web::Bytes::new()
    } else {
        let (http_req, payload) = req.parts_mut();
        match read_body(http_req, payload).await {
            Ok(b) => b,
            Err(e) => return Ok(req.error_response(e).map_into_boxed_body()),
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
    if !streamed {
        req.set_payload(actix_web::dev::Payload::from(body));
    }

    let pending = Pending {
        caller: principal.subject.clone(),
        key,
        hash: Arc::new(std::sync::Mutex::new(hash)),
        claimed: Arc::new(AtomicBool::new(false)),
    };
    sweep(&state.pool).await;
    let claimed = pending.claimed.clone();
    let response = PENDING.scope(pending, next.call(req)).await?;
    let public = response.request().path() == "/v1/oauth/token";
    if !claimed.load(Ordering::SeqCst) && response.status().is_success() && !public {
        // Every authenticated POST writes through `write`; one that did not
        // would silently lose its key.
        log::error!(
            "POST {} answered without claiming its Idempotency-Key",
            response.request().path()
        );
    }
    Ok(response.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_papers_upload_streams_its_body() {
        assert!(streams_body("/v1/meetings/m/items/i/papers"));
        assert!(streams_body("/v1/meetings/m/items/i/paper%73"));
        assert!(!streams_body("/v1/meetings/m/items/i/papers/p/withdraw"));
        assert!(!streams_body("/v1/meetings/m/items"));
        assert!(!streams_body("/v1/partnerships/p/content"));
    }

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
