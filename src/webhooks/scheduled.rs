//! Events the service raises itself, on a schedule: an action falling
//! overdue (`action.overdue`, once per action and due date) and a data
//! request reaching its due date while open (`data_request.due`, once per
//! request and due date). Each is an audit event in the partnership's change
//! log, by the system principal, so it is in the change feed and is
//! delivered beside the changes. Whichever instance raises one, it is raised
//! once: the instance holds the partnership's change log, looks up what is
//! already raised, and records the rest in `raised_events` (keyed by kind,
//! record and occasion, the backstop) in the same transaction.

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;

use crate::actions::rules::ActionStatus;
use crate::audit::{self, Change};
use crate::auth::Principal;
use crate::data_requests::rules::DataRequestStatus;
use crate::db::counter::Scope;
use crate::db::schema::{actions, data_requests, raised_events};
use crate::db::{self, Day, DbConnection, Id, Tx, UtcTime};
use crate::error::ApiError;

/// Candidates looked at per kind per round.
const PER_ROUND: i64 = 1_000;

const OVERDUE: &str = "action.overdue";
const DUE: &str = "data_request.due";

/// Who raises them, in the change log.
pub fn system() -> Principal {
    Principal {
        subject: "system:scheduler".to_owned(),
        organisation_id: None,
        platform_admin: false,
        roles: BTreeMap::new(),
        client: None,
        checked: Default::default(),
    }
}

/// A record due an event: its partnership and the occasion (its due date).
type Candidate = (Id, Id, String);

/// Raises what is due as of `now`: answers how many events it raised.
pub fn raise(conn: &mut DbConnection, now: UtcTime) -> Result<usize, ApiError> {
    let today = Day::in_uk(now);
    let overdue: Vec<Candidate> = actions::table
        .filter(actions::status.eq_any([ActionStatus::Open, ActionStatus::InProgress]))
        .filter(actions::due_date.lt(today))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            raised_events::table
                .filter(raised_events::kind.eq(OVERDUE))
                .filter(raised_events::subject_id.eq(actions::id))
                .filter(raised_events::occasion.nullable().eq(actions::due_date)),
        )))
        .select((
            actions::id,
            actions::partnership_id,
            actions::due_date.assume_not_null(),
        ))
        .limit(PER_ROUND)
        .load(conn)?;
    let due: Vec<Candidate> = data_requests::table
        .filter(data_requests::status.eq(DataRequestStatus::Open))
        .filter(data_requests::due_date.le(today))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            raised_events::table
                .filter(raised_events::kind.eq(DUE))
                .filter(raised_events::subject_id.eq(data_requests::id))
                .filter(raised_events::occasion.eq(data_requests::due_date)),
        )))
        .select((
            data_requests::id,
            data_requests::partnership_id,
            data_requests::due_date,
        ))
        .limit(PER_ROUND)
        .load(conn)?;
    let mut by_partnership: BTreeMap<Id, (Vec<Candidate>, Vec<Candidate>)> = BTreeMap::new();
    for c in overdue {
        by_partnership.entry(c.1).or_default().0.push(c);
    }
    for c in due {
        by_partnership.entry(c.1).or_default().1.push(c);
    }
    let mut raised = 0;
    for (partnership_id, (overdue, due)) in by_partnership {
        raised += db::transaction(conn, |conn| {
            let mut tx = Tx::hold(conn, Scope::Partnership(partnership_id), now)?;
            let a = raise_kind(&mut tx, OVERDUE, &overdue, Change::Overdue, |tx, ids| {
                ids.iter()
                    .map(|id| crate::actions::model::reload(tx, *id))
                    .collect::<Result<Vec<_>, _>>()
            })?;
            let b = raise_kind(&mut tx, DUE, &due, Change::Due, |tx, ids| {
                Ok(data_requests::table
                    .filter(data_requests::id.eq_any(ids))
                    .select(crate::data_requests::model::DataRequest::as_select())
                    .load(&mut **tx)?)
            })?;
            Ok::<_, ApiError>(a + b)
        })?;
    }
    Ok(raised)
}

/// Raises `kind` for the candidates not raised yet (looked up again now the
/// log is held), each as an audit event of the record as it stands.
fn raise_kind<T: audit::Audited>(
    tx: &mut Tx<'_>,
    kind: &str,
    candidates: &[Candidate],
    change: Change,
    load: impl FnOnce(&mut Tx<'_>, &[Id]) -> Result<Vec<T>, ApiError>,
) -> Result<usize, ApiError> {
    if candidates.is_empty() {
        return Ok(0);
    }
    let ids: Vec<Id> = candidates.iter().map(|c| c.0).collect();
    let done: BTreeSet<(Id, String)> = raised_events::table
        .filter(raised_events::kind.eq(kind))
        .filter(raised_events::subject_id.eq_any(&ids))
        .select((raised_events::subject_id, raised_events::occasion))
        .load::<(Id, String)>(&mut **tx)?
        .into_iter()
        .collect();
    let fresh: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| !done.contains(&(c.0, c.2.clone())))
        .collect();
    if fresh.is_empty() {
        return Ok(0);
    }
    let now = tx.now();
    let rows: Vec<_> = fresh
        .iter()
        .map(|(id, partnership_id, occasion)| {
            (
                raised_events::kind.eq(kind),
                raised_events::subject_id.eq(*id),
                raised_events::occasion.eq(occasion.clone()),
                raised_events::partnership_id.eq(*partnership_id),
                raised_events::raised_at.eq(now),
            )
        })
        .collect();
    for row in rows {
        diesel::insert_into(raised_events::table)
            .values(row)
            .execute(&mut **tx)?;
    }
    let fresh_ids: Vec<Id> = fresh.iter().map(|c| c.0).collect();
    let records = load(tx, &fresh_ids)?;
    let changes: Vec<(Option<&T>, Option<&T>)> = records.iter().map(|r| (None, Some(r))).collect();
    audit::record_many(tx, &system(), change, &changes)?;
    Ok(records.len())
}
