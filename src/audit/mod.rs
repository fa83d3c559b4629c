//! The audit trail: who, when, what, before and after, for every change.

pub mod model;
pub mod routes;

pub use model::{record_many, record_noted, record_shared, AuditEvent, Audited, Change};
