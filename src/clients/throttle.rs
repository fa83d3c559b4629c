//! Failed token requests are counted per client id and per address in a
//! fixed window. Over either limit every request is refused with 429 and
//! `Retry-After` until the window ends — a correct secret too, so a secret
//! cannot be found by guessing. Counts live in memory, per instance.
//!
//! Every attempt counts when it starts (so concurrent guesses cannot all slip
//! past the check) and a successful one is taken back. Client ids count by
//! their parsed UUID (so `ABC...`, `{abc...}` and `urn:uuid:abc...` are one
//! client) and every unparsable id shares one count; IPv6 addresses count by
//! their /64, the block one subscriber holds.

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

struct Counts {
    windows: HashMap<Key, Window>,
    swept: Instant,
}

pub struct FailureLimiter {
    per_client: u32,
    per_address: u32,
    window: Duration,
    counts: Mutex<Counts>,
}

/// Most windows kept; past it the oldest are dropped, so memory is bounded.
const MAX_WINDOWS: usize = 100_000;
/// Expired windows are swept at most this often.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

fn client_key(client: &str) -> Key {
    Key::Client(match uuid::Uuid::parse_str(client.trim()) {
        Ok(id) => id.to_string(),
        Err(_) => "<unparsable>".to_owned(),
    })
}

fn address_key(address: IpAddr) -> Key {
    match address {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let mut octets = v6.octets();
            octets[8..].fill(0);
            Key::Address(IpAddr::from(octets))
        }
        IpAddr::V6(v6) => Key::Address(IpAddr::V4(v6.to_ipv4_mapped().expect("mapped"))),
        v4 => Key::Address(v4),
    }
}

impl FailureLimiter {
    /// A limit of 0 turns that count off.
    pub fn new(per_client: u32, per_address: u32, window: Duration) -> Self {
        FailureLimiter {
            per_client,
            per_address,
            window,
            counts: Mutex::new(Counts {
                windows: HashMap::new(),
                swept: Instant::now(),
            }),
        }
    }

    fn keys(&self, client: &str, address: Option<IpAddr>) -> Vec<(Key, u32)> {
        let mut keys = vec![(client_key(client), self.per_client)];
        if let Some(address) = address {
            keys.push((address_key(address), self.per_address));
        }
        keys.retain(|(_, limit)| *limit > 0);
        keys
    }

    /// Starts an attempt: `Err(seconds)` while the client or the address is
    /// locked out; otherwise the attempt counts as failed until
    /// [`FailureLimiter::succeeded`] takes it back.
    pub fn begin(&self, client: &str, address: Option<IpAddr>, now: Instant) -> Result<(), u64> {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        self.sweep(&mut counts, now);
        let keys = self.keys(client, address);
        let mut wait = None;
        for (key, limit) in &keys {
            if let Some(w) = counts.windows.get(key) {
                let ends = w.started + self.window;
                if w.failures >= *limit && ends > now {
                    let seconds = ((ends - now).as_secs_f64().ceil() as u64).max(1);
                    wait = Some(wait.unwrap_or(0).max(seconds));
                }
            }
        }
        if let Some(seconds) = wait {
            return Err(seconds);
        }
        for (key, _) in keys {
            let window = self.window;
            let entry = counts.windows.entry(key).or_insert(Window {
                started: now,
                failures: 0,
            });
            if entry.started + window <= now {
                *entry = Window {
                    started: now,
                    failures: 0,
                };
            }
            entry.failures += 1;
        }
        Ok(())
    }

