//! Rate limits per API client (and per external subject), so that one
//! partnership's runaway integration slows only itself.
//!
//! - **What is limited**: every request to the `/v1` API authenticated by a
//!   bearer token, keyed by the token's subject (an API client's id, an
//!   external subject, an operator token's subject). Requests without a
//!   token (the token endpoint, which has a failure limiter of its own; the
//!   public minutes; `/healthz`, `/metrics`, `/docs`, `/openapi.json`) are
//!   not.
//! - **The bucket**: GCRA (the `governor` crate): `RATE_LIMIT_BURST` units at
//!   once, refilled at `RATE_LIMIT_PER_MINUTE`; a client may have limits of
//!   its own, set by a partnership admin on the client and read through the
//!   client cache (`clients::live`, 2 s), never a query per request.
//! - **Per instance**: buckets live in memory, so a read is never a database
//!   write; each instance enforces the limits divided by `INSTANCES`, and
//!   the header fields say that instance's share.
//! - **Cost**: a request is one unit; a submission one per 100 values
//!   (capped at the bucket's capacity, so it waits for a full bucket).
//! - **On the wire**: 429 `application/problem+json` with `Retry-After`;
//!   `RateLimit-Policy` and `RateLimit` on every answer to a limited request.

pub mod limiter;
pub mod middleware;
pub mod rules;

pub use limiter::RateLimits;
pub use middleware::{middleware, Charge};
pub use rules::{Limits, Override};
