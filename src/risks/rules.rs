//! Risk rules as plain functions: the status, likelihood and impact, the
//! scoring bands and the rating they give a score, the trend between two
//! assessments, and the number an escalated item takes on an agenda.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::{Day, Id};
use crate::validate::{patch_nullable, Errors, Refusal};

crate::text_enum! {
    /// Where a risk stands: a `draft` is seen by members and admins only
    /// ("retain the log in draft format"); `agreed` by all partners;
    /// `closed` kept for the record.
    pub enum RiskStatus {
        Draft => "draft",
        Agreed => "agreed",
        Closed => "closed",
    }
}

crate::text_enum! {
    /// A score's band in the partnership's scoring.
    pub enum Rating {
        Green => "green",
        Amber => "amber",
        Red => "red",
    }
}

crate::text_enum! {
    /// The latest score against the one before it: lower is `improving`.
    pub enum Trend {
        Improving => "improving",
        Worsening => "worsening",
        Stable => "stable",
    }
}

/// Likelihood and impact are scored 1 to 5.
pub const LEVELS: std::ops::RangeInclusive<i32> = 1..=5;
/// Scores run from 1 to 25 (5 × 5).
pub const SCORES: std::ops::RangeInclusive<i32> = 1..=25;
/// Most actions one risk names as its mitigations.
pub const MAX_MITIGATIONS: usize = 50;
/// The numbers an import may give: as published.
pub const NUMBERS: std::ops::RangeInclusive<i64> = 1..=1_000_000_000;

/// The trend from `previous` to `latest`; none without an earlier score.
pub fn trend(latest: i32, previous: Option<i32>) -> Option<Trend> {
    let previous = previous?;
    Some(match latest.cmp(&previous) {
        std::cmp::Ordering::Less => Trend::Improving,
        std::cmp::Ordering::Greater => Trend::Worsening,
        std::cmp::Ordering::Equal => Trend::Stable,
    })
}

/// One band of the scoring: the scores from `from` to `to` (inclusive)
/// have this `rating`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub rating: Rating,
    #[schema(minimum = 1, maximum = 25)]
    pub from: i32,
    #[schema(minimum = 1, maximum = 25)]
    pub to: i32,
}

/// A partnership's scoring: green below `amber_from`, red from `red_from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bands {
    pub amber_from: i32,
    pub red_from: i32,
}

impl Bands {
    /// 1–4 green, 5–12 amber, 13–25 red.
    pub const DEFAULT: Bands = Bands {
        amber_from: 5,
        red_from: 13,
    };

    pub fn rating(self, score: i32) -> Rating {
        if score >= self.red_from {
            Rating::Red
        } else if score >= self.amber_from {
            Rating::Amber
        } else {
            Rating::Green
        }
    }

    /// The scores (inclusive) the rating covers.
    pub fn range(self, rating: Rating) -> (i32, i32) {
        match rating {
            Rating::Green => (1, self.amber_from - 1),
            Rating::Amber => (self.amber_from, self.red_from - 1),
            Rating::Red => (self.red_from, *SCORES.end()),
        }
    }

    /// The bands as published, green first.
    pub fn bands(self) -> Vec<Band> {
        Rating::ALL
            .iter()
            .map(|&rating| {
                let (from, to) = self.range(rating);
                Band { rating, from, to }
            })
            .collect()
    }

    /// Bands as sent: green, amber and red in this order, each at least one
    /// score, contiguous, covering 1 to 25. Each fault names its field.
    pub fn from_bands(bands: &[Band]) -> Result<Bands, Refusal> {
        let mut errors = Errors::new();
        if bands.len() != Rating::ALL.len() {
            errors.add(
                "bands",
                "must be three bands: green, amber and red, in this order",
            );
            return errors.finish().map(|_| Bands::DEFAULT);
        }
        let mut next = *SCORES.start();
        for (i, (band, rating)) in bands.iter().zip(Rating::ALL).enumerate() {
            if band.rating != *rating {
                errors.add(&format!("bands[{i}].rating"), format!("must be {rating}"));
            }
            if band.from != next {
                errors.add(
                    &format!("bands[{i}].from"),
                    format!("must be {next}: the bands are contiguous from 1"),
                );
            }
            if band.to < band.from || !SCORES.contains(&band.to) {
                errors.add(
                    &format!("bands[{i}].to"),
                    format!("must be between {} and 25", band.from.max(1)),
                );
            }
            next = band.to.saturating_add(1);
        }
        if bands.last().is_some_and(|b| b.to != *SCORES.end()) {
            errors.add("bands[2].to", "must be 25: the bands cover every score");
        }
        errors.finish()?;
        Ok(Bands {
            amber_from: bands[1].from,
            red_from: bands[2].from,
        })
    }
}

