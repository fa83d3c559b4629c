//! HTTP pieces shared by every resource, each written once: the JSON body
//! extractor, content negotiation, cursor pagination, the refusal of unknown query parameters,
//! ETag/If-Match, idempotency keys, telemetry, the problem+json fallbacks for errors raised
//! outside handlers, the security headers of every answer, the redacted request log line and CSV
//! a spreadsheet opens safely.

pub mod accept;
pub mod csv_safe;
pub mod etag;
pub mod fallback;
pub mod idempotency;
pub mod json;
pub mod pagination;
pub mod query;
pub mod request_log;
pub mod security_headers;
pub mod shares;
pub mod telemetry;

pub use etag::{derived_view, with_etag, Answer, IfMatch, Versioned};
pub use idempotency::write;
pub use json::{Json, OptionalJson};
pub use pagination::{Page, Paginated};
