//! `/v1/partnerships/{id}/groups`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::model::{self, Group, GroupFilter};
use super::rules::{CreateGroup, UpdateGroup};
use crate::auth::tenant::{self, Tenant};
use crate::db::counter::Scope;
use crate::db::Tx;
use crate::db::{self, Id};
use crate::error::{ApiError, CreateErrors, ListErrors, ReadErrors, UpdateErrors};
use crate::http::{with_etag, write, Answer, IfMatch, Json, Page, Paginated};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/partnerships/{id}/groups")
            .route(web::post().to(create_group))
            .route(web::get().to(list_groups)),
    )
    .service(
        web::resource("/partnerships/{id}/groups/{group_id}")
            .route(web::get().to(get_group))
            .route(web::patch().to(update_group)),
    );
}

/// Create a group (board) of the partnership (admins).
#[utoipa::path(
    post,
    path = "/v1/partnerships/{id}/groups",
    tag = "groups",
    params(
        ("id" = Id, Path, description = "Partnership id"),
    ),
    request_body = CreateGroup,
    responses((status = 201, description = "Created", body = Group, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
pub async fn create_group(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Manage>,
    body: Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let partnership_id = tenant.partnership_id;
    let body = body.into_inner();
    let now = state.clock.now();
    write(&state.pool, move |conn| {
        let mut tx = Tx::of(conn, &tenant, now)?;
        let form: CreateGroup = crate::names::read(
            &mut tx,
            tenant.partnership_id,
            body,
            &[("parent_group_id", crate::names::Kind::Group)],
        )?;
        let record = model::create(&mut tx, &tenant, form)?;
        Answer::created(
            format!("/v1/partnerships/{partnership_id}/groups/{}", record.id),
            &record,
        )
    })
    .await
}

/// List the partnership's groups.
#[utoipa::path(
    get,
    path = "/v1/partnerships/{id}/groups",
    tag = "groups",
    params(("id" = Id, Path, description = "Partnership id"), GroupFilter, crate::http::pagination::PageQuery),
    responses((status = 200, description = "One page of groups", body = Paginated<Group>), ListErrors),
    security(("bearer" = []))
)]
pub async fn list_groups(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Read>,
    filter: web::Query<GroupFilter>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let Tenant { partnership_id, .. } = tenant;
    let (filter, query_page) = (filter.into_inner(), page.clone());
    let rows = db::read(&state.pool, move |conn| {
        model::list(conn, partnership_id, &filter, &query_page)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page.finish(rows, |m| m.id)))
}

/// Read one group.
#[utoipa::path(
    get,
    path = "/v1/partnerships/{id}/groups/{group_id}",
    tag = "groups",
    params(("id" = Id, Path, description = "Partnership id"), ("group_id" = Id, Path, description = "Group id")),
    responses((status = 200, description = "The group", body = Group, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
pub async fn get_group(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Read>,
    path: web::Path<(Id, Id)>,
) -> Result<HttpResponse, ApiError> {
    let Tenant { partnership_id, .. } = tenant;
    let (_, id) = path.into_inner();
    let record = db::read(&state.pool, move |conn| {
        model::find(conn, partnership_id, id)
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &record))
}

/// Rename a group or change whom it reports to (admins).
#[utoipa::path(
    patch,
    path = "/v1/partnerships/{id}/groups/{group_id}",
    tag = "groups",
    params(
        ("id" = Id, Path, description = "Partnership id"),
        ("group_id" = Id, Path, description = "Group id"),
        crate::http::etag::IfMatchHeader,
    ),
    request_body = UpdateGroup,
    responses((status = 200, description = "Updated", body = Group, headers(("ETag" = String))), UpdateErrors),
    security(("bearer" = []))
)]
pub async fn update_group(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Manage>,
    path: web::Path<(Id, Id)>,
    if_match: IfMatch,
    body: Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let Tenant {
        partnership_id,
        principal,
        ..
    } = tenant;
    let (_, id) = path.into_inner();
    let expected = if_match.required()?;
    let body = body.into_inner();
    let now = state.clock.now();
    let record = db::run(&state.pool, move |conn| {
        let mut tx = Tx::hold(conn, Scope::Partnership(partnership_id), now)?;
        let patch: UpdateGroup = crate::names::read(
            &mut tx,
            partnership_id,
            body,
            &[("parent_group_id", crate::names::Kind::Group)],
        )?;
        model::update(&mut tx, &principal, partnership_id, id, expected, patch)
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &record))
}
