//! Data request rules: what a request asks, which requests may be open
//! together, and how a submitted value answers them.

use std::collections::{BTreeSet, HashMap};

use serde::Deserialize;
use utoipa::ToSchema;

use crate::db::{Day, Id};
use crate::validate::Errors;
#[cfg(test)]
use crate::validate::Refusal;

/// Most metrics, and most organisations, one request may ask.
pub const MAX_ASKED: usize = 500;

crate::text_enum! {
    /// An `open` request takes values; a `closed` one refuses them. Closing
    /// and reopening are admin acts.
    pub enum DataRequestStatus {
        Open => "open",
        Closed => "closed",
    }
}

/// Body of `POST /v1/partnerships/{id}/data-requests`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"period": "2019-20-Q2", "metrics": ["CP-PLANS", "TIMELY-ICPC"], "organisation_ids": ["01a2f000-0000-7000-8000-000000000003"], "due_date": "2019-11-29"})))]
pub struct CreateDataRequest {
    /// The quarter asked for: `2019-20-Q2`.
    #[schema(schema_with = crate::metrics::period::period_schema)]
    pub period: String,
    /// The metrics asked for, by code.
    #[schema(min_items = 1, max_items = 500)]
    pub metrics: Vec<String>,
    /// The agencies asked, members of the partnership.
    #[schema(min_items = 1, max_items = 500)]
    pub organisation_ids: Vec<Id>,
    /// The last day for values; later ones are taken while the request is
    /// open, flagged `late`.
    pub due_date: Day,
}

/// Body of `PATCH /v1/data-requests/{id}`: fields left out are kept. The
/// period is fixed (ask for another quarter with a new request).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"due_date": "2019-12-13", "status": "closed"})))]
pub struct UpdateDataRequest {
    #[schema(min_items = 1, max_items = 500)]
    pub metrics: Option<Vec<String>>,
    #[schema(min_items = 1, max_items = 500)]
    pub organisation_ids: Option<Vec<Id>>,
    pub due_date: Option<Day>,
    /// `closed` stops the request taking values; `open` reopens it.
    pub status: Option<DataRequestStatus>,
}

/// What a request asks, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Asked {
    pub metrics: Vec<String>,
    pub organisation_ids: Vec<Id>,
}

/// Checks the lists: not empty, not too long, no repeats, every code one
/// of `known` (the partnership's metric codes). Codes are kept as given.
pub fn check_asked(
    metrics: Vec<String>,
    organisation_ids: Vec<Id>,
    known: &BTreeSet<String>,
    errors: &mut Errors,
) -> Asked {
    let mut seen = BTreeSet::new();
    if metrics.is_empty() || metrics.len() > MAX_ASKED {
        errors.add("metrics", format!("must name 1 to {MAX_ASKED} metrics"));
    }
    for (i, code) in metrics.iter().enumerate() {
        if !known.contains(code) {
            errors.add(
                &format!("metrics[{i}]"),
                "no metric with this code in this partnership",
            );
        } else if !seen.insert(code) {
            errors.add(&format!("metrics[{i}]"), "is named twice");
        }
    }
    let mut seen = BTreeSet::new();
    if organisation_ids.is_empty() || organisation_ids.len() > MAX_ASKED {
        errors.add(
            "organisation_ids",
            format!("must name 1 to {MAX_ASKED} organisations"),
        );
    }
    for (i, id) in organisation_ids.iter().enumerate() {
        if !seen.insert(id) {
            errors.add(&format!("organisation_ids[{i}]"), "is named twice");
        }
    }
    Asked {
        metrics,
        organisation_ids,
    }
}

/// A metric and an agency that two open requests for one period would
/// both ask, if any: two may not.
pub fn overlap<'a>(a: &'a Asked, b: &Asked) -> Option<(&'a str, Id)> {
    let metric = a.metrics.iter().find(|m| b.metrics.contains(m))?;
    let organisation = a
        .organisation_ids
        .iter()
        .find(|o| b.organisation_ids.contains(o))?;
    Some((metric.as_str(), *organisation))
}

/// How a value for one agency and period answers the requests for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answers {
    /// The open request asking for it: linked to it, late after `due`.
    Open { request: Id, due: Day },
    /// Only a closed request asked for it: rejected.
    Closed { request: Id },
    /// No request asks for it: taken, linked to none.
    Unasked,
}

/// One request as the submission rules see it.
#[derive(Debug, Clone)]
pub struct RequestAsk {
    pub id: Id,
    pub status: DataRequestStatus,
    pub due: Day,
    pub metrics: Vec<String>,
    pub organisation_ids: Vec<Id>,
}

