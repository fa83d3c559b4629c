//! One metric's values as a table: a row per quarter, a column per
//! organisation, with each row's exact total and mean, as JSON and CSV.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::{metric_values as values, organisations, partnership_members};
use crate::db::{DbConnection, Id};
use crate::error::ApiError;
use crate::http::csv_safe::{self, Cell};
use crate::metrics::quantity::Hundredths;
use crate::metrics::rules::Unit;

/// Query of the table: the quarters it covers.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TableQuery {
    /// The first quarter; the metric's first with a value when left out.
    #[param(schema_with = crate::metrics::period::period_schema)]
    pub from: Option<String>,
    /// The last quarter; the metric's last with a value when left out.
    #[param(schema_with = crate::metrics::period::period_schema)]
    pub to: Option<String>,
}

/// A column of the table.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Column {
    pub organisation_id: Id,
    pub name: String,
}

/// A quarter of the table.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Row {
    pub period: String,
    /// One cell per column, in the columns' order; null where no value was
    /// submitted.
    pub values: Vec<Option<Hundredths>>,
    /// The sum of the values given, exact; null when none was.
    pub total: Option<Hundredths>,
    /// Their mean, rounded to two decimal places (halves away from zero).
    pub mean: Option<Hundredths>,
    /// How many organisations gave a value.
    #[schema(minimum = 0)]
    pub reported: usize,
}

/// `GET /v1/partnerships/{id}/metrics/{metric_id}/table`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MetricTable {
    pub metric_id: Id,
    pub code: String,
    pub name: String,
    pub unit: Unit,
    /// The member organisations of the partnership, and any other that
    /// gave a value in the range, by name.
    pub columns: Vec<Column>,
    /// Every quarter from `from` to `to`, in order (none when `to` is before `from`).
    pub rows: Vec<Row>,
}

/// The quarters from `from` to `to` (both `2019-20-Q2` form), in order.
pub fn quarters(from: &str, to: &str) -> Vec<String> {
    let parse =
        |p: &str| -> Option<(u32, u32)> { Some((p[0..4].parse().ok()?, p[9..10].parse().ok()?)) };
    let (Some((mut year, mut quarter)), Some(last)) = (parse(from), parse(to)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    while (year, quarter) <= last {
        out.push(format!("{year}-{:02}-Q{quarter}", (year + 1) % 100));
        (year, quarter) = if quarter == 4 {
            (year + 1, 1)
        } else {
            (year, quarter + 1)
        };
    }
    out
}

/// The mean of `sum` over `count` values, in hundredths, rounded half away
/// from zero.
fn mean(sum: i128, count: usize) -> i128 {
    let count = count as i128;
    let (q, r) = (sum / count, sum % count);
    if 2 * r.abs() >= count {
        q + sum.signum()
    } else {
        q
    }
}

fn period(raw: &str, name: &str) -> Result<String, ApiError> {
    crate::metrics::period::parse_period(raw).map_err(|m| ApiError::query(name, m))
}

/// The table of `metric_id` of the partnership over the query's quarters.
pub fn table(
    conn: &mut DbConnection,
    partnership_id: Id,
    metric_id: Id,
    query: &TableQuery,
) -> Result<MetricTable, ApiError> {
    let metric = crate::metrics::model::find(conn, partnership_id, metric_id)?;
    let from = query
        .from
        .as_deref()
        .map(|p| period(p, "from"))
        .transpose()?;
    let to = query.to.as_deref().map(|p| period(p, "to")).transpose()?;
    let mut q = values::table
        .filter(values::metric_id.eq(metric.id))
        .select((
            values::period,
            values::organisation_id,
            values::value_hundredths,
        ))
        .into_boxed();
    if let Some(from) = &from {
        q = q.filter(values::period.ge(from.clone()));
    }
    if let Some(to) = &to {
        q = q.filter(values::period.le(to.clone()));
    }
    let rows: Vec<(String, Id, Hundredths)> = q.load(conn)?;
    let from = from.or_else(|| rows.iter().map(|r| r.0.clone()).min());
    let to = to.or_else(|| rows.iter().map(|r| r.0.clone()).max());
    let mut ids: Vec<Id> = partnership_members::table
        .filter(partnership_members::partnership_id.eq(partnership_id))
        .select(partnership_members::organisation_id)
        .load(conn)?;
    ids.extend(rows.iter().map(|r| r.1));
    ids.sort_unstable();
    ids.dedup();
    let mut columns: Vec<Column> = crate::db::by_ids(ids.iter().copied(), |chunk| {
        organisations::table
            .filter(organisations::id.eq_any(chunk))
            .select((organisations::id, organisations::name))
            .load::<(Id, String)>(conn)
    })?
    .into_iter()
    .map(|(organisation_id, name)| Column {
        organisation_id,
        name,
    })
    .collect();
    columns.sort_by(|a, b| {
        a.name
            .cmp(&b.name)
            .then(a.organisation_id.cmp(&b.organisation_id))
    });
    let column_of: HashMap<Id, usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| (c.organisation_id, i))
        .collect();
    let periods = match (&from, &to) {
        (Some(from), Some(to)) => quarters(from, to),
        _ => Vec::new(),
    };
    let mut cells: HashMap<&str, Vec<Option<Hundredths>>> = periods
        .iter()
        .map(|p| (p.as_str(), vec![None; columns.len()]))
        .collect();
    for (period, organisation, value) in &rows {
        if let (Some(row), Some(&i)) = (cells.get_mut(period.as_str()), column_of.get(organisation))
        {
            row[i] = Some(*value);
        }
    }
    let table_rows = periods
        .iter()
        .map(|p| {
            let values = cells.remove(p.as_str()).unwrap_or_default();
            let given: Vec<i128> = values.iter().flatten().map(|v| i128::from(v.0)).collect();
            let sum: i128 = given.iter().sum();
            let fit = |v: i128| i64::try_from(v).ok().map(Hundredths);
            Row {
                period: p.clone(),
                total: (!given.is_empty()).then(|| fit(sum)).flatten(),
                mean: (!given.is_empty())
                    .then(|| fit(mean(sum, given.len())))
                    .flatten(),
                reported: given.len(),
                values,
            }
        })
        .collect();
    Ok(MetricTable {
        metric_id: metric.id,
        code: metric.code,
        name: metric.name,
        unit: metric.unit,
        columns,
        rows: table_rows,
    })
}

