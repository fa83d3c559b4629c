//! `/v1/meetings/{id}/items/{item_id}/decisions`: thin handlers.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::model::{self, Decision};
use super::rules::{CreateDecision, UpdateDecision};
use crate::auth::{Access, Principal};
use crate::db::Tx;
use crate::db::{self, Id};
use crate::error::{ApiError, CreateErrors, DeleteErrors, ListErrors, UpdateErrors};
use crate::http::{with_etag, write, Answer, IfMatch, Json, Page, Paginated};
use crate::items::model::{item_for, open_confidential};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/meetings/{id}/items/{item_id}/decisions")
            .route(web::post().to(create_decision))
            .route(web::get().to(list_decisions)),
    )
    .service(
        web::resource("/meetings/{id}/items/{item_id}/decisions/{decision_id}")
            .route(web::patch().to(update_decision))
            .route(web::delete().to(delete_decision)),
    );
}

/// Record a decision on an item (admins).
#[utoipa::path(
    post,
    path = "/v1/meetings/{id}/items/{item_id}/decisions",
    tag = "meetings",
    params(
        ("id" = Id, Path, description = "Meeting id"),
        ("item_id" = Id, Path, description = "Item id"),
    ),
    request_body = CreateDecision,
    responses((status = 201, description = "Created", body = Decision, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
pub async fn create_decision(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id)>,
    body: Json<CreateDecision>,
) -> Result<HttpResponse, ApiError> {
    let (meeting_id, item_id) = path.into_inner();
    let form = body.into_inner();
    let now = state.clock.now();
    write(&state.pool, move |conn| {
        let (meeting, _, item) = item_for(conn, &principal, meeting_id, item_id, Access::Manage)?;
        let mut tx = Tx::of_record(conn, Some(meeting.partnership_id), now)?;
        let record = model::create(&mut tx, &principal, &meeting, &item, form)?;
        Answer::created(
            format!(
                "/v1/meetings/{meeting_id}/items/{item_id}/decisions/{}",
                record.id
            ),
            &record,
        )
    })
    .await
}

/// The decisions on an item (403 for a viewer when the item is confidential).
#[utoipa::path(
    get,
    path = "/v1/meetings/{id}/items/{item_id}/decisions",
    tag = "meetings",
    params(("id" = Id, Path, description = "Meeting id"), ("item_id" = Id, Path, description = "Item id"), crate::http::pagination::PageQuery),
    responses((status = 200, description = "One page of the decisions on the item", body = Paginated<Decision>), ListErrors),
    security(("bearer" = []))
)]
pub async fn list_decisions(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id)>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let (meeting_id, item_id) = path.into_inner();
    let query_page = page.clone();
    let now = state.clock.now();
    let rows = db::read(&state.pool, move |conn| {
        let (_, role, item) = item_for(conn, &principal, meeting_id, item_id, Access::Read)?;
        let operation = format!("GET /v1/meetings/{meeting_id}/items/{item_id}/decisions");
        open_confidential(conn, &principal, role, &item, &operation, now)?;
        model::of_item(conn, item_id, &query_page)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page.finish(rows, |d| d.id)))
}

/// Correct a decision (admins; 409 once the minutes are approved).
#[utoipa::path(
    patch,
    path = "/v1/meetings/{id}/items/{item_id}/decisions/{decision_id}",
    tag = "meetings",
    params(
        ("id" = Id, Path, description = "Meeting id"),
        ("item_id" = Id, Path, description = "Item id"),
        ("decision_id" = Id, Path, description = "Decision id"),
        crate::http::etag::IfMatchHeader,
    ),
    request_body = UpdateDecision,
    responses((status = 200, description = "Updated", body = Decision, headers(("ETag" = String))), UpdateErrors),
    security(("bearer" = []))
)]
pub async fn update_decision(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id, Id)>,
    if_match: IfMatch,
    body: Json<UpdateDecision>,
) -> Result<HttpResponse, ApiError> {
    let (meeting_id, item_id, id) = path.into_inner();
    let expected = if_match.required()?;
    let patch = body.into_inner();
    let now = state.clock.now();
    let record = db::run(&state.pool, move |conn| {
        let (meeting, _, item) = item_for(conn, &principal, meeting_id, item_id, Access::Manage)?;
        let mut tx = Tx::of_record(conn, Some(meeting.partnership_id), now)?;
        model::update(&mut tx, &principal, &meeting, &item, id, expected, patch)
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &record))
}

/// Remove a decision recorded in error (admins; audited).
#[utoipa::path(
    delete,
    path = "/v1/meetings/{id}/items/{item_id}/decisions/{decision_id}",
    tag = "meetings",
    params(
        ("id" = Id, Path, description = "Meeting id"),
        ("item_id" = Id, Path, description = "Item id"),
        ("decision_id" = Id, Path, description = "Decision id"),
        crate::http::etag::IfMatchHeader,
    ),
    responses((status = 204, description = "Removed"), DeleteErrors),
    security(("bearer" = []))
)]
pub async fn delete_decision(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id, Id)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (meeting_id, item_id, id) = path.into_inner();
    let expected = if_match.required()?;
    let now = state.clock.now();
    db::run(&state.pool, move |conn| {
        let (meeting, _, item) = item_for(conn, &principal, meeting_id, item_id, Access::Manage)?;
        let mut tx = Tx::of_record(conn, Some(meeting.partnership_id), now)?;
        model::delete(&mut tx, &principal, &meeting, &item, id, expected)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
