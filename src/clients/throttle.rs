//! The rules of the token endpoint's lockout: which counts an attempt adds
//! to, and when they refuse it. The counts themselves are kept in the
//! database ([`super::lockout`]), so every instance sees the same ones.
//!
//! An attempt counts, in a fixed window each, against:
//! - the client from its source (`TOKEN_FAILURES_PER_CLIENT`);
//! - its source across clients (`TOKEN_FAILURES_PER_ADDRESS`): one address
//!   trying many clients;
//! - unless the client has authenticated from that source before, the
//!   client from the sources it never authenticated from
//!   ([`ELSEWHERE_FACTOR`] times the per-client limit): guesses spread over
//!   many addresses.
//!
//! So a stranger who knows a client's id and fails on purpose locks out
//! only themselves (their source, and then every source the client has not
//! used), never the sources the client authenticates from. Over a limit
//! every attempt is refused with 429 until the window ends, a correct
//! secret too, so a secret cannot be found by guessing.
//!
//! Every attempt counts when it starts (so concurrent guesses cannot all
//! slip past the check) and a successful one is taken back. Client ids count
//! by their parsed UUID (so `ABC...`, `{abc...}` and `urn:uuid:abc...` are
//! one client) and every unparsable id shares one count; IPv6 addresses
//! count by their /64, the block one subscriber holds.

use std::net::IpAddr;
use std::time::Duration;

use crate::db::{Id, UtcTime};

/// The limit on a client's failures from the sources it never
/// authenticated from, as a multiple of its limit from one source: one
/// stranger's source reaches its own limit well before it.
pub const ELSEWHERE_FACTOR: u32 = 4;

/// How long a source a client authenticated from stays its own.
pub const SOURCE_KEPT: Duration = Duration::from_secs(90 * 24 * 3_600);

/// The limits (`TOKEN_FAILURES_*`); a limit of 0 turns that count off.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub per_client: u32,
    pub per_address: u32,
    pub window: Duration,
}

/// The client an attempt names, as counted.
pub fn client_key(client: &str) -> String {
    match client_id(client) {
        Some(id) => id.to_string(),
        None => "<unparsable>".to_owned(),
    }
}

/// The client's id, in any spelling of a UUID.
pub fn client_id(client: &str) -> Option<Id> {
    uuid::Uuid::parse_str(client.trim()).ok().map(Id)
}

/// Where an attempt comes from, as counted: an IPv4 address (an IPv6 one
/// that maps it counts as it), an IPv6 /64, or `unknown`.
pub fn source(address: Option<IpAddr>) -> String {
    match address {
        Some(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let mut octets = v6.octets();
            octets[8..].fill(0);
            format!("{}/64", std::net::Ipv6Addr::from(octets))
        }
        Some(IpAddr::V6(v6)) => v6.to_ipv4_mapped().expect("mapped").to_string(),
        Some(v4) => v4.to_string(),
        None => "unknown".to_owned(),
    }
}

/// One count an attempt adds to, and its limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    pub key: String,
    pub limit: u32,
}

impl Policy {
    /// The counts an attempt by `client` from `source` adds to; `known`:
    /// the client has authenticated from that source.
    pub fn counts(&self, client: &str, source: &str, known: bool) -> Vec<Count> {
        let mut counts = vec![
            Count {
                key: format!("client:{client}|from:{source}"),
                limit: self.per_client,
            },
            Count {
                key: format!("from:{source}"),
                limit: self.per_address,
            },
        ];
        if !known {
            counts.push(Count {
                key: format!("client:{client}|elsewhere"),
                limit: self.per_client.saturating_mul(ELSEWHERE_FACTOR),
            });
        }
        counts.retain(|c| c.limit > 0);
        counts
    }

    /// Whether an attempt is refused, given each count with this attempt
    /// added and when its window started: `Err(seconds)` to wait.
    pub fn verdict(&self, counted: &[(Count, u32, UtcTime)], now: UtcTime) -> Result<(), u64> {
        let window = chrono::Duration::from_std(self.window).unwrap_or(chrono::Duration::MAX);
        let mut wait = None;
        for (count, failures, started) in counted {
            let ends = started.0.checked_add_signed(window).unwrap_or(started.0);
            if *failures > count.limit && ends > now.0 {
                let seconds = ((ends - now.0).num_milliseconds().max(0) as u64).div_ceil(1_000);
                wait = Some(wait.unwrap_or(1).max(seconds.max(1)));
            }
        }
        match wait {
            Some(seconds) => Err(seconds),
            None => Ok(()),
        }
    }

    /// Windows that started before this have ended.
    pub fn expired_before(&self, now: UtcTime) -> UtcTime {
        let window = chrono::Duration::from_std(self.window).unwrap_or(chrono::Duration::MAX);
        UtcTime(now.0.checked_sub_signed(window).unwrap_or(now.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C1: &str = "0196a3c4-0000-7000-8000-000000000001";

    fn policy(per_client: u32, per_address: u32) -> Policy {
        Policy {
            per_client,
            per_address,
            window: Duration::from_secs(60),
        }
    }

    #[test]
    fn a_stranger_counts_against_the_client_elsewhere_a_known_source_does_not() {
        let p = policy(5, 20);
        let keys = |known| {
            p.counts(&client_key(C1), "203.0.113.9", known)
                .into_iter()
                .map(|c| (c.key, c.limit))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            keys(false),
            [
                (format!("client:{C1}|from:203.0.113.9"), 5),
                ("from:203.0.113.9".to_owned(), 20),
                (format!("client:{C1}|elsewhere"), 20),
            ]
        );
        assert_eq!(
            keys(true).len(),
            2,
            "a known source: not the elsewhere count"
        );
    }

    #[test]
    fn spellings_of_one_id_are_one_client_and_unparsable_ids_share_one() {
        for spelling in [
            C1.to_uppercase(),
            format!("urn:uuid:{C1}"),
            C1.replace('-', ""),
            format!("{{{C1}}}"),
        ] {
            assert_eq!(client_key(&spelling), C1);
        }
        assert_eq!(client_key("guess-1"), client_key("guess-2"));
    }

    #[test]
    fn ipv6_counts_by_its_64_and_mapped_ipv4_as_ipv4() {
        let v6 = |last: u16| Some(IpAddr::from([0x2001, 0xdb8, 1, 2, 0, 0, 0, last]));
        assert_eq!(source(v6(1)), source(v6(99)));
        assert_eq!(source(v6(1)), "2001:db8:1:2::/64");
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(source(Some(mapped)), "192.0.2.7");
        assert_eq!(source(None), "unknown");
    }

    #[test]
    fn refused_over_a_limit_until_its_window_ends() {
        let p = policy(3, 100);
        let t0 = UtcTime::now();
        let count = p.counts(C1, "home", false)[0].clone();
        let at = |s: i64| UtcTime(t0.0 + chrono::Duration::seconds(s));
        assert_eq!(p.verdict(&[(count.clone(), 3, t0)], t0), Ok(()));
        assert_eq!(p.verdict(&[(count.clone(), 4, t0)], t0), Err(60));
        assert_eq!(p.verdict(&[(count.clone(), 9, t0)], at(45)), Err(15));
        assert_eq!(p.verdict(&[(count, 9, t0)], at(60)), Ok(()));
        assert_eq!(p.expired_before(at(60)).0, t0.0);
    }

    #[test]
    fn zero_turns_a_limit_off() {
        assert!(policy(0, 0).counts(C1, "home", false).is_empty());
        assert_eq!(policy(0, 7).counts(C1, "home", false).len(), 1);
    }
}
