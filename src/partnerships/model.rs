//! Partnership rows and their queries.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules::{self, CreatePartnership, PartnershipFields, UpdatePartnership};
use crate::auth::Principal;
use crate::db::counter::Scope;
use crate::db::schema::partnerships;
use crate::db::store::{self, Expected};
use crate::db::Page;
use crate::db::{DbConnection, Id, MultiBackend, Tx, UtcTime};
use crate::error::ApiError;

/// A safeguarding partnership.
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
#[diesel(table_name = partnerships)]
pub struct Partnership {
    pub id: Id,
    pub name: String,
    pub slug: String,
    pub area: String,
    /// How this partnership's action references read, e.g.
    /// `Action No {number}[ ({date}[ ref {item}])]`.
    pub action_reference_format: String,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

crate::record!(Partnership, "partnership", partnerships, tenant: |r| Some(r.id), unique: ["slug" => "slug"]);

impl Partnership {
    fn fields(&self) -> PartnershipFields {
        PartnershipFields {
            name: self.name.clone(),
            slug: self.slug.clone(),
            area: self.area.clone(),
            action_reference_format: self.action_reference_format.clone(),
        }
    }
}

/// Creates a partnership. Its write scope is its own change log, opened here
/// once its id is minted: the creation is the log's first event.
pub fn create(
    conn: &mut DbConnection,
    actor: &Principal,
    form: CreatePartnership,
    now: UtcTime,
) -> Result<Partnership, ApiError> {
    let fields = rules::validate(
        &form.name,
        &form.slug,
        &form.area,
        form.action_reference_format
            .as_deref()
            .unwrap_or(rules::DEFAULT_REFERENCE_FORMAT),
    )?;
    let id = Id::new();
    let mut tx = Tx::hold(conn, Scope::Partnership(id), now)?;
    let record = Partnership {
        id,
        name: fields.name,
        slug: fields.slug,
        area: fields.area,
        action_reference_format: fields.action_reference_format,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store::insert(&mut tx, actor, &record)?;
    Ok(record)
}

/// The partnership, or 404.
pub fn find(conn: &mut DbConnection, id: Id) -> Result<Partnership, ApiError> {
    partnerships::table
        .find(id)
        .select(Partnership::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such partnership"))
}

/// Filters of the partnership list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PartnershipFilter {
    /// Exact slug.
    pub slug: Option<crate::validate::FilterText>,
    /// Exact area.
    pub area: Option<crate::validate::FilterText>,
}

/// Partnerships among `visible` (all of them when `None`), in creation order.
/// A partnership by its slug (the public minutes address).
pub fn find_by_slug(conn: &mut DbConnection, slug: &str) -> Result<Partnership, ApiError> {
    // No stored slug can be malformed; the database need not be asked.
    if super::rules::check_slug(slug).is_err() {
        return Err(ApiError::not_found("no such partnership"));
    }
    partnerships::table
        .filter(partnerships::slug.eq(slug))
        .select(Partnership::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such partnership"))
}

pub fn list(
    conn: &mut DbConnection,
    visible: Option<Vec<Id>>,
    filter: &PartnershipFilter,
    page: &Page,
) -> Result<Vec<Partnership>, ApiError> {
    Ok(list_query(visible, filter, page).load(conn)?)
}

/// A page of partnerships as [`list`] reads it.
pub type PartnershipQuery = partnerships::BoxedQuery<
    'static,
    MultiBackend,
    diesel::dsl::AsSelect<Partnership, MultiBackend>,
>;

/// The query [`list`] runs (public so that a test can `EXPLAIN` it).
pub fn list_query(
    visible: Option<Vec<Id>>,
    filter: &PartnershipFilter,
    page: &Page,
) -> PartnershipQuery {
    let mut query = partnerships::table
        .select(Partnership::as_select())
        .order(partnerships::id.asc())
        .limit(page.fetch())
        .into_boxed();
    if let Some(ids) = visible {
        query = query.filter(partnerships::id.eq_any(ids));
    }
    if let Some(after) = page.after {
        query = query.filter(partnerships::id.gt(after));
    }
    if let Some(slug) = &filter.slug {
        query = query.filter(partnerships::slug.eq(slug.as_str().to_owned()));
    }
    if let Some(area) = &filter.area {
        query = query.filter(partnerships::area.eq(area.as_str().to_owned()));
    }
    query
}

pub fn update(
    tx: &mut Tx<'_>,
    actor: &Principal,
    id: Id,
    expected: Expected,
    patch: UpdatePartnership,
) -> Result<Partnership, ApiError> {
    let before = find(tx, id)?;
    store::check(expected, before.version)?;
    let fields = rules::apply(before.fields(), patch)?;
    let after = Partnership {
        name: fields.name,
        slug: fields.slug,
        area: fields.area,
        action_reference_format: fields.action_reference_format,
        ..before.clone()
    };
    store::update(tx, actor, &before, after, expected)
}
