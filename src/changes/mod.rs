//! The change feed: a partnership's change log as integrators follow it,
//! each change's resource, id, version, kind and time without the records,
//! in `seq` order, with long polling woken by the change log's bell.

pub mod model;
pub mod routes;
