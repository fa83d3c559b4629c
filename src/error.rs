//! One error type for the whole service, rendered as RFC 9457
//! `application/problem+json`. No SQL text or internal detail ever reaches a body.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// Path of the offending field, e.g. `initials` or `values[3].metric`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Present on validation errors: every invalid field with its reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// Query parameters the operation does not take, or malformed ones it
    /// reads itself: 400, each named in `errors`.
    #[error("invalid query parameters")]
    Query(Vec<FieldError>),
    /// `error` is the RFC 6750 error code sent in `WWW-Authenticate`.
    #[error("unauthorized: {detail}")]
    Unauthorized { error: &'static str, detail: String },
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// The body names records that do not exist (for this caller): 404, as
    /// for an unknown id in the path, with the fields that name them.
    #[error("referenced record not found")]
    MissingReference(Vec<FieldError>),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    #[error("precondition required: {0}")]
    PreconditionRequired(String),
    #[error("payload too large: {0}")]
    PayloadTooLarge(String),
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("unprocessable: {0}")]
    Unprocessable(String),
    #[error("not acceptable: {0}")]
    NotAcceptable(String),
    /// A `Range` past the end of a file: 416.
    #[error("range not satisfiable: {0}")]
    RangeNotSatisfiable(String),
    #[error("database unavailable")]
    Unavailable,
    /// The database's disk is full: 503 with a longer `Retry-After`; the
    /// request's transaction was rolled back whole.
    #[error("database storage full")]
    StorageFull,
    /// The caller's partnership is using its whole share of the database
    /// (`http::shares`): 503, retry shortly.
    #[error("busy: {0}")]
    Busy(String),
    /// The caller is over its rate limit: 429 with `Retry-After` (whole
    /// seconds, at least 1). See `crate::rate_limits`.
    #[error("rate limited: {detail}")]
    RateLimited { retry_after: u64, detail: String },
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::BadRequest(detail.into())
    }
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound(what.into())
    }
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::Conflict(detail.into())
    }
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::Forbidden(detail.into())
    }
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }
    /// A query parameter that is unknown or malformed.
    pub fn query(parameter: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Query(vec![FieldError::new(parameter, message)])
    }
    /// A field of the body names a record that does not exist for the caller.
    pub fn missing(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::MissingReference(vec![FieldError::new(field, message)])
    }
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::Internal(detail.into())
    }
    /// For `map_err` on the lookup of a record a body field names: its
    /// "not found" becomes a missing reference naming `field`; any other
    /// error (the database gone, say) stays what it is.
    pub fn missing_as(field: &'static str, message: &'static str) -> impl Fn(ApiError) -> ApiError {
        move |e| match e {
            ApiError::NotFound(_) => ApiError::missing(field, message),
            other => other,
        }
    }

    fn kind_and_title(&self) -> (&'static str, &'static str) {
        match self {
            Self::BadRequest(_) => ("bad-request", "Bad request"),
            Self::Validation(_) => ("validation-error", "The request is not valid"),
            Self::Query(_) => ("invalid-query", "Invalid query parameters"),
            Self::Unauthorized { .. } => ("unauthorized", "Authentication required"),
            Self::Forbidden(_) => ("forbidden", "Not allowed"),
            Self::NotFound(_) => ("not-found", "Not found"),
            Self::MissingReference(_) => {
                ("reference-not-found", "A referenced record does not exist")
            }
            Self::Conflict(_) => ("conflict", "Conflict"),
            Self::PreconditionFailed(_) => ("precondition-failed", "The record has changed"),
            Self::PreconditionRequired(_) => ("precondition-required", "If-Match required"),
            Self::PayloadTooLarge(_) => ("payload-too-large", "Request body too large"),
            Self::UnsupportedMediaType(_) => ("unsupported-media-type", "Unsupported media type"),
            Self::Unprocessable(_) => ("unprocessable", "Unprocessable request"),
            Self::NotAcceptable(_) => ("not-acceptable", "No acceptable representation"),
            Self::RangeNotSatisfiable(_) => ("range-not-satisfiable", "Range not satisfiable"),
            Self::Unavailable | Self::StorageFull | Self::Busy(_) => {
                ("unavailable", "Service unavailable")
            }
            Self::RateLimited { .. } => ("rate-limited", "Too many requests"),
            Self::Internal(_) => ("internal", "Internal server error"),
        }
    }

    pub fn problem(&self) -> Problem {
        let (kind, title) = self.kind_and_title();
        let detail = match self {
            Self::Validation(errors) | Self::MissingReference(errors) | Self::Query(errors) => {
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            }
            Self::Unauthorized { detail, .. } | Self::RateLimited { detail, .. } => detail.clone(),
            Self::Unavailable => "the database is unreachable or busy; retry shortly".to_owned(),
            Self::StorageFull => "the database's storage is full: nothing of this request was \
                                  written; retry later"
                .to_owned(),
            // Logged in full where it happened; the caller learns nothing internal.
            Self::Internal(_) => "an unexpected error occurred; it has been logged".to_owned(),
            Self::BadRequest(d)
            | Self::Forbidden(d)
            | Self::NotFound(d)
            | Self::Conflict(d)
            | Self::PreconditionFailed(d)
            | Self::PreconditionRequired(d)
            | Self::PayloadTooLarge(d)
            | Self::UnsupportedMediaType(d)
            | Self::Unprocessable(d)
            | Self::NotAcceptable(d)
            | Self::RangeNotSatisfiable(d)
            | Self::Busy(d) => d.clone(),
        };
        let errors = match self {
            Self::Validation(errors) | Self::MissingReference(errors) | Self::Query(errors) => {
                errors.clone()
            }
            _ => Vec::new(),
        };
        Problem {
            kind: format!("urn:safeguarding-api:problem:{kind}"),
            title: title.to_owned(),
            status: self.status_code().as_u16(),
            detail,
            errors,
        }
    }
}

