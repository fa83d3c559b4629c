//! The register as CSV (`Accept: text/csv`), in the columns of a business
//! unit's risk log, written by `http::csv_safe` so that no cell runs as a
//! formula: numbers bare, every other cell quoted text.

use super::view::RiskView;
use crate::db::Day;
use crate::http::csv_safe::{self, Cell};

pub const COLUMNS: [&str; 16] = [
    "Number",
    "Title",
    "Category",
    "Owner",
    "Status",
    "Likelihood",
    "Impact",
    "Score",
    "Rating",
    "Trend",
    "Previous score",
    "Target score",
    "Next review",
    "Review overdue",
    "Controls",
    "Mitigations",
];

pub fn render(list: &[RiskView]) -> String {
    let rows: Vec<[Cell; 16]> = list.iter().map(row).collect();
    csv_safe::document(&COLUMNS, rows.iter().map(|r| &r[..]))
}

fn optional_number(n: Option<i32>) -> Cell {
    n.map_or_else(|| Cell::text(""), Cell::number)
}

fn row(view: &RiskView) -> [Cell; 16] {
    let r = &view.risk;
    let owner = [
        view.owner_name.clone(),
        view.owner_organisation_name.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" / ");
    let mitigations = view
        .mitigations
        .iter()
        .map(|m| format!("Action {} ({})", m.number, m.status.label()))
        .chain(r.planned_mitigations.clone())
        .collect::<Vec<_>>()
        .join("; ");
    [
        Cell::number(r.number),
        Cell::text(r.title.clone()),
        Cell::text(r.category.clone().unwrap_or_default()),
        Cell::text(owner),
        Cell::text(r.status.as_str()),
        Cell::number(r.likelihood),
        Cell::number(r.impact),
        Cell::number(r.score),
        Cell::text(view.rating.as_str()),
        Cell::text(view.trend.map(|t| t.as_str()).unwrap_or_default()),
        optional_number(r.previous_score),
        optional_number(r.target_score),
        Cell::text(r.next_review_date.map(Day::text).unwrap_or_default()),
        Cell::text(if view.review_overdue { "Yes" } else { "No" }),
        Cell::text(r.controls.clone().unwrap_or_default()),
        Cell::text(mitigations),
    ]
}
