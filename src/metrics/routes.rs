//! `/v1/partnerships/{id}/metrics`: admins define them; everyone with a role
//! in the partnership, submitters included, reads them.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::model::{self, Metric};
use super::rules::{CreateMetric, UpdateMetric};
use crate::auth::tenant::{self, Tenant};
use crate::db::counter::Scope;
use crate::db::Tx;
use crate::db::{self, Id};
use crate::error::{ApiError, CreateErrors, ListErrors, ReadErrors, UpdateErrors};
use crate::http::{with_etag, write, Answer, IfMatch, Json, Page, Paginated};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/partnerships/{id}/metrics")
            .route(web::post().to(create_metric))
            .route(web::get().to(list_metrics)),
    )
    .service(
        web::resource("/partnerships/{id}/metrics/{metric_id}")
            .route(web::get().to(get_metric))
            .route(web::patch().to(update_metric)),
    );
}

/// Define a metric (admins).
#[utoipa::path(
    post,
    path = "/v1/partnerships/{id}/metrics",
    tag = "performance data",
    params(
        ("id" = Id, Path, description = "Partnership id"),
    ),
    request_body = CreateMetric,
    responses((status = 201, description = "Created", body = Metric, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
pub async fn create_metric(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Manage>,
    body: Json<CreateMetric>,
) -> Result<HttpResponse, ApiError> {
    let partnership_id = tenant.partnership_id;
    let form = body.into_inner();
    let now = state.clock.now();
    write(&state.pool, move |conn| {
        let mut tx = Tx::of(conn, &tenant, now)?;
        let record = model::create(&mut tx, &tenant, form)?;
        Answer::created(
            format!("/v1/partnerships/{partnership_id}/metrics/{}", record.id),
            &record,
        )
    })
    .await
}

/// List the partnership's metrics.
#[utoipa::path(
    get,
    path = "/v1/partnerships/{id}/metrics",
    tag = "performance data",
    params(("id" = Id, Path, description = "Partnership id"), crate::http::pagination::PageQuery),
    responses((status = 200, description = "One page of metrics", body = Paginated<Metric>), ListErrors),
    security(("bearer" = []))
)]
pub async fn list_metrics(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Member>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let Tenant { partnership_id, .. } = tenant;
    let query_page = page.clone();
    let rows = db::read(&state.pool, move |conn| {
        model::list(conn, partnership_id, &query_page)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page.finish(rows, |m| m.id)))
}

/// Read one metric.
#[utoipa::path(
    get,
    path = "/v1/partnerships/{id}/metrics/{metric_id}",
    tag = "performance data",
    params(("id" = Id, Path, description = "Partnership id"), ("metric_id" = Id, Path, description = "Metric id")),
    responses((status = 200, description = "The metric", body = Metric, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
pub async fn get_metric(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Member>,
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

/// Rename a metric, change its unit or allowed range (admins).
#[utoipa::path(
    patch,
    path = "/v1/partnerships/{id}/metrics/{metric_id}",
    tag = "performance data",
    params(
        ("id" = Id, Path, description = "Partnership id"),
        ("metric_id" = Id, Path, description = "Metric id"),
        crate::http::etag::IfMatchHeader,
    ),
    request_body = UpdateMetric,
    responses((status = 200, description = "Updated", body = Metric, headers(("ETag" = String))), UpdateErrors),
    security(("bearer" = []))
)]
pub async fn update_metric(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Manage>,
    path: web::Path<(Id, Id)>,
    if_match: IfMatch,
    body: Json<UpdateMetric>,
) -> Result<HttpResponse, ApiError> {
    let Tenant {
        partnership_id,
        principal,
        ..
    } = tenant;
    let (_, id) = path.into_inner();
    let expected = if_match.required()?;
    let patch = body.into_inner();
    let now = state.clock.now();
    let record = db::run(&state.pool, move |conn| {
        let mut tx = Tx::hold(conn, Scope::Partnership(partnership_id), now)?;
        model::update(&mut tx, &principal, partnership_id, id, expected, patch)
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &record))
}
