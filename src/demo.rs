//! `safeguarding-api demo`: loads the two seed meetings (Herefordshire SPB,
//! 18 November 2019; Nottinghamshire SLG, 22 August 2019) as sample data,
//! through the same model functions the API handlers call, so every rule
//! (validation, tenancy, audit) applies to them too. The fixtures in `demo/`
//! are transcribed by hand from those two meetings' published minutes (Word
//! documents the partnerships released; not part of this repository).

use std::collections::HashMap;

use serde::Deserialize;

use crate::actions::rules::{CreateAction, CreateUpdate};
use crate::attendees::rules::{Attendance, AttendeeRole, CreateAttendee};
use crate::auth::tenant::{Contribute, Manage, Tenant};
use crate::auth::Principal;
use crate::db::counter::Scope;
use crate::db::{DbConnection, Id, Tx, UtcTime};
use crate::decisions::rules::{CreateDecision, Outcome};
use crate::error::ApiError;
use crate::items::rules::CreateItem;
use crate::meetings::rules::{CreateMeeting, MeetingStatus};
use crate::members::rules::{CreateMember, MemberRole};
use crate::organisations::rules::{CreateOrganisation, OrganisationKind};
use crate::partnerships::rules::CreatePartnership;
use crate::people::rules::CreatePerson;

/// The fixtures, embedded in the binary.
pub const FIXTURES: [(&str, &str); 2] = [
    (
        "herefordshire-spb-2019-11-18",
        include_str!("../demo/herefordshire-spb-2019-11-18.json"),
    ),
    (
        "nottinghamshire-slg-2019-08-22",
        include_str!("../demo/nottinghamshire-slg-2019-08-22.json"),
    ),
];

#[derive(Debug, Deserialize)]
pub struct Fixture {
    pub partnership: CreatePartnership,
    pub organisations: Vec<FixtureOrganisation>,
    pub people: Vec<FixturePerson>,
    pub groups: Vec<FixtureGroup>,
    /// Earlier meetings known from the action log ("Action No 14 (23.10.19
    /// ref 3.1)"): their date and the items actions were agreed under.
    #[serde(default)]
    pub earlier_meetings: Vec<FixtureMeeting>,
    pub meetings: Vec<FixtureMeeting>,
    /// Actions of earlier meetings still on the log, with their numbers and
    /// the updates given at the seed meeting.
    #[serde(default)]
    pub action_log: Vec<FixtureLoggedAction>,
    /// The partnership's risk log as its minutes give it (bodies of
    /// `POST /v1/partnerships/{id}/risks`).
    #[serde(default)]
    pub risks: Vec<crate::risks::rules::CreateRisk>,
}

#[derive(Debug, Deserialize)]
pub struct FixtureOrganisation {
    pub key: String,
    pub name: String,
    pub kind: OrganisationKind,
    pub membership: Option<MemberRole>,
}

