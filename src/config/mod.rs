//! Settings, read only from environment variables (a `.env` file is loaded
//! first if present). A bad setting stops start-up with one line naming it.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::auth::{issuers, keys, TokenKeys};
use crate::db::Backend;

mod integrations;
pub mod papers;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/safeguarding.db";
pub const DEFAULT_LISTEN_ADDR: &str = "127.0.0.1:8080";
pub use crate::auth::token::{TOKEN_AUDIENCE, TOKEN_ISSUER};

#[derive(Clone)]
pub struct Settings {
    pub database: Backend,
    pub listen_addr: SocketAddr,
    /// Every signing and verifying key, built from the JWT_* settings.
    pub token_keys: Arc<TokenKeys>,
    /// Failed token requests allowed per client id, and per address, in a window.
    pub token_failures_per_client: u32,
    pub token_failures_per_address: u32,
    pub token_failure_window_seconds: u64,
    /// Behind a load balancer that appends the caller to `X-Forwarded-For`.
    pub trust_forwarded_for: bool,
    /// Requests per caller (`RATE_LIMIT_PER_MINUTE`, `RATE_LIMIT_BURST`),
    /// shared by `INSTANCES` instances.
    pub rate_limits: crate::rate_limits::Limits,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Largest body of a bulk route (a submission), in bytes.
    pub max_bulk_body_bytes: usize,
    /// Browser origins allowed to call the service (CORS); none by default.
    pub cors_allowed_origins: Vec<String>,
    /// `CLOCK_FIXED_AT` (RFC 3339): the instant derived facts are computed
    /// at, instead of the system clock.
    pub clock: crate::state::Clock,
    pub db_pool_size: u32,
    /// How long a request waits on the database (`DB_*_TIMEOUT_*`).
    pub db_waits: crate::db::Waits,
    /// Connections one partnership's requests may hold at once (`DB_SHARE`).
    pub db_share: u32,
    /// Connections the requests that name no partnership may hold at once.
    pub db_platform_share: u32,
    /// Longest a request waits for its partnership's share, then 503.
    pub db_share_wait: std::time::Duration,
    pub workers: usize,
    /// Webhooks: the sealing key, which receivers, the worker's pace.
    pub integrations: crate::state::Integrations,
    /// Meeting papers: where their bytes are kept, the largest, the sweep.
    pub papers: papers::Papers,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("database", &self.database.name())
            .field("listen_addr", &self.listen_addr)
            .field("token_keys", &"<redacted>")
            .finish()
    }
}

/// A setting that could not be used: the variable and why.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {variable}: {reason}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub reason: String,
}

fn bad(variable: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        reason: reason.into(),
    }
}

