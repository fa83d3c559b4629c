//! An action's owners as rows of `action_owners`: kept in order (all
//! partners first), each naming what it is and referring to the person,
//! group or organisation by a foreign key (all partners refer to nothing).
//! They are written with their action (its `Record` impl), so the action's
//! audit event shows them, and looked up by the indexes on each reference.

use std::collections::HashMap;

use diesel::prelude::*;

use super::rules;
use crate::db::schema::{action_owners, actions};
use crate::db::{DbConnection, Id};
use crate::error::ApiError;

crate::text_enum! {
    /// What kind of owner: a person, a group, an organisation, or all partners.
    pub enum OwnerKind {
        Person => "person",
        Group => "group",
        Organisation => "organisation",
        AllPartners => "all_partners",
    }
}

/// One owner as stored: what it is and which one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OwnerId {
    AllPartners,
    Person(Id),
    Group(Id),
    /// A member organisation of the action's partnership.
    Organisation(Id),
}

impl OwnerId {
    pub fn kind(self) -> OwnerKind {
        match self {
            OwnerId::AllPartners => OwnerKind::AllPartners,
            OwnerId::Person(_) => OwnerKind::Person,
            OwnerId::Group(_) => OwnerKind::Group,
            OwnerId::Organisation(_) => OwnerKind::Organisation,
        }
    }

    /// The person's, group's or organisation's id; none for all partners.
    pub fn id(self) -> Option<Id> {
        match self {
            OwnerId::AllPartners => None,
            OwnerId::Person(id) | OwnerId::Group(id) | OwnerId::Organisation(id) => Some(id),
        }
    }
}

/// A row of `action_owners`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = action_owners)]
struct OwnerRow {
    action_id: Id,
    position: i32,
    kind: OwnerKind,
    person_id: Option<Id>,
    group_id: Option<Id>,
    organisation_id: Option<Id>,
}

impl OwnerRow {
    fn new(action_id: Id, position: usize, owner: OwnerId) -> Self {
        let of = |kind: OwnerKind| owner.id().filter(|_| owner.kind() == kind);
        OwnerRow {
            action_id,
            // At most `rules::MAX_OWNERS` owners, so it fits.
            position: i32::try_from(position).unwrap_or(i32::MAX),
            kind: owner.kind(),
            person_id: of(OwnerKind::Person),
            group_id: of(OwnerKind::Group),
            organisation_id: of(OwnerKind::Organisation),
        }
    }

    /// The owner the row names (the CHECK constraints make it exactly one).
    fn owner(&self) -> Option<OwnerId> {
        match self.kind {
            OwnerKind::AllPartners => Some(OwnerId::AllPartners),
            OwnerKind::Person => self.person_id.map(OwnerId::Person),
            OwnerKind::Group => self.group_id.map(OwnerId::Group),
            OwnerKind::Organisation => self.organisation_id.map(OwnerId::Organisation),
        }
    }
}

/// The owners of each of the actions `ids`, in order; an action without
/// owners is absent.
pub fn of(conn: &mut DbConnection, ids: &[Id]) -> QueryResult<HashMap<Id, Vec<OwnerId>>> {
    let mut owners: HashMap<Id, Vec<OwnerId>> = HashMap::new();
    for chunk in ids.chunks(crate::db::IDS_PER_QUERY) {
        let rows: Vec<OwnerRow> = action_owners::table
            .filter(action_owners::action_id.eq_any(chunk))
            .order((action_owners::action_id, action_owners::position))
            .select(OwnerRow::as_select())
            .load(conn)?;
        for row in rows {
            if let Some(owner) = row.owner() {
                owners.entry(row.action_id).or_default().push(owner);
            }
        }
    }
    Ok(owners)
}

/// Stores `owners` as the owners of the new action `action_id`, in order.
pub(super) fn insert(
    conn: &mut DbConnection,
    action_id: Id,
    owners: &[OwnerId],
) -> QueryResult<()> {
    insert_many(conn, &[(action_id, owners)])
}

/// Rows per multi-row `INSERT` of owners: six columns a row keeps it far
/// under SQLite's 32,766 bind parameters.
const ROWS_PER_INSERT: usize = 800;

/// Stores the owners of new actions, in order, by multi-row `INSERT`s.
pub(super) fn insert_many(
    conn: &mut DbConnection,
    actions: &[(Id, &[OwnerId])],
) -> QueryResult<()> {
    let rows: Vec<OwnerRow> = actions
        .iter()
        .flat_map(|(action_id, owners)| {
            owners
                .iter()
                .enumerate()
                .map(|(position, owner)| OwnerRow::new(*action_id, position, *owner))
        })
        .collect();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        match conn {
            DbConnection::Pg(pg) => diesel::insert_into(action_owners::table)
                .values(chunk)
                .execute(pg)?,
            DbConnection::Sqlite(lite) => diesel::insert_into(action_owners::table)
                .values(chunk)
                .execute(lite)?,
        };
    }
    Ok(())
}

pub(super) fn replace(
    conn: &mut DbConnection,
    action_id: Id,
    owners: &[OwnerId],
) -> QueryResult<()> {
    let stored = of(conn, &[action_id])?
        .remove(&action_id)
        .unwrap_or_default();
    if stored == owners {
        return Ok(());
    }
    remove(conn, action_id)?;
    insert(conn, action_id, owners)
}

/// Removes the owners of the action `action_id`.
pub(super) fn remove(conn: &mut DbConnection, action_id: Id) -> QueryResult<usize> {
    diesel::delete(action_owners::table.filter(action_owners::action_id.eq(action_id)))
        .execute(conn)
}

/// Refuses (409, naming them by number) to remove `owner` from the
/// partnership while it owns actions of it; `what` says what it is ("this
/// organisation").
pub fn refuse_if_owning(
    conn: &mut DbConnection,
    partnership_id: Id,
    owner: OwnerId,
    what: &str,
) -> Result<(), ApiError> {
    let of_partnership = actions::table
        .filter(actions::partnership_id.eq(partnership_id))
        .order(actions::number.asc())
        .select(actions::number)
        .into_boxed();
    let owned = action_owners::table.select(action_owners::action_id);
    let numbers: Vec<i64> =
        match owner {
            OwnerId::AllPartners => of_partnership.filter(
                actions::id.eq_any(owned.filter(action_owners::kind.eq(OwnerKind::AllPartners))),
            ),
            OwnerId::Person(id) => of_partnership
                .filter(actions::id.eq_any(owned.filter(action_owners::person_id.eq(id)))),
            OwnerId::Group(id) => of_partnership
                .filter(actions::id.eq_any(owned.filter(action_owners::group_id.eq(id)))),
            OwnerId::Organisation(id) => of_partnership
                .filter(actions::id.eq_any(owned.filter(action_owners::organisation_id.eq(id)))),
        }
        .load(conn)?;
    Ok(rules::not_owning(what, &numbers)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_names_exactly_its_owner() {
        let id = Id::new();
        for owner in [
            OwnerId::AllPartners,
            OwnerId::Person(id),
            OwnerId::Group(id),
            OwnerId::Organisation(id),
        ] {
            let row = OwnerRow::new(Id::new(), 2, owner);
            assert_eq!(row.owner(), Some(owner));
            let refs = [row.person_id, row.group_id, row.organisation_id];
            let named = refs.iter().flatten().count();
            assert_eq!(named, usize::from(owner != OwnerId::AllPartners));
        }
    }
}
