//! Action rules as plain functions: owners as written, the deadline, the
//! status and when it was completed, and whether an action is overdue.

use serde::Deserialize;
use utoipa::ToSchema;

use crate::db::{Day, Id, UtcTime};
use crate::people::Initials;
use crate::validate::{patch_nullable, Errors, Refusal};

crate::text_enum! {
    /// Where an action stands. The seeds' "Not yet completed" is `open`,
    /// "In progress" is `in_progress`, "Complete" is `complete`.
    pub enum ActionStatus {
        Open => "open",
        InProgress => "in_progress",
        Complete => "complete",
        Cancelled => "cancelled",
    }
}

impl ActionStatus {
    /// Still to be done: open or in progress.
    pub fn is_outstanding(self) -> bool {
        matches!(self, ActionStatus::Open | ActionStatus::InProgress)
    }

    /// As a business unit's log words it.
    pub fn label(self) -> &'static str {
        match self {
            ActionStatus::Open => "Not yet completed",
            ActionStatus::InProgress => "In progress",
            ActionStatus::Complete => "Complete",
            ActionStatus::Cancelled => "Cancelled",
        }
    }
}

/// An owner as written on input: initials (`"PG"`), `"ALL"` for all
/// partners, or the id of a person, group or organisation.
pub const OWNER_PATTERN: &str = "^([A-Za-z][A-Za-z0-9]{0,7}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$";

/// Most owners one action has.
pub const MAX_OWNERS: usize = 20;

/// One owner as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnerRef {
    AllPartners,
    Initials(String),
    Id(Id),
}

pub fn parse_owner(raw: &str) -> Result<OwnerRef, &'static str> {
    if raw.eq_ignore_ascii_case("all") {
        return Ok(OwnerRef::AllPartners);
    }
    if raw.len() == 36 {
        if let Ok(id) = raw.parse::<Id>() {
            return Ok(OwnerRef::Id(id));
        }
    }
    Initials::parse(raw)
        .map(|i| OwnerRef::Initials(i.into_inner()))
        .map_err(|_| "must be initials (PG), ALL, or the id of a person, group or organisation")
}

/// The `owner` filter of the action log: one owner as written.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct OwnerFilter(pub OwnerRef);

impl TryFrom<String> for OwnerFilter {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        parse_owner(&value)
            .map(OwnerFilter)
            .map_err(|m| format!("owner {m}"))
    }
}

impl utoipa::PartialSchema for OwnerFilter {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(OWNER_PATTERN))
            .into()
    }
}
impl utoipa::ToSchema for OwnerFilter {}

/// Parses the owners of a request; each bad one is named (`owners[1]`).
pub fn parse_owners(errors: &mut Errors, owners: &[String]) -> Vec<OwnerRef> {
    if owners.len() > MAX_OWNERS {
        errors.add("owners", format!("at most {MAX_OWNERS} owners"));
        return Vec::new();
    }
    let mut parsed: Vec<OwnerRef> = Vec::new();
    for (i, raw) in owners.iter().enumerate() {
        match parse_owner(raw) {
            Ok(owner) if parsed.contains(&owner) => {
                errors.add(&format!("owners[{i}]"), "is named twice")
            }
            Ok(owner) => parsed.push(owner),
            Err(message) => errors.add(&format!("owners[{i}]"), message),
        }
    }
    parsed
}

/// Body of `POST /v1/partnerships/{id}/actions`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({
    "meeting_id": "0191f6d2-4a7b-7c3e-9a55-3f0c2b1d8e01",
    "item_id": "0191f6d2-4a7b-7c3e-9a55-3f0c2b1d8e02",
    "description": "Complete a report on the review of the Business Unit.",
    "owners": ["PG"],
    "due_text": "end of November",
    "due_date": "2019-11-30"
})))]
pub struct CreateAction {
    /// The number of an action imported from an existing log (admins only);
    /// left out, the next number of the partnership is given.
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub number: Option<i64>,
    /// The meeting that agreed it; taken from `item_id` when left out.
    pub meeting_id: Option<Id>,
    /// The agenda item it was agreed under.
    pub item_id: Option<Id>,
    /// What is to be done.
    #[schema(schema_with = crate::validate::Text::<2000>::paragraph)]
    pub description: String,
    /// Initials (`"CB"`), `"ALL"` (all partners), or ids of people, groups
    /// and organisations of the partnership, e.g. `["CB", "EH"]`.
    #[serde(default)]
    #[schema(schema_with = owners_schema)]
    pub owners: Vec<String>,
    pub due_date: Option<Day>,
    /// The meeting it is to be done by (or reported to).
    pub due_meeting_id: Option<Id>,
    /// The deadline as the minutes word it: "end of November".
    #[schema(schema_with = crate::validate::Text::<300>::optional_line)]
    pub due_text: Option<String>,
    /// `open` when left out.
    pub status: Option<ActionStatus>,
}

