//! From a document to the records it makes, before anything is written:
//! every name resolved, every text checked by the rules of its resource,
//! and every fault named by its path in the document, all at once. Plain
//! functions over what [`Context`] holds (loaded by the model), so a
//! document that would fail writes nothing.

use std::collections::{HashMap, HashSet};

mod actions;
mod people;
#[cfg(test)]
mod tests;

use super::document::{
    MeetingRecord, RecordedAction, RecordedAttendee, RecordedReviewedAction, RecordedUpdate,
};
use super::names::{Directory, KnownPerson};
use crate::actions::owners::OwnerId;
use crate::actions::rules::{self as action_rules, ActionStatus, CreateAction};
use crate::actions::Action;
use crate::attendees::rules::{self as attendee_rules, Attendance, AttendeeFields, AttendeeRole};
use crate::db::{Day, Id, UtcTime};
use crate::decisions::rules::Outcome;
use crate::error::FieldError;
use crate::items::rules::{self as item_rules, CreateItem, ItemFields};
use crate::items::AgendaItem;
use crate::meetings::rules::{self as meeting_rules, MeetingFields, MeetingStatus};
use crate::organisations::rules::name_key;
use crate::people::model::Person;
use crate::validate::{Errors, Refusal};

/// What the plan is made against, read in the write scope.
#[derive(Debug)]
pub struct Context {
    pub partnership_id: Id,
    /// The meeting recorded: a new id, or the meeting a `PUT` replaces.
    pub meeting_id: Id,
    pub now: UtcTime,
    pub directory: Directory,
    /// The group named by `group_name`, or why not.
    pub group: Option<Result<Id, String>>,
    /// Registry organisations the document names, by `name_key`.
    pub registry: HashMap<String, Id>,
    /// Actions of the partnership whose numbers the document gives.
    pub held: HashMap<i64, Action>,
    /// The group's meetings before this one, by their day (UK).
    pub earlier: HashMap<Day, Id>,
    /// Items of those meetings by (meeting, number).
    pub earlier_items: HashMap<(Id, String), Id>,
    /// The items of the meeting a `PUT` replaces, in order.
    pub existing_items: Vec<AgendaItem>,
}

/// An action to write: agreed at this meeting, or an earlier one imported.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionPlan {
    pub path: String,
    pub number: Option<i64>,
    pub meeting_id: Id,
    pub item_id: Option<Id>,
    pub description: String,
    pub owners: Vec<OwnerId>,
    pub due_date: Option<Day>,
    pub due_text: Option<String>,
    pub status: ActionStatus,
    pub completed_on: Option<Day>,
    /// The updates of an imported action (its status is already theirs).
    pub updates: Vec<UpdatePlan>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UpdatePlan {
    pub noted_on: Day,
    pub note: String,
    pub status: Option<ActionStatus>,
    pub author_person_id: Option<Id>,
}

/// An earlier meeting of the group the document's review names, which the
/// partnership does not hold: created on that day with the items named.
#[derive(Debug, Clone, PartialEq)]
pub struct StubMeeting {
    pub id: Id,
    pub day: Day,
    pub starts_at: UtcTime,
    /// The meeting's own title when left out.
    pub title: Option<String>,
    /// (id, number, title)
    pub items: Vec<(Id, Option<String>, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ItemPlan {
    pub id: Id,
    pub fields: ItemFields,
    pub position: i32,
}

/// Everything a document records, resolved.
#[derive(Debug, Default)]
pub struct Plan {
    pub group_id: Id,
    pub meeting: Option<MeetingFields>,
    /// The previous meeting the document names (held, or a stub).
    pub previous_meeting_id: Option<Id>,
    pub people: Vec<Person>,
    pub stubs: Vec<StubMeeting>,
    pub attendees: Vec<AttendeeFields>,
    pub items: Vec<ItemPlan>,
    /// (item, outcome, text)
    pub decisions: Vec<(Id, Outcome, String)>,
    /// (person, item, text)
    pub declarations: Vec<(Id, Option<Id>, String)>,
    pub actions: Vec<ActionPlan>,
    /// Updates reported on actions the partnership holds, by their id.
    pub reports: Vec<(Id, UpdatePlan)>,
}

struct Planner<'a> {
    ctx: &'a Context,
    directory: Directory,
    errors: Vec<FieldError>,
    plan: Plan,
    day: Day,
}

/// The refusal of a resource's rules, its fields named under `path`.
fn within(errors: &mut Vec<FieldError>, path: &str, refusal: Refusal) {
    let at = |field: &str| {
        if field.is_empty() {
            path.to_owned()
        } else {
            format!("{path}.{field}")
        }
    };
    match refusal {
        Refusal::Invalid(fields) | Refusal::Missing(fields) => errors.extend(
            fields
                .into_iter()
                .map(|f| FieldError::new(at(&f.field), f.message)),
        ),
        Refusal::Conflict(detail) => errors.push(FieldError::new(path, detail)),
    }
}

/// The same time of day (UK) as `at`, on `day`.
fn on_day(day: Day, at: UtcTime) -> UtcTime {
    use chrono::TimeZone;
    let london = chrono_tz::Europe::London;
    let time = at.0.with_timezone(&london).time();
    let local = day.0.and_time(time);
    let instant = london
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or(at.0);
    UtcTime(instant)
}

impl Planner<'_> {
    fn error(&mut self, path: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(path, message));
    }
}

