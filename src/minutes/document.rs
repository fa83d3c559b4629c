//! The whole record of a meeting in the shape of the seeds' minutes: who was
//! present (with deputies), in attendance, sent apologies; declarations; each
//! item with its minutes, decisions and the actions agreed under it; the
//! matters arising reviewed. Redacted copies (viewers, the public) keep
//! confidential items only as their number and a "Confidential item"
//! heading, without text, decisions or actions. Approved minutes are read
//! from the snapshot taken at approval (see [`super::snapshot`]).

use std::collections::HashMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::actions::arising::{self, MattersArising};
use crate::actions::ActionView;
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
    /// The item it concerns.
    pub item_id: Option<Id>,
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
    /// The actions agreed under the item, in number order.
    pub actions: Vec<ActionView>,
    /// The papers the item was taken on, with the version and SHA-256 the
    /// minutes name (approved minutes keep the ones they were approved with).
    #[serde(default)]
    pub papers: Vec<PaperLine>,
}

/// A paper of an item, as the minutes name it: "Appendix D1: Violence Reduction Unit".
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PaperLine {
    pub paper_id: Id,
    pub label: Option<String>,
    pub title: String,
    #[schema(minimum = 1)]
    pub version: i32,
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub sha256: String,
    pub content_type: String,
    #[schema(minimum = 0)]
    pub size_bytes: i64,
    pub withdrawn: bool,
    /// Where to download the version these minutes name: the public route
    /// in the public copy.
    #[serde(default)]
    pub href: Option<String>,
}

/// `GET /v1/meetings/{id}/minutes` as JSON. Approved minutes are stored in
/// this shape (`minutes_snapshots.document`): a field added later needs
/// `#[serde(default)]`, so that minutes frozen before it still read.
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
    /// Actions agreed at the meeting under no item.
    pub other_actions: Vec<ActionView>,
    /// The action log as the meeting reviewed it.
    pub matters_arising: MattersArising,
    /// Confidential content was withheld from this copy.
    pub redacted: bool,
    /// When these minutes were frozen as approved; null while a draft.
    pub snapshot_taken_at: Option<UtcTime>,
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
    let org_ids = people.values().filter_map(|p| p.organisation_id);
    let organisations = crate::db::by_ids(org_ids, |ids| {
        organisations::table
            .filter(organisations::id.eq_any(ids))
            .select((organisations::id, organisations::name))
            .load::<(Id, String)>(conn)
    })?
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

/// The whole record of `meeting` as it stands now, unredacted.
pub fn assemble(
    conn: &mut DbConnection,
    meeting: Meeting,
    now: UtcTime,
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
    let mut actions_of = arising::agreed_at(conn, &meeting, now)?;
    let mut label_of = HashMap::new();
    let mut papers_of: HashMap<Id, Vec<PaperLine>> = HashMap::new();
    for p in crate::papers::model::of_meeting(conn, meeting.id)? {
        papers_of.entry(p.item_id).or_default().push(PaperLine {
            paper_id: p.id,
            label: p.label,
            title: p.title,
            version: p.version,
            sha256: p.sha256,
            content_type: p.content_type,
            size_bytes: p.size_bytes,
            withdrawn: p.withdrawn,
            href: None,
        });
    }
    let mut items = Vec::new();
    for item in crate::items::model::all(conn, meeting.id)? {
        label_of.insert(item.id, item.number.clone().unwrap_or(item.title.clone()));
        items.push(MinutesItem {
            presenter: item.presenter_person_id.and_then(person_name),
            decisions: decisions_of.remove(&item.id).unwrap_or_default(),
            actions: actions_of.remove(&Some(item.id)).unwrap_or_default(),
            papers: papers_of.remove(&item.id).unwrap_or_default(),
            item: item.view(true),
        });
    }
    let declarations = crate::declarations::model::of_meeting(conn, meeting.id)?
        .into_iter()
        .map(|d| DeclarationLine {
            person_id: d.person_id,
            item_id: d.item_id,
            name: person_name(d.person_id).unwrap_or_default(),
            item: d.item_id.and_then(|i| label_of.get(&i).cloned()),
            text: d.text,
        })
        .collect();
    let matters_arising = arising::for_meeting(conn, &meeting, true, now)?;

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
        other_actions: actions_of.remove(&None).unwrap_or_default(),
        matters_arising,
        redacted: false,
        snapshot_taken_at: None,
    })
}

