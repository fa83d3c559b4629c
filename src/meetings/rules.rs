//! Meeting rules: validation, the minutes life cycle
//! (`none` → `draft` → `approved` → `published`, reopened only by an admin)
//! and quorum.

use std::collections::BTreeSet;

use serde::Deserialize;
use utoipa::ToSchema;

use crate::db::{Id, UtcTime};
use crate::validate::{patch_nullable, Errors, Refusal};

crate::text_enum! {
    /// Whether the meeting took place.
    pub enum MeetingStatus {
        Scheduled => "scheduled",
        Held => "held",
        Cancelled => "cancelled",
    }
}

crate::text_enum! {
    /// Where the minutes are in their life: `none` (nothing recorded),
    /// `draft`, `approved` (locked: an accurate record), `published`.
    pub enum MinutesStatus {
        None => "none",
        Draft => "draft",
        Approved => "approved",
        Published => "published",
    }
}

/// Body of `POST /v1/partnerships/{id}/meetings`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"group_id": "01a2f000-0000-7000-8000-000000000001", "title": "Herefordshire Safeguarding Partner's Board", "starts_at": "2019-11-18T15:00:00Z", "ends_at": "2019-11-18T16:30:00Z", "location": "Goodrich Room, Plough Lane, Hereford", "status": "held"})))]
pub struct CreateMeeting {
    /// The group's id or short name.
    #[schema(schema_with = crate::names::group)]
    pub group_id: Id,
    /// e.g. "Herefordshire Safeguarding Partner's Board".
    #[schema(schema_with = crate::validate::Text::<300>::line)]
    pub title: String,
    pub starts_at: UtcTime,
    pub ends_at: Option<UtcTime>,
    /// e.g. "Goodrich Room, Plough Lane, Hereford".
    #[schema(schema_with = crate::validate::Text::<300>::optional_line)]
    pub location: Option<String>,
    /// Defaults to `scheduled`.
    pub status: Option<MeetingStatus>,
    /// Defaults to the group's latest meeting before this one.
    pub previous_meeting_id: Option<Id>,
    /// The minutes record that nobody declared an interest.
    pub no_declarations: Option<bool>,
}

/// Body of `PATCH /v1/meetings/{id}`: fields left out are kept; `null` clears
/// `ends_at`, `location` or `previous_meeting_id`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeeting {
    /// The group's id or short name.
    #[schema(schema_with = crate::names::nullable_group)]
    pub group_id: Option<Id>,
    #[schema(schema_with = crate::validate::Text::<300>::nullable_line)]
    pub title: Option<String>,
    pub starts_at: Option<UtcTime>,
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(value_type = Option<UtcTime>)]
    pub ends_at: Option<Option<UtcTime>>,
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(schema_with = crate::validate::Text::<300>::optional_line)]
    pub location: Option<Option<String>>,
    pub status: Option<MeetingStatus>,
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(value_type = Option<Id>)]
    pub previous_meeting_id: Option<Option<Id>>,
    pub no_declarations: Option<bool>,
}

/// The validated, editable fields of a meeting.
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingFields {
    pub group_id: Id,
    pub title: String,
    pub starts_at: UtcTime,
    pub ends_at: Option<UtcTime>,
    pub location: Option<String>,
    pub status: MeetingStatus,
    pub previous_meeting_id: Option<Id>,
    pub no_declarations: bool,
}

pub fn validate(fields: MeetingFields) -> Result<MeetingFields, Refusal> {
    let mut errors = Errors::new();
    let title = errors.text("title", &fields.title, 300);
    let location = errors.optional_text("location", fields.location.as_deref(), 300);
    if fields.ends_at.is_some_and(|end| end <= fields.starts_at) {
        errors.add("ends_at", "must be after starts_at");
    }
    errors.finish()?;
    Ok(MeetingFields {
        title,
        location,
        ..fields
    })
}

pub fn apply(current: MeetingFields, patch: UpdateMeeting) -> Result<MeetingFields, Refusal> {
    validate(MeetingFields {
        group_id: patch.group_id.unwrap_or(current.group_id),
        title: patch.title.unwrap_or(current.title),
        starts_at: patch.starts_at.unwrap_or(current.starts_at),
        ends_at: patch.ends_at.unwrap_or(current.ends_at),
        location: patch.location.unwrap_or(current.location),
        status: patch.status.unwrap_or(current.status),
        previous_meeting_id: patch
            .previous_meeting_id
            .unwrap_or(current.previous_meeting_id),
        no_declarations: patch.no_declarations.unwrap_or(current.no_declarations),
    })
}

/// Approved or published minutes are the accurate record: nothing of the
/// meeting changes until an admin reopens them.
pub fn ensure_editable(minutes: MinutesStatus) -> Result<(), Refusal> {
    match minutes {
        MinutesStatus::Approved | MinutesStatus::Published => Err(Refusal::conflict(
            "the minutes are approved and locked; an admin may reopen them (POST .../minutes/reopen)",
        )),
        MinutesStatus::None | MinutesStatus::Draft => Ok(()),
    }
}

/// Recording anything of a meeting makes its minutes a draft.
pub fn after_edit(minutes: MinutesStatus) -> MinutesStatus {
    match minutes {
        MinutesStatus::None => MinutesStatus::Draft,
        other => other,
    }
}