/// The agenda number an escalated risk takes: one more than the largest
/// whole number an item's number starts with ("4.2" counts as 4), or 1.
pub fn next_item_number<'a>(numbers: impl IntoIterator<Item = Option<&'a str>>) -> String {
    let largest = numbers
        .into_iter()
        .flatten()
        .filter_map(|n| {
            let digits: String = n
                .trim_start_matches(|c: char| !c.is_ascii_digit())
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse::<u32>().ok()
        })
        .max()
        .unwrap_or(0);
    largest.saturating_add(1).to_string()
}

/// The title of the item an escalation puts on an agenda.
pub fn escalated_title(number: i64, title: &str) -> String {
    let title: String = title.chars().take(250).collect();
    format!("Risk {number}: {title} (escalated)")
}

/// Body of `POST /v1/partnerships/{id}/risks`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({
    "title": "Ineffective use of multi-agency strategy discussions",
    "owner": "SB",
    "status": "draft",
    "likelihood": 4,
    "impact": 4,
    "assessed_on": "2019-08-22",
    "controls": "Strategy discussion audit; SAIG oversight.",
    "next_review_date": "2019-12-17"
})))]
pub struct CreateRisk {
    /// The number of a risk imported from an existing log (admins only);
    /// left out, the next number of the partnership is given.
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub number: Option<i64>,
    #[schema(schema_with = crate::validate::Text::<300>::line)]
    pub title: String,
    #[schema(schema_with = crate::validate::Text::<10000>::optional_paragraph)]
    pub description: Option<String>,
    /// "Strategic", "Operational", "Financial"...
    #[schema(schema_with = crate::validate::Text::<100>::optional_line)]
    pub category: Option<String>,
    /// The owner: a person's initials (`SB`) or id.
    #[schema(schema_with = owner_schema)]
    pub owner: Option<String>,
    /// The owning agency: a member organisation of the partnership.
    pub owner_organisation_id: Option<Id>,
    /// `draft` when left out.
    pub status: Option<RiskStatus>,
    #[serde(default, deserialize_with = "crate::validate::whole_number")]
    #[schema(required = true, value_type = i32, minimum = 1, maximum = 5)]
    pub likelihood: Option<i32>,
    #[serde(default, deserialize_with = "crate::validate::whole_number")]
    #[schema(required = true, value_type = i32, minimum = 1, maximum = 5)]
    pub impact: Option<i32>,
    /// The date of this first assessment; today when left out.
    pub assessed_on: Option<Day>,
    /// The first assessment's note.
    #[schema(schema_with = crate::validate::Text::<2000>::optional_paragraph)]
    pub note: Option<String>,
    /// Who assessed it: initials or a person's id.
    #[schema(schema_with = owner_schema)]
    pub assessor: Option<String>,
    #[schema(schema_with = crate::validate::Text::<10000>::optional_paragraph)]
    pub controls: Option<String>,
    #[schema(schema_with = crate::validate::Text::<10000>::optional_paragraph)]
    pub planned_mitigations: Option<String>,
    /// The actions of the log that mitigate it, in order.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub mitigation_action_ids: Vec<Id>,
    #[serde(default, deserialize_with = "crate::validate::whole_number")]
    #[schema(minimum = 1, maximum = 25)]
    pub target_score: Option<i32>,
    pub next_review_date: Option<Day>,
}

