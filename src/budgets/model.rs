//! Budget rows and their writes: one per partnership and financial year,
//! opened by an admin, published to viewers, closed once with its closing
//! reserve fixed. A budget the caller may not see is 404, like a missing one.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::money::FinancialYear;
use super::rules::{self, BudgetStatus, CreateBudget};
use crate::auth::tenant::{Manage, Tenant};
use crate::auth::{Access, Principal, Role};
use crate::db::schema::budgets;
use crate::db::store;
use crate::db::{DbConnection, Id, MultiBackend, Tx, UtcTime};
use crate::error::ApiError;
use crate::validate::Errors;

/// A partnership's budget for one financial year.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Serialize,
    Deserialize,
    ToSchema,
    Queryable,
    Selectable,
    Insertable,
    AsChangeset,
)]
#[diesel(table_name = budgets, treat_none_as_null = true)]
pub struct Budget {
    pub id: Id,
    pub partnership_id: Id,
    /// One budget per partnership and year.
    pub financial_year: FinancialYear,
    pub status: BudgetStatus,
    /// Whether viewers may read it (and its contributions, lines,
    /// transactions and summary).
    pub published: bool,
    #[schema(minimum = 0, maximum = 10_000_000_000_000_i64)]
    pub reserve_target_pence: Option<i64>,
    /// Set on the year; null when carried from the previous year's closing
    /// reserve (the summary says which, and how much).
    #[schema(minimum = -10_000_000_000_000_i64, maximum = 10_000_000_000_000_i64)]
    pub opening_reserve_pence: Option<i64>,
    /// Fixed when the year closed; null while it is open.
    pub closing_reserve_pence: Option<i64>,
    pub notes: Option<String>,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

crate::record!(Budget, "budget", budgets, unique: ["financial_year" => "financial_year"]);

impl Budget {
    /// Whether a caller of `role` may learn it exists: a viewer reads a
    /// published year only.
    pub fn visible_to(&self, role: Role) -> bool {
        self.published || role != Role::Viewer
    }