/// Plans the records of `doc`, or names every fault in it.
pub fn plan(doc: &MeetingRecord, ctx: &Context) -> Result<Plan, Vec<FieldError>> {
    let mut p = Planner {
        ctx,
        directory: ctx.directory.clone(),
        errors: Vec::new(),
        plan: Plan::default(),
        day: Day::in_uk(doc.meeting.starts_at),
    };
    match &ctx.group {
        Some(Ok(id)) => p.plan.group_id = *id,
        Some(Err(message)) => p.error("group_name", message.clone()),
        None => p.error("group_name", "no such group"),
    }
    let m = &doc.meeting;
    let fields = MeetingFields {
        group_id: p.plan.group_id,
        title: m.title.clone(),
        starts_at: m.starts_at,
        ends_at: m.ends_at,
        location: m.location.clone(),
        status: m.status.unwrap_or(MeetingStatus::Held),
        previous_meeting_id: None,
        no_declarations: doc.no_declarations,
    };
    match meeting_rules::validate(fields) {
        Ok(fields) => p.plan.meeting = Some(fields),
        Err(refusal) => within(&mut p.errors, "meeting", refusal),
    }

    if let Some(prev) = &doc.previous_meeting {
        let day = Day::in_uk(prev.starts_at);
        if prev.starts_at >= doc.meeting.starts_at {
            p.error("previous_meeting.starts_at", "must be before the meeting");
        } else if let Some(id) = ctx.earlier.get(&day) {
            p.plan.previous_meeting_id = Some(*id);
        } else {
            let mut errors = Errors::new();
            let title = errors.text("title", &prev.title, 300);
            match errors.finish() {
                Err(refusal) => within(&mut p.errors, "previous_meeting", refusal),
                Ok(()) => {
                    let id = Id::new();
                    p.plan.stubs.push(StubMeeting {
                        id,
                        day,
                        starts_at: prev.starts_at,
                        title: Some(title),
                        items: Vec::new(),
                    });
                    p.plan.previous_meeting_id = Some(id);
                }
            }
        }
    }

    let lists = [
        (
            "present",
            &doc.present,
            Attendance::Present,
            AttendeeRole::Member,
        ),
        (
            "in_attendance",
            &doc.in_attendance,
            Attendance::Present,
            AttendeeRole::InAttendance,
        ),
        (
            "apologies",
            &doc.apologies,
            Attendance::Apologies,
            AttendeeRole::Member,
        ),
        (
            "absent",
            &doc.absent,
            Attendance::Absent,
            AttendeeRole::Member,
        ),
    ];
    // Everyone the lists name first, with their details, then the lines
    // (a deputy names someone who may be listed later, in apologies).
    let mut people = Vec::new();
    for (name, lines, _, role) in &lists {
        for (i, line) in lines.iter().enumerate() {
            people.push(p.line_person(&format!("{name}[{i}]"), line, *role));
        }
    }
    let mut people = people.into_iter();
    for (name, lines, attendance, role) in lists {
        for (i, line) in lines.iter().enumerate() {
            if let Some(Ok(person)) = people.next() {
                p.attendee(&format!("{name}[{i}]"), line, person, attendance, role);
            }
        }
    }

    if doc.items.len() as i64 > item_rules::MAX_ITEMS_PER_MEETING {
        p.error(
            "items",
            format!(
                "a meeting has at most {} items",
                item_rules::MAX_ITEMS_PER_MEETING
            ),
        );
    }
    // Items of the meeting a PUT replaces keep their ids when the document
    // still has them (by number, or by title when unnumbered).
    let key =
        |number: &Option<String>, title: &str| number.clone().unwrap_or_else(|| name_key(title));
    let mut unclaimed: Vec<&AgendaItem> = ctx.existing_items.iter().collect();
    let mut seen = HashSet::new();
    let mut numbers = HashSet::new();
    for (i, item) in doc.items.iter().enumerate() {
        let path = format!("items[{i}]");
        let presenter = item
            .presenter
            .as_deref()
            .and_then(|w| p.person(&format!("{path}.presenter"), w));
        let form = CreateItem {
            number: item.number.clone(),
            title: item.title.clone(),
            presenter_person_id: presenter,
            minutes: item.minutes.clone(),
            confidential: Some(item.confidential),
            not_minuted: Some(item.not_minuted),
            order: None,
        };
        let fields = match item_rules::from_create(form) {
            Ok(fields) => fields,
            Err(refusal) => {
                within(&mut p.errors, &path, refusal);
                continue;
            }
        };
        if let Some(n) = &fields.number {
            if !numbers.insert(n.clone()) {
                p.error(
                    &format!("{path}.number"),
                    format!("item {n} is given twice"),
                );
            }
        }
        let wanted = key(&fields.number, &fields.title);
        let id = match unclaimed
            .iter()
            .position(|e| key(&e.number, &e.title) == wanted)
        {
            Some(at) => unclaimed.remove(at).id,
            None => Id::new(),
        };
        for (j, d) in item.decisions.iter().enumerate() {
            match crate::decisions::rules::decision_text(&d.text) {
                Ok(text) => p.plan.decisions.push((id, d.outcome, text)),
                Err(refusal) => within(&mut p.errors, &format!("{path}.decisions[{j}]"), refusal),
            }
        }
        for (j, a) in item.actions.iter().enumerate() {
            p.agreed(&format!("{path}.actions[{j}]"), a, Some(id), &mut seen);
        }
        p.plan.items.push(ItemPlan {
            id,
            fields,
            position: i as i32 + 1,
        });
    }
    for (j, a) in doc.other_actions.iter().enumerate() {
        p.agreed(&format!("other_actions[{j}]"), a, None, &mut seen);
    }

    if doc.no_declarations && !doc.declarations.is_empty() {
        p.error(
            "declarations",
            "the document also says there were no declarations",
        );
    }
    for (i, d) in doc.declarations.iter().enumerate() {
        let path = format!("declarations[{i}]");
        let person = p.person(&format!("{path}.name"), &d.name);
        let item = match d.item.as_deref() {
            None => None,
            Some(written) => {
                let found = doc
                    .items
                    .iter()
                    .position(|it| it.number.as_deref() == Some(written.trim()))
                    .or_else(|| {
                        doc.items
                            .iter()
                            .position(|it| name_key(&it.title) == name_key(written))
                    })
                    .and_then(|at| p.plan.items.iter().find(|ip| ip.position == at as i32 + 1))
                    .map(|ip| ip.id);
                if found.is_none() {
                    p.error(
                        &format!("{path}.item"),
                        format!("no item numbered or titled {written} in this document"),
                    );
                }
                found
            }
        };
        let mut errors = Errors::new();
        let text = errors.optional_long_text("text", Some(&d.text), 2_000);
        if text.is_none() {
            errors.add("text", "must not be blank");
        }
        if let Err(refusal) = errors.finish() {
            within(&mut p.errors, &path, refusal);
        } else if let Some(person) = person {
            p.plan
                .declarations
                .push((person, item, text.unwrap_or_default()));
        }
    }

    let review = &doc.matters_arising;
    for (name, list) in [
        ("outstanding", &review.outstanding),
        ("completed", &review.completed),
    ] {
        for (i, r) in list.iter().enumerate() {
            p.reviewed(&format!("matters_arising.{name}[{i}]"), r, &mut seen);
        }
    }
    if p.errors.is_empty() {
        Ok(p.plan)
    } else {
        Err(p.errors)
    }
}