/// Body of `PATCH /v1/risks/{id}`: fields left out are kept; `null` clears
/// the nullable ones. Likelihood and impact change by an assessment.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRisk {
    #[schema(schema_with = crate::validate::Text::<300>::nullable_line)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(schema_with = crate::validate::Text::<10000>::optional_paragraph)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(schema_with = crate::validate::Text::<100>::optional_line)]
    pub category: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(schema_with = owner_schema)]
    pub owner: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(value_type = Option<Id>)]
    pub owner_organisation_id: Option<Option<Id>>,
    pub status: Option<RiskStatus>,
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(schema_with = crate::validate::Text::<10000>::optional_paragraph)]
    pub controls: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(schema_with = crate::validate::Text::<10000>::optional_paragraph)]
    pub planned_mitigations: Option<Option<String>>,
    #[schema(value_type = Option<Vec<Id>>, max_items = 50)]
    pub mitigation_action_ids: Option<Vec<Id>>,
    #[serde(default, deserialize_with = "crate::validate::patch_whole_number")]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 25)]
    pub target_score: Option<Option<i32>>,
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(value_type = Option<Day>)]
    pub next_review_date: Option<Option<Day>>,
}

/// Body of `POST /v1/risks/{id}/assessments`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"assessed_on": "2019-12-17", "likelihood": 3, "impact": 4, "note": "Strategy discussions audited: improvement in numbers."})))]
pub struct CreateAssessment {
    /// Today when left out. An earlier date is history: the risk's score
    /// stays that of its latest assessment.
    pub assessed_on: Option<Day>,
    #[serde(default, deserialize_with = "crate::validate::whole_number")]
    #[schema(required = true, value_type = i32, minimum = 1, maximum = 5)]
    pub likelihood: Option<i32>,
    #[serde(default, deserialize_with = "crate::validate::whole_number")]
    #[schema(required = true, value_type = i32, minimum = 1, maximum = 5)]
    pub impact: Option<i32>,
    #[schema(schema_with = crate::validate::Text::<2000>::optional_paragraph)]
    pub note: Option<String>,
    /// Who assessed it: initials or a person's id.
    #[schema(schema_with = owner_schema)]
    pub assessor: Option<String>,
}

/// Body of `POST /v1/risks/{id}/escalations`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEscalation {
    /// The group whose next scheduled meeting takes the risk on its agenda.
    pub group_id: Id,
}

/// Body of `PUT /v1/partnerships/{id}/risk-scoring`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"bands": [
    {"rating": "green", "from": 1, "to": 4},
    {"rating": "amber", "from": 5, "to": 12},
    {"rating": "red", "from": 13, "to": 25}
]})))]
pub struct PutScoring {
    #[schema(min_items = 3, max_items = 3)]
    pub bands: Vec<Band>,
}

/// A person as written: initials (`SB`) or an id.
pub const PERSON_PATTERN: &str = "^([A-Za-z][A-Za-z0-9]{0,7}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$";

/// A person as written, parsed: initials or an id ("ALL" is no person).
pub fn parse_person(raw: &str) -> Result<crate::actions::rules::OwnerRef, &'static str> {
    use crate::actions::rules::{parse_owner, OwnerRef};
    match parse_owner(raw) {
        Ok(OwnerRef::AllPartners) | Err(_) => Err("must be a person's initials (SB) or id"),
        Ok(person) => Ok(person),
    }
}

/// A person as written: initials or an id.
pub fn owner_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .pattern(Some(PERSON_PATTERN))
        .description(Some("A person's initials (`SB`) or id."))
        .build()
}

/// The validated text and numbers of a risk; the owner still as written.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskFields {
    pub title: String,
    pub description: Option<String>,
    pub category: Option<String>,
    pub owner: Option<String>,
    pub owner_organisation_id: Option<Id>,
    pub status: RiskStatus,
    pub controls: Option<String>,
    pub planned_mitigations: Option<String>,
    pub mitigation_action_ids: Vec<Id>,
    pub target_score: Option<i32>,
    pub next_review_date: Option<Day>,
}

/// A likelihood or impact: required, 1 to 5.
pub fn level(errors: &mut Errors, field: &str, value: Option<i32>) -> i32 {
    match value {
        Some(v) if LEVELS.contains(&v) => v,
        Some(v) => {
            errors.add(field, format!("{v} is not between 1 and 5"));
            0
        }
        None => {
            errors.add(field, "is required: a whole number from 1 to 5");
            0
        }
    }
}

pub fn validate(fields: RiskFields) -> Result<RiskFields, Refusal> {
    let mut errors = Errors::new();
    let fields = check(&mut errors, fields);
    errors.finish()?;
    Ok(fields)
}

