//! `GET /v1/data-requests/{id}/completeness`: per agency asked, the values
//! due, received, late and missing (which metrics), and the totals: the
//! answer to "why is data not being provided", as JSON and CSV.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::DataRequest;
use super::rules::DataRequestStatus;
use crate::db::schema::{metric_values as values, metrics, organisations};
use crate::db::{Day, DbConnection, Id};
use crate::error::ApiError;
use crate::http::csv_safe::{self, Cell};

/// One agency's answer to the request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AgencyCompleteness {
    pub organisation_id: Id,
    pub name: String,
    /// Values asked of it: one per metric.
    #[schema(minimum = 0)]
    pub due: usize,
    /// Values held for the metrics asked, on time or late.
    #[schema(minimum = 0)]
    pub received: usize,
    /// Of those received, how many came after the due date.
    #[schema(minimum = 0)]
    pub late: usize,
    /// The codes of the metrics it has not given, in the request's order.
    pub missing: Vec<String>,
    /// Whether it has given every value asked.
    pub complete: bool,
}

/// The figures summed over the agencies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CompletenessTotals {
    #[schema(minimum = 0)]
    pub organisations: usize,
    /// Agencies that have given every value asked.
    #[schema(minimum = 0)]
    pub complete_organisations: usize,
    #[schema(minimum = 0)]
    pub due: usize,
    #[schema(minimum = 0)]
    pub received: usize,
    #[schema(minimum = 0)]
    pub late: usize,
    /// Values still missing.
    #[schema(minimum = 0)]
    pub missing: usize,
}

/// The completeness of one request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Completeness {
    pub data_request_id: Id,
    pub period: String,
    pub due_date: Day,
    pub status: DataRequestStatus,
    /// The agencies asked, in the request's order (a submitter sees its own).
    pub organisations: Vec<AgencyCompleteness>,
    pub totals: CompletenessTotals,
}

/// A value held for the request's period: its agency, its metric's code,
/// and whether it came late for this request.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    pub organisation_id: Id,
    pub metric: String,
    pub late: bool,
}

/// The report over `asked` (the agencies shown, each with its name) from
/// the values `held`.
pub fn report(request: &DataRequest, asked: &[(Id, String)], held: &[Held]) -> Completeness {
    let mut by_agency: HashMap<Id, HashMap<&str, bool>> = HashMap::new();
    for h in held {
        by_agency
            .entry(h.organisation_id)
            .or_default()
            .insert(h.metric.as_str(), h.late);
    }
    let mut totals = CompletenessTotals::default();
    let organisations: Vec<AgencyCompleteness> = asked
        .iter()
        .map(|(id, name)| {
            let given = by_agency.get(id);
            let value = |code: &String| given.and_then(|g| g.get(code.as_str()).copied());
            let missing: Vec<String> = request
                .metrics
                .0
                .iter()
                .filter(|code| value(code).is_none())
                .cloned()
                .collect();
            let late = request
                .metrics
                .0
                .iter()
                .filter(|code| value(code) == Some(true))
                .count();
            let due = request.metrics.0.len();
            let row = AgencyCompleteness {
                organisation_id: *id,
                name: name.clone(),
                due,
                received: due - missing.len(),
                late,
                complete: missing.is_empty(),
                missing,
            };
            totals.organisations += 1;
            totals.complete_organisations += usize::from(row.complete);
            totals.due += row.due;
            totals.received += row.received;
            totals.late += row.late;
            totals.missing += row.missing.len();
            row
        })
        .collect();
    Completeness {
        data_request_id: request.id,
        period: request.period.clone(),
        due_date: request.due_date,
        status: request.status,
        organisations,
        totals,
    }
}

