//! The token endpoint's lockout counts, kept in the database so that they
//! hold across instances (the rules are [`super::throttle`]'s). An attempt
//! adds to its counts in one transaction when it starts, and is judged on
//! the counts it leaves: two instances' concurrent guesses are counted one
//! after the other (the row's lock on PostgreSQL; SQLite has one writer).
//! A success takes its attempt back and keeps its source as the client's
//! own; an attempt the database could not judge is taken back.
//!
//! These rows are bookkeeping, not changes of records: written without a
//! write scope or audit events, as the access log is.

use std::net::IpAddr;
use std::time::Duration;

use diesel::prelude::*;

use super::throttle::{self, Count, Policy};
use crate::db::schema::{token_failures as failures, token_sources as sources};
use crate::db::{self, DbConnection, DbPool, Id, UtcTime};
use crate::error::ApiError;

/// The lockout of the token endpoint, with its limits.
pub struct FailureLimiter {
    policy: Policy,
}

/// An attempt under way: what it counted against.
#[derive(Debug, Clone)]
pub struct Attempt {
    client: Option<Id>,
    source: String,
    keys: Vec<String>,
}

impl FailureLimiter {
    /// A limit of 0 turns that count off.
    pub fn new(per_client: u32, per_address: u32, window: Duration) -> Self {
        FailureLimiter {
            policy: Policy {
                per_client,
                per_address,
                window,
            },
        }
    }

    /// Starts an attempt: `Ok(Err(seconds))` while it is locked out;
    /// otherwise it counts as failed until [`FailureLimiter::succeeded`]
    /// takes it back.
    pub async fn begin(
        &self,
        pool: &DbPool,
        client: &str,
        address: Option<IpAddr>,
    ) -> Result<Result<Attempt, u64>, ApiError> {
        let policy = self.policy;
        let (key, id, source) = (
            throttle::client_key(client),
            throttle::client_id(client),
            throttle::source(address),
        );
        db::run(pool, move |conn| {
            let now = UtcTime::now();
            diesel::delete(
                failures::table.filter(failures::window_started.le(policy.expired_before(now))),
            )
            .execute(conn)?;
            let known = match id {
                Some(id) => known(conn, id, &source, now)?,
                None => false,
            };
            let counts = policy.counts(&key, &source, known);
            let counted = count(conn, &counts, now)?;
            let keys: Vec<String> = counts.into_iter().map(|c| c.key).collect();
            match policy.verdict(&counted, now) {
                Ok(()) => Ok(Ok(Attempt {
                    client: id,
                    source,
                    keys,
                })),
                // A refused attempt is not a failure: a client retrying
                // through its lockout does not use up its address's count.
                Err(seconds) => {
                    take_back(conn, &keys)?;
                    Ok(Err(seconds))
                }
            }
        })
        .await
    }

    /// The attempt authenticated: it no longer counts, the client starts
    /// afresh from that source, and the source is the client's own.
    pub async fn succeeded(&self, pool: &DbPool, attempt: Attempt) -> Result<(), ApiError> {
        db::run(pool, move |conn| {
            let now = UtcTime::now();
            if let Some((own, rest)) = attempt.keys.split_first() {
                diesel::delete(failures::table.find(own)).execute(conn)?;
                take_back(conn, rest)?;
            }
            if let Some(client) = attempt.client {
                let kept = diesel::update(sources::table.find((client, &attempt.source)))
                    .set(sources::succeeded_at.eq(now))
                    .execute(conn)?;
                if kept == 0 {
                    crate::insert_ignoring!(
                        conn,
                        sources::table,
                        (
                            sources::client_id.eq(client),
                            sources::source.eq(&attempt.source),
                            sources::succeeded_at.eq(now),
                        )
                    )?;
                }
            }
            Ok(())
        })
        .await
    }

    /// The attempt could not be judged (the database was unreachable): it
    /// does not count, so clients retrying through an outage are not locked
    /// out. Best effort: the database may still be unreachable.
    pub async fn cancel(&self, pool: &DbPool, attempt: Attempt) {
        if let Err(e) = db::run(pool, move |conn| take_back(conn, &attempt.keys)).await {
            log::warn!("a token attempt not taken back: {e}");
        }
    }
}

/// Whether the client authenticated from `source` within
/// [`throttle::SOURCE_KEPT`].
fn known(conn: &mut DbConnection, client: Id, source: &str, now: UtcTime) -> QueryResult<bool> {
    let since = chrono::Duration::from_std(throttle::SOURCE_KEPT)
        .ok()
        .and_then(|kept| now.0.checked_sub_signed(kept))
        .unwrap_or(now.0);
    diesel::select(diesel::dsl::exists(
        sources::table
            .find((client, source))
            .filter(sources::succeeded_at.gt(UtcTime(since))),
    ))
    .get_result(conn)
}

/// Adds one failure to each count (a count whose window ended starts a new
/// one): the counts with this attempt, and when their windows started.
fn count(
    conn: &mut DbConnection,
    counts: &[Count],
    now: UtcTime,
) -> Result<Vec<(Count, u32, UtcTime)>, ApiError> {
    let mut counted = Vec::with_capacity(counts.len());
    for c in counts {
        crate::insert_ignoring!(
            conn,
            failures::table,
            (
                failures::key.eq(&c.key),
                failures::window_started.eq(now),
                failures::failures.eq(0),
            )
        )?;
        diesel::update(failures::table.find(&c.key))
            .set(failures::failures.eq(failures::failures + 1))
            .execute(conn)?;
        let (n, started): (i32, UtcTime) = failures::table
            .find(&c.key)
            .select((failures::failures, failures::window_started))
            .first(conn)?;
        counted.push((c.clone(), n.max(0) as u32, started));
    }
    Ok(counted)
}

/// Takes one failure back from each of `keys`.
fn take_back(conn: &mut DbConnection, keys: &[String]) -> Result<(), ApiError> {
    diesel::update(
        failures::table
            .filter(failures::key.eq_any(keys))
            .filter(failures::failures.gt(0)),
    )
    .set(failures::failures.eq(failures::failures - 1))
    .execute(conn)?;
    Ok(())
}
