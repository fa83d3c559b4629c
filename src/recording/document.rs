//! The meeting record as one document: `POST /v1/partnerships/{id}/meetings/record`,
//! `GET`/`PUT /v1/meetings/{id}/record`. It is the shape of the minutes
//! (`GET /v1/meetings/{id}/minutes` as JSON) without what the service
//! derives (ids, quorum, versions, references, `overdue`), with people,
//! groups and agencies named as the minutes name them: initials or names,
//! short names, registered names.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::actions::arising::ReviewedAction;
use crate::actions::rules::ActionStatus;
use crate::actions::ActionView;
use crate::attendees::rules::{Attendance, AttendeeRole};
use crate::db::{Day, UtcTime};
use crate::decisions::rules::Outcome;
use crate::meetings::rules::MeetingStatus;
use crate::minutes::document::{AttendeeLine, MinutesDocument};
use crate::validate::Text;

/// Most entries of each list of a document (attendance lines, items, an
/// item's decisions and actions...), as published (`maxItems`).
pub const MAX_LINES: usize = 500;

/// Most updates of one reviewed action, as published.
pub const MAX_UPDATES: usize = 50;

/// A meeting as its minutes give it. Body of
/// `POST /v1/partnerships/{id}/meetings/record` and `PUT /v1/meetings/{id}/record`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({
    "group_name": "SPB",
    "meeting": {"title": "Herefordshire Safeguarding Partners Board", "starts_at": "2019-11-18T15:00:00Z", "ends_at": "2019-11-18T16:30:00Z", "location": "Goodrich Room, Plough Lane, Hereford", "status": "held"},
    "present": [{"name": "Liz Murphy", "initials": "LM", "job_title": "Independent Chair", "role": "chair"}],
    "in_attendance": [{"name": "Ed Hughes", "initials": "EH", "organisation": "Herefordshire Council", "role": "minute_taker"}],
    "no_declarations": true,
    "items": [{"number": "4c", "title": "Serious Case Review 'Harry' Report", "presenter": "EF",
               "minutes": "EF presented the Serious Case Review report for approval.",
               "actions": [{"description": "EF to write to the report author.", "owners": ["EF"], "due_text": "next board"}]}]
})))]
pub struct MeetingRecord {
    /// The meeting's group: its short name (`SPB`), its name, or its id.
    #[schema(schema_with = Text::<200>::line)]
    pub group_name: String,
    pub meeting: RecordedMeeting,
    /// The group's meeting before this one, whose minutes it considered:
    /// found by its start, or created (held) when the partnership does not
    /// hold it. Left out, the group's latest meeting before this one.
    pub previous_meeting: Option<RecordedMeetingRef>,
    /// Chair and members present, with deputies.
    #[serde(default)]
    #[schema(max_items = 500)]
    pub present: Vec<RecordedAttendee>,
    /// Officers, minute takers and guests.
    #[serde(default)]
    #[schema(max_items = 500)]
    pub in_attendance: Vec<RecordedAttendee>,
    #[serde(default)]
    #[schema(max_items = 500)]
    pub apologies: Vec<RecordedAttendee>,
    #[serde(default)]
    #[schema(max_items = 500)]
    pub absent: Vec<RecordedAttendee>,
    #[serde(default)]
    #[schema(max_items = 500)]
    pub declarations: Vec<RecordedDeclaration>,
    /// "There were no declarations of interest."
    #[serde(default)]
    pub no_declarations: bool,
    /// In agenda order; sub-items (`2a`, `2b`) follow their parent (`2.`).
    #[serde(default)]
    #[schema(max_items = 500)]
    pub items: Vec<RecordedItem>,
    /// Actions agreed at the meeting under no item.
    #[serde(default)]
    #[schema(max_items = 500)]
    pub other_actions: Vec<RecordedAction>,
    /// The earlier actions the meeting reviewed, with the updates reported
    /// at it. One the partnership does not hold yet is imported with its
    /// number, on a meeting of the group on its `meeting_date`.
    #[serde(default)]
    pub matters_arising: RecordedReview,
}

