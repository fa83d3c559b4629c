//! The one write path. Every stored resource is a [`Record`] (one
//! [`record!`](crate::record) line per type), and every create, change and
//! removal goes through [`insert`], [`update`], [`delete`] or [`touch`]: they
//! bump `version` and `updated_at`, answer 412 on a stale or lost version,
//! turn a unique violation into a 409 naming the field, and write the audit
//! event, all in the caller's transaction.

use diesel::result::{DatabaseErrorKind, Error as DieselError, QueryResult};
use serde::Serialize;

use super::counter::Scope;
use super::tx::Tx;
use crate::audit::{self, Audited, Change};
use crate::auth::Principal;
use crate::db::{DbConnection, Id, UtcTime};
use crate::error::ApiError;

/// A record with a version number (sent as its `ETag`).
pub trait Versioned {
    fn version(&self) -> i32;
}

/// What `If-Match` asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// `If-Match: *`: any current version.
    Any,
    Version(i32),
    /// A list of entity tags (RFC 9110 §13.1.1): any one of these versions.
    /// Tags this service never sends (weak, or not a version) are left out.
    OneOf(Versions),
}

/// The versions an `If-Match` list names (at most [`Versions::MAX`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Versions {
    named: [i32; Versions::MAX],
    len: usize,
}

impl Versions {
    pub const MAX: usize = 8;

    /// Adds a version; false when the list is full.
    pub fn push(&mut self, version: i32) -> bool {
        if self.len == Self::MAX {
            return false;
        }
        self.named[self.len] = version;
        self.len += 1;
        true
    }

    pub fn as_slice(&self) -> &[i32] {
        &self.named[..self.len]
    }
}

/// Checks the current version against what the caller expected (412).
pub fn check(expected: Expected, current: i32) -> Result<(), ApiError> {
    let stale = |named: &str| {
        ApiError::PreconditionFailed(format!(
            "the record is at version {current}, not {named}; read it again and reapply your change"
        ))
    };
    match expected {
        Expected::Any => Ok(()),
        Expected::Version(v) if v == current => Ok(()),
        Expected::Version(v) => Err(stale(&v.to_string())),
        Expected::OneOf(versions) if versions.as_slice().contains(&current) => Ok(()),
        Expected::OneOf(versions) if versions.as_slice().is_empty() => {
            Err(ApiError::PreconditionFailed(format!(
                "If-Match names no version this service sent (the record is at version \
                 {current}); read it again and reapply your change"
            )))
        }
        Expected::OneOf(versions) => Err(stale(&format!("any of {:?}", versions.as_slice()))),
    }
}

/// A versioned `UPDATE ... WHERE version = ?` that touched no row lost a race.
fn ensure_changed(rows: usize) -> Result<(), ApiError> {
    if rows == 1 {
        Ok(())
    } else {
        Err(ApiError::PreconditionFailed(
            "the record changed while this request ran; read it again".into(),
        ))
    }
}

/// A stored, versioned, audited resource. Write the impl with
/// [`record!`](crate::record); the rows are written only by this module.
pub trait Record: Audited + Versioned + Serialize + Clone {
    /// Unique constraints as (column, field) pairs: a violation of the
    /// constraint on `column` is a 409 naming `field`.
    const UNIQUE: &'static [(&'static str, &'static str)];
    /// Sets `version` and `updated_at`.
    fn stamp(&mut self, version: i32, now: UtcTime);
    /// `INSERT` of the row.
    fn insert_row(&self, conn: &mut DbConnection) -> QueryResult<usize>;

    /// `UPDATE ... SET <self> WHERE id = ? AND version = <at>`.
    fn update_row(&self, conn: &mut DbConnection, at: i32) -> QueryResult<usize>;
    /// `DELETE ... WHERE id = ? AND version = <self.version>`.
    fn delete_row(&self, conn: &mut DbConnection) -> QueryResult<usize>;
}

