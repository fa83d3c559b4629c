//! The action log as CSV (`Accept: text/csv`), in the columns a business
//! unit keeps in its Excel log. A cell that a spreadsheet would run as a
//! formula (`=`, `+`, `-`, `@`) is written with a leading apostrophe.

use std::collections::HashMap;

use diesel::prelude::*;

use super::updates::ActionUpdate;
use super::view::ActionView;
use crate::db::schema::{action_updates, meetings};
use crate::db::{Day, DbConnection, Id, UtcTime};
use crate::error::ApiError;

pub const COLUMNS: [&str; 11] = [
    "Action No",
    "Reference",
    "Date agreed",
    "Item",
    "Action",
    "Owner",
    "Due",
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
    let meeting_ids: Vec<Id> = list
        .iter()
        .flat_map(|v| [v.action.meeting_id, v.action.due_meeting_id])
        .flatten()
        .collect();
    let meeting_day = meetings::table
        .filter(meetings::id.eq_any(&meeting_ids))
        .select((meetings::id, meetings::starts_at))
        .load::<(Id, UtcTime)>(conn)?
        .into_iter()
        .map(|(id, starts)| (id, Day::in_uk(starts)))
        .collect();
    let mut latest = HashMap::new();
    for chunk in ids.chunks(500) {
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

/// A cell as a spreadsheet may open it safely.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

pub fn render(list: &[ActionView], extras: &Extras) -> Result<String, ApiError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| ApiError::internal(format!("writing CSV: {e}"));
    out.write_record(COLUMNS).map_err(fail)?;
    for view in list {
        let a = &view.action;
        let day = |id: Option<Id>| {
            id.and_then(|m| extras.meeting_day.get(&m))
                .map(|d| d.text())
        };
        let due = a
            .due_text
            .clone()
            .or(a.due_date.map(Day::text))
            .or(day(a.due_meeting_id))
            .unwrap_or_default();
        let latest = extras
            .latest
            .get(&a.id)
            .map(|u| format!("{}: {}", u.noted_on, u.note))
            .unwrap_or_default();
        let record = [
            a.number.to_string(),
            view.reference.clone(),
            day(a.meeting_id).unwrap_or_default(),
            view.item_number.clone().unwrap_or_default(),
            a.description.clone(),
            view.owner_initials(),
            due,
            a.status.label().to_owned(),
            if view.overdue { "Yes" } else { "No" }.to_owned(),
            latest,
            a.completed_on.map(Day::text).unwrap_or_default(),
        ];
        out.write_record(record.iter().map(|c| cell(c)))
            .map_err(fail)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| ApiError::internal(format!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| ApiError::internal(format!("writing CSV: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_not_run() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("PG to draft letter"), "PG to draft letter");
    }
}
