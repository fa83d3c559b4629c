//! Groups (boards) of a partnership: the Strategic Leadership Group, Quality &
//! Effectiveness group, ... each may report to a parent group.

pub mod model;
pub mod routes;
pub mod rules;

pub use model::Group;