/// When the meetings start that outstanding actions in `doc` are due at
/// (those with no due date, not yet overdue): the moments their `overdue`
/// turns true with no record changed.
pub fn due_meetings_start(
    conn: &mut DbConnection,
    doc: &MinutesDocument,
    now: UtcTime,
) -> Result<Vec<UtcTime>, ApiError> {
    let views = doc
        .items
        .iter()
        .flat_map(|i| i.actions.iter())
        .chain(doc.other_actions.iter())
        .chain(doc.matters_arising.outstanding.iter().map(|r| &r.action))
        .chain(doc.matters_arising.completed.iter().map(|r| &r.action));
    let due: Vec<Id> = views
        .filter(|v| v.action.status.is_outstanding() && !v.overdue && v.action.due_date.is_none())
        .filter_map(|v| v.action.due_meeting_id)
        .collect();
    if due.is_empty() {
        return Ok(Vec::new());
    }
    Ok(crate::db::by_ids(due, |ids| {
        crate::db::schema::meetings::table
            .filter(crate::db::schema::meetings::id.eq_any(ids))
            .filter(crate::db::schema::meetings::starts_at.gt(now))
            .select(crate::db::schema::meetings::starts_at)
            .load::<UtcTime>(conn)
    })?)
}

impl MinutesDocument {
    /// Sets each paper's `href` (`public`: the public copy's route, under
    /// the partnership's slug; otherwise the authenticated one).
    pub fn link_papers(&mut self, public: Option<&str>) {
        let meeting = self.meeting.meeting.id;
        for entry in &mut self.items {
            let item = entry.item.item.id;
            for p in &mut entry.papers {
                if public.is_some() && p.withdrawn {
                    // Withdrawn: listed for the record, not handed out publicly.
                    p.href = None;
                    continue;
                }
                p.href = Some(match public {
                    Some(slug) => format!(
                        "/v1/public/partnerships/{slug}/meetings/{meeting}/papers/{}/content",
                        p.paper_id
                    ),
                    None => format!(
                        "/v1/meetings/{meeting}/items/{item}/papers/{}/content?version={}",
                        p.paper_id, p.version
                    ),
                });
            }
        }
    }

    /// The copy for viewers and the public: confidential items keep only
    /// their number and place, without text, decisions or actions;
    /// declarations on them are withheld; the actions reviewed that were
    /// agreed under confidential items are left out.
    pub fn redact(mut self) -> Self {
        let mut withheld = HashMap::new();
        for entry in &mut self.items {
            if entry.item.item.confidential && !entry.item.redacted {
                entry.item = entry.item.item.clone().view(false);
                let label = entry.item.item.number.clone();
                withheld.insert(
                    entry.item.item.id,
                    label.unwrap_or(entry.item.item.title.clone()),
                );
                entry.presenter = None;
                entry.decisions.clear();
                entry.actions.clear();
                entry.papers.clear();
            }
        }
        self.redacted |= !withheld.is_empty();
        for d in &mut self.declarations {
            if let Some(label) = d.item_id.and_then(|i| withheld.get(&i)) {
                d.text = crate::declarations::model::WITHHELD.to_owned();
                d.item = Some(label.clone());
            }
        }
        let review = &mut self.matters_arising;
        let before = review.outstanding.len() + review.completed.len();
        review.outstanding.retain(|a| !a.action.confidential);
        review.completed.retain(|a| !a.action.confidential);
        self.redacted |= before != review.outstanding.len() + review.completed.len();
        self
    }

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
