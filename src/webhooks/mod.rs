//! Webhooks: subscriptions to a partnership's events, signed deliveries
//! that follow its change log, and the delivery log.

pub mod deliveries;
pub mod events;
pub mod model;
pub mod routes;
pub mod scheduled;
pub mod signing;
pub mod target;
pub mod worker;
