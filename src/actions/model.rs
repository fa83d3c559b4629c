//! Action rows and their writes: numbers from the partnership's counter,
//! owners resolved from initials and ids, the source meeting and item.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules::{self, ActionFields, ActionStatus, CreateAction, OwnerRef, UpdateAction};
use crate::auth::{Access, Principal, Role};
use crate::db::counter::{self, Scope};
use crate::db::schema::{actions, agenda_items, partnership_groups, partnership_members, people};
use crate::db::store::{self, Expected};
use crate::db::{Day, DbConnection, Id, IdList, UtcTime};
use crate::error::ApiError;
use crate::meetings::model::claim_open;
use crate::validate::Errors;

/// The counter actions are numbered from, per partnership.
pub const NUMBERS: &str = "action";

/// An action of the partnership's log, as stored.
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
#[diesel(table_name = actions, treat_none_as_null = true)]
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
    #[diesel(serialize_as = String, deserialize_as = String)]
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
}

crate::record!(Action, "action", actions, unique: ["number" => "number"]);

impl Action {
    pub fn fields(&self) -> ActionFields {
        let mut owners: Vec<OwnerRef> =
            self.owner_ids.0.iter().copied().map(OwnerRef::Id).collect();
        if self.all_partners {
            owners.insert(0, OwnerRef::AllPartners);
        }
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
    actions::table
        .find(id)
        .select(Action::as_select())
        .first(conn)
        .optional()?
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
    let secret: Vec<Id> = agenda_items::table
        .filter(agenda_items::id.eq_any(&item_ids))
        .filter(agenda_items::confidential.eq(true))
        .select(agenda_items::id)
        .load(conn)?;
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
pub fn resolve_owners(
    conn: &mut DbConnection,
    partnership_id: Id,
    owners: &[OwnerRef],
) -> Result<(IdList, bool), ApiError> {
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
    let mut known: Vec<Id> = people::table
        .filter(people::partnership_id.eq(partnership_id))
        .filter(people::id.eq_any(&named))
        .select(people::id)
        .load(conn)?;
    known.extend(
        partnership_groups::table
            .filter(partnership_groups::partnership_id.eq(partnership_id))
            .filter(partnership_groups::id.eq_any(&named))
            .select(partnership_groups::id)
            .load::<Id>(conn)?,
    );
    known.extend(
        partnership_members::table
            .filter(partnership_members::partnership_id.eq(partnership_id))
            .filter(partnership_members::organisation_id.eq_any(&named))
            .select(partnership_members::organisation_id)
            .load::<Id>(conn)?,
    );

    let mut errors = Errors::new();
    let mut ids = Vec::new();
    let mut all_partners = false;
    for (i, owner) in owners.iter().enumerate() {
        let field = format!("owners[{i}]");
        let id = match owner {
            OwnerRef::AllPartners => {
                all_partners = true;
                continue;
            }
            OwnerRef::Initials(initials) => match person_of.get(initials) {
                Some(id) => *id,
                None => {
                    errors.add(
                        &field,
                        format!("no person with initials {initials} in this partnership"),
                    );
                    continue;
                }
            },
            OwnerRef::Id(id) if known.contains(id) => *id,
            OwnerRef::Id(_) => {
                errors.missing(
                    &field,
                    "no such person, group or member organisation in this partnership",
                );
                continue;
            }
        };
        if ids.contains(&id) {
            errors.add(&field, "is named twice");
        } else {
            ids.push(id);
        }
    }
    errors.finish()?;
    Ok((IdList(ids), all_partners))
}

/// `base` with the validated `fields` and resolved owners; completing it
/// records `day`.
fn with_fields(base: Action, fields: ActionFields, owners: (IdList, bool), day: Day) -> Action {
    Action {
        meeting_id: fields.meeting_id,
        item_id: fields.item_id,
        description: fields.description,
        owner_ids: owners.0,
        all_partners: owners.1,
        due_date: fields.due_date,
        due_meeting_id: fields.due_meeting_id,
        due_text: fields.due_text,
        status: fields.status,
        completed_on: rules::completed_on(base.status, fields.status, base.completed_on, day),
        ..base
    }
}

pub fn create(
    conn: &mut DbConnection,
    actor: &Principal,
    role: Role,
    partnership_id: Id,
    form: CreateAction,
    now: UtcTime,
) -> Result<Action, ApiError> {
    let mut fields = rules::from_create(&form)?;
    if form.number.is_some() && role != Role::Admin {
        return Err(ApiError::forbidden(
            "only an admin imports an action with its own number",
        ));
    }
    check_source(conn, partnership_id, &mut fields)?;
    let owners = resolve_owners(conn, partnership_id, &fields.owners)?;
    // Taken last of all checks, in this transaction: a refused request gives
    // its number back, and concurrent creators queue here.
    let scope = Scope::Partnership(partnership_id);
    // The change log first, as every write holds it before anything else.
    counter::hold(conn, scope, counter::CHANGE_LOG)?;
    // Agreed at a meeting whose minutes are approved: 409 until reopened.
    if let Some(meeting_id) = fields.meeting_id {
        claim_open(conn, partnership_id, meeting_id)?;
    }
    let number = match form.number {
        Some(number) => {
            counter::raise(conn, scope, NUMBERS, number)?;
            number
        }
        None => counter::next(conn, scope, NUMBERS)?,
    };
    let stamp = UtcTime::now();
    let new = Action {
        id: Id::new(),
        partnership_id,
        number,
        meeting_id: None,
        item_id: None,
        description: String::new(),
        owner_ids: IdList::default(),
        all_partners: false,
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
    store::insert(conn, actor, &record)?;
    Ok(record)
}

pub fn update(
    conn: &mut DbConnection,
    actor: &Principal,
    before: Action,
    expected: Expected,
    patch: UpdateAction,
    now: UtcTime,
) -> Result<Action, ApiError> {
    store::check(expected, before.version)?;
    let owners_sent = patch.owners.is_some();
    let mut fields = rules::apply(before.fields(), patch)?;
    check_source(conn, before.partnership_id, &mut fields)?;
    let owners = if owners_sent {
        resolve_owners(conn, before.partnership_id, &fields.owners)?
    } else {
        (before.owner_ids.clone(), before.all_partners)
    };
    // Moved to another meeting or item: neither out of approved minutes nor
    // into them (409). Progress on an action there (status, due date...)
    // stays open.
    let moved = (fields.meeting_id, fields.item_id) != (before.meeting_id, before.item_id);
    if moved {
        for meeting_id in [before.meeting_id, fields.meeting_id].into_iter().flatten() {
            claim_open(conn, before.partnership_id, meeting_id)?;
        }
    }
    let after = with_fields(before.clone(), fields, owners, Day::in_uk(now));
    store::update(conn, actor, &before, after, expected)
}

/// Moves an action to `status` as an update dated `on` says.
pub fn set_status(
    conn: &mut DbConnection,
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
    store::update(conn, actor, before, after, Expected::Any)
}

/// Filters of the action log.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionFilter {
    pub status: Option<ActionStatus>,
    /// A person's id or initials, a group's or organisation's id, or `ALL`.
    pub owner: Option<rules::OwnerFilter>,
    /// Actions agreed at meetings of this group.
    pub group_id: Option<Id>,
    /// Actions agreed at this meeting.
    pub meeting_id: Option<Id>,
    /// Only overdue (`true`) or only not overdue (`false`) actions.
    pub overdue: Option<bool>,
    /// Due before this date.
    pub due_before: Option<Day>,
    /// Due after this date.
    pub due_after: Option<Day>,
    /// The action with this number (described in its schema).
    #[param(schema_with = super::numbers::one_schema)]
    pub number: Option<String>,
    /// The actions with these numbers (described in its schema).
    #[param(schema_with = super::numbers::list_schema)]
    pub numbers: Option<String>,
}

impl ActionFilter {
    /// The numbers `number` and `numbers` ask for (their union), if any; a
    /// malformed one is 400 naming its parameter.
    pub fn numbers(&self) -> Result<Option<Vec<i64>>, ApiError> {
        super::numbers::asked(self.number.as_deref(), self.numbers.as_deref())
            .map_err(|e| ApiError::Query(vec![e]))
    }
}

/// One page of the log in number order (`after` a number), or the whole
/// log (`limit` None) for exports.
pub fn list(
    conn: &mut DbConnection,
    partnership_id: Id,
    role: Role,
    filter: &ActionFilter,
    after: Option<i64>,
    limit: Option<i64>,
    now: UtcTime,
) -> Result<Vec<Action>, ApiError> {
    use crate::db::schema::meetings;
    crate::partnerships::model::find(conn, partnership_id)?;
    let mut query = actions::table
        .filter(actions::partnership_id.eq(partnership_id))
        .select(Action::as_select())
        .order(actions::number.asc())
        .into_boxed();
    if let Some(limit) = limit {
        query = query.limit(limit);
    }
    if let Some(after) = after {
        query = query.filter(actions::number.gt(after));
    }
    if let Some(numbers) = filter.numbers()? {
        query = query.filter(actions::number.eq_any(numbers));
    }
    if let Some(status) = filter.status {
        query = query.filter(actions::status.eq(status));
    }
    if let Some(owner) = &filter.owner {
        let id = match &owner.0 {
            OwnerRef::AllPartners => None,
            OwnerRef::Id(id) => Some(*id),
            // Unknown initials own nothing: the nil id matches no owner.
            OwnerRef::Initials(initials) => Some(
                people::table
                    .filter(people::partnership_id.eq(partnership_id))
                    .filter(people::initials.eq(initials))
                    .select(people::id)
                    .first(conn)
                    .optional()?
                    .unwrap_or(Id(uuid::Uuid::nil())),
            ),
        };
        query = match id {
            None => query.filter(actions::all_partners.eq(true)),
            Some(id) => query.filter(actions::owner_ids.like(format!("%{id}%"))),
        };
    }
    if let Some(group) = filter.group_id {
        let of_group = meetings::table
            .filter(meetings::group_id.eq(group))
            .select(meetings::id.nullable());
        query = query.filter(actions::meeting_id.eq_any(of_group));
    }
    if let Some(meeting) = filter.meeting_id {
        query = query.filter(actions::meeting_id.eq(meeting));
    }
    if let Some(before) = filter.due_before {
        query = query.filter(actions::due_date.lt(before));
    }
    if let Some(after) = filter.due_after {
        query = query.filter(actions::due_date.gt(after));
    }
    if let Some(overdue) = filter.overdue {
        let today = Day::in_uk(now);
        let outstanding = [ActionStatus::Open, ActionStatus::InProgress];
        let started = meetings::table
            .filter(meetings::starts_at.le(now))
            .select(meetings::id.nullable());
        // Every part is true or false, never NULL, so `= false` is exact.
        let past_date = actions::due_date
            .is_not_null()
            .and(actions::due_date.lt(today));
        let past_meeting = actions::due_date
            .is_null()
            .and(actions::due_meeting_id.is_not_null())
            .and(actions::due_meeting_id.eq_any(started));
        let late = actions::status
            .eq_any(outstanding)
            .and(past_date.or(past_meeting))
            .assume_not_null();
        query = query.filter(late.eq(overdue));
    }
    if !role.sees_confidential() {
        // Viewers do not see what was agreed under a confidential item.
        let open_items = agenda_items::table
            .filter(agenda_items::confidential.eq(false))
            .select(agenda_items::id.nullable());
        query = query.filter(
            actions::item_id
                .is_null()
                .or(actions::item_id.eq_any(open_items))
                .assume_not_null(),
        );
    }
    Ok(query.load(conn)?)
}
