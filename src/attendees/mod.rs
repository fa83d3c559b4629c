//! Who attended a meeting: people of the partnership or named guests, their
//! attendance, role, and whom they deputised for.

pub mod model;
pub mod routes;
pub mod rules;

pub use model::Attendee;
