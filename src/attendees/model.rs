//! Attendee rows and queries. Every change first asks the meeting whether
//! its minutes may change (`meetings::model::begin_edit`).

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules::{
    self, Attendance, AttendeeFields, AttendeeRole, CreateAttendee, UpdateAttendee,
};
use crate::auth::{Principal, Role};
use crate::db::schema::{agenda_items, attendees};
use crate::db::store::{self, Expected};
use crate::db::Page;
use crate::db::{DbConnection, Id, IdList, MultiBackend, Tx, UtcTime};
use crate::error::ApiError;
use crate::meetings::model::{begin_edit, Meeting};

/// One attendee of a meeting.
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
#[diesel(table_name = attendees, treat_none_as_null = true)]
pub struct Attendee {
    pub id: Id,
    pub meeting_id: Id,
    pub partnership_id: Id,
    /// A person of the partnership, or null for a named guest.
    pub person_id: Option<Id>,
    pub guest_name: Option<String>,
    pub guest_organisation: Option<String>,
    pub attendance: Attendance,
    pub role: AttendeeRole,
    pub deputising_for_person_id: Option<Id>,
    pub arrived_at: Option<UtcTime>,
    pub left_at: Option<UtcTime>,
    /// The items a guest attended for (empty: the whole meeting).
    #[diesel(serialize_as = String, deserialize_as = String)]
    pub attended_item_ids: IdList,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

crate::record!(Attendee, "attendee", attendees, unique: ["person_id" => "person_id"]);

/// By hand rather than with `batch_insert!`: `attended_item_ids` is written
/// through a `String`, so only owned rows are insertable.
impl store::BatchInsert for Attendee {
    fn insert_rows(rows: &[Self], conn: &mut DbConnection) -> diesel::QueryResult<usize> {
        match conn {
            DbConnection::Pg(pg) => diesel::insert_into(attendees::table)
                .values(rows.to_vec())
                .execute(pg),
            DbConnection::Sqlite(lite) => diesel::insert_into(attendees::table)
                .values(rows.to_vec())
                .execute(lite),
        }
    }
}

impl Attendee {
    fn fields(&self) -> AttendeeFields {
        AttendeeFields {
            person_id: self.person_id,
            guest_name: self.guest_name.clone(),
            guest_organisation: self.guest_organisation.clone(),
            attendance: self.attendance,
            role: self.role,
            deputising_for_person_id: self.deputising_for_person_id,
            arrived_at: self.arrived_at,
            left_at: self.left_at,
            attended_item_ids: self.attended_item_ids.0.clone(),
        }
    }
}

/// People must be of the meeting's partnership; items of the meeting.
fn check_references(
    conn: &mut DbConnection,
    meeting: &Meeting,
    fields: &AttendeeFields,
) -> Result<(), ApiError> {
    let person = |conn: &mut DbConnection, id: Option<Id>| {
        id.is_none_or(|id| crate::people::model::find(conn, meeting.partnership_id, id).is_ok())
    };
    if !person(conn, fields.person_id) {
        return Err(ApiError::missing(
            "person_id",
            "no such person in this partnership",
        ));
    }
    if !person(conn, fields.deputising_for_person_id) {
        return Err(ApiError::missing(
            "deputising_for_person_id",
            "no such person in this partnership",
        ));
    }
    if !fields.attended_item_ids.is_empty() {
        let found: i64 = agenda_items::table
            .filter(agenda_items::meeting_id.eq(meeting.id))
            .filter(agenda_items::id.eq_any(&fields.attended_item_ids))
            .count()
            .get_result(conn)?;
        let mut unique = fields.attended_item_ids.clone();
        unique.sort();
        unique.dedup();
        if found != unique.len() as i64 {
            return Err(ApiError::field(
                "attended_item_ids",
                "every id must be an item of this meeting",
            ));
        }
    }
    Ok(())
}

pub fn create(
    tx: &mut Tx<'_>,
    actor: &Principal,
    meeting: &Meeting,
    form: CreateAttendee,
    now: UtcTime,
) -> Result<Attendee, ApiError> {
    let fields = rules::from_create(form)?;
    check_references(tx, meeting, &fields)?;
    begin_edit(tx, actor, meeting)?;
    let record = Attendee {
        id: Id::new(),
        meeting_id: meeting.id,
        partnership_id: meeting.partnership_id,
        person_id: fields.person_id,
        guest_name: fields.guest_name,
        guest_organisation: fields.guest_organisation,
        attendance: fields.attendance,
        role: fields.role,
        deputising_for_person_id: fields.deputising_for_person_id,
        arrived_at: fields.arrived_at,
        left_at: fields.left_at,
        attended_item_ids: IdList(fields.attended_item_ids),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store::insert(tx, actor, &record)?;
    Ok(record)
}

pub fn find(conn: &mut DbConnection, meeting_id: Id, id: Id) -> Result<Attendee, ApiError> {
    attendees::table
        .filter(attendees::meeting_id.eq(meeting_id))
        .filter(attendees::id.eq(id))
        .select(Attendee::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such attendee"))
}

/// One page of the meeting's attendees, in the order they were recorded.
pub fn list(
    conn: &mut DbConnection,
    meeting_id: Id,
    page: &Page,
) -> Result<Vec<Attendee>, ApiError> {
    Ok(list_query(meeting_id, page).load(conn)?)
}

/// A page of attendees as [`list`] reads it.
pub type AttendeeQuery =
    attendees::BoxedQuery<'static, MultiBackend, diesel::dsl::AsSelect<Attendee, MultiBackend>>;

/// The query [`list`] runs (public so that a test can `EXPLAIN` it).
pub fn list_query(meeting_id: Id, page: &Page) -> AttendeeQuery {
    let mut query = attendees::table
        .filter(attendees::meeting_id.eq(meeting_id))
        .select(Attendee::as_select())
        .order(attendees::id.asc())
        .limit(page.fetch())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(attendees::id.gt(after));
    }
    query
}

/// Attendees as `role` may see them: for viewers, the confidential items a
/// guest attended for are left out of `attended_item_ids`.
pub fn for_role(
    conn: &mut DbConnection,
    meeting_id: Id,
    role: Role,
    rows: Vec<Attendee>,
) -> Result<Vec<Attendee>, ApiError> {
    if role.sees_confidential() {
        return Ok(rows);
    }
    let confidential: Vec<Id> = agenda_items::table
        .filter(agenda_items::meeting_id.eq(meeting_id))
        .filter(agenda_items::confidential.eq(true))
        .select(agenda_items::id)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|mut a| {
            a.attended_item_ids.0.retain(|i| !confidential.contains(i));
            a
        })
        .collect())
}