fn check(errors: &mut Errors, fields: RiskFields) -> RiskFields {
    let title = errors.text("title", &fields.title, 300);
    let description =
        errors.optional_long_text("description", fields.description.as_deref(), 10_000);
    let category = errors.optional_text("category", fields.category.as_deref(), 100);
    let controls = errors.optional_long_text("controls", fields.controls.as_deref(), 10_000);
    let planned_mitigations = errors.optional_long_text(
        "planned_mitigations",
        fields.planned_mitigations.as_deref(),
        10_000,
    );
    if fields.target_score.is_some_and(|s| !SCORES.contains(&s)) {
        errors.add("target_score", "must be between 1 and 25");
    }
    if fields.mitigation_action_ids.len() > MAX_MITIGATIONS {
        errors.add(
            "mitigation_action_ids",
            format!("at most {MAX_MITIGATIONS} actions"),
        );
    }
    for (i, id) in fields.mitigation_action_ids.iter().enumerate() {
        if fields.mitigation_action_ids[..i].contains(id) {
            errors.add(&format!("mitigation_action_ids[{i}]"), "is named twice");
        }
    }
    RiskFields {
        title,
        description,
        category,
        controls,
        planned_mitigations,
        ..fields
    }
}

/// The fields of a new risk, with its first likelihood and impact.
pub fn from_create(form: &CreateRisk) -> Result<(RiskFields, i32, i32), Refusal> {
    let mut errors = Errors::new();
    if let Some(number) = form.number.filter(|n| !NUMBERS.contains(n)) {
        errors.add(
            "number",
            format!("{number} is not between 1 and 1000000000"),
        );
    }
    let likelihood = level(&mut errors, "likelihood", form.likelihood);
    let impact = level(&mut errors, "impact", form.impact);
    errors.optional_long_text("note", form.note.as_deref(), 2_000);
    let fields = check(
        &mut errors,
        RiskFields {
            title: form.title.clone(),
            description: form.description.clone(),
            category: form.category.clone(),
            owner: form.owner.clone(),
            owner_organisation_id: form.owner_organisation_id,
            status: form.status.unwrap_or(RiskStatus::Draft),
            controls: form.controls.clone(),
            planned_mitigations: form.planned_mitigations.clone(),
            mitigation_action_ids: form.mitigation_action_ids.clone(),
            target_score: form.target_score,
            next_review_date: form.next_review_date,
        },
    );
    errors.finish()?;
    Ok((fields, likelihood, impact))
}

/// `current` with the patch applied, validated.
pub fn apply(current: RiskFields, patch: UpdateRisk) -> Result<RiskFields, Refusal> {
    validate(RiskFields {
        title: patch.title.unwrap_or(current.title),
        description: patch.description.unwrap_or(current.description),
        category: patch.category.unwrap_or(current.category),
        owner: patch.owner.unwrap_or(current.owner),
        owner_organisation_id: patch
            .owner_organisation_id
            .unwrap_or(current.owner_organisation_id),
        status: patch.status.unwrap_or(current.status),
        controls: patch.controls.unwrap_or(current.controls),
        planned_mitigations: patch
            .planned_mitigations
            .unwrap_or(current.planned_mitigations),
        mitigation_action_ids: patch
            .mitigation_action_ids
            .unwrap_or(current.mitigation_action_ids),
        target_score: patch.target_score.unwrap_or(current.target_score),
        next_review_date: patch.next_review_date.unwrap_or(current.next_review_date),
    })
}

/// An assessment as sent: likelihood, impact and the note, checked.
pub fn assessment(form: &CreateAssessment) -> Result<(i32, i32, Option<String>), Refusal> {
    let mut errors = Errors::new();
    let likelihood = level(&mut errors, "likelihood", form.likelihood);
    let impact = level(&mut errors, "impact", form.impact);
    let note = errors.optional_long_text("note", form.note.as_deref(), 2_000);
    errors.finish()?;
    Ok((likelihood, impact, note))
}

