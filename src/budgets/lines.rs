//! A year's budget lines: income or expenditure, each with its planned
//! amount, named once in the year.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::Budget;
use super::rules::{self, CreateLine, LineKind, UpdateLine};
use crate::auth::Principal;
use crate::db::schema::budget_lines;
use crate::db::store::{self, Expected};
use crate::db::{DbConnection, Id, MultiBackend, Page, Tx, UtcTime};
use crate::error::ApiError;
use crate::validate::Errors;

/// A line of the year's budget.
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
#[diesel(table_name = budget_lines, treat_none_as_null = true)]
pub struct Line {
    pub id: Id,
    pub budget_id: Id,
    pub partnership_id: Id,
    /// "Home Start contribution"; unique in the year.
    pub name: String,
    pub kind: LineKind,
    #[schema(minimum = 0, maximum = 10_000_000_000_000_i64)]
    pub planned_pence: i64,
    pub description: Option<String>,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

crate::record!(Line, "budget_line", budget_lines, unique: ["name" => "name"]);

/// Every line of the budgets `budget_ids`, in creation order.
pub fn all_of(conn: &mut DbConnection, budget_ids: &[Id]) -> Result<Vec<Line>, ApiError> {
    Ok(crate::db::by_ids(budget_ids.iter().copied(), |ids| {
        budget_lines::table
            .filter(budget_lines::budget_id.eq_any(ids))
            .order(budget_lines::id.asc())
            .select(Line::as_select())
            .load(conn)
    })?)
}

/// One page of the budget's lines (all of them with `limit` None), in
/// creation order.
pub fn page(conn: &mut DbConnection, budget_id: Id, page: &Page) -> Result<Vec<Line>, ApiError> {
    Ok(page_query(budget_id, page).load(conn)?)
}

/// A page of lines as [`page`] reads it.
pub type LineQuery =
    budget_lines::BoxedQuery<'static, MultiBackend, diesel::dsl::AsSelect<Line, MultiBackend>>;

/// The query [`page`] runs (public so that a test can `EXPLAIN` it).
pub fn page_query(budget_id: Id, page: &Page) -> LineQuery {
    let mut query = budget_lines::table
        .filter(budget_lines::budget_id.eq(budget_id))
        .order(budget_lines::id.asc())
        .select(Line::as_select())
        .limit(page.fetch())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(budget_lines::id.gt(after));
    }
    query
}

/// One line of the budget; `field` names it when it comes from a body.
pub fn find(conn: &mut DbConnection, budget_id: Id, id: Id) -> Result<Line, ApiError> {
    budget_lines::table
        .filter(budget_lines::budget_id.eq(budget_id))
        .filter(budget_lines::id.eq(id))
        .select(Line::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such budget line"))
}

/// Adds a line to an open year.
pub fn create(
    tx: &mut Tx<'_>,
    actor: &Principal,
    budget: &Budget,
    form: CreateLine,
) -> Result<Line, ApiError> {
    budget.ensure_open("its lines are fixed")?;
    let mut errors = Errors::new();
    let name = errors.text("name", &form.name, 200);
    let planned = rules::amount(&mut errors, "planned_pence", form.planned_pence, 0);
    let description = errors.optional_long_text("description", form.description.as_deref(), 2000);
    errors.finish()?;
    let count: i64 = budget_lines::table
        .filter(budget_lines::budget_id.eq(budget.id))
        .count()
        .get_result(&mut **tx)?;
    if count >= rules::MAX_LINES {
        return Err(ApiError::conflict(format!(
            "a budget holds at most {} lines",
            rules::MAX_LINES
        )));
    }
    let now = tx.now();
    let line = Line {
        id: Id::new(),
        budget_id: budget.id,
        partnership_id: budget.partnership_id,
        name,
        kind: form.kind,
        planned_pence: planned,
        description,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store::insert(tx, actor, &line)?;
    Ok(line)
}

/// Changes a line of an open year.
pub fn update(
    tx: &mut Tx<'_>,
    actor: &Principal,
    budget: &Budget,
    before: Line,
    expected: Expected,
    patch: UpdateLine,
) -> Result<Line, ApiError> {
    store::check(expected, before.version)?;
    budget.ensure_open("its lines are fixed")?;
    let mut errors = Errors::new();
    let name = match &patch.name {
        Some(name) => errors.text("name", name, 200),
        None => before.name.clone(),
    };
    if let Some(planned) = patch.planned_pence {
        rules::in_range(&mut errors, "planned_pence", planned, 0);
    }
    let description = match &patch.description {
        Some(d) => errors.optional_long_text("description", d.as_deref(), 2000),
        None => before.description.clone(),
    };
    errors.finish()?;
    let after = Line {
        name,
        kind: patch.kind.unwrap_or(before.kind),
        planned_pence: patch.planned_pence.unwrap_or(before.planned_pence),
        description,
        ..before.clone()
    };
    if after == before {
        return Ok(before);
    }
    store::update(tx, actor, &before, after, expected)
}