/// Renders a problem document with the right content type.
pub fn problem_response(status: StatusCode, problem: &Problem) -> HttpResponse {
    let body = serde_json::to_vec(problem).unwrap_or_default();
    HttpResponse::build(status)
        .content_type(PROBLEM_JSON)
        .body(body)
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) | Self::Query(_) => StatusCode::BAD_REQUEST,
            Self::Validation(_) | Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            Self::RangeNotSatisfiable(_) => StatusCode::RANGE_NOT_SATISFIABLE,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) | Self::MissingReference(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unavailable | Self::StorageFull | Self::Busy(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(detail) = self {
            log::error!("internal error: {detail}");
        }
        let mut response = problem_response(self.status_code(), &self.problem());
        let headers = response.headers_mut();
        match self {
            Self::Unauthorized { error, detail } => {
                // RFC 6750 §3: no error code when the request carried no token.
                let challenge = if error.is_empty() {
                    "Bearer realm=\"safeguarding-api\"".to_owned()
                } else {
                    format!(
                        "Bearer realm=\"safeguarding-api\", error=\"{error}\", error_description=\"{}\"",
                        detail.replace('"', "'")
                    )
                };
                if let Ok(value) = HeaderValue::from_str(&challenge) {
                    headers.insert(header::WWW_AUTHENTICATE, value);
                }
            }
            Self::Unavailable => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            // Space is freed by an operator, not by waiting a moment.
            Self::StorageFull => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
            }
            // Its own requests will soon have finished.
            Self::Busy(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            Self::RateLimited { retry_after, .. } => {
                headers.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from((*retry_after).max(1)),
                );
            }
            _ => {}
        }
        response
    }
}

