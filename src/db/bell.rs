//! The change log's bell: whoever waits for a partnership's next change (a
//! long poll of the change feed, the webhook worker) is woken as soon as a
//! transaction that advanced that partnership's change log commits.
//!
//! Within one instance the bell is in memory: a transaction notes each
//! partnership whose log it advanced ([`note`], called by `Tx`), and
//! [`super::transaction`] rings for them after the commit (and forgets them
//! on a rollback). Across instances on PostgreSQL the same transaction sends
//! `NOTIFY` on [`CHANNEL`], which PostgreSQL delivers at commit only, and each
//! instance's listener ([`listen`], one connection and one thread per
//! instance, never a request's) rings its own bell. Waiters also look again
//! on a period of their own, so a lost notification delays, never loses.

use std::cell::RefCell;
use std::sync::{OnceLock, Weak};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::Connection;
use tokio::sync::broadcast;

use super::{DbConnection, Id};

/// The PostgreSQL channel the instances tell each other on.
pub const CHANNEL: &str = "sp_changes";

/// Rings queued for a waiter that is slow to look: past it the waiter is
/// told it lagged, and looks anyway.
const CAPACITY: usize = 4_096;

fn sender() -> &'static broadcast::Sender<Id> {
    static BELL: OnceLock<broadcast::Sender<Id>> = OnceLock::new();
    BELL.get_or_init(|| broadcast::channel(CAPACITY).0)
}

thread_local! {
    /// The partnerships whose change log the running transaction advanced.
    static ADVANCED: RefCell<Vec<Id>> = const { RefCell::new(Vec::new()) };
}

/// Notes that the running transaction advanced `partnership_id`'s change log.
pub fn note(partnership_id: Id) {
    ADVANCED.with(|a| {
        let mut a = a.borrow_mut();
        if !a.contains(&partnership_id) {
            a.push(partnership_id);
        }
    });
}

/// Forgets what a transaction noted (at its start and on a rollback).
pub(super) fn forget() {
    ADVANCED.with(|a| a.borrow_mut().clear());
}

/// The partnerships the transaction noted, taken.
fn take() -> Vec<Id> {
    ADVANCED.with(|a| std::mem::take(&mut *a.borrow_mut()))
}

/// Before the commit: on PostgreSQL, tells the other instances (delivered at
/// commit, dropped on a rollback). Ids are UUIDs, so inlining them is safe.
pub(super) fn before_commit(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    let DbConnection::Pg(pg) = conn else {
        return Ok(());
    };
    let noted = ADVANCED.with(|a| a.borrow().clone());
    if noted.is_empty() {
        return Ok(());
    }
    let sql: String = noted
        .iter()
        .map(|id| format!("NOTIFY {CHANNEL}, '{id}';"))
        .collect();
    pg.batch_execute(&sql)
}

/// After the commit: rings for every partnership the transaction advanced.
pub(super) fn after_commit() {
    for id in take() {
        ring(id);
    }
}

/// Wakes the waiters of `partnership_id` in this instance.
pub fn ring(partnership_id: Id) {
    // No receiver is not an error: nobody is waiting.
    let _ = sender().send(partnership_id);
}

/// A place in the queue of rings. Take it *before* looking at the log, so a
/// change committed between the look and the wait still wakes the waiter.
pub struct Waiter(broadcast::Receiver<Id>);

pub fn waiter() -> Waiter {
    Waiter(sender().subscribe())
}

impl Waiter {
    /// Waits at most `period` for a change of `partnership_id` (any change,
    /// when `None`); answers whether one was rung (a lagged queue counts:
    /// something may have been).
    pub async fn wait(&mut self, partnership_id: Option<Id>, period: Duration) -> bool {
        let rung = async {
            loop {
                match self.0.recv().await {
                    Ok(id) if partnership_id.is_none_or(|p| p == id) => return true,
                    Ok(_) => continue,
                    Err(broadcast::error::RecvError::Lagged(_)) => return true,
                    Err(broadcast::error::RecvError::Closed) => {
                        return std::future::pending().await
                    }
                }
            }
        };
        tokio::time::timeout(period, rung).await.unwrap_or(false)
    }
}

/// Starts this instance's listener of [`CHANNEL`] on PostgreSQL: a thread of
/// its own with one connection (reopened after a second when it is lost),
/// which rings the bell for each notification. It looks for notifications
/// every `poll` without sending a statement (libpq reads what has arrived).
/// It stops once `alive` is gone (the server it serves has stopped).
pub fn listen(url: String, poll: Duration, alive: Weak<()>) {
    let spawned = std::thread::Builder::new()
        .name("change-listener".into())
        .spawn(move || {
            while alive.strong_count() > 0 {
                match PgConnection::establish(&url) {
                    Ok(mut conn) => {
                        if let Err(e) = conn.batch_execute(&format!("LISTEN {CHANNEL}")) {
                            log::warn!("change listener: LISTEN failed: {e}");
                        } else {
                            listen_on(&mut conn, poll, &alive);
                        }
                    }
                    Err(e) => log::warn!("change listener: cannot connect: {e}"),
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        });
    if let Err(e) = spawned {
        log::error!("change listener: cannot start: {e}");
    }
}

/// Rings for each notification until the connection is lost.
fn listen_on(conn: &mut PgConnection, poll: Duration, alive: &Weak<()>) {
    let mut idle = Duration::ZERO;
    while alive.strong_count() > 0 {
        for notification in conn.notifications_iter() {
            match notification {
                Ok(n) => {
                    if let Ok(id) = n.payload.parse::<Id>() {
                        ring(id);
                    }
                }
                Err(e) => {
                    log::warn!("change listener: connection lost: {e}");
                    return;
                }
            }
        }
        std::thread::sleep(poll);
        idle += poll;
        // A connection that died quietly shows only when it is used.
        if idle >= Duration::from_secs(30) {
            idle = Duration::ZERO;
            if conn.batch_execute("SELECT 1").is_err() {
                return;
            }
        }
    }
}
