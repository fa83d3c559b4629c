//! Failed token requests are counted per client id and per address in a
//! fixed window. Over either limit every request is refused with 429 and
//! `Retry-After` until the window ends — a correct secret too, so a secret
//! cannot be found by guessing. Counts live in memory, per instance.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Client(String),
    Address(IpAddr),
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

pub struct FailureLimiter {
    per_client: u32,
    per_address: u32,
    window: Duration,
    counts: Mutex<HashMap<Key, Window>>,
}

/// Windows kept before expired ones are swept out.
const SWEEP_ABOVE: usize = 10_000;
/// Client ids longer than this are counted by their prefix: ids are UUIDs.
const CLIENT_KEY_CHARS: usize = 64;

impl FailureLimiter {
    /// A limit of 0 turns that count off.
    pub fn new(per_client: u32, per_address: u32, window: Duration) -> Self {
        FailureLimiter {
            per_client,
            per_address,
            window,
            counts: Mutex::new(HashMap::new()),
        }
    }

    fn keys(client: &str, address: Option<IpAddr>) -> [(Option<Key>, bool); 2] {
        let client: String = client.chars().take(CLIENT_KEY_CHARS).collect();
        [
            (Some(Key::Client(client)), true),
            (address.map(Key::Address), false),
        ]
    }

    /// `Err(seconds)` while the client or the address is locked out.
    pub fn check(&self, client: &str, address: Option<IpAddr>, now: Instant) -> Result<(), u64> {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = None;
        for (key, is_client) in Self::keys(client, address) {
            let limit = if is_client {
                self.per_client
            } else {
                self.per_address
            };
            let Some(window) = key.and_then(|k| counts.get(&k).copied()) else {
                continue;
            };
            let ends = window.started + self.window;
            if limit > 0 && window.failures >= limit && ends > now {
                let seconds = (ends - now).as_secs_f64().ceil() as u64;
                wait = Some(wait.unwrap_or(0).max(seconds.max(1)));
            }
        }
        wait.map_or(Ok(()), Err)
    }

    pub fn record_failure(&self, client: &str, address: Option<IpAddr>, now: Instant) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if counts.len() > SWEEP_ABOVE {
            let window = self.window;
            counts.retain(|_, w| w.started + window > now);
        }
        for key in Self::keys(client, address)
            .into_iter()
            .filter_map(|(k, _)| k)
        {
            let entry = counts.entry(key).or_insert(Window {
                started: now,
                failures: 0,
            });
            if entry.started + self.window <= now {
                *entry = Window {
                    started: now,
                    failures: 0,
                };
            }
            entry.failures += 1;
        }
    }

    /// A client that authenticated starts afresh; its address does not.
    pub fn record_success(&self, client: &str) {
        let client: String = client.chars().take(CLIENT_KEY_CHARS).collect();
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.remove(&Key::Client(client));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
    const AWAY: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1)));

    #[test]
    fn locks_a_client_after_its_limit_until_the_window_ends() {
        let limiter = FailureLimiter::new(3, 100, Duration::from_secs(60));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check("c1", HOME, t0).is_ok());
            limiter.record_failure("c1", HOME, t0);
        }
        assert_eq!(limiter.check("c1", AWAY, t0), Err(60));
        assert_eq!(
            limiter.check("c1", HOME, t0 + Duration::from_secs(45)),
            Err(15)
        );
        assert!(
            limiter.check("c2", HOME, t0).is_ok(),
            "other clients are not locked"
        );
        assert!(limiter
            .check("c1", HOME, t0 + Duration::from_secs(60))
            .is_ok());
    }

    #[test]
    fn locks_an_address_trying_many_clients() {
        let limiter = FailureLimiter::new(100, 4, Duration::from_secs(60));
        let t0 = Instant::now();
        for i in 0..4 {
            limiter.record_failure(&format!("guess-{i}"), HOME, t0);
        }
        assert!(limiter.check("anyone", HOME, t0).is_err());
        assert!(limiter.check("anyone", AWAY, t0).is_ok());
    }

    #[test]
    fn success_clears_the_client_count() {
        let limiter = FailureLimiter::new(2, 100, Duration::from_secs(60));
        let t0 = Instant::now();
        limiter.record_failure("c1", HOME, t0);
        limiter.record_success("c1");
        limiter.record_failure("c1", HOME, t0);
        assert!(limiter.check("c1", HOME, t0).is_ok());
    }

    #[test]
    fn zero_turns_a_limit_off() {
        let limiter = FailureLimiter::new(0, 0, Duration::from_secs(60));
        let t0 = Instant::now();
        for _ in 0..50 {
            limiter.record_failure("c1", HOME, t0);
        }
        assert!(limiter.check("c1", HOME, t0).is_ok());
    }
}