/// The table as CSV: a row per quarter, a column per organisation, then
/// the total, the mean and how many reported; numbers bare, text quoted.
pub fn csv(table: &MetricTable) -> String {
    let mut header: Vec<&str> = vec!["Period"];
    header.extend(table.columns.iter().map(|c| c.name.as_str()));
    header.extend(["Total", "Mean", "Reported"]);
    let number = |v: &Option<Hundredths>| v.map_or_else(|| Cell::text(""), Cell::number);
    let rows: Vec<Vec<Cell>> = table
        .rows
        .iter()
        .map(|r| {
            let mut row = vec![Cell::text(r.period.clone())];
            row.extend(r.values.iter().map(number));
            row.extend([number(&r.total), number(&r.mean), Cell::number(r.reported)]);
            row
        })
        .collect();
    csv_safe::document(&header, rows.iter().map(|r| &r[..]))
}

/// Values as CSV: one row each, with its metric's code and its
/// organisation's name; numbers bare, text quoted.
pub fn values_csv(
    conn: &mut DbConnection,
    partnership_id: Id,
    list: &[super::model::MetricValue],
) -> Result<String, ApiError> {
    let codes: HashMap<Id, String> = crate::metrics::model::all(conn, partnership_id)?
        .into_iter()
        .map(|m| (m.id, m.code))
        .collect();
    let names: HashMap<Id, String> =
        crate::db::by_ids(list.iter().map(|v| v.organisation_id), |chunk| {
            organisations::table
                .filter(organisations::id.eq_any(chunk))
                .select((organisations::id, organisations::name))
                .load::<(Id, String)>(conn)
        })?
        .into_iter()
        .collect();
    let header = [
        "Period",
        "Metric",
        "Organisation",
        "Value",
        "Comment",
        "Submitted by",
        "Updated at",
    ];
    let rows: Vec<[Cell; 7]> = list
        .iter()
        .map(|v| {
            [
                Cell::text(v.period.clone()),
                Cell::text(codes.get(&v.metric_id).cloned().unwrap_or_default()),
                Cell::text(names.get(&v.organisation_id).cloned().unwrap_or_default()),
                Cell::number(v.value),
                Cell::text(v.comment.clone().unwrap_or_default()),
                Cell::text(v.submitted_by.clone()),
                Cell::text(v.updated_at.to_string()),
            ]
        })
        .collect();
    Ok(csv_safe::document(&header, rows.iter().map(|r| &r[..])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_run_in_order_across_years() {
        assert_eq!(
            quarters("2019-20-Q3", "2020-21-Q2"),
            ["2019-20-Q3", "2019-20-Q4", "2020-21-Q1", "2020-21-Q2"]
        );
        assert!(quarters("2020-21-Q1", "2019-20-Q4").is_empty());
        assert_eq!(quarters("2099-00-Q4", "2099-00-Q4"), ["2099-00-Q4"]);
    }

    #[test]
    fn means_round_half_away_from_zero() {
        assert_eq!(mean(1000, 3), 333);
        assert_eq!(mean(200, 3), 67);
        assert_eq!(mean(-200, 3), -67);
        assert_eq!(mean(25, 2), 13);
        assert_eq!(mean(30, 1), 30);
    }
}
