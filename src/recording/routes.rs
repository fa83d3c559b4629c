//! `POST /v1/partnerships/{id}/meetings/record`, `GET` and `PUT
//! /v1/meetings/{id}/record`: thin handlers.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::document::MeetingRecord;
use super::model;
use crate::access;
use crate::auth::tenant::{self, Tenant};
use crate::auth::{Access, Principal};
use crate::db::{self, DbConnection, Id, Tx, UtcTime};
use crate::error::{ApiError, CreateErrors, ReadErrors, UpdateErrors};
use crate::http::{with_etag, write, Answer, IfMatch, Json, Versioned};
use crate::items::model::log_confidential_reads;
use crate::meetings::model::{find_for, Meeting};
use crate::minutes::document::MinutesDocument;
use crate::people::model::Person;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/partnerships/{id}/meetings/record").route(web::post().to(record_meeting)),
    )
    .service(
        web::resource("/meetings/{id}/record")
            .route(web::get().to(get_record))
            .route(web::put().to(replace_record)),
    );
}

/// What a recording answers: the minutes as recorded, with every id
/// (attendees, items, decisions, declarations, actions, updates), and the
/// people it created.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MeetingRecorded {
    /// The meeting's id.
    pub id: Id,
    pub minutes: MinutesDocument,
    /// The people named in the document whom the partnership did not have.
    pub people_created: Vec<Person>,
}

impl Versioned for MeetingRecorded {
    fn version(&self) -> i32 {
        self.minutes.meeting.meeting.version
    }
}

fn recorded(
    conn: &mut DbConnection,
    meeting: Meeting,
    people: Vec<Id>,
    now: UtcTime,
) -> Result<MeetingRecorded, ApiError> {
    let pid = meeting.partnership_id;
    let minutes = crate::minutes::document::assemble(conn, meeting, now)?;
    let people_created = people
        .into_iter()
        .map(|id| crate::people::model::find(conn, pid, id))
        .collect::<Result<_, _>>()?;
    Ok(MeetingRecorded {
        id: minutes.meeting.meeting.id,
        minutes,
        people_created,
    })
}

/// Record a whole meeting in one request (admins): the meeting, its
/// attendance, items with their minutes, decisions and declarations, the
/// actions agreed (numbers kept when given), and the earlier actions it
/// reviewed with the updates reported at it (imported, with their numbers,
/// when the partnership does not hold them). People are named by initials or
/// name, and created when the partnership does not have them; groups by
/// short name; agencies by registered name. One transaction: any fault
/// anywhere is a 422 naming every fault by its path
/// (`items[3].actions[0].owners[1]`), and nothing is written.
#[utoipa::path(
    post,
    path = "/v1/partnerships/{id}/meetings/record",
    tag = "meetings",
    params(("id" = Id, Path, description = "Partnership id")),
    request_body = MeetingRecord,
    responses((status = 201, description = "Recorded: the minutes with every id, and the people created", body = MeetingRecorded, headers(("ETag" = String, description = "The meeting's version"), ("Location" = String, description = "The meeting"))), CreateErrors),
    security(("bearer" = []))
)]
pub async fn record_meeting(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Manage>,
    body: Json<MeetingRecord>,
) -> Result<HttpResponse, ApiError> {
    let doc = body.into_inner();
    let now = state.clock.now();
    write(&state.pool, move |conn| {
        let mut tx = Tx::referring(conn, tenant.partnership_id, now)?;
        let (meeting, people) =
            model::record(&mut tx, &tenant.principal, tenant.partnership_id, &doc)?;
        let id = meeting.id;
        let answer = recorded(&mut tx, meeting, people, now)?;
        Answer::created(format!("/v1/meetings/{id}"), &answer)
    })
    .await
}

/// A meeting's record as one document: the shape
/// `POST /v1/partnerships/{id}/meetings/record` takes and `PUT` saves again,
/// which is the minutes without what the service derives. Confidential items
/// are redacted for viewers, as in the minutes. Its `ETag` is the meeting's
/// version, for the `If-Match` of a `PUT`.
#[utoipa::path(
    get,
    path = "/v1/meetings/{id}/record",
    tag = "meetings",
    params(("id" = Id, Path, description = "Meeting id")),
    responses((status = 200, description = "The record", body = MeetingRecord, headers(("ETag" = String, description = "The meeting's version"))), ReadErrors),
    security(("bearer" = []))
)]
pub async fn get_record(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let now = state.clock.now();
    let drafts = state.drafts.clone();
    let (record, version) = db::read(&state.pool, move |conn| {
        let (meeting, role) = find_for(conn, &principal, id, Access::Read)?;
        let (pid, version) = (meeting.partnership_id, meeting.version);
        let group = crate::groups::model::find(conn, pid, meeting.group_id)?;
        let doc =
            crate::minutes::snapshot::read(conn, meeting, role.sees_confidential(), now, &drafts)?;
        let operation = format!(
            "GET /v1/meetings/{id}/record{}",
            if doc.redacted { " (redacted)" } else { "" }
        );
        access::record_document(conn, &principal, pid, ("minutes", id), &operation, now)?;
        log_confidential_reads(conn, &principal, doc.confidential_shown(), &operation, now)?;
        Ok((MeetingRecord::of_minutes(&doc, &group.short_name), version))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            actix_web::http::header::ETAG,
            crate::http::etag::etag_of(version),
        ))
        .json(record))
}

/// Save a draft meeting's record again in one step (admins), as a minute
/// taker's tool does: attendance, items, decisions and declarations are
/// replaced (items keep their ids by number, or title when unnumbered); the
/// actions agreed at the meeting are matched by number, kept and updated, and
/// one the document no longer has is cancelled, never deleted; the updates
/// reported at the meeting are replaced. 409 once the minutes are approved.
#[utoipa::path(
    put,
    path = "/v1/meetings/{id}/record",
    tag = "meetings",
    params(
        ("id" = Id, Path, description = "Meeting id"),
        crate::http::etag::IfMatchHeader,
    ),
    request_body = MeetingRecord,
    responses((status = 200, description = "Saved: the minutes with every id, and the people created", body = MeetingRecorded, headers(("ETag" = String, description = "The meeting's version"))), UpdateErrors),
    security(("bearer" = []))
)]
pub async fn replace_record(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    if_match: IfMatch,
    body: Json<MeetingRecord>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let expected = if_match.required()?;
    let doc = body.into_inner();
    let now = state.clock.now();
    let answer = db::run(&state.pool, move |conn| {
        let (meeting, _) = find_for(conn, &principal, id, Access::Manage)?;
        let pid = meeting.partnership_id;
        let mut tx = Tx::referring(conn, pid, now)?;
        let before = crate::meetings::model::find_in(&mut tx, pid, meeting.id)?;
        let (meeting, people) =
            super::replace::replace(&mut tx, &principal, before, expected, &doc)?;
        recorded(&mut tx, meeting, people, now)
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &answer))
}
