//! Matters arising: what a meeting reviews of the action log, as in
//! "Members considered the following outstanding actions from the action
//! log: (updates in bold)". The actions outstanding at the meeting from
//! earlier meetings of the same group (and any due at this meeting, or
//! reported on there), and those completed since the group's previous
//! meeting, each with the updates reported at this meeting.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{self, Action, ActionRow};
use super::rules::ActionStatus;
use super::updates;
use super::view::{self, ActionView};
use crate::db::schema::{actions, meetings, people};
use crate::db::{Day, DbConnection, Id, UtcTime};
use crate::error::ApiError;
use crate::meetings::model::Meeting;

/// An update as the minutes give it: dated, by whom, in bold.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReportedUpdate {
    pub id: Id,
    pub noted_on: Day,
    pub note: String,
    /// The status it moved the action to, if it did.
    pub status: Option<ActionStatus>,
    /// The name of the person who gave it.
    pub author: Option<String>,
}

/// An action as a meeting reviewed it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReviewedAction {
    #[serde(flatten)]
    pub action: ActionView,
    /// The updates reported at this meeting, oldest first.
    pub updates: Vec<ReportedUpdate>,
}

/// `GET /v1/meetings/{id}/matters-arising`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MattersArising {
    pub meeting_id: Id,
    /// The group's previous meeting: completions since it are listed.
    pub previous_meeting_id: Option<Id>,
    /// Outstanding at this meeting (open or in progress then), in number
    /// order, and any other action an update was reported on here (one
    /// cancelled, say: its status says so).
    pub outstanding: Vec<ReviewedAction>,
    /// Completed since the previous meeting, up to this one, or completed
    /// earlier and reported on here.
    pub completed: Vec<ReviewedAction>,
}

impl MattersArising {
    pub fn is_empty(&self) -> bool {
        self.outstanding.is_empty() && self.completed.is_empty()
    }
}

/// What `meeting` reviews, as it stood at that meeting: an action completed
/// since is still listed as outstanding then; `sees_confidential` false
/// leaves out actions agreed under confidential items.
pub fn for_meeting(
    conn: &mut DbConnection,
    meeting: &Meeting,
    sees_confidential: bool,
    now: UtcTime,
) -> Result<MattersArising, ApiError> {
    use crate::meetings::model as meetings_model;
    let previous_id = match meeting.previous_meeting_id {
        Some(id) => Some(id),
        None => meetings_model::latest_before(conn, meeting.group_id, meeting.starts_at)?,
    };
    let previous = match previous_id {
        Some(id) => Some(meetings_model::find_in(conn, meeting.partnership_id, id)?),
        None => None,
    };
    let reported_here = updates::reported_at(conn, meeting.id)?;
    let reported_ids: Vec<Id> = reported_here.iter().map(|u| u.action_id).collect();
    let earlier = meetings::table
        .filter(meetings::group_id.eq(meeting.group_id))
        .filter(meetings::starts_at.lt(meeting.starts_at))
        .select(meetings::id.nullable());
    let rows: Vec<ActionRow> = actions::table
        .filter(actions::partnership_id.eq(meeting.partnership_id))
        .filter(
            actions::meeting_id
                .eq_any(earlier)
                .or(actions::due_meeting_id.eq(meeting.id))
                .or(actions::id.eq_any(&reported_ids)),
        )
        .order(actions::number.asc())
        .select(ActionRow::as_select())
        .load(conn)?;
    let mut rows = model::with_owners(conn, rows)?;
    if !sees_confidential {
        let hidden = model::confidential_items(conn, &rows)?;
        rows.retain(|a| !hidden.contains(&a.id));
    }
    let since = previous.as_ref().map(|p| Day::in_uk(p.starts_at));
    let until = Day::in_uk(meeting.starts_at);
    let place = |a: &Action| -> Option<bool> {
        let completed_then = a.completed_on.filter(|d| *d <= until);
        if a.status == ActionStatus::Complete && completed_then.is_some() {
            // Completed by this meeting: reviewed if since the previous one.
            // Completed by this meeting: reviewed if since the previous one,
            // or if an update on it was reported here.
            let recent = completed_then.is_some_and(|d| since.is_none_or(|s| d > s));
            return (recent || reported_ids.contains(&a.id)).then_some(false);
        }
        let outstanding_then =
            a.status.is_outstanding() || a.completed_on.is_some_and(|d| d > until);
        (outstanding_then || reported_ids.contains(&a.id)).then_some(true)
    };
    let placed: Vec<(Action, bool)> = rows
        .into_iter()
        .filter_map(|a| place(&a).map(|outstanding| (a, outstanding)))
        .collect();

    let author_ids: Vec<Id> = reported_here
        .iter()
        .filter_map(|u| u.author_person_id)
        .collect();
    let authors: HashMap<Id, String> = crate::db::by_ids(author_ids, |ids| {
        people::table
            .filter(people::id.eq_any(ids))
            .select((people::id, people::full_name))
            .load::<(Id, String)>(conn)
    })?
    .into_iter()
    .collect();
    let mut reported: HashMap<Id, Vec<ReportedUpdate>> = HashMap::new();
    for u in reported_here {
        reported
            .entry(u.action_id)
            .or_default()
            .push(ReportedUpdate {
                id: u.id,
                noted_on: u.noted_on,
                note: u.note,
                status: u.status,
                author: u.author_person_id.and_then(|p| authors.get(&p).cloned()),
            });
    }
    let (rows, where_): (Vec<Action>, Vec<bool>) = placed.into_iter().unzip();
    let mut outstanding = Vec::new();
    let mut completed = Vec::new();
    for (view, is_outstanding) in view::views(conn, meeting.partnership_id, rows, now)?
        .into_iter()
        .zip(where_)
    {
        let entry = ReviewedAction {
            updates: reported.remove(&view.action.id).unwrap_or_default(),
            action: view,
        };
        if is_outstanding {
            outstanding.push(entry);
        } else {
            completed.push(entry);
        }
    }
    Ok(MattersArising {
        meeting_id: meeting.id,
        previous_meeting_id: previous.map(|p| p.id),
        outstanding,
        completed,
    })
}

/// The actions agreed at `meeting`, by the item they were agreed under (an
/// action with no item is under `None`).
pub fn agreed_at(
    conn: &mut DbConnection,
    meeting: &Meeting,
    now: UtcTime,
) -> Result<HashMap<Option<Id>, Vec<ActionView>>, ApiError> {
    let rows: Vec<ActionRow> = actions::table
        .filter(actions::meeting_id.eq(meeting.id))
        .order(actions::number.asc())
        .select(ActionRow::as_select())
        .load(conn)?;
    let rows = model::with_owners(conn, rows)?;
    let mut by_item: HashMap<Option<Id>, Vec<ActionView>> = HashMap::new();
    for view in view::views(conn, meeting.partnership_id, rows, now)? {
        by_item.entry(view.action.item_id).or_default().push(view);
    }
    Ok(by_item)
}
