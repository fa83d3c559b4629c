//! Decisions: rows and queries.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules::{self, CreateDecision, Outcome, UpdateDecision};
use crate::auth::Principal;
use crate::db::schema::decisions;
use crate::db::store::{self, Expected};
use crate::db::Page;
use crate::db::{DbConnection, Id, MultiBackend, Tx, UtcTime};
use crate::error::ApiError;
use crate::items::model::AgendaItem;
use crate::meetings::model::{begin_edit, Meeting};

/// A decision on an agenda item.
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
#[diesel(table_name = decisions)]
pub struct Decision {
    pub id: Id,
    pub item_id: Id,
    pub meeting_id: Id,
    pub partnership_id: Id,
    pub outcome: Outcome,
    pub text: String,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

crate::record!(Decision, "decision", decisions);
crate::batch_insert!(Decision, crate::db::schema::decisions);

pub fn create(
    tx: &mut Tx<'_>,
    actor: &Principal,
    meeting: &Meeting,
    item: &AgendaItem,
    form: CreateDecision,
) -> Result<Decision, ApiError> {
    let text = rules::decision_text(&form.text)?;
    begin_edit(tx, actor, meeting)?;
    let now = tx.now();
    let record = Decision {
        id: Id::new(),
        item_id: item.id,
        meeting_id: meeting.id,
        partnership_id: meeting.partnership_id,
        outcome: form.outcome,
        text,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store::insert(tx, actor, &record)?;
    Ok(record)
}

pub fn find(conn: &mut DbConnection, item_id: Id, id: Id) -> Result<Decision, ApiError> {
    decisions::table
        .filter(decisions::item_id.eq(item_id))
        .filter(decisions::id.eq(id))
        .select(Decision::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such decision"))
}

/// One page of the decisions on an item, in the order they were recorded.
pub fn of_item(
    conn: &mut DbConnection,
    item_id: Id,
    page: &Page,
) -> Result<Vec<Decision>, ApiError> {
    Ok(of_item_query(item_id, page).load(conn)?)
}

/// A page of decisions as [`of_item`] reads it.
pub type DecisionQuery =
    decisions::BoxedQuery<'static, MultiBackend, diesel::dsl::AsSelect<Decision, MultiBackend>>;

/// The query [`of_item`] runs (public so that a test can `EXPLAIN` it).
pub fn of_item_query(item_id: Id, page: &Page) -> DecisionQuery {
    let mut query = decisions::table
        .filter(decisions::item_id.eq(item_id))
        .order(decisions::id.asc())
        .select(Decision::as_select())
        .limit(page.fetch())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(decisions::id.gt(after));
    }
    query
}

/// Every decision of a meeting (the minutes).
pub fn of_meeting(conn: &mut DbConnection, meeting_id: Id) -> Result<Vec<Decision>, ApiError> {
    Ok(decisions::table
        .filter(decisions::meeting_id.eq(meeting_id))
        .order(decisions::id.asc())
        .select(Decision::as_select())
        .load(conn)?)
}

pub fn update(
    tx: &mut Tx<'_>,
    actor: &Principal,
    meeting: &Meeting,
    item: &AgendaItem,
    id: Id,
    expected: Expected,
    patch: UpdateDecision,
) -> Result<Decision, ApiError> {
    let before = find(tx, item.id, id)?;
    store::check(expected, before.version)?;
    let text = match &patch.text {
        Some(t) => rules::decision_text(t)?,
        None => before.text.clone(),
    };
    begin_edit(tx, actor, meeting)?;
    let after = Decision {
        outcome: patch.outcome.unwrap_or(before.outcome),
        text,
        ..before.clone()
    };
    store::update(tx, actor, &before, after, expected)
}

/// Removes a decision recorded in error.
pub fn delete(
    tx: &mut Tx<'_>,
    actor: &Principal,
    meeting: &Meeting,
    item: &AgendaItem,
    id: Id,
    expected: Expected,
) -> Result<(), ApiError> {
    let before = find(tx, item.id, id)?;
    store::check(expected, before.version)?;
    begin_edit(tx, actor, meeting)?;
    store::delete(tx, actor, &before, expected)
}