impl From<DieselError> for ApiError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::NotFound => ApiError::not_found("no such record"),
            DieselError::DatabaseError(kind, info) => match kind {
                DatabaseErrorKind::UniqueViolation => {
                    ApiError::conflict("a record with these unique values already exists")
                }
                DatabaseErrorKind::ForeignKeyViolation => ApiError::Unprocessable(
                    "the request refers to a record that does not exist".into(),
                ),
                DatabaseErrorKind::CheckViolation | DatabaseErrorKind::NotNullViolation => {
                    ApiError::Unprocessable("a value is outside what the record allows".into())
                }
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
                    log::warn!("database connection lost: {}", info.message());
                    ApiError::Unavailable
                }
                DatabaseErrorKind::SerializationFailure => {
                    ApiError::conflict("a concurrent change interfered; retry the request")
                }
                _ => {
                    // SQLite reports a locked database as an unknown error.
                    let message = info.message();
                    if message.contains("database or disk is full")
                        || message.contains("No space left on device")
                    {
                        // SQLITE_FULL; PostgreSQL's 53100 disk_full ("could
                        // not extend file ...: No space left on device").
                        log::error!("database storage full: {message}");
                        ApiError::StorageFull
                    } else if message.contains("deadlock detected") {
                        // Two writes of one partnership took rows and its
                        // change-log counter in opposite orders; one was
                        // rolled back whole and may simply be retried.
                        log::warn!("deadlock: {message}");
                        ApiError::conflict("a concurrent change interfered; retry the request")
                    } else if message.contains("database is locked") || message.contains("busy") {
                        log::warn!("database busy: {message}");
                        ApiError::Unavailable
                    } else if message.starts_with("canceling statement due to")
                        || message.starts_with("could not obtain lock")
                    {
                        // PostgreSQL's lock_timeout (55P03 lock_not_available)
                        // or statement_timeout (57014 query_canceled) ran out:
                        // busy, not broken; nothing was written.
                        log::warn!("database wait ran out: {message}");
                        ApiError::Unavailable
                    } else if message.contains("server closed the connection")
                        || message.contains("terminating connection")
                        || message.contains("no connection to the server")
                    {
                        log::warn!("database connection error: {message}");
                        ApiError::Unavailable
                    } else {
                        ApiError::internal(format!("database error: {message}"))
                    }
                }
            },
            other => ApiError::internal(format!("database error: {other}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_detail() {
        let problem = ApiError::internal("SELECT * FROM secrets failed").problem();
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.contains("SELECT"));
    }

    #[test]
    fn validation_lists_fields() {
        let problem = ApiError::field("initials", "must be 1 to 10 letters").problem();
        assert_eq!(problem.status, 422);
        assert_eq!(problem.errors[0].field, "initials");
        assert!(problem.kind.ends_with("validation-error"));
    }

    struct Info(&'static str);
    impl diesel::result::DatabaseErrorInformation for Info {
        fn message(&self) -> &str {
            self.0
        }
        fn details(&self) -> Option<&str> {
            None
        }
        fn hint(&self) -> Option<&str> {
            None
        }
        fn table_name(&self) -> Option<&str> {
            None
        }
        fn column_name(&self) -> Option<&str> {
            None
        }
        fn constraint_name(&self) -> Option<&str> {
            None
        }
        fn statement_position(&self) -> Option<i32> {
            None
        }
    }

    fn database_error(kind: DatabaseErrorKind, message: &'static str) -> ApiError {
        ApiError::from(DieselError::DatabaseError(kind, Box::new(Info(message))))
    }

    #[test]
    fn unique_violation_is_conflict() {
        let err = database_error(
            DatabaseErrorKind::UniqueViolation,
            "duplicate key value violates unique constraint",
        );
        assert!(matches!(err, ApiError::Conflict(_)));
    }

    #[test]
    fn a_full_disk_is_unavailable_not_internal() {
        for message in [
            "database or disk is full", // SQLITE_FULL
            "could not extend file \"base/16384/16385\": No space left on device", // 53100
        ] {
            let err = database_error(DatabaseErrorKind::Unknown, message);
            assert!(matches!(err, ApiError::StorageFull), "{message}");
            assert_eq!(err.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        }
    }

    #[test]
    fn a_wait_that_ran_out_is_unavailable() {
        for message in [
            "canceling statement due to lock timeout",        // 55P03
            "could not obtain lock on row in relation \"x\"", // 55P03 NOWAIT
            "canceling statement due to statement timeout",   // 57014
            "database is locked",                             // SQLITE_BUSY
        ] {
            let err = database_error(DatabaseErrorKind::Unknown, message);
            assert!(matches!(err, ApiError::Unavailable), "{message}");
        }
    }
}

// The error answers each kind of operation documents: every one
// `application/problem+json` with the `Problem` schema; 401 carries
// `WWW-Authenticate` and 503 `Retry-After`. Written as tables, so the shared
// answers are said once.

const UNAUTHORIZED: (u16, &str) = (401, "No valid bearer token.");
const FORBIDDEN: (u16, &str) = (403, "The caller's role may not do this.");
const TOO_LARGE: (u16, &str) = (413, "The body is larger than the service accepts.");
const NOT_JSON: (u16, &str) = (415, "The body is not `application/json`.");
const UNAVAILABLE: (u16, &str) = (
    503,
    "The database is unreachable, or the partnership's requests are using its whole \
     share of it; retry after `Retry-After` seconds.",
);

type Responses =
    std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::response::Response>>;

fn problems(answers: &[(u16, &str)]) -> Responses {
    use utoipa::openapi::header::HeaderBuilder;
    use utoipa::openapi::response::ResponseBuilder;
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    use utoipa::openapi::{ContentBuilder, Ref};
    answers
        .iter()
        .map(|&(status, description)| {
            let content = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build();
            let mut response = ResponseBuilder::new()
                .description(description)
                .content(PROBLEM_JSON, content);
            match status {
                401 => {
                    response = response.header(
                        "WWW-Authenticate",
                        HeaderBuilder::new()
                            .schema(ObjectBuilder::new().schema_type(Type::String))
                            .description(Some("RFC 6750 challenge"))
                            .build(),
                    )
                }
                503 => {
                    response = response.header(
                        "Retry-After",
                        HeaderBuilder::new()
                            .schema(
                                ObjectBuilder::new()
                                    .schema_type(Type::Integer)
                                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32))),
                            )
                            .description(Some("Seconds to wait"))
                            .build(),
                    )
                }
                _ => {}
            }
            (status.to_string(), response.build().into())
        })
        .collect()
}