/// The meeting's own fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordedMeeting {
    #[schema(schema_with = Text::<300>::line)]
    pub title: String,
    pub starts_at: UtcTime,
    pub ends_at: Option<UtcTime>,
    #[schema(schema_with = Text::<300>::optional_line)]
    pub location: Option<String>,
    /// `held` when left out: minutes record a meeting that took place.
    pub status: Option<MeetingStatus>,
}

/// Another meeting of the group, by its title and start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordedMeetingRef {
    #[schema(schema_with = Text::<300>::line)]
    pub title: String,
    pub starts_at: UtcTime,
}

/// One line of an attendance list: a person by initials or name (created
/// when the partnership does not have them), or a guest (`role: guest`
/// without initials).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordedAttendee {
    /// "Sue Thomas".
    #[schema(schema_with = Text::<200>::optional_line)]
    pub name: Option<String>,
    /// "ST": how the person is found; given to a person created.
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9]{0,7}$")]
    pub initials: Option<String>,
    /// For a person created.
    #[schema(schema_with = Text::<300>::optional_line)]
    pub job_title: Option<String>,
    /// The agency's registered name (compared ignoring case and runs of
    /// spaces), for a person created; a guest's organisation as written.
    #[schema(schema_with = Text::<300>::optional_line)]
    pub organisation: Option<String>,
    /// `member` when left out (`chair` for the chair).
    pub role: Option<AttendeeRole>,
    /// Taken from the list when left out (`apologies` in `apologies`...).
    pub attendance: Option<Attendance>,
    /// The person deputised for, by initials or name.
    #[schema(schema_with = Text::<200>::optional_line)]
    pub deputising_for: Option<String>,
}

/// A declaration of interest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordedDeclaration {
    /// Who declared it, by initials or name.
    #[schema(schema_with = Text::<200>::line)]
    pub name: String,
    /// The item it concerns, by number (`3a`) or title.
    #[schema(schema_with = Text::<300>::optional_line)]
    pub item: Option<String>,
    #[schema(schema_with = Text::<2000>::paragraph)]
    pub text: String,
}

/// An agenda item with what was minuted, decided and agreed under it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordedItem {
    /// As written: "3.", "2a", "4.1".
    #[schema(schema_with = Text::<20>::optional_line)]
    pub number: Option<String>,
    #[schema(schema_with = Text::<300>::line)]
    pub title: String,
    /// By initials or name.
    #[schema(schema_with = Text::<200>::optional_line)]
    pub presenter: Option<String>,
    /// Markdown.
    #[schema(schema_with = Text::<100000>::optional_paragraph)]
    pub minutes: Option<String>,
    #[serde(default)]
    pub confidential: bool,
    /// "Discussed but not minuted."
    #[serde(default)]
    pub not_minuted: bool,
    #[serde(default)]
    #[schema(max_items = 500)]
    pub decisions: Vec<RecordedDecision>,
    /// The actions agreed under the item.
    #[serde(default)]
    #[schema(max_items = 500)]
    pub actions: Vec<RecordedAction>,
}

/// A decision under an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordedDecision {
    pub outcome: Outcome,
    #[schema(schema_with = Text::<5000>::paragraph)]
    pub text: String,
}

/// An action agreed at the meeting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordedAction {
    /// Kept when given ("Action No 14"); the partnership's next number when
    /// left out. A `PUT` matches the meeting's actions by it.
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub number: Option<i64>,
    #[schema(schema_with = Text::<2000>::paragraph)]
    pub description: String,
    /// Initials (`PG`), `ALL`, a group's short name (`D&P`), an agency's
    /// registered name, or an id.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub owners: Vec<String>,
    pub due_date: Option<Day>,
    /// The deadline as the minutes word it: "end of November".
    #[schema(schema_with = Text::<300>::optional_line)]
    pub due_text: Option<String>,
    /// `open` when left out.
    pub status: Option<ActionStatus>,
    /// When a `complete` action was completed; the meeting's day when left out.
    pub completed_on: Option<Day>,
}

