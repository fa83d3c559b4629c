//! Action rows and their writes: numbers from the partnership's counter,
//! owners resolved from initials and ids, the source meeting and item.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::owners::{self, OwnerId};
use super::rules::{self, ActionFields, ActionStatus, CreateAction, OwnerRef, UpdateAction};
use crate::auth::tenant::{Contribute, Tenant};
use crate::auth::{Access, Principal, Role};
use crate::db::counter::Scope;
use crate::db::schema::{actions, agenda_items, partnership_groups, partnership_members, people};
use crate::db::store::{self, Expected};
use crate::db::{Day, DbConnection, Id, IdList, Tx, UtcTime};
use crate::error::ApiError;
use crate::meetings::model::claim_open;
use crate::validate::Errors;

/// The counter actions are numbered from, per partnership.
pub const NUMBERS: &str = "action";

/// An action of the partnership's log, with its owners: what the API
/// answers and what its audit events hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Action {
    pub id: Id,
    pub partnership_id: Id,
    /// Sequential within the partnership, never reused.
    pub number: i64,
    /// The meeting that agreed it.
    pub meeting_id: Option<Id>,
    /// The agenda item it was agreed under.
    pub item_id: Option<Id>,
    pub description: String,
    /// The people, groups and organisations that own it (see `owners`).
    pub owner_ids: IdList,
    /// Owned by all partners ("ALL").
    pub all_partners: bool,
    pub due_date: Option<Day>,
    pub due_meeting_id: Option<Id>,
    /// The deadline as written: "end of November".
    pub due_text: Option<String>,
    pub status: ActionStatus,
    /// The date it was completed (the date of the update that said so).
    pub completed_on: Option<Day>,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
    /// The owners in order, by kind, as stored in `action_owners`; sent as
    /// `owner_ids` and `all_partners` (set both with [`Action::owned_by`]).
    #[serde(skip)]
    pub owners: Vec<OwnerId>,
}

/// An action's row of `actions`: the action without its owners.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = actions, treat_none_as_null = true)]
pub struct ActionRow {
    pub id: Id,
    pub partnership_id: Id,
    pub number: i64,
    pub meeting_id: Option<Id>,
    pub item_id: Option<Id>,
    pub description: String,
    pub due_date: Option<Day>,
    pub due_meeting_id: Option<Id>,
    pub due_text: Option<String>,
    pub status: ActionStatus,
    pub completed_on: Option<Day>,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

impl Action {
    /// The action stored in `row`, owned by `owners`.
    pub fn from_row(row: ActionRow, owners: Vec<OwnerId>) -> Action {
        let action = Action {
            id: row.id,
            partnership_id: row.partnership_id,
            number: row.number,
            meeting_id: row.meeting_id,
            item_id: row.item_id,
            description: row.description,
            owner_ids: IdList::default(),
            all_partners: false,
            due_date: row.due_date,
            due_meeting_id: row.due_meeting_id,
            due_text: row.due_text,
            status: row.status,
            completed_on: row.completed_on,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
            owners: Vec::new(),
        };
        action.owned_by(owners)
    }

