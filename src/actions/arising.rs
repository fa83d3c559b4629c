//! Matters arising: what a meeting reviews of the action log, as in
//! "Members considered the following outstanding actions from the action
//! log: (updates in bold)". The actions still outstanding from earlier
//! meetings of the same group (and any due at this meeting), and those
//! completed since the group's previous meeting, each with the updates
//! reported at this meeting.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{self, Action};
use super::rules::ActionStatus;
use super::updates::{self, ActionUpdate};
use super::view::{self, ActionView};
use crate::db::schema::{actions, meetings};
use crate::db::{Day, DbConnection, Id, UtcTime};
use crate::error::ApiError;
use crate::meetings::model::Meeting;

/// An action as a meeting reviewed it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReviewedAction {
    #[serde(flatten)]
    pub action: ActionView,
    /// The updates reported at this meeting, oldest first.
    pub updates: Vec<ActionUpdate>,
}

/// `GET /v1/meetings/{id}/matters-arising`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MattersArising {
    pub meeting_id: Id,
    /// The group's previous meeting: completions since it are listed.
    pub previous_meeting_id: Option<Id>,
    /// Still open or in progress, in number order.
    pub outstanding: Vec<ReviewedAction>,
    /// Completed since the previous meeting, up to this one.
    pub completed: Vec<ReviewedAction>,
}

impl MattersArising {
    pub fn is_empty(&self) -> bool {
        self.outstanding.is_empty() && self.completed.is_empty()
    }
}

/// What `meeting` reviews; `sees_confidential` false leaves out actions
/// agreed under confidential items.
pub fn for_meeting(
    conn: &mut DbConnection,
    meeting: &Meeting,
    sees_confidential: bool,
    now: UtcTime,
) -> Result<MattersArising, ApiError> {
    let previous = match meeting.previous_meeting_id {
        Some(id) => crate::meetings::model::find_in(conn, meeting.partnership_id, id).ok(),
        None => None,
    };
    let earlier = meetings::table
        .filter(meetings::group_id.eq(meeting.group_id))
        .filter(meetings::starts_at.lt(meeting.starts_at))
        .select(meetings::id.nullable());
    let mut rows: Vec<Action> = actions::table
        .filter(actions::partnership_id.eq(meeting.partnership_id))
        .filter(
            actions::meeting_id
                .eq_any(earlier)
                .or(actions::due_meeting_id.eq(meeting.id)),
        )
        .filter(actions::status.ne(ActionStatus::Cancelled))
        .order(actions::number.asc())
        .select(Action::as_select())
        .load(conn)?;
    if !sees_confidential {
        let hidden = model::confidential_items(conn, &rows)?;
        rows.retain(|a| !hidden.contains(&a.id));
    }
    let since = previous.as_ref().map(|p| Day::in_uk(p.starts_at));
    let until = Day::in_uk(meeting.starts_at);
    let completed_in_window = |a: &Action| {
        a.status == ActionStatus::Complete
            && a.completed_on
                .is_some_and(|d| since.is_none_or(|s| d > s) && d <= until)
    };
    rows.retain(|a| a.status.is_outstanding() || completed_in_window(a));

    let mut reported: HashMap<Id, Vec<ActionUpdate>> = HashMap::new();
    for update in updates::reported_at(conn, meeting.id)? {
        reported.entry(update.action_id).or_default().push(update);
    }
    let mut outstanding = Vec::new();
    let mut completed = Vec::new();
    for view in view::views(conn, meeting.partnership_id, rows, now)? {
        let entry = ReviewedAction {
            updates: reported.remove(&view.action.id).unwrap_or_default(),
            action: view,
        };
        if entry.action.action.status.is_outstanding() {
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
    let rows: Vec<Action> = actions::table
        .filter(actions::meeting_id.eq(meeting.id))
        .order(actions::number.asc())
        .select(Action::as_select())
        .load(conn)?;
    let mut by_item: HashMap<Option<Id>, Vec<ActionView>> = HashMap::new();
    for view in view::views(conn, meeting.partnership_id, rows, now)? {
        by_item.entry(view.action.item_id).or_default().push(view);
    }
    Ok(by_item)
}
