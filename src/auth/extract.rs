//! The [`Principal`] of a request: `Authorization: Bearer <JWT>` read and
//! verified with the service's keys. Apart from the principal's rules so that
//! the token code, which builds principals, does not depend on the extractor.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use super::principal::Principal;
use super::token::TokenKeys;
use crate::error::ApiError;

/// Set on a request whose token is valid but no longer honoured: its API
/// client was revoked or rotated since it was issued (`clients::live`).
#[derive(Debug, Clone)]
pub struct Withdrawn(pub &'static str);

/// Reads and verifies `Authorization: Bearer <JWT>`.
pub fn authenticate(req: &HttpRequest) -> Result<Principal, ApiError> {
    if let Some(Withdrawn(detail)) = req.extensions().get::<Withdrawn>() {
        return Err(ApiError::Unauthorized {
            error: "invalid_token",
            detail: (*detail).to_owned(),
        });
    }
    if let Some(p) = req.extensions().get::<Principal>() {
        return Ok(p.clone());
    }
    let keys = req
        .app_data::<web::Data<TokenKeys>>()
        .ok_or_else(|| ApiError::internal("token keys not configured"))?;
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthorized {
            error: "",
            detail: "send Authorization: Bearer <token>".to_owned(),
        })?;
    let token = header
        .to_str()
        .ok()
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or_else(|| ApiError::Unauthorized {
            error: "invalid_request",
            detail: "the Authorization header must be Bearer <token>".to_owned(),
        })?;
    let principal = keys.verify(token)?;
    req.extensions_mut().insert(principal.clone());
    Ok(principal)
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}
