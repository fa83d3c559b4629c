//! People of a partnership: the chair, partner representatives, officers.
//! Minutes and action logs name them by initials ("PG", "CB/EH"), so initials
//! are unique within a partnership.

pub mod model;
pub mod routes;
pub mod rules;

pub use model::Person;
pub use rules::Initials;