/// `owners` as published: at most 20 strings of [`OWNER_PATTERN`].
pub fn owners_schema() -> utoipa::openapi::schema::Array {
    owners_array(false)
}

/// `owners` of a PATCH: `null` (or left out) keeps them.
pub fn nullable_owners_schema() -> utoipa::openapi::schema::Array {
    owners_array(true)
}

fn owners_array(nullable: bool) -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
    let kind = if nullable {
        SchemaType::from_iter([Type::Array, Type::Null])
    } else {
        SchemaType::new(Type::Array)
    };
    ArrayBuilder::new()
        .schema_type(kind)
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(OWNER_PATTERN)),
        )
        .max_items(Some(MAX_OWNERS))
        .description(Some(
            "Initials (`CB`), `ALL` (all partners), or ids of people, groups and organisations of the partnership.",
        ))
        .build()
}

/// Body of `PATCH /v1/actions/{id}`: fields left out are kept; `null` clears
/// the nullable ones.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAction {
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(value_type = Option<Id>)]
    pub meeting_id: Option<Option<Id>>,
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(value_type = Option<Id>)]
    pub item_id: Option<Option<Id>>,
    #[schema(schema_with = crate::validate::Text::<2000>::nullable_paragraph)]
    pub description: Option<String>,
    #[schema(schema_with = nullable_owners_schema)]
    pub owners: Option<Vec<String>>,
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(value_type = Option<Day>)]
    pub due_date: Option<Option<Day>>,
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(value_type = Option<Id>)]
    pub due_meeting_id: Option<Option<Id>>,
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(schema_with = crate::validate::Text::<300>::optional_line)]
    pub due_text: Option<Option<String>>,
    pub status: Option<ActionStatus>,
}

/// The validated fields of an action; owners still as written.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionFields {
    pub meeting_id: Option<Id>,
    pub item_id: Option<Id>,
    pub description: String,
    pub owners: Vec<OwnerRef>,
    pub due_date: Option<Day>,
    pub due_meeting_id: Option<Id>,
    pub due_text: Option<String>,
    pub status: ActionStatus,
}

/// Checks description, deadline text and (when sent) owners; the
/// references are checked by the model.
fn validate(
    mut fields: ActionFields,
    description: &str,
    owners: Option<&[String]>,
    due_text: Option<&str>,
) -> Result<ActionFields, Refusal> {
    let mut errors = Errors::new();
    let description = errors.optional_long_text("description", Some(description), 2_000);
    if description.is_none() {
        errors.add("description", "must not be blank");
    }
    fields.description = description.unwrap_or_default();
    fields.due_text = errors.optional_text("due_text", due_text, 300);
    if let Some(owners) = owners {
        fields.owners = parse_owners(&mut errors, owners);
    }
    errors.finish()?;
    Ok(fields)
}

/// The numbers an import may give: as published.
pub const NUMBERS: std::ops::RangeInclusive<i64> = 1..=1_000_000_000;

pub fn from_create(form: &CreateAction) -> Result<ActionFields, Refusal> {
    if let Some(number) = form.number.filter(|n| !NUMBERS.contains(n)) {
        let mut errors = Errors::new();
        errors.add(
            "number",
            format!("{number} is not between 1 and 1000000000"),
        );
        errors.finish()?;
    }
    let fields = ActionFields {
        meeting_id: form.meeting_id,
        item_id: form.item_id,
        description: String::new(),
        owners: Vec::new(),
        due_date: form.due_date,
        due_meeting_id: form.due_meeting_id,
        due_text: None,
        status: form.status.unwrap_or(ActionStatus::Open),
    };
    validate(
        fields,
        &form.description,
        Some(&form.owners),
        form.due_text.as_deref(),
    )
}

/// Applies a PATCH to the current fields (whose owners are resolved).
pub fn apply(current: ActionFields, patch: UpdateAction) -> Result<ActionFields, Refusal> {
    let due_text = match patch.due_text {
        Some(v) => v,
        None => current.due_text.clone(),
    };
    let description = patch
        .description
        .clone()
        .unwrap_or_else(|| current.description.clone());
    let fields = ActionFields {
        meeting_id: patch.meeting_id.unwrap_or(current.meeting_id),
        item_id: patch.item_id.unwrap_or(current.item_id),
        due_date: patch.due_date.unwrap_or(current.due_date),
        due_meeting_id: patch.due_meeting_id.unwrap_or(current.due_meeting_id),
        status: patch.status.unwrap_or(current.status),
        ..current
    };
    validate(
        fields,
        &description,
        patch.owners.as_deref(),
        due_text.as_deref(),
    )
}