    /// The action's row of `actions`.
    pub fn row(&self) -> ActionRow {
        ActionRow {
            id: self.id,
            partnership_id: self.partnership_id,
            number: self.number,
            meeting_id: self.meeting_id,
            item_id: self.item_id,
            description: self.description.clone(),
            due_date: self.due_date,
            due_meeting_id: self.due_meeting_id,
            due_text: self.due_text.clone(),
            status: self.status,
            completed_on: self.completed_on,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    /// The action owned by `owners` (in this order; all partners first).
    pub fn owned_by(self, owners: Vec<OwnerId>) -> Action {
        Action {
            owner_ids: IdList(owners.iter().filter_map(|o| o.id()).collect()),
            all_partners: owners.contains(&OwnerId::AllPartners),
            owners,
            ..self
        }
    }
}

/// Actions from their rows, each with its owners (one query per thousand).
pub fn with_owners(conn: &mut DbConnection, rows: Vec<ActionRow>) -> Result<Vec<Action>, ApiError> {
    let ids: Vec<Id> = rows.iter().map(|r| r.id).collect();
    let mut owners = owners::of(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let of_row = owners.remove(&row.id).unwrap_or_default();
            Action::from_row(row, of_row)
        })
        .collect())
}

impl crate::audit::Audited for Action {
    const RESOURCE: &'static str = "action";
    fn id(&self) -> Id {
        self.id
    }
    fn partnership_id(&self) -> Option<Id> {
        Some(self.partnership_id)
    }
    fn logged_version(&self) -> Option<i32> {
        Some(self.version)
    }
}

impl store::Versioned for Action {
    fn version(&self) -> i32 {
        self.version
    }
}

/// Written by hand rather than with `record!`: an action is its row and its
/// owners' rows, written together so the audit event (the whole `Action`)
/// says who owns it.
impl store::Record for Action {
    const UNIQUE: &'static [(&'static str, &'static str)] = &[("number", "number")];
    fn stamp(&mut self, version: i32, now: UtcTime) {
        self.version = version;
        self.updated_at = now;
    }
    fn insert_row(&self, conn: &mut DbConnection) -> QueryResult<usize> {
        let rows = diesel::insert_into(actions::table)
            .values(self.row())
            .execute(conn)?;
        owners::insert(conn, self.id, &self.owners)?;
        Ok(rows)
    }
    fn update_row(&self, conn: &mut DbConnection, at: i32) -> QueryResult<usize> {
        let rows = diesel::update(actions::table.find(self.id).filter(actions::version.eq(at)))
            .set(self.row())
            .execute(conn)?;
        if rows == 1 {
            owners::replace(conn, self.id, &self.owners)?;
        }
        Ok(rows)
    }
    fn delete_row(&self, conn: &mut DbConnection) -> QueryResult<usize> {
        // The owners refer to the action; a lost race (no row) rolls back.
        owners::remove(conn, self.id)?;
        diesel::delete(
            actions::table
                .find(self.id)
                .filter(actions::version.eq(self.version)),
        )
        .execute(conn)
    }
}

/// New actions written together: their rows by multi-row `INSERT`s, then
/// all their owners' rows the same way.
impl store::BatchInsert for Action {
    fn insert_rows(list: &[Self], conn: &mut DbConnection) -> QueryResult<usize> {
        let rows: Vec<ActionRow> = list.iter().map(Action::row).collect();
        let written = match conn {
            DbConnection::Pg(pg) => diesel::insert_into(actions::table)
                .values(&rows)
                .execute(pg)?,
            DbConnection::Sqlite(lite) => diesel::insert_into(actions::table)
                .values(&rows)
                .execute(lite)?,
        };
        let owners: Vec<(Id, &[OwnerId])> =
            list.iter().map(|a| (a.id, a.owners.as_slice())).collect();
        owners::insert_many(conn, &owners)?;
        Ok(written)
    }
}

impl Action {
    pub fn fields(&self) -> ActionFields {
        let owners = self
            .owners
            .iter()
            .map(|o| o.id().map_or(OwnerRef::AllPartners, OwnerRef::Id))
            .collect();
        ActionFields {
            meeting_id: self.meeting_id,
            item_id: self.item_id,
            description: self.description.clone(),
            owners,
            due_date: self.due_date,
            due_meeting_id: self.due_meeting_id,
            due_text: self.due_text.clone(),
            status: self.status,
        }
    }
}

/// An action by id, whatever its partnership.
fn find_any(conn: &mut DbConnection, id: Id) -> Result<Action, ApiError> {
    let row = actions::table
        .find(id)
        .select(ActionRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such action"))?;
    let mut found = with_owners(conn, vec![row])?;
    found
        .pop()
        .ok_or_else(|| ApiError::not_found("no such action"))
}

/// The action as stored now (after a write took the partnership's lock).
pub fn reload(conn: &mut DbConnection, id: Id) -> Result<Action, ApiError> {
    find_any(conn, id)
}

/// An action the caller may `access`, with the caller's role: another
/// partnership's action is 404; an action agreed under a confidential item
/// is 403 for a viewer.
pub fn find_for(
    conn: &mut DbConnection,
    principal: &Principal,
    id: Id,
    access: Access,
) -> Result<(Action, Role), ApiError> {
    let action = find_any(conn, id)?;
    let role = principal.require_for_record(action.partnership_id, access, "no such action")?;
    if !role.sees_confidential()
        && confidential_items(conn, std::slice::from_ref(&action))?.contains(&id)
    {
        return Err(ApiError::forbidden(
            "this action was agreed under a confidential item",
        ));
    }
    Ok((action, role))
}

/// Which of these actions were agreed under a confidential item.
pub fn confidential_items(conn: &mut DbConnection, list: &[Action]) -> Result<Vec<Id>, ApiError> {
    let item_ids: Vec<Id> = list.iter().filter_map(|a| a.item_id).collect();
    if item_ids.is_empty() {
        return Ok(Vec::new());
    }
    let secret: Vec<Id> = crate::db::by_ids(item_ids, |ids| {
        agenda_items::table
            .filter(agenda_items::id.eq_any(ids))
            .filter(agenda_items::confidential.eq(true))
            .select(agenda_items::id)
            .load(conn)
    })?;
    Ok(list
        .iter()
        .filter(|a| a.item_id.is_some_and(|i| secret.contains(&i)))
        .map(|a| a.id)
        .collect())
}

/// The source meeting and item: the item must be of the meeting (its
/// meeting is taken when none is given); both of this partnership.
fn check_source(
    conn: &mut DbConnection,
    partnership_id: Id,
    fields: &mut ActionFields,
) -> Result<(), ApiError> {
    if let Some(item_id) = fields.item_id {
        let meeting_of_item: Option<Id> = agenda_items::table
            .filter(agenda_items::id.eq(item_id))
            .filter(agenda_items::partnership_id.eq(partnership_id))
            .select(agenda_items::meeting_id)
            .first(conn)
            .optional()?;
        let Some(meeting_of_item) = meeting_of_item else {
            return Err(ApiError::missing(
                "item_id",
                "no such item in this partnership",
            ));
        };
        match fields.meeting_id {
            Some(m) if m != meeting_of_item => {
                return Err(ApiError::field(
                    "item_id",
                    "is an item of another meeting than meeting_id",
                ))
            }
            _ => fields.meeting_id = Some(meeting_of_item),
        }
    }
    for (field, id) in [
        ("meeting_id", fields.meeting_id),
        ("due_meeting_id", fields.due_meeting_id),
    ] {
        if let Some(id) = id {
            crate::meetings::model::find_in(conn, partnership_id, id).map_err(
                ApiError::missing_as(field, "no such meeting in this partnership"),
            )?;
        }
    }
    Ok(())
}

/// Resolves owners in four queries whatever their number: initials against
/// the partnership's people (422 naming each unknown one), ids against its
/// people, groups and member organisations (404 naming each unknown one).
/// All partners come first, the others in the order given.
pub fn resolve_owners(
    conn: &mut DbConnection,
    partnership_id: Id,
    owners: &[OwnerRef],
) -> Result<Vec<OwnerId>, ApiError> {
    let initials: Vec<&String> = owners
        .iter()
        .filter_map(|o| match o {
            OwnerRef::Initials(i) => Some(i),
            _ => None,
        })
        .collect();
    let person_of: HashMap<String, Id> = people::table
        .filter(people::partnership_id.eq(partnership_id))
        .filter(people::initials.eq_any(&initials))
        .select((people::initials, people::id))
        .load::<(String, Id)>(conn)?
        .into_iter()
        .collect();
    let named: Vec<Id> = owners
        .iter()
        .filter_map(|o| match o {
            OwnerRef::Id(id) => Some(*id),
            _ => None,
        })
        .collect();
    let mut known: HashMap<Id, OwnerId> = HashMap::new();
    let persons: Vec<Id> = people::table
        .filter(people::partnership_id.eq(partnership_id))
        .filter(people::id.eq_any(&named))
        .select(people::id)
        .load(conn)?;
    known.extend(persons.into_iter().map(|id| (id, OwnerId::Person(id))));
    let groups: Vec<Id> = partnership_groups::table
        .filter(partnership_groups::partnership_id.eq(partnership_id))
        .filter(partnership_groups::id.eq_any(&named))
        .select(partnership_groups::id)
        .load(conn)?;
    known.extend(groups.into_iter().map(|id| (id, OwnerId::Group(id))));
    let members: Vec<Id> = partnership_members::table
        .filter(partnership_members::partnership_id.eq(partnership_id))
        .filter(partnership_members::organisation_id.eq_any(&named))
        .select(partnership_members::organisation_id)
        .load(conn)?;
    known.extend(
        members
            .into_iter()
            .map(|id| (id, OwnerId::Organisation(id))),
    );

    let mut errors = Errors::new();
    let mut resolved = Vec::new();
    for (i, owner) in owners.iter().enumerate() {
        let field = format!("owners[{i}]");
        let owner = match owner {
            OwnerRef::AllPartners => OwnerId::AllPartners,
            OwnerRef::Initials(initials) => match person_of.get(initials) {
                Some(id) => OwnerId::Person(*id),
                None => {
                    errors.add(
                        &field,
                        format!("no person with initials {initials} in this partnership"),
                    );
                    continue;
                }
            },
            OwnerRef::Id(id) => match known.get(id) {
                Some(owner) => *owner,
                None => {
                    errors.missing(
                        &field,
                        "no such person, group or member organisation in this partnership",
                    );
                    continue;
                }
            },
        };
        if resolved.contains(&owner) {
            errors.add(&field, "is named twice");
        } else if owner == OwnerId::AllPartners {
            resolved.insert(0, owner);
        } else {
            resolved.push(owner);
        }
    }
    errors.finish()?;
    Ok(resolved)
}

/// `base` with the validated `fields` and resolved owners; completing it
/// records `day`.
fn with_fields(base: Action, fields: ActionFields, owners: Vec<OwnerId>, day: Day) -> Action {
    Action {
        meeting_id: fields.meeting_id,
        item_id: fields.item_id,
        description: fields.description,
        due_date: fields.due_date,
        due_meeting_id: fields.due_meeting_id,
        due_text: fields.due_text,
        status: fields.status,
        completed_on: rules::completed_on(base.status, fields.status, base.completed_on, day),
        ..base
    }
    .owned_by(owners)
}

/// Records a new action of the tenant's partnership, in the write scope `tx`
/// opened for it.
pub fn create(
    tx: &mut Tx<'_>,
    tenant: &Tenant<Contribute>,
    form: CreateAction,
) -> Result<Action, ApiError> {
    let (actor, partnership_id, now) = (&tenant.principal, tenant.partnership_id, tx.now());
    let mut fields = rules::from_create(&form)?;
    if form.number.is_some() && tenant.role != Role::Admin {
        return Err(ApiError::forbidden(
            "only an admin imports an action with its own number",
        ));
    }
    check_source(tx, partnership_id, &mut fields)?;
    // Owners are resolved in the write scope, so none is removed meanwhile
    // (a membership's removal holds the change log too).
    let owners = resolve_owners(tx, partnership_id, &fields.owners)?;
    // Agreed at a meeting whose minutes are approved: 409 until reopened.
    if let Some(meeting_id) = fields.meeting_id {
        claim_open(tx, partnership_id, meeting_id)?;
    }
    // Taken last of all checks: a refused request gives its number back.
    let scope = Scope::Partnership(partnership_id);
    let number = match form.number {
        Some(number) => {
            tx.raise(scope, NUMBERS, number)?;
            number
        }
        None => tx.next(scope, NUMBERS)?,
    };
    let stamp = now;
    let new = Action {
        id: Id::new(),
        partnership_id,
        number,
        meeting_id: None,
        item_id: None,
        description: String::new(),
        owner_ids: IdList::default(),
        all_partners: false,
        owners: Vec::new(),
        due_date: None,
        due_meeting_id: None,
        due_text: None,
        status: ActionStatus::Open,
        completed_on: None,
        version: 1,
        created_at: stamp,
        updated_at: stamp,
    };
    let record = with_fields(new, fields, owners, Day::in_uk(now));
    store::insert(tx, actor, &record)?;
    Ok(record)
}

/// Changes an action, in the write scope of its partnership.
pub fn update(
    tx: &mut Tx<'_>,
    actor: &Principal,
    before: Action,
    expected: Expected,
    patch: UpdateAction,
) -> Result<Action, ApiError> {
    store::check(expected, before.version)?;
    let now = tx.now();
    let owners_sent = patch.owners.is_some();
    let mut fields = rules::apply(before.fields(), patch)?;
    check_source(tx, before.partnership_id, &mut fields)?;
    let owners = if owners_sent {
        resolve_owners(tx, before.partnership_id, &fields.owners)?
    } else {
        before.owners.clone()
    };
    // Moved to another meeting or item: neither out of approved minutes nor
    // into them (409). Progress on an action there (status, due date...)
    // stays open.
    let moved = (fields.meeting_id, fields.item_id) != (before.meeting_id, before.item_id);
    if moved {
        for meeting_id in [before.meeting_id, fields.meeting_id].into_iter().flatten() {
            claim_open(tx, before.partnership_id, meeting_id)?;
        }
    }
    let after = with_fields(before.clone(), fields, owners, Day::in_uk(now));
    store::update(tx, actor, &before, after, expected)
}

/// Moves an action to `status` as an update dated `on` says.
pub fn set_status(
    tx: &mut Tx<'_>,
    actor: &Principal,
    before: &Action,
    status: ActionStatus,
    on: Day,
) -> Result<Action, ApiError> {
    let after = Action {
        status,
        completed_on: rules::completed_on(before.status, status, before.completed_on, on),
        ..before.clone()
    };
    store::update(tx, actor, before, after, Expected::Any)
}
