//! Transactions booked on a year's lines: dated inside the year, a
//! commitment or a payment, paid from the year's income or from the
//! reserve. In an open year one entered in error is changed or removed; in a
//! closed year it is corrected by a reversing entry, booked once.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::lines::{self, Line};
use super::model::Budget;
use super::rules::{self, CreateReversal, CreateTransaction, TransactionKind, UpdateTransaction};
use crate::auth::Principal;
use crate::db::schema::{budget_lines, budget_transactions};
use crate::db::store::{self, Expected};
use crate::db::{Day, DbConnection, Id, MultiBackend, Page, Tx, UtcTime};
use crate::error::ApiError;
use crate::validate::Errors;

/// A transaction on a line of the year's budget.
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
#[diesel(table_name = budget_transactions, treat_none_as_null = true)]
pub struct Transaction {
    pub id: Id,
    pub budget_id: Id,
    pub partnership_id: Id,
    pub line_id: Id,
    /// Inside the financial year.
    pub date: Day,
    /// Pence, not zero; negative for a refund, a correction or a reversal.
    pub amount_pence: i64,
    pub description: String,
    pub kind: TransactionKind,
    /// Paid from the partnership's reserve rather than the year's income.
    pub from_reserve: bool,
    /// An invoice or order number.
    pub reference: Option<String>,
    /// Set on a reversing entry: the transaction it reverses.
    pub reverses_id: Option<Id>,
    /// The API client or user that booked it.
    pub recorded_by: String,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

crate::record!(Transaction, "budget_transaction", budget_transactions, unique: ["reverses_id" => "reverses_id"]);

/// A transaction as answered: with its line's name, and the entry that
/// reversed it, if one did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TransactionView {
    #[serde(flatten)]
    pub transaction: Transaction,
    pub line_name: String,
    /// The reversing entry booked against it; null when none was.
    pub reversed_by_id: Option<Id>,
}

crate::versioned_view!(TransactionView, transaction);

/// Filters of a year's transactions.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TransactionFilter {
    /// Only those on this line.
    pub line_id: Option<Id>,
    pub kind: Option<TransactionKind>,
    pub from_reserve: Option<bool>,
    /// Dated on or after this day.
    pub from: Option<Day>,
    /// Dated on or before this day.
    pub to: Option<Day>,
}

/// Views transactions with their lines' names and reversals, in two queries.
pub fn views(
    conn: &mut DbConnection,
    list: Vec<Transaction>,
) -> Result<Vec<TransactionView>, ApiError> {
    let names: HashMap<Id, String> = crate::db::by_ids(list.iter().map(|t| t.line_id), |ids| {
        budget_lines::table
            .filter(budget_lines::id.eq_any(ids))
            .select((budget_lines::id, budget_lines::name))
            .load::<(Id, String)>(conn)
    })?
    .into_iter()
    .collect();
    let reversals: HashMap<Id, Id> = crate::db::by_ids(list.iter().map(|t| t.id), |ids| {
        budget_transactions::table
            .filter(budget_transactions::reverses_id.eq_any(ids))
            .select((
                budget_transactions::reverses_id.assume_not_null(),
                budget_transactions::id,
            ))
            .load::<(Id, Id)>(conn)
    })?
    .into_iter()
    .collect();
    Ok(list
        .into_iter()
        .map(|transaction| TransactionView {
            line_name: names.get(&transaction.line_id).cloned().unwrap_or_default(),
            reversed_by_id: reversals.get(&transaction.id).copied(),
            transaction,
        })
        .collect())
}

pub fn view(conn: &mut DbConnection, t: Transaction) -> Result<TransactionView, ApiError> {
    views(conn, vec![t])?
        .pop()
        .ok_or_else(|| ApiError::internal("a transaction has one view"))
}

/// The figures' inputs of the budgets `budget_ids`: (budget, entry).
pub fn entries_of(
    conn: &mut DbConnection,
    budget_ids: &[Id],
) -> Result<Vec<(Id, super::figures::Entry)>, ApiError> {
    let rows: Vec<(Id, Id, TransactionKind, bool, i64)> =
        crate::db::by_ids(budget_ids.iter().copied(), |ids| {
            budget_transactions::table
                .filter(budget_transactions::budget_id.eq_any(ids))
                .select((
                    budget_transactions::budget_id,
                    budget_transactions::line_id,
                    budget_transactions::kind,
                    budget_transactions::from_reserve,
                    budget_transactions::amount_pence,
                ))
                .load(conn)
        })?;
    Ok(rows
        .into_iter()
        .map(|(budget, line_id, kind, from_reserve, amount_pence)| {
            let entry = super::figures::Entry {
                line_id,
                kind,
                from_reserve,
                amount_pence,
            };
            (budget, entry)
        })
        .collect())
}