    /// The attempt authenticated: it no longer counts, and the client starts
    /// afresh.
    pub fn succeeded(&self, client: &str, address: Option<IpAddr>) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.windows.remove(&client_key(client));
        if let Some(address) = address {
            if let Some(w) = counts.windows.get_mut(&address_key(address)) {
                w.failures = w.failures.saturating_sub(1);
            }
        }
    }

    /// The attempt could not be judged (the database was unreachable): it
    /// does not count, so clients retrying through an outage are not locked out.
    pub fn cancel(&self, client: &str, address: Option<IpAddr>) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let mut keys = vec![client_key(client)];
        keys.extend(address.map(address_key));
        for key in keys {
            if let Some(w) = counts.windows.get_mut(&key) {
                w.failures = w.failures.saturating_sub(1);
            }
        }
    }

    fn sweep(&self, counts: &mut Counts, now: Instant) {
        if now.saturating_duration_since(counts.swept) >= SWEEP_EVERY {
            let window = self.window;
            counts.windows.retain(|_, w| w.started + window > now);
            counts.swept = now;
        }
        while counts.windows.len() >= MAX_WINDOWS {
            let oldest = counts
                .windows
                .iter()
                .min_by_key(|(_, w)| w.started)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(key) => counts.windows.remove(&key),
                None => break,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
    const AWAY: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1)));
    const C1: &str = "0196a3c4-0000-7000-8000-000000000001";
    const C2: &str = "0196a3c4-0000-7000-8000-000000000002";

    #[test]
    fn locks_a_client_after_its_limit_until_the_window_ends() {
        let limiter = FailureLimiter::new(3, 100, Duration::from_secs(60));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.begin(C1, HOME, t0).is_ok());
        }
        assert_eq!(limiter.begin(C1, AWAY, t0), Err(60));
        assert_eq!(
            limiter.begin(C1, HOME, t0 + Duration::from_secs(45)),
            Err(15)
        );
        assert!(
            limiter.begin(C2, HOME, t0).is_ok(),
            "other clients are not locked"
        );
        assert!(limiter
            .begin(C1, HOME, t0 + Duration::from_secs(60))
            .is_ok());
    }

    #[test]
    fn spellings_of_one_id_are_one_client() {
        let limiter = FailureLimiter::new(2, 100, Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(limiter.begin(&C1.to_uppercase(), HOME, t0).is_ok());
        assert!(limiter.begin(&format!("urn:uuid:{C1}"), HOME, t0).is_ok());
        assert!(limiter.begin(&C1.replace('-', ""), HOME, t0).is_err());
        // Unparsable ids share one count.
        assert!(limiter.begin("guess-1", AWAY, t0).is_ok());
        assert!(limiter.begin("guess-2", AWAY, t0).is_ok());
        assert!(limiter.begin("guess-3", AWAY, t0).is_err());
    }

    #[test]
    fn locks_an_address_trying_many_clients_and_counts_ipv6_by_64() {
        let limiter = FailureLimiter::new(100, 4, Duration::from_secs(60));
        let t0 = Instant::now();
        let v6 = |last: u16| Some(IpAddr::from([0x2001, 0xdb8, 1, 2, 0, 0, 0, last]));
        for i in 0..4 {
            assert!(limiter
                .begin(&uuid::Uuid::now_v7().to_string(), v6(i), t0)
                .is_ok());
        }
        assert!(limiter.begin(C1, v6(99), t0).is_err(), "same /64");
        assert!(limiter.begin(C1, HOME, t0).is_ok());
    }

    #[test]
    fn success_is_taken_back() {
        let limiter = FailureLimiter::new(2, 2, Duration::from_secs(60));
        let t0 = Instant::now();
        for _ in 0..10 {
            assert!(limiter.begin(C1, HOME, t0).is_ok());
            limiter.succeeded(C1, HOME);
        }
        assert!(limiter.begin(C1, HOME, t0).is_ok());
    }

    #[test]
    fn unjudged_attempts_do_not_count() {
        let limiter = FailureLimiter::new(2, 2, Duration::from_secs(60));
        let t0 = Instant::now();
        limiter.begin(C1, HOME, t0).unwrap();
        for _ in 0..10 {
            assert!(limiter.begin(C1, HOME, t0).is_ok());
            limiter.cancel(C1, HOME);
        }
        assert!(limiter.begin(C1, HOME, t0).is_ok());
        assert!(
            limiter.begin(C1, HOME, t0).is_err(),
            "the real failures still count"
        );
    }

    #[test]
    fn zero_turns_a_limit_off() {
        let limiter = FailureLimiter::new(0, 0, Duration::from_secs(60));
        let t0 = Instant::now();
        for _ in 0..50 {
            assert!(limiter.begin(C1, HOME, t0).is_ok());
        }
    }

    #[test]
    fn memory_is_bounded() {
        // No per-client limit: every attempt adds an address window.
        let limiter = FailureLimiter::new(0, 5, Duration::from_secs(600));
        let t0 = Instant::now();
        for i in 0..(MAX_WINDOWS as u32 + 10) {
            let address = Some(IpAddr::V4(std::net::Ipv4Addr::from(i)));
            assert!(limiter.begin("x", address, t0).is_ok());
        }
        let counts = limiter.counts.lock().unwrap();
        assert_eq!(counts.windows.len(), MAX_WINDOWS);
    }
}
