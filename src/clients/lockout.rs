//! The token endpoint's lockout counts, kept in the database so that they
//! hold across instances (the rules are [`super::throttle`]'s). An attempt
//! first looks at its counts: one already refused writes nothing (so a
//! flood of refused attempts takes no write lock). Otherwise it adds to
//! each count with one upsert (a window that ended starts again) and is
//! judged on what the upserts return: two instances' concurrent guesses are
//! counted one after the other (the row's lock on PostgreSQL; SQLite has
//! one writer). A success takes its attempt back and keeps its source as
//! the client's own; an attempt the database could not judge is taken back.
//! Ended windows, and sources unused for 90 days, are purged by each
//! instance at most once a minute, a bounded batch at a time, once they are
//! a window older than needed (so a purge never races an attempt on a
//! live count). Rows are only written by attempts that go on to have their
//! secret checked (Argon2), which bounds how fast anyone can add them.
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
    /// When this instance last purged ended counts.
    purged: std::sync::Mutex<Option<std::time::Instant>>,
}

/// How often an instance purges ended counts and forgotten sources.
const PURGE_EVERY: Duration = Duration::from_secs(60);

/// Most rows one purge removes of each table.
const PURGE_BATCH: i64 = 5_000;

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
            purged: std::sync::Mutex::new(None),
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
        if self.purge_due() {
            let pool = pool.clone();
            actix_web::rt::spawn(async move {
                if let Err(e) =
                    db::run(&pool, move |conn| purge(conn, policy, UtcTime::now())).await
                {
                    log::warn!("token lockout counts not purged: {e}");
                }
            });
        }
        db::read(pool, move |conn| {
            let now = UtcTime::now();
            let known = match id {
                Some(id) => known(conn, id, &source, now)?,
                None => false,
            };
            let counts = policy.counts(&key, &source, known);
            // A look first: an attempt already refused writes nothing.
            let standing = standing(conn, &counts, policy.expired_before(now))?;
            if let Err(seconds) = policy.verdict(&standing, now) {
                return Ok(Err(seconds));
            }
            db::transaction(conn, |conn| {
                let counted = count(conn, &counts, now, policy.expired_before(now))?;
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
        })
        .await
    }

    /// Whether this instance's once-a-minute purge is due (and now taken).
    fn purge_due(&self) -> bool {
        let mut last = self.purged.lock().unwrap_or_else(|e| e.into_inner());
        let due = last.is_none_or(|at| at.elapsed() >= PURGE_EVERY);
        if due {
            *last = Some(std::time::Instant::now());
        }
        due
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

/// Each count as it stands, with this attempt added (a count whose window
/// ended, or that is not there, is left out: it would start afresh).
fn standing(
    conn: &mut DbConnection,
    counts: &[Count],
    expired_before: UtcTime,
) -> Result<Vec<(Count, u32, UtcTime)>, ApiError> {
    let keys: Vec<&str> = counts.iter().map(|c| c.key.as_str()).collect();
    let rows: Vec<(String, i32, UtcTime)> = failures::table
        .filter(failures::key.eq_any(keys))
        .filter(failures::window_started.gt(expired_before))
        .select((failures::key, failures::failures, failures::window_started))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(key, n, started)| {
            let count = counts.iter().find(|c| c.key == key)?.clone();
            Some((count, (n.max(0) as u32).saturating_add(1), started))
        })
        .collect())
}

/// Adds one failure to each count, in one upsert each (a count whose window
/// ended starts a new one): the counts with this attempt, and when their
/// windows started.
fn count(
    conn: &mut DbConnection,
    counts: &[Count],
    now: UtcTime,
    expired_before: UtcTime,
) -> Result<Vec<(Count, u32, UtcTime)>, ApiError> {
    use diesel::dsl::case_when;
    let mut counted = Vec::with_capacity(counts.len());
    for c in counts {
        let ended = failures::window_started.le(expired_before);
        let row = (
            failures::key.eq(&c.key),
            failures::window_started.eq(now),
            failures::failures.eq(1),
        );
        let renewed = (
            failures::failures.eq(case_when(ended, 1.into_sql::<diesel::sql_types::Integer>())
                .otherwise(failures::failures + 1)),
            failures::window_started.eq(case_when(
                ended,
                now.into_sql::<crate::db::types::TimestampSql>(),
            )
            .otherwise(failures::window_started)),
        );
        let returned = (failures::failures, failures::window_started);
        let (n, started): (i32, UtcTime) = crate::on_each_backend!(conn, c => diesel::insert_into(failures::table)
            .values(row)
            .on_conflict(failures::key)
            .do_update()
            .set(renewed)
            .returning(returned)
            .get_result(c))?;
        counted.push((c.clone(), n.max(0) as u32, started));
    }
    Ok(counted)
}

/// Removes a batch of counts whose windows ended a window ago or more, and
/// of sources unused for [`throttle::SOURCE_KEPT`].
fn purge(conn: &mut DbConnection, policy: Policy, now: UtcTime) -> Result<(), ApiError> {
    let long_ended = policy.expired_before(policy.expired_before(now));
    let ended: Vec<String> = failures::table
        .filter(failures::window_started.le(long_ended))
        .select(failures::key)
        .limit(PURGE_BATCH)
        .load(conn)?;
    diesel::delete(
        failures::table
            .filter(failures::key.eq_any(&ended))
            .filter(failures::window_started.le(long_ended)),
    )
    .execute(conn)?;
    let forgotten = chrono::Duration::from_std(throttle::SOURCE_KEPT)
        .ok()
        .and_then(|kept| now.0.checked_sub_signed(kept))
        .unwrap_or(now.0);
    let old: Vec<(Id, String)> = sources::table
        .filter(sources::succeeded_at.le(UtcTime(forgotten)))
        .select((sources::client_id, sources::source))
        .limit(PURGE_BATCH)
        .load(conn)?;
    for (client, source) in old {
        diesel::delete(sources::table.find((client, source))).execute(conn)?;
    }
    Ok(())
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
