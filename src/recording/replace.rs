//! `PUT /v1/meetings/{id}/record`: a draft meeting's record replaced by a
//! document, planned as a recording is ([`super::plan`]) and written in
//! the same transaction as the removals it makes.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;

use super::document::MeetingRecord;
use super::model::{
    context, item_of_plan, planned, write_actions, write_minutes, write_people_and_stubs,
};
use crate::actions::model::{self as actions, Action};
use crate::actions::rules::ActionStatus;
use crate::actions::updates::ActionUpdate;
use crate::auth::Principal;
use crate::db::schema::{action_updates, actions as actions_table, risk_escalations};
use crate::db::store::{self, Expected};
use crate::db::{Id, Tx};
use crate::error::ApiError;
use crate::items::AgendaItem;
use crate::meetings::model::{self as meetings_model, Meeting};
use crate::meetings::rules::MinutesStatus;

/// Replaces a draft meeting's record with `doc`: attendance, items,
/// decisions and declarations replaced (items kept by number or title);
/// the meeting's actions matched by number (kept and updated; one the
/// document drops is cancelled, never deleted); the updates reported at it
/// replaced.
pub fn replace(
    tx: &mut Tx<'_>,
    actor: &Principal,
    before: Meeting,
    expected: Expected,
    doc: &MeetingRecord,
) -> Result<(Meeting, Vec<Id>), ApiError> {
    let (pid, now) = (before.partnership_id, tx.now());
    doc.check_sizes()?;
    store::check(expected, before.version)?;
    crate::meetings::rules::ensure_editable(before.minutes_status)?;
    meetings_model::claim_open(tx, pid, before.id)?;
    let ctx = context(tx, pid, before.id, doc, now)?;
    let plan = planned(&ctx, doc)?;
    let fields = plan
        .meeting
        .clone()
        .ok_or_else(|| ApiError::internal("a plan has its meeting"))?;
    write_people_and_stubs(tx, actor, pid, &plan, &fields.title)?;

    // The meeting's own actions, by number; the updates reported at it.
    let own_rows = actions_table::table
        .filter(actions_table::meeting_id.eq(before.id))
        .select(actions::ActionRow::as_select())
        .load(&mut **tx)?;
    let own: HashMap<i64, Action> = actions::with_owners(tx, own_rows)?
        .into_iter()
        .map(|a| (a.number, a))
        .collect();
    let reported: Vec<ActionUpdate> = action_updates::table
        .filter(action_updates::reported_at_meeting_id.eq(before.id))
        .select(ActionUpdate::as_select())
        .load(&mut **tx)?;
    for u in reported {
        store::delete(tx, actor, &u, Expected::Any)?;
    }
    // Out with the old rows (the actions let go of items first).
    let new_items: HashSet<Id> = plan.items.iter().map(|p| p.id).collect();
    for a in own.values() {
        if a.item_id.is_some_and(|i| !new_items.contains(&i)) {
            let after = Action {
                item_id: None,
                ..a.clone()
            };
            store::update(tx, actor, a, after, Expected::Any)?;
        }
    }
    let own: HashMap<i64, Action> = own
        .into_values()
        .map(|a| actions::reload(tx, a.id).map(|a| (a.number, a)))
        .collect::<Result<_, _>>()?;
    for d in crate::decisions::model::of_meeting(tx, before.id)? {
        store::delete(tx, actor, &d, Expected::Any)?;
    }
    for d in crate::declarations::model::of_meeting(tx, before.id)? {
        store::delete(tx, actor, &d, Expected::Any)?;
    }
    for a in crate::attendees::model::all(tx, before.id)? {
        store::delete(tx, actor, &a, Expected::Any)?;
    }
    let mut inserted = Vec::new();
    for p in &plan.items {
        let wanted = item_of_plan(&before, p, now);
        match ctx.existing_items.iter().find(|e| e.id == p.id) {
            Some(e) => {
                let after = AgendaItem {
                    version: e.version,
                    created_at: e.created_at,
                    updated_at: e.updated_at,
                    ..wanted
                };
                if after != *e {
                    store::update(tx, actor, e, after, Expected::Any)?;
                }
            }
            None => inserted.push(wanted),
        }
    }
    let dropped: Vec<&AgendaItem> = ctx
        .existing_items
        .iter()
        .filter(|e| !new_items.contains(&e.id))
        .collect();
    let escalated: Vec<Id> = risk_escalations::table
        .filter(risk_escalations::item_id.eq_any(dropped.iter().map(|e| e.id).collect::<Vec<_>>()))
        .select(risk_escalations::item_id)
        .load::<Id>(&mut **tx)?;
    if let Some(e) = dropped.iter().find(|e| escalated.contains(&e.id)) {
        return Err(ApiError::field(
            "items",
            format!(
                "the item {} has a risk escalated to it: keep it in the document",
                e.number.clone().unwrap_or_else(|| e.title.clone())
            ),
        ));
    }
    for e in &dropped {
        if crate::papers::model::count_of_item(tx, e.id)? > 0 {
            return Err(ApiError::field(
                "items",
                format!(
                    "the item {} has papers, kept for the record: keep it in the document",
                    e.number.clone().unwrap_or_else(|| e.title.clone())
                ),
            ));
        }
    }
    for e in dropped {
        store::delete(tx, actor, e, Expected::Any)?;
    }
    store::insert_many(tx, actor, &inserted)?;

    let current = meetings_model::find_any(tx, before.id)?;
    let after = Meeting {
        group_id: fields.group_id,
        title: fields.title.clone(),
        starts_at: fields.starts_at,
        ends_at: fields.ends_at,
        location: fields.location.clone(),
        status: fields.status,
        no_declarations: fields.no_declarations,
        previous_meeting_id: plan.previous_meeting_id.or(current.previous_meeting_id),
        minutes_status: MinutesStatus::Draft,
        ..current.clone()
    };
    let meeting = store::update(tx, actor, &current, after, Expected::Any)?;
    write_minutes(tx, actor, &meeting, &plan)?;
    let kept = write_actions(tx, actor, pid, meeting.id, &plan, &own)?;
    for a in own.values() {
        if !kept.contains(&a.id) && a.status != ActionStatus::Cancelled {
            let after = Action {
                status: ActionStatus::Cancelled,
                completed_on: None,
                ..a.clone()
            };
            store::update(tx, actor, a, after, Expected::Any)?;
        }
    }
    Ok((meeting, plan.people.iter().map(|p| p.id).collect()))
}
