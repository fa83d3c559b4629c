//! Draft minutes as last assembled, kept by each instance and given again
//! while nothing they are made of has changed: the minutes read is the
//! service's heaviest (two dozen statements to assemble), and minutes are
//! read far more often than they change.
//!
//! Whether anything changed is told exactly, in one statement: every change
//! of a record takes the next number of its change log in the transaction
//! that makes it (the write scope guarantees it, `tests/write_scope.rs`),
//! and a draft is made of its partnership's records and the platform's
//! registry (organisations' names: a change of one is also recorded in the
//! log of every partnership that refers to it, and the platform's log is
//! read as well, should a reference ever be missed). So the two logs' last
//! numbers, read
//! before the minutes are assembled, stamp what they were assembled from: a
//! draft kept under a stamp is given only while both numbers are the same,
//! through any instance. The one thing besides records that a draft shows
//! is time: an action turns overdue at the UK midnight after its due date,
//! or when the meeting it is due at starts; a draft is given only before the
//! first such moment after it was assembled ([`valid_until`]).
//!
//! Approved minutes need none of this: they are read from their snapshot.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::TimeZone;
use diesel::prelude::*;

use super::document::MinutesDocument;
use crate::db::counter::CHANGE_LOG;
use crate::db::schema::counters;
use crate::db::{Day, DbConnection, Id, UtcTime};

/// Most drafts an instance keeps; past it, the least recently given goes.
const KEPT: usize = 128;

/// Most bytes (as JSON) of drafts an instance keeps; past it, the least
/// recently given go. A draft larger than a quarter of it is not kept.
const BUDGET: usize = 32 << 20;

/// Longest a draft is kept, whatever its stamp: change-log numbers only
/// grow, but a database restored from a backup, or a failover to a replica
/// that had not caught up, could number changes again from an earlier point
/// and so match a kept stamp. Such a draft is gone within this time.
const LONGEST: chrono::Duration = chrono::Duration::minutes(10);

/// The last numbers of the partnership's change log and the platform's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    partnership: i64,
    platform: i64,
}

impl Stamp {
    /// Whether a draft under `self` was assembled after every change one
    /// under `other` had seen (and after more).
    fn newer_than(&self, other: &Stamp) -> bool {
        self != other && self.partnership >= other.partnership && self.platform >= other.platform
    }
}

/// The size of `doc` as JSON, counted without keeping the bytes: what the
/// budget of kept drafts counts.
pub fn json_bytes<T: serde::Serialize>(doc: &T) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    match serde_json::to_writer(&mut count, doc) {
        Ok(()) => count.0,
        Err(_) => usize::MAX,
    }
}

/// Reads the stamp of `partnership_id`'s records: one statement.
pub fn stamp(conn: &mut DbConnection, partnership_id: Id) -> QueryResult<Stamp> {
    let rows: Vec<(String, i64)> = counters::table
        .filter(counters::name.eq(CHANGE_LOG))
        .filter(counters::scope.eq_any([partnership_id.to_string(), "platform".to_owned()]))
        .select((counters::scope, counters::value))
        .load(conn)?;
    let of = |scope: &str| rows.iter().find(|(s, _)| s == scope).map_or(0, |(_, v)| *v);
    Ok(Stamp {
        partnership: of(&partnership_id.to_string()),
        platform: of("platform"),
    })
}

struct Kept<T> {
    stamp: Stamp,
    valid_until: UtcTime,
    doc: Arc<T>,
    used: u64,
    bytes: usize,
}

/// The drafts an instance keeps, by meeting.
pub struct DraftCache<T = MinutesDocument> {
    inner: Arc<Mutex<Inner<T>>>,
}

impl<T> Clone for DraftCache<T> {
    fn clone(&self) -> Self {
        DraftCache {
            inner: self.inner.clone(),
        }
    }
}

impl<T> Default for DraftCache<T> {
    fn default() -> Self {
        DraftCache {
            inner: Arc::new(Mutex::new(Inner {
                kept: HashMap::new(),
                uses: 0,
                bytes: 0,
            })),
        }
    }
}

impl<T> std::fmt::Debug for DraftCache<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DraftCache")
    }
}

struct Inner<T> {
    kept: HashMap<Id, Kept<T>>,
    uses: u64,
    /// The bytes of the drafts kept.
    bytes: usize,
}

