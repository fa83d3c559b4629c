//! The rules of rate limiting as plain functions over plain values: which
//! limit applies to a caller, an instance's share of it, what a request
//! costs, and how the limit is written in the IETF `RateLimit-Policy` and
//! `RateLimit` header fields (draft-ietf-httpapi-ratelimit-headers, the
//! structured-field form).

use crate::db::Id;

/// The highest rate or burst a client may be given through the API (the
/// database checks the same range), and the highest configured burst: a
/// bucket's refill time then stays within what the limiter counts in.
pub const MAX_LIMIT: u32 = 1_000_000;

/// Values of a submission that cost as much as one ordinary request.
pub const VALUES_PER_UNIT: usize = 100;

/// Which limit a policy is: the configured one, or a client's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyName {
    Default,
    Client,
}

impl PolicyName {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyName::Default => "default",
            PolicyName::Client => "client",
        }
    }
}

/// One instance's bucket for a caller: it holds `burst` units and refills
/// at `per_minute` units a minute. A request costs one unit (a bulk one
/// more, see [`submission_cost`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Policy {
    pub name: PolicyName,
    pub per_minute: u32,
    pub burst: u32,
}

/// A client's own limits, set by a partnership admin; an unset one falls
/// back to the configured default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Override {
    pub per_minute: Option<u32>,
    pub burst: Option<u32>,
}

impl Override {
    /// From the client's stored columns (the database keeps them in range;
    /// anything else counts as unset).
    pub fn from_columns(per_minute: Option<i32>, burst: Option<i32>) -> Self {
        let positive = |v: Option<i32>| v.and_then(|v| u32::try_from(v).ok()).filter(|v| *v > 0);
        Override {
            per_minute: positive(per_minute),
            burst: positive(burst),
        }
    }

    fn is_set(self) -> bool {
        self.per_minute.is_some() || self.burst.is_some()
    }
}

/// The configured limits (`RATE_LIMIT_PER_MINUTE`, `RATE_LIMIT_BURST`,
/// `INSTANCES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// 0: no limit unless a client has one of its own.
    pub per_minute: u32,
    pub burst: u32,
    /// How many instances share the configured limits.
    pub instances: u32,
}

impl Limits {
    /// The policy this instance applies to a caller with `own` limits, or
    /// `None` when no limit applies.
    ///
    /// Buckets live in each instance's memory, so that a read is never a
    /// database write: each instance enforces its share of the limit, the
    /// limit divided by `INSTANCES` (at least 1). A caller whose requests a
    /// load balancer spreads evenly gets the whole configured limit; one
    /// pinned to one instance gets that instance's share.
    pub fn policy(&self, own: Override) -> Option<Policy> {
        let per_minute = own.per_minute.unwrap_or(self.per_minute);
        if per_minute == 0 {
            return None;
        }
        let burst = own.burst.unwrap_or(self.burst);
        Some(Policy {
            name: if own.is_set() {
                PolicyName::Client
            } else {
                PolicyName::Default
            },
            per_minute: share(per_minute, self.instances),
            burst: share(burst, self.instances),
        })
    }
}

/// One instance's share of a limit: at least 1, so a limit never becomes
/// a refusal of everything.
pub fn share(limit: u32, instances: u32) -> u32 {
    (limit / instances.max(1)).max(1)
}

impl Policy {
    /// Seconds an empty bucket takes to fill: the `w` of `RateLimit-Policy`
    /// (its `q` is the bucket's capacity, so `q / w` is the sustained rate).
    pub fn window_seconds(&self) -> u64 {
        ceil_div(u64::from(self.burst) * 60, u64::from(self.per_minute)).max(1)
    }

    /// Seconds until a bucket with `remaining` units is full again.
    pub fn seconds_to_full(&self, remaining: u32) -> u64 {
        let missing = u64::from(self.burst.saturating_sub(remaining));
        ceil_div(missing * 60, u64::from(self.per_minute))
    }

