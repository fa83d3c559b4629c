//! Gap-free numbers handed out in the caller's transaction: the seq of audit
//! events (the change log), action numbers, and soon risk numbers.
//!
//! One row per scope and name, incremented by an upsert. The row stays locked
//! until the transaction ends, so a second writer of the same scope waits:
//! numbers follow commit order, and a rolled-back transaction gives its
//! number back. That serialises writers of one partnership for the rest of
//! their transaction, which is why callers take a number last.

use diesel::prelude::*;

use super::schema::counters::dsl as c;
use super::{DbConnection, Id};
use crate::error::ApiError;

/// The counter of the change log: audit events' `seq`.
pub const CHANGE_LOG: &str = "audit";

/// Whose numbers: a partnership's, or the platform's (the shared registry).
/// Ordered as locks are taken: the platform first, then partnerships by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Platform,
    Partnership(Id),
}

impl Scope {
    pub fn of(partnership_id: Option<Id>) -> Self {
        partnership_id.map_or(Scope::Platform, Scope::Partnership)
    }

    fn key(self) -> String {
        match self {
            Scope::Partnership(id) => id.to_string(),
            Scope::Platform => "platform".to_owned(),
        }
    }
}

/// Takes the lock of `name` in `scope` without taking a number, so that a
/// write holds its scope's counter before it locks any row: two writes of
/// one partnership then queue on the counter instead of each holding a row
/// the other needs (a deadlock on PostgreSQL). The counter is created at 0
/// when it does not exist yet, so the first two writes of a scope queue too.
/// Called by [`super::tx::Tx`] only: a write holds its scope by opening one.
pub(super) fn hold(conn: &mut DbConnection, scope: Scope, name: &str) -> Result<(), ApiError> {
    let row = (c::scope.eq(scope.key()), c::name.eq(name), c::value.eq(0));
    match conn {
        DbConnection::Pg(pg) => diesel::insert_into(c::counters)
            .values(row)
            .on_conflict((c::scope, c::name))
            .do_update()
            .set(c::value.eq(c::value))
            .execute(pg)?,
        DbConnection::Sqlite(lite) => diesel::insert_into(c::counters)
            .values(row)
            .on_conflict((c::scope, c::name))
            .do_update()
            .set(c::value.eq(c::value))
            .execute(lite)?,
    };
    Ok(())
}

/// Holds `name` in `scope` shared (`FOR SHARE` on PostgreSQL): any number
/// of transactions may hold it so together, while one that holds it
/// exclusively ([`hold`]) waits for them, or they for it. Creates the counter
/// at 0 when it does not exist yet. A no-op on SQLite (one writer).
pub(super) fn hold_shared(
    conn: &mut DbConnection,
    scope: Scope,
    name: &str,
) -> Result<(), ApiError> {
    let DbConnection::Pg(pg) = conn else {
        return Ok(());
    };
    let row = (c::scope.eq(scope.key()), c::name.eq(name), c::value.eq(0));
    diesel::insert_into(c::counters)
        .values(row)
        .on_conflict((c::scope, c::name))
        .do_nothing()
        .execute(pg)?;
    c::counters
        .filter(c::scope.eq(scope.key()))
        .filter(c::name.eq(name))
        .select(c::value)
        .for_share()
        .first::<i64>(pg)?;
    Ok(())
}

/// Takes the next `n` numbers of `name` in `scope` in one statement and
/// answers the last of them (the first is `last - n + 1`): a batch of n
/// records numbers its events without n round trips.
pub(super) fn advance(
    conn: &mut DbConnection,
    scope: Scope,
    name: &str,
    n: i64,
) -> Result<i64, ApiError> {
    if n < 1 {
        return Err(ApiError::internal("a counter advances by at least one"));
    }
    let row = (c::scope.eq(scope.key()), c::name.eq(name), c::value.eq(n));
    // An upsert is the one statement whose SQL differs by backend in diesel.
    let value = match conn {
        DbConnection::Pg(pg) => diesel::insert_into(c::counters)
            .values(row)
            .on_conflict((c::scope, c::name))
            .do_update()
            .set(c::value.eq(c::value + n))
            .returning(c::value)
            .get_result(pg)?,
        DbConnection::Sqlite(lite) => diesel::insert_into(c::counters)
            .values(row)
            .on_conflict((c::scope, c::name))
            .do_update()
            .set(c::value.eq(c::value + n))
            .returning(c::value)
            .get_result(lite)?,
    };
    Ok(value)
}

/// Makes sure the next number of `name` in `scope` follows `at_least` (a
/// number given from outside, e.g. an action imported from an existing log),
/// holding the counter as [`advance`] does.
pub(super) fn raise(
    conn: &mut DbConnection,
    scope: Scope,
    name: &str,
    at_least: i64,
) -> Result<(), ApiError> {
    use diesel::dsl::case_when;
    let row = (
        c::scope.eq(scope.key()),
        c::name.eq(name),
        c::value.eq(at_least),
    );
    let raised = case_when::<_, _, diesel::sql_types::BigInt>(c::value.lt(at_least), at_least)
        .otherwise(c::value);
    match conn {
        DbConnection::Pg(pg) => diesel::insert_into(c::counters)
            .values(row)
            .on_conflict((c::scope, c::name))
            .do_update()
            .set(c::value.eq(raised))
            .execute(pg)?,
        DbConnection::Sqlite(lite) => diesel::insert_into(c::counters)
            .values(row)
            .on_conflict((c::scope, c::name))
            .do_update()
            .set(c::value.eq(raised))
            .execute(lite)?,
    };
    Ok(())
}
