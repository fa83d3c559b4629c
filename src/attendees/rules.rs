//! Attendee rules: a person or a named guest, never both; a deputy is present.

use serde::Deserialize;
use utoipa::ToSchema;

use crate::db::{Id, UtcTime};
use crate::validate::{patch_nullable, Errors, Refusal};

crate::text_enum! {
    /// Whether the attendee was there.
    pub enum Attendance {
        Present => "present",
        Apologies => "apologies",
        Absent => "absent",
    }
}

crate::text_enum! {
    /// The attendee's part in the meeting; `in_attendance` are officers who
    /// support it, `minute_taker` writes the minutes.
    pub enum AttendeeRole {
        Chair => "chair",
        Member => "member",
        InAttendance => "in_attendance",
        MinuteTaker => "minute_taker",
        Guest => "guest",
    }
}

/// Body of `POST /v1/meetings/{id}/attendees`: `person_id`, or `guest_name`
/// for someone who is not a person of the partnership.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"person_id": "01a2f000-0000-7000-8000-000000000002", "attendance": "present", "role": "chair"})))]
pub struct CreateAttendee {
    /// The person's id or initials.
    #[schema(schema_with = crate::names::nullable_person)]
    pub person_id: Option<Id>,
    #[schema(schema_with = crate::validate::Text::<200>::optional_line)]
    pub guest_name: Option<String>,
    /// The guest's organisation, as written.
    #[schema(schema_with = crate::validate::Text::<300>::optional_line)]
    pub guest_organisation: Option<String>,
    /// Defaults to `present`.
    pub attendance: Option<Attendance>,
    /// Defaults to `member`, or `guest` for a named guest.
    pub role: Option<AttendeeRole>,
    /// The person this attendee stood in for (who sent apologies): id or initials.
    #[schema(schema_with = crate::names::nullable_person)]
    pub deputising_for_person_id: Option<Id>,
    pub arrived_at: Option<UtcTime>,
    pub left_at: Option<UtcTime>,
    /// For a guest who attended for some items only.
    pub attended_item_ids: Option<Vec<Id>>,
}

/// Body of `PATCH /v1/meetings/{id}/attendees/{attendee_id}`; `null` clears.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAttendee {
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(schema_with = crate::validate::Text::<300>::optional_line)]
    pub guest_organisation: Option<Option<String>>,
    pub attendance: Option<Attendance>,
    pub role: Option<AttendeeRole>,
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(schema_with = crate::names::nullable_person)]
    pub deputising_for_person_id: Option<Option<Id>>,
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(value_type = Option<UtcTime>)]
    pub arrived_at: Option<Option<UtcTime>>,
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(value_type = Option<UtcTime>)]
    pub left_at: Option<Option<UtcTime>>,
    pub attended_item_ids: Option<Vec<Id>>,
}

/// The validated fields of an attendee.
#[derive(Debug, Clone, PartialEq)]
pub struct AttendeeFields {
    pub person_id: Option<Id>,
    pub guest_name: Option<String>,
    pub guest_organisation: Option<String>,
    pub attendance: Attendance,
    pub role: AttendeeRole,
    pub deputising_for_person_id: Option<Id>,
    pub arrived_at: Option<UtcTime>,
    pub left_at: Option<UtcTime>,
    pub attended_item_ids: Vec<Id>,
}

pub fn from_create(form: CreateAttendee) -> Result<AttendeeFields, Refusal> {
    let guest = form.guest_name.is_some();
    validate(AttendeeFields {
        person_id: form.person_id,
        guest_name: form.guest_name,
        guest_organisation: form.guest_organisation,
        attendance: form.attendance.unwrap_or(Attendance::Present),
        role: form.role.unwrap_or(if guest {
            AttendeeRole::Guest
        } else {
            AttendeeRole::Member
        }),
        deputising_for_person_id: form.deputising_for_person_id,
        arrived_at: form.arrived_at,
        left_at: form.left_at,
        attended_item_ids: form.attended_item_ids.unwrap_or_default(),
    })
}

pub fn apply(current: AttendeeFields, patch: UpdateAttendee) -> Result<AttendeeFields, Refusal> {
    validate(AttendeeFields {
        guest_organisation: patch
            .guest_organisation
            .unwrap_or(current.guest_organisation),
        attendance: patch.attendance.unwrap_or(current.attendance),
        role: patch.role.unwrap_or(current.role),
        deputising_for_person_id: patch
            .deputising_for_person_id
            .unwrap_or(current.deputising_for_person_id),
        arrived_at: patch.arrived_at.unwrap_or(current.arrived_at),
        left_at: patch.left_at.unwrap_or(current.left_at),
        attended_item_ids: patch.attended_item_ids.unwrap_or(current.attended_item_ids),
        ..current
    })
}

pub fn validate(fields: AttendeeFields) -> Result<AttendeeFields, Refusal> {
    let mut errors = Errors::new();
    let guest_name = errors.optional_text("guest_name", fields.guest_name.as_deref(), 200);
    let guest_organisation = errors.optional_text(
        "guest_organisation",
        fields.guest_organisation.as_deref(),
        300,
    );
    match (fields.person_id, &guest_name) {
        (Some(_), Some(_)) => errors.add("guest_name", "give person_id or guest_name, not both"),
        (None, None) => errors.add("person_id", "give person_id, or guest_name for a guest"),
        _ => {}
    }
    if fields.deputising_for_person_id.is_some() {
        if fields.deputising_for_person_id == fields.person_id {
            errors.add(
                "deputising_for_person_id",
                "a person cannot deputise for themselves",
            );
        }
        if fields.attendance != Attendance::Present {
            errors.add("deputising_for_person_id", "only someone present deputises");
        }
    }
    if let (Some(arrived), Some(left)) = (fields.arrived_at, fields.left_at) {
        if left <= arrived {
            errors.add("left_at", "must be after arrived_at");
        }
    }
    errors.finish()?;
    Ok(AttendeeFields {
        guest_name,
        guest_organisation,
        ..fields
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: Id) -> CreateAttendee {
        CreateAttendee {
            person_id: Some(id),
            guest_name: None,
            guest_organisation: None,
            attendance: None,
            role: None,
            deputising_for_person_id: None,
            arrived_at: None,
            left_at: None,
            attended_item_ids: None,
        }
    }

    #[test]
    fn defaults_are_present_member_or_guest() {
        let f = from_create(person(Id::new())).unwrap();
        assert_eq!(
            (f.attendance, f.role),
            (Attendance::Present, AttendeeRole::Member)
        );
        let guest = CreateAttendee {
            person_id: None,
            guest_name: Some("Liz Elgar".into()),
            ..person(Id::new())
        };
        assert_eq!(from_create(guest).unwrap().role, AttendeeRole::Guest);
    }

    #[test]
    fn a_person_or_a_guest_never_both_nor_neither() {
        let both = CreateAttendee {
            guest_name: Some("X".into()),
            ..person(Id::new())
        };
        assert!(from_create(both).is_err());
        let neither = CreateAttendee {
            person_id: None,
            ..person(Id::new())
        };
        assert!(from_create(neither).is_err());
    }

    #[test]
    fn a_deputy_is_present_and_not_themselves() {
        let me = Id::new();
        let absent_deputy = CreateAttendee {
            attendance: Some(Attendance::Apologies),
            deputising_for_person_id: Some(Id::new()),
            ..person(me)
        };
        assert!(from_create(absent_deputy).is_err());
        let self_deputy = CreateAttendee {
            deputising_for_person_id: Some(me),
            ..person(me)
        };
        assert!(from_create(self_deputy).is_err());
    }
}