/// Stores a new record (built at version 1) and audits its creation.
pub fn insert<T: Record>(tx: &mut Tx<'_>, actor: &Principal, record: &T) -> Result<(), ApiError> {
    in_scope(tx, record)?;
    record.insert_row(tx).map_err(|e| write_error(record, e))?;
    audit::record_noted(tx, actor, Change::Create, None, Some(record), None)
}

/// Rows per multi-row `INSERT` of a batch: at most 40 columns a row keeps it
/// under SQLite's 32,766 bind parameters (PostgreSQL allows 65,535).
const ROWS_PER_INSERT: usize = 800;

/// Stores new records (each built at version 1) of one partnership as one
/// write: its change log held once, the rows and their audit events written
/// by multi-row `INSERT`s, the log's `seq` advanced once by their number.
pub fn insert_many<T: Record + BatchInsert>(
    tx: &mut Tx<'_>,
    actor: &Principal,
    records: &[T],
) -> Result<(), ApiError> {
    let Some(first) = records.first() else {
        return Ok(());
    };
    in_scope(tx, first)?;
    for chunk in records.chunks(ROWS_PER_INSERT) {
        T::insert_rows(chunk, tx).map_err(|e| write_error(first, e))?;
    }
    let changes: Vec<(Option<&T>, Option<&T>)> = records.iter().map(|r| (None, Some(r))).collect();
    audit::record_many(tx, actor, Change::Create, &changes)
}

/// Writes each `after` over its `before` (all of one partnership, each read
/// in this write scope, so current: nobody else writes the partnership's rows
/// until it ends) by multi-row upserts on the id, chunked like inserts, and
/// their audit events as one batch. Answers the records as stored.
pub fn update_many<T: Record + BatchUpdate>(
    tx: &mut Tx<'_>,
    actor: &Principal,
    changes: Vec<(T, T)>,
) -> Result<Vec<T>, ApiError> {
    let Some((first, _)) = changes.first() else {
        return Ok(Vec::new());
    };
    in_scope(tx, first)?;
    let now = tx.now();
    let mut stored = Vec::with_capacity(changes.len());
    for (before, after) in &changes {
        if Scope::of(after.partnership_id()) != Scope::of(first.partnership_id())
            || after.id() != before.id()
        {
            return Err(ApiError::internal(
                "a batch update changes records of one partnership, each in place",
            ));
        }
        let mut after = after.clone();
        after.stamp(before.version() + 1, now);
        stored.push(after);
    }
    for (chunk, befores) in stored
        .chunks(ROWS_PER_INSERT)
        .zip(changes.chunks(ROWS_PER_INSERT))
    {
        // An upsert would bring back a row removed meanwhile, and checks no
        // version: each row must still be there at the version read.
        let ids: Vec<Id> = befores.iter().map(|(before, _)| before.id()).collect();
        let current: std::collections::HashMap<Id, i32> =
            T::versions(&ids, tx)?.into_iter().collect();
        for (before, _) in befores {
            if current.get(&before.id()) != Some(&before.version()) {
                ensure_changed(0)?;
            }
        }
        T::update_rows(chunk, tx).map_err(|e| write_error(first, e))?;
    }
    let audited: Vec<(Option<&T>, Option<&T>)> = changes
        .iter()
        .zip(&stored)
        .map(|((before, _), after)| (Some(before), Some(after)))
        .collect();
    audit::record_many(tx, actor, Change::Update, &audited)?;
    Ok(stored)
}

/// Writes `after` over `before` if the caller's `expected` version is
/// current and nobody changed the row meanwhile (412 otherwise), with the
/// next version and `updated_at` now; audits the change. Answers `after` as stored.
pub fn update<T: Record>(
    tx: &mut Tx<'_>,
    actor: &Principal,
    before: &T,
    after: T,
    expected: Expected,
) -> Result<T, ApiError> {
    update_noted(tx, actor, Change::Update, before, after, expected, None)
}

