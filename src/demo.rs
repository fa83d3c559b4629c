//! `safeguarding-api demo`: loads the two seed meetings (Herefordshire SPB,
//! 18 November 2019; Nottinghamshire SLG, 22 August 2019) as sample data,
//! through the same model functions the API handlers call, so every rule
//! (validation, tenancy, audit) applies to them too. The fixtures in `demo/`
//! are transcribed by hand from those two meetings' published minutes (Word
//! documents the partnerships released; not part of this repository).

use std::collections::HashMap;

use serde::Deserialize;

use crate::attendees::rules::{Attendance, AttendeeRole};
use crate::auth::tenant::{Contribute, Manage, Tenant};
use crate::auth::Principal;
use crate::db::counter::Scope;
use crate::db::{DbConnection, Id, Tx, UtcTime};
use crate::decisions::rules::Outcome;
use crate::error::ApiError;
use crate::meetings::rules::MeetingStatus;
use crate::members::rules::{CreateMember, MemberRole};
use crate::organisations::rules::{CreateOrganisation, OrganisationKind};
use crate::partnerships::rules::CreatePartnership;
use crate::people::rules::CreatePerson;
use crate::recording::document::MeetingRecord;

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
/// clock). Organisations already in the shared registry (same name) are
/// reused; its meeting is recorded as one document
/// ([`crate::recording`]), as `POST /v1/partnerships/{id}/meetings/record`
/// records it.
pub fn load(
    db: &mut DbConnection,
    actor: &Principal,
    fixture: Fixture,
    now: UtcTime,
) -> Result<Loaded, ApiError> {
    use crate::{groups, members, organisations, partnerships, people};

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
    let mut groups_short_by_key: HashMap<String, String> = HashMap::new();
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
                    groups_by_key.insert(g.key.clone(), id);
                    groups_short_by_key.insert(g.key, g.short_name);
                }
            }
        }
        if later.len() == before {
            return Err(ApiError::internal("fixture groups name unknown parents"));
        }
        pending = later;
    }
    // The seed meeting goes through the one-document recording, as a
    // minute-taker's tool sends it: the earlier actions it reviewed are
    // imported on the group's meetings of their days.
    let mut meeting_ids = Vec::new();
    let shorts: HashMap<String, String> = groups_short_by_key;
    for m in &fixture.meetings {
        let doc = record_of(m, &fixture.earlier_meetings, &fixture.action_log, &shorts)?;
        let (meeting, _) = crate::recording::model::record(conn, actor, pid, &doc)?;
        meeting_ids.push(meeting.id);
    }
    for form in fixture.risks {
        crate::risks::model::create(conn, &contributor, form)?;
    }
    drop(tx);
    Ok(Loaded {
        partnership_id: pid,
        slug: partnership.slug,
        meeting_ids,
    })
}

/// The fixture's meeting as the document `POST .../meetings/record` takes:
/// people by initials, owners as written, the earlier actions on the log
/// with the updates given at this meeting.
fn record_of(
    m: &FixtureMeeting,
    earlier: &[FixtureMeeting],
    log: &[FixtureLoggedAction],
    shorts: &HashMap<String, String>,
) -> Result<MeetingRecord, ApiError> {
    use crate::recording::document::{
        RecordedAction, RecordedAttendee, RecordedDecision, RecordedItem, RecordedMeeting,
        RecordedMeetingRef, RecordedReview, RecordedReviewedAction, RecordedUpdate,
    };
    let short = |k: &str| key_of(shorts, "group", k);
    let group_name = short(&m.group)?;
    let mut lists: [Vec<RecordedAttendee>; 4] = Default::default();
    for a in &m.attendees {
        let list = match (a.attendance, a.role) {
            (Attendance::Apologies, _) => 2,
            (Attendance::Absent, _) => 3,
            (_, AttendeeRole::Chair | AttendeeRole::Member) => 0,
            _ => 1,
        };
        lists[list].push(RecordedAttendee {
            name: a.guest_name.clone(),
            initials: a.person.clone(),
            job_title: None,
            organisation: None,
            role: Some(a.role),
            attendance: Some(a.attendance),
            deputising_for: a.deputising_for.clone(),
        });
    }
    let [present, in_attendance, apologies, absent] = lists;
    let items = m
        .items
        .iter()
        .map(|item| RecordedItem {
            number: item.number.clone(),
            title: item.title.clone(),
            presenter: item.presenter.clone(),
            minutes: item.minutes.clone(),
            confidential: item.confidential,
            not_minuted: item.not_minuted,
            decisions: item
                .decisions
                .iter()
                .map(|d| RecordedDecision {
                    outcome: d.outcome,
                    text: d.text.clone(),
                })
                .collect(),
            actions: item
                .actions
                .iter()
                .map(|a| RecordedAction {
                    number: None,
                    description: a.description.clone(),
                    owners: a.owners.clone(),
                    due_date: a.due_date,
                    due_text: a.due.clone(),
                    status: a.status,
                    completed_on: None,
                })
                .collect(),
        })
        .collect();
    let mut outstanding = Vec::new();
    for logged in log {
        let source = earlier
            .iter()
            .find(|e| e.key.as_deref() == Some(logged.meeting.as_str()))
            .ok_or_else(|| {
                ApiError::internal(format!(
                    "fixture names an unknown meeting {}",
                    logged.meeting
                ))
            })?;
        let item_title = source
            .items
            .iter()
            .find(|i| i.number.as_deref() == Some(logged.item.as_str()))
            .map(|i| i.title.clone());
        let status = logged.updates.iter().rev().find_map(|u| u.status);
        let completed_on = logged
            .updates
            .iter()
            .rev()
            .find(|u| u.status == Some(crate::actions::rules::ActionStatus::Complete))
            .map(|u| u.noted_on);
        outstanding.push(RecordedReviewedAction {
            number: logged.number,
            meeting_date: Some(crate::db::Day::in_uk(source.starts_at)),
            item_number: Some(logged.item.clone()),
            item_title,
            description: logged.description.clone(),
            owners: logged.owners.clone(),
            due_date: None,
            due_text: None,
            status,
            completed_on,
            updates: logged
                .updates
                .iter()
                .map(|u| RecordedUpdate {
                    noted_on: u.noted_on,
                    note: u.note.clone(),
                    status: u.status,
                    author: None,
                })
                .collect(),
        });
    }
    let previous_meeting = earlier
        .iter()
        .filter(|e| e.group == m.group && e.starts_at < m.starts_at)
        .max_by_key(|e| e.starts_at)
        .map(|e| RecordedMeetingRef {
            title: e.title.clone(),
            starts_at: e.starts_at,
        });
    Ok(MeetingRecord {
        group_name,
        meeting: RecordedMeeting {
            title: m.title.clone(),
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            location: m.location.clone(),
            status: Some(m.status),
        },
        previous_meeting,
        present,
        in_attendance,
        apologies,
        absent,
        declarations: Vec::new(),
        no_declarations: m.no_declarations,
        items,
        other_actions: Vec::new(),
        matters_arising: RecordedReview {
            outstanding,
            completed: Vec::new(),
        },
    })
}

fn key_of(map: &HashMap<String, String>, what: &str, key: &str) -> Result<String, ApiError> {
    map.get(key)
        .cloned()
        .ok_or_else(|| ApiError::internal(format!("fixture names an unknown {what} {key}")))
}