/// Reads the report in three queries: the agencies' names, the metrics'
/// codes, and the values held for the period. `only`: the one agency a
/// submitter may see.
pub fn read(
    conn: &mut DbConnection,
    request: &DataRequest,
    only: Option<Id>,
) -> Result<Completeness, ApiError> {
    let shown: Vec<Id> = request
        .organisation_ids
        .0
        .iter()
        .copied()
        .filter(|o| only.is_none_or(|only| only == *o))
        .collect();
    let names: HashMap<Id, String> = organisations::table
        .filter(organisations::id.eq_any(&shown))
        .select((organisations::id, organisations::name))
        .load::<(Id, String)>(conn)?
        .into_iter()
        .collect();
    let asked: Vec<(Id, String)> = shown
        .iter()
        .map(|id| (*id, names.get(id).cloned().unwrap_or_default()))
        .collect();
    let codes: HashMap<Id, String> = metrics::table
        .filter(metrics::partnership_id.eq(request.partnership_id))
        .filter(metrics::code.eq_any(&request.metrics.0))
        .select((metrics::id, metrics::code))
        .load::<(Id, String)>(conn)?
        .into_iter()
        .collect();
    let metric_ids: Vec<Id> = codes.keys().copied().collect();
    let rows: Vec<(Id, Id, Option<Id>, bool)> = values::table
        .filter(values::partnership_id.eq(request.partnership_id))
        .filter(values::period.eq(&request.period))
        .filter(values::organisation_id.eq_any(&shown))
        .filter(values::metric_id.eq_any(&metric_ids))
        .select((
            values::organisation_id,
            values::metric_id,
            values::data_request_id,
            values::late,
        ))
        .load(conn)?;
    let held: Vec<Held> = rows
        .into_iter()
        .filter_map(|(organisation_id, metric_id, answered, late)| {
            Some(Held {
                organisation_id,
                metric: codes.get(&metric_id)?.clone(),
                late: late && answered == Some(request.id),
            })
        })
        .collect();
    Ok(report(request, &asked, &held))
}

/// The report as CSV: a row per agency, then the totals.
pub fn csv(report: &Completeness) -> String {
    let mut rows: Vec<Vec<Cell>> = report
        .organisations
        .iter()
        .map(|o| {
            vec![
                Cell::text(o.name.clone()),
                Cell::text(o.organisation_id.to_string()),
                Cell::number(o.due),
                Cell::number(o.received),
                Cell::number(o.late),
                Cell::number(o.missing.len()),
                Cell::text(o.missing.join(" ")),
            ]
        })
        .collect();
    let t = &report.totals;
    rows.push(vec![
        Cell::text("Total"),
        Cell::text(""),
        Cell::number(t.due),
        Cell::number(t.received),
        Cell::number(t.late),
        Cell::number(t.missing),
        Cell::text(format!(
            "{} of {} organisations complete",
            t.complete_organisations, t.organisations
        )),
    ]);
    csv_safe::document(
        &[
            "organisation",
            "organisation_id",
            "due",
            "received",
            "late",
            "missing",
            "missing_metrics",
        ],
        rows.iter().map(Vec::as_slice),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{CodeList, IdList, UtcTime};

    #[test]
    fn each_agency_is_due_received_late_or_missing() {
        let (police, ccg, trust) = (Id::new(), Id::new(), Id::new());
        let now = UtcTime("2019-12-01T00:00:00Z".parse().unwrap());
        let request = DataRequest {
            id: Id::new(),
            partnership_id: Id::new(),
            period: "2019-20-Q2".into(),
            metrics: CodeList(vec!["CP-PLANS".into(), "TIMELY".into()]),
            organisation_ids: IdList(vec![police, ccg, trust]),
            due_date: Day("2019-11-29".parse().unwrap()),
            status: DataRequestStatus::Open,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let held = |organisation_id, metric: &str, late| Held {
            organisation_id,
            metric: metric.into(),
            late,
        };
        let asked = [
            (police, "Police".to_owned()),
            (ccg, "CCG".to_owned()),
            (trust, "Trust".to_owned()),
        ];
        let found = report(
            &request,
            &asked,
            &[
                held(police, "CP-PLANS", false),
                held(police, "TIMELY", false),
                held(ccg, "TIMELY", true),
            ],
        );
        let rows: Vec<_> = found
            .organisations
            .iter()
            .map(|o| (o.received, o.late, o.missing.clone(), o.complete))
            .collect();
        assert_eq!(
            rows,
            [
                (2, 0, vec![], true),
                (1, 1, vec!["CP-PLANS".to_owned()], false),
                (
                    0,
                    0,
                    vec!["CP-PLANS".to_owned(), "TIMELY".to_owned()],
                    false
                ),
            ]
        );
        assert_eq!(
            found.totals,
            CompletenessTotals {
                organisations: 3,
                complete_organisations: 1,
                due: 6,
                received: 3,
                late: 1,
                missing: 3
            }
        );
        let csv = csv(&found);
        assert!(csv.contains("\"Trust\""), "{csv}");
        assert!(
            csv.ends_with("\"1 of 3 organisations complete\"\r\n"),
            "{csv}"
        );
    }
}