    /// Refuses (409) a change to a closed year's figures.
    pub fn ensure_open(&self, what: &str) -> Result<(), ApiError> {
        match self.status {
            BudgetStatus::Open => Ok(()),
            BudgetStatus::Closed => Err(rules::locked(self.financial_year, what)),
        }
    }
}

fn not_found() -> ApiError {
    ApiError::not_found("no such budget")
}

/// A budget by id, whatever its partnership.
pub fn find_any(conn: &mut DbConnection, id: Id) -> Result<Budget, ApiError> {
    budgets::table
        .find(id)
        .select(Budget::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(not_found)
}

/// A budget the caller may `access`, with the caller's role: another
/// partnership's budget, and an unpublished one to a viewer, are 404 like
/// a missing one; a submitter is refused (403).
pub fn find_for(
    conn: &mut DbConnection,
    principal: &Principal,
    id: Id,
    access: Access,
) -> Result<(Budget, Role), ApiError> {
    let budget = find_any(conn, id)?;
    // Visibility before the role's rights, so that a viewer's write to an
    // unpublished year is 404 too.
    let role = principal
        .role_in(budget.partnership_id)
        .map_err(|_| not_found())?;
    if !budget.visible_to(role) {
        return Err(not_found());
    }
    principal.require(budget.partnership_id, access)?;
    Ok((budget, role))
}

/// The partnership's budgets from `from` to `to` (either open-ended), in
/// year order; those a viewer may not see left out.
pub fn of_partnership(
    conn: &mut DbConnection,
    partnership_id: Id,
    role: Role,
    from: Option<FinancialYear>,
    to: Option<FinancialYear>,
) -> Result<Vec<Budget>, ApiError> {
    Ok(of_partnership_query(partnership_id, role, from, to).load(conn)?)
}

/// Budgets as [`of_partnership`] reads them.
pub type BudgetQuery =
    budgets::BoxedQuery<'static, MultiBackend, diesel::dsl::AsSelect<Budget, MultiBackend>>;

/// The query [`of_partnership`] runs (public so that a test can `EXPLAIN` it).
pub fn of_partnership_query(
    partnership_id: Id,
    role: Role,
    from: Option<FinancialYear>,
    to: Option<FinancialYear>,
) -> BudgetQuery {
    let mut query = budgets::table
        .filter(budgets::partnership_id.eq(partnership_id))
        .select(Budget::as_select())
        .order(budgets::financial_year.asc())
        .into_boxed();
    if let Some(from) = from {
        query = query.filter(budgets::financial_year.ge(from));
    }
    if let Some(to) = to {
        query = query.filter(budgets::financial_year.le(to));
    }
    if role == Role::Viewer {
        query = query.filter(budgets::published.eq(true));
    }
    query
}

/// The partnership's budget for `year`, if it has one.
pub fn of_year(
    conn: &mut DbConnection,
    partnership_id: Id,
    year: FinancialYear,
) -> Result<Option<Budget>, ApiError> {
    Ok(budgets::table
        .filter(budgets::partnership_id.eq(partnership_id))
        .filter(budgets::financial_year.eq(year))
        .select(Budget::as_select())
        .first(conn)
        .optional()?)
}

/// Opens the tenant's budget for a year (admins), in the write scope `tx`.
pub fn create(
    tx: &mut Tx<'_>,
    tenant: &Tenant<Manage>,
    form: CreateBudget,
) -> Result<Budget, ApiError> {
    // A platform administrator holds a role in every partnership id, even
    // one that does not exist: 404 for that, before the row's foreign key.
    crate::partnerships::model::find(tx, tenant.partnership_id)?;
    let mut errors = Errors::new();
    let notes = errors.optional_long_text("notes", form.notes.as_deref(), 2000);
    if let Some(target) = form.reserve_target_pence {
        rules::in_range(&mut errors, "reserve_target_pence", target, 0);
    }
    errors.finish()?;
    let now = tx.now();
    let budget = Budget {
        id: Id::new(),
        partnership_id: tenant.partnership_id,
        financial_year: form.financial_year,
        status: BudgetStatus::Open,
        published: form.published.unwrap_or(false),
        reserve_target_pence: form.reserve_target_pence,
        opening_reserve_pence: form.opening_reserve_pence,
        closing_reserve_pence: None,
        notes,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    ensure_in_order(tx, &budget)?;
    ensure_carry_published(tx, &budget)?;
    store::insert(tx, &tenant.principal, &budget)?;
    Ok(budget)
}

/// Years close in order, each carrying its closing reserve into the next:
/// a year before a closed year is not opened afterwards (it would change
/// the opening reserve the closed year was closed with).
fn ensure_in_order(conn: &mut DbConnection, budget: &Budget) -> Result<(), ApiError> {
    let closed_after: Option<FinancialYear> = budgets::table
        .filter(budgets::partnership_id.eq(budget.partnership_id))
        .filter(budgets::status.eq(BudgetStatus::Closed))
        .filter(budgets::financial_year.gt(budget.financial_year))
        .select(budgets::financial_year)
        .order(budgets::financial_year.asc())
        .first(conn)
        .optional()?;
    match closed_after {
        Some(closed) => Err(ApiError::conflict(format!(
            "{closed} is closed: no earlier year is opened after it (its opening reserve is settled)"
        ))),
        None => Ok(()),
    }
}

/// A published year whose opening reserve is carried shows the closing
/// reserve of the year before: that year must be published too, or a
/// viewer would learn of a year it may not see. Checked for both pairs
/// `budget` is part of, as it is about to be written.
pub fn ensure_carry_published(conn: &mut DbConnection, budget: &Budget) -> Result<(), ApiError> {
    let year = budget.financial_year;
    let pid = budget.partnership_id;
    let carries = |b: &Budget| b.published && b.opening_reserve_pence.is_none();
    let previous = year
        .previous()
        .map(|y| of_year(conn, pid, y))
        .transpose()?
        .flatten();
    if let Some(previous) = previous.filter(|p| carries(budget) && !p.published) {
        let before = previous.financial_year;
        return Err(ApiError::conflict(format!(
            "{year} carries its opening reserve from {before}, which is not published: \
             publish {before} first, or set {year}'s opening reserve"
        )));
    }
    let next = year
        .next()
        .map(|y| of_year(conn, pid, y))
        .transpose()?
        .flatten();
    if let Some(next) = next.filter(|n| carries(n) && !budget.published) {
        let after = next.financial_year;
        return Err(ApiError::conflict(format!(
            "{after} is published and carries its opening reserve from {year}: \
             {year} stays published unless {after} sets its own opening reserve"
        )));
    }
    Ok(())
}

/// Runs `f` in the write scope of the budget `id`'s partnership (admins),
/// with the budget as stored once that scope is held.
pub fn in_budget<T>(
    conn: &mut DbConnection,
    principal: &Principal,
    id: Id,
    now: UtcTime,
    f: impl FnOnce(&mut Tx<'_>, &Budget) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let (budget, _) = find_for(conn, principal, id, Access::Manage)?;
    let mut tx = Tx::of_record(conn, Some(budget.partnership_id), now)?;
    let budget = find_any(&mut tx, budget.id)?;
    f(&mut tx, &budget)
}
