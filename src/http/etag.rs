//! Optimistic concurrency: every record carries `version`, responses send it
//! as an `ETag`, and changes must name the version they were based on.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;

use crate::db::store::Versions;
pub use crate::db::store::{check, Expected, Versioned};
use crate::error::ApiError;

/// The ETag of a version: a quoted decimal, e.g. `"3"`.
pub fn etag_of(version: i32) -> String {
    format!("\"{version}\"")
}

/// A JSON answer as plain data: built inside a write's transaction (it is
/// `Send`, unlike a response), so an idempotent POST can store it with the
/// writes it reports, and turned into the response afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// `Content-Type`, `ETag`, `Location`: what a replay repeats.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// It carries a secret: `Cache-Control: no-store`, and never kept.
    pub no_store: bool,
}

impl Answer {
    pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Result<Self, ApiError> {
        let body = serde_json::to_vec(value)
            .map_err(|e| ApiError::internal(format!("answer serialisation: {e}")))?;
        Ok(Answer {
            status: status.as_u16(),
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body,
            no_store: false,
        })
    }

    /// `record` with its ETag.
    pub fn with_etag<T: Serialize + Versioned>(
        status: StatusCode,
        record: &T,
    ) -> Result<Self, ApiError> {
        let mut answer = Self::json(status, record)?;
        answer
            .headers
            .push(("etag".to_owned(), etag_of(record.version())));
        Ok(answer)
    }

    /// `201 Created` with `Location` and `ETag`.
    pub fn created<T: Serialize + Versioned>(
        location: String,
        record: &T,
    ) -> Result<Self, ApiError> {
        let mut answer = Self::with_etag(StatusCode::CREATED, record)?;
        answer.headers.push(("location".to_owned(), location));
        Ok(answer)
    }

    pub fn no_store(mut self) -> Self {
        self.no_store = true;
        self
    }
}

impl From<Answer> for HttpResponse {
    fn from(answer: Answer) -> Self {
        let mut builder =
            HttpResponse::build(StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK));
        for (name, value) in answer.headers {
            builder.insert_header((name, value));
        }
        if answer.no_store {
            builder.insert_header((header::CACHE_CONTROL, "no-store"));
        }
        builder.body(answer.body)
    }
}

/// Serialises `record` with its ETag.
pub fn with_etag<T: Serialize + Versioned>(status: StatusCode, record: &T) -> HttpResponse {
    Answer::with_etag(status, record).map_or_else(|e| e.error_response(), HttpResponse::from)
}

/// `Cache-Control` of a derived view: a body that changes without its
/// record's version (an action's `overdue`, a meeting's quorum). A cache may
/// keep it but must ask again before each use; the version ETag stays strong,
/// so `If-Match` works as for any record.
pub const DERIVED_VIEW: &str = "private, no-cache";

/// `response` marked as a derived view ([`DERIVED_VIEW`]).
pub fn derived_view(mut response: HttpResponse) -> HttpResponse {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static(DERIVED_VIEW),
    );
    response
}

/// The `If-Match` header of a request, if any.
#[derive(Debug, Clone)]
pub struct IfMatch(Option<String>);

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

    /// The version the caller based its change on, if it said.
    pub fn optional(&self) -> Result<Option<Expected>, ApiError> {
        self.0.as_deref().map(parse_if_match).transpose()
    }
}

/// Parses an `If-Match` value (RFC 9110 §13.1.1): `*`, or a list of entity
/// tags. Every well-formed tag is accepted; only a strong tag of a version
/// (`"3"`) can match, so a weak tag or one this service never sends
/// (`"stale-0"`) gets 412 when the record is compared. What is not an
/// entity-tag list at all gets 400. [`IfMatchHeader`] publishes the same
/// grammar as a pattern.
pub fn parse_if_match(raw: &str) -> Result<Expected, ApiError> {
    if raw == "*" {
        return Ok(Expected::Any);
    }
    let malformed = || {
        ApiError::bad_request(format!(
            "If-Match {raw} is not an entity tag: send the ETag you read, e.g. \"3\", or *"
        ))
    };
    let tags = entity_tags(raw).ok_or_else(malformed)?;
    if let [(false, tag)] = tags.as_slice() {
        if let Some(version) = version_of(tag) {
            return Ok(Expected::Version(version));
        }
    }
    let mut versions = Versions::default();
    for version in tags
        .iter()
        .filter(|(weak, _)| !weak)
        .filter_map(|(_, tag)| version_of(tag))
    {
        if !versions.push(version) {
            return Err(ApiError::bad_request(format!(
                "If-Match names more than {} versions",
                Versions::MAX
            )));
        }
    }
    Ok(Expected::OneOf(versions))
}

/// The version a strong tag's content names, if it is one this service sends.
fn version_of(tag: &str) -> Option<i32> {
    Some(tag)
        .filter(|t| (1..=9).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|t| t.parse().ok())
}

