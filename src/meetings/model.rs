//! Meetings: rows, queries, the minutes life cycle and quorum.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules::{
    self, CreateMeeting, MeetingFields, MeetingStatus, MinutesStatus, QuorumEntry, UpdateMeeting,
};
use crate::audit::Change;
use crate::auth::tenant::{Manage, Tenant};
use crate::auth::{Access, Principal, Role};
use crate::db::schema::{attendees, declarations, meetings, partnership_members, people};
use crate::db::store::{self, Expected};
use crate::db::Page;
use crate::db::{DbConnection, Id, MultiBackend, Tx, UtcTime};
use crate::error::ApiError;
use crate::members::rules::MemberRole;

/// A meeting of one of the partnership's groups, as stored.
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
#[diesel(table_name = meetings, treat_none_as_null = true)]
pub struct Meeting {
    pub id: Id,
    pub partnership_id: Id,
    pub group_id: Id,
    pub title: String,
    pub starts_at: UtcTime,
    pub ends_at: Option<UtcTime>,
    pub location: Option<String>,
    pub status: MeetingStatus,
    pub minutes_status: MinutesStatus,
    pub previous_meeting_id: Option<Id>,
    /// The meeting at which these minutes were approved as an accurate record.
    pub approved_at_meeting_id: Option<Id>,
    /// Published minutes are public from this time (immediately if null).
    pub release_at: Option<UtcTime>,
    /// The minutes record that no interest was declared.
    pub no_declarations: bool,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

/// A meeting as answered: the record plus its quorum.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MeetingView {
    #[serde(flatten)]
    pub meeting: Meeting,
    /// Every statutory partner present or deputised.
    pub quorate: bool,
    /// The statutory partners neither present nor deputised.
    pub quorum_missing_organisation_ids: Vec<Id>,
}

crate::record!(Meeting, "meeting", meetings);

crate::versioned_view!(MeetingView, meeting);

impl Meeting {
    fn fields(&self) -> MeetingFields {
        MeetingFields {
            group_id: self.group_id,
            title: self.title.clone(),
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            location: self.location.clone(),
            status: self.status,
            previous_meeting_id: self.previous_meeting_id,
            no_declarations: self.no_declarations,
        }
    }

    /// Whether the public may read these minutes now.
    pub fn is_public(&self, now: UtcTime) -> bool {
        self.minutes_status == MinutesStatus::Published
            && self.release_at.is_none_or(|release| release <= now)
    }
}

