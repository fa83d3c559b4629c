//! A year's summary and the multi-year view: the figures of each year
//! (`figures::year`), its opening reserve carried from the year before
//! (whose closing reserve is fixed once closed, or runs while open). The
//! rows of every year a summary needs are read in one query per table.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::figures::{
    self, ContributionTotals, LineFigures, OpeningBasis, Reserve, Totals, YearFigures,
};
use super::model::{self, Budget};
use super::money::FinancialYear;
use super::rules::{self, BudgetStatus};
use super::{contributions, lines, transactions};
use crate::auth::Role;
use crate::db::{DbConnection, Id};
use crate::error::ApiError;

/// `GET /v1/budgets/{id}/summary`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BudgetSummary {
    pub budget_id: Id,
    pub partnership_id: Id,
    pub financial_year: FinancialYear,
    pub status: BudgetStatus,
    pub published: bool,
    pub contributions: ContributionTotals,
    /// Every line, in the order they were added.
    pub lines: Vec<LineFigures>,
    /// The income lines (contributions apart).
    pub income: Totals,
    pub expenditure: Totals,
    /// Contributions pledged and income lines planned.
    pub total_income_planned_pence: i64,
    /// Contributions received and income lines' actual.
    pub total_income_actual_pence: i64,
    pub reserve: Reserve,
}

impl BudgetSummary {
    fn of(budget: &Budget, f: YearFigures) -> BudgetSummary {
        BudgetSummary {
            budget_id: budget.id,
            partnership_id: budget.partnership_id,
            financial_year: budget.financial_year,
            status: budget.status,
            published: budget.published,
            contributions: f.contributions,
            lines: f.lines,
            income: f.income,
            expenditure: f.expenditure,
            total_income_planned_pence: f.total_income_planned_pence,
            total_income_actual_pence: f.total_income_actual_pence,
            reserve: f.reserve,
        }
    }
}

/// The figures of `years` (budgets of one partnership, any order), each
/// with its opening reserve carried through `chain` (every budget of the
/// partnership up to the last of `years`, in year order).
fn compute(
    conn: &mut DbConnection,
    chain: &[Budget],
) -> Result<HashMap<Id, YearFigures>, ApiError> {
    // Only open years are computed for what they carry: a closed year
    // carries its fixed closing reserve.
    let ids: Vec<Id> = chain.iter().map(|b| b.id).collect();
    let mut line_rows: HashMap<Id, Vec<figures::LineInput>> = HashMap::new();
    for line in lines::all_of(conn, &ids)? {
        line_rows
            .entry(line.budget_id)
            .or_default()
            .push(figures::LineInput {
                id: line.id,
                name: line.name,
                kind: line.kind,
                planned_pence: line.planned_pence,
            });
    }
    let mut entries: HashMap<Id, Vec<figures::Entry>> = HashMap::new();
    for (budget, entry) in transactions::entries_of(conn, &ids)? {
        entries.entry(budget).or_default().push(entry);
    }
    let mut given: HashMap<Id, Vec<(i64, rules::ContributionStatus)>> = HashMap::new();
    for c in contributions::all_of(conn, &ids)? {
        given
            .entry(c.budget_id)
            .or_default()
            .push((c.amount_pence, c.status));
    }
    let mut out = HashMap::new();
    let mut previous: Option<(FinancialYear, i64)> = None;
    for budget in chain {
        let carried = previous
            .filter(|(year, _)| Some(*year) == budget.financial_year.previous())
            .map(|(_, closing)| closing);
        let opening = match (budget.opening_reserve_pence, carried) {
            (Some(explicit), _) => (explicit, OpeningBasis::Explicit),
            (None, Some(carried)) => (carried, OpeningBasis::Carried),
            (None, None) => (0, OpeningBasis::None),
        };
        let year = figures::year(figures::YearInput {
            lines: line_rows.get(&budget.id).map_or(&[], Vec::as_slice),
            entries: entries.get(&budget.id).map_or(&[], Vec::as_slice),
            contributions: given.get(&budget.id).map_or(&[], Vec::as_slice),
            opening,
            fixed_closing: budget.closing_reserve_pence,
            target: budget.reserve_target_pence,
        })?;
        previous = Some((budget.financial_year, year.reserve.closing_pence));
        out.insert(budget.id, year);
    }
    Ok(out)
}

