use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules::{self, CreateOrganisation, OrganisationKind, UpdateOrganisation};
use crate::auth::Principal;
use crate::db::schema::organisations;
use crate::db::store::{self, Expected};
use crate::db::Page;
use crate::db::{DbConnection, Id, UtcTime};
use crate::error::ApiError;

/// An agency: council, police force, NHS body, school, charity...
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
#[diesel(table_name = organisations)]
pub struct Organisation {
    pub id: Id,
    pub name: String,
    pub kind: OrganisationKind,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

crate::record!(Organisation, "organisation", organisations, tenant: |_r| None);

pub fn create(
    conn: &mut DbConnection,
    actor: &Principal,
    form: CreateOrganisation,
) -> Result<Organisation, ApiError> {
    let now = UtcTime::now();
    let record = Organisation {
        id: Id::new(),
        name: rules::validate_name(&form.name)?,
        kind: form.kind,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store::insert(conn, actor, &record)?;
    Ok(record)
}

pub fn find(conn: &mut DbConnection, id: Id) -> Result<Organisation, ApiError> {
    organisations::table
        .find(id)
        .select(Organisation::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such organisation"))
}

/// Whether an organisation exists, for records that refer to one.
/// An organisation of the shared registry by its exact name.
pub fn find_by_name(conn: &mut DbConnection, name: &str) -> Result<Option<Organisation>, ApiError> {
    Ok(organisations::table
        .filter(organisations::name.eq(name))
        .select(Organisation::as_select())
        .first(conn)
        .optional()?)
}

pub fn exists(conn: &mut DbConnection, id: Id) -> Result<bool, ApiError> {
    let count: i64 = organisations::table
        .filter(organisations::id.eq(id))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

/// Filters of the organisation list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrganisationFilter {
    pub kind: Option<OrganisationKind>,
    /// Exact name.
    pub name: Option<crate::validate::FilterText>,
}

pub fn list(
    conn: &mut DbConnection,
    filter: &OrganisationFilter,
    page: &Page,
) -> Result<Vec<Organisation>, ApiError> {
    let mut query = organisations::table
        .select(Organisation::as_select())
        .order(organisations::id.asc())
        .limit(page.fetch())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(organisations::id.gt(after));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(organisations::kind.eq(kind));
    }
    if let Some(name) = &filter.name {
        query = query.filter(organisations::name.eq(name.as_str().to_owned()));
    }
    Ok(query.load(conn)?)
}

pub fn update(
    conn: &mut DbConnection,
    actor: &Principal,
    id: Id,
    expected: Expected,
    patch: UpdateOrganisation,
) -> Result<Organisation, ApiError> {
    let before = find(conn, id)?;
    store::check(expected, before.version)?;
    let after = Organisation {
        name: rules::validate_name(patch.name.as_deref().unwrap_or(&before.name))?,
        kind: patch.kind.unwrap_or(before.kind),
        ..before.clone()
    };
    store::update(conn, actor, &before, after, expected)
}
