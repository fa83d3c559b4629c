//! The rate limit on the wire: every request authenticated by a bearer
//! token to the `/v1` API is charged to its subject's bucket before anything
//! else reads it; over the limit it is answered 429 there. Every answer to
//! such a request, errors included, carries `RateLimit-Policy` and
//! `RateLimit`. A bulk handler charges what its request costs beyond the
//! first unit through [`Charge`].

use std::future::{ready, Ready};

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use super::limiter::{Allowance, RateLimits, Tally};
use super::rules::{self, Override};
use crate::auth::authenticate;
use crate::error::ApiError;
use crate::http::telemetry::Telemetry;

pub const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
pub const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// The 429 of a refused charge.
fn refusal(tally: &Tally, retry_after: u64) -> ApiError {
    ApiError::RateLimited {
        retry_after,
        detail: tally.policy.refusal_detail(retry_after),
    }
}

fn write_fields(headers: &mut HeaderMap, tally: &Tally) {
    let fields = [
        (RATELIMIT_POLICY, tally.policy.policy_field()),
        (RATELIMIT, tally.policy.state_field(tally.remaining)),
    ];
    for (name, value) in fields {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
}

/// Charges the request, refuses it when its caller's bucket is empty, and
/// writes the header fields on the answer. Sits inside the client check
/// (`clients::live`), which leaves the client's own limits ([`Override`])
/// in the request's extensions, read from its 2-second cache.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let limits = req.app_data::<web::Data<RateLimits>>().cloned();
    let caller = match limits {
        Some(limits) if rules::limited_path(req.path()) => {
            authenticate(req.request()).ok().and_then(|principal| {
                let own = req
                    .extensions()
                    .get::<Override>()
                    .copied()
                    .unwrap_or_default();
                let policy = limits.policy(own)?;
                Some((limits.begin(&principal.subject, policy), principal))
            })
        }
        _ => None,
    };
    let Some((budget, principal)) = caller else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let count = |request: &HttpRequest| {
        let roles: Vec<_> = principal.roles.keys().copied().collect();
        let partnership = rules::counted_partnership(request.path(), &roles);
        if let Some(telemetry) = request.app_data::<web::Data<Telemetry>>() {
            telemetry.rate_limited(partnership);
        }
    };
    let first = budget.tally();
    if let Some(retry_after) = first.refused {
        count(req.request());
        let mut res = req.error_response(refusal(&first, retry_after));
        write_fields(res.headers_mut(), &first);
        return Ok(res.map_into_boxed_body());
    }
    req.extensions_mut().insert(budget.clone());
    let mut res = next.call(req).await?;
    let last = budget.tally();
    if last.refused.is_some() {
        count(res.request());
    }
    write_fields(res.headers_mut(), &last);
    Ok(res.map_into_boxed_body())
}

/// A handler's access to its request's budget, for a request that costs
/// more than one unit (a submission of many values). Without a limit on
/// the request it charges nothing.
pub struct Charge(Option<Allowance>);

impl Charge {
    /// Makes the request cost `units` in all, capped at the bucket's
    /// capacity (so a large request waits for a full bucket, never refused
    /// for ever): 429 with `Retry-After` when the bucket does not hold it
    /// yet. Call it once the body is read, before any work.
    pub fn total(&self, units: u32) -> Result<(), ApiError> {
        let Some(budget) = &self.0 else {
            return Ok(());
        };
        budget
            .settle(units)
            .map_err(|retry_after| refusal(&budget.tally(), retry_after))
    }
}

impl FromRequest for Charge {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Charge(req.extensions().get::<Allowance>().cloned())))
    }
}