/// Approval: draft minutes of a meeting that was held.
pub fn approve(minutes: MinutesStatus, status: MeetingStatus) -> Result<MinutesStatus, Refusal> {
    match (minutes, status) {
        (_, MeetingStatus::Cancelled) => Err(Refusal::conflict(
            "a cancelled meeting has no minutes to approve",
        )),
        (MinutesStatus::Draft, _) => Ok(MinutesStatus::Approved),
        (MinutesStatus::None, _) => Err(Refusal::conflict("no minutes are recorded yet")),
        _ => Err(Refusal::conflict("the minutes are already approved")),
    }
}

pub fn publish(minutes: MinutesStatus) -> Result<MinutesStatus, Refusal> {
    match minutes {
        MinutesStatus::Approved | MinutesStatus::Published => Ok(MinutesStatus::Published),
        _ => Err(Refusal::conflict("only approved minutes can be published")),
    }
}

pub fn reopen(minutes: MinutesStatus) -> Result<MinutesStatus, Refusal> {
    match minutes {
        MinutesStatus::Approved | MinutesStatus::Published => Ok(MinutesStatus::Draft),
        _ => Err(Refusal::conflict("the minutes are not approved")),
    }
}

/// One attendee as quorum sees them: whether present, the organisation of
/// the person, and the organisation of whoever they deputise for.
#[derive(Debug, Clone, Copy)]
pub struct QuorumEntry {
    pub present: bool,
    pub organisation_id: Option<Id>,
    pub deputising_for_organisation_id: Option<Id>,
}

/// Quorum: every statutory partner present or deputised. Answers whether the
/// meeting is quorate and which statutory partners were missing. With no
/// statutory partner recorded the partnership is incomplete: not quorate.
pub fn quorum(statutory: &[Id], attendees: &[QuorumEntry]) -> (bool, Vec<Id>) {
    let covered: BTreeSet<Id> = attendees
        .iter()
        .filter(|a| a.present)
        .flat_map(|a| [a.organisation_id, a.deputising_for_organisation_id])
        .flatten()
        .collect();
    let missing: Vec<Id> = statutory
        .iter()
        .filter(|org| !covered.contains(org))
        .copied()
        .collect();
    (!statutory.is_empty() && missing.is_empty(), missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> MeetingFields {
        MeetingFields {
            group_id: Id::new(),
            title: " Strategic Leadership Group ".into(),
            starts_at: UtcTime("2019-08-22T12:30:00Z".parse().unwrap()),
            ends_at: Some(UtcTime("2019-08-22T15:30:00Z".parse().unwrap())),
            location: Some("County Hall, West Bridgford".into()),
            status: MeetingStatus::Held,
            previous_meeting_id: None,
            no_declarations: true,
        }
    }

    #[test]
    fn a_meeting_must_end_after_it_starts() {
        assert_eq!(
            validate(fields()).unwrap().title,
            "Strategic Leadership Group"
        );
        let mut f = fields();
        f.ends_at = Some(f.starts_at);
        assert!(matches!(validate(f), Err(Refusal::Invalid(e)) if e[0].field == "ends_at"));
    }

    #[test]
    fn patch_clears_location_with_null_and_keeps_what_is_left_out() {
        let patch: UpdateMeeting = serde_json::from_str(r#"{"location": null}"#).unwrap();
        let after = apply(validate(fields()).unwrap(), patch).unwrap();
        assert_eq!(after.location, None);
        assert!(after.ends_at.is_some());
    }

    #[test]
    fn the_minutes_life_cycle() {
        use MinutesStatus::*;
        assert_eq!(after_edit(None), Draft);
        assert!(approve(None, MeetingStatus::Held).is_err());
        assert_eq!(approve(Draft, MeetingStatus::Held).unwrap(), Approved);
        assert!(approve(Draft, MeetingStatus::Cancelled).is_err());
        assert!(ensure_editable(Approved).is_err());
        assert!(ensure_editable(Published).is_err());
        assert!(publish(Draft).is_err());
        assert_eq!(publish(Approved).unwrap(), Published);
        assert_eq!(reopen(Published).unwrap(), Draft);
        assert!(reopen(Draft).is_err());
    }

    #[test]
    fn a_deputy_covers_a_statutory_partner() {
        let (council, police, ccg) = (Id::new(), Id::new(), Id::new());
        let present = |org: Id| QuorumEntry {
            present: true,
            organisation_id: Some(org),
            deputising_for_organisation_id: None,
        };
        let mut attendees = vec![
            present(council),
            present(police),
            // Elaine Moss (CCG) sent apologies.
            QuorumEntry {
                present: false,
                organisation_id: Some(ccg),
                deputising_for_organisation_id: None,
            },
        ];
        let statutory = [council, police, ccg];
        assert_eq!(quorum(&statutory, &attendees), (false, vec![ccg]));
        // Rosa Waddingham deputises for her.
        attendees.push(QuorumEntry {
            present: true,
            organisation_id: None,
            deputising_for_organisation_id: Some(ccg),
        });
        assert_eq!(quorum(&statutory, &attendees), (true, vec![]));
        assert_eq!(quorum(&[], &attendees), (false, vec![]));
    }
}
