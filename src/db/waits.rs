//! How long a request may wait on the database, so that a stalled or stopped
//! database answers 503 (with `Retry-After`) within a second instead of
//! holding a worker: the pool checkout, a lock wait, one statement, and
//! opening a connection are each bounded.

use std::time::{Duration, Instant};

use super::{DbPool, PooledConn};
use crate::error::ApiError;

/// The bounds, read from `DB_CHECKOUT_TIMEOUT_MS`, `DB_LOCK_TIMEOUT_MS`,
/// `DB_STATEMENT_TIMEOUT_MS` and `DB_CONNECT_TIMEOUT_S`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waits {
    /// From the request reaching the database layer to holding a pooled
    /// connection, queueing for a blocking thread included.
    pub checkout: Duration,
    /// A wait for a row or table lock (PostgreSQL `lock_timeout`), or for
    /// the write lock (SQLite `busy_timeout`).
    pub lock: Duration,
    /// One statement (PostgreSQL `statement_timeout`).
    pub statement: Duration,
    /// Opening a PostgreSQL connection (libpq `connect_timeout`, whole
    /// seconds; libpq treats 1 as 2). Connections are opened by the pool in
    /// the background, so this bounds recovery, not a request.
    pub connect_seconds: u64,
}

impl Default for Waits {
    fn default() -> Self {
        Waits {
            checkout: Duration::from_millis(800),
            // Above PostgreSQL's deadlock_timeout (1 s by default), so a
            // deadlock is detected (a retryable 409) before a lock wait
            // runs out (503).
            lock: Duration::from_millis(2000),
            statement: Duration::from_millis(5000),
            connect_seconds: 2,
        }
    }
}

impl Waits {
    /// `url` with `connect_timeout` (unless it names one) and the session's
    /// `lock_timeout` and `statement_timeout` as start-up options, so they are
    /// the connection's defaults (`RESET` returns to them) from its first
    /// statement, at no extra round trip.
    pub fn postgres_url(&self, url: &str) -> String {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut params: Vec<String> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        if !params.iter().any(|p| p.starts_with("connect_timeout=")) {
            params.push(format!("connect_timeout={}", self.connect_seconds));
        }
        // %20 is a space and %3D an equals sign inside the options value.
        let ours = format!(
            "-c%20lock_timeout%3D{}%20-c%20statement_timeout%3D{}",
            self.lock.as_millis(),
            self.statement.as_millis()
        );
        match params.iter_mut().find(|p| p.starts_with("options=")) {
            // Ours come last, so they win over the same settings in the URL.
            Some(options) => {
                options.push_str("%20");
                options.push_str(&ours);
            }
            None => params.push(format!("options={ours}")),
        }
        format!("{base}?{}", params.join("&"))
    }

    /// The SQLite `busy_timeout` pragma value, in milliseconds.
    pub fn busy_timeout_ms(&self) -> u128 {
        self.lock.as_millis()
    }
}

/// When a request started waiting for the database: its checkout may use
/// what is left of the pool's checkout timeout, so time spent queueing for a
/// blocking thread counts too.
#[derive(Debug, Clone, Copy)]
pub struct Asked(Instant);

tokio::task_local! {
    /// How long the request waited for its share of the database
    /// (`http::shares`), for its first checkout.
    static WAITED: std::cell::Cell<Option<Duration>>;
}

/// Runs a request's handler knowing how long it waited for its share of the
/// database: its first checkout then gets only what is left of the checkout
/// timeout, so share and pool together wait no longer than it (the time the
/// handler spends reading the body in between is not counted).
pub async fn after_waiting<F: std::future::Future>(waited: Duration, handler: F) -> F::Output {
    WAITED
        .scope(std::cell::Cell::new(Some(waited)), handler)
        .await
}

impl Asked {
    /// Now, or, for a request's first call to the database, as long before
    /// now as it waited for its share.
    pub fn now() -> Self {
        let now = Instant::now();
        let waited = WAITED.try_with(|w| w.take()).ok().flatten();
        Asked(waited.and_then(|w| now.checked_sub(w)).unwrap_or(now))
    }
}

/// A pooled connection, waiting no longer than the pool's checkout timeout
/// counted from `asked`. Past it, an idle connection is still taken, but
/// none is waited for: the answer is 503 with `Retry-After`.
pub fn checkout(pool: &DbPool, asked: Asked) -> Result<PooledConn, ApiError> {
    let left = pool.connection_timeout().saturating_sub(asked.0.elapsed());
    pool.get_timeout(left).map_err(|e| {
        log::warn!("database unavailable: {e}");
        ApiError::Unavailable
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waits() -> Waits {
        Waits {
            checkout: Duration::from_millis(800),
            lock: Duration::from_millis(1000),
            statement: Duration::from_millis(5000),
            connect_seconds: 2,
        }
    }

    #[test]
    fn a_plain_url_gets_every_bound() {
        assert_eq!(
            waits().postgres_url("postgres://u@h:5432/db"),
            "postgres://u@h:5432/db?connect_timeout=2&options=-c%20lock_timeout%3D1000%20-c%20statement_timeout%3D5000"
        );
    }

    #[test]
    fn a_url_keeps_its_own_connect_timeout_and_options() {
        assert_eq!(
            waits().postgres_url(
                "postgres://u@h/db?sslmode=disable&connect_timeout=7&options=-c%20search_path%3Dx"
            ),
            "postgres://u@h/db?sslmode=disable&connect_timeout=7&options=-c%20search_path%3Dx%20-c%20lock_timeout%3D1000%20-c%20statement_timeout%3D5000"
        );
    }

    #[test]
    fn sqlite_waits_for_the_write_lock_as_long_as_for_a_row_lock() {
        assert_eq!(waits().busy_timeout_ms(), 1000);
    }
}
