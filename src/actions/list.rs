//! The action log as a list: its filters, and the one query that answers
//! them (public, so that a test can `EXPLAIN` the SQL the service runs).

use diesel::prelude::*;
use serde::Deserialize;

use super::model::{with_owners, Action, ActionRow};
use super::owners::OwnerKind;
use super::rules::{self, ActionStatus, OwnerRef};
use crate::auth::Role;
use crate::db::schema::{action_owners, actions, agenda_items, people};
use crate::db::{Day, DbConnection, Id, MultiBackend, UtcTime};
use crate::error::ApiError;

/// A query of the action log as [`list`] runs it (see [`list_query`]).
pub type ActionQuery =
    actions::BoxedQuery<'static, MultiBackend, diesel::dsl::AsSelect<ActionRow, MultiBackend>>;

/// Filters of the action log.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionFilter {
    pub status: Option<ActionStatus>,
    /// A person's id or initials, a group's or organisation's id, or `ALL`.
    pub owner: Option<rules::OwnerFilter>,
    /// Actions agreed at meetings of this group.
    pub group_id: Option<Id>,
    /// Actions agreed at this meeting.
    pub meeting_id: Option<Id>,
    /// Only overdue (`true`) or only not overdue (`false`) actions.
    pub overdue: Option<bool>,
    /// Due before this date.
    pub due_before: Option<Day>,
    /// Due after this date.
    pub due_after: Option<Day>,
    /// The action with this number (described in its schema).
    #[param(schema_with = super::numbers::one_schema)]
    pub number: Option<String>,
    /// The actions with these numbers (described in its schema).
    #[param(schema_with = super::numbers::list_schema)]
    pub numbers: Option<String>,
    /// Compute `overdue` (and the `overdue` filter) as at the start of this
    /// day (UK time) rather than now, e.g. the day of the meeting that
    /// reviewed the log: `2019-11-18`.
    pub as_at: Option<Day>,
}

impl ActionFilter {
    /// The numbers `number` and `numbers` ask for (their union), if any; a
    /// malformed one is 400 naming its parameter.
    pub fn numbers(&self) -> Result<Option<Vec<i64>>, ApiError> {
        super::numbers::asked(self.number.as_deref(), self.numbers.as_deref())
            .map_err(|e| ApiError::Query(vec![e]))
    }
}

/// One page of the log in number order (`after` a number), or the whole
/// log (`limit` None) for exports.
pub fn list(
    conn: &mut DbConnection,
    partnership_id: Id,
    role: Role,
    filter: &ActionFilter,
    after: Option<i64>,
    limit: Option<i64>,
    now: UtcTime,
) -> Result<Vec<Action>, ApiError> {
    crate::partnerships::model::find(conn, partnership_id)?;
    let rows = list_query(conn, partnership_id, role, filter, after, limit, now)?.load(conn)?;
    with_owners(conn, rows)
}

/// The query [`list`] runs (public so that a test can `EXPLAIN` it). The
/// owner filter looks owners up in `action_owners` by the index on what
/// they name; initials are resolved to their person first.
pub fn list_query(
    conn: &mut DbConnection,
    partnership_id: Id,
    role: Role,
    filter: &ActionFilter,
    after: Option<i64>,
    limit: Option<i64>,
    now: UtcTime,
) -> Result<ActionQuery, ApiError> {
    use crate::db::schema::meetings;
    let mut query = actions::table
        .filter(actions::partnership_id.eq(partnership_id))
        .select(ActionRow::as_select())
        .order(actions::number.asc())
        .into_boxed();
    if let Some(limit) = limit {
        query = query.limit(limit);
    }
    if let Some(after) = after {
        query = query.filter(actions::number.gt(after));
    }
    if let Some(numbers) = filter.numbers()? {
        query = query.filter(actions::number.eq_any(numbers));
    }
    if let Some(status) = filter.status {
        query = query.filter(actions::status.eq(status));
    }
    if let Some(owner) = &filter.owner {
        // Each arm its own subquery: a boxed one cannot be nested in a query
        // of the connection enum.
        let owned = action_owners::table.select(action_owners::action_id);
        query = match &owner.0 {
            OwnerRef::AllPartners => query.filter(
                actions::id.eq_any(owned.filter(action_owners::kind.eq(OwnerKind::AllPartners))),
            ),
            OwnerRef::Id(id) => query.filter(
                actions::id.eq_any(
                    owned.filter(
                        action_owners::person_id
                            .eq(*id)
                            .or(action_owners::group_id.eq(*id))
                            .or(action_owners::organisation_id.eq(*id)),
                    ),
                ),
            ),
            OwnerRef::Initials(initials) => {
                let person: Option<Id> = people::table
                    .filter(people::partnership_id.eq(partnership_id))
                    .filter(people::initials.eq(initials))
                    .select(people::id)
                    .first(conn)
                    .optional()?;
                // Unknown initials own nothing: the nil id names no person.
                let id = person.unwrap_or(Id(uuid::Uuid::nil()));
                query.filter(actions::id.eq_any(owned.filter(action_owners::person_id.eq(id))))
            }
        };
    }
    if let Some(group) = filter.group_id {
        let of_group = meetings::table
            .filter(meetings::group_id.eq(group))
            .select(meetings::id.nullable());
        query = query.filter(actions::meeting_id.eq_any(of_group));
    }
    if let Some(meeting) = filter.meeting_id {
        query = query.filter(actions::meeting_id.eq(meeting));
    }
    if let Some(before) = filter.due_before {
        query = query.filter(actions::due_date.lt(before));
    }
    if let Some(after) = filter.due_after {
        query = query.filter(actions::due_date.gt(after));
    }
    if let Some(overdue) = filter.overdue {
        let today = Day::in_uk(now);
        let outstanding = [ActionStatus::Open, ActionStatus::InProgress];
        let started = meetings::table
            .filter(meetings::starts_at.le(now))
            .select(meetings::id.nullable());
        // Every part is true or false, never NULL, so `= false` is exact.
        let past_date = actions::due_date
            .is_not_null()
            .and(actions::due_date.lt(today));
        let past_meeting = actions::due_date
            .is_null()
            .and(actions::due_meeting_id.is_not_null())
            .and(actions::due_meeting_id.eq_any(started));
        let late = actions::status
            .eq_any(outstanding)
            .and(past_date.or(past_meeting))
            .assume_not_null();
        query = query.filter(late.eq(overdue));
    }
    if !role.sees_confidential() {
        // Viewers do not see what was agreed under a confidential item.
        let open_items = agenda_items::table
            .filter(agenda_items::confidential.eq(false))
            .select(agenda_items::id.nullable());
        query = query.filter(
            actions::item_id
                .is_null()
                .or(actions::item_id.eq_any(open_items))
                .assume_not_null(),
        );
    }
    Ok(query)
}