    /// What a request of `units` is charged: never more than the bucket
    /// holds, so that a large request waits for a full bucket rather than
    /// being refused for ever; never less than one.
    pub fn charge(&self, units: u32) -> u32 {
        units.clamp(1, self.burst.max(1))
    }

    /// The `RateLimit-Policy` field value, e.g. `"default";q=100;w=10`.
    pub fn policy_field(&self) -> String {
        format!(
            "\"{}\";q={};w={}",
            self.name.as_str(),
            self.burst,
            self.window_seconds()
        )
    }

    /// The `RateLimit` field value, e.g. `"default";r=42;t=6`: units left
    /// and seconds until the bucket is full.
    pub fn state_field(&self, remaining: u32) -> String {
        format!(
            "\"{}\";r={};t={}",
            self.name.as_str(),
            remaining.min(self.burst),
            self.seconds_to_full(remaining)
        )
    }

    /// The `detail` of a 429.
    pub fn refusal_detail(&self, retry_after: u64) -> String {
        format!(
            "this caller is over its rate limit ({} requests a minute, at most {} at once, \
             on this instance); retry in {retry_after} s",
            self.per_minute, self.burst
        )
    }
}

fn ceil_div(a: u64, b: u64) -> u64 {
    a.div_ceil(b.max(1))
}

/// What a submission of `values` values costs: one unit per
/// [`VALUES_PER_UNIT`] values or part of it, at least one, so that 10,000
/// values are not one call.
pub fn submission_cost(values: usize) -> u32 {
    u32::try_from(values.div_ceil(VALUES_PER_UNIT))
        .unwrap_or(u32::MAX)
        .max(1)
}

/// A wait in whole seconds for `Retry-After`: rounded up, at least 1.
pub fn retry_after_seconds(wait: std::time::Duration) -> u64 {
    let whole = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    whole.max(1)
}

/// Whether requests to `path` are rate-limited: the `/v1` API, but not the
/// token endpoint (it has a failure limiter of its own) or the public
/// minutes, which take no token. Operational routes (`/healthz`,
/// `/metrics`, `/docs`, `/openapi.json`) are not limited either.
pub fn limited_path(path: &str) -> bool {
    path.starts_with("/v1/") && path != "/v1/oauth/token" && !path.starts_with("/v1/public/")
}

