//! `/v1/meetings/{id}/attendees`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::model::{self, Attendee};
use super::rules::{CreateAttendee, UpdateAttendee};
use crate::auth::{Access, Principal};
use crate::db::Tx;
use crate::db::{self, Id};
use crate::error::{ApiError, CreateErrors, DeleteErrors, ListErrors, ReadErrors, UpdateErrors};
use crate::http::{with_etag, write, Answer, IfMatch, Json, Page, Paginated};
use crate::meetings::model::find_for;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/meetings/{id}/attendees")
            .route(web::post().to(create_attendee))
            .route(web::get().to(list_attendees)),
    )
    .service(
        web::resource("/meetings/{id}/attendees/{attendee_id}")
            .route(web::get().to(get_attendee))
            .route(web::patch().to(update_attendee))
            .route(web::delete().to(delete_attendee)),
    );
}

/// Record an attendee: a person of the partnership or a named guest (admins).
#[utoipa::path(
    post,
    path = "/v1/meetings/{id}/attendees",
    tag = "meetings",
    params(
        ("id" = Id, Path, description = "Meeting id"),
    ),
    request_body = CreateAttendee,
    responses((status = 201, description = "Created", body = Attendee, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
pub async fn create_attendee(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    body: Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let meeting_id = path.into_inner();
    let body = body.into_inner();
    let now = state.clock.now();
    write(&state.pool, move |conn| {
        let (meeting, _) = find_for(conn, &principal, meeting_id, Access::Manage)?;
        let mut tx = Tx::of_record(conn, Some(meeting.partnership_id), now)?;
        let form: CreateAttendee = crate::names::read(
            &mut tx,
            meeting.partnership_id,
            body,
            &[
                ("person_id", crate::names::Kind::Person),
                ("deputising_for_person_id", crate::names::Kind::Person),
            ],
        )?;
        let record = model::create(&mut tx, &principal, &meeting, form, now)?;
        Answer::created(
            format!("/v1/meetings/{meeting_id}/attendees/{}", record.id),
            &record,
        )
    })
    .await
}

/// List the meeting's attendees.
#[utoipa::path(
    get,
    path = "/v1/meetings/{id}/attendees",
    tag = "meetings",
    params(("id" = Id, Path, description = "Meeting id"), crate::http::pagination::PageQuery),
    responses((status = 200, description = "One page of attendees", body = Paginated<Attendee>), ListErrors),
    security(("bearer" = []))
)]
pub async fn list_attendees(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let meeting_id = path.into_inner();
    let query_page = page.clone();
    let rows = db::read(&state.pool, move |conn| {
        let (_, role) = find_for(conn, &principal, meeting_id, Access::Read)?;
        let rows = model::list(conn, meeting_id, &query_page)?;
        model::for_role(conn, meeting_id, role, rows)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page.finish(rows, |a| a.id)))
}

/// Read one attendee.
#[utoipa::path(
    get,
    path = "/v1/meetings/{id}/attendees/{attendee_id}",
    tag = "meetings",
    params(("id" = Id, Path, description = "Meeting id"), ("attendee_id" = Id, Path, description = "Attendee id")),
    responses((status = 200, description = "The attendee", body = Attendee, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
pub async fn get_attendee(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id)>,
) -> Result<HttpResponse, ApiError> {
    let (meeting_id, id) = path.into_inner();
    let record = db::read(&state.pool, move |conn| {
        let (_, role) = find_for(conn, &principal, meeting_id, Access::Read)?;
        let record = model::find(conn, meeting_id, id)?;
        let mut shown = model::for_role(conn, meeting_id, role, vec![record])?;
        Ok(shown.remove(0))
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &record))
}

/// Change an attendee's attendance, role, deputising or times (admins).
#[utoipa::path(
    patch,
    path = "/v1/meetings/{id}/attendees/{attendee_id}",
    tag = "meetings",
    params(
        ("id" = Id, Path, description = "Meeting id"),
        ("attendee_id" = Id, Path, description = "Attendee id"),
        crate::http::etag::IfMatchHeader,
    ),
    request_body = UpdateAttendee,
    responses((status = 200, description = "Updated", body = Attendee, headers(("ETag" = String))), UpdateErrors),
    security(("bearer" = []))
)]
pub async fn update_attendee(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id)>,
    if_match: IfMatch,
    body: Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let (meeting_id, id) = path.into_inner();
    let expected = if_match.required()?;
    let body = body.into_inner();
    let now = state.clock.now();
    let record = db::run(&state.pool, move |conn| {
        let (meeting, _) = find_for(conn, &principal, meeting_id, Access::Manage)?;
        let mut tx = Tx::of_record(conn, Some(meeting.partnership_id), now)?;
        let patch: UpdateAttendee = crate::names::read(
            &mut tx,
            meeting.partnership_id,
            body,
            &[("deputising_for_person_id", crate::names::Kind::Person)],
        )?;
        model::update(&mut tx, &principal, &meeting, id, expected, patch)
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &record))
}

/// Remove an attendee recorded in error (admins; audited).
#[utoipa::path(
    delete,
    path = "/v1/meetings/{id}/attendees/{attendee_id}",
    tag = "meetings",
    params(
        ("id" = Id, Path, description = "Meeting id"),
        ("attendee_id" = Id, Path, description = "Attendee id"),
        crate::http::etag::IfMatchHeader,
    ),
    responses((status = 204, description = "Removed"), DeleteErrors),
    security(("bearer" = []))
)]
pub async fn delete_attendee(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (meeting_id, id) = path.into_inner();
    let expected = if_match.required()?;
    let now = state.clock.now();
    db::run(&state.pool, move |conn| {
        let (meeting, _) = find_for(conn, &principal, meeting_id, Access::Manage)?;
        let mut tx = Tx::of_record(conn, Some(meeting.partnership_id), now)?;
        model::delete(&mut tx, &principal, &meeting, id, expected)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