/// Whether a risk's review is overdue on `today`: not closed, and its next
/// review date passed.
pub fn review_overdue(status: RiskStatus, next_review: Option<Day>, today: Day) -> bool {
    status != RiskStatus::Closed && next_review.is_some_and(|d| d < today)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn band(rating: Rating, from: i32, to: i32) -> Band {
        Band { rating, from, to }
    }

    #[test]
    fn the_default_bands_rate_as_the_issue_says() {
        let b = Bands::DEFAULT;
        assert_eq!(b.rating(1), Rating::Green);
        assert_eq!(b.rating(4), Rating::Green);
        assert_eq!(b.rating(5), Rating::Amber);
        assert_eq!(b.rating(12), Rating::Amber);
        // 15 is the lowest red product of likelihood and impact.
        assert_eq!(b.rating(13), Rating::Red);
        assert_eq!(b.rating(15), Rating::Red);
        assert_eq!(b.rating(25), Rating::Red);
        assert_eq!(Bands::from_bands(&b.bands()), Ok(b));
    }

    #[test]
    fn bands_must_be_contiguous_ordered_and_cover_one_to_twenty_five() {
        use Rating::*;
        let ok = [band(Green, 1, 6), band(Amber, 7, 9), band(Red, 10, 25)];
        assert_eq!(
            Bands::from_bands(&ok),
            Ok(Bands {
                amber_from: 7,
                red_from: 10
            })
        );
        let field = |bands: &[Band]| match Bands::from_bands(bands) {
            Err(Refusal::Invalid(errors)) => errors[0].field.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(&[band(Green, 1, 4), band(Amber, 6, 12), band(Red, 13, 25)]),
            "bands[1].from"
        );
        assert_eq!(
            field(&[band(Green, 1, 4), band(Amber, 4, 12), band(Red, 13, 25)]),
            "bands[1].from"
        );
        assert_eq!(
            field(&[band(Green, 1, 4), band(Amber, 5, 12), band(Red, 13, 20)]),
            "bands[2].to"
        );
        assert_eq!(
            field(&[band(Green, 2, 4), band(Amber, 5, 12), band(Red, 13, 25)]),
            "bands[0].from"
        );
        assert_eq!(
            field(&[band(Amber, 1, 4), band(Green, 5, 12), band(Red, 13, 25)]),
            "bands[0].rating"
        );
        assert_eq!(field(&[band(Green, 1, 12), band(Red, 13, 25)]), "bands");
        assert_eq!(
            field(&[band(Green, 1, 4), band(Amber, 5, 4), band(Red, 5, 25)]),
            "bands[1].to"
        );
    }

    #[test]
    fn the_trend_compares_the_latest_score_with_the_one_before() {
        assert_eq!(trend(12, Some(16)), Some(Trend::Improving));
        assert_eq!(trend(16, Some(12)), Some(Trend::Worsening));
        assert_eq!(trend(9, Some(9)), Some(Trend::Stable));
        assert_eq!(trend(9, None), None);
    }

    #[test]
    fn an_escalated_item_takes_the_next_whole_number() {
        assert_eq!(next_item_number([]), "1");
        assert_eq!(next_item_number([None, Some("Item 7"), Some("4.2")]), "8");
        assert_eq!(
            next_item_number([Some("2.1"), Some("3."), Some("10a")]),
            "11"
        );
        assert_eq!(next_item_number([Some("AOB")]), "1");
        assert_eq!(next_item_number([Some("99999999999999")]), "1");
    }

    #[test]
    fn levels_are_one_to_five() {
        let mut errors = Errors::new();
        assert_eq!(level(&mut errors, "likelihood", Some(5)), 5);
        level(&mut errors, "likelihood", Some(6));
        level(&mut errors, "impact", Some(0));
        level(&mut errors, "impact", None);
        match errors.finish() {
            Err(Refusal::Invalid(e)) => {
                let fields: Vec<&str> = e.iter().map(|f| f.field.as_str()).collect();
                assert_eq!(fields, ["likelihood", "impact", "impact"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_review_is_overdue_after_its_date_unless_closed() {
        let day = |s: &str| Day(s.parse().unwrap());
        let today = day("2019-12-01");
        assert!(review_overdue(
            RiskStatus::Agreed,
            Some(day("2019-11-30")),
            today
        ));
        assert!(!review_overdue(RiskStatus::Agreed, Some(today), today));
        assert!(!review_overdue(
            RiskStatus::Closed,
            Some(day("2019-11-30")),
            today
        ));
        assert!(!review_overdue(RiskStatus::Draft, None, today));
    }
}
