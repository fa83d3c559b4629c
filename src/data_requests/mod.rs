//! Data requests: a partnership asks agencies for a quarter's metrics by a
//! due date, and reads back how complete the answers are ("why is data not
//! being provided"). Values are linked to the open request that asked for
//! them (`crate::submissions`).

pub mod completeness;
pub mod model;
pub mod routes;
pub mod rules;

pub use model::DataRequest;