/// For each metric code, how a value of `organisation` answers `requests`
/// (the requests of its period): an open request wins over closed ones.
pub fn answers(requests: &[RequestAsk], organisation: Id) -> HashMap<String, Answers> {
    let mut by_code: HashMap<String, Answers> = HashMap::new();
    for request in requests
        .iter()
        .filter(|r| r.organisation_ids.contains(&organisation))
    {
        let answer = match request.status {
            DataRequestStatus::Open => Answers::Open {
                request: request.id,
                due: request.due,
            },
            DataRequestStatus::Closed => Answers::Closed {
                request: request.id,
            },
        };
        for code in &request.metrics {
            let entry = by_code.entry(code.clone()).or_insert(answer);
            if matches!(answer, Answers::Open { .. }) {
                *entry = answer;
            }
        }
    }
    by_code
}

/// Whether a value received on `today` (in the UK) is late for `due`.
pub fn is_late(due: Day, today: Day) -> bool {
    today > due
}

/// Why a submitted value is refused when only closed requests asked for it.
pub fn closed_reason(request: Id) -> String {
    format!("the data request {request} that asks for it is closed; an admin may reopen it")
}

/// Refuses a request whose due date falls before its quarter begins.
pub fn check_due(period: &str, due: Day, errors: &mut Errors) {
    if let Some(start) = crate::metrics::period::quarter_start(period) {
        if due.0 < start {
            errors.add(
                "due_date",
                format!("must not be before the quarter begins ({start})"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Day {
        Day(text.parse().unwrap())
    }

    fn asked(metrics: &[&str], organisations: &[Id]) -> Asked {
        Asked {
            metrics: metrics.iter().map(|m| m.to_string()).collect(),
            organisation_ids: organisations.to_vec(),
        }
    }

    #[test]
    fn two_requests_overlap_only_on_a_shared_metric_and_agency() {
        let (police, ccg) = (Id::new(), Id::new());
        let a = asked(&["CP-PLANS", "REFERRALS"], &[police, ccg]);
        assert_eq!(
            overlap(&a, &asked(&["REFERRALS"], &[ccg])),
            Some(("REFERRALS", ccg))
        );
        assert_eq!(overlap(&a, &asked(&["TIMELY"], &[police])), None);
        assert_eq!(overlap(&a, &asked(&["CP-PLANS"], &[Id::new()])), None);
    }

    #[test]
    fn the_lists_are_checked_all_at_once() {
        let known: BTreeSet<String> = ["CP-PLANS".to_owned()].into();
        let police = Id::new();
        let mut errors = Errors::new();
        check_asked(
            vec!["CP-PLANS".into(), "NOPE".into(), "CP-PLANS".into()],
            vec![police, police],
            &known,
            &mut errors,
        );
        let fields: Vec<String> = match errors.finish() {
            Err(Refusal::Invalid(e)) => e.into_iter().map(|e| e.field).collect(),
            other => panic!("{other:?}"),
        };
        assert_eq!(fields, ["metrics[1]", "metrics[2]", "organisation_ids[1]"]);
    }

    #[test]
    fn an_open_request_wins_over_a_closed_one() {
        let (police, ccg) = (Id::new(), Id::new());
        let ask = |status, metrics: &[&str]| RequestAsk {
            id: Id::new(),
            status,
            due: day("2019-11-29"),
            metrics: metrics.iter().map(|m| m.to_string()).collect(),
            organisation_ids: vec![police],
        };
        let closed = ask(DataRequestStatus::Closed, &["CP-PLANS", "REFERRALS"]);
        let open = ask(DataRequestStatus::Open, &["REFERRALS"]);
        let found = answers(&[closed.clone(), open.clone()], police);
        assert_eq!(found["CP-PLANS"], Answers::Closed { request: closed.id });
        assert_eq!(
            found["REFERRALS"],
            Answers::Open {
                request: open.id,
                due: day("2019-11-29")
            }
        );
        assert!(answers(&[closed, open], ccg).is_empty());
    }

    #[test]
    fn late_is_after_the_due_day_and_quarters_start_in_april() {
        assert!(!is_late(day("2019-11-29"), day("2019-11-29")));
        assert!(is_late(day("2019-11-29"), day("2019-11-30")));
        assert_eq!(
            crate::metrics::period::quarter_start("2019-20-Q1")
                .unwrap()
                .to_string(),
            "2019-04-01"
        );
        assert_eq!(
            crate::metrics::period::quarter_start("2019-20-Q4")
                .unwrap()
                .to_string(),
            "2020-01-01"
        );
        let mut errors = Errors::new();
        check_due("2019-20-Q2", day("2019-06-30"), &mut errors);
        assert!(errors.finish().is_err());
    }
}
