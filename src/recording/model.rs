//! Reading what a document is planned against, and writing its plan: one
//! transaction in the partnership's write scope (the registry held shared,
//! as people refer to its agencies), rows of a kind written together by the
//! store's batch calls.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;

use super::document::MeetingRecord;
use super::names::{Directory, KnownAgency, KnownGroup, KnownPerson};
use super::plan::{self, ActionPlan, Context, Plan, UpdatePlan};
use crate::actions::model::{self as actions, Action};
use crate::actions::rules::CreateUpdate;
use crate::actions::updates::{self, ActionUpdate};
use crate::attendees::model::Attendee;
use crate::auth::Principal;
use crate::db::counter::Scope;
use crate::db::schema::{
    actions as actions_table, agenda_items, meetings, organisations, partnership_groups,
    partnership_members, people,
};
use crate::db::store::{self, Expected};
use crate::db::{Day, DbConnection, Id, IdList, Tx, UtcTime};
use crate::decisions::model::Decision;
use crate::declarations::model::Declaration;
use crate::error::ApiError;
use crate::items::AgendaItem;
use crate::meetings::model::{self as meetings_model, Meeting};
use crate::meetings::rules::{MeetingFields, MinutesStatus};
use crate::organisations::rules::name_key;

/// The partnership's people, groups and member agencies.
pub fn directory(conn: &mut DbConnection, partnership_id: Id) -> Result<Directory, ApiError> {
    let people = people::table
        .filter(people::partnership_id.eq(partnership_id))
        .select((people::id, people::full_name, people::initials))
        .load::<(Id, String, String)>(conn)?
        .into_iter()
        .map(|(id, full_name, initials)| KnownPerson {
            id,
            full_name,
            initials,
        })
        .collect();
    let groups = partnership_groups::table
        .filter(partnership_groups::partnership_id.eq(partnership_id))
        .select((
            partnership_groups::id,
            partnership_groups::name,
            partnership_groups::short_name,
        ))
        .load::<(Id, String, String)>(conn)?
        .into_iter()
        .map(|(id, name, short_name)| KnownGroup {
            id,
            name,
            short_name,
        })
        .collect();
    let members = partnership_members::table
        .inner_join(
            organisations::table.on(organisations::id.eq(partnership_members::organisation_id)),
        )
        .filter(partnership_members::partnership_id.eq(partnership_id))
        .select((organisations::id, organisations::name))
        .load::<(Id, String)>(conn)?
        .into_iter()
        .map(|(id, name)| KnownAgency { id, name })
        .collect();
    Ok(Directory {
        people,
        groups,
        members,
    })
}

