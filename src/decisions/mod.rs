//! Decisions taken on an agenda item:
//! `/v1/meetings/{id}/items/{item_id}/decisions`. A confidential item's
//! decisions are confidential with it. A sub-resource has a folder of its own
//! like any resource; only its path nests.

pub mod model;
pub mod routes;
pub mod rules;

pub use model::Decision;
