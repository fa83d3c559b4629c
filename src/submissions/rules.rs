//! Submission rules: the reporting period, and the plan that sorts each
//! submitted value into imported, updated, unchanged or rejected.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::data_requests::rules::{closed_reason, is_late, Answers};
use crate::db::{Day, Id};
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
    #[schema(schema_with = crate::metrics::period::period_schema)]
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

/// Query of `POST /v1/partnerships/{id}/submissions`: the body's period,
/// agency and flags, for clients that set them on the URL (a `text/csv`
/// body must: it holds only the values). Given both ways, they must agree.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubmitQuery {
    /// The quarter (as the body's `period`); required with a `text/csv` body.
    #[param(schema_with = crate::metrics::period::period_schema)]
    pub period: Option<String>,
    /// The agency (as the body's `organisation_id`); required with a `text/csv` body.
    pub organisation_id: Option<Id>,
    /// Answer the summary without storing anything (as the body's `dry_run`).
    pub dry_run: Option<bool>,
    /// Store nothing if any value is rejected (as the body's `atomic`).
    pub atomic: Option<bool>,
}

/// A submission from either body: its quarter, its agency, its values.
#[derive(Debug, Clone)]
pub struct Batch {
    pub period: String,
    pub organisation_id: Id,
    pub entries: Vec<Entry>,
}

/// One value as read from either body, before it is judged.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Its position among the values, from 0.
    pub index: usize,
    /// Its row of a CSV body (the header is row 1).
    pub row: Option<usize>,
    pub metric: String,
    /// The number, or why it is not one.
    pub value: Result<Hundredths, String>,
    pub comment: Option<String>,
    /// Why the row could not be read at all (a CSV row's shape).
    pub unreadable: Option<String>,
}

impl Entry {
    pub fn of_json(index: usize, v: &SubmittedValue) -> Entry {
        Entry {
            index,
            row: None,
            metric: v.metric.clone(),
            value: Hundredths::from_json(&v.value).map_err(|reason| format!("the value {reason}")),
            comment: v.comment.clone(),
            unreadable: None,
        }
    }
}

/// The query's value of a field the body may give too: either may; both
/// giving it differently is a 400 naming it.
pub fn agree<T: PartialEq + std::fmt::Display + Clone>(
    name: &str,
    query: Option<T>,
    body: Option<T>,
) -> Result<Option<T>, ApiError> {
    match (query, body) {
        (Some(q), Some(b)) if q != b => Err(ApiError::query(
            name,
            format!("is {q} in the query and {b} in the body: give it once, or the same both ways"),
        )),
        (q, b) => Ok(q.or(b)),
    }
}

/// How a submission is to be taken.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    pub dry_run: bool,
    pub atomic: bool,
}

impl Flags {
    /// The flags from the query and the body (`None` for a CSV body).
    pub fn of(query: &SubmitQuery, body: Option<&Submission>) -> Result<Flags, ApiError> {
        Ok(Flags {
            dry_run: agree("dry_run", query.dry_run, body.and_then(|b| b.dry_run))?
                .unwrap_or(false),
            atomic: agree("atomic", query.atomic, body.and_then(|b| b.atomic))?.unwrap_or(false),
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
    /// Its position among the values, from 0.
    pub index: usize,
    /// Its row of a CSV body, counting the header as row 1 (as a
    /// spreadsheet numbers them); null for a JSON body.
    pub row: Option<usize>,
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

/// What to do with one accepted value.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Insert,
    /// The held value with this id gets the new number or comment.
    Update(Id),
    /// The held value with this id already says this.
    Unchanged(Id),
}

/// A value already held for the agency and period.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldValue {
    pub id: Id,
    pub value: Hundredths,
    pub comment: Option<String>,
    /// The day (UK) it was first given: a request it answers is answered
    /// since then, so a correction after the due date is not late.
    pub first_given: Day,
}

/// One accepted value with its step.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub metric_id: Id,
    pub value: Hundredths,
    pub comment: Option<String>,
    pub step: Step,
    /// The open data request it answers, if one asks for it.
    pub data_request_id: Option<Id>,
    /// Whether it comes after that request's due date.
    pub late: bool,
}

/// What a plan judges values against: the metrics, the values already held
/// for this agency and period (by metric id), how
/// each metric code answers the period's data requests, and today (UK).
pub struct Context<'a> {
    pub metrics: &'a [Metric],
    pub existing: &'a HashMap<Id, HeldValue>,
    pub answers: &'a HashMap<String, Answers>,
    pub today: Day,
}

/// Sorts the entries into steps and rejections.
pub fn plan(context: &Context<'_>, entries: &[Entry]) -> (Vec<Planned>, Vec<Rejected>) {
    let by_code: HashMap<&str, &Metric> = context
        .metrics
        .iter()
        .map(|m| (m.code.as_str(), m))
        .collect();
    let mut seen = HashSet::new();
    let (mut planned, mut rejected) = (Vec::new(), Vec::new());
    for entry in entries {
        let reject = |reason: String| Rejected {
            index: entry.index,
            row: entry.row,
            metric: entry.metric.clone(),
            reason,
        };
        match judge(context, &by_code, &mut seen, entry) {
            Ok(p) => planned.push(p),
            Err(reason) => rejected.push(reject(reason)),
        }
    }
    (planned, rejected)
}

