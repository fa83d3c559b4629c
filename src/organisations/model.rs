use std::collections::BTreeSet;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules::{self, CreateOrganisation, OrganisationKind, UpdateOrganisation};

use crate::auth::{Principal, Role};
use crate::db::counter::Scope;
use crate::db::schema::organisations;
use crate::db::store::{self, Expected};
use crate::db::Page;
use crate::db::{DbConnection, Id, MultiBackend, Tx, UtcTime};
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
    /// What names are compared by ([`rules::name_key`]); unique, never sent.
    #[serde(skip)]
    pub name_key: String,
    pub kind: OrganisationKind,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

crate::record!(
    Organisation,
    "organisation",
    organisations,
    tenant: |_r| None,
    unique: ["name_key" => "name"],
);

pub fn create(
    tx: &mut Tx<'_>,
    actor: &Principal,
    form: CreateOrganisation,
) -> Result<Organisation, ApiError> {
    let name = rules::validate_name(&form.name)?;
    let name_key = rules::name_key(&name);
    ensure_name_free(tx, &name, &name_key, None)?;
    let now = tx.now();
    let record = Organisation {
        id: Id::new(),
        name,
        name_key,
        kind: form.kind,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    // Two creations of one name at once: the unique `name_key` refuses the
    // second (409 naming `name`) when the check above could not see the first.
    store::insert(tx, actor, &record)?;
    Ok(record)
}

/// 409 naming the organisation that already has this name (compared by
/// [`rules::name_key`]), other than `except` (the one being renamed).
fn ensure_name_free(
    conn: &mut DbConnection,
    name: &str,
    name_key: &str,
    except: Option<Id>,
) -> Result<(), ApiError> {
    match find_by_name(conn, name_key)? {
        Some(existing) if Some(existing.id) != except => Err(ApiError::conflict(format!(
            "name: organisation {} is already registered as \"{}\" (names are compared \
             ignoring case and runs of spaces): refer to it rather than registering \"{name}\" again",
            existing.id, existing.name
        ))),
        _ => Ok(()),
    }
}

pub fn find(conn: &mut DbConnection, id: Id) -> Result<Organisation, ApiError> {
    organisations::table
        .find(id)
        .select(Organisation::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such organisation"))
}

/// The organisation of the shared registry with this name, compared as
/// every match by name is (ignoring case and runs of spaces).
pub fn find_by_name(conn: &mut DbConnection, name: &str) -> Result<Option<Organisation>, ApiError> {
    Ok(organisations::table
        .filter(organisations::name_key.eq(rules::name_key(name)))
        .select(Organisation::as_select())
        .first(conn)
        .optional()?)
}

/// Whether an organisation exists, for records that refer to one.
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
    /// The organisation of this name, compared ignoring case and runs of
    /// spaces ("west mercia  police" finds "West Mercia Police").
    pub name: Option<crate::validate::FilterText>,
    /// Organisations whose name contains this text, compared the same way
    /// (ignoring case and runs of spaces): `q=mercia` finds "West Mercia Police".
    pub q: Option<crate::validate::FilterText>,
}

pub fn list(
    conn: &mut DbConnection,
    filter: &OrganisationFilter,
    page: &Page,
) -> Result<Vec<Organisation>, ApiError> {
    Ok(list_query(filter, page).load(conn)?)
}

/// A page of the registry as [`list`] reads it.
pub type OrganisationQuery = organisations::BoxedQuery<
    'static,
    MultiBackend,
    diesel::dsl::AsSelect<Organisation, MultiBackend>,
>;

/// The query [`list`] runs (public so that a test can `EXPLAIN` it).
pub fn list_query(filter: &OrganisationFilter, page: &Page) -> OrganisationQuery {
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
        query = query.filter(organisations::name_key.eq(rules::name_key(name.as_str())));
    }
    if let Some(q) = &filter.q {
        let pattern = format!("%{}%", rules::like_escaped(&rules::name_key(q.as_str())));
        query = query.filter(organisations::name_key.like(pattern).escape('\\'));
    }
    query
}

