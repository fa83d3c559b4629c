//! Pages of the change feed: a view of the audit events, never a second log,
//! narrowed to what the caller's role may learn.

use std::collections::BTreeSet;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Role;
use crate::db::schema::{actions, agenda_items, audit_events};
use crate::db::{DbConnection, Id, MultiBackend, UtcTime};
use crate::error::ApiError;

/// Longest long poll, in seconds.
pub const MAX_WAIT: u32 = 30;

/// One change of a partnership's records.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable)]
pub struct ChangeEvent {
    /// Position in the partnership's change log (gap-free in the log; a
    /// reader who may not learn of some changes sees gaps).
    #[schema(minimum = 1)]
    pub seq: i64,
    /// `meeting`, `agenda_item`, `action`, `data_request`, ...
    pub resource_type: String,
    pub resource_id: Id,
    /// The record's version after the change (before it, for a deletion);
    /// `null` in changes recorded before the log carried versions.
    #[schema(minimum = 1)]
    pub version: Option<i32>,
    #[schema(value_type = crate::audit::Change)]
    pub change: String,
    pub occurred_at: UtcTime,
}

/// One page of the feed. Its cursor is always given, so a reader at the
/// end resumes from it without remembering anything else.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChangePage {
    pub items: Vec<ChangeEvent>,
    /// Pass as `after_seq` to read on: the last `seq` this page looked at
    /// (past changes the caller may not learn of), or the `after_seq` asked
    /// for when there was nothing new.
    #[schema(minimum = 0)]
    pub next_after_seq: i64,
    /// Whether more changes follow at once (read on without waiting).
    pub has_more: bool,
}

/// `?after_seq=`, `?limit=`, `?wait=`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangeQuery {
    /// The `next_after_seq` of the previous page; 0 (the default) reads from the start.
    #[param(minimum = 0, nullable = false)]
    pub after_seq: Option<i64>,
    /// How many changes to look at: 1 to 500, default 100.
    #[param(minimum = 1, maximum = 500, nullable = false)]
    pub limit: Option<i64>,
    /// Seconds to wait for a change when there is none yet: 0 (the
    /// default) to 30. The answer comes as soon as one commits.
    #[param(minimum = 0, maximum = 30, nullable = false)]
    pub wait: Option<u32>,
}

/// A checked [`ChangeQuery`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub after_seq: i64,
    pub limit: i64,
    pub wait: u32,
}

impl ChangeQuery {
    pub fn check(&self) -> Result<Reading, ApiError> {
        let after_seq = self.after_seq.unwrap_or(0);
        if after_seq < 0 {
            return Err(ApiError::bad_request("after_seq must be 0 or more"));
        }
        let limit = self.limit.unwrap_or(100);
        if !(1..=500).contains(&limit) {
            return Err(ApiError::bad_request("limit must be between 1 and 500"));
        }
        let wait = self.wait.unwrap_or(0);
        if wait > MAX_WAIT {
            return Err(ApiError::bad_request(format!(
                "wait must be between 0 and {MAX_WAIT} seconds"
            )));
        }
        Ok(Reading {
            after_seq,
            limit,
            wait,
        })
    }
}

/// Records only a partnership's administrators hear of.
const ADMINS_ONLY: &[&str] = &["api_client", "webhook"];

/// The next page of `partnership_id`'s feed after `reading.after_seq`, as
/// `role` may see it.
pub fn page(
    conn: &mut DbConnection,
    partnership_id: Id,
    reading: Reading,
    role: Role,
) -> Result<ChangePage, ApiError> {
    let mut rows: Vec<ChangeEvent> = page_query(partnership_id, reading).load(conn)?;
    let has_more = rows.len() as i64 > reading.limit;
    rows.truncate(reading.limit as usize);
    let next_after_seq = rows.last().map_or(reading.after_seq, |e| e.seq);
    if role != Role::Admin {
        rows.retain(|e| !ADMINS_ONLY.contains(&e.resource_type.as_str()));
    }
    if !role.sees_confidential() && !rows.is_empty() {
        let hidden = confidential(conn, partnership_id, &rows)?;
        rows.retain(|e| !hidden.contains(&e.seq));
    }
    Ok(ChangePage {
        items: rows,
        next_after_seq,
        has_more,
    })
}

