//! The action log as CSV (`Accept: text/csv`), in the columns a business
//! unit keeps in its Excel log, written by `http::csv_safe` so that no cell
//! runs as a formula: the action number is a number, every other cell quoted
//! text. `Due` is the deadline as worded, `Due date` the ISO date beside it.

use std::collections::HashMap;

use diesel::prelude::*;

use super::updates::ActionUpdate;
use super::view::ActionView;
use crate::db::schema::{action_updates, meetings};
use crate::db::{Day, DbConnection, Id, UtcTime};
use crate::error::ApiError;
use crate::http::csv_safe::{self, Cell};

pub const COLUMNS: [&str; 12] = [
    "Action No",
    "Reference",
    "Date agreed",
    "Item",
    "Action",
    "Owner",
    "Due",
    "Due date",
    "Status",
    "Overdue",
    "Latest update",
    "Completed on",
];

/// What the CSV needs beyond the actions: meeting dates and latest updates.
pub struct Extras {
    meeting_day: HashMap<Id, Day>,
    latest: HashMap<Id, ActionUpdate>,
}

pub fn extras(conn: &mut DbConnection, list: &[ActionView]) -> Result<Extras, ApiError> {
    let ids: Vec<Id> = list.iter().map(|v| v.action.id).collect();
    let meeting_ids = list
        .iter()
        .flat_map(|v| [v.action.meeting_id, v.action.due_meeting_id])
        .flatten();
    let meeting_day = crate::db::by_ids(meeting_ids, |ids| {
        meetings::table
            .filter(meetings::id.eq_any(ids))
            .select((meetings::id, meetings::starts_at))
            .load::<(Id, UtcTime)>(conn)
    })?
    .into_iter()
    .map(|(id, starts)| (id, Day::in_uk(starts)))
    .collect();
    let mut latest = HashMap::new();
    for chunk in ids.chunks(crate::db::IDS_PER_QUERY) {
        let updates: Vec<ActionUpdate> = action_updates::table
            .filter(action_updates::action_id.eq_any(chunk))
            .order((action_updates::noted_on.asc(), action_updates::id.asc()))
            .select(ActionUpdate::as_select())
            .load(conn)?;
        for update in updates {
            latest.insert(update.action_id, update);
        }
    }
    Ok(Extras {
        meeting_day,
        latest,
    })
}

pub fn render(list: &[ActionView], extras: &Extras) -> String {
    let rows: Vec<[Cell; 12]> = list.iter().map(|view| row(view, extras)).collect();
    csv_safe::document(&COLUMNS, rows.iter().map(|r| &r[..]))
}

fn row(view: &ActionView, extras: &Extras) -> [Cell; 12] {
    let a = &view.action;
    let day = |id: Option<Id>| {
        id.and_then(|m| extras.meeting_day.get(&m))
            .map(|d| d.text())
    };
    // The deadline as worded ("end of November"), and beside it as a date
    // a spreadsheet sorts: the due date, or the day of the due meeting.
    let due_date = a.due_date.map(Day::text).or(day(a.due_meeting_id));
    let due = a.due_text.clone().or(due_date.clone()).unwrap_or_default();
    let latest = extras
        .latest
        .get(&a.id)
        .map(|u| format!("{}: {}", u.noted_on, u.note))
        .unwrap_or_default();
    [
        Cell::number(a.number),
        Cell::text(view.reference.clone()),
        Cell::text(day(a.meeting_id).unwrap_or_default()),
        Cell::text(view.item_number.clone().unwrap_or_default()),
        Cell::text(a.description.clone()),
        Cell::text(view.owner_initials()),
        Cell::text(due),
        Cell::text(due_date.unwrap_or_default()),
        Cell::text(a.status.label()),
        Cell::text(if view.overdue { "Yes" } else { "No" }),
        Cell::text(latest),
        Cell::text(a.completed_on.map(Day::text).unwrap_or_default()),
    ]
}