/// What `doc` is planned against, for the meeting `meeting_id` (new, or
/// the one a `PUT` replaces).
pub(super) fn context(
    conn: &mut DbConnection,
    partnership_id: Id,
    meeting_id: Id,
    doc: &MeetingRecord,
    now: UtcTime,
) -> Result<Context, ApiError> {
    let directory = directory(conn, partnership_id)?;
    let group = directory.meeting_group(&doc.group_name);
    let names: Vec<String> = [
        &doc.present,
        &doc.in_attendance,
        &doc.apologies,
        &doc.absent,
    ]
    .into_iter()
    .flatten()
    .filter_map(|a| a.organisation.as_deref())
    .map(name_key)
    .collect();
    let registry = organisations::table
        .filter(organisations::name_key.eq_any(&names))
        .select((organisations::name_key, organisations::id))
        .load::<(String, Id)>(conn)?
        .into_iter()
        .collect();
    let review = &doc.matters_arising;
    let numbers: Vec<i64> = doc
        .items
        .iter()
        .flat_map(|i| i.actions.iter())
        .chain(doc.other_actions.iter())
        .filter_map(|a| a.number)
        .chain(
            review
                .outstanding
                .iter()
                .chain(&review.completed)
                .map(|r| r.number),
        )
        .collect();
    let mut rows = Vec::new();
    for chunk in numbers.chunks(500) {
        rows.extend(
            actions_table::table
                .filter(actions_table::partnership_id.eq(partnership_id))
                .filter(actions_table::number.eq_any(chunk))
                .select(actions::ActionRow::as_select())
                .load(conn)?,
        );
    }
    let held = actions::with_owners(conn, rows)?
        .into_iter()
        .map(|a| (a.number, a))
        .collect();
    let mut earlier = HashMap::new();
    let mut earlier_items = HashMap::new();
    if let Ok(group_id) = &group {
        let found = meetings::table
            .filter(meetings::group_id.eq(group_id))
            .filter(meetings::starts_at.lt(doc.meeting.starts_at))
            .filter(meetings::id.ne(meeting_id))
            .order(meetings::starts_at.asc())
            .select((meetings::id, meetings::starts_at))
            .load::<(Id, UtcTime)>(conn)?;
        for (id, starts) in &found {
            earlier.entry(Day::in_uk(*starts)).or_insert(*id);
        }
        let ids: Vec<Id> = earlier.values().copied().collect();
        let items = crate::db::by_ids(ids, |chunk| {
            agenda_items::table
                .filter(agenda_items::meeting_id.eq_any(chunk))
                .filter(agenda_items::number.is_not_null())
                .select((
                    agenda_items::meeting_id,
                    agenda_items::number,
                    agenda_items::id,
                ))
                .load::<(Id, Option<String>, Id)>(conn)
        })?;
        for (meeting, number, id) in items {
            if let Some(number) = number {
                earlier_items.entry((meeting, number)).or_insert(id);
            }
        }
    }
    let existing_items = crate::items::model::all(conn, meeting_id)?;
    Ok(Context {
        partnership_id,
        meeting_id,
        now,
        directory,
        group: Some(group),
        registry,
        held,
        earlier,
        earlier_items,
        existing_items,
    })
}

/// The plan of `doc`, or a 422 naming every fault.
pub(super) fn planned(ctx: &Context, doc: &MeetingRecord) -> Result<Plan, ApiError> {
    plan::plan(doc, ctx).map_err(ApiError::Validation)
}

