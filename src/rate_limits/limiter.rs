//! The buckets, in this instance's memory: one GCRA limiter (`governor`,
//! keyed by the caller's token subject) per distinct policy, so that a
//! client with a limit of its own has a bucket of that size. A request is
//! never a database write: the only shared state is this map.
//!
//! A caller whose policy changes (an admin set its limit) starts with a
//! full bucket of the new size; its old state is dropped by the next sweep.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};

use super::rules::{self, Limits, Override, Policy};

type Bucket =
    RateLimiter<String, DashMapStateStore<String>, DefaultClock, StateInformationMiddleware>;

/// How often the state of callers whose bucket is full again is dropped.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Every caller's bucket on this instance.
pub struct RateLimits {
    limits: Limits,
    buckets: Mutex<Buckets>,
}

struct Buckets {
    by_policy: HashMap<Policy, Arc<Bucket>>,
    swept: Instant,
}

/// The outcome of charging a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub policy: Policy,
    /// Units left in the bucket.
    pub remaining: u32,
    /// Set when refused: seconds until the charge would be taken
    /// (`Retry-After`).
    pub refused: Option<u64>,
}

impl RateLimits {
    pub fn new(limits: Limits) -> Self {
        RateLimits {
            limits,
            buckets: Mutex::new(Buckets {
                by_policy: HashMap::new(),
                swept: Instant::now(),
            }),
        }
    }

    /// The policy for a caller with `own` limits; `None`: not limited.
    pub fn policy(&self, own: Override) -> Option<Policy> {
        self.limits.policy(own)
    }

    fn bucket(&self, policy: Policy) -> Arc<Bucket> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if now.duration_since(buckets.swept) >= SWEEP_EVERY {
            buckets.swept = now;
            buckets.by_policy.retain(|_, bucket| {
                bucket.retain_recent();
                !bucket.is_empty()
            });
        }
        buckets
            .by_policy
            .entry(policy)
            .or_insert_with(|| {
                Arc::new(
                    RateLimiter::dashmap(quota(policy))
                        .with_middleware::<StateInformationMiddleware>(),
                )
            })
            .clone()
    }

    /// Starts a request of `subject`: charges it one unit. The budget
    /// carries the outcome and takes what a bulk request costs beyond it.
    pub fn begin(&self, subject: &str, policy: Policy) -> Allowance {
        let bucket = self.bucket(policy);
        let tally = take(&bucket, subject, policy, 1);
        Allowance(Arc::new(Inner {
            bucket,
            subject: subject.to_owned(),
            tally: Mutex::new(tally),
        }))
    }
}

/// The policy as a governor quota: one unit every `60 s / per_minute`,
/// `burst` at once.
fn quota(policy: Policy) -> Quota {
    let period = (Duration::from_secs(60) / policy.per_minute.max(1)).max(Duration::from_nanos(1));
    let burst = NonZeroU32::new(policy.burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(period)
        .unwrap_or(Quota::per_minute(NonZeroU32::MIN))
        .allow_burst(burst)
}

/// Charges `units` (capped at the bucket's capacity) to `subject`.
fn take(bucket: &Bucket, subject: &str, policy: Policy, units: u32) -> Tally {
    let n = NonZeroU32::new(policy.charge(units)).unwrap_or(NonZeroU32::MIN);
    match bucket.check_key_n(&subject.to_owned(), n) {
        Ok(Ok(snapshot)) => Tally {
            policy,
            remaining: snapshot.remaining_burst_capacity(),
            refused: None,
        },
        Ok(Err(not_until)) => {
            let wait = not_until.wait_time_from(bucket.clock().now());
            // GCRA refuses n units when the bucket is `wait` short of them:
            // it holds n less one unit per refill interval of the wait.
            let interval = quota(policy).replenish_interval().as_nanos().max(1);
            let short = wait.as_nanos().div_ceil(interval);
            let remaining = u64::from(n.get()).saturating_sub(short.try_into().unwrap_or(u64::MAX));
            Tally {
                policy,
                remaining: u32::try_from(remaining).unwrap_or(0),
                refused: Some(rules::retry_after_seconds(wait)),
            }
        }
        // Not reached: the charge is capped at the capacity.
        Err(_) => Tally {
            policy,
            remaining: 0,
            refused: Some(policy.window_seconds()),
        },
    }
}

/// A request's account with its caller's bucket, kept in the request's
/// extensions: the middleware charges the first unit, a bulk handler the
/// rest ([`Allowance::settle`]), and the middleware writes the last outcome
/// into the `RateLimit` header fields.
#[derive(Clone)]
pub struct Allowance(Arc<Inner>);

struct Inner {
    bucket: Arc<Bucket>,
    subject: String,
    tally: Mutex<Tally>,
}

impl Allowance {
    /// The latest outcome.
    pub fn tally(&self) -> Tally {
        *self.0.tally.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes the request cost `units` in all (capped at the bucket's
    /// capacity): charges what the first unit did not cover. `Err(seconds)`
    /// when the bucket does not hold it yet.
    pub fn settle(&self, units: u32) -> Result<(), u64> {
        let mut tally = self.0.tally.lock().unwrap_or_else(|e| e.into_inner());
        let policy = tally.policy;
        let more = policy.charge(units).saturating_sub(1);
        if more == 0 || tally.refused.is_some() {
            return tally.refused.map_or(Ok(()), Err);
        }
        *tally = take(&self.0.bucket, &self.0.subject, policy, more);
        tally.refused.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rate_limits::rules::PolicyName;

    fn limits(per_minute: u32, burst: u32) -> RateLimits {
        RateLimits::new(Limits {
            per_minute,
            burst,
            instances: 1,
        })
    }

    #[test]
    fn a_caller_over_its_burst_is_refused_and_others_are_not() {
        let limits = limits(60, 2);
        let policy = limits.policy(Override::default()).unwrap();
        assert_eq!(limits.begin("a", policy).tally().remaining, 1);
        assert_eq!(limits.begin("a", policy).tally().remaining, 0);
        let refused = limits.begin("a", policy).tally();
        assert_eq!(refused.refused, Some(1));
        assert_eq!(refused.remaining, 0);
        assert_eq!(limits.begin("b", policy).tally().refused, None);
    }

    #[test]
    fn a_bulk_request_pays_the_rest_up_to_the_capacity() {
        let limits = limits(60, 10);
        let policy = limits.policy(Override::default()).unwrap();
        let budget = limits.begin("a", policy);
        assert_eq!(budget.settle(4), Ok(()));
        assert_eq!(budget.tally().remaining, 6);
        // 100 units cost the capacity, 10: six are there, so it waits for four.
        let bulk = limits.begin("a", policy);
        let retry = bulk.settle(100).unwrap_err();
        assert!((4..=5).contains(&retry), "{retry}");
        assert_eq!(bulk.tally().remaining, 5);
        // A fresh caller's bucket is full: the capped charge is taken.
        let fresh = limits.begin("b", policy);
        assert_eq!(fresh.settle(1_000), Ok(()));
        assert_eq!(fresh.tally().remaining, 0);
    }

    #[test]
    fn a_client_of_its_own_limit_has_a_bucket_of_that_size() {
        let limits = limits(600, 100);
        let own = limits
            .policy(Override {
                per_minute: Some(60),
                burst: Some(1),
            })
            .unwrap();
        assert_eq!(own.name, PolicyName::Client);
        assert_eq!(limits.begin("a", own).tally().refused, None);
        assert!(limits.begin("a", own).tally().refused.is_some());
        let default = limits.policy(Override::default()).unwrap();
        assert_eq!(limits.begin("a", default).tally().remaining, 99);
    }
}
