//! Safeguarding Partnership API: governance records of multi-agency
//! safeguarding partnerships behind JWT-secured REST/JSON endpoints.

pub mod access;
pub mod actions;
pub mod app;
pub mod attendees;
pub mod audit;
pub mod auth;
pub mod budgets;
pub mod changes;
pub mod clients;
pub mod config;
pub mod data_requests;
pub mod db;
pub mod decisions;
pub mod declarations;
pub mod demo;
pub mod error;
pub mod groups;
pub mod http;
pub mod items;
pub mod meetings;
pub mod members;
pub mod metrics;
pub mod minutes;
pub mod names;
pub mod openapi;
pub mod ops;
pub mod organisations;
pub mod papers;
pub mod partnerships;
pub mod people;
pub mod rate_limits;
pub mod recording;
pub mod risks;
pub mod state;
pub mod submissions;
pub mod validate;
pub mod webhooks;

pub use app::Application;

/// Every `/v1` route, resource by resource.
pub fn routes(cfg: &mut actix_web::web::ServiceConfig) {
    partnerships::routes::configure(cfg);
    organisations::routes::configure(cfg);
    members::routes::configure(cfg);
    people::routes::configure(cfg);
    groups::routes::configure(cfg);
    meetings::routes::configure(cfg);
    attendees::routes::configure(cfg);
    items::routes::configure(cfg);
    papers::routes::configure(cfg);
    decisions::routes::configure(cfg);
    declarations::routes::configure(cfg);
    minutes::routes::configure(cfg);
    minutes::lifecycle::configure(cfg);
    recording::routes::configure(cfg);
    metrics::routes::configure(cfg);
    submissions::routes::configure(cfg);
    data_requests::routes::configure(cfg);
    clients::routes::configure(cfg);
    clients::oauth::configure(cfg);
    audit::routes::configure(cfg);
    changes::routes::configure(cfg);
    webhooks::routes::configure(cfg);
    actions::routes::configure(cfg);
    access::routes::configure(cfg);
    risks::routes::configure(cfg);
    budgets::routes::configure(cfg);
    budgets::ledger_routes::configure(cfg);
}
