//! One request records a meeting: the minutes as one document
//! (`POST /v1/partnerships/{id}/meetings/record`), read back in the same
//! shape (`GET /v1/meetings/{id}/record`) and saved again over a draft
//! (`PUT /v1/meetings/{id}/record`). People, groups and agencies are named
//! as the minutes name them; the document is planned whole before anything
//! is written, so a fault anywhere writes nothing and every fault is named.

pub mod document;
pub mod model;
pub mod names;
pub mod plan;
pub mod replace;
pub mod routes;
