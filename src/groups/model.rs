use std::collections::HashMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules::{self, CreateGroup, GroupFields, UpdateGroup};
use crate::auth::tenant::{Manage, Tenant};
use crate::auth::Principal;
use crate::db::schema::partnership_groups as groups;
use crate::db::store::{self, Expected};
use crate::db::Page;
use crate::db::{DbConnection, Id, MultiBackend, Tx, UtcTime};
use crate::error::ApiError;
use crate::partnerships;

/// A board or group of the partnership.
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
#[diesel(table_name = groups, treat_none_as_null = true)]
pub struct Group {
    pub id: Id,
    pub partnership_id: Id,
    pub name: String,
    pub short_name: String,
    pub parent_group_id: Option<Id>,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

crate::record!(Group, "group", groups, unique: ["short_name" => "short_name"]);

impl Group {
    fn fields(&self) -> GroupFields {
        GroupFields {
            name: self.name.clone(),
            short_name: self.short_name.clone(),
            parent_group_id: self.parent_group_id,
        }
    }
}

/// The parent must be a group of the same partnership.
fn check_parent(
    conn: &mut DbConnection,
    partnership_id: Id,
    parent: Option<Id>,
) -> Result<(), ApiError> {
    match parent {
        Some(parent) if find(conn, partnership_id, parent).is_err() => Err(ApiError::missing(
            "parent_group_id",
            "no such group in this partnership",
        )),
        _ => Ok(()),
    }
}

pub fn create(
    tx: &mut Tx<'_>,
    tenant: &Tenant<Manage>,
    form: CreateGroup,
) -> Result<Group, ApiError> {
    let (actor, partnership_id) = (&tenant.principal, tenant.partnership_id);
    partnerships::model::find(tx, partnership_id)?;
    let fields = rules::validate(&form.name, &form.short_name, form.parent_group_id)?;
    check_parent(tx, partnership_id, fields.parent_group_id)?;
    let now = tx.now();
    let record = Group {
        id: Id::new(),
        partnership_id,
        name: fields.name,
        short_name: fields.short_name,
        parent_group_id: fields.parent_group_id,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store::insert(tx, actor, &record)?;
    Ok(record)
}

pub fn find(conn: &mut DbConnection, partnership_id: Id, id: Id) -> Result<Group, ApiError> {
    groups::table
        .filter(groups::partnership_id.eq(partnership_id))
        .filter(groups::id.eq(id))
        .select(Group::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such group"))
}

/// Filters of the group list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GroupFilter {
    /// Groups reporting to this one.
    pub parent_group_id: Option<Id>,
    /// Exact short name, e.g. `SLG`.
    pub short_name: Option<crate::validate::FilterText>,
}

pub fn list(
    conn: &mut DbConnection,
    partnership_id: Id,
    filter: &GroupFilter,
    page: &Page,
) -> Result<Vec<Group>, ApiError> {
    // A list of a partnership that does not exist is 404, not an empty page.
    crate::partnerships::model::find(conn, partnership_id)?;
    Ok(list_query(partnership_id, filter, page).load(conn)?)
}

/// A page of groups as [`list`] reads it.
pub type GroupQuery =
    groups::BoxedQuery<'static, MultiBackend, diesel::dsl::AsSelect<Group, MultiBackend>>;

/// The query [`list`] runs (public so that a test can `EXPLAIN` it).
pub fn list_query(partnership_id: Id, filter: &GroupFilter, page: &Page) -> GroupQuery {
    let mut query = groups::table
        .filter(groups::partnership_id.eq(partnership_id))
        .select(Group::as_select())
        .order(groups::id.asc())
        .limit(page.fetch())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(groups::id.gt(after));
    }
    if let Some(parent) = filter.parent_group_id {
        query = query.filter(groups::parent_group_id.eq(parent));
    }
    if let Some(short_name) = &filter.short_name {
        query = query.filter(groups::short_name.eq(short_name.as_str().to_owned()));
    }
    query
}

pub fn update(
    tx: &mut Tx<'_>,
    actor: &Principal,
    partnership_id: Id,
    id: Id,
    expected: Expected,
    patch: UpdateGroup,
) -> Result<Group, ApiError> {
    let before = find(tx, partnership_id, id)?;
    store::check(expected, before.version)?;
    let fields = rules::apply(before.fields(), patch)?;
    if let Some(parent) = fields
        .parent_group_id
        .filter(|p| Some(*p) != before.parent_group_id)
    {
        check_parent(tx, partnership_id, Some(parent))?;
        let parent_of: HashMap<Id, Option<Id>> = groups::table
            .filter(groups::partnership_id.eq(partnership_id))
            .select((groups::id, groups::parent_group_id))
            .load::<(Id, Option<Id>)>(&mut **tx)?
            .into_iter()
            .collect();
        if rules::creates_cycle(id, parent, &parent_of) {
            // The hierarchy as it stands forbids it: a conflict with stored
            // state, not a malformed field.
            return Err(ApiError::conflict(
                "parent_group_id: a group cannot report to itself or to a group below it",
            ));
        }
    }
    let after = Group {
        name: fields.name,
        short_name: fields.short_name,
        parent_group_id: fields.parent_group_id,
        ..before.clone()
    };
    store::update(tx, actor, &before, after, expected)
}