/// The action log as the meeting reviewed it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordedReview {
    #[serde(default)]
    #[schema(max_items = 500)]
    pub outstanding: Vec<RecordedReviewedAction>,
    #[serde(default)]
    #[schema(max_items = 500)]
    pub completed: Vec<RecordedReviewedAction>,
}

/// An earlier action as the meeting reviewed it: "Action No 14 (23.10.19
/// ref 3.1) Case Review Final Sign Off - PG to amend ...", and the updates
/// reported on it at this meeting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordedReviewedAction {
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub number: i64,
    /// The day of the meeting that agreed it ("23.10.19").
    pub meeting_date: Option<Day>,
    /// The number of the item it was agreed under ("3.1").
    #[schema(schema_with = Text::<20>::optional_line)]
    pub item_number: Option<String>,
    /// That item's title ("Case Review Final Sign Off").
    #[schema(schema_with = Text::<300>::optional_line)]
    pub item_title: Option<String>,
    #[schema(schema_with = Text::<2000>::paragraph)]
    pub description: String,
    #[serde(default)]
    #[schema(max_items = 20)]
    pub owners: Vec<String>,
    pub due_date: Option<Day>,
    #[schema(schema_with = Text::<300>::optional_line)]
    pub due_text: Option<String>,
    /// Where it stands after the updates (taken when it is imported).
    pub status: Option<ActionStatus>,
    pub completed_on: Option<Day>,
    /// The updates reported at this meeting, oldest first.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub updates: Vec<RecordedUpdate>,
}

/// An update reported at the meeting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordedUpdate {
    pub noted_on: Day,
    #[schema(schema_with = Text::<5000>::paragraph)]
    pub note: String,
    /// The status it moved the action to, if it did.
    pub status: Option<ActionStatus>,
    /// Who gave it, by initials or name.
    #[schema(schema_with = Text::<200>::optional_line)]
    pub author: Option<String>,
}

fn attendee(line: &AttendeeLine) -> RecordedAttendee {
    RecordedAttendee {
        name: Some(line.name.clone()),
        initials: line.initials.clone(),
        job_title: line.job_title.clone(),
        organisation: line.organisation.clone(),
        role: Some(line.role),
        attendance: Some(line.attendance),
        deputising_for: line.deputising_for.clone(),
    }
}

/// Owners as a document writes them: initials, `ALL`, a group's short
/// name, an agency's name.
fn owners(view: &ActionView) -> Vec<String> {
    view.owners
        .iter()
        .map(|o| o.initials.clone().unwrap_or_else(|| o.name.clone()))
        .collect()
}

fn action(view: &ActionView) -> RecordedAction {
    let a = &view.action;
    RecordedAction {
        number: Some(a.number),
        description: a.description.clone(),
        owners: owners(view),
        due_date: a.due_date,
        due_text: a.due_text.clone(),
        status: Some(a.status),
        completed_on: a.completed_on,
    }
}

fn reviewed(r: &ReviewedAction) -> RecordedReviewedAction {
    let a = &r.action.action;
    RecordedReviewedAction {
        number: a.number,
        meeting_date: r.action.meeting_date,
        item_number: r.action.item_number.clone(),
        item_title: r.action.item_title.clone(),
        description: a.description.clone(),
        owners: owners(&r.action),
        due_date: a.due_date,
        due_text: a.due_text.clone(),
        status: Some(a.status),
        completed_on: a.completed_on,
        updates: r
            .updates
            .iter()
            .map(|u| RecordedUpdate {
                noted_on: u.noted_on,
                note: u.note.clone(),
                status: u.status,
                author: u.author.clone(),
            })
            .collect(),
    }
}

fn review(list: &[ReviewedAction], meeting: crate::db::Id) -> Vec<RecordedReviewedAction> {
    list.iter()
        .filter(|r| r.action.action.meeting_id != Some(meeting))
        .map(reviewed)
        .collect()
}

