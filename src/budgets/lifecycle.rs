//! A budget's changes (admins): publishing, its target and opening
//! reserve, and closing, which fixes its closing reserve from the year's
//! figures once the year before is closed. A closed year is never reopened.

use super::model::{of_year, Budget};
use super::rules::{self, BudgetStatus, UpdateBudget};
use crate::auth::Principal;
use crate::db::store::{self, Expected};
use crate::db::Tx;
use crate::error::ApiError;
use crate::validate::Errors;

/// Changes a budget (admins), in the write scope of its partnership.
/// Closing fixes its closing reserve, once the previous year is closed; a
/// closed year changes only whether it is published.
pub fn update(
    tx: &mut Tx<'_>,
    actor: &Principal,
    before: Budget,
    expected: Expected,
    patch: UpdateBudget,
) -> Result<Budget, ApiError> {
    store::check(expected, before.version)?;
    let to = patch.status.unwrap_or(before.status);
    rules::status_change(before.status, to)?;
    if patch.changes_figures() {
        before.ensure_open("its target, opening reserve and notes are fixed")?;
    }
    let mut errors = Errors::new();
    let notes = match &patch.notes {
        Some(notes) => errors.optional_long_text("notes", notes.as_deref(), 2000),
        None => before.notes.clone(),
    };
    if let Some(Some(target)) = patch.reserve_target_pence {
        rules::in_range(&mut errors, "reserve_target_pence", target, 0);
    }
    errors.finish()?;
    let mut after = Budget {
        published: patch.published.unwrap_or(before.published),
        reserve_target_pence: patch
            .reserve_target_pence
            .unwrap_or(before.reserve_target_pence),
        opening_reserve_pence: patch
            .opening_reserve_pence
            .unwrap_or(before.opening_reserve_pence),
        notes,
        ..before.clone()
    };
    if before.status == BudgetStatus::Open && to == BudgetStatus::Closed {
        if let Some(previous) = before.financial_year.previous() {
            let earlier = of_year(tx, before.partnership_id, previous)?;
            if earlier.is_some_and(|b| b.status == BudgetStatus::Open) {
                return Err(ApiError::conflict(format!(
                    "close {previous} first: years close in order, each carrying its closing reserve"
                )));
            }
        }
        let figures = super::summary::figures(tx, &after)?;
        after.status = BudgetStatus::Closed;
        after.closing_reserve_pence = Some(figures.reserve.closing_pence);
    }
    if after == before {
        return Ok(before);
    }
    super::model::ensure_carry_published(tx, &after)?;
    store::update(tx, actor, &before, after, expected)
}
