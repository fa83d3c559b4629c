//! The minutes life cycle: approve (which freezes the minutes in a
//! snapshot), publish, reopen (which discards it).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::snapshot;
use crate::auth::{Access, Principal};
use crate::db::{Id, Tx, UtcTime};
use crate::error::{ApiError, TransitionErrors};
use crate::http::etag::{self, Expected};
use crate::http::{write, Answer, IfMatch, Json, OptionalJson};
use crate::meetings::model::{self, MeetingView};
use crate::state::AppState;
use crate::validate::Errors;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/meetings/{id}/minutes/approve").route(web::post().to(approve)))
        .service(web::resource("/meetings/{id}/minutes/publish").route(web::post().to(publish)))
        .service(web::resource("/meetings/{id}/minutes/reopen").route(web::post().to(reopen)));
}

/// Body of `POST /v1/meetings/{id}/minutes/approve`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveMinutes {
    /// The (later) meeting at which the minutes were approved as an accurate record.
    pub approved_at_meeting_id: Id,
}

/// Body of `POST /v1/meetings/{id}/minutes/publish` (may be left out).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishMinutes {
    /// The public copy appears from this time; at once when left out.
    pub release_at: Option<UtcTime>,
}

/// Body of `POST /v1/meetings/{id}/minutes/reopen`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenMinutes {
    /// Why the approved record must change; kept in the audit trail.
    #[schema(schema_with = crate::validate::Text::<2000>::line)]
    pub reason: String,
}

/// Approve draft minutes as an accurate record (admins): they are locked,
/// and frozen as they stand (names, job titles, organisations, quorum,
/// actions): later renderings read that snapshot.
#[utoipa::path(
    post,
    path = "/v1/meetings/{id}/minutes/approve",
    tag = "meetings",
    operation_id = "approve_minutes",
    params(("id" = Id, Path, description = "Meeting id"), crate::http::etag::OptionalIfMatchHeader),
    request_body = ApproveMinutes,
    responses((status = 200, description = "Approved", body = MeetingView, headers(("ETag" = String))), TransitionErrors),
    security(("bearer" = []))
)]
pub async fn approve(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    if_match: IfMatch,
    body: Json<ApproveMinutes>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let at = body.into_inner().approved_at_meeting_id;
    lifecycle(
        state,
        principal,
        id,
        if_match.optional()?,
        move |tx, principal, meeting| {
            let approved = model::approve(tx, principal, meeting, at)?;
            snapshot::take(tx, &approved)?;
            Ok(approved)
        },
    )
    .await
}

/// Publish approved minutes (admins), optionally from a release date; the
/// public copy is redacted of confidential items.
#[utoipa::path(
    post,
    path = "/v1/meetings/{id}/minutes/publish",
    tag = "meetings",
    operation_id = "publish_minutes",
    params(("id" = Id, Path, description = "Meeting id"), crate::http::etag::OptionalIfMatchHeader),
    request_body(content = Option<PublishMinutes>, description = "Optional"),
    responses((status = 200, description = "Published", body = MeetingView, headers(("ETag" = String))), TransitionErrors),
    security(("bearer" = []))
)]
pub async fn publish(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    if_match: IfMatch,
    body: OptionalJson<PublishMinutes>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let release_at = body.0.release_at;
    lifecycle(
        state,
        principal,
        id,
        if_match.optional()?,
        move |tx, principal, meeting| model::publish(tx, principal, meeting, release_at),
    )
    .await
}

/// Unlock approved or published minutes for correction (admins); the reason
/// is audited, the snapshot discarded, and the public copy withdrawn until
/// they are published again.
#[utoipa::path(
    post,
    path = "/v1/meetings/{id}/minutes/reopen",
    tag = "meetings",
    operation_id = "reopen_minutes",
    params(("id" = Id, Path, description = "Meeting id"), crate::http::etag::OptionalIfMatchHeader),
    request_body = ReopenMinutes,
    responses((status = 200, description = "Reopened as a draft", body = MeetingView, headers(("ETag" = String))), TransitionErrors),
    security(("bearer" = []))
)]
pub async fn reopen(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    if_match: IfMatch,
    body: Json<ReopenMinutes>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match.optional()?;
    let id = path.into_inner();
    let mut errors = Errors::new();
    let reason = errors.text("reason", &body.into_inner().reason, 2000);
    errors.finish()?;
    lifecycle(
        state,
        principal,
        id,
        expected,
        move |tx, principal, meeting| {
            let reopened = model::reopen(tx, principal, meeting, reason)?;
            snapshot::discard(tx, reopened.id)?;
            Ok(reopened)
        },
    )
    .await
}

/// One admin step of the minutes life cycle, in one transaction.
async fn lifecycle<F>(
    state: web::Data<AppState>,
    principal: Principal,
    id: Id,
    expected: Option<Expected>,
    step: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(&mut Tx<'_>, &Principal, model::Meeting) -> Result<model::Meeting, ApiError>
        + Send
        + 'static,
{
    let now = state.clock.now();
    write(&state.pool, move |conn| {
        let (found, _) = model::find_for(conn, &principal, id, Access::Manage)?;
        // The partnership's write scope first, then the meeting as it stands
        // once held: an edit racing this step either committed before (and is
        // in what is approved) or waits for it (and meets the lock, 409).
        let mut tx = Tx::of_record(conn, Some(found.partnership_id), now)?;
        let meeting = model::find_any(&mut tx, found.id)?;
        if let Some(expected) = expected {
            etag::check(expected, meeting.version)?;
        }
        let meeting = step(&mut tx, &principal, meeting)?;
        Answer::with_etag(StatusCode::OK, &model::view(&mut tx, meeting)?)
    })
    .await
}
