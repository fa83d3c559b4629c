//! Performance-data submissions: an agency's system pushes a quarter's values
//! in bulk and gets an import summary. A resubmission updates what changed,
//! so a retried push never duplicates anything.

pub mod csv_body;
pub mod model;
pub mod routes;
pub mod rules;
pub mod table;

pub use model::MetricValue;