/// Like [`update`], audited as `change` (approve, publish, reopen...) with a
/// note saying why.
pub fn update_noted<T: Record>(
    tx: &mut Tx<'_>,
    actor: &Principal,
    change: Change,
    before: &T,
    after: T,
    expected: Expected,
    note: Option<String>,
) -> Result<T, ApiError> {
    check(expected, before.version())?;
    in_scope(tx, before)?;
    let after = write(tx, before, after)?;
    audit::record_noted(tx, actor, change, Some(before), Some(&after), note)?;
    Ok(after)
}

/// Like [`update`] for a record of the shared registry (an organisation)
/// that the partnerships `referrers` refer to: each of their change logs gets
/// the event too, with its own `seq`. The caller's write scope is the
/// platform's (as every write of the registry is); the partnerships' logs
/// are added to it here, in lock order whatever order `referrers` came in,
/// so two such changes queue instead of deadlocking.
pub fn update_shared<T: Record>(
    tx: &mut Tx<'_>,
    actor: &Principal,
    before: &T,
    after: T,
    expected: Expected,
    referrers: &[Id],
) -> Result<T, ApiError> {
    in_scope(tx, before)?;
    let mut logs = referrers.to_vec();
    logs.sort_unstable();
    logs.dedup();
    let scopes: Vec<Scope> = logs.iter().copied().map(Scope::Partnership).collect();
    tx.also_hold(&scopes)?;
    let after = update_noted(tx, actor, Change::Update, before, after, expected, None)?;
    audit::record_shared(tx, actor, Change::Update, Some(before), Some(&after), &logs)?;
    Ok(after)
}

/// Bumps the version of a record whose parts (a meeting's attendees, items...)
/// changed, with whatever else `after` changes; audited only when the record
/// itself changed beyond its version. `before` must be the current row, read
/// after the caller claimed it in this transaction.
pub fn touch<T: Record + PartialEq>(
    tx: &mut Tx<'_>,
    actor: &Principal,
    before: &T,
    after: T,
) -> Result<T, ApiError> {
    in_scope(tx, before)?;
    let after = write(tx, before, after)?;
    let mut unchanged = before.clone();
    unchanged.stamp(after.version(), tx.now());
    if unchanged != after {
        audit::record_noted(tx, actor, Change::Update, Some(before), Some(&after), None)?;
    }
    Ok(after)
}

/// Removes a record created in error if `expected` and the row are still at
/// `before`'s version (412 otherwise); the audit event keeps what it was.
pub fn delete<T: Record>(
    tx: &mut Tx<'_>,
    actor: &Principal,
    before: &T,
    expected: Expected,
) -> Result<(), ApiError> {
    check(expected, before.version())?;
    in_scope(tx, before)?;
    ensure_changed(before.delete_row(tx)?)?;
    audit::record_noted(tx, actor, Change::Delete, Some(before), None, None)
}

/// A record is written only in the write scope of its partnership (or the
/// platform's): the `Tx` held that change log before any row.
fn in_scope<T: Record>(tx: &Tx<'_>, record: &T) -> Result<(), ApiError> {
    tx.ensure_holds(Scope::of(record.partnership_id()))
}

/// Stamps `after` with the next version and the transaction's time, and
/// writes it over `before` if the row is still at `before`'s version.
fn write<T: Record>(tx: &mut Tx<'_>, before: &T, mut after: T) -> Result<T, ApiError> {
    after.stamp(before.version() + 1, tx.now());
    let changed = after
        .update_row(tx, before.version())
        .map_err(|e| write_error(&after, e))?;
    ensure_changed(changed)?;
    Ok(after)
}

