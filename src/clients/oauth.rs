//! `POST /v1/oauth/token`: OAuth 2.0 client credentials (RFC 6749 §4.4).

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

use super::lockout::FailureLimiter;
use super::model::{self, ApiClient};
use super::rules;
use crate::auth::token::TOKEN_LIFETIME_SECONDS;
use crate::auth::TokenKeys;
use crate::db::{self, Id};
use crate::error::PROBLEM_JSON;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/oauth/token").route(web::post().to(issue_token)));
}

crate::text_enum! {
    /// The one grant this endpoint issues tokens for.
    pub enum GrantType {
        ClientCredentials => "client_credentials",
    }
}

/// The form of a token request. It is read as text, so that an unknown grant
/// type gets the RFC 6749 error `unsupported_grant_type`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TokenRequest {
    #[serde(default)]
    #[schema(value_type = GrantType, required = true)]
    pub grant_type: String,
    /// Or send the id and secret by HTTP Basic authentication.
    #[schema(nullable = false)]
    pub client_id: Option<String>,
    #[schema(nullable = false)]
    pub client_secret: Option<String>,
    /// Ignored: a client's token carries exactly its role.
    #[schema(nullable = false)]
    pub scope: Option<String>,
}

/// A successful token answer (RFC 6749 §5.1).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// `Bearer`
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
    /// The role the token carries: `platform_admin`, `admin`, `member`, `submitter` or `viewer`.
    pub scope: String,
}

/// An error answer: RFC 6749 §5.2 members inside an RFC 9457 problem document.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenError {
    /// `invalid_request`, `invalid_client`, `unsupported_grant_type`, or `slow_down` (429).
    pub error: String,
    pub error_description: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
}

fn token_error(status: StatusCode, error: &str, description: &str) -> HttpResponse {
    let body = TokenError {
        error: error.to_owned(),
        error_description: description.to_owned(),
        kind: format!(
            "urn:safeguarding-api:problem:oauth-{}",
            error.replace('_', "-")
        ),
        title: "Token request refused".to_owned(),
        status: status.as_u16(),
        detail: description.to_owned(),
    };
    let mut response = HttpResponse::build(status)
        .content_type(PROBLEM_JSON)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"safeguarding-api\""),
        );
    }
    response
}

fn invalid_client() -> HttpResponse {
    token_error(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "unknown client, wrong secret, or revoked client",
    )
}

/// Client credentials from `Authorization: Basic` (RFC 6749 §2.3.1: each part form-encoded).
fn basic_credentials(req: &HttpRequest) -> Option<(String, String)> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={s}"))
            .ok()
            .and_then(|mut v| v.pop())
            .map(|(_, v)| v)
    };
    Some((unescape(id)?, unescape(secret)?))
}

/// Whether the service sits behind proxies that append the caller's address
/// to `X-Forwarded-For` (`TRUST_FORWARDED_FOR`).
#[derive(Debug, Clone, Copy)]
pub struct TrustedProxies(pub bool);

/// The caller's address: the connecting peer, or, behind trusted proxies, the
/// last address they appended to `X-Forwarded-For` (earlier entries are the
/// caller's own word and not believed).
fn client_address(req: &HttpRequest, proxies: &TrustedProxies) -> Option<std::net::IpAddr> {
    let peer = req.peer_addr().map(|a| a.ip());
    if !proxies.0 {
        return peer;
    }
    req.headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .last()
        .and_then(|last| last.trim().parse().ok())
        .or(peer)
}

/// The scope a client's tokens carry.
fn scope_of(client: &ApiClient) -> String {
    match (client.platform_admin, client.role) {
        (true, _) => "platform_admin".to_owned(),
        (false, Some(role)) => role.as_str().to_owned(),
        (false, None) => String::new(),
    }
}

