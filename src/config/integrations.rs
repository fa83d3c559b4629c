//! The `WEBHOOK_*` settings.

use std::net::SocketAddr;

use super::{bad, local_secret, parse_number, ConfigError};
use crate::db::Backend;

/// The `WEBHOOK_*` settings. Secrets are sealed with `WEBHOOK_SECRET_KEY`;
/// without it, with a key derived from `JWT_SECRET` (so rotating that secret
/// makes stored webhook secrets unreadable: set the key in production), or
/// on the embedded default with a key generated beside the database.
pub(super) fn integrations(
    lookup: &impl Fn(&str) -> Option<String>,
    database: &Backend,
    own: SocketAddr,
) -> Result<crate::state::Integrations, ConfigError> {
    use crate::webhooks::signing::SealingKey;
    let label = "safeguarding-api webhook secrets";
    let sealing_key = match (lookup("WEBHOOK_SECRET_KEY"), lookup("JWT_SECRET"), database) {
        (Some(key), _, _) if key.len() >= 32 => Some(SealingKey::from_text(label, key.as_bytes())),
        (Some(_), _, _) => return Err(bad("WEBHOOK_SECRET_KEY", "must be at least 32 bytes long")),
        (None, Some(secret), _) if secret.len() >= 32 => {
            Some(SealingKey::from_text(label, secret.as_bytes()))
        }
        (None, _, Backend::Sqlite(path)) if path != ":memory:" => Some(SealingKey::from_text(
            label,
            &local_secret(path, "webhook-key").map_err(|e| bad("WEBHOOK_SECRET_KEY", e))?,
        )),
        _ => None,
    };
    let allow_private = match lookup("WEBHOOK_ALLOW_PRIVATE").as_deref().map(str::trim) {
        None | Some("") | Some("0") | Some("false") => false,
        Some("1") | Some("true") => true,
        Some(other) => {
            return Err(bad(
                "WEBHOOK_ALLOW_PRIVATE",
                format!("'{other}' is not 1 or 0"),
            ))
        }
    };
    let worker = !matches!(
        lookup("WEBHOOK_WORKER").as_deref().map(str::trim),
        Some("0") | Some("false")
    );
    let ms = |variable: &'static str, default: u64| -> Result<std::time::Duration, ConfigError> {
        let value: u64 = parse_number(lookup, variable, default)?;
        if value == 0 {
            return Err(bad(variable, "must be at least 1"));
        }
        Ok(std::time::Duration::from_millis(value))
    };
    let timeout = ms("WEBHOOK_TIMEOUT_MS", 10_000)?;
    // Well inside a delivery lease (60 s), so an attempt never outlives it.
    if timeout > std::time::Duration::from_secs(15) {
        return Err(bad("WEBHOOK_TIMEOUT_MS", "must be at most 15000"));
    }
    let max_attempts: i32 = parse_number(lookup, "WEBHOOK_MAX_ATTEMPTS", 12)?;
    if !(1..=50).contains(&max_attempts) {
        return Err(bad("WEBHOOK_MAX_ATTEMPTS", "must be between 1 and 50"));
    }
    Ok(crate::state::Integrations {
        sealing_key,
        reach: crate::webhooks::target::Reach { allow_private, own },
        worker,
        poll: ms("WEBHOOK_POLL_MS", 1_000)?,
        retry_base: ms("WEBHOOK_RETRY_BASE_MS", 10_000)?,
        max_attempts,
        timeout,
        schedule: ms("WEBHOOK_SCHEDULE_MS", 60_000)?,
    })
}