impl<T> DraftCache<T> {
    /// The draft of `meeting` kept under `stamp`, if it still holds at `now`.
    pub fn get(&self, meeting: Id, stamp: Stamp, now: UtcTime) -> Option<Arc<T>> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.uses += 1;
        let uses = inner.uses;
        let kept = inner.kept.get_mut(&meeting)?;
        if kept.stamp.newer_than(&stamp) {
            // The logs' numbers went back (a restore, a failover): what was
            // kept belongs to a history the database no longer has.
            if let Some(gone) = inner.kept.remove(&meeting) {
                inner.bytes -= gone.bytes;
            }
            return None;
        }
        if kept.stamp != stamp || now.0 >= kept.valid_until.0 {
            return None;
        }
        kept.used = uses;
        Some(kept.doc.clone())
    }

    /// Keeps the draft of `meeting` assembled under `stamp`, of `bytes`.
    pub fn put(&self, meeting: Id, stamp: Stamp, valid_until: UtcTime, doc: Arc<T>, bytes: usize) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        // Two reads racing: the one assembled from the later records stays.
        if let Some(kept) = inner.kept.get(&meeting) {
            if kept.stamp.newer_than(&stamp) {
                return;
            }
        }
        if let Some(old) = inner.kept.remove(&meeting) {
            inner.bytes -= old.bytes;
        }
        if bytes > BUDGET / 4 {
            return;
        }
        while inner.kept.len() >= KEPT || inner.bytes + bytes > BUDGET {
            let least = inner
                .kept
                .iter()
                .min_by_key(|(_, k)| k.used)
                .map(|(id, _)| *id);
            match least.and_then(|id| inner.kept.remove(&id)) {
                Some(gone) => inner.bytes -= gone.bytes,
                None => break,
            }
        }
        inner.uses += 1;
        let used = inner.uses;
        inner.bytes += bytes;
        inner.kept.insert(
            meeting,
            Kept {
                stamp,
                valid_until,
                doc,
                used,
                bytes,
            },
        );
    }
}

