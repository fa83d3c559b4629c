//! Partners' contributions to a year's budget: one per member organisation,
//! pledged, invoiced, received; copied from another year in one call.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{self, Budget};
use super::rules::{
    self, ContributionStatus, CopyContributions, CreateContribution, UpdateContribution,
};
use crate::auth::Principal;
use crate::db::schema::{budget_contributions, organisations, partnership_members};
use crate::db::store::{self, Expected};
use crate::db::{DbConnection, Id, MultiBackend, Page, Tx, UtcTime};
use crate::error::ApiError;
use crate::validate::Errors;

/// A partner's contribution to the year.
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
#[diesel(table_name = budget_contributions, treat_none_as_null = true)]
pub struct Contribution {
    pub id: Id,
    pub budget_id: Id,
    pub partnership_id: Id,
    /// A member organisation of the partnership; one contribution a year.
    pub organisation_id: Id,
    #[schema(minimum = 0, maximum = 10_000_000_000_000_i64)]
    pub amount_pence: i64,
    pub status: ContributionStatus,
    pub note: Option<String>,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

crate::record!(Contribution, "budget_contribution", budget_contributions, unique: ["organisation_id" => "organisation_id"]);
crate::batch_insert!(Contribution, crate::db::schema::budget_contributions);

/// A contribution as answered, with its organisation's name.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContributionView {
    #[serde(flatten)]
    pub contribution: Contribution,
    /// "Nottinghamshire County Council".
    pub organisation_name: String,
}

crate::versioned_view!(ContributionView, contribution);

/// Views contributions with their organisations' names, in two queries.
pub fn views(
    conn: &mut DbConnection,
    list: Vec<Contribution>,
) -> Result<Vec<ContributionView>, ApiError> {
    let names: HashMap<Id, String> =
        crate::db::by_ids(list.iter().map(|c| c.organisation_id), |ids| {
            organisations::table
                .filter(organisations::id.eq_any(ids))
                .select((organisations::id, organisations::name))
                .load::<(Id, String)>(conn)
        })?
        .into_iter()
        .collect();
    Ok(list
        .into_iter()
        .map(|contribution| ContributionView {
            organisation_name: names
                .get(&contribution.organisation_id)
                .cloned()
                .unwrap_or_default(),
            contribution,
        })
        .collect())
}

pub fn view(conn: &mut DbConnection, c: Contribution) -> Result<ContributionView, ApiError> {
    views(conn, vec![c])?
        .pop()
        .ok_or_else(|| ApiError::internal("a contribution has one view"))
}

/// Every contribution of the budget (for its figures), in creation order.
pub fn all_of(conn: &mut DbConnection, budget_ids: &[Id]) -> Result<Vec<Contribution>, ApiError> {
    Ok(crate::db::by_ids(budget_ids.iter().copied(), |ids| {
        budget_contributions::table
            .filter(budget_contributions::budget_id.eq_any(ids))
            .order(budget_contributions::id.asc())
            .select(Contribution::as_select())
            .load(conn)
    })?)
}

/// One page of the budget's contributions, in creation order.
pub fn page(
    conn: &mut DbConnection,
    budget_id: Id,
    page: &Page,
) -> Result<Vec<Contribution>, ApiError> {
    Ok(page_query(budget_id, page).load(conn)?)
}

/// A page of contributions as [`page`] reads it.
pub type ContributionQuery = budget_contributions::BoxedQuery<
    'static,
    MultiBackend,
    diesel::dsl::AsSelect<Contribution, MultiBackend>,
>;

/// The query [`page`] runs (public so that a test can `EXPLAIN` it).
pub fn page_query(budget_id: Id, page: &Page) -> ContributionQuery {
    let mut query = budget_contributions::table
        .filter(budget_contributions::budget_id.eq(budget_id))
        .order(budget_contributions::id.asc())
        .select(Contribution::as_select())
        .limit(page.fetch())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(budget_contributions::id.gt(after));
    }
    query
}

