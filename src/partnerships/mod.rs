//! Partnerships: the tenants. Every other record belongs to one.

pub mod model;
pub mod routes;
pub mod rules;

pub use model::Partnership;