/// The first moment after `now` at which a draft assembled at `now` could
/// read differently with no record changed: the next UK midnight (a due
/// date passing), or the start of a meeting an outstanding action is due at
/// (`due_meetings_start`), whichever comes first; and at most [`LONGEST`].
pub fn valid_until(now: UtcTime, due_meetings_start: impl IntoIterator<Item = UtcTime>) -> UtcTime {
    let longest = UtcTime(now.0 + LONGEST);
    let tomorrow = Day::in_uk(now).0.succ_opt().unwrap_or(Day::in_uk(now).0);
    let midnight = chrono_tz::Europe::London
        .from_local_datetime(&tomorrow.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .map(|t| UtcTime(t.with_timezone(&chrono::Utc)))
        // A midnight the clocks skip: an hour early is still safe.
        .unwrap_or(UtcTime(now.0 + chrono::Duration::hours(1)));
    let first = if longest.0 < midnight.0 {
        longest
    } else {
        midnight
    };
    due_meetings_start
        .into_iter()
        .filter(|starts| starts.0 > now.0)
        .fold(
            first,
            |first, starts| {
                if starts.0 < first.0 {
                    starts
                } else {
                    first
                }
            },
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> UtcTime {
        UtcTime(chrono::DateTime::parse_from_rfc3339(text).unwrap().into())
    }

    #[test]
    fn a_draft_holds_until_the_next_uk_midnight_and_ten_minutes_at_most() {
        // Winter: UK midnight is 00:00Z; summer: 23:00Z the day before.
        assert_eq!(
            valid_until(at("2019-11-18T23:55:00Z"), []),
            at("2019-11-19T00:00:00Z")
        );
        assert_eq!(
            valid_until(at("2019-07-18T22:52:00Z"), []),
            at("2019-07-18T23:00:00Z")
        );
        // 23:30Z in summer is already the next UK day: its midnight is far.
        assert_eq!(
            valid_until(at("2019-07-18T23:30:00Z"), []),
            at("2019-07-18T23:40:00Z")
        );
        assert_eq!(
            valid_until(at("2019-11-18T15:00:00Z"), []),
            at("2019-11-18T15:10:00Z")
        );
    }

    #[test]
    fn or_until_a_meeting_an_action_is_due_at_starts() {
        let now = at("2019-11-18T15:00:00Z");
        assert_eq!(
            valid_until(
                now,
                [
                    at("2019-11-18T14:00:00Z"), // started: already counted
                    at("2019-11-18T15:04:00Z"),
                    at("2019-12-18T15:00:00Z"),
                ]
            ),
            at("2019-11-18T15:04:00Z")
        );
    }

    #[test]
    fn kept_only_under_its_stamp_and_before_its_time() {
        let cache = DraftCache::<String>::default();
        let id = Id(uuid::Uuid::now_v7());
        let stamp = Stamp {
            partnership: 7,
            platform: 2,
        };
        let doc = "the minutes".to_owned();
        let until = at("2019-11-19T00:00:00Z");
        cache.put(id, stamp, until, Arc::new(doc), 100);
        assert!(cache.get(id, stamp, at("2019-11-18T16:00:00Z")).is_some());
        let changed = Stamp {
            partnership: 8,
            ..stamp
        };
        assert!(cache.get(id, changed, at("2019-11-18T16:00:00Z")).is_none());
        let registry = Stamp {
            platform: 3,
            ..stamp
        };
        assert!(cache
            .get(id, registry, at("2019-11-18T16:00:00Z"))
            .is_none());
        assert!(cache.get(id, stamp, until).is_none(), "not at its time");
        // A slower read assembled from older records does not replace it.
        let newer = Stamp {
            partnership: 9,
            platform: 3,
        };
        cache.put(id, newer, until, Arc::new("newer".to_owned()), 100);
        cache.put(id, stamp, until, Arc::new("older".to_owned()), 100);
        let now = at("2019-11-18T16:00:00Z");
        assert_eq!(
            cache.get(id, newer, now).as_deref().map(String::as_str),
            Some("newer")
        );
        // Numbers that went back (a restore) drop it: it is not given again
        // when they climb back to its stamp.
        assert!(cache.get(id, stamp, now).is_none());
        assert!(cache.get(id, newer, now).is_none(), "dropped");
    }

    #[test]
    fn counts_json_bytes_without_keeping_them() {
        let doc = serde_json::json!({"title": "Welcome", "n": [1, 2, 3]});
        assert_eq!(json_bytes(&doc), serde_json::to_vec(&doc).unwrap().len());
    }

    #[test]
    fn keeps_at_most_its_number_dropping_the_least_recently_given() {
        let cache = DraftCache::<usize>::default();
        let stamp = Stamp {
            partnership: 1,
            platform: 1,
        };
        let now = at("2019-11-18T15:00:00Z");
        let until = at("2019-11-19T00:00:00Z");
        let ids: Vec<Id> = (0..=KEPT).map(|_| Id(uuid::Uuid::now_v7())).collect();
        for (n, id) in ids[..KEPT].iter().enumerate() {
            cache.put(*id, stamp, until, Arc::new(n), 1);
        }
        assert!(
            cache.get(ids[0], stamp, now).is_some(),
            "the first, given again"
        );
        cache.put(ids[KEPT], stamp, until, Arc::new(KEPT), 1);
        assert!(cache.get(ids[0], stamp, now).is_some());
        assert!(
            cache.get(ids[1], stamp, now).is_none(),
            "the least recently given went"
        );
        assert!(cache.get(ids[KEPT], stamp, now).is_some());
    }

    #[test]
    fn keeps_at_most_its_budget_of_bytes() {
        let cache = DraftCache::<usize>::default();
        let stamp = Stamp {
            partnership: 1,
            platform: 1,
        };
        let now = at("2019-11-18T15:00:00Z");
        let until = at("2019-11-19T00:00:00Z");
        let ids: Vec<Id> = (0..5).map(|_| Id(uuid::Uuid::now_v7())).collect();
        cache.put(ids[0], stamp, until, Arc::new(0), BUDGET / 4 + 1);
        assert!(cache.get(ids[0], stamp, now).is_none(), "too large to keep");
        for id in &ids[1..5] {
            cache.put(*id, stamp, until, Arc::new(1), BUDGET / 4);
        }
        assert!(cache.get(ids[1], stamp, now).is_some(), "four quarters fit");
        cache.put(ids[0], stamp, until, Arc::new(0), 10);
        assert!(
            cache.get(ids[2], stamp, now).is_none(),
            "the least recently given went"
        );
        assert!(cache.get(ids[1], stamp, now).is_some());
        assert!(cache.get(ids[0], stamp, now).is_some());
    }
}