/// The year's transactions under `filter` in date order, one page (after
/// the cursor's transaction), or all of them (`limit` None) for exports.
pub fn list(
    conn: &mut DbConnection,
    budget_id: Id,
    filter: &TransactionFilter,
    after: Option<Id>,
    limit: Option<i64>,
) -> Result<Vec<Transaction>, ApiError> {
    match list_query(conn, budget_id, filter, after, limit)? {
        Some(query) => Ok(query.load(conn)?),
        None => Ok(Vec::new()),
    }
}

/// Transactions as [`list`] reads them.
pub type TransactionQuery = budget_transactions::BoxedQuery<
    'static,
    MultiBackend,
    diesel::dsl::AsSelect<Transaction, MultiBackend>,
>;

/// The query [`list`] runs (public so that a test can `EXPLAIN` it);
/// `None` when the cursor names no transaction of the year (past the end).
pub fn list_query(
    conn: &mut DbConnection,
    budget_id: Id,
    filter: &TransactionFilter,
    after: Option<Id>,
    limit: Option<i64>,
) -> Result<Option<TransactionQuery>, ApiError> {
    let mut query = budget_transactions::table
        .filter(budget_transactions::budget_id.eq(budget_id))
        .order((
            budget_transactions::date.asc(),
            budget_transactions::id.asc(),
        ))
        .select(Transaction::as_select())
        .into_boxed();
    if let Some(line) = filter.line_id {
        query = query.filter(budget_transactions::line_id.eq(line));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(budget_transactions::kind.eq(kind));
    }
    if let Some(reserve) = filter.from_reserve {
        query = query.filter(budget_transactions::from_reserve.eq(reserve));
    }
    if let Some(from) = filter.from {
        query = query.filter(budget_transactions::date.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(budget_transactions::date.le(to));
    }
    if let Some(after) = after {
        let last: Option<Day> = budget_transactions::table
            .filter(budget_transactions::budget_id.eq(budget_id))
            .filter(budget_transactions::id.eq(after))
            .select(budget_transactions::date)
            .first(conn)
            .optional()?;
        let Some(day) = last else {
            // A cursor this list did not hand out is past its end.
            return Ok(None);
        };
        // The first condition is implied by the second; said outright, it
        // lets the index seek to the cursor's place rather than read the
        // list from its start on every page.
        query = query.filter(budget_transactions::date.ge(day)).filter(
            budget_transactions::date
                .gt(day)
                .or(budget_transactions::date
                    .eq(day)
                    .and(budget_transactions::id.gt(after))),
        );
    }
    if let Some(limit) = limit {
        query = query.limit(limit);
    }
    Ok(Some(query))
}

/// One page of the year's transactions.
pub fn page(
    conn: &mut DbConnection,
    budget_id: Id,
    filter: &TransactionFilter,
    page: &Page,
) -> Result<Vec<Transaction>, ApiError> {
    list(conn, budget_id, filter, page.after, Some(page.fetch()))
}

/// One transaction of the budget.
pub fn find(conn: &mut DbConnection, budget_id: Id, id: Id) -> Result<Transaction, ApiError> {
    budget_transactions::table
        .filter(budget_transactions::budget_id.eq(budget_id))
        .filter(budget_transactions::id.eq(id))
        .select(Transaction::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such transaction"))
}

/// The line `id` of the budget, named as `field` of the body.
fn line_of(
    conn: &mut DbConnection,
    budget: &Budget,
    id: Id,
    errors: &mut Errors,
) -> Result<Option<Line>, ApiError> {
    match lines::find(conn, budget.id, id) {
        Ok(line) => Ok(Some(line)),
        Err(ApiError::NotFound(_)) => {
            errors.missing("line_id", "no such line in this budget");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Books a transaction in an open year.
pub fn create(
    tx: &mut Tx<'_>,
    actor: &Principal,
    budget: &Budget,
    form: CreateTransaction,
) -> Result<Transaction, ApiError> {
    budget.ensure_open("no transaction is booked in it but a reversing entry")?;
    let mut errors = Errors::new();
    let amount = rules::amount(
        &mut errors,
        "amount_pence",
        form.amount_pence,
        -super::money::MAX_PENCE,
    );
    rules::transaction_amount(&mut errors, "amount_pence", amount);
    rules::date_in(&mut errors, "date", budget.financial_year, form.date);
    let description = errors.text("description", &form.description, 500);
    let reference = errors.optional_text("reference", form.reference.as_deref(), 100);
    line_of(tx, budget, form.line_id, &mut errors)?;
    errors.finish()?;
    let now = tx.now();
    let transaction = Transaction {
        id: Id::new(),
        budget_id: budget.id,
        partnership_id: budget.partnership_id,
        line_id: form.line_id,
        date: form.date,
        amount_pence: amount,
        description,
        kind: form.kind.unwrap_or(TransactionKind::Payment),
        from_reserve: form.from_reserve.unwrap_or(false),
        reference,
        reverses_id: None,
        recorded_by: actor.subject.clone(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store::insert(tx, actor, &transaction)?;
    Ok(transaction)
}

/// Refuses (409) to change or remove a transaction of a closed year, a
/// reversed one or a reversing entry: their correction is another entry.
fn ensure_editable(
    conn: &mut DbConnection,
    budget: &Budget,
    t: &Transaction,
    what: &str,
) -> Result<(), ApiError> {
    budget.ensure_open(&format!("its transactions are not {what}"))?;
    if t.reverses_id.is_some() {
        return Err(ApiError::conflict(format!(
            "a reversing entry is not {what}: book the transaction again instead"
        )));
    }
    let reversed: i64 = budget_transactions::table
        .filter(budget_transactions::reverses_id.eq(t.id))
        .count()
        .get_result(conn)?;
    if reversed > 0 {
        return Err(ApiError::conflict(format!(
            "this transaction has been reversed, so it is not {what}"
        )));
    }
    Ok(())
}

/// Changes a transaction of an open year.
pub fn update(
    tx: &mut Tx<'_>,
    actor: &Principal,
    budget: &Budget,
    before: Transaction,
    expected: Expected,
    patch: UpdateTransaction,
) -> Result<Transaction, ApiError> {
    store::check(expected, before.version)?;
    ensure_editable(tx, budget, &before, "changed")?;
    let mut errors = Errors::new();
    let amount = patch.amount_pence.unwrap_or(before.amount_pence);
    rules::transaction_amount(&mut errors, "amount_pence", amount);
    let date = patch.date.unwrap_or(before.date);
    rules::date_in(&mut errors, "date", budget.financial_year, date);
    let description = match &patch.description {
        Some(d) => errors.text("description", d, 500),
        None => before.description.clone(),
    };
    let reference = match &patch.reference {
        Some(r) => errors.optional_text("reference", r.as_deref(), 100),
        None => before.reference.clone(),
    };
    if let Some(line) = patch.line_id {
        line_of(tx, budget, line, &mut errors)?;
    }
    errors.finish()?;
    let after = Transaction {
        line_id: patch.line_id.unwrap_or(before.line_id),
        date,
        amount_pence: amount,
        description,
        kind: patch.kind.unwrap_or(before.kind),
        from_reserve: patch.from_reserve.unwrap_or(before.from_reserve),
        reference,
        ..before.clone()
    };
    if after == before {
        return Ok(before);
    }
    store::update(tx, actor, &before, after, expected)
}

/// Removes a transaction of an open year entered in error.
pub fn delete(
    tx: &mut Tx<'_>,
    actor: &Principal,
    budget: &Budget,
    before: &Transaction,
    expected: Expected,
) -> Result<(), ApiError> {
    store::check(expected, before.version)?;
    ensure_editable(tx, budget, before, "removed")?;
    store::delete(tx, actor, before, expected)
}

/// Books the reversing entry of `original` (in an open or a closed year):
/// the same line, kind and reserve, the opposite amount, once.
pub fn reverse(
    tx: &mut Tx<'_>,
    actor: &Principal,
    budget: &Budget,
    original: &Transaction,
    form: CreateReversal,
) -> Result<Transaction, ApiError> {
    if original.reverses_id.is_some() {
        return Err(ApiError::conflict(
            "a reversing entry is not reversed: book the transaction again instead",
        ));
    }
    let earlier: Option<Id> = budget_transactions::table
        .filter(budget_transactions::reverses_id.eq(original.id))
        .select(budget_transactions::id)
        .first(&mut **tx)
        .optional()?;
    if let Some(earlier) = earlier {
        return Err(ApiError::conflict(format!(
            "this transaction was reversed already, by {earlier}"
        )));
    }
    let mut errors = Errors::new();
    let date = form.date.unwrap_or(original.date);
    rules::date_in(&mut errors, "date", budget.financial_year, date);
    let description = errors
        .optional_text("description", form.description.as_deref(), 500)
        .unwrap_or_else(|| {
            let of: String = original.description.chars().take(480).collect();
            format!("Reversal of: {of}")
        });
    errors.finish()?;
    let now = tx.now();
    let reversal = Transaction {
        id: Id::new(),
        budget_id: budget.id,
        partnership_id: budget.partnership_id,
        line_id: original.line_id,
        date,
        amount_pence: -original.amount_pence,
        description,
        kind: original.kind,
        from_reserve: original.from_reserve,
        reference: original.reference.clone(),
        reverses_id: Some(original.id),
        recorded_by: actor.subject.clone(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store::insert(tx, actor, &reversal)?;
    Ok(reversal)
}