/// One contribution of the budget.
pub fn find(conn: &mut DbConnection, budget_id: Id, id: Id) -> Result<Contribution, ApiError> {
    budget_contributions::table
        .filter(budget_contributions::budget_id.eq(budget_id))
        .filter(budget_contributions::id.eq(id))
        .select(Contribution::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such contribution"))
}

/// The member organisations of the partnership among `ids`.
fn members_among(
    conn: &mut DbConnection,
    partnership_id: Id,
    ids: &[Id],
) -> Result<Vec<Id>, ApiError> {
    Ok(crate::db::by_ids(ids.iter().copied(), |chunk| {
        partnership_members::table
            .filter(partnership_members::partnership_id.eq(partnership_id))
            .filter(partnership_members::organisation_id.eq_any(chunk))
            .select(partnership_members::organisation_id)
            .load(conn)
    })?)
}

/// Records a partner's contribution to an open year.
pub fn create(
    tx: &mut Tx<'_>,
    actor: &Principal,
    budget: &Budget,
    form: CreateContribution,
) -> Result<Contribution, ApiError> {
    budget.ensure_open("its contributions are fixed")?;
    let mut errors = Errors::new();
    let amount = rules::amount(&mut errors, "amount_pence", form.amount_pence, 0);
    let note = errors.optional_long_text("note", form.note.as_deref(), 2000);
    if members_among(tx, budget.partnership_id, &[form.organisation_id])?.is_empty() {
        errors.missing(
            "organisation_id",
            "no such member organisation in this partnership",
        );
    }
    errors.finish()?;
    let now = tx.now();
    let contribution = Contribution {
        id: Id::new(),
        budget_id: budget.id,
        partnership_id: budget.partnership_id,
        organisation_id: form.organisation_id,
        amount_pence: amount,
        status: form.status.unwrap_or(ContributionStatus::Pledged),
        note,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store::insert(tx, actor, &contribution)?;
    Ok(contribution)
}

/// Changes a contribution of an open year.
pub fn update(
    tx: &mut Tx<'_>,
    actor: &Principal,
    budget: &Budget,
    before: Contribution,
    expected: Expected,
    patch: UpdateContribution,
) -> Result<Contribution, ApiError> {
    store::check(expected, before.version)?;
    budget.ensure_open("its contributions are fixed")?;
    let mut errors = Errors::new();
    if let Some(amount) = patch.amount_pence {
        rules::in_range(&mut errors, "amount_pence", amount, 0);
    }
    let note = match &patch.note {
        Some(note) => errors.optional_long_text("note", note.as_deref(), 2000),
        None => before.note.clone(),
    };
    errors.finish()?;
    let after = Contribution {
        amount_pence: patch.amount_pence.unwrap_or(before.amount_pence),
        status: patch.status.unwrap_or(before.status),
        note,
        ..before.clone()
    };
    if after == before {
        return Ok(before);
    }
    store::update(tx, actor, &before, after, expected)
}

/// What a copy left out, and why.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Skipped {
    pub organisation_id: Id,
    pub reason: String,
}

/// The answer of a copy: the contributions made, and those left out.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Copied {
    pub copied: Vec<ContributionView>,
    /// Organisations that contribute to this year already (kept as they
    /// are), or are no longer members of the partnership.
    pub skipped: Vec<Skipped>,
}

/// Copies the contributions of the partnership's year `form.from` into the
/// open `budget`, at the same amounts, as one batch write; answers them and
/// those left out.
pub fn copy(
    tx: &mut Tx<'_>,
    actor: &Principal,
    budget: &Budget,
    form: CopyContributions,
) -> Result<(Vec<Contribution>, Vec<Skipped>), ApiError> {
    budget.ensure_open("its contributions are fixed")?;
    if form.from == budget.financial_year {
        return Err(ApiError::field(
            "from",
            "must be another year than this budget's",
        ));
    }
    let source = model::of_year(tx, budget.partnership_id, form.from)?.ok_or_else(|| {
        ApiError::missing(
            "from",
            format!("this partnership has no budget for {}", form.from),
        )
    })?;
    let sources = all_of(tx, &[source.id])?;
    let organisations: Vec<Id> = sources.iter().map(|c| c.organisation_id).collect();
    let members = members_among(tx, budget.partnership_id, &organisations)?;
    let present: Vec<Id> = all_of(tx, &[budget.id])?
        .into_iter()
        .map(|c| c.organisation_id)
        .collect();
    let now = tx.now();
    let status = form.status.unwrap_or(ContributionStatus::Pledged);
    let (mut made, mut skipped) = (Vec::new(), Vec::new());
    for c in &sources {
        let reason = if !members.contains(&c.organisation_id) {
            "no longer a member organisation of the partnership".to_owned()
        } else if present.contains(&c.organisation_id) {
            format!("already contributes to {}", budget.financial_year)
        } else {
            made.push(Contribution {
                id: Id::new(),
                budget_id: budget.id,
                partnership_id: budget.partnership_id,
                organisation_id: c.organisation_id,
                amount_pence: c.amount_pence,
                status,
                note: Some(format!("Copied from {}", form.from)),
                version: 1,
                created_at: now,
                updated_at: now,
            });
            continue;
        };
        skipped.push(Skipped {
            organisation_id: c.organisation_id,
            reason,
        });
    }
    store::insert_many(tx, actor, &made)?;
    Ok((made, skipped))
}