#[derive(Debug, Deserialize)]
pub struct FixturePerson {
    pub initials: String,
    pub full_name: String,
    pub job_title: Option<String>,
    pub organisation: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct FixtureGroup {
    pub key: String,
    pub name: String,
    pub short_name: String,
    pub parent: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct FixtureMeeting {
    pub key: Option<String>,
    pub group: String,
    pub title: String,
    pub starts_at: UtcTime,
    pub ends_at: Option<UtcTime>,
    pub location: Option<String>,
    pub status: MeetingStatus,
    pub no_declarations: bool,
    #[serde(default)]
    pub attendees: Vec<FixtureAttendee>,
    pub items: Vec<FixtureItem>,
}

#[derive(Debug, Deserialize)]
pub struct FixtureAttendee {
    pub person: Option<String>,
    pub guest_name: Option<String>,
    pub attendance: Attendance,
    pub role: AttendeeRole,
    pub deputising_for: Option<String>,
}

/// An item with its decisions and the actions agreed under it.
#[derive(Debug, Deserialize)]
pub struct FixtureItem {
    pub number: Option<String>,
    pub title: String,
    pub presenter: Option<String>,
    pub minutes: Option<String>,
    pub confidential: bool,
    pub not_minuted: bool,
    pub decisions: Vec<FixtureDecision>,
    #[serde(default)]
    pub actions: Vec<FixtureAction>,
}

/// An action as the minutes give it: owners by initials, "ALL" or a
/// group ("D&P Group"), the deadline as written.
#[derive(Debug, Deserialize)]
pub struct FixtureAction {
    pub owners: Vec<String>,
    pub description: String,
    pub due: Option<String>,
    pub due_date: Option<crate::db::Day>,
    pub status: Option<crate::actions::rules::ActionStatus>,
}

/// An action of an earlier meeting, with its number on the log.
#[derive(Debug, Deserialize)]
pub struct FixtureLoggedAction {
    pub number: i64,
    pub meeting: String,
    pub item: String,
    pub owners: Vec<String>,
    pub description: String,
    pub updates: Vec<FixtureUpdate>,
}

#[derive(Debug, Deserialize)]
pub struct FixtureUpdate {
    pub noted_on: crate::db::Day,
    pub reported_at: String,
    pub status: Option<crate::actions::rules::ActionStatus>,
    pub note: String,
}

#[derive(Debug, Deserialize)]
pub struct FixtureDecision {
    pub outcome: Outcome,
    pub text: String,
}

pub fn parse(text: &str) -> Result<Fixture, String> {
    serde_json::from_str(text).map_err(|e| format!("fixture: {e}"))
}

/// What one fixture created.
#[derive(Debug, serde::Serialize)]
pub struct Loaded {
    pub partnership_id: Id,
    pub slug: String,
    pub meeting_ids: Vec<Id>,
}

fn key(map: &HashMap<String, Id>, what: &str, key: &str) -> Result<Id, ApiError> {
    map.get(key)
        .copied()
        .ok_or_else(|| ApiError::internal(format!("fixture names an unknown {what} {key}")))
}

/// Loads one fixture in the caller's transaction at `now` (the service
/// clock); the actions agreed at its meetings are recorded on their
/// meeting's day, as they were. Organisations already in the shared
/// registry (same name) are reused.
pub fn load(
    db: &mut DbConnection,
    actor: &Principal,
    fixture: Fixture,
    now: UtcTime,
) -> Result<Loaded, ApiError> {
    use crate::{
        actions, attendees, groups, items, meetings, members, organisations, partnerships, people,
    };

    let partnership = partnerships::model::create(db, actor, fixture.partnership, now)?;
    let pid = partnership.id;
    let tenant = Tenant::<Manage>::check(actor.clone(), pid)?;
    let contributor = Tenant::<Contribute>::check(actor.clone(), pid)?;
    // The registry's write scope and the partnership's: organisations are
    // created, members and people refer to them.
    let mut tx = Tx::hold_all(db, &[Scope::Platform, Scope::Partnership(pid)], now)?;
    let conn = &mut tx;
    let mut orgs = HashMap::new();
    for o in fixture.organisations {
        let id = match organisations::model::find_by_name(conn, &o.name)? {
            Some(existing) => existing.id,
            None => {
                let form = CreateOrganisation {
                    name: o.name,
                    kind: o.kind,
                };
                organisations::model::create(conn, actor, form)?.id
            }
        };
        if let Some(role) = o.membership {
            let form = CreateMember {
                organisation_id: id,
                role,
            };
            members::model::create(conn, &tenant, form)?;
        }
        orgs.insert(o.key, id);
    }
    let mut persons = HashMap::new();
    for p in fixture.people {
        let organisation_id = match &p.organisation {
            Some(k) => Some(key(&orgs, "organisation", k)?),
            None => None,
        };
        let form = CreatePerson {
            full_name: p.full_name,
            initials: p.initials.clone(),
            job_title: p.job_title,
            organisation_id,
        };
        persons.insert(p.initials, people::model::create(conn, &tenant, form)?.id);
    }
    // Parents before children, whatever the order in the file.
    let mut groups_by_key = HashMap::new();
    let mut groups_by_short: HashMap<String, Id> = HashMap::new();
    let mut pending = fixture.groups;
    while !pending.is_empty() {
        let before = pending.len();
        let mut later = Vec::new();
        for g in pending {
            match g.parent.as_ref().map(|p| groups_by_key.get(p).copied()) {
                Some(None) => later.push(g),
                parent => {
                    let form = groups::rules::CreateGroup {
                        name: g.name,
                        short_name: g.short_name.clone(),
                        parent_group_id: parent.flatten(),
                    };
                    let id = groups::model::create(conn, &tenant, form)?.id;
                    groups_by_key.insert(g.key, id);
                    groups_by_short.insert(g.short_name, id);
                }
            }
        }
        if later.len() == before {
            return Err(ApiError::internal("fixture groups name unknown parents"));
        }
        pending = later;
    }
    let person = |k: &Option<String>| k.as_ref().map(|k| key(&persons, "person", k)).transpose();
    // Owners as the minutes write them: initials, "ALL", or a group by its
    // short name ("D&P Group").
    let owner = |written: &String| -> Result<String, ApiError> {
        if written == "ALL" || persons.contains_key(written) {
            return Ok(written.clone());
        }
        let short = written.trim_end_matches(" Group");
        groups_by_short
            .get(short)
            .map(|id| id.to_string())
            .ok_or_else(|| ApiError::internal(format!("fixture names an unknown owner {written}")))
    };
    let mut meeting_ids = Vec::new();
    let mut meetings_by_key: HashMap<String, Id> = HashMap::new();
    let mut items_by_meeting: HashMap<(Id, String), Id> = HashMap::new();
    let earlier = fixture.earlier_meetings.len();
    let mut agreed = Vec::new();
    for (index, m) in fixture
        .earlier_meetings
        .into_iter()
        .chain(fixture.meetings)
        .enumerate()
    {
        let form = CreateMeeting {
            group_id: key(&groups_by_key, "group", &m.group)?,
            title: m.title,
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            location: m.location,
            status: Some(m.status),
            previous_meeting_id: None,
            no_declarations: Some(m.no_declarations),
        };
        let mut meeting = meetings::model::create(conn, &tenant, form)?;
        for item in m.items {
            meeting = meetings::model::find_in(conn, pid, meeting.id)?;
            let number = item.number.clone();
            let form = CreateItem {
                number: item.number,
                title: item.title,
                presenter_person_id: person(&item.presenter)?,
                minutes: item.minutes,
                confidential: Some(item.confidential),
                not_minuted: Some(item.not_minuted),
                order: None,
            };
            let created = items::model::create(conn, actor, &meeting, form)?;
            if let Some(number) = number {
                items_by_meeting.insert((meeting.id, number), created.id);
            }
            for d in item.decisions {
                meeting = meetings::model::find_in(conn, pid, meeting.id)?;
                let form = CreateDecision {
                    outcome: d.outcome,
                    text: d.text,
                };
                crate::decisions::model::create(conn, actor, &meeting, &created, form)?;
            }
            for a in item.actions {
                // Numbered after the log of earlier meetings, as they were;
                // one the minutes call done was done by the meeting's day.
                agreed.push((
                    meeting.starts_at,
                    CreateAction {
                        number: None,
                        meeting_id: Some(meeting.id),
                        item_id: Some(created.id),
                        description: a.description,
                        owners: a.owners.iter().map(owner).collect::<Result<_, _>>()?,
                        due_date: a.due_date,
                        due_meeting_id: None,
                        due_text: a.due,
                        status: a.status,
                    },
                ));
            }
        }
        for a in m.attendees {
            meeting = meetings::model::find_in(conn, pid, meeting.id)?;
            let form = CreateAttendee {
                person_id: person(&a.person)?,
                guest_name: a.guest_name,
                guest_organisation: None,
                attendance: Some(a.attendance),
                role: Some(a.role),
                deputising_for_person_id: person(&a.deputising_for)?,
                arrived_at: None,
                left_at: None,
                attended_item_ids: None,
            };
            attendees::model::create(conn, actor, &meeting, form, now)?;
        }
        if let Some(k) = m.key {
            meetings_by_key.insert(k, meeting.id);
        }
        if index >= earlier {
            meeting_ids.push(meeting.id);
        }
    }
    for logged in fixture.action_log {
        let meeting_id = key(&meetings_by_key, "meeting", &logged.meeting)?;
        let item_id = items_by_meeting
            .get(&(meeting_id, logged.item.clone()))
            .copied()
            .ok_or_else(|| {
                ApiError::internal(format!("fixture names an unknown item {}", logged.item))
            })?;
        let form = CreateAction {
            number: Some(logged.number),
            meeting_id: Some(meeting_id),
            item_id: Some(item_id),
            description: logged.description,
            owners: logged.owners.iter().map(owner).collect::<Result<_, _>>()?,
            due_date: None,
            due_meeting_id: None,
            due_text: None,
            status: None,
        };
        let mut action = actions::model::create(conn, &contributor, form)?;
        for u in logged.updates {
            let form = CreateUpdate {
                noted_on: Some(u.noted_on),
                note: u.note,
                author_person_id: None,
                status: u.status,
                reported_at_meeting_id: Some(key(&meetings_by_key, "meeting", &u.reported_at)?),
            };
            action = actions::updates::create(conn, actor, action, form, now)?.1;
        }
    }
    for form in fixture.risks {
        crate::risks::model::create(conn, &contributor, form)?;
    }
    drop(tx);
    for (on, form) in agreed {
        // Recorded on the meeting's day, as they were.
        let mut tx = Tx::of(db, &contributor, on)?;
        actions::model::create(&mut tx, &contributor, form)?;
    }
    Ok(Loaded {
        partnership_id: pid,
        slug: partnership.slug,
        meeting_ids,
    })
}
