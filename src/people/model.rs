use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules::{self, CreatePerson, PersonFields, UpdatePerson};
use crate::auth::tenant::{Manage, Tenant};
use crate::auth::Principal;
use crate::db::schema::people;
use crate::db::store::{self, Expected};
use crate::db::Page;
use crate::db::{DbConnection, Id, MultiBackend, Tx, UtcTime};
use crate::error::ApiError;
use crate::{organisations, partnerships};

/// A person who attends, presents, or owns actions.
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
#[diesel(table_name = people, treat_none_as_null = true)]
pub struct Person {
    pub id: Id,
    pub partnership_id: Id,
    pub full_name: String,
    pub initials: String,
    pub job_title: Option<String>,
    pub organisation_id: Option<Id>,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

crate::record!(Person, "person", people, unique: ["initials" => "initials"]);
crate::batch_insert!(Person, crate::db::schema::people);

impl Person {
    fn fields(&self) -> PersonFields {
        PersonFields {
            full_name: self.full_name.clone(),
            initials: self.initials.clone(),
            job_title: self.job_title.clone(),
            organisation_id: self.organisation_id,
        }
    }
}

fn check_organisation(tx: &mut Tx<'_>, organisation_id: Option<Id>) -> Result<(), ApiError> {
    match organisation_id {
        Some(id) if !organisations::model::exists(tx, id)? => {
            Err(ApiError::missing("organisation_id", "no such organisation"))
        }
        Some(_) => organisations::model::ensure_registry_held(tx),
        None => Ok(()),
    }
}

pub fn create(
    tx: &mut Tx<'_>,
    tenant: &Tenant<Manage>,
    form: CreatePerson,
) -> Result<Person, ApiError> {
    let (actor, partnership_id) = (&tenant.principal, tenant.partnership_id);
    partnerships::model::find(tx, partnership_id)?;
    let fields = rules::validate(
        &form.full_name,
        &form.initials,
        form.job_title.as_deref(),
        form.organisation_id,
    )?;
    check_organisation(tx, fields.organisation_id)?;
    let now = tx.now();
    let record = Person {
        id: Id::new(),
        partnership_id,
        full_name: fields.full_name,
        initials: fields.initials,
        job_title: fields.job_title,
        organisation_id: fields.organisation_id,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store::insert(tx, actor, &record)?;
    Ok(record)
}

pub fn find(conn: &mut DbConnection, partnership_id: Id, id: Id) -> Result<Person, ApiError> {
    people::table
        .filter(people::partnership_id.eq(partnership_id))
        .filter(people::id.eq(id))
        .select(Person::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such person"))
}

/// Filters of the people list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PersonFilter {
    /// Exact initials (case-insensitive), e.g. `PG`.
    pub initials: Option<crate::validate::FilterText>,
    pub organisation_id: Option<Id>,
}

pub fn list(
    conn: &mut DbConnection,
    partnership_id: Id,
    filter: &PersonFilter,
    page: &Page,
) -> Result<Vec<Person>, ApiError> {
    // A list of a partnership that does not exist is 404, not an empty page.
    crate::partnerships::model::find(conn, partnership_id)?;
    Ok(list_query(partnership_id, filter, page).load(conn)?)
}

/// A page of people as [`list`] reads it.
pub type PersonQuery =
    people::BoxedQuery<'static, MultiBackend, diesel::dsl::AsSelect<Person, MultiBackend>>;

/// The query [`list`] runs (public so that a test can `EXPLAIN` it).
pub fn list_query(partnership_id: Id, filter: &PersonFilter, page: &Page) -> PersonQuery {
    let mut query = people::table
        .filter(people::partnership_id.eq(partnership_id))
        .select(Person::as_select())
        .order(people::id.asc())
        .limit(page.fetch())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(people::id.gt(after));
    }
    if let Some(initials) = &filter.initials {
        query = query.filter(people::initials.eq(initials.as_str().trim().to_uppercase()));
    }
    if let Some(org) = filter.organisation_id {
        query = query.filter(people::organisation_id.eq(org));
    }
    query
}

pub fn update(
    tx: &mut Tx<'_>,
    actor: &Principal,
    partnership_id: Id,
    id: Id,
    expected: Expected,
    patch: UpdatePerson,
) -> Result<Person, ApiError> {
    let before = find(tx, partnership_id, id)?;
    store::check(expected, before.version)?;
    let fields = rules::apply(before.fields(), patch)?;
    if fields.organisation_id != before.organisation_id {
        check_organisation(tx, fields.organisation_id)?;
    }
    let after = Person {
        full_name: fields.full_name,
        initials: fields.initials,
        job_title: fields.job_title,
        organisation_id: fields.organisation_id,
        ..before.clone()
    };
    store::update(tx, actor, &before, after, expected)
}