impl Settings {
    /// Reads the process environment (after loading `.env`, if any).
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests can supply their own values.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let database_url =
            lookup("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let database = Backend::from_url(&database_url).map_err(|e| bad("DATABASE_URL", e))?;

        let listen = lookup("LISTEN_ADDR").unwrap_or_else(|| DEFAULT_LISTEN_ADDR.to_owned());
        let listen_addr = listen.parse().map_err(|_| {
            bad(
                "LISTEN_ADDR",
                format!("'{listen}' is not an address like 127.0.0.1:8080"),
            )
        })?;

        let token_keys = token_keys(&lookup, &database)?;
        let token_failures_per_client = parse_number(&lookup, "TOKEN_FAILURES_PER_CLIENT", 5)?;
        let token_failures_per_address = parse_number(&lookup, "TOKEN_FAILURES_PER_ADDRESS", 20)?;
        let token_failure_window_seconds: u64 =
            parse_number(&lookup, "TOKEN_FAILURE_WINDOW_SECONDS", 900)?;
        if !(1..=86_400).contains(&token_failure_window_seconds) {
            return Err(bad(
                "TOKEN_FAILURE_WINDOW_SECONDS",
                "must be between 1 and 86400 (a day)",
            ));
        }
        let trust_forwarded_for = match lookup("TRUST_FORWARDED_FOR").as_deref().map(str::trim) {
            None | Some("") | Some("0") | Some("false") => false,
            Some("1") | Some("true") => true,
            Some(other) => {
                return Err(bad(
                    "TRUST_FORWARDED_FOR",
                    format!("'{other}' is not true or false"),
                ))
            }
        };

        let rate_limits = rate_limits(&lookup)?;
        let max_body_bytes = parse_number(&lookup, "MAX_BODY_BYTES", 1_048_576)?;
        let max_bulk_body_bytes = parse_number(&lookup, "MAX_BULK_BODY_BYTES", 16_777_216)?;
        let cors_allowed_origins = lookup("CORS_ALLOWED_ORIGINS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(parse_origin)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad("CORS_ALLOWED_ORIGINS", e))?;
        let clock = match lookup("CLOCK_FIXED_AT").as_deref().map(str::trim) {
            None | Some("") => crate::state::Clock::System,
            Some(text) => chrono::DateTime::parse_from_rfc3339(text)
                .map(|t| {
                    crate::state::Clock::Fixed(crate::db::UtcTime(t.with_timezone(&chrono::Utc)))
                })
                .map_err(|_| {
                    bad(
                        "CLOCK_FIXED_AT",
                        format!("'{text}' is not a time like 2019-12-01T09:00:00Z"),
                    )
                })?,
        };
        let cpus = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let workers = parse_number(&lookup, "WORKERS", cpus)?;
        let default_pool = match database {
            // SQLite has one writer at a time; more connections only wait on its lock.
            Backend::Sqlite(_) => 8,
            Backend::Postgres(_) => (cpus * 4) as u32,
        };
        let db_pool_size = parse_number(&lookup, "DB_POOL_SIZE", default_pool)?;
        if db_pool_size == 0 {
            return Err(bad("DB_POOL_SIZE", "must be at least 1"));
        }

        let db_waits = db_waits(&lookup)?;
        // An in-memory SQLite database has one connection (see `db::build_pool`).
        let pool = match &database {
            Backend::Sqlite(path) if path == ":memory:" => 1,
            _ => db_pool_size,
        };
        let db_share = parse_number(
            &lookup,
            "DB_SHARE",
            crate::http::shares::default_share(pool),
        )?;
        if db_share == 0 {
            return Err(bad("DB_SHARE", "must be at least 1"));
        }
        let db_platform_share = parse_number(
            &lookup,
            "DB_PLATFORM_SHARE",
            crate::http::shares::default_platform_share(pool),
        )?;
        if db_platform_share == 0 {
            return Err(bad("DB_PLATFORM_SHARE", "must be at least 1"));
        }
        let db_share_wait = std::time::Duration::from_millis(parse_number(
            &lookup,
            "DB_SHARE_WAIT_MS",
            db_waits.checkout.as_millis() as u64,
        )?);

        let integrations = integrations::integrations(&lookup, &database, listen_addr)?;
        let papers = papers::papers(&lookup, &database)?;

        Ok(Settings {
            database,
            listen_addr,
            token_keys: Arc::new(token_keys),
            token_failures_per_client,
            token_failures_per_address,
            token_failure_window_seconds,
            trust_forwarded_for,
            rate_limits,
            max_body_bytes,
            max_bulk_body_bytes,
            cors_allowed_origins,
            clock,
            db_pool_size,
            db_waits,
            db_share,
            db_platform_share,
            db_share_wait,
            workers,
            integrations,
            papers,
        })
    }
}

/// An origin as browsers send it: `https://host` or `http://host:port`, no
/// path and no trailing slash (a browser's `Origin` never has one, so such an
/// entry could never match).
fn parse_origin(origin: &str) -> Result<String, String> {
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or_else(|| format!("'{origin}' must start with http:// or https://"))?;
    let host_ok = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if host_ok {
        // Browsers leave the default port out of `Origin`.
        let origin = origin.to_ascii_lowercase();
        let origin = match origin
            .strip_suffix(":443")
            .or_else(|| origin.strip_suffix(":80"))
        {
            Some(bare) if origin.starts_with("https://") == origin.ends_with(":443") => bare,
            _ => &origin,
        };
        Ok(origin.to_owned())
    } else {
        Err(format!(
            "'{origin}' is not an origin like https://app.example.org (no path, no trailing slash)"
        ))
    }
}

/// The service's keys: `JWT_PRIVATE_KEY_FILE` signs if set, else `JWT_SECRET`
/// (generated beside the database on the embedded default). Keys in
/// `JWT_PREVIOUS_SECRETS` and `JWT_PUBLIC_KEY_FILES` are still accepted, so a
/// rotation never logs anyone out.
fn token_keys(
    lookup: &impl Fn(&str) -> Option<String>,
    database: &Backend,
) -> Result<TokenKeys, ConfigError> {
    let list = |variable: &str| -> Vec<String> {
        lookup(variable)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let read = |variable: &'static str, path: &str| {
        std::fs::read_to_string(path).map_err(|e| bad(variable, format!("cannot read {path}: {e}")))
    };
    let private = lookup("JWT_PRIVATE_KEY_FILE").filter(|p| !p.trim().is_empty());
    let secret = match (lookup("JWT_SECRET"), database, &private) {
        (Some(secret), _, _) if secret.len() >= 32 => Some(secret.into_bytes()),
        (Some(_), _, _) => return Err(bad("JWT_SECRET", "must be at least 32 bytes long")),
        (None, _, Some(_)) => None,
        // The embedded default must run on a fresh machine with nothing set:
        // a secret is generated once and kept beside the database file.
        (None, Backend::Sqlite(path), None) if path != ":memory:" => {
            Some(local_secret(path, "jwt-secret").map_err(|e| bad("JWT_SECRET", e))?)
        }
        (None, _, None) => {
            return Err(bad(
                "JWT_SECRET",
                "is not set (32 bytes or more, e.g. `openssl rand -hex 32`), nor is JWT_PRIVATE_KEY_FILE",
            ))
        }
    };

    let mut own = Vec::new();
    if let Some(path) = &private {
        let pem = read("JWT_PRIVATE_KEY_FILE", path)?;
        own.push(
            keys::private_pem(&pem)
                .map_err(|e| bad("JWT_PRIVATE_KEY_FILE", format!("{path} {e}")))?,
        );
    }
    if let Some(secret) = &secret {
        own.push(keys::hs256(secret));
    }
    for previous in list("JWT_PREVIOUS_SECRETS") {
        if previous.len() < 32 {
            return Err(bad(
                "JWT_PREVIOUS_SECRETS",
                "each secret must be at least 32 bytes long",
            ));
        }
        let mut key = keys::hs256(previous.as_bytes());
        key.signing = None;
        own.push(key);
    }
    for path in list("JWT_PUBLIC_KEY_FILES") {
        let pem = read("JWT_PUBLIC_KEY_FILES", &path)?;
        own.push(
            keys::public_pem(&pem)
                .map_err(|e| bad("JWT_PUBLIC_KEY_FILES", format!("{path} {e}")))?,
        );
    }
    let external = match lookup("EXTERNAL_ISSUERS_FILE").filter(|p| !p.trim().is_empty()) {
        Some(path) => issuers::load(std::path::Path::new(&path), TOKEN_ISSUER)
            .map_err(|e| bad("EXTERNAL_ISSUERS_FILE", e))?,
        None => Vec::new(),
    };
    let keys = TokenKeys::new(own, external).map_err(|e| bad("JWT_SECRET", e))?;
    Ok(keys)
}

/// A development secret kept in `<database dir>/<name>`, created on first use.
fn local_secret(database_path: &str, name: &str) -> Result<Vec<u8>, String> {
    let dir = std::path::Path::new(database_path)
        .parent()
        .unwrap_or(std::path::Path::new("."));
    let file = dir.join(name);
    if let Ok(existing) = std::fs::read_to_string(&file) {
        let existing = existing.trim();
        if existing.len() >= 32 {
            return Ok(existing.as_bytes().to_vec());
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness available: {e}"))?;
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    write_private(&file, &secret).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    log::warn!(
        "{name}: not configured, using the generated secret in {} (set it in production)",
        file.display()
    );
    Ok(secret.into_bytes())
}

fn write_private(file: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(file)?.write_all(contents.as_bytes())
}

/// The rate limit per caller. `RATE_LIMIT_PER_MINUTE=0` turns the default
/// off (a client with a limit of its own keeps it); the number of instances
/// is at least 1 and the burst 1 to 1,000,000 (the most a client may be
/// given: it keeps a bucket's refill time within what the limiter counts).
fn rate_limits(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<crate::rate_limits::Limits, ConfigError> {
    let at_least_one = |variable: &'static str, default: u32| -> Result<u32, ConfigError> {
        match parse_number(lookup, variable, default)? {
            0 => Err(bad(variable, "must be at least 1")),
            n => Ok(n),
        }
    };
    Ok(crate::rate_limits::Limits {
        per_minute: parse_number(lookup, "RATE_LIMIT_PER_MINUTE", 600)?,
        burst: match at_least_one("RATE_LIMIT_BURST", 100)? {
            n if n > crate::rate_limits::rules::MAX_LIMIT => {
                return Err(bad("RATE_LIMIT_BURST", "must be at most 1000000"))
            }
            n => n,
        },
        instances: at_least_one("INSTANCES", 1)?,
    })
}

/// The database wait bounds; each at least 1 (0 would mean "wait forever"
/// to PostgreSQL).
fn db_waits(lookup: &impl Fn(&str) -> Option<String>) -> Result<crate::db::Waits, ConfigError> {
    use std::time::Duration;
    let defaults = crate::db::Waits::default();
    let positive = |variable: &'static str, default: u64| -> Result<u64, ConfigError> {
        match parse_number(lookup, variable, default)? {
            0 => Err(bad(variable, "must be at least 1")),
            n => Ok(n),
        }
    };
    let millis = |d: Duration| d.as_millis() as u64;
    Ok(crate::db::Waits {
        checkout: Duration::from_millis(positive(
            "DB_CHECKOUT_TIMEOUT_MS",
            millis(defaults.checkout),
        )?),
        lock: Duration::from_millis(positive("DB_LOCK_TIMEOUT_MS", millis(defaults.lock))?),
        statement: Duration::from_millis(positive(
            "DB_STATEMENT_TIMEOUT_MS",
            millis(defaults.statement),
        )?),
        connect_seconds: positive("DB_CONNECT_TIMEOUT_S", defaults.connect_seconds)?,
    })
}

fn parse_number<T: std::str::FromStr>(
    lookup: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match lookup(variable) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| bad(variable, format!("'{v}' is not a whole number"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    const SECRET: (&str, &str) = ("JWT_SECRET", "0123456789abcdef0123456789abcdef");

    #[test]
    fn defaults_to_embedded_sqlite() {
        let s = settings(&[SECRET]).unwrap();
        assert_eq!(s.database, Backend::Sqlite("data/safeguarding.db".into()));
        assert_eq!(s.listen_addr.to_string(), "127.0.0.1:8080");
    }

    #[test]
    fn database_waits_default_under_a_second_and_are_never_unbounded() {
        let s = settings(&[SECRET]).unwrap();
        assert_eq!(s.db_waits, crate::db::Waits::default());
        assert!(s.db_waits.checkout < std::time::Duration::from_secs(1));
        let s = settings(&[SECRET, ("DB_LOCK_TIMEOUT_MS", "250")]).unwrap();
        assert_eq!(s.db_waits.lock, std::time::Duration::from_millis(250));
        for variable in [
            "DB_CHECKOUT_TIMEOUT_MS",
            "DB_LOCK_TIMEOUT_MS",
            "DB_STATEMENT_TIMEOUT_MS",
            "DB_CONNECT_TIMEOUT_S",
        ] {
            let err = settings(&[SECRET, (variable, "0")]).unwrap_err();
            assert_eq!(err.variable, variable);
        }
    }

    #[test]
    fn rate_limits_default_for_machine_integrations_and_may_be_turned_off() {
        let s = settings(&[SECRET]).unwrap();
        assert_eq!(
            s.rate_limits,
            crate::rate_limits::Limits {
                per_minute: 600,
                burst: 100,
                instances: 1
            }
        );
        let s = settings(&[
            SECRET,
            ("RATE_LIMIT_PER_MINUTE", "0"),
            ("RATE_LIMIT_BURST", "1000000"),
            ("INSTANCES", "3"),
        ])
        .unwrap();
        assert_eq!(
            (
                s.rate_limits.per_minute,
                s.rate_limits.burst,
                s.rate_limits.instances
            ),
            (0, 1_000_000, 3)
        );
        for (variable, value) in [
            ("RATE_LIMIT_BURST", "0"),
            ("RATE_LIMIT_BURST", "1000001"),
            ("INSTANCES", "0"),
            ("RATE_LIMIT_PER_MINUTE", "-1"),
            ("INSTANCES", "two"),
        ] {
            let err = settings(&[SECRET, (variable, value)]).unwrap_err();
            assert_eq!(err.variable, variable);
        }
    }

    #[test]
    fn cors_origins_are_exact_origins() {
        let s = settings(&[
            SECRET,
            (
                "CORS_ALLOWED_ORIGINS",
                " https://App.example.org, http://127.0.0.1:5173,https://x:443,http://y:80,http://z:443",
            ),
        ])
        .unwrap();
        assert_eq!(
            s.cors_allowed_origins,
            [
                "https://app.example.org",
                "http://127.0.0.1:5173",
                "https://x",
                "http://y",
                "http://z:443"
            ]
        );
        assert!(settings(&[SECRET]).unwrap().cors_allowed_origins.is_empty());
        for bad in [
            "app.example.org",
            "https://app.example.org/",
            "https://x/path",
            "*",
        ] {
            let err = settings(&[SECRET, ("CORS_ALLOWED_ORIGINS", bad)])
                .err()
                .unwrap();
            assert_eq!(err.variable, "CORS_ALLOWED_ORIGINS", "{bad}");
        }
    }

    #[test]
    fn names_the_bad_variable() {
        let err = settings(&[SECRET, ("DATABASE_URL", "mysql://x")])
            .err()
            .unwrap();
        assert_eq!(err.variable, "DATABASE_URL");
        let err = settings(&[SECRET, ("LISTEN_ADDR", "nowhere")])
            .err()
            .unwrap();
        assert_eq!(err.variable, "LISTEN_ADDR");
        let err = settings(&[("JWT_SECRET", "short")]).err().unwrap();
        assert_eq!(err.variable, "JWT_SECRET");
        let err = settings(&[("DATABASE_URL", "postgres://localhost/x")])
            .err()
            .unwrap();
        assert_eq!(err.variable, "JWT_SECRET");
    }

    #[test]
    fn picks_backend_from_scheme() {
        let s = settings(&[
            SECRET,
            ("DATABASE_URL", "postgres://postgres@127.0.0.1/test"),
        ])
        .unwrap();
        assert!(matches!(s.database, Backend::Postgres(_)));
    }
}