/// The columns of a [`ChangeEvent`].
type ChangeColumns = (
    audit_events::seq,
    audit_events::resource_type,
    audit_events::resource_id,
    audit_events::version,
    audit_events::action,
    audit_events::occurred_at,
);

/// A page of the feed as [`page`] reads it.
pub type FeedQuery =
    audit_events::BoxedQuery<'static, MultiBackend, diesel::dsl::SqlTypeOf<ChangeColumns>>;

/// The query [`page`] runs (public so that a test can `EXPLAIN` it): one
/// change more than the page, to learn whether another follows.
pub fn page_query(partnership_id: Id, reading: Reading) -> FeedQuery {
    audit_events::table
        .filter(audit_events::partnership_id.eq(partnership_id))
        .filter(audit_events::seq.gt(reading.after_seq))
        .order(audit_events::seq.asc())
        .limit(reading.limit + 1)
        .select((
            audit_events::seq,
            audit_events::resource_type,
            audit_events::resource_id,
            audit_events::version,
            audit_events::action,
            audit_events::occurred_at,
        ))
        .into_boxed()
}

/// What a change's record says of where it belongs: its own `confidential`
/// flag (an agenda item), its item, or its action (an action's update).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Placement {
    pub confidential: bool,
    pub item_id: Option<Id>,
    pub action_id: Option<Id>,
}

/// Reads a change's record (as the audit event holds it) for [`Placement`].
pub fn placement(resource_type: &str, resource_id: Id, state: Option<&str>) -> Placement {
    let value: serde_json::Value = state
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    let id = |field: &str| {
        value
            .get(field)
            .and_then(|v| v.as_str()?.parse::<Id>().ok())
    };
    let confidential = value.get("confidential").and_then(|v| v.as_bool()) == Some(true);
    match resource_type {
        "agenda_item" => Placement {
            confidential,
            item_id: Some(resource_id),
            action_id: None,
        },
        "action_update" => Placement {
            confidential: false,
            item_id: None,
            action_id: id("action_id"),
        },
        _ => Placement {
            confidential: false,
            item_id: id("item_id"),
            action_id: None,
        },
    }
}

/// A change's `seq`, resource type and id, and its record before and after.
type StateRow = (i64, String, Id, Option<String>, Option<String>);