/// Refuses (as the bug it would be) a write that makes its partnership refer
/// to the registry outside a write scope that holds it ([`Tx::referring`]).
pub fn ensure_registry_held(tx: &Tx<'_>) -> Result<(), ApiError> {
    if tx.holds_registry() {
        Ok(())
    } else {
        Err(ApiError::internal(
            "a write that refers to the registry must open its scope with Tx::referring",
        ))
    }
}

/// Renames or re-classifies an organisation. Only a platform administrator
/// changes one that a partnership the caller does not administer refers to
/// (403); every referring partnership's change log records the change.
/// The organisation `id` and the partnerships that refer to it, if `actor`
/// may change it (403 otherwise). Asked once before the registry's log is
/// held, so a caller who may not change it never waits for it or holds it
/// up, and again under it.
pub fn may_change(
    conn: &mut DbConnection,
    actor: &Principal,
    id: Id,
) -> Result<(Organisation, Vec<Id>), ApiError> {
    let before = find(conn, id)?;
    let referrers = referring_partnerships(conn, id)?;
    let administered: Vec<Id> = actor
        .roles
        .iter()
        .filter(|(_, role)| **role == Role::Admin)
        .map(|(id, _)| *id)
        .collect();
    rules::may_change(actor.platform_admin, &administered, &referrers)
        .map_err(ApiError::forbidden)?;
    Ok((before, referrers))
}

pub fn update(
    tx: &mut Tx<'_>,
    actor: &Principal,
    id: Id,
    expected: Expected,
    patch: UpdateOrganisation,
) -> Result<Organisation, ApiError> {
    // The registry's log is held (the route opened the platform's write
    // scope) before the row is read: a concurrent change of this organisation
    // has committed by then, so `If-Match: *` never meets a 412.
    tx.ensure_holds(Scope::Platform)?;
    let (before, referrers) = may_change(tx, actor, id)?;
    store::check(expected, before.version)?;
    let name = rules::validate_name(patch.name.as_deref().unwrap_or(&before.name))?;
    let name_key = rules::name_key(&name);
    ensure_name_free(tx, &name, &name_key, Some(id))?;
    let after = Organisation {
        name,
        name_key,
        kind: patch.kind.unwrap_or(before.kind),
        ..before.clone()
    };
    store::update_shared(tx, actor, &before, after, expected, &referrers)
}

/// The partnerships that refer to an organisation, in id order: those it is
/// a member of, and those whose people, clients, submitted values or
/// actions (as an owner) name it.
pub fn referring_partnerships(conn: &mut DbConnection, id: Id) -> Result<Vec<Id>, ApiError> {
    use crate::db::schema::{
        action_owners, actions, api_clients, metric_values, partnership_members, people,
    };
    let mut found: BTreeSet<Id> = BTreeSet::new();
    found.extend(
        partnership_members::table
            .filter(partnership_members::organisation_id.eq(id))
            .select(partnership_members::partnership_id)
            .load::<Id>(conn)?,
    );
    found.extend(
        people::table
            .filter(people::organisation_id.eq(id))
            .select(people::partnership_id)
            .distinct()
            .load::<Id>(conn)?,
    );
    found.extend(
        api_clients::table
            .filter(api_clients::organisation_id.eq(id))
            .select(api_clients::partnership_id)
            .distinct()
            .load::<Option<Id>>(conn)?
            .into_iter()
            .flatten(),
    );
    found.extend(
        metric_values::table
            .filter(metric_values::organisation_id.eq(id))
            .select(metric_values::partnership_id)
            .distinct()
            .load::<Id>(conn)?,
    );
    let owned = action_owners::table
        .filter(action_owners::organisation_id.eq(id))
        .select(action_owners::action_id);
    found.extend(
        actions::table
            .filter(actions::id.eq_any(owned))
            .select(actions::partnership_id)
            .distinct()
            .load::<Id>(conn)?,
    );
    Ok(found.into_iter().collect())
}