impl MeetingRecord {
    /// Every list within [`MAX_LINES`] (a reviewed action's updates within
    /// [`MAX_UPDATES`]), each one too long named by its path.
    pub fn check_sizes(&self) -> Result<(), crate::error::ApiError> {
        let mut lists: Vec<(String, usize, usize)> = vec![
            ("present".into(), self.present.len(), MAX_LINES),
            ("in_attendance".into(), self.in_attendance.len(), MAX_LINES),
            ("apologies".into(), self.apologies.len(), MAX_LINES),
            ("absent".into(), self.absent.len(), MAX_LINES),
            ("declarations".into(), self.declarations.len(), MAX_LINES),
            ("items".into(), self.items.len(), MAX_LINES),
            ("other_actions".into(), self.other_actions.len(), MAX_LINES),
        ];
        for (i, item) in self.items.iter().enumerate() {
            lists.push((
                format!("items[{i}].decisions"),
                item.decisions.len(),
                MAX_LINES,
            ));
            lists.push((format!("items[{i}].actions"), item.actions.len(), MAX_LINES));
        }
        let review = &self.matters_arising;
        for (name, list) in [
            ("outstanding", &review.outstanding),
            ("completed", &review.completed),
        ] {
            lists.push((format!("matters_arising.{name}"), list.len(), MAX_LINES));
            for (i, r) in list.iter().enumerate() {
                let path = format!("matters_arising.{name}[{i}].updates");
                lists.push((path, r.updates.len(), MAX_UPDATES));
            }
        }
        let errors: Vec<crate::error::FieldError> = lists
            .into_iter()
            .filter(|(_, n, max)| n > max)
            .map(|(path, _, max)| {
                crate::error::FieldError::new(path, format!("at most {max} entries"))
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(crate::error::ApiError::Validation(errors))
        }
    }

    /// The record a set of minutes gives: what `GET /v1/meetings/{id}/record`
    /// answers, and what recorded again gives the same minutes.
    pub fn of_minutes(doc: &MinutesDocument, group_short_name: &str) -> MeetingRecord {
        let m = &doc.meeting.meeting;
        let lines = |l: &[AttendeeLine]| l.iter().map(attendee).collect();
        MeetingRecord {
            group_name: group_short_name.to_owned(),
            meeting: RecordedMeeting {
                title: m.title.clone(),
                starts_at: m.starts_at,
                ends_at: m.ends_at,
                location: m.location.clone(),
                status: Some(m.status),
            },
            previous_meeting: doc.previous_meeting.as_ref().map(|p| RecordedMeetingRef {
                title: p.title.clone(),
                starts_at: p.starts_at,
            }),
            present: lines(&doc.present),
            in_attendance: lines(&doc.in_attendance),
            apologies: lines(&doc.apologies),
            absent: lines(&doc.absent),
            declarations: doc
                .declarations
                .iter()
                .map(|d| RecordedDeclaration {
                    name: d.name.clone(),
                    item: d.item.clone(),
                    text: d.text.clone(),
                })
                .collect(),
            no_declarations: doc.no_declarations,
            items: doc
                .items
                .iter()
                .map(|entry| {
                    let item = &entry.item.item;
                    RecordedItem {
                        number: item.number.clone(),
                        title: item.title.clone(),
                        presenter: entry.presenter.clone(),
                        minutes: item.minutes.clone(),
                        confidential: item.confidential,
                        not_minuted: item.not_minuted,
                        decisions: entry
                            .decisions
                            .iter()
                            .map(|d| RecordedDecision {
                                outcome: d.outcome,
                                text: d.text.clone(),
                            })
                            .collect(),
                        actions: entry.actions.iter().map(action).collect(),
                    }
                })
                .collect(),
            other_actions: doc.other_actions.iter().map(action).collect(),
            // The meeting's own actions are its items' (an update reported
            // on one at the meeting is not carried).
            matters_arising: RecordedReview {
                outstanding: review(&doc.matters_arising.outstanding, m.id),
                completed: review(&doc.matters_arising.completed, m.id),
            },
        }
    }
}