/// The changes (by `seq`) of records under a confidential item: an item
/// confidential now or when it changed, and the decisions, declarations,
/// actions (and their updates) and escalations under one.
fn confidential(
    conn: &mut DbConnection,
    partnership_id: Id,
    rows: &[ChangeEvent],
) -> Result<BTreeSet<i64>, ApiError> {
    let (first, last) = match (rows.first(), rows.last()) {
        (Some(f), Some(l)) => (f.seq, l.seq),
        _ => return Ok(BTreeSet::new()),
    };
    let states: Vec<StateRow> = audit_events::table
        .filter(audit_events::partnership_id.eq(partnership_id))
        .filter(audit_events::seq.between(first, last))
        .select((
            audit_events::seq,
            audit_events::resource_type,
            audit_events::resource_id,
            audit_events::before_state,
            audit_events::after_state,
        ))
        .load(conn)?;
    let placed: Vec<(i64, Placement)> = states
        .iter()
        .map(|(seq, kind, id, before, after)| {
            let mut p = placement(kind, *id, after.as_deref().or(before.as_deref()));
            // Confidential before the change is enough: it was one then.
            p.confidential |= placement(kind, *id, before.as_deref()).confidential;
            (*seq, p)
        })
        .collect();
    // An action's items: where it is now, and every item its history
    // names (an action moved, or deleted, from under a confidential item).
    let action_ids: BTreeSet<Id> = placed.iter().filter_map(|(_, p)| p.action_id).collect();
    let mut items_of_action: Vec<(Id, Id)> =
        crate::db::by_ids(action_ids.iter().copied(), |chunk| {
            actions::table
                .filter(actions::id.eq_any(chunk))
                .filter(actions::item_id.is_not_null())
                .select((actions::id, actions::item_id.assume_not_null()))
                .load(conn)
        })?;
    let history: Vec<(Id, Option<String>, Option<String>)> =
        crate::db::by_ids(action_ids.iter().copied(), |chunk| {
            audit_events::table
                .filter(audit_events::resource_type.eq("action"))
                .filter(audit_events::resource_id.eq_any(chunk))
                .select((
                    audit_events::resource_id,
                    audit_events::before_state,
                    audit_events::after_state,
                ))
                .load(conn)
        })?;
    for (action, before, after) in &history {
        for state in [before, after].into_iter().flatten() {
            if let Some(item) = placement("action", *action, Some(state)).item_id {
                items_of_action.push((*action, item));
            }
        }
    }
    let items_of = |p: &Placement| -> Vec<Id> {
        let mut items: Vec<Id> = p.item_id.into_iter().collect();
        if let Some(action) = p.action_id {
            items.extend(
                items_of_action
                    .iter()
                    .filter(|(a, _)| *a == action)
                    .map(|(_, i)| *i),
            );
        }
        items
    };
    let item_ids: BTreeSet<Id> = placed.iter().flat_map(|(_, p)| items_of(p)).collect();
    // Confidential now, or at any time its history shows (an item made
    // open later, or deleted, keeps what was under it hidden).
    let mut secret: BTreeSet<Id> = crate::db::by_ids(item_ids.iter().copied(), |chunk| {
        agenda_items::table
            .filter(agenda_items::id.eq_any(chunk))
            .filter(agenda_items::confidential.eq(true))
            .select(agenda_items::id)
            .load(conn)
    })?
    .into_iter()
    .collect();
    const FLAGGED: &str = "%\"confidential\":true%";
    secret.extend(crate::db::by_ids(item_ids.iter().copied(), |chunk| {
        audit_events::table
            .filter(audit_events::resource_type.eq("agenda_item"))
            .filter(audit_events::resource_id.eq_any(chunk))
            .filter(
                audit_events::after_state
                    .like(FLAGGED)
                    .or(audit_events::before_state.like(FLAGGED)),
            )
            .select(audit_events::resource_id)
            .load::<Id>(conn)
    })?);
    Ok(placed
        .into_iter()
        .filter(|(_, p)| p.confidential || items_of(p).iter().any(|i| secret.contains(i)))
        .map(|(seq, _)| seq)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_placed_by_its_item_or_action() {
        let id = Id::new();
        let item = Id::new();
        let state = format!(r#"{{"item_id":"{item}","confidential":true}}"#);
        assert_eq!(
            placement("decision", id, Some(&state)),
            Placement {
                confidential: false,
                item_id: Some(item),
                action_id: None
            },
            "only an agenda item's own flag counts as its own"
        );
        let p = placement("agenda_item", id, Some(&state));
        assert!(p.confidential);
        assert_eq!(p.item_id, Some(id));
        let update = format!(r#"{{"action_id":"{item}"}}"#);
        assert_eq!(
            placement("action_update", id, Some(&update)).action_id,
            Some(item)
        );
        assert_eq!(placement("meeting", id, None), Placement::default());
    }

    #[test]
    fn readings_are_bounded() {
        let q = |after_seq, limit, wait| ChangeQuery {
            after_seq,
            limit,
            wait,
        };
        assert!(q(Some(-1), None, None).check().is_err());
        assert!(q(None, Some(0), None).check().is_err());
        assert!(q(None, Some(501), None).check().is_err());
        assert!(q(None, None, Some(31)).check().is_err());
        assert_eq!(
            q(None, None, None).check().ok(),
            Some(Reading {
                after_seq: 0,
                limit: 100,
                wait: 0
            })
        );
    }
}
