//! A year's lines (with their figures) and transactions as CSV
//! (`Accept: text/csv`), written by `http::csv_safe` so that no cell runs
//! as a formula: amounts as numbers in pounds with two decimals, every
//! other cell quoted text.

use super::figures::LineFigures;
use super::money::pounds;
use super::transactions::TransactionView;
use crate::http::csv_safe::{self, Cell};

pub const LINE_COLUMNS: [&str; 8] = [
    "Line",
    "Kind",
    "Planned (£)",
    "Committed (£)",
    "Paid (£)",
    "Actual (£)",
    "Variance (£)",
    "From reserve (£)",
];

pub fn lines(list: &[LineFigures]) -> String {
    let rows: Vec<[Cell; 8]> = list
        .iter()
        .map(|l| {
            [
                Cell::text(l.name.clone()),
                Cell::text(l.kind.as_str()),
                Cell::number(pounds(l.planned_pence)),
                Cell::number(pounds(l.committed_pence)),
                Cell::number(pounds(l.paid_pence)),
                Cell::number(pounds(l.actual_pence)),
                Cell::number(pounds(l.variance_pence)),
                Cell::number(pounds(l.from_reserve_pence)),
            ]
        })
        .collect();
    csv_safe::document(&LINE_COLUMNS, rows.iter().map(|r| &r[..]))
}

pub const TRANSACTION_COLUMNS: [&str; 9] = [
    "Date",
    "Line",
    "Kind",
    "Description",
    "Amount (£)",
    "From reserve",
    "Reference",
    "Reverses",
    "Reversed by",
];

pub fn transactions(list: &[TransactionView]) -> String {
    let rows: Vec<[Cell; 9]> = list
        .iter()
        .map(|v| {
            let t = &v.transaction;
            [
                Cell::text(t.date.text()),
                Cell::text(v.line_name.clone()),
                Cell::text(t.kind.as_str()),
                Cell::text(t.description.clone()),
                Cell::number(pounds(t.amount_pence)),
                Cell::text(if t.from_reserve { "Yes" } else { "No" }),
                Cell::text(t.reference.clone().unwrap_or_default()),
                Cell::text(t.reverses_id.map(|id| id.to_string()).unwrap_or_default()),
                Cell::text(
                    v.reversed_by_id
                        .map(|id| id.to_string())
                        .unwrap_or_default(),
                ),
            ]
        })
        .collect();
    csv_safe::document(&TRANSACTION_COLUMNS, rows.iter().map(|r| &r[..]))
}
