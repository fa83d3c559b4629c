use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules::{CreateMember, MemberRole, UpdateMember};
use crate::actions::owners::{self, OwnerId};
use crate::auth::tenant::{Manage, Tenant};
use crate::auth::Principal;
use crate::db::schema::partnership_members as members;
use crate::db::store::{self, Expected};
use crate::db::Page;
use crate::db::{DbConnection, Id, MultiBackend, Tx, UtcTime};
use crate::error::ApiError;
use crate::validate::Errors;
use crate::{organisations, partnerships};

/// An organisation's membership of a partnership.
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
#[diesel(table_name = members)]
pub struct Member {
    pub id: Id,
    pub partnership_id: Id,
    pub organisation_id: Id,
    pub role: MemberRole,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

crate::record!(Member, "member", members, unique: ["organisation_id" => "organisation_id"]);

pub fn create(
    tx: &mut Tx<'_>,
    tenant: &Tenant<Manage>,
    form: CreateMember,
) -> Result<Member, ApiError> {
    let (actor, partnership_id) = (&tenant.principal, tenant.partnership_id);
    partnerships::model::find(tx, partnership_id)?;
    if !organisations::model::exists(tx, form.organisation_id)? {
        return Err(ApiError::missing("organisation_id", "no such organisation"));
    }
    organisations::model::ensure_registry_held(tx)?;
    let now = tx.now();
    let record = Member {
        id: Id::new(),
        partnership_id,
        organisation_id: form.organisation_id,
        role: form.role,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store::insert(tx, actor, &record)?;
    Ok(record)
}

/// Notes in `errors` what is wrong with `field` naming `organisation_id` as
/// the agency a record acts for (a client's organisation, submitted values):
/// missing (404) when no such organisation exists, invalid (422) when it is
/// not a member of the partnership.
pub fn check_member(
    conn: &mut DbConnection,
    partnership_id: Id,
    field: &str,
    organisation_id: Id,
    errors: &mut Errors,
) -> Result<(), ApiError> {
    let member: i64 = members::table
        .filter(members::partnership_id.eq(partnership_id))
        .filter(members::organisation_id.eq(organisation_id))
        .count()
        .get_result(conn)?;
    if member > 0 {
        return Ok(());
    }
    if organisations::model::exists(conn, organisation_id)? {
        errors.add(
            field,
            "is not a member of this partnership; add it as a member first",
        );
    } else {
        errors.missing(field, "no such organisation");
    }
    Ok(())
}

pub fn find(conn: &mut DbConnection, partnership_id: Id, id: Id) -> Result<Member, ApiError> {
    members::table
        .filter(members::partnership_id.eq(partnership_id))
        .filter(members::id.eq(id))
        .select(Member::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such member"))
}

/// Filters of the member list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberFilter {
    pub role: Option<MemberRole>,
    pub organisation_id: Option<Id>,
}

pub fn list(
    conn: &mut DbConnection,
    partnership_id: Id,
    filter: &MemberFilter,
    page: &Page,
) -> Result<Vec<Member>, ApiError> {
    // A list of a partnership that does not exist is 404, not an empty page.
    crate::partnerships::model::find(conn, partnership_id)?;
    Ok(list_query(partnership_id, filter, page).load(conn)?)
}

/// A page of members as [`list`] reads it.
pub type MemberQuery =
    members::BoxedQuery<'static, MultiBackend, diesel::dsl::AsSelect<Member, MultiBackend>>;

/// The query [`list`] runs (public so that a test can `EXPLAIN` it).
pub fn list_query(partnership_id: Id, filter: &MemberFilter, page: &Page) -> MemberQuery {
    let mut query = members::table
        .filter(members::partnership_id.eq(partnership_id))
        .select(Member::as_select())
        .order(members::id.asc())
        .limit(page.fetch())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(members::id.gt(after));
    }
    if let Some(role) = filter.role {
        query = query.filter(members::role.eq(role));
    }
    if let Some(org) = filter.organisation_id {
        query = query.filter(members::organisation_id.eq(org));
    }
    query
}

pub fn update(
    tx: &mut Tx<'_>,
    actor: &Principal,
    partnership_id: Id,
    id: Id,
    expected: Expected,
    patch: UpdateMember,
) -> Result<Member, ApiError> {
    let before = find(tx, partnership_id, id)?;
    store::check(expected, before.version)?;
    let after = Member {
        role: patch.role.unwrap_or(before.role),
        ..before.clone()
    };
    store::update(tx, actor, &before, after, expected)
}

/// Removes a membership recorded in error; the audit event keeps what it was.
pub fn delete(
    tx: &mut Tx<'_>,
    actor: &Principal,
    partnership_id: Id,
    id: Id,
    expected: Expected,
) -> Result<(), ApiError> {
    let before = find(tx, partnership_id, id)?;
    store::check(expected, before.version)?;
    // The write scope is held before the check, so that no action can be
    // given this owner between the check and the removal (owners are
    // resolved in it).
    let owner = OwnerId::Organisation(before.organisation_id);
    owners::refuse_if_owning(tx, partnership_id, owner, "this member organisation")?;
    crate::risks::model::refuse_if_owning(tx, partnership_id, before.organisation_id)?;
    store::delete(tx, actor, &before, expected)
}