/// The partnership a refusal is counted against in `/metrics`: the one the
/// path names (`/v1/partnerships/{id}/...`) when the caller has a role
/// there, else the caller's only partnership, else `None` ("platform": a
/// platform administrator, an operator token with several roles). Taken
/// from the caller's signed roles, never from the path alone, so a caller
/// cannot make up label values.
pub fn counted_partnership(path: &str, roles: &[Id]) -> Option<Id> {
    let named = path
        .strip_prefix("/v1/partnerships/")
        .and_then(|rest| rest.split('/').next())
        .and_then(|segment| segment.parse::<Id>().ok())
        .filter(|id| roles.contains(id));
    match (named, roles) {
        (Some(id), _) => Some(id),
        (None, [only]) => Some(*only),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIGURED: Limits = Limits {
        per_minute: 600,
        burst: 100,
        instances: 1,
    };

    #[test]
    fn a_client_limit_overrides_the_default_field_by_field() {
        let default = CONFIGURED.policy(Override::default()).unwrap();
        assert_eq!(
            (default.name, default.per_minute, default.burst),
            (PolicyName::Default, 600, 100)
        );
        let own = CONFIGURED
            .policy(Override {
                per_minute: Some(60),
                burst: None,
            })
            .unwrap();
        assert_eq!(
            (own.name, own.per_minute, own.burst),
            (PolicyName::Client, 60, 100)
        );
        let off = Limits {
            per_minute: 0,
            ..CONFIGURED
        };
        assert_eq!(off.policy(Override::default()), None);
        assert_eq!(
            off.policy(Override {
                per_minute: None,
                burst: Some(5)
            }),
            None
        );
        assert_eq!(
            off.policy(Override {
                per_minute: Some(30),
                burst: None
            })
            .map(|p| p.per_minute),
            Some(30)
        );
    }

    #[test]
    fn each_instance_enforces_its_share() {
        let two = Limits {
            instances: 2,
            ..CONFIGURED
        };
        let policy = two.policy(Override::default()).unwrap();
        assert_eq!((policy.per_minute, policy.burst), (300, 50));
        assert_eq!(share(1, 4), 1);
        assert_eq!(share(7, 2), 3);
        assert_eq!(share(10, 0), 10);
    }

    #[test]
    fn the_header_fields_are_structured_fields() {
        let policy = CONFIGURED.policy(Override::default()).unwrap();
        assert_eq!(policy.policy_field(), "\"default\";q=100;w=10");
        assert_eq!(policy.state_field(100), "\"default\";r=100;t=0");
        assert_eq!(policy.state_field(99), "\"default\";r=99;t=1");
        assert_eq!(policy.state_field(0), "\"default\";r=0;t=10");
        let slow = Policy {
            name: PolicyName::Client,
            per_minute: 1,
            burst: 3,
        };
        assert_eq!(slow.policy_field(), "\"client\";q=3;w=180");
        assert_eq!(slow.state_field(2), "\"client\";r=2;t=60");
        let fast = Policy {
            name: PolicyName::Default,
            per_minute: 1_000_000,
            burst: 1,
        };
        assert_eq!(fast.policy_field(), "\"default\";q=1;w=1");
    }

    #[test]
    fn a_submission_costs_by_its_values_up_to_the_bucket() {
        assert_eq!(submission_cost(0), 1);
        assert_eq!(submission_cost(1), 1);
        assert_eq!(submission_cost(100), 1);
        assert_eq!(submission_cost(101), 2);
        assert_eq!(submission_cost(10_000), 100);
        let small = Policy {
            name: PolicyName::Default,
            per_minute: 60,
            burst: 20,
        };
        assert_eq!(small.charge(submission_cost(10_000)), 20);
        assert_eq!(small.charge(0), 1);
        assert_eq!(small.charge(3), 3);
    }

    #[test]
    fn retry_after_is_whole_seconds_and_never_zero() {
        use std::time::Duration;
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1001)), 2);
        assert_eq!(retry_after_seconds(Duration::from_secs(3)), 3);
    }

    #[test]
    fn only_the_authenticated_api_is_limited() {
        assert!(limited_path("/v1/partnerships"));
        assert!(limited_path("/v1/meetings/x/minutes"));
        for path in [
            "/v1/oauth/token",
            "/v1/public/partnerships/h/meetings/x/minutes",
            "/healthz",
            "/metrics",
            "/openapi.json",
            "/docs/",
            "/.well-known/jwks.json",
        ] {
            assert!(!limited_path(path), "{path}");
        }
    }

    #[test]
    fn refusals_count_against_a_partnership_of_the_caller() {
        let (a, b) = (Id::new(), Id::new());
        let path = |p: Id| format!("/v1/partnerships/{p}/people");
        assert_eq!(counted_partnership(&path(a), &[a, b]), Some(a));
        assert_eq!(counted_partnership(&path(b), &[a]), Some(a));
        assert_eq!(counted_partnership("/v1/meetings/x", &[b]), Some(b));
        assert_eq!(counted_partnership(&path(a), &[]), None);
        assert_eq!(counted_partnership("/v1/organisations", &[a, b]), None);
    }

    #[test]
    fn stored_limits_out_of_range_count_as_unset() {
        assert_eq!(
            Override::from_columns(Some(0), Some(-3)),
            Override::default()
        );
        assert_eq!(
            Override::from_columns(Some(60), None),
            Override {
                per_minute: Some(60),
                burst: None
            }
        );
    }
}
