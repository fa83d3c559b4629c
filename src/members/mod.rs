//! Partnership members: which agencies belong to a partnership, and whether as
//! a statutory partner (council, police, health) or a relevant agency.

pub mod model;
pub mod routes;
pub mod rules;

pub use model::Member;
