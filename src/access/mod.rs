//! The access log: every disclosure (a read of a confidential record, of
//! minutes, an export, the calendar feed) and every refused attempt on a
//! partnership's record: who, what, when, under which role, allowed or
//! refused (the record DPA 2018 s.62 asks for). Reads are not changes: the
//! log is written without the change log's counter and without audit events.

pub mod model;
pub mod refusals;
pub mod routes;

pub use model::{record_document, record_reads, AccessEntry, AccessOutcome};