/// Trade an API client's id and secret for a short-lived bearer token.
#[utoipa::path(
    post,
    path = "/v1/oauth/token",
    tag = "authentication",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    security((), ("client_basic" = [])),
    responses(
        (status = 200, description = "A bearer token", body = TokenResponse, headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, description = "Malformed request, unsupported grant type, or any query parameter (parameters and credentials go in the body)", body = TokenError, content_type = "application/problem+json"),
        (status = 401, description = "Unknown client, wrong secret or revoked client", body = TokenError, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts for this client or from this address", body = TokenError, content_type = "application/problem+json", headers(("Retry-After" = i32, description = "Seconds to wait"))),
        (status = 503, description = "The database is unreachable", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn issue_token(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
    keys: web::Data<TokenKeys>,
    limiter: web::Data<FailureLimiter>,
    proxies: web::Data<TrustedProxies>,
) -> HttpResponse {
    // RFC 6749 §2.3.1: credentials never travel in the URI. Any query
    // parameter is refused by name, never read (the general check of
    // `http::query` answers in this endpoint's own error shape here).
    if !req.query_string().is_empty() {
        let names = crate::http::query::unknown(req.query_string(), &[]).unwrap_or_default();
        let names = if names.is_empty() {
            "a query string".to_owned()
        } else {
            names.join(", ")
        };
        return token_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &format!(
                "the token endpoint takes no query parameters (got {names}): send them in the body"
            ),
        );
    }
    let form: TokenRequest = match serde_urlencoded::from_bytes(&body) {
        Ok(f) => f,
        Err(_) => {
            return token_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "send an application/x-www-form-urlencoded body",
            )
        }
    };
    match form.grant_type.as_str() {
        "client_credentials" => {}
        "" => {
            return token_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required",
            )
        }
        _ => {
            return token_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only client_credentials is supported",
            )
        }
    }
    let (client_id, secret) = match (basic_credentials(&req), form.client_id, form.client_secret) {
        (Some(basic), None, None) => basic,
        (None, Some(id), Some(secret)) => (id, secret),
        (Some(_), _, _) => {
            return token_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "authenticate by Basic or in the body, not both",
            )
        }
        _ => {
            return token_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "client_id and client_secret are required",
            )
        }
    };
    let address = client_address(&req, proxies.get_ref());
    let attempt = match limiter.begin(&state.pool, &client_id, address).await {
        Ok(Ok(attempt)) => attempt,
        Ok(Err(seconds)) => {
            let mut response = token_error(
                StatusCode::TOO_MANY_REQUESTS,
                "slow_down",
                "too many failed attempts; retry after the time in Retry-After",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            return response;
        }
        Err(e) => return actix_web::ResponseError::error_response(&e),
    };
    let id: Option<Id> = client_id.parse().ok();
    let found = match id {
        Some(id) => match db::read(&state.pool, move |conn| model::find_any(conn, id)).await {
            Ok(found) => found,
            Err(e) => {
                limiter.cancel(&state.pool, attempt).await;
                return actix_web::ResponseError::error_response(&e);
            }
        },
        None => None,
    };
    // Verify even for unknown ids, so timing does not tell which ids exist.
    let hash = found
        .as_ref()
        .map(|c| c.secret_hash.clone())
        .unwrap_or_else(|| rules::DECOY_HASH.to_owned());
    let matches = web::block(move || rules::verify_secret(&secret, &hash))
        .await
        .unwrap_or(false);
    let client = match found {
        Some(client) if matches && client.revoked_at.is_none() => client,
        _ => return invalid_client(),
    };
    // The secret is right: a failure to record that only leaves this
    // attempt counted against the client until its window ends.
    if let Err(e) = limiter.succeeded(&state.pool, attempt).await {
        log::warn!("a successful token attempt not taken back: {e}");
    }
    let roles: BTreeMap<Id, crate::auth::Role> =
        client.partnership_id.zip(client.role).into_iter().collect();
    let issued_to = crate::auth::ClientToken {
        id: client.id,
        generation: Some(client.secret_generation),
    };
    let token = match keys.issue_to_client(
        issued_to,
        client.organisation_id,
        client.platform_admin,
        roles,
        TOKEN_LIFETIME_SECONDS,
    ) {
        Ok(t) => t,
        Err(e) => return actix_web::ResponseError::error_response(&e),
    };
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(TokenResponse {
            access_token: token,
            token_type: "Bearer".to_owned(),
            expires_in: TOKEN_LIFETIME_SECONDS,
            scope: scope_of(&client),
        })
}

/// The public keys of the service's tokens, as a JWK set (RFC 7517), for
/// systems that verify its tokens themselves. Shared secrets are never listed,
/// so with only `JWT_SECRET` configured the set is empty.
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "authentication",
    operation_id = "get_jwks",
    responses((status = 200, description = "The JWK set: {\"keys\": [...]}", body = Object, headers(("Cache-Control" = String, description = "`public, max-age=300`"))))
)]
pub async fn jwks(keys: web::Data<TokenKeys>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(keys.jwks())
}