fn item_record(
    ctx_partnership: Id,
    meeting_id: Id,
    id: Id,
    number: Option<String>,
    title: String,
    position: i32,
    now: UtcTime,
) -> AgendaItem {
    AgendaItem {
        id,
        meeting_id,
        partnership_id: ctx_partnership,
        number,
        title,
        presenter_person_id: None,
        minutes: None,
        confidential: false,
        not_minuted: false,
        position,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

/// The people and the earlier meetings (with their items) the plan creates.
pub(super) fn write_people_and_stubs(
    tx: &mut Tx<'_>,
    actor: &Principal,
    pid: Id,
    plan: &Plan,
    title: &str,
) -> Result<(), ApiError> {
    let now = tx.now();
    store::insert_many(tx, actor, &plan.people)?;
    let mut stubs: Vec<_> = plan.stubs.iter().collect();
    stubs.sort_by_key(|s| s.starts_at);
    let mut stub_items = Vec::new();
    for stub in stubs {
        let previous = meetings_model::latest_before(tx, plan.group_id, stub.starts_at)?;
        let fields = MeetingFields {
            group_id: plan.group_id,
            title: stub.title.clone().unwrap_or_else(|| title.to_owned()),
            starts_at: stub.starts_at,
            ends_at: None,
            location: None,
            status: crate::meetings::rules::MeetingStatus::Held,
            previous_meeting_id: previous,
            no_declarations: false,
        };
        meetings_model::insert(tx, actor, pid, stub.id, fields, MinutesStatus::Draft)?;
        for (i, (id, number, title)) in stub.items.iter().enumerate() {
            stub_items.push(item_record(
                pid,
                stub.id,
                *id,
                number.clone(),
                title.clone(),
                i as i32 + 1,
                now,
            ));
        }
    }
    store::insert_many(tx, actor, &stub_items)
}

/// The attendance, items, decisions and declarations of the plan, written
/// into `meeting` (whose own rows of them are gone or never were).
pub(super) fn write_minutes(
    tx: &mut Tx<'_>,
    actor: &Principal,
    meeting: &Meeting,
    plan: &Plan,
) -> Result<(), ApiError> {
    let now = tx.now();
    let (mid, pid) = (meeting.id, meeting.partnership_id);
    let attendees: Vec<Attendee> = plan
        .attendees
        .iter()
        .map(|f| Attendee {
            id: Id::new(),
            meeting_id: mid,
            partnership_id: pid,
            person_id: f.person_id,
            guest_name: f.guest_name.clone(),
            guest_organisation: f.guest_organisation.clone(),
            attendance: f.attendance,
            role: f.role,
            deputising_for_person_id: f.deputising_for_person_id,
            arrived_at: f.arrived_at,
            left_at: f.left_at,
            attended_item_ids: IdList(f.attended_item_ids.clone()),
            version: 1,
            created_at: now,
            updated_at: now,
        })
        .collect();
    store::insert_many(tx, actor, &attendees)?;
    let decisions: Vec<Decision> = plan
        .decisions
        .iter()
        .map(|(item, outcome, text)| Decision {
            id: Id::new(),
            item_id: *item,
            meeting_id: mid,
            partnership_id: pid,
            outcome: *outcome,
            text: text.clone(),
            version: 1,
            created_at: now,
            updated_at: now,
        })
        .collect();
    store::insert_many(tx, actor, &decisions)?;
    let declarations: Vec<Declaration> = plan
        .declarations
        .iter()
        .map(|(person, item, text)| Declaration {
            id: Id::new(),
            meeting_id: mid,
            partnership_id: pid,
            person_id: *person,
            item_id: *item,
            text: text.clone(),
            version: 1,
            created_at: now,
            updated_at: now,
        })
        .collect();
    store::insert_many(tx, actor, &declarations)
}

pub(super) fn item_of_plan(meeting: &Meeting, p: &plan::ItemPlan, now: UtcTime) -> AgendaItem {
    AgendaItem {
        id: p.id,
        meeting_id: meeting.id,
        partnership_id: meeting.partnership_id,
        number: p.fields.number.clone(),
        title: p.fields.title.clone(),
        presenter_person_id: p.fields.presenter_person_id,
        minutes: p.fields.minutes.clone(),
        confidential: p.fields.confidential,
        not_minuted: p.fields.not_minuted,
        position: p.position,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

fn new_action(pid: Id, number: i64, a: &ActionPlan, now: UtcTime) -> Action {
    Action {
        id: Id::new(),
        partnership_id: pid,
        number,
        meeting_id: Some(a.meeting_id),
        item_id: a.item_id,
        description: a.description.clone(),
        owner_ids: IdList::default(),
        all_partners: false,
        due_date: a.due_date,
        due_meeting_id: None,
        due_text: a.due_text.clone(),
        status: a.status,
        completed_on: a.completed_on,
        version: 1,
        created_at: now,
        updated_at: now,
        owners: Vec::new(),
    }
    .owned_by(a.owners.clone())
}

fn update_record(
    actor: &Principal,
    action: &Action,
    meeting_id: Id,
    u: &UpdatePlan,
    now: UtcTime,
) -> ActionUpdate {
    ActionUpdate {
        id: Id::new(),
        action_id: action.id,
        partnership_id: action.partnership_id,
        noted_on: u.noted_on,
        note: u.note.clone(),
        author_person_id: u.author_person_id,
        status: u.status,
        reported_at_meeting_id: Some(meeting_id),
        recorded_by: actor.subject.clone(),
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

/// The actions of the plan: numbered ones keep their numbers (the counter
/// raised past them), the others take the partnership's next numbers in
/// document order; `existing` (a `PUT`'s meeting's own actions by number)
/// are rewritten in place.
pub(super) fn write_actions(
    tx: &mut Tx<'_>,
    actor: &Principal,
    pid: Id,
    meeting_id: Id,
    plan: &Plan,
    existing: &HashMap<i64, Action>,
) -> Result<Vec<Id>, ApiError> {
    let now = tx.now();
    let scope = Scope::Partnership(pid);
    // An earlier action imported onto a meeting the partnership held already
    // is recorded into that meeting's minutes: 409 while they are approved.
    let stubs: HashSet<Id> = plan.stubs.iter().map(|s| s.id).collect();
    let held: HashSet<Id> = plan
        .actions
        .iter()
        .map(|a| a.meeting_id)
        .filter(|m| *m != meeting_id && !stubs.contains(m))
        .collect();
    for earlier in held {
        meetings_model::claim_open(tx, pid, earlier)?;
    }
    if let Some(highest) = plan.actions.iter().filter_map(|a| a.number).max() {
        tx.raise(scope, actions::NUMBERS, highest)?;
    }
    // The partnership's next numbers, taken at once, for the actions
    // without one, in document order.
    let fresh = plan.actions.iter().filter(|a| a.number.is_none()).count() as i64;
    let mut next = match fresh {
        0 => 0,
        n => tx.advance(scope, actions::NUMBERS, n)? - n + 1,
    };
    let mut kept = Vec::new();
    let mut created = Vec::new();
    let mut imported_updates = Vec::new();
    for a in &plan.actions {
        if let Some(before) = a.number.and_then(|n| existing.get(&n)) {
            let after = Action {
                item_id: a.item_id,
                description: a.description.clone(),
                due_date: a.due_date,
                due_text: a.due_text.clone(),
                status: a.status,
                completed_on: a.completed_on,
                ..before.clone()
            }
            .owned_by(a.owners.clone());
            if after != *before {
                store::update(tx, actor, before, after, Expected::Any)?;
            }
            kept.push(before.id);
            continue;
        }
        let number = a.number.unwrap_or_else(|| {
            next += 1;
            next - 1
        });
        let record = new_action(pid, number, a, now);
        imported_updates.extend(
            a.updates
                .iter()
                .map(|u| update_record(actor, &record, meeting_id, u, now)),
        );
        kept.push(record.id);
        created.push(record);
    }
    store::insert_many(tx, actor, &created)?;
    store::insert_many(tx, actor, &imported_updates)?;
    for (action_id, u) in &plan.reports {
        let action = actions::reload(tx, *action_id)?;
        let form = CreateUpdate {
            noted_on: Some(u.noted_on),
            note: u.note.clone(),
            author_person_id: u.author_person_id,
            status: u.status,
            reported_at_meeting_id: Some(meeting_id),
        };
        updates::create(tx, actor, action, form, now)?;
    }
    Ok(kept)
}

/// Records `doc` as a new meeting of the tenant's partnership. Answers the
/// meeting and the people created.
pub fn record(
    tx: &mut Tx<'_>,
    actor: &Principal,
    pid: Id,
    doc: &MeetingRecord,
) -> Result<(Meeting, Vec<Id>), ApiError> {
    let now = tx.now();
    doc.check_sizes()?;
    crate::partnerships::model::find(tx, pid)?;
    let ctx = context(tx, pid, Id::new(), doc, now)?;
    let plan = planned(&ctx, doc)?;
    let mut fields = plan
        .meeting
        .clone()
        .ok_or_else(|| ApiError::internal("a plan has its meeting"))?;
    // Without a previous meeting named, the group's latest before this one
    // among those the partnership held already.
    fields.previous_meeting_id = match plan.previous_meeting_id {
        Some(id) => Some(id),
        None => meetings_model::latest_before(tx, fields.group_id, fields.starts_at)?,
    };
    write_people_and_stubs(tx, actor, pid, &plan, &fields.title)?;
    let meeting =
        meetings_model::insert(tx, actor, pid, ctx.meeting_id, fields, MinutesStatus::Draft)?;
    let items: Vec<AgendaItem> = plan
        .items
        .iter()
        .map(|p| item_of_plan(&meeting, p, now))
        .collect();
    store::insert_many(tx, actor, &items)?;
    write_minutes(tx, actor, &meeting, &plan)?;
    write_actions(tx, actor, pid, meeting.id, &plan, &HashMap::new())?;
    Ok((meeting, plan.people.iter().map(|p| p.id).collect()))
}
