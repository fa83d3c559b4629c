//! Optimistic concurrency: every record carries `version`, responses send it
//! as an `ETag`, and changes must name the version they were based on.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use serde::Serialize;

use crate::error::ApiError;

/// A record with a version number.
pub trait Versioned {
    fn version(&self) -> i32;
}

/// The ETag of a version: a quoted decimal, e.g. `"3"`.
pub fn etag_of(version: i32) -> String {
    format!("\"{version}\"")
}

/// Serialises `record` with its ETag.
pub fn with_etag<T: Serialize + Versioned>(status: StatusCode, record: &T) -> HttpResponse {
    let mut response = HttpResponse::build(status).json(record);
    if let Ok(value) = HeaderValue::from_str(&etag_of(record.version())) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// `201 Created` with `Location` and `ETag`.
pub fn created<T: Serialize + Versioned>(location: String, record: &T) -> HttpResponse {
    let mut response = with_etag(StatusCode::CREATED, record);
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// The `If-Match` header of a request, if any.
#[derive(Debug, Clone)]
pub struct IfMatch(Option<String>);

/// What `If-Match` asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// `If-Match: *`: any current version.
    Any,
    Version(i32),
}

impl IfMatch {
    /// The version the caller based its change on: 428 when the header is
    /// missing, 412 when it names no version this service could have sent.
    pub fn required(&self) -> Result<Expected, ApiError> {
        let raw = self.0.as_deref().ok_or_else(|| {
            ApiError::PreconditionRequired(
                "send If-Match with the ETag of the version you are changing".into(),
            )
        })?;
        parse_if_match(raw)
    }
}

/// Parses an `If-Match` value. Weak tags never match (RFC 9110 §13.1.1).
pub fn parse_if_match(raw: &str) -> Result<Expected, ApiError> {
    let stale = || {
        ApiError::PreconditionFailed(format!("If-Match {raw} does not match the current version"))
    };
    let raw = raw.trim();
    if raw == "*" {
        return Ok(Expected::Any);
    }
    // A list may name several tags; this service only ever sends one per record.
    let tag = raw.split(',').next().unwrap_or("").trim();
    if tag.starts_with("W/") {
        return Err(stale());
    }
    tag.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .and_then(|t| t.parse::<i32>().ok())
        .map(Expected::Version)
        .ok_or_else(stale)
}

/// Checks the current version against what the caller expected.
pub fn check(expected: Expected, current: i32) -> Result<(), ApiError> {
    match expected {
        Expected::Any => Ok(()),
        Expected::Version(v) if v == current => Ok(()),
        Expected::Version(v) => Err(ApiError::PreconditionFailed(format!(
            "the record is at version {current}, not {v}; read it again and reapply your change"
        ))),
    }
}

/// A versioned `UPDATE ... WHERE version = ?` that touched no row lost a race.
pub fn ensure_changed(rows: usize) -> Result<(), ApiError> {
    if rows == 1 {
        Ok(())
    } else {
        Err(ApiError::PreconditionFailed(
            "the record changed while this request ran; read it again".into(),
        ))
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let value = req.headers().get(header::IF_MATCH).map(|v| {
            v.to_str()
                .map(str::to_owned)
                .map_err(|_| ApiError::bad_request("If-Match is not text"))
        });
        ready(match value {
            None => Ok(IfMatch(None)),
            Some(Ok(v)) => Ok(IfMatch(Some(v))),
            Some(Err(e)) => Err(e),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_strong_tags_and_star() {
        assert_eq!(parse_if_match("\"3\"").unwrap(), Expected::Version(3));
        assert_eq!(parse_if_match("*").unwrap(), Expected::Any);
        assert!(matches!(
            parse_if_match("W/\"3\""),
            Err(ApiError::PreconditionFailed(_))
        ));
        assert!(matches!(
            parse_if_match("3"),
            Err(ApiError::PreconditionFailed(_))
        ));
    }

    #[test]
    fn stale_version_fails() {
        assert!(check(Expected::Version(2), 2).is_ok());
        assert!(matches!(
            check(Expected::Version(1), 2),
            Err(ApiError::PreconditionFailed(_))
        ));
    }

    #[test]
    fn missing_header_is_428() {
        assert!(matches!(
            IfMatch(None).required(),
            Err(ApiError::PreconditionRequired(_))
        ));
    }
}
