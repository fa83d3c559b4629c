//! `/v1/partnerships/{id}/meetings` and `/v1/meetings/{id}` (the minutes
//! life cycle is in `crate::minutes::lifecycle`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::model::{self, MeetingFilter, MeetingView};
use super::rules::{CreateMeeting, UpdateMeeting};
use crate::auth::tenant::{self, Tenant};
use crate::auth::{Access, Principal};
use crate::db::Tx;
use crate::db::{self, Id};
use crate::error::{ApiError, CreateErrors, ListErrors, ReadErrors, UpdateErrors};
use crate::http::{derived_view, with_etag, write, Answer, IfMatch, Json, Page, Paginated};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/partnerships/{id}/meetings")
            .route(web::post().to(create_meeting))
            .route(web::get().to(list_meetings)),
    )
    .service(
        web::resource("/partnerships/{id}/meetings.ics").route(web::get().to(super::ics::feed)),
    )
    .service(
        web::resource("/partnerships/{id}/groups/{group_id}/next-meeting")
            .route(web::get().to(next_meeting)),
    )
    .service(
        web::resource("/meetings/{id}")
            .route(web::get().to(get_meeting))
            .route(web::patch().to(update_meeting)),
    );
}

/// Schedule (or record) a meeting of one of the partnership's groups (admins).
#[utoipa::path(
    post,
    path = "/v1/partnerships/{id}/meetings",
    tag = "meetings",
    params(
        ("id" = Id, Path, description = "Partnership id"),
    ),
    request_body = CreateMeeting,
    responses((status = 201, description = "Created", body = MeetingView, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
pub async fn create_meeting(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Manage>,
    body: Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let now = state.clock.now();
    write(&state.pool, move |conn| {
        let mut tx = Tx::of(conn, &tenant, now)?;
        let form: CreateMeeting = crate::names::read(
            &mut tx,
            tenant.partnership_id,
            body,
            &[("group_id", crate::names::Kind::Group)],
        )?;
        let meeting = model::create(&mut tx, &tenant, form)?;
        let view = model::view(&mut tx, meeting)?;
        Answer::created(format!("/v1/meetings/{}", view.meeting.id), &view)
    })
    .await
}

/// List the partnership's meetings, filtered by group, status and start time.
#[utoipa::path(
    get,
    path = "/v1/partnerships/{id}/meetings",
    tag = "meetings",
    params(("id" = Id, Path, description = "Partnership id"), MeetingFilter, crate::http::pagination::PageQuery),
    responses((status = 200, description = "One page of meetings", body = Paginated<MeetingView>, headers(("Cache-Control" = String, description = "private, no-cache: derived fields change without the version"))), ListErrors),
    security(("bearer" = []))
)]
pub async fn list_meetings(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Read>,
    filter: web::Query<MeetingFilter>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let Tenant { partnership_id, .. } = tenant;
    let (filter, query_page) = (filter.into_inner(), page.clone());
    let rows = db::read(&state.pool, move |conn| {
        let rows = model::list(conn, partnership_id, &filter, &query_page)?;
        model::views(conn, rows)
    })
    .await?;
    Ok(derived_view(
        HttpResponse::Ok().json(page.finish(rows, |m| m.meeting.id)),
    ))
}

/// The group's next scheduled meeting; 204 when none is scheduled (404 is
/// kept for a group that does not exist).
#[utoipa::path(
    get,
    path = "/v1/partnerships/{id}/groups/{group_id}/next-meeting",
    tag = "meetings",
    params(("id" = Id, Path, description = "Partnership id"), ("group_id" = Id, Path, description = "Group id")),
    responses(
        (status = 200, description = "The next meeting", body = MeetingView, headers(("ETag" = String), ("Cache-Control" = String, description = "private, no-cache: derived fields change without the version"))),
        (status = 204, description = "No meeting of the group is scheduled"),
        ReadErrors,
    ),
    security(("bearer" = []))
)]
pub async fn next_meeting(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Read>,
    path: web::Path<(Id, Id)>,
) -> Result<HttpResponse, ApiError> {
    let Tenant { partnership_id, .. } = tenant;
    let (_, group_id) = path.into_inner();
    let now = state.clock.now();
    let view = db::read(&state.pool, move |conn| {
        model::next_of_group(conn, partnership_id, group_id, now)?
            .map(|meeting| model::view(conn, meeting))
            .transpose()
    })
    .await?;
    Ok(match view {
        Some(view) => derived_view(with_etag(StatusCode::OK, &view)),
        None => HttpResponse::NoContent().finish(),
    })
}

/// Read one meeting, with its quorum.
#[utoipa::path(
    get,
    path = "/v1/meetings/{id}",
    tag = "meetings",
    params(("id" = Id, Path, description = "Meeting id")),
    responses((status = 200, description = "The meeting", body = MeetingView, headers(("ETag" = String), ("Cache-Control" = String, description = "private, no-cache: derived fields change without the version"))), ReadErrors),
    security(("bearer" = []))
)]
pub async fn get_meeting(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let view = db::read(&state.pool, move |conn| {
        let (meeting, _) = model::find_for(conn, &principal, id, Access::Read)?;
        model::view(conn, meeting)
    })
    .await?;
    Ok(derived_view(with_etag(StatusCode::OK, &view)))
}

/// Change a meeting: reschedule, move, mark held or cancelled (admins). 409
/// once its minutes are approved.
#[utoipa::path(
    patch,
    path = "/v1/meetings/{id}",
    tag = "meetings",
    params(
        ("id" = Id, Path, description = "Meeting id"),
        crate::http::etag::IfMatchHeader,
    ),
    request_body = UpdateMeeting,
    responses((status = 200, description = "Updated", body = MeetingView, headers(("ETag" = String))), UpdateErrors),
    security(("bearer" = []))
)]
pub async fn update_meeting(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    if_match: IfMatch,
    body: Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let expected = if_match.required()?;
    let body = body.into_inner();
    let now = state.clock.now();
    let view = db::run(&state.pool, move |conn| {
        let (meeting, _) = model::find_for(conn, &principal, id, Access::Manage)?;
        let mut tx = Tx::of_record(conn, Some(meeting.partnership_id), now)?;
        let patch: UpdateMeeting = crate::names::read(
            &mut tx,
            meeting.partnership_id,
            body,
            &[("group_id", crate::names::Kind::Group)],
        )?;
        let meeting = model::update(&mut tx, &principal, meeting, expected, patch)?;
        model::view(&mut tx, meeting)
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &view))
}
