//! Organisations (agencies): a registry shared by all partnerships, since one
//! police force or ICB serves several.

pub mod model;
pub mod routes;
pub mod rules;

pub use model::Organisation;