/// Splits `1#entity-tag` into (weak, opaque content) pairs; `None` when the
/// value is not such a list (RFC 9110 §5.6.1, §8.8.3).
fn entity_tags(raw: &str) -> Option<Vec<(bool, &str)>> {
    let is_etagc = |b: u8| b == 0x21 || (0x23..=0x7e).contains(&b) || b >= 0x80;
    let is_ows = |b: u8| b == b' ' || b == b'\t';
    let bytes = raw.as_bytes();
    let mut tags = Vec::new();
    let mut i = 0;
    loop {
        // Empty list elements and whitespace around commas are allowed.
        while i < bytes.len() && (is_ows(bytes[i]) || bytes[i] == b',') {
            i += 1;
        }
        if i == bytes.len() {
            break;
        }
        let weak = raw[i..].starts_with("W/");
        if weak {
            i += 2;
        }
        if bytes.get(i) != Some(&b'"') {
            return None;
        }
        let start = i + 1;
        let len = bytes[start..].iter().take_while(|b| is_etagc(**b)).count();
        if bytes.get(start + len) != Some(&b'"') {
            return None;
        }
        tags.push((weak, &raw[start..start + len]));
        i = start + len + 1;
        while i < bytes.len() && is_ows(bytes[i]) {
            i += 1;
        }
        if i < bytes.len() && bytes[i] != b',' {
            return None;
        }
    }
    (!tags.is_empty()).then_some(tags)
}

/// The `If-Match` request header, as the OpenAPI document shows it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfMatchHeader {
    /// The `ETag` of the version being changed, as read (e.g. `"3"`), or `*`
    /// for whatever version is current; a list of entity tags matches when
    /// one of them is current. A tag that is not current gets 412, as does a
    /// weak tag (`W/"3"`, RFC 9110 §13.1.1) and any tag this service never
    /// sent (`"stale-0"`); without the header, a PATCH or DELETE gets 428.
    #[param(
        rename = "If-Match",
        pattern = r#"^(\*|(W/)?"[!#-~]*"( *, *(W/)?"[!#-~]*")*)$"#
    )]
    pub if_match: String,
}

/// `If-Match` where it is optional (the minutes life cycle): checked when sent.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct OptionalIfMatchHeader {
    /// The `ETag` of the version being changed (e.g. `"3"`), or `*`; when sent,
    /// a tag that is not current (or that this service never sent) gets 412.
    /// An empty value is a list with no members (RFC 9110 §5.6.1): the same
    /// as leaving the header out.
    #[param(
        rename = "If-Match",
        pattern = r#"^(|\*|(W/)?"[!#-~]*"( *, *(W/)?"[!#-~]*")*)$"#
    )]
    pub if_match: Option<String>,
}

/// The pattern of the `ETag` response header.
pub const ETAG_PATTERN: &str = r#"^"[0-9]{1,9}"$"#;

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
            // A list field with no members (RFC 9110 §5.6.1) names no version:
            // the same as leaving it out.
            Some(Ok(v)) if v.trim().is_empty() => Ok(IfMatch(None)),
            None => Ok(IfMatch(None)),
            Some(Ok(v)) => Ok(IfMatch(Some(v))),
            Some(Err(e)) => Err(e),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(raw: &str) -> Vec<i32> {
        match parse_if_match(raw).unwrap() {
            Expected::OneOf(v) => v.as_slice().to_vec(),
            other => panic!("{raw}: {other:?}"),
        }
    }

    #[test]
    fn parses_strong_tags_and_star() {
        assert_eq!(parse_if_match("\"3\"").unwrap(), Expected::Version(3));
        assert_eq!(parse_if_match(" \"3\" ").unwrap(), Expected::Version(3));
        assert_eq!(parse_if_match("*").unwrap(), Expected::Any);
    }

    #[test]
    fn well_formed_tags_that_are_not_versions_never_match() {
        for never in [
            "W/\"3\"",
            "\"\"",
            "\"abc\"",
            "\"stale-0\"",
            "\"9999999999\"",
        ] {
            assert_eq!(names(never), Vec::<i32>::new(), "{never}");
        }
        assert_eq!(names("\"3\", \"4\""), vec![3, 4]);
        assert_eq!(names("W/\"3\",\"x\" ,, \"5\""), vec![5]);
        assert!(matches!(
            crate::db::store::check(parse_if_match("\"stale-0\"").unwrap(), 1),
            Err(ApiError::PreconditionFailed(_))
        ));
    }

    #[test]
    fn what_is_not_an_entity_tag_list_is_400() {
        for malformed in ["3", "stale", "\"open", "\"3\" \"4\"", " *", "\"a b\"", ","] {
            assert!(
                matches!(parse_if_match(malformed), Err(ApiError::BadRequest(_))),
                "{malformed}"
            );
        }
    }

    #[test]
    fn missing_header_is_428() {
        assert!(matches!(
            IfMatch(None).required(),
            Err(ApiError::PreconditionRequired(_))
        ));
    }
}
