//! `safeguarding-api demo`: loads the two seed meetings (Herefordshire SPB,
//! 18 November 2019; Nottinghamshire SLG, 22 August 2019) as sample data,
//! through the same model functions the API handlers call, so every rule
//! (validation, tenancy, audit) applies to them too. The fixtures in `demo/`
//! are transcriptions of the minutes in `shared/seeds/`.

use std::collections::HashMap;

use serde::Deserialize;

use crate::attendees::rules::{Attendance, AttendeeRole, CreateAttendee};
use crate::auth::Principal;
use crate::db::{DbConnection, Id, UtcTime};
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
    pub meetings: Vec<FixtureMeeting>,
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
    pub group: String,
    pub title: String,
    pub starts_at: UtcTime,
    pub ends_at: Option<UtcTime>,
    pub location: Option<String>,
    pub status: MeetingStatus,
    pub no_declarations: bool,
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

/// An item; its `actions` wait for the action log and are not loaded yet.
#[derive(Debug, Deserialize)]
pub struct FixtureItem {
    pub number: Option<String>,
    pub title: String,
    pub presenter: Option<String>,
    pub minutes: Option<String>,
    pub confidential: bool,
    pub not_minuted: bool,
    pub decisions: Vec<FixtureDecision>,
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

/// Loads one fixture in the caller's transaction. Organisations already in
/// the shared registry (same name) are reused.
pub fn load(
    conn: &mut DbConnection,
    actor: &Principal,
    fixture: Fixture,
) -> Result<Loaded, ApiError> {
    use crate::{attendees, groups, items, meetings, members, organisations, partnerships, people};

    let partnership = partnerships::model::create(conn, actor, fixture.partnership)?;
    let pid = partnership.id;
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
            members::model::create(conn, actor, pid, form)?;
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
        persons.insert(
            p.initials,
            people::model::create(conn, actor, pid, form)?.id,
        );
    }
    // Parents before children, whatever the order in the file.
    let mut groups_by_key = HashMap::new();
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
                        short_name: g.short_name,
                        parent_group_id: parent.flatten(),
                    };
                    let id = groups::model::create(conn, actor, pid, form)?.id;
                    groups_by_key.insert(g.key, id);
                }
            }
        }
        if later.len() == before {
            return Err(ApiError::internal("fixture groups name unknown parents"));
        }
        pending = later;
    }
    let person = |k: &Option<String>| k.as_ref().map(|k| key(&persons, "person", k)).transpose();
    let mut meeting_ids = Vec::new();
    for m in fixture.meetings {
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
        let mut meeting = meetings::model::create(conn, actor, pid, form)?;
        for item in m.items {
            meeting = meetings::model::find_in(conn, pid, meeting.id)?;
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
            for d in item.decisions {
                meeting = meetings::model::find_in(conn, pid, meeting.id)?;
                let form = CreateDecision {
                    outcome: d.outcome,
                    text: d.text,
                };
                crate::decisions::model::create(conn, actor, &meeting, &created, form)?;
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
            attendees::model::create(conn, actor, &meeting, form)?;
        }
        meeting_ids.push(meeting.id);
    }
    Ok(Loaded {
        partnership_id: pid,
        slug: partnership.slug,
        meeting_ids,
    })
}
