//! API clients: machine credentials for an agency's system, with a role in one
//! partnership (or platform administration), traded for short-lived tokens at
//! `POST /v1/oauth/token`.

pub mod live;
pub mod lockout;
pub mod model;
pub mod oauth;
pub mod routes;
pub mod rules;
pub mod throttle;

pub use model::ApiClient;
