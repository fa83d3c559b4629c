//! Meeting papers: files attached to agenda items (the appendices an item
//! is taken on), stored content-addressed, redacted like their items.

pub mod demo;
pub mod model;
pub mod ranges;
pub mod routes;
pub mod sniff;
pub mod storage;
pub mod sweep;
