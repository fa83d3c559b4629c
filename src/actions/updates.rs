//! Dated progress notes on an action: who gave them, the meeting they were
//! reported at, and any change of status they made. The history is kept
//! whole and listed oldest first.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{self, Action};
use super::rules::{self, ActionStatus, CreateUpdate};
use crate::auth::Principal;
use crate::db::schema::action_updates;
use crate::db::store;
use crate::db::{Day, DbConnection, Id, MultiBackend, Tx, UtcTime};
use crate::error::ApiError;

/// One update of an action, as stored.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Serialize,
    Deserialize,
    ToSchema,
    Queryable,
    Selectable,
    Insertable,
    AsChangeset,
)]
#[diesel(table_name = action_updates, treat_none_as_null = true)]
pub struct ActionUpdate {
    pub id: Id,
    pub action_id: Id,
    pub partnership_id: Id,
    /// The date of the update.
    pub noted_on: Day,
    /// The progress, as minuted.
    pub note: String,
    /// Who gave the update.
    pub author_person_id: Option<Id>,
    /// The status the update moved the action to, if it did.
    pub status: Option<ActionStatus>,
    /// The meeting it was reported at.
    pub reported_at_meeting_id: Option<Id>,
    /// The API client or user that recorded it.
    pub recorded_by: String,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

crate::record!(ActionUpdate, "action_update", action_updates);
crate::batch_insert!(ActionUpdate, crate::db::schema::action_updates);

/// Records an update on `action` and moves the
/// action to the update's status; completing it records the update's date.
pub fn create(
    tx: &mut Tx<'_>,
    actor: &Principal,
    action: Action,
    form: CreateUpdate,
    now: UtcTime,
) -> Result<(ActionUpdate, Action), ApiError> {
    let note = rules::update_note(&form.note)?;
    let pid = action.partnership_id;
    if let Some(person) = form.author_person_id {
        crate::people::model::find(tx, pid, person).map_err(ApiError::missing_as(
            "author_person_id",
            "no such person in this partnership",
        ))?;
    }
    if let Some(meeting) = form.reported_at_meeting_id {
        crate::meetings::model::find_in(tx, pid, meeting).map_err(ApiError::missing_as(
            "reported_at_meeting_id",
            "no such meeting in this partnership",
        ))?;
    }
    let noted_on = form.noted_on.unwrap_or(Day::in_uk(now));
    let stamp = now;
    let update = ActionUpdate {
        id: Id::new(),
        action_id: action.id,
        partnership_id: pid,
        noted_on,
        note,
        author_person_id: form.author_person_id,
        status: form.status,
        reported_at_meeting_id: form.reported_at_meeting_id,
        recorded_by: actor.subject.clone(),
        version: 1,
        created_at: stamp,
        updated_at: stamp,
    };
    store::insert(tx, actor, &update)?;
    // Read again now that the write holds the partnership's change log: a
    // concurrent update that committed meanwhile is not overwritten.
    let action = model::reload(tx, action.id)?;
    let action = match form.status {
        Some(status) if status != action.status => {
            model::set_status(tx, actor, &action, status, noted_on)?
        }
        _ => action,
    };
    Ok((update, action))
}

/// One page of an action's updates, oldest first: by `noted_on`, then in
/// the order recorded. The cursor is the last update's id; the page resumes
/// after that update's place in this order (an update dated before it and
/// recorded during the walk shows on the next walk).
pub fn of_action(
    conn: &mut DbConnection,
    action_id: Id,
    page: &crate::db::Page,
) -> Result<Vec<ActionUpdate>, ApiError> {
    match of_action_query(conn, action_id, page)? {
        Some(query) => Ok(query.load(conn)?),
        None => Ok(Vec::new()),
    }
}

/// A page of updates as [`of_action`] reads it.
pub type UpdateQuery = action_updates::BoxedQuery<
    'static,
    MultiBackend,
    diesel::dsl::AsSelect<ActionUpdate, MultiBackend>,
>;

/// The query [`of_action`] runs (public so that a test can `EXPLAIN` it);
/// `None` when the cursor names no update of the action (past the end).
pub fn of_action_query(
    conn: &mut DbConnection,
    action_id: Id,
    page: &crate::db::Page,
) -> Result<Option<UpdateQuery>, ApiError> {
    let mut query = action_updates::table
        .filter(action_updates::action_id.eq(action_id))
        .order((action_updates::noted_on.asc(), action_updates::id.asc()))
        .select(ActionUpdate::as_select())
        .limit(page.fetch())
        .into_boxed();
    if let Some(after) = page.after {
        let Some(last) = action_updates::table
            .filter(action_updates::action_id.eq(action_id))
            .filter(action_updates::id.eq(after))
            .select(action_updates::noted_on)
            .first::<Day>(conn)
            .optional()?
        else {
            // A cursor this list did not hand out is past its end.
            return Ok(None);
        };
        // The first condition is implied by the second; said outright, it
        // lets the index seek to the cursor's place rather than read the
        // list from its start on every page.
        query = query.filter(action_updates::noted_on.ge(last)).filter(
            action_updates::noted_on
                .gt(last)
                .or(action_updates::noted_on
                    .eq(last)
                    .and(action_updates::id.gt(after))),
        );
    }
    Ok(Some(query))
}

/// The updates reported at one meeting, oldest first.
pub fn reported_at(conn: &mut DbConnection, meeting_id: Id) -> Result<Vec<ActionUpdate>, ApiError> {
    Ok(action_updates::table
        .filter(action_updates::reported_at_meeting_id.eq(meeting_id))
        .order((action_updates::noted_on.asc(), action_updates::id.asc()))
        .select(ActionUpdate::as_select())
        .load(conn)?)
}

/// One update of an action.
pub fn find(conn: &mut DbConnection, action_id: Id, id: Id) -> Result<ActionUpdate, ApiError> {
    action_updates::table
        .filter(action_updates::action_id.eq(action_id))
        .filter(action_updates::id.eq(id))
        .select(ActionUpdate::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such update of this action"))
}