/// When the action was completed after a change of status to `after` on
/// `day`: kept while it stays complete, set when it becomes complete,
/// cleared when it is reopened or cancelled.
pub fn completed_on(
    before: ActionStatus,
    after: ActionStatus,
    was: Option<Day>,
    day: Day,
) -> Option<Day> {
    match (before, after) {
        (ActionStatus::Complete, ActionStatus::Complete) => was.or(Some(day)),
        (_, ActionStatus::Complete) => Some(day),
        _ => None,
    }
}

/// The instant an `as_at` day stands for: its start in UK time, so that an
/// action due that day is not yet overdue and one due the day before is;
/// without one, `now`.
pub fn as_at(day: Option<Day>, now: UtcTime) -> UtcTime {
    use chrono::TimeZone;
    let Some(day) = day else {
        return now;
    };
    let london = chrono_tz::Europe::London;
    let midnight = day.0.and_time(chrono::NaiveTime::MIN);
    london
        .from_local_datetime(&midnight)
        .earliest()
        .map_or(now, |t| UtcTime(t.with_timezone(&chrono::Utc)))
}

/// The `as_at` query parameter of the action log's reads.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsAt {
    /// Compute `overdue` as at the start of this day (UK time) rather than
    /// now, e.g. the day of the meeting that reviewed the log: `2019-11-18`.
    pub as_at: Option<Day>,
}

/// Overdue: still outstanding, and past its due date, or (with no due date)
/// past the start of the meeting it was due at.
pub fn overdue(
    status: ActionStatus,
    due_date: Option<Day>,
    due_meeting_starts: Option<UtcTime>,
    now: UtcTime,
) -> bool {
    if !status.is_outstanding() {
        return false;
    }
    match (due_date, due_meeting_starts) {
        (Some(day), _) => day < Day::in_uk(now),
        (None, Some(starts)) => starts <= now,
        (None, None) => false,
    }
}

/// A meeting's date as references write it: `23.10.19`.
pub fn reference_date(starts_at: UtcTime) -> String {
    Day::in_uk(starts_at).0.format("%d.%m.%y").to_string()
}

/// An item's number as references write it: "2a." is "2a".
pub fn reference_item(number: &str) -> &str {
    number.trim().trim_end_matches('.')
}

/// Body of `POST /v1/actions/{id}/updates`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({
    "noted_on": "2019-11-18",
    "note": "Not yet completed; to be completed and presented to Dec 19 QE meeting",
    "status": "open",
    "reported_at_meeting_id": "0191f6d2-4a7b-7c3e-9a55-3f0c2b1d8e01"
})))]
pub struct CreateUpdate {
    /// The date of the update; today when left out.
    pub noted_on: Option<Day>,
    /// The progress, as minuted: "Complete. NSPCC Support Package ordered".
    #[schema(schema_with = crate::validate::Text::<5000>::paragraph)]
    pub note: String,
    /// Who gave the update: id or initials.
    #[schema(schema_with = crate::names::nullable_person)]
    pub author_person_id: Option<Id>,
    /// The action's status from now on; left out, it stays as it is.
    pub status: Option<ActionStatus>,
    /// The meeting the update was reported at.
    pub reported_at_meeting_id: Option<Id>,
}

pub fn update_note(note: &str) -> Result<String, Refusal> {
    let mut errors = Errors::new();
    let value = errors.optional_long_text("note", Some(note), 5_000);
    if value.is_none() {
        errors.add("note", "must not be blank");
    }
    errors.finish()?;
    Ok(value.unwrap_or_default())
}

/// How many action numbers a refusal names before it counts the rest.
const NAMED_ACTIONS: usize = 20;

