//! The minutes of a meeting as one record (JSON, Markdown, HTML), and the
//! public, redacted copy of published minutes.

pub mod cache;
pub mod document;
pub mod lifecycle;
pub mod render;
pub mod routes;
pub mod sanitise;
pub mod snapshot;

pub use document::MinutesDocument;
