//! Gap-free numbers handed out in the caller's transaction: the seq of audit
//! events (the change log), and soon action and risk numbers.
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

/// Whose numbers: a partnership's, or the platform's (the shared registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Partnership(Id),
    Platform,
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

/// The next number of `name` in `scope`: 1 for the first.
pub fn next(conn: &mut DbConnection, scope: Scope, name: &str) -> Result<i64, ApiError> {
    let row = (
        c::scope.eq(scope.key()),
        c::name.eq(name),
        c::value.eq(1_i64),
    );
    // An upsert is the one statement whose SQL differs by backend in diesel.
    let value = match conn {
        DbConnection::Pg(pg) => diesel::insert_into(c::counters)
            .values(row)
            .on_conflict((c::scope, c::name))
            .do_update()
            .set(c::value.eq(c::value + 1))
            .returning(c::value)
            .get_result(pg)?,
        DbConnection::Sqlite(lite) => diesel::insert_into(c::counters)
            .values(row)
            .on_conflict((c::scope, c::name))
            .do_update()
            .set(c::value.eq(c::value + 1))
            .returning(c::value)
            .get_result(lite)?,
    };
    Ok(value)
}
