//! The whole record of a meeting in the shape of the seeds' minutes: who was
//! present (with deputies), in attendance, sent apologies; declarations; each
//! item with its minutes and decisions. Redacted copies (viewers, the public)
//! keep confidential items only as their number and a "Confidential item"
//! heading, without text or decisions.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::attendees::rules::{Attendance, AttendeeRole};
use crate::db::schema::{organisations, people};
use crate::db::{DbConnection, Id, UtcTime};
use crate::decisions::model::{self as decisions, Decision};
use crate::error::ApiError;
use crate::items::ItemView;
use crate::meetings::model::{self as meetings, Meeting, MeetingView};
use crate::people::model::Person;

/// A meeting named from another record.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MeetingRef {
    pub id: Id,
    pub title: String,
    pub starts_at: UtcTime,
}

/// One line of the attendance lists.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttendeeLine {
    pub attendee_id: Id,
    pub person_id: Option<Id>,
    pub name: String,
    pub initials: Option<String>,
    pub job_title: Option<String>,
    pub organisation: Option<String>,
    pub role: AttendeeRole,
    pub attendance: Attendance,
    /// The name of the person this attendee deputised for.
    pub deputising_for: Option<String>,
}

/// A declaration of interest, by name.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeclarationLine {
    pub person_id: Id,
    pub name: String,
    /// The number (or title) of the item it concerns.
    pub item: Option<String>,
    pub text: String,
}

/// An agenda item with its decisions.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MinutesItem {
    #[serde(flatten)]
    pub item: ItemView,
    pub presenter: Option<String>,
    pub decisions: Vec<Decision>,
}

/// `GET /v1/meetings/{id}/minutes` as JSON.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MinutesDocument {
    pub partnership_name: String,
    pub partnership_slug: String,
    pub group_name: String,
    pub meeting: MeetingView,
    pub previous_meeting: Option<MeetingRef>,
    /// Where these minutes were approved as an accurate record.
    pub approved_at_meeting: Option<MeetingRef>,
    /// Chair and members present, with deputies.
    pub present: Vec<AttendeeLine>,
    /// Officers, minute takers and guests.
    pub in_attendance: Vec<AttendeeLine>,
    pub apologies: Vec<AttendeeLine>,
    pub absent: Vec<AttendeeLine>,
    pub declarations: Vec<DeclarationLine>,
    pub no_declarations: bool,
    pub items: Vec<MinutesItem>,
    /// Confidential content was withheld from this copy.
    pub redacted: bool,
}

struct Names {
    people: HashMap<Id, Person>,
    organisations: HashMap<Id, String>,
}

fn names(conn: &mut DbConnection, partnership_id: Id) -> Result<Names, ApiError> {
    let people: HashMap<Id, Person> = people::table
        .filter(people::partnership_id.eq(partnership_id))
        .select(Person::as_select())
        .load::<Person>(conn)?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let org_ids: Vec<Id> = people.values().filter_map(|p| p.organisation_id).collect();
    let organisations = organisations::table
        .filter(organisations::id.eq_any(&org_ids))
        .select((organisations::id, organisations::name))
        .load::<(Id, String)>(conn)?
        .into_iter()
        .collect();
    Ok(Names {
        people,
        organisations,
    })
}

fn reference(conn: &mut DbConnection, meeting: &Meeting, id: Option<Id>) -> Option<MeetingRef> {
    let other = meetings::find_in(conn, meeting.partnership_id, id?).ok()?;
    Some(MeetingRef {
        id: other.id,
        title: other.title,
        starts_at: other.starts_at,
    })
}

