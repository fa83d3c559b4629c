//! `/v1/partnerships`: thin handlers over `model`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::model::{self, Partnership, PartnershipFilter};
use super::rules::{CreatePartnership, UpdatePartnership};
use crate::auth::tenant::{self, Tenant};
use crate::auth::Principal;
use crate::db::Tx;
use crate::db::{self, Id};
use crate::error::{ApiError, CreateErrors, ListErrors, ReadErrors, UpdateErrors};
use crate::http::{with_etag, write, Answer, IfMatch, Json, Page, Paginated};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/partnerships")
            .route(web::post().to(create_partnership))
            .route(web::get().to(list_partnerships)),
    )
    .service(
        web::resource("/partnerships/{id}")
            .route(web::get().to(get_partnership))
            .route(web::patch().to(update_partnership)),
    );
}

/// Create a partnership (platform administrators only).
#[utoipa::path(
    post,
    path = "/v1/partnerships",
    tag = "partnerships",
    request_body = CreatePartnership,
    params(),
    responses((status = 201, description = "Created", body = Partnership, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
pub async fn create_partnership(
    state: web::Data<AppState>,
    principal: Principal,
    body: Json<CreatePartnership>,
) -> Result<HttpResponse, ApiError> {
    principal.require_platform_admin()?;
    let form = body.into_inner();
    let now = state.clock.now();
    write(&state.pool, move |conn| {
        let record = model::create(conn, &principal, form, now)?;
        Answer::created(format!("/v1/partnerships/{}", record.id), &record)
    })
    .await
}

/// List the partnerships the caller may see.
#[utoipa::path(
    get,
    path = "/v1/partnerships",
    tag = "partnerships",
    params(PartnershipFilter, crate::http::pagination::PageQuery),
    responses((status = 200, description = "One page of partnerships", body = Paginated<Partnership>), ListErrors),
    security(("bearer" = []))
)]
pub async fn list_partnerships(
    state: web::Data<AppState>,
    principal: Principal,
    filter: web::Query<PartnershipFilter>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let (filter, visible, query_page) = (
        filter.into_inner(),
        principal.visible_partnerships(),
        page.clone(),
    );
    let rows = db::read(&state.pool, move |conn| {
        model::list(conn, visible, &filter, &query_page)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page.finish(rows, |p| p.id)))
}

/// Read one partnership.
#[utoipa::path(
    get,
    path = "/v1/partnerships/{id}",
    tag = "partnerships",
    params(("id" = Id, Path, description = "Partnership id")),
    responses((status = 200, description = "The partnership", body = Partnership, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
pub async fn get_partnership(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Member>,
) -> Result<HttpResponse, ApiError> {
    let id = tenant.partnership_id;
    let record = db::read(&state.pool, move |conn| model::find(conn, id)).await?;
    Ok(with_etag(StatusCode::OK, &record))
}

/// Change a partnership's name, slug or area (admins).
#[utoipa::path(
    patch,
    path = "/v1/partnerships/{id}",
    tag = "partnerships",
    params(
        ("id" = Id, Path, description = "Partnership id"),
        crate::http::etag::IfMatchHeader,
    ),
    request_body = UpdatePartnership,
    responses((status = 200, description = "Updated", body = Partnership, headers(("ETag" = String))), UpdateErrors),
    security(("bearer" = []))
)]
pub async fn update_partnership(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Manage>,
    if_match: IfMatch,
    body: Json<UpdatePartnership>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match.required()?;
    let patch = body.into_inner();
    let now = state.clock.now();
    let record = db::run(&state.pool, move |conn| {
        let mut tx = Tx::of(conn, &tenant, now)?;
        model::update(
            &mut tx,
            &tenant.principal,
            tenant.partnership_id,
            expected,
            patch,
        )
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &record))
}