/// A unique violation on one of `T::UNIQUE`'s columns is a 409 naming the
/// field and the value taken; anything else maps as every database error does.
fn write_error<T: Record>(record: &T, e: DieselError) -> ApiError {
    if let DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) = &e {
        // PostgreSQL names the constraint (`people_partnership_id_initials_key`);
        // SQLite lists the columns in its message (`UNIQUE constraint failed:
        // people.partnership_id, people.initials`).
        let names = info
            .constraint_name()
            .or(info.column_name())
            .unwrap_or(info.message());
        if let Some((_, field)) = T::UNIQUE.iter().find(|(column, _)| names.contains(column)) {
            return taken::<T>(record, field);
        }
    }
    ApiError::from(e)
}

fn taken<T: Record>(record: &T, field: &str) -> ApiError {
    let value = serde_json::to_value(record)
        .ok()
        .and_then(|v| v.get(field).cloned());
    let value = match value {
        Some(serde_json::Value::String(s)) => s,
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let resource = T::RESOURCE.replace('_', " ");
    ApiError::conflict(
        format!("{field}: another {resource} already has {value}")
            .trim_end()
            .to_owned(),
    )
}

/// A row type written by multi-row `INSERT`s. Its `None` fields are written
/// as NULL (`treat_none_as_default_value = false`), as SQLite's multi-row
/// `INSERT` has no `DEFAULT`; implement it with [`batch_insert!`](crate::batch_insert).
pub trait BatchInsert: Sized {
    /// One multi-row `INSERT` of `rows`.
    fn insert_rows(rows: &[Self], conn: &mut DbConnection) -> QueryResult<usize>;
}

/// A row type whose stored rows are rewritten by multi-row upserts on the id
/// (`INSERT ... ON CONFLICT (id) DO UPDATE SET` the listed columns); write it
/// with [`batch_insert!`](crate::batch_insert)'s `update:` list.
/// Only the listed columns are written: the ones a batch may change.
pub trait BatchUpdate: BatchInsert {
    /// Writes each of `rows` over the stored row of its id; answers the rows written.
    fn update_rows(rows: &[Self], conn: &mut DbConnection) -> QueryResult<usize>;
    /// The stored version of each of the rows `ids` that exists.
    fn versions(ids: &[Id], conn: &mut DbConnection) -> QueryResult<Vec<(Id, i32)>>;
}

/// Implements [`BatchInsert`] for a row type of `table`: the statement is
/// built for each backend, as diesel builds multi-row inserts per backend.
/// With `update: [columns]`, [`BatchUpdate`] too, rewriting those columns.
#[macro_export]
macro_rules! batch_insert {
    ($type:ty, $table:path, update: [$($column:ident),+ $(,)?] $(,)?) => {
        $crate::batch_insert!($type, $table);
        impl $crate::db::store::BatchUpdate for $type {
            fn update_rows(
                rows: &[Self],
                conn: &mut $crate::db::DbConnection,
            ) -> diesel::QueryResult<usize> {
                use diesel::upsert::excluded;
                use diesel::{ExpressionMethods, RunQueryDsl};
                use $table as table;
                let set = ($(table::$column.eq(excluded(table::$column))),+);
                match conn {
                    $crate::db::DbConnection::Pg(pg) => diesel::insert_into(table::table)
                        .values(rows)
                        .on_conflict(table::id)
                        .do_update()
                        .set(set)
                        .execute(pg),
                    $crate::db::DbConnection::Sqlite(lite) => diesel::insert_into(table::table)
                        .values(rows)
                        .on_conflict(table::id)
                        .do_update()
                        .set(set)
                        .execute(lite),
                }
            }
            fn versions(
                ids: &[$crate::db::Id],
                conn: &mut $crate::db::DbConnection,
            ) -> diesel::QueryResult<Vec<($crate::db::Id, i32)>> {
                use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
                use $table as table;
                table::table
                    .filter(table::id.eq_any(ids))
                    .select((table::id, table::version))
                    .load(conn)
            }
        }
    };
    ($type:ty, $table:path) => {
        impl $crate::db::store::BatchInsert for $type {
            fn insert_rows(
                rows: &[Self],
                conn: &mut $crate::db::DbConnection,
            ) -> diesel::QueryResult<usize> {
                use diesel::RunQueryDsl;
                use $table as table;
                match conn {
                    $crate::db::DbConnection::Pg(pg) => {
                        diesel::insert_into(table::table).values(rows).execute(pg)
                    }
                    $crate::db::DbConnection::Sqlite(lite) => {
                        diesel::insert_into(table::table).values(rows).execute(lite)
                    }
                }
            }
        }
    };
}

/// Writes the [`Record`] impl (and `Audited`, `Versioned`) of a row type with
/// the standard fields `id`, `version`, `updated_at` and, unless `tenant:`
/// says otherwise, `partnership_id: Id`:
///
/// ```ignore
/// crate::record!(Person, "person", people, unique: ["initials" => "initials"]);
/// crate::record!(Organisation, "organisation", organisations, tenant: |_r| None);
/// ```
#[macro_export]
macro_rules! record {
    ($type:ty, $resource:literal, $table:ident $(, unique: [$($column:literal => $field:literal),* $(,)?])? $(,)?) => {
        $crate::record!(@impl $type, $resource, $table, |r| Some(r.partnership_id), [$($(($column, $field)),*)?]);
    };
    ($type:ty, $resource:literal, $table:ident, tenant: |$r:ident| $tenant:expr $(, unique: [$($column:literal => $field:literal),* $(,)?])? $(,)?) => {
        $crate::record!(@impl $type, $resource, $table, |$r| $tenant, [$($(($column, $field)),*)?]);
    };
    (@impl $type:ty, $resource:literal, $table:ident, |$r:ident| $tenant:expr, [$($pair:expr),*]) => {
        impl $crate::audit::Audited for $type {
            const RESOURCE: &'static str = $resource;
            fn id(&self) -> $crate::db::Id {
                self.id
            }
            fn partnership_id(&self) -> Option<$crate::db::Id> {
                let $r = self;
                $tenant
            }
            fn logged_version(&self) -> Option<i32> {
                Some(self.version)
            }
        }

        impl $crate::db::store::Versioned for $type {
            fn version(&self) -> i32 {
                self.version
            }
        }

        impl $crate::db::store::Record for $type {
            const UNIQUE: &'static [(&'static str, &'static str)] = &[$($pair),*];
            fn stamp(&mut self, version: i32, now: $crate::db::UtcTime) {
                self.version = version;
                self.updated_at = now;
            }
            fn insert_row(
                &self,
                conn: &mut $crate::db::DbConnection,
            ) -> diesel::QueryResult<usize> {
                use diesel::RunQueryDsl;
                diesel::insert_into($table::table)
                    .values(self.clone())
                    .execute(conn)
            }
            fn update_row(
                &self,
                conn: &mut $crate::db::DbConnection,
                at: i32,
            ) -> diesel::QueryResult<usize> {
                use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
                diesel::update($table::table.find(self.id).filter($table::version.eq(at)))
                    .set(self.clone())
                    .execute(conn)
            }
            fn delete_row(&self, conn: &mut $crate::db::DbConnection) -> diesel::QueryResult<usize> {
                use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
                diesel::delete(
                    $table::table
                        .find(self.id)
                        .filter($table::version.eq(self.version)),
                )
                .execute(conn)
            }
        }
    };
}

/// `Versioned` for a view that wraps a record (`MeetingView { meeting, .. }`).
#[macro_export]
macro_rules! versioned_view {
    ($type:ty, $field:ident) => {
        impl $crate::db::store::Versioned for $type {
            fn version(&self) -> i32 {
                $crate::db::store::Versioned::version(&self.$field)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_version_fails() {
        assert!(check(Expected::Version(2), 2).is_ok());
        assert!(check(Expected::Any, 7).is_ok());
        assert!(matches!(
            check(Expected::Version(1), 2),
            Err(ApiError::PreconditionFailed(_))
        ));
        assert!(matches!(
            ensure_changed(0),
            Err(ApiError::PreconditionFailed(_))
        ));
    }
}