/// Assembles the record of `meeting`; `sees_confidential` false redacts it.
pub fn build(
    conn: &mut DbConnection,
    meeting: Meeting,
    sees_confidential: bool,
) -> Result<MinutesDocument, ApiError> {
    let partnership = crate::partnerships::model::find(conn, meeting.partnership_id)?;
    let group = crate::groups::model::find(conn, meeting.partnership_id, meeting.group_id)?;
    let names = names(conn, meeting.partnership_id)?;
    let person_name = |id: Id| names.people.get(&id).map(|p| p.full_name.clone());

    let mut lists: [Vec<AttendeeLine>; 4] = Default::default();
    for a in crate::attendees::model::all(conn, meeting.id)? {
        let person = a.person_id.and_then(|id| names.people.get(&id));
        let line = AttendeeLine {
            attendee_id: a.id,
            person_id: a.person_id,
            name: person
                .map(|p| p.full_name.clone())
                .or(a.guest_name.clone())
                .unwrap_or_default(),
            initials: person.map(|p| p.initials.clone()),
            job_title: person.and_then(|p| p.job_title.clone()),
            organisation: person
                .and_then(|p| p.organisation_id)
                .and_then(|o| names.organisations.get(&o).cloned())
                .or(a.guest_organisation.clone()),
            role: a.role,
            attendance: a.attendance,
            deputising_for: a.deputising_for_person_id.and_then(person_name),
        };
        let list = match (a.attendance, a.role) {
            (Attendance::Apologies, _) => 2,
            (Attendance::Absent, _) => 3,
            (_, AttendeeRole::Chair | AttendeeRole::Member) => 0,
            _ => 1,
        };
        lists[list].push(line);
    }
    // The chair heads the list, as in the seeds.
    lists[0].sort_by_key(|l| l.role != AttendeeRole::Chair);
    let [present, in_attendance, apologies, absent] = lists;

    let mut decisions_of: HashMap<Id, Vec<Decision>> = HashMap::new();
    for d in decisions::of_meeting(conn, meeting.id)? {
        decisions_of.entry(d.item_id).or_default().push(d);
    }
    let mut label_of = HashMap::new();
    let mut withheld = Vec::new();
    let mut items = Vec::new();
    let mut redacted = false;
    for item in crate::items::model::all(conn, meeting.id)? {
        let view = item.view(sees_confidential);
        redacted |= view.redacted;
        if view.redacted {
            withheld.push(view.item.id);
        }
        label_of.insert(
            view.item.id,
            view.item.number.clone().unwrap_or(view.item.title.clone()),
        );
        items.push(MinutesItem {
            presenter: view.item.presenter_person_id.and_then(person_name),
            decisions: if view.redacted {
                Vec::new()
            } else {
                decisions_of.remove(&view.item.id).unwrap_or_default()
            },
            item: view,
        });
    }
    let declarations = crate::declarations::model::of_meeting(conn, meeting.id)?;
    let declarations = crate::declarations::model::redact(declarations, &withheld)
        .into_iter()
        .map(|d| DeclarationLine {
            person_id: d.person_id,
            name: person_name(d.person_id).unwrap_or_default(),
            item: d.item_id.and_then(|i| label_of.get(&i).cloned()),
            text: d.text,
        })
        .collect();

    let previous_meeting = reference(conn, &meeting, meeting.previous_meeting_id);
    let approved_at_meeting = reference(conn, &meeting, meeting.approved_at_meeting_id);
    let no_declarations = meeting.no_declarations;
    Ok(MinutesDocument {
        partnership_name: partnership.name,
        partnership_slug: partnership.slug,
        group_name: group.name,
        meeting: meetings::view(conn, meeting)?,
        previous_meeting,
        approved_at_meeting,
        present,
        in_attendance,
        apologies,
        absent,
        declarations,
        no_declarations,
        items,
        redacted,
    })
}

impl MinutesDocument {
    /// The confidential items shown in full in this copy (for the read log).
    pub fn confidential_shown(&self) -> Vec<&crate::items::AgendaItem> {
        self.items
            .iter()
            .map(|i| &i.item)
            .filter(|v| v.item.confidential && !v.redacted)
            .map(|v| &v.item)
            .collect()
    }
}
