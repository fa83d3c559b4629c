//! The metrics a partnership asks its agencies to report each quarter.

pub mod model;
pub mod period;
pub mod quantity;
pub mod routes;
pub mod rules;

pub use model::Metric;
