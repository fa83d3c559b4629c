//! The write scope as a type. A [`Tx`] is the request's transaction once it
//! holds the change-log counters of the scopes it writes: it is opened by
//! holding them ([`Tx::hold`], [`Tx::of`]), before any row is locked, and the
//! store ([`super::store`]) writes only through one, refusing a record of a
//! scope the `Tx` does not hold. Lock order therefore holds by construction:
//! every write takes its scope's counter first, then rows; a write that must
//! log in several scopes (a shared organisation's change, a member of a
//! registry organisation) holds them in one fixed order, the platform first,
//! then partnerships by id, and asking for one out of that order is refused
//! as the bug it is.
//!
//! What is written with a `Tx`: every record and its audit event (through the
//! store), the rows that are parts of a record (an action's owners, a
//! meeting's minutes snapshot) and a meeting's claim. What is written without
//! one, and without an audit event, because it is not a change of the
//! partnership's records: the access log (`access`), idempotency keys
//! (`http::idempotency`), and the counters themselves. A test
//! (`write_scope` in `tests/api`) reads the source and fails on a write
//! statement outside a function that has a `Tx` or is on that list.

use std::ops::{Deref, DerefMut};

use super::counter::{self, Scope};
use super::{DbConnection, Id, UtcTime};
use crate::auth::tenant::Tenant;
use crate::error::ApiError;

/// The transaction of a write, holding its scopes' change logs. Reads go
/// through it as through the connection (it dereferences to one).
pub struct Tx<'c> {
    conn: &'c mut DbConnection,
    /// In lock order: ascending, the platform before every partnership.
    held: Vec<Scope>,
    /// The registry's log held shared ([`Tx::referring`]).
    registry_shared: bool,
    /// The service clock's time of the request: every `updated_at` and every
    /// audit event's `occurred_at` written in this transaction.
    now: UtcTime,
}

impl<'c> Tx<'c> {
    /// Opens the write scope of `scope` by holding its change log.
    pub fn hold(conn: &'c mut DbConnection, scope: Scope, now: UtcTime) -> Result<Self, ApiError> {
        Self::hold_all(conn, &[scope], now)
    }

    /// Opens a write scope over several logs, held in lock order whatever
    /// order `scopes` came in.
    pub fn hold_all(
        conn: &'c mut DbConnection,
        scopes: &[Scope],
        now: UtcTime,
    ) -> Result<Self, ApiError> {
        let mut tx = Tx {
            conn,
            held: Vec::with_capacity(scopes.len()),
            registry_shared: false,
            now,
        };
        tx.also_hold(scopes)?;
        Ok(tx)
    }

    /// Opens the write scope of the partnership a [`Tenant`] proves access to.
    pub fn of<A>(
        conn: &'c mut DbConnection,
        tenant: &Tenant<A>,
        now: UtcTime,
    ) -> Result<Self, ApiError> {
        Self::hold(conn, Scope::Partnership(tenant.partnership_id), now)
    }

    /// Opens the write scope of a write that may make `partnership_id` refer
    /// to an organisation of the shared registry (a member, a person of it):
    /// the registry's change log held *shared*, then the partnership's. Such
    /// writes of any number of partnerships run together; a change of an
    /// organisation (which holds the registry's log exclusively, then its
    /// referrers') waits for them or they for it, so it either sees the new
    /// referrer (its rule and its log) or comes before it. A stalled write of
    /// one partnership therefore never holds up another partnership's.
    pub fn referring(
        conn: &'c mut DbConnection,
        partnership_id: Id,
        now: UtcTime,
    ) -> Result<Self, ApiError> {
        counter::hold_shared(conn, Scope::Platform, counter::CHANGE_LOG)?;
        let mut tx = Self::hold(conn, Scope::Partnership(partnership_id), now)?;
        tx.registry_shared = true;
        Ok(tx)
    }

    /// Whether no organisation of the registry can change before this
    /// transaction ends (the registry's log held, shared or not).
    pub fn holds_registry(&self) -> bool {
        self.registry_shared || self.holds(Scope::Platform)
    }

    /// Opens the write scope of the partnership (or the platform) a record
    /// belongs to, found by a lookup that has already checked the caller.
    pub fn of_record(
        conn: &'c mut DbConnection,
        partnership_id: Option<Id>,
        now: UtcTime,
    ) -> Result<Self, ApiError> {
        Self::hold(conn, Scope::of(partnership_id), now)
    }

    /// Widens the scope. The logs not yet held must all come after those
    /// held (lock order); one before is an internal error, never a wait.
    pub fn also_hold(&mut self, scopes: &[Scope]) -> Result<(), ApiError> {
        let mut wanted: Vec<Scope> = scopes
            .iter()
            .copied()
            .filter(|s| !self.held.contains(s))
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        if let (Some(last), Some(first)) = (self.held.last(), wanted.first()) {
            if first < last || (self.registry_shared && *first == Scope::Platform) {
                return Err(ApiError::internal(format!(
                    "lock order: {first:?} asked for after {last:?}"
                )));
            }
        }
        for scope in wanted {
            counter::hold(self.conn, scope, counter::CHANGE_LOG)?;
            self.held.push(scope);
        }
        Ok(())
    }

    /// The request's time by the service clock.
    pub fn now(&self) -> UtcTime {
        self.now
    }

    /// Whether this scope's log is held.
    pub fn holds(&self, scope: Scope) -> bool {
        self.held.contains(&scope)
    }

    /// The next number of the counter `name` in `scope` (1 for the first),
    /// which must be held: gap-free, in commit order, given back when the
    /// transaction rolls back (see [`counter`]). Take it after every check.
    pub fn next(&mut self, scope: Scope, name: &str) -> Result<i64, ApiError> {
        self.advance(scope, name, 1)
    }

    /// Takes the next `n` numbers of `name` in `scope` in one statement and
    /// answers the last of them (the first is `last - n + 1`).
    pub fn advance(&mut self, scope: Scope, name: &str, n: i64) -> Result<i64, ApiError> {
        self.ensure_holds(scope)?;
        let last = counter::advance(self.conn, scope, name, n)?;
        if let (counter::CHANGE_LOG, Scope::Partnership(id)) = (name, scope) {
            super::bell::note(id);
        }
        Ok(last)
    }

    /// Makes sure the next number of `name` in `scope` follows `at_least` (a
    /// number given from outside, e.g. an action imported from a log).
    pub fn raise(&mut self, scope: Scope, name: &str, at_least: i64) -> Result<(), ApiError> {
        self.ensure_holds(scope)?;
        counter::raise(self.conn, scope, name, at_least)
    }

    /// The store's guard: a record of a scope not held is a bug in the caller.
    pub fn ensure_holds(&self, scope: Scope) -> Result<(), ApiError> {
        if self.holds(scope) {
            Ok(())
        } else {
            Err(ApiError::internal(format!(
                "a write of {scope:?} outside its write scope ({:?})",
                self.held
            )))
        }
    }
}

impl Deref for Tx<'_> {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        self.conn
    }
}

impl DerefMut for Tx<'_> {
    fn deref_mut(&mut self) -> &mut DbConnection {
        self.conn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_platform_sorts_before_every_partnership() {
        let (a, b) = (Id::new(), Id::new());
        let mut scopes = vec![
            Scope::Partnership(b.max(a)),
            Scope::Platform,
            Scope::Partnership(a.min(b)),
        ];
        scopes.sort_unstable();
        assert_eq!(
            scopes,
            vec![
                Scope::Platform,
                Scope::Partnership(a.min(b)),
                Scope::Partnership(a.max(b))
            ]
        );
    }
}