macro_rules! error_answers {
    ($($(#[$doc:meta])* $name:ident [$($answer:expr),+ $(,)?])+) => {$(
        $(#[$doc])*
        pub struct $name;
        impl utoipa::IntoResponses for $name {
            fn responses() -> Responses {
                problems(&[$($answer),+])
            }
        }
    )+};
}

error_answers! {
    /// The error answers of a protected read of one record.
    ReadErrors [
        UNAUTHORIZED,
        FORBIDDEN,
        (404, "No such record, or it belongs to a partnership the caller cannot see."),
        UNAVAILABLE,
    ]
    /// The error answers of a list.
    ListErrors [
        (400, "A query parameter out of range or malformed (`limit`, `cursor`, a filter)."),
        UNAUTHORIZED,
        FORBIDDEN,
        (404, "The partnership (or meeting) does not exist for this caller."),
        UNAVAILABLE,
    ]
    /// The error answers of a create (`POST`).
    CreateErrors [
        (400, "Malformed JSON or a malformed `Idempotency-Key`."),
        UNAUTHORIZED,
        FORBIDDEN,
        (404, "The partnership or a referenced record does not exist for this caller."),
        (409, "A unique value is taken, the record's state forbids it, or a request with this `Idempotency-Key` could not be replayed."),
        TOO_LARGE,
        NOT_JSON,
        (422, "Invalid fields (listed in `errors`), or an `Idempotency-Key` reused with another body."),
        UNAVAILABLE,
    ]
    /// The error answers of a step of a life cycle (`POST .../approve`) or of
    /// a POST that changes a record: a create's, and 412.
    TransitionErrors [
        (400, "Malformed JSON, `If-Match` or `Idempotency-Key`."),
        UNAUTHORIZED,
        FORBIDDEN,
        (404, "No such record for this caller."),
        (409, "The record's state forbids this step, or a request with this `Idempotency-Key` could not be replayed."),
        (412, "`If-Match` names a version that is no longer current, or the record changed while the request ran: read it again."),
        TOO_LARGE,
        NOT_JSON,
        (422, "Invalid fields (listed in `errors`), or an `Idempotency-Key` reused with another body."),
        UNAVAILABLE,
    ]
    /// The error answers of a submission of values (JSON or CSV).
    SubmissionErrors [
        (400, "Malformed JSON, a malformed `Idempotency-Key`, a query parameter that is unknown or malformed, `period` or `organisation_id` missing from the query of a `text/csv` body, or a flag given in the body and the query with different values."),
        UNAUTHORIZED,
        (403, "The caller may not submit for this organisation (a submitter names only its own), or the role may not submit."),
        (404, "No such partnership for this caller."),
        (409, "A request with this `Idempotency-Key` could not be replayed."),
        (412, "A value changed while this request ran: submit again."),
        TOO_LARGE,
        (415, "The body is neither `application/json` nor `text/csv`."),
        (422, "Invalid fields (listed in `errors`): the period, the organisation, more than 10,000 values or none, a CSV header without `metric` and `value`; or an `Idempotency-Key` reused with another body. A value that does not fit is not an error: it is in the summary's `rejected`."),
        UNAVAILABLE,
    ]
    /// The error answers of a paper's upload (`POST .../papers`): the body is
    /// the file.
    UploadErrors [
        (400, "A malformed `Idempotency-Key`, a query parameter that is unknown or malformed, or an upload cut off."),
        UNAUTHORIZED,
        FORBIDDEN,
        (404, "No such meeting or item for this caller."),
        (409, "The minutes are approved (reopen them first), or a request with this `Idempotency-Key` could not be replayed."),
        (413, "The file is larger than `PAPER_MAX_BYTES` (25 MB by default): nothing is kept."),
        (415, "The `Content-Type` is not a type a paper may be, or the file's bytes are not that type: nothing is kept."),
        (422, "Invalid query fields (listed in `errors`: `title`, `label`, `file_name`), or an `Idempotency-Key` reused with another file."),
        UNAVAILABLE,
    ]
    /// The error answers of a new version of a paper (`PUT .../content`).
    ReplaceErrors [
        (400, "Malformed `If-Match`, a query parameter that is unknown or malformed, or an upload cut off."),
        UNAUTHORIZED,
        FORBIDDEN,
        (404, "No such meeting, item or paper for this caller."),
        (409, "The minutes are approved (reopen them first)."),
        (412, "`If-Match` names a version that is no longer current: read again."),
        (413, "The file is larger than `PAPER_MAX_BYTES` (25 MB by default): nothing is kept."),
        (415, "The `Content-Type` is not a type a paper may be, or the file's bytes are not that type: nothing is kept."),
        (422, "Invalid query fields, listed in `errors`."),
        (428, "`If-Match` is missing (RFC 6585 §3)."),
        UNAVAILABLE,
    ]
    /// The error answers of a change (`PATCH`).
    UpdateErrors [
        (400, "Malformed JSON or `If-Match`."),
        UNAUTHORIZED,
        FORBIDDEN,
        (404, "No such record for this caller."),
        (409, "A unique value is taken, or the record's state forbids the change."),
        (412, "`If-Match` names a version that is no longer current: read again and reapply."),
        TOO_LARGE,
        NOT_JSON,
        (422, "Invalid fields, listed in `errors`."),
        (428, "`If-Match` is missing (RFC 6585 §3)."),
        UNAVAILABLE,
    ]
    /// The error answers of a `DELETE`: no body, so no 413, 415 or 422.
    DeleteErrors [
        (400, "Malformed `If-Match`."),
        UNAUTHORIZED,
        FORBIDDEN,
        (404, "No such record for this caller."),
        (409, "The record's state forbids removing it (e.g. approved minutes)."),
        (412, "`If-Match` names a version that is no longer current."),
        (428, "`If-Match` is missing (RFC 6585 §3)."),
        UNAVAILABLE,
    ]
}
