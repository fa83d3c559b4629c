//! `/v1/meetings/{id}/items`: the agenda. Viewers get confidential items
//! redacted in lists and refused (403) on their own; anyone else shown a
//! confidential item leaves a `read` audit event.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::model::{self, item_for, open_confidential, ItemView};
use super::rules::{CreateItem, UpdateItem};
use crate::auth::{Access, Principal};
use crate::db::Tx;
use crate::db::{self, Id};
use crate::error::{ApiError, CreateErrors, DeleteErrors, ListErrors, ReadErrors, UpdateErrors};
use crate::http::{with_etag, write, Answer, IfMatch, Json, Page, Paginated};
use crate::meetings::model::find_for;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/meetings/{id}/items")
            .route(web::post().to(create_item))
            .route(web::get().to(list_items)),
    )
    .service(
        web::resource("/meetings/{id}/items/{item_id}")
            .route(web::get().to(get_item))
            .route(web::patch().to(update_item))
            .route(web::delete().to(delete_item)),
    );
}

/// Add an item to the agenda (admins).
#[utoipa::path(
    post,
    path = "/v1/meetings/{id}/items",
    tag = "meetings",
    params(
        ("id" = Id, Path, description = "Meeting id"),
    ),
    request_body = CreateItem,
    responses((status = 201, description = "Created", body = ItemView, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
pub async fn create_item(
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
        let form: CreateItem = crate::names::read(
            &mut tx,
            meeting.partnership_id,
            body,
            &[("presenter_person_id", crate::names::Kind::Person)],
        )?;
        let record = model::create(&mut tx, &principal, &meeting, form)?;
        Answer::created(
            format!("/v1/meetings/{meeting_id}/items/{}", record.id),
            &record.view(true),
        )
    })
    .await
}

/// The agenda in order (`order`, then as created), a page at a time.
/// Confidential items are redacted for viewers.
#[utoipa::path(
    get,
    path = "/v1/meetings/{id}/items",
    tag = "meetings",
    params(("id" = Id, Path, description = "Meeting id"), crate::http::pagination::PageQuery),
    responses((status = 200, description = "One page of the agenda", body = Paginated<ItemView>), ListErrors),
    security(("bearer" = []))
)]
pub async fn list_items(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let meeting_id = path.into_inner();
    let query_page = page.clone();
    let now = state.clock.now();
    let items = db::read(&state.pool, move |conn| {
        let (_, role) = find_for(conn, &principal, meeting_id, Access::Read)?;
        let items = model::page(conn, meeting_id, &query_page)?;
        let sees = role.sees_confidential();
        if sees {
            let operation = format!("GET /v1/meetings/{meeting_id}/items");
            model::log_confidential_reads(conn, &principal, &items, &operation, now)?;
        }
        Ok(items.into_iter().map(|i| i.view(sees)).collect::<Vec<_>>())
    })
    .await?;
    Ok(HttpResponse::Ok().json(page.finish(items, |i| i.item.id)))
}

/// Read one item (403 for a viewer when it is confidential).
#[utoipa::path(
    get,
    path = "/v1/meetings/{id}/items/{item_id}",
    tag = "meetings",
    params(("id" = Id, Path, description = "Meeting id"), ("item_id" = Id, Path, description = "Item id")),
    responses((status = 200, description = "The item", body = ItemView, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
pub async fn get_item(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id)>,
) -> Result<HttpResponse, ApiError> {
    let (meeting_id, id) = path.into_inner();
    let now = state.clock.now();
    let item = db::read(&state.pool, move |conn| {
        let (_, role, item) = item_for(conn, &principal, meeting_id, id, Access::Read)?;
        let operation = format!("GET /v1/meetings/{meeting_id}/items/{id}");
        open_confidential(conn, &principal, role, &item, &operation, now)?;
        Ok(item)
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &item.view(true)))
}

/// Change an item: its number, title, presenter, minutes text, order or
/// confidentiality (admins; 409 once the minutes are approved).
#[utoipa::path(
    patch,
    path = "/v1/meetings/{id}/items/{item_id}",
    tag = "meetings",
    params(
        ("id" = Id, Path, description = "Meeting id"),
        ("item_id" = Id, Path, description = "Item id"),
        crate::http::etag::IfMatchHeader,
    ),
    request_body = UpdateItem,
    responses((status = 200, description = "Updated", body = ItemView, headers(("ETag" = String))), UpdateErrors),
    security(("bearer" = []))
)]
pub async fn update_item(
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
        let patch: UpdateItem = crate::names::read(
            &mut tx,
            meeting.partnership_id,
            body,
            &[("presenter_person_id", crate::names::Kind::Person)],
        )?;
        model::update(&mut tx, &principal, &meeting, id, expected, patch)
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &record.view(true)))
}

/// Remove an item added in error (admins; audited; its decisions and
/// declarations must be removed first).
#[utoipa::path(
    delete,
    path = "/v1/meetings/{id}/items/{item_id}",
    tag = "meetings",
    params(
        ("id" = Id, Path, description = "Meeting id"),
        ("item_id" = Id, Path, description = "Item id"),
        crate::http::etag::IfMatchHeader,
    ),
    responses((status = 204, description = "Removed"), DeleteErrors),
    security(("bearer" = []))
)]
pub async fn delete_item(
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
