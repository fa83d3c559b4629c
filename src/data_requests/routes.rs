//! `/v1/partnerships/{id}/data-requests` and `/v1/data-requests/{id}`:
//! admins ask agencies for a quarter's metrics; everyone with a role reads
//! the requests and their completeness (a submitter, those asking its own
//! organisation, and only its own row).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::completeness::{self, Completeness};
use super::model::{self, DataRequest, RequestFilter};
use super::rules::{CreateDataRequest, UpdateDataRequest};
use crate::auth::tenant::{self, Tenant};
use crate::auth::{Access, Principal};
use crate::db::Tx;
use crate::db::{self, Id};
use crate::error::{ApiError, CreateErrors, ListErrors, ReadErrors, UpdateErrors};
use crate::http::{derived_view, with_etag, write, Answer, IfMatch, Json, Page, Paginated};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/partnerships/{id}/data-requests")
            .route(web::post().to(create_data_request))
            .route(web::get().to(list_data_requests)),
    )
    .service(
        web::resource("/data-requests/{id}")
            .route(web::get().to(get_data_request))
            .route(web::patch().to(update_data_request)),
    )
    .service(
        web::resource("/data-requests/{id}/completeness").route(web::get().to(get_completeness)),
    );
}

/// Ask agencies for a quarter's metrics by a due date (admins). Two open
/// requests may not ask the same agency for the same metric and quarter
/// (409).
#[utoipa::path(
    post,
    path = "/v1/partnerships/{id}/data-requests",
    tag = "performance data",
    params(("id" = Id, Path, description = "Partnership id")),
    request_body = CreateDataRequest,
    responses((status = 201, description = "Opened", body = DataRequest, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
pub async fn create_data_request(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Manage>,
    body: Json<CreateDataRequest>,
) -> Result<HttpResponse, ApiError> {
    let form = body.into_inner();
    let now = state.clock.now();
    write(&state.pool, move |conn| {
        let mut tx = Tx::of(conn, &tenant, now)?;
        let record = model::create(&mut tx, &tenant, form)?;
        Answer::created(format!("/v1/data-requests/{}", record.id), &record)
    })
    .await
}

/// The partnership's data requests, oldest first, filtered by period,
/// status and agency asked. A submitter sees those asking its organisation.
#[utoipa::path(
    get,
    path = "/v1/partnerships/{id}/data-requests",
    tag = "performance data",
    params(("id" = Id, Path, description = "Partnership id"), RequestFilter, crate::http::pagination::PageQuery),
    responses((status = 200, description = "One page of data requests", body = Paginated<DataRequest>), ListErrors),
    security(("bearer" = []))
)]
pub async fn list_data_requests(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Member>,
    filter: web::Query<RequestFilter>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let Tenant {
        partnership_id,
        principal,
        ..
    } = tenant;
    let mut filter = filter.into_inner();
    filter.organisation_id = principal.require_data_read(partnership_id, filter.organisation_id)?;
    let role = principal.role_in(partnership_id)?;
    let query_page = page.clone();
    let rows: Vec<_> = db::read(&state.pool, move |conn| {
        model::list(conn, partnership_id, &filter, &query_page)
    })
    .await?
    .into_iter()
    .map(|r| r.seen_by(&principal, role))
    .collect();
    Ok(HttpResponse::Ok().json(page.finish(rows, |r| r.id)))
}

/// Read one data request.
#[utoipa::path(
    get,
    path = "/v1/data-requests/{id}",
    tag = "performance data",
    params(("id" = Id, Path, description = "Data request id")),
    responses((status = 200, description = "The data request", body = DataRequest, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
pub async fn get_data_request(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let record = db::read(&state.pool, move |conn| {
        let (record, role) = model::find_for(conn, &principal, id, Access::Read)?;
        Ok(record.seen_by(&principal, role))
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &record))
}

/// Change what a request asks or its due date, close it or reopen it
/// (admins). Reopening, or asking more, is refused (409) when another open
/// request of the quarter already asks an agency for one of its metrics.
#[utoipa::path(
    patch,
    path = "/v1/data-requests/{id}",
    tag = "performance data",
    params(("id" = Id, Path, description = "Data request id"), crate::http::etag::IfMatchHeader),
    request_body = UpdateDataRequest,
    responses((status = 200, description = "Updated", body = DataRequest, headers(("ETag" = String))), UpdateErrors),
    security(("bearer" = []))
)]
pub async fn update_data_request(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    if_match: IfMatch,
    body: Json<UpdateDataRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let expected = if_match.required()?;
    let patch = body.into_inner();
    let now = state.clock.now();
    let record = db::run(&state.pool, move |conn| {
        let (before, _) = model::find_for(conn, &principal, id, Access::Manage)?;
        let mut tx = Tx::of_record(conn, Some(before.partnership_id), now)?;
        let (before, _) = model::find_for(&mut tx, &principal, id, Access::Manage)?;
        model::update(&mut tx, &principal, before, expected, patch)
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &record))
}

/// Per agency asked: the values due, received, late and missing (which
/// metrics), and the totals. A submitter sees its own organisation's row.
/// With `Accept: text/csv`, a row per agency and a row of totals.
#[utoipa::path(
    get,
    path = "/v1/data-requests/{id}/completeness",
    tag = "performance data",
    params(("id" = Id, Path, description = "Data request id")),
    responses(
        (status = 200, description = "The completeness report, as JSON or CSV", headers(("Cache-Control" = String, description = "private, no-cache: derived figures")), content(
            (Completeness = "application/json"),
            (String = "text/csv"),
        )),
        (status = 406, description = "No acceptable representation", body = crate::error::Problem, content_type = "application/problem+json"),
        ReadErrors,
    ),
    security(("bearer" = []))
)]
pub async fn get_completeness(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let csv = crate::http::csv_safe::wanted(&req)?;
    let report = db::read(&state.pool, move |conn| {
        let (request, _) = model::find_for(conn, &principal, id, Access::Read)?;
        let only = principal.require_data_read(request.partnership_id, None)?;
        completeness::read(conn, &request, only)
    })
    .await?;
    if csv {
        let name = format!("completeness-{}.csv", report.period.to_lowercase());
        return Ok(crate::http::csv_safe::attachment(
            completeness::csv(&report),
            &name,
        ));
    }
    Ok(derived_view(
        HttpResponse::Ok()
            .insert_header((actix_web::http::header::VARY, "Accept"))
            .json(report),
    ))
}
