//! Submission rules: the reporting period, and the plan that sorts each
//! submitted value into imported, updated, unchanged or rejected.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::Id;
use crate::error::ApiError;
use crate::metrics::quantity::Hundredths;
use crate::metrics::Metric;

/// Most values one submission may carry.
pub const MAX_VALUES: usize = 10_000;

/// Body of `POST /v1/partnerships/{id}/submissions`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"period": "2019-20-Q2", "organisation_id": "01a2f000-0000-7000-8000-000000000003", "values": [{"metric": "CP-PLANS", "value": 132, "comment": "Quarter 2 2019/20"}]})))]
pub struct Submission {
    /// A UK financial-year quarter: `2019-20-Q2` (July to September 2019).
    #[schema(schema_with = period_schema)]
    pub period: String,
    /// The agency the values are for; a submitter may only name its own.
    pub organisation_id: Id,
    #[schema(min_items = 1, max_items = 10000)]
    pub values: Vec<SubmittedValue>,
    /// Answer the summary without storing anything (or `?dry_run=true`).
    pub dry_run: Option<bool>,
    /// Store nothing if any value is rejected (or `?atomic=true`).
    pub atomic: Option<bool>,
}

/// Query of `POST /v1/partnerships/{id}/submissions`: the body's two flags,
/// for clients that set them on the URL. Given both ways, they must agree.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubmitQuery {
    /// Answer the summary without storing anything (as the body's `dry_run`).
    pub dry_run: Option<bool>,
    /// Store nothing if any value is rejected (as the body's `atomic`).
    pub atomic: Option<bool>,
}

/// How a submission is to be taken.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    pub dry_run: bool,
    pub atomic: bool,
}

impl Flags {
    /// The flags from the query and the body: either may give each one;
    /// both giving it differently is a 400 naming it.
    pub fn of(query: &SubmitQuery, body: &Submission) -> Result<Flags, ApiError> {
        let one = |name: &str, query: Option<bool>, body: Option<bool>| match (query, body) {
            (Some(q), Some(b)) if q != b => Err(ApiError::query(
                name,
                format!(
                    "is {q} in the query and {b} in the body: give it once, or the same both ways"
                ),
            )),
            (q, b) => Ok(q.or(b).unwrap_or(false)),
        };
        Ok(Flags {
            dry_run: one("dry_run", query.dry_run, body.dry_run)?,
            atomic: one("atomic", query.atomic, body.atomic)?,
        })
    }
}

/// One value of a submission. A value that cannot be taken (an unknown
/// metric, a value that is not a number or outside the metric's range, a
/// comment over 2000 characters, a metric given twice) does not refuse the
/// submission: it is listed in `rejected` with the reason.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmittedValue {
    /// The metric's code.
    pub metric: String,
    /// A number; anything else is rejected with a reason.
    #[schema(value_type = Value)]
    pub value: serde_json::Value,
    pub comment: Option<String>,
}

/// A value that was not taken, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Rejected {
    /// Its position in `values`, from 0.
    pub index: usize,
    pub metric: String,
    pub reason: String,
}

/// The answer to a submission.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ImportSummary {
    /// Values new for this metric, agency and period.
    pub imported: usize,
    /// Values that replaced a different earlier value.
    pub updated: usize,
    /// Values equal to what was already held.
    pub unchanged: usize,
    pub rejected: Vec<Rejected>,
    /// Asked for a dry run: nothing was stored.
    pub dry_run: bool,
    /// Asked for an atomic submission: all values or none.
    pub atomic: bool,
    /// Whether the values counted as imported and updated were stored:
    /// false for a dry run, and for an atomic submission with a rejection.
    pub stored: bool,
}

/// First financial years a period may name.
const FIRST_YEAR: u32 = 2000;
const LAST_YEAR: u32 = 2100;

/// The published form of a period: every year pair spelled out, since a
/// pattern cannot say that the second year follows the first.
pub fn period_schema() -> utoipa::openapi::schema::Object {
    let years: Vec<String> = (FIRST_YEAR..=LAST_YEAR)
        .map(|y| format!("{y}-{:02}", (y + 1) % 100))
        .collect();
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some(format!("^({})-[Qq][1-4]$", years.join("|"))))
        .examples(["2019-20-Q2"])
        .build()
}

/// Parses `2019-20-Q2`: the second year follows the first.
pub fn parse_period(raw: &str) -> Result<String, &'static str> {
    const HINT: &str = "must be a financial-year quarter like 2019-20-Q2";
    let value = raw.to_ascii_uppercase();
    let bytes = value.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' || bytes[8] != b'Q' {
        return Err(HINT);
    }
    let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    if !(digits(0..4) && digits(5..7) && digits(9..10)) {
        return Err(HINT);
    }
    let start: u32 = value[0..4].parse().map_err(|_| HINT)?;
    let end: u32 = value[5..7].parse().map_err(|_| HINT)?;
    let quarter: u32 = value[9..10].parse().map_err(|_| HINT)?;
    if !(FIRST_YEAR..=LAST_YEAR).contains(&start)
        || end != (start + 1) % 100
        || !(1..=4).contains(&quarter)
    {
        return Err(HINT);
    }
    Ok(value)
}