/// An owner of actions (`numbers`) is not removed from the partnership: it
/// would leave them owned by something that is no longer there (409 naming
/// the actions, so the caller can give them other owners first).
pub fn not_owning(what: &str, numbers: &[i64]) -> Result<(), Refusal> {
    if numbers.is_empty() {
        return Ok(());
    }
    let mut named: Vec<String> = numbers
        .iter()
        .take(NAMED_ACTIONS)
        .map(i64::to_string)
        .collect();
    if numbers.len() > NAMED_ACTIONS {
        named.push(format!("and {} more", numbers.len() - NAMED_ACTIONS));
    }
    let noun = if numbers.len() == 1 {
        "action"
    } else {
        "actions"
    };
    Err(Refusal::conflict(format!(
        "{what} owns {noun} {}: give {} other owners first",
        named.join(", "),
        if numbers.len() == 1 { "it" } else { "them" }
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_at_is_the_start_of_the_uk_day() {
        let now = UtcTime("2026-12-04T10:00:00Z".parse().unwrap());
        assert_eq!(as_at(None, now), now);
        let summer = as_at(Some(Day("2019-08-22".parse().unwrap())), now);
        assert_eq!(summer.0.to_rfc3339(), "2019-08-21T23:00:00+00:00");
        let day = Day("2019-11-18".parse().unwrap());
        let winter = as_at(Some(day), now);
        assert!(overdue(
            ActionStatus::Open,
            Some(Day("2019-11-17".parse().unwrap())),
            None,
            winter
        ));
        assert!(!overdue(ActionStatus::Open, Some(day), None, winter));
    }

    #[test]
    fn an_owner_of_actions_names_them() {
        assert_eq!(not_owning("this organisation", &[]), Ok(()));
        assert_eq!(
            not_owning("this organisation", &[3]),
            Err(Refusal::conflict(
                "this organisation owns action 3: give it other owners first"
            ))
        );
        let many: Vec<i64> = (1..=22).collect();
        let Err(Refusal::Conflict(detail)) = not_owning("this group", &many) else {
            panic!("refused");
        };
        assert!(
            detail.starts_with("this group owns actions 1, 2, 3,"),
            "{detail}"
        );
        assert!(detail.contains(", 20, and 2 more:"), "{detail}");
    }

    fn day(text: &str) -> Day {
        Day(text.parse().unwrap())
    }

    fn at(text: &str) -> UtcTime {
        UtcTime(text.parse().unwrap())
    }

    #[test]
    fn owners_as_the_seeds_write_them() {
        assert_eq!(parse_owner("ALL"), Ok(OwnerRef::AllPartners));
        assert_eq!(parse_owner("cb"), Ok(OwnerRef::Initials("CB".into())));
        let id = Id::new();
        assert_eq!(parse_owner(&id.to_string()), Ok(OwnerRef::Id(id)));
        for bad in ["CB/EH", "D&P Group", "", "ABCDEFGHI"] {
            assert!(parse_owner(bad).is_err(), "{bad}");
        }
        let mut errors = Errors::new();
        let owners = ["RW", "NR", "rw", "x/y"].map(String::from);
        parse_owners(&mut errors, &owners);
        let Err(Refusal::Invalid(fields)) = errors.finish() else {
            panic!("refused");
        };
        let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["owners[2]", "owners[3]"]);
    }

    #[test]
    fn overdue_against_a_fixed_clock() {
        let now = at("2019-12-01T09:00:00Z");
        let open = ActionStatus::Open;
        assert!(overdue(open, Some(day("2019-11-29")), None, now));
        assert!(!overdue(open, Some(day("2019-12-01")), None, now));
        assert!(!overdue(
            ActionStatus::Complete,
            Some(day("2019-11-29")),
            None,
            now
        ));
        assert!(overdue(open, None, Some(at("2019-11-18T15:00:00Z")), now));
        assert!(!overdue(open, None, Some(at("2019-12-06T10:00:00Z")), now));
        assert!(!overdue(open, None, None, now));
        // A due date wins over the due meeting.
        assert!(!overdue(
            open,
            Some(day("2019-12-20")),
            Some(at("2019-11-18T15:00:00Z")),
            now
        ));
    }

    #[test]
    fn completion_is_dated_once() {
        let (d1, d2) = (day("2019-11-18"), day("2019-12-18"));
        use ActionStatus::*;
        assert_eq!(completed_on(Open, Complete, None, d1), Some(d1));
        assert_eq!(completed_on(Complete, Complete, Some(d1), d2), Some(d1));
        assert_eq!(completed_on(Complete, Open, Some(d1), d2), None);
        assert_eq!(completed_on(InProgress, Cancelled, None, d2), None);
    }

    #[test]
    fn references_write_dates_and_items_as_the_seeds_do() {
        assert_eq!(reference_date(at("2019-10-23T14:00:00Z")), "23.10.19");
        // 23:30 UTC on 31 August is 1 September in London.
        assert_eq!(reference_date(at("2019-08-31T23:30:00Z")), "01.09.19");
        assert_eq!(reference_item("2a."), "2a");
        assert_eq!(reference_item("3.1"), "3.1");
    }
}