/// Every attendee of the meeting (the minutes).
pub fn all(conn: &mut DbConnection, meeting_id: Id) -> Result<Vec<Attendee>, ApiError> {
    Ok(attendees::table
        .filter(attendees::meeting_id.eq(meeting_id))
        .select(Attendee::as_select())
        .order(attendees::id.asc())
        .load(conn)?)
}

pub fn update(
    tx: &mut Tx<'_>,
    actor: &Principal,
    meeting: &Meeting,
    id: Id,
    expected: Expected,
    patch: UpdateAttendee,
) -> Result<Attendee, ApiError> {
    let before = find(tx, meeting.id, id)?;
    store::check(expected, before.version)?;
    let fields = rules::apply(before.fields(), patch)?;
    check_references(tx, meeting, &fields)?;
    begin_edit(tx, actor, meeting)?;
    let after = Attendee {
        guest_organisation: fields.guest_organisation,
        attendance: fields.attendance,
        role: fields.role,
        deputising_for_person_id: fields.deputising_for_person_id,
        arrived_at: fields.arrived_at,
        left_at: fields.left_at,
        attended_item_ids: IdList(fields.attended_item_ids),
        ..before.clone()
    };
    store::update(tx, actor, &before, after, expected)
}

/// Removes an attendee recorded in error.
pub fn delete(
    tx: &mut Tx<'_>,
    actor: &Principal,
    meeting: &Meeting,
    id: Id,
    expected: Expected,
) -> Result<(), ApiError> {
    let before = find(tx, meeting.id, id)?;
    store::check(expected, before.version)?;
    begin_edit(tx, actor, meeting)?;
    store::delete(tx, actor, &before, expected)
}