/// One entry's step, or why it is rejected.
fn judge(
    context: &Context<'_>,
    by_code: &HashMap<&str, &Metric>,
    seen: &mut HashSet<Id>,
    entry: &Entry,
) -> Result<Planned, String> {
    if let Some(reason) = &entry.unreadable {
        return Err(reason.clone());
    }
    let code = entry.metric.trim();
    let metric = by_code
        .get(code)
        .ok_or("no such metric code in this partnership")?;
    let number = entry.value.clone()?;
    metric.check(number)?;
    let comment = entry
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    if comment.as_ref().is_some_and(|c| c.chars().count() > 2_000) {
        return Err("the comment is longer than 2000 characters".into());
    }
    let control = |c: char| c.is_control() && !matches!(c, '\n' | '\r' | '\t');
    if comment.as_ref().is_some_and(|c| c.chars().any(control)) {
        return Err("the comment has control characters other than line breaks and tabs".into());
    }
    let held = context.existing.get(&metric.id);
    let first_given = held.map_or(context.today, |h| h.first_given);
    let (data_request_id, late) = match context.answers.get(code) {
        Some(Answers::Closed { request }) => return Err(closed_reason(*request)),
        Some(Answers::Open { request, due }) => (Some(*request), is_late(*due, first_given)),
        None | Some(Answers::Unasked) => (None, false),
    };
    if !seen.insert(metric.id) {
        return Err("the metric appears twice in this submission".into());
    }
    let step = match held {
        None => Step::Insert,
        Some(h) if h.value == number && h.comment == comment => Step::Unchanged(h.id),
        Some(h) => Step::Update(h.id),
    };
    Ok(Planned {
        metric_id: metric.id,
        value: number,
        comment,
        step,
        data_request_id,
        late,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::UtcTime;
    use crate::metrics::rules::Unit;
    use serde_json::json;

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

    fn values(given: &[(&str, serde_json::Value)]) -> Vec<Entry> {
        given
            .iter()
            .enumerate()
            .map(|(index, (metric, value))| {
                Entry::of_json(
                    index,
                    &SubmittedValue {
                        metric: (*metric).into(),
                        value: value.clone(),
                        comment: None,
                    },
                )
            })
            .collect()
    }

    fn today() -> Day {
        Day("2019-12-02".parse().unwrap())
    }

    #[test]
    fn each_value_is_imported_updated_unchanged_or_rejected() {
        let (plans, referrals, timely) = (
            metric("CP-PLANS", Unit::Count),
            metric("REFERRALS", Unit::Count),
            metric("TIMELY", Unit::Percent),
        );
        let held = |value| HeldValue {
            id: Id::new(),
            value: Hundredths(value),
            comment: None,
            first_given: today(),
        };
        let existing = HashMap::from([(plans.id, held(12_000)), (referrals.id, held(4_000))]);
        let values = values(&[
            ("CP-PLANS", json!(120)),
            ("REFERRALS", json!(45)),
            ("TIMELY", json!(87.5)),
            ("UNKNOWN", json!(1)),
            ("TIMELY", json!(90)),
            ("CP-PLANS", json!("many")),
            ("REFERRALS", json!(-3)),
        ]);
        let context = Context {
            metrics: &[plans, referrals, timely],
            existing: &existing,
            answers: &HashMap::new(),
            today: today(),
        };
        let (planned, rejected) = plan(&context, &values);
        let steps: Vec<_> = planned.iter().map(|p| p.step.clone()).collect();
        assert!(matches!(
            steps[..],
            [Step::Unchanged(_), Step::Update(_), Step::Insert]
        ));
        let indexes: Vec<usize> = rejected.iter().map(|r| r.index).collect();
        assert_eq!(indexes, [3, 4, 5, 6]);
    }

    #[test]
    fn a_value_answers_the_open_request_and_is_refused_by_a_closed_one() {
        let (plans, timely) = (
            metric("CP-PLANS", Unit::Count),
            metric("TIMELY", Unit::Percent),
        );
        let (open, closed) = (Id::new(), Id::new());
        let answers = HashMap::from([
            (
                "CP-PLANS".to_owned(),
                Answers::Open {
                    request: open,
                    due: Day("2019-11-29".parse().unwrap()),
                },
            ),
            ("TIMELY".to_owned(), Answers::Closed { request: closed }),
        ]);
        let context = Context {
            metrics: &[plans, timely],
            existing: &HashMap::new(),
            answers: &answers,
            today: today(),
        };
        let (planned, rejected) = plan(
            &context,
            &values(&[("CP-PLANS", json!(1)), ("TIMELY", json!(12.5))]),
        );
        assert_eq!(planned[0].data_request_id, Some(open));
        assert!(planned[0].late, "2 December is after 29 November");
        assert_eq!(rejected[0].index, 1);
        assert!(rejected[0].reason.contains("closed"), "{:?}", rejected[0]);
    }

    #[test]
    fn a_value_given_before_the_due_date_and_corrected_after_it_is_not_late() {
        let plans = metric("CP-PLANS", Unit::Count);
        let open = Id::new();
        let answers = HashMap::from([(
            "CP-PLANS".to_owned(),
            Answers::Open {
                request: open,
                due: Day("2019-11-29".parse().unwrap()),
            },
        )]);
        let existing = HashMap::from([(
            plans.id,
            HeldValue {
                id: Id::new(),
                value: Hundredths(100),
                comment: None,
                first_given: Day("2019-11-28".parse().unwrap()),
            },
        )]);
        let context = Context {
            metrics: &[plans],
            existing: &existing,
            answers: &answers,
            today: today(),
        };
        let (planned, _) = plan(&context, &values(&[("CP-PLANS", json!(2))]));
        assert_eq!(planned[0].data_request_id, Some(open));
        assert!(!planned[0].late, "first given on 28 November");
        assert!(matches!(planned[0].step, Step::Update(_)));
    }
}