/// What to do with one accepted value.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Insert,
    Update(Id),
    Unchanged,
}

/// One accepted value with its step.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub metric_id: Id,
    pub value: Hundredths,
    pub comment: Option<String>,
    pub step: Step,
}

/// Sorts the submitted values against the metrics and the values already
/// held for this agency and period (`existing`: metric id → (value id,
/// value, comment)).
pub fn plan(
    metrics: &[Metric],
    existing: &HashMap<Id, (Id, Hundredths, Option<String>)>,
    values: &[SubmittedValue],
) -> (Vec<Planned>, Vec<Rejected>) {
    let by_code: HashMap<&str, &Metric> = metrics.iter().map(|m| (m.code.as_str(), m)).collect();
    let mut seen = HashSet::new();
    let (mut planned, mut rejected) = (Vec::new(), Vec::new());
    for (index, v) in values.iter().enumerate() {
        let reject = |reason: String| Rejected {
            index,
            metric: v.metric.clone(),
            reason,
        };
        let Some(metric) = by_code.get(v.metric.trim()) else {
            rejected.push(reject("no such metric code in this partnership".into()));
            continue;
        };
        let number = match Hundredths::from_json(&v.value) {
            Ok(number) => number,
            Err(reason) => {
                rejected.push(reject(format!("the value {reason}")));
                continue;
            }
        };
        if let Err(reason) = metric.check(number) {
            rejected.push(reject(reason));
            continue;
        }
        let comment = v
            .comment
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned);
        if comment.as_ref().is_some_and(|c| c.chars().count() > 2_000) {
            rejected.push(reject("the comment is longer than 2000 characters".into()));
            continue;
        }
        let control = |c: char| c.is_control() && !matches!(c, '\n' | '\r' | '\t');
        if comment.as_ref().is_some_and(|c| c.chars().any(control)) {
            rejected.push(reject(
                "the comment has control characters other than line breaks and tabs".into(),
            ));
            continue;
        }
        if !seen.insert(metric.id) {
            rejected.push(reject("the metric appears twice in this submission".into()));
            continue;
        }
        let step = match existing.get(&metric.id) {
            None => Step::Insert,
            Some((_, held, held_comment)) if *held == number && *held_comment == comment => {
                Step::Unchanged
            }
            Some((id, _, _)) => Step::Update(*id),
        };
        planned.push(Planned {
            metric_id: metric.id,
            value: number,
            comment,
            step,
        });
    }
    (planned, rejected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::UtcTime;
    use crate::metrics::rules::Unit;
    use serde_json::json;

    #[test]
    fn periods_are_financial_year_quarters() {
        assert_eq!(parse_period("2019-20-q2").unwrap(), "2019-20-Q2");
        assert_eq!(parse_period("2099-00-Q4").unwrap(), "2099-00-Q4");
        for bad in [
            "2019-21-Q2",
            "2019-20-Q5",
            "2019/20 Q2",
            "Q2 2019",
            "",
            "2000-+1-Q1",
            "+999-00-Q1",
            " 2019-20-Q2",
        ] {
            assert!(parse_period(bad).is_err(), "{bad}");
        }
    }

    fn metric(code: &str, unit: Unit) -> Metric {
        let now = UtcTime::now();
        Metric {
            id: Id::new(),
            partnership_id: Id::new(),
            code: code.into(),
            name: code.into(),
            unit,
            min_value: None,
            max_value: None,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    fn value(metric: &str, value: serde_json::Value) -> SubmittedValue {
        SubmittedValue {
            metric: metric.into(),
            value,
            comment: None,
        }
    }

    #[test]
    fn each_value_is_imported_updated_unchanged_or_rejected() {
        let (plans, referrals, timely) = (
            metric("CP-PLANS", Unit::Count),
            metric("REFERRALS", Unit::Count),
            metric("TIMELY", Unit::Percent),
        );
        let existing = HashMap::from([
            (plans.id, (Id::new(), Hundredths(12_000), None)),
            (referrals.id, (Id::new(), Hundredths(4_000), None)),
        ]);
        let values = [
            value("CP-PLANS", json!(120)),
            value("REFERRALS", json!(45)),
            value("TIMELY", json!(87.5)),
            value("UNKNOWN", json!(1)),
            value("TIMELY", json!(90)),
            value("CP-PLANS", json!("many")),
            value("REFERRALS", json!(-3)),
        ];
        let (planned, rejected) = plan(&[plans, referrals, timely], &existing, &values);
        let steps: Vec<_> = planned.iter().map(|p| p.step.clone()).collect();
        assert!(matches!(
            steps[..],
            [Step::Unchanged, Step::Update(_), Step::Insert]
        ));
        let indexes: Vec<usize> = rejected.iter().map(|r| r.index).collect();
        assert_eq!(indexes, [3, 4, 5, 6]);
    }
}