/// A meeting by id, whatever its partnership: callers check the role next.
pub fn find_any(conn: &mut DbConnection, id: Id) -> Result<Meeting, ApiError> {
    meetings::table
        .find(id)
        .select(Meeting::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such meeting"))
}

/// A meeting the caller may `access`, and the caller's role in its
/// partnership. Another partnership's meeting is 404, as if it did not exist.
pub fn find_for(
    conn: &mut DbConnection,
    principal: &Principal,
    id: Id,
    access: Access,
) -> Result<(Meeting, Role), ApiError> {
    let meeting = find_any(conn, id)?;
    let role = principal.require_for_record(meeting.partnership_id, access, "no such meeting")?;
    Ok((meeting, role))
}

/// A meeting of this partnership, for references between records.
pub fn find_in(conn: &mut DbConnection, partnership_id: Id, id: Id) -> Result<Meeting, ApiError> {
    let missing = || ApiError::not_found("no such meeting in this partnership");
    match find_any(conn, id) {
        Ok(m) if m.partnership_id == partnership_id => Ok(m),
        Ok(_) | Err(ApiError::NotFound(_)) => Err(missing()),
        // The database gone is not a missing meeting.
        Err(other) => Err(other),
    }
}

fn check_references(
    conn: &mut DbConnection,
    partnership_id: Id,
    id: Id,
    fields: &MeetingFields,
) -> Result<(), ApiError> {
    crate::groups::model::find(conn, partnership_id, fields.group_id).map_err(
        ApiError::missing_as("group_id", "no such group in this partnership"),
    )?;
    if let Some(previous) = fields.previous_meeting_id {
        let ok = previous != id
            && find_in(conn, partnership_id, previous)
                .is_ok_and(|p| p.starts_at < fields.starts_at);
        if !ok {
            return Err(ApiError::field(
                "previous_meeting_id",
                "must be an earlier meeting of this partnership",
            ));
        }
    }
    Ok(())
}

/// The group's latest meeting before `starts_at` that was not cancelled.
pub fn latest_before(
    conn: &mut DbConnection,
    group_id: Id,
    starts_at: UtcTime,
) -> Result<Option<Id>, ApiError> {
    Ok(meetings::table
        .filter(meetings::group_id.eq(group_id))
        .filter(meetings::starts_at.lt(starts_at))
        .filter(meetings::status.ne(MeetingStatus::Cancelled))
        .order(meetings::starts_at.desc())
        .select(meetings::id)
        .first::<Id>(conn)
        .optional()?)
}

pub fn create(
    tx: &mut Tx<'_>,
    tenant: &Tenant<Manage>,
    form: CreateMeeting,
) -> Result<Meeting, ApiError> {
    let (actor, partnership_id) = (&tenant.principal, tenant.partnership_id);
    crate::partnerships::model::find(tx, partnership_id)?;
    let id = Id::new();
    let mut fields = rules::validate(MeetingFields {
        group_id: form.group_id,
        title: form.title,
        starts_at: form.starts_at,
        ends_at: form.ends_at,
        location: form.location,
        status: form.status.unwrap_or(MeetingStatus::Scheduled),
        previous_meeting_id: form.previous_meeting_id,
        no_declarations: form.no_declarations.unwrap_or(false),
    })?;
    check_references(tx, partnership_id, id, &fields)?;
    if fields.previous_meeting_id.is_none() {
        fields.previous_meeting_id = latest_before(tx, fields.group_id, fields.starts_at)?;
    }
    insert(tx, actor, partnership_id, id, fields, MinutesStatus::None)
}

/// Stores a new meeting of checked `fields` (its group and previous meeting
/// of the partnership).
pub fn insert(
    tx: &mut Tx<'_>,
    actor: &Principal,
    partnership_id: Id,
    id: Id,
    fields: MeetingFields,
    minutes_status: MinutesStatus,
) -> Result<Meeting, ApiError> {
    let now = tx.now();
    let record = Meeting {
        id,
        partnership_id,
        group_id: fields.group_id,
        title: fields.title,
        starts_at: fields.starts_at,
        ends_at: fields.ends_at,
        location: fields.location,
        status: fields.status,
        minutes_status,
        previous_meeting_id: fields.previous_meeting_id,
        approved_at_meeting_id: None,
        release_at: None,
        no_declarations: fields.no_declarations,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store::insert(tx, actor, &record)?;
    Ok(record)
}

/// Filters of the meeting list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MeetingFilter {
    pub group_id: Option<Id>,
    pub status: Option<MeetingStatus>,
    /// Meetings starting at or after this time.
    pub from: Option<UtcTime>,
    /// Meetings starting before this time.
    pub to: Option<UtcTime>,
}

pub fn list(
    conn: &mut DbConnection,
    partnership_id: Id,
    filter: &MeetingFilter,
    page: &Page,
) -> Result<Vec<Meeting>, ApiError> {
    crate::partnerships::model::find(conn, partnership_id)?;
    Ok(list_query(partnership_id, filter, page).load(conn)?)
}

/// A page of meetings as [`list`] reads it.
pub type MeetingQuery =
    meetings::BoxedQuery<'static, MultiBackend, diesel::dsl::AsSelect<Meeting, MultiBackend>>;

/// The query [`list`] runs (public so that a test can `EXPLAIN` it).
pub fn list_query(partnership_id: Id, filter: &MeetingFilter, page: &Page) -> MeetingQuery {
    let mut query = meetings::table
        .filter(meetings::partnership_id.eq(partnership_id))
        .select(Meeting::as_select())
        .order(meetings::id.asc())
        .limit(page.fetch())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(meetings::id.gt(after));
    }
    if let Some(group) = filter.group_id {
        query = query.filter(meetings::group_id.eq(group));
    }
    if let Some(status) = filter.status {
        query = query.filter(meetings::status.eq(status));
    }
    if let Some(from) = filter.from {
        query = query.filter(meetings::starts_at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(meetings::starts_at.lt(to));
    }
    query
}

/// All of the partnership's meetings in time order (the calendar feed).
pub fn all_in_time_order(
    conn: &mut DbConnection,
    partnership_id: Id,
) -> Result<Vec<Meeting>, ApiError> {
    crate::partnerships::model::find(conn, partnership_id)?;
    Ok(meetings::table
        .filter(meetings::partnership_id.eq(partnership_id))
        .order((meetings::starts_at.asc(), meetings::id.asc()))
        .select(Meeting::as_select())
        .load(conn)?)
}

/// The group's next scheduled meeting from `now` (the service's clock).
pub fn next_of_group(
    conn: &mut DbConnection,
    partnership_id: Id,
    group_id: Id,
    now: UtcTime,
) -> Result<Option<Meeting>, ApiError> {
    crate::groups::model::find(conn, partnership_id, group_id)?;
    meetings::table
        .filter(meetings::group_id.eq(group_id))
        .filter(meetings::status.eq(MeetingStatus::Scheduled))
        .filter(meetings::starts_at.ge(now))
        .order((meetings::starts_at.asc(), meetings::id.asc()))
        .select(Meeting::as_select())
        .first(conn)
        .optional()
        .map_err(ApiError::from)
}

pub fn update(
    tx: &mut Tx<'_>,
    actor: &Principal,
    before: Meeting,
    expected: Expected,
    patch: UpdateMeeting,
) -> Result<Meeting, ApiError> {
    store::check(expected, before.version)?;
    rules::ensure_editable(before.minutes_status)?;
    let fields = rules::apply(before.fields(), patch)?;
    check_references(tx, before.partnership_id, before.id, &fields)?;
    if fields.no_declarations && !before.no_declarations {
        let made: i64 = declarations::table
            .filter(declarations::meeting_id.eq(before.id))
            .count()
            .get_result(&mut **tx)?;
        if made > 0 {
            return Err(ApiError::conflict(
                "declarations are recorded for this meeting; remove them before recording none",
            ));
        }
    }
    let after = Meeting {
        group_id: fields.group_id,
        title: fields.title,
        starts_at: fields.starts_at,
        ends_at: fields.ends_at,
        location: fields.location,
        status: fields.status,
        previous_meeting_id: fields.previous_meeting_id,
        no_declarations: fields.no_declarations,
        ..before.clone()
    };
    store::update(tx, actor, &before, after, expected)
}

/// Called before any part of the minutes (attendees, items, decisions,
/// declarations) changes: refuses a locked record, and makes the minutes a
/// draft once something is recorded; either way the meeting's version moves
/// on. The meeting row is first claimed with a conditional `UPDATE` (which
/// holds it to the end of the transaction): a concurrent approval either
/// commits first (this edit gets 409) or finds the meeting changed (the
/// approval gets 412), so nothing slips into approved minutes.
pub fn begin_edit(tx: &mut Tx<'_>, actor: &Principal, meeting: &Meeting) -> Result<(), ApiError> {
    rules::ensure_editable(meeting.minutes_status)?;
    claim_open(tx, meeting.partnership_id, meeting.id)?;
    let current = find_any(tx, meeting.id)?;
    let after = Meeting {
        minutes_status: rules::after_edit(current.minutes_status),
        ..current.clone()
    };
    store::touch(tx, actor, &current, after)?;
    Ok(())
}

/// Claims a meeting whose minutes are open (none or draft) for a record
/// written into it: an item, attendee, decision or declaration, or an action
/// agreed there (created, or moved there). Approved or published minutes are
/// 409, as for an edit, until reopened. The conditional `UPDATE` holds the row
/// to the end of the transaction, so an approval either commits first (409
/// here) or waits and takes what this write records into its snapshot. The
/// write scope `tx` already holds the partnership's change log, as an
/// approval does before the row, so the two queue instead of deadlocking.
pub fn claim_open(tx: &mut Tx<'_>, partnership_id: Id, meeting_id: Id) -> Result<(), ApiError> {
    tx.ensure_holds(crate::db::counter::Scope::Partnership(partnership_id))?;
    let claimed = diesel::update(
        meetings::table
            .find(meeting_id)
            .filter(meetings::partnership_id.eq(partnership_id))
            .filter(meetings::minutes_status.eq_any([MinutesStatus::None, MinutesStatus::Draft])),
    )
    .set(meetings::minutes_status.eq(meetings::minutes_status))
    .execute(&mut **tx)?;
    if claimed == 1 {
        return Ok(());
    }
    rules::ensure_editable(find_in(tx, partnership_id, meeting_id)?.minutes_status)?;
    Err(ApiError::conflict(
        "the minutes were approved meanwhile and are locked",
    ))
}

pub fn approve(
    tx: &mut Tx<'_>,
    actor: &Principal,
    before: Meeting,
    approved_at: Id,
) -> Result<Meeting, ApiError> {
    let minutes_status = rules::approve(before.minutes_status, before.status)?;
    let ok = approved_at != before.id
        && find_in(tx, before.partnership_id, approved_at)
            .is_ok_and(|m| m.starts_at >= before.starts_at);
    if !ok {
        return Err(ApiError::field(
            "approved_at_meeting_id",
            "must be a later meeting of this partnership",
        ));
    }
    let after = Meeting {
        minutes_status,
        approved_at_meeting_id: Some(approved_at),
        ..before.clone()
    };
    store::update_noted(
        tx,
        actor,
        Change::Approve,
        &before,
        after,
        Expected::Any,
        None,
    )
}

pub fn publish(
    tx: &mut Tx<'_>,
    actor: &Principal,
    before: Meeting,
    release_at: Option<UtcTime>,
) -> Result<Meeting, ApiError> {
    let after = Meeting {
        minutes_status: rules::publish(before.minutes_status)?,
        release_at,
        ..before.clone()
    };
    store::update_noted(
        tx,
        actor,
        Change::Publish,
        &before,
        after,
        Expected::Any,
        None,
    )
}

pub fn reopen(
    tx: &mut Tx<'_>,
    actor: &Principal,
    before: Meeting,
    reason: String,
) -> Result<Meeting, ApiError> {
    let after = Meeting {
        minutes_status: rules::reopen(before.minutes_status)?,
        approved_at_meeting_id: None,
        release_at: None,
        ..before.clone()
    };
    store::update_noted(
        tx,
        actor,
        Change::Reopen,
        &before,
        after,
        Expected::Any,
        Some(reason),
    )
}

/// The meetings with their quorum, in three queries whatever their number.
pub fn views(conn: &mut DbConnection, list: Vec<Meeting>) -> Result<Vec<MeetingView>, ApiError> {
    let Some(first) = list.first() else {
        return Ok(Vec::new());
    };
    let statutory: Vec<Id> = partnership_members::table
        .filter(partnership_members::partnership_id.eq(first.partnership_id))
        .filter(partnership_members::role.eq(MemberRole::StatutoryPartner))
        .select(partnership_members::organisation_id)
        .load(conn)?;
    let rows: Vec<(Id, String, Option<Id>, Option<Id>)> =
        crate::db::by_ids(list.iter().map(|m| m.id), |ids| {
            attendees::table
                .filter(attendees::meeting_id.eq_any(ids))
                .select((
                    attendees::meeting_id,
                    attendees::attendance,
                    attendees::person_id,
                    attendees::deputising_for_person_id,
                ))
                .load(conn)
        })?;
    let person_ids = rows.iter().flat_map(|r| [r.2, r.3]).flatten();
    let organisation_of: HashMap<Id, Option<Id>> = crate::db::by_ids(person_ids, |ids| {
        people::table
            .filter(people::id.eq_any(ids))
            .select((people::id, people::organisation_id))
            .load::<(Id, Option<Id>)>(conn)
    })?
    .into_iter()
    .collect();
    let org = |p: Option<Id>| p.and_then(|p| organisation_of.get(&p).copied().flatten());
    let mut entries: HashMap<Id, Vec<QuorumEntry>> = HashMap::new();
    for (meeting_id, attendance, person, deputising) in rows {
        entries.entry(meeting_id).or_default().push(QuorumEntry {
            present: attendance == "present",
            organisation_id: org(person),
            deputising_for_organisation_id: org(deputising),
        });
    }
    Ok(list
        .into_iter()
        .map(|meeting| {
            let (quorate, missing) = rules::quorum(
                &statutory,
                entries.get(&meeting.id).map_or(&[][..], |v| v.as_slice()),
            );
            MeetingView {
                meeting,
                quorate,
                quorum_missing_organisation_ids: missing,
            }
        })
        .collect())
}

pub fn view(conn: &mut DbConnection, meeting: Meeting) -> Result<MeetingView, ApiError> {
    Ok(views(conn, vec![meeting])?
        .pop()
        .expect("one view per meeting"))
}