/// The tail of `all` (in year order) that a summary of its last year needs.
fn carried_chain(all: Vec<Budget>) -> Vec<Budget> {
    let mut start = all.len().saturating_sub(1);
    while start > 0 {
        let (before, here) = (&all[start - 1], &all[start]);
        let contiguous = Some(before.financial_year) == here.financial_year.previous();
        if here.opening_reserve_pence.is_some() || !contiguous {
            break;
        }
        start -= 1;
        if all[start].status == BudgetStatus::Closed {
            break;
        }
    }
    all.into_iter().skip(start).collect()
}

/// The figures of one budget, as the caller has it (a close computes its
/// figures before writing it, with whatever else the same change sets):
/// read back to the latest closed year before it (whose fixed closing
/// reserve it carries) or the latest year with an explicit opening reserve.
pub fn figures(conn: &mut DbConnection, budget: &Budget) -> Result<YearFigures, ApiError> {
    let mut all = model::of_partnership(
        conn,
        budget.partnership_id,
        Role::Admin,
        None,
        Some(budget.financial_year),
    )?;
    match all.last_mut() {
        Some(last) if last.id == budget.id => *last = budget.clone(),
        _ => all.push(budget.clone()),
    }
    let chain = carried_chain(all);
    compute(conn, &chain)?
        .remove(&budget.id)
        .ok_or_else(|| ApiError::internal("a budget has its figures"))
}

/// The summary of one budget.
pub fn of_budget(conn: &mut DbConnection, budget: &Budget) -> Result<BudgetSummary, ApiError> {
    Ok(BudgetSummary::of(budget, figures(conn, budget)?))
}

/// Query of `GET /v1/partnerships/{id}/budgets/summary`.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearsQuery {
    /// The first year; the partnership's first budget when left out.
    pub from: Option<FinancialYear>,
    /// The last year; the partnership's last budget when left out.
    pub to: Option<FinancialYear>,
}

/// One year of the multi-year view.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct YearSummary {
    pub financial_year: FinancialYear,
    /// Null when the partnership has no budget for the year (or, to a
    /// viewer, has not published it): then every figure is null.
    pub budget_id: Option<Id>,
    pub status: Option<BudgetStatus>,
    pub contributions_pledged_pence: Option<i64>,
    pub contributions_received_pence: Option<i64>,
    pub income_planned_pence: Option<i64>,
    pub income_actual_pence: Option<i64>,
    pub expenditure_planned_pence: Option<i64>,
    pub expenditure_committed_pence: Option<i64>,
    pub expenditure_paid_pence: Option<i64>,
    pub expenditure_actual_pence: Option<i64>,
    pub expenditure_variance_pence: Option<i64>,
    pub drawn_from_reserve_pence: Option<i64>,
    pub opening_reserve_pence: Option<i64>,
    pub opening_reserve_basis: Option<OpeningBasis>,
    pub movement_pence: Option<i64>,
    pub closing_reserve_pence: Option<i64>,
    pub closing_reserve_basis: Option<figures::ClosingBasis>,
    pub reserve_target_pence: Option<i64>,
    pub gap_to_target_pence: Option<i64>,
}

/// The multi-year view: every year of the range, in order (none when `to`
/// is before `from`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct YearsSummary {
    pub from: Option<FinancialYear>,
    pub to: Option<FinancialYear>,
    pub years: Vec<YearSummary>,
}

fn year_summary(year: FinancialYear, budget: Option<(&Budget, &YearFigures)>) -> YearSummary {
    let f = budget.map(|(_, f)| f);
    YearSummary {
        financial_year: year,
        budget_id: budget.map(|(b, _)| b.id),
        status: budget.map(|(b, _)| b.status),
        contributions_pledged_pence: f.map(|f| f.contributions.pledged_pence),
        contributions_received_pence: f.map(|f| f.contributions.received_pence),
        income_planned_pence: f.map(|f| f.total_income_planned_pence),
        income_actual_pence: f.map(|f| f.total_income_actual_pence),
        expenditure_planned_pence: f.map(|f| f.expenditure.planned_pence),
        expenditure_committed_pence: f.map(|f| f.expenditure.committed_pence),
        expenditure_paid_pence: f.map(|f| f.expenditure.paid_pence),
        expenditure_actual_pence: f.map(|f| f.expenditure.actual_pence),
        expenditure_variance_pence: f.map(|f| f.expenditure.variance_pence),
        drawn_from_reserve_pence: f.map(|f| f.reserve.drawn_pence),
        opening_reserve_pence: f.map(|f| f.reserve.opening_pence),
        opening_reserve_basis: f.map(|f| f.reserve.opening_basis),
        movement_pence: f.map(|f| f.reserve.movement_pence),
        closing_reserve_pence: f.map(|f| f.reserve.closing_pence),
        closing_reserve_basis: f.map(|f| f.reserve.closing_basis),
        reserve_target_pence: budget.and_then(|(b, _)| b.reserve_target_pence),
        gap_to_target_pence: f.and_then(|f| f.reserve.gap_to_target_pence),
    }
}

