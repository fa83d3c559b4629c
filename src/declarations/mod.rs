//! Declarations of interest made at a meeting. "No declarations" is recorded
//! on the meeting itself (`no_declarations`), so it is never confused with
//! "not recorded".

pub mod model;
pub mod routes;

pub use model::Declaration;