/// The partnership's years from `from` to `to` for a caller of `role`.
pub fn years(
    conn: &mut DbConnection,
    partnership_id: Id,
    role: Role,
    query: YearsQuery,
) -> Result<YearsSummary, ApiError> {
    crate::partnerships::model::find(conn, partnership_id)?;
    let all = model::of_partnership(conn, partnership_id, Role::Admin, None, query.to)?;
    let visible = |b: &&Budget| b.visible_to(role);
    let from = query
        .from
        .or_else(|| all.iter().find(visible).map(|b| b.financial_year));
    let to = query
        .to
        .or_else(|| all.iter().rev().find(visible).map(|b| b.financial_year));
    let (Some(from), Some(to)) = (from, to) else {
        return Ok(YearsSummary {
            from,
            to,
            years: Vec::new(),
        });
    };
    // Every year up to `to` that a year of the range carries from.
    let first_needed = all
        .iter()
        .position(|b| b.financial_year >= from)
        .map_or(all.len(), |i| {
            let head: Vec<Budget> = all[..=i].to_vec();
            i + 1 - carried_chain(head).len()
        });
    let chain: Vec<Budget> = all.into_iter().skip(first_needed).collect();
    let computed = compute(conn, &chain)?;
    let by_year: HashMap<FinancialYear, &Budget> =
        chain.iter().map(|b| (b.financial_year, b)).collect();
    let mut years = Vec::new();
    let mut year = Some(from);
    while let Some(y) = year.filter(|y| *y <= to) {
        let found = by_year
            .get(&y)
            .filter(|b| b.visible_to(role))
            .and_then(|b| computed.get(&b.id).map(|f| (*b, f)));
        years.push(year_summary(y, found));
        year = y.next();
    }
    Ok(YearsSummary {
        from: Some(from),
        to: Some(to),
        years,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::UtcTime;

    fn budget(year: &str, status: BudgetStatus, opening: Option<i64>) -> Budget {
        // A fixed instant (1 January 2020): the figures never read the time.
        let now = UtcTime(chrono::DateTime::from_timestamp(1_577_836_800, 0).unwrap());
        Budget {
            id: Id::new(),
            partnership_id: Id::new(),
            financial_year: FinancialYear::parse(year).unwrap(),
            status,
            published: true,
            reserve_target_pence: None,
            opening_reserve_pence: opening,
            closing_reserve_pence: (status == BudgetStatus::Closed).then_some(0),
            notes: None,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    fn years_of(chain: &[Budget]) -> Vec<String> {
        chain.iter().map(|b| b.financial_year.text()).collect()
    }

    #[test]
    fn a_summary_reads_back_to_a_fixed_or_explicit_reserve() {
        use BudgetStatus::*;
        let all = vec![
            budget("2017-18", Closed, None),
            budget("2018-19", Closed, None),
            budget("2019-20", Open, None),
            budget("2020-21", Open, None),
        ];
        assert_eq!(
            years_of(&carried_chain(all.clone())),
            ["2018-19", "2019-20", "2020-21"]
        );
        let explicit = vec![
            budget("2019-20", Open, None),
            budget("2020-21", Open, Some(5)),
        ];
        assert_eq!(years_of(&carried_chain(explicit)), ["2020-21"]);
        let gap = vec![budget("2017-18", Open, None), budget("2019-20", Open, None)];
        assert_eq!(years_of(&carried_chain(gap)), ["2019-20"]);
        assert!(carried_chain(Vec::new()).is_empty());
    }
}
