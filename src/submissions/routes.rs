//! `/v1/partnerships/{id}/submissions`: push a quarter's values (JSON), read
//! them back.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::model::{self, MetricValue, ValueFilter};
use super::rules::{Flags, ImportSummary, Submission, SubmitQuery};
use super::table::{self, MetricTable, TableQuery};
use crate::auth::tenant::{self, Tenant};
use crate::auth::{Access, Role};
use crate::db::Tx;
use crate::db::{self, Id};
use crate::error::{ApiError, ListErrors, TransitionErrors};
use crate::http::{derived_view, write, Answer, Json, Page, Paginated};
use crate::rate_limits::{self, Charge};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/partnerships/{id}/submissions")
            // 10,000 values with their comments: more than other bodies
            // (`http::json::is_bulk`).
            .route(web::post().to(submit))
            .route(web::get().to(list_values)),
    )
    .service(
        web::resource("/partnerships/{id}/metrics/{metric_id}/table")
            .route(web::get().to(metric_table)),
    );
}

/// One metric's values as a table: a row per quarter from `from` to `to`,
/// a column per organisation, each row's exact total and mean. With
/// `Accept: text/csv`, the same table as CSV.
#[utoipa::path(
    get,
    path = "/v1/partnerships/{id}/metrics/{metric_id}/table",
    tag = "performance data",
    params(("id" = Id, Path, description = "Partnership id"), ("metric_id" = Id, Path, description = "Metric id"), TableQuery),
    responses(
        (status = 200, description = "The table, as JSON or CSV", headers(("Cache-Control" = String, description = "private, no-cache: derived figures")), content(
            (MetricTable = "application/json"),
            (String = "text/csv"),
        )),
        (status = 406, description = "No acceptable representation", body = crate::error::Problem, content_type = "application/problem+json"),
        ListErrors,
    ),
    security(("bearer" = []))
)]
pub async fn metric_table(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Read>,
    path: web::Path<(Id, Id)>,
    query: web::Query<TableQuery>,
) -> Result<HttpResponse, ApiError> {
    let (_, metric_id) = path.into_inner();
    let partnership_id = tenant.partnership_id;
    let csv = crate::http::csv_safe::wanted(&req)?;
    let query = query.into_inner();
    let found = db::read(&state.pool, move |conn| {
        table::table(conn, partnership_id, metric_id, &query)
    })
    .await?;
    if csv {
        let name = format!("{}.csv", found.code.to_lowercase());
        return Ok(crate::http::csv_safe::attachment(table::csv(&found), &name));
    }
    Ok(derived_view(
        HttpResponse::Ok()
            .insert_header((actix_web::http::header::VARY, "Accept"))
            .json(found),
    ))
}

/// Submit one agency's values for a period (a submitter for its own
/// organisation only, or an admin). Values that do not fit are listed in
/// `rejected` with their index and reason; the rest are stored. Resubmitting
/// updates changed values and leaves the rest `unchanged`, so retries never
/// duplicate. `dry_run` answers without storing; `atomic` stores nothing if
/// any value is rejected (each in the body or the query, the same if both); `Idempotency-Key` replays the first answer. Against the
/// caller's rate limit it counts one request per 100 values (at most the
/// whole bucket, so a large one waits for a full bucket).
#[utoipa::path(
    post,
    path = "/v1/partnerships/{id}/submissions",
    tag = "performance data",
    operation_id = "submit_values",
    params(
        ("id" = Id, Path, description = "Partnership id"),
        SubmitQuery,
    ),
    request_body = Submission,
    responses((status = 200, description = "The import summary", body = ImportSummary), TransitionErrors),
    security(("bearer" = []))
)]
pub async fn submit(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Submit>,
    query: web::Query<SubmitQuery>,
    body: Json<Submission>,
    charge: Charge,
) -> Result<HttpResponse, ApiError> {
    let partnership_id = tenant.partnership_id;
    let form = body.into_inner();
    tenant
        .principal
        .require_submission(partnership_id, form.organisation_id)?;
    let flags = Flags::of(&query, &form)?;
    charge.total(rate_limits::rules::submission_cost(form.values.len()))?;
    let now = state.clock.now();
    write(&state.pool, move |conn| {
        let mut tx = Tx::of(conn, &tenant, now)?;
        let summary = model::submit(&mut tx, &tenant, form, flags)?;
        Answer::json(StatusCode::OK, &summary)
    })
    .await
}

/// The submitted values, filtered by period, agency and metric. A submitter
/// sees only its own organisation's. With `Accept: text/csv`, every value
/// under the filters (no pages), with its metric's code and agency's name.
#[utoipa::path(
    get,
    path = "/v1/partnerships/{id}/submissions",
    tag = "performance data",
    params(("id" = Id, Path, description = "Partnership id"), ValueFilter, crate::http::pagination::PageQuery),
    responses(
        (status = 200, description = "One page of values, or all of them as CSV", content(
            (Paginated<MetricValue> = "application/json"),
            (String = "text/csv"),
        )),
        (status = 406, description = "No acceptable representation", body = crate::error::Problem, content_type = "application/problem+json"),
        ListErrors,
    ),
    security(("bearer" = []))
)]
pub async fn list_values(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Member>,
    filter: web::Query<ValueFilter>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let Tenant {
        partnership_id,
        principal,
        role,
        ..
    } = tenant;
    let mut filter = filter.into_inner();
    if role == Role::Submitter {
        let own = principal
            .organisation_id
            .ok_or_else(|| ApiError::forbidden("this submitter acts for no organisation"))?;
        if filter.organisation_id.is_some_and(|o| o != own) {
            return Err(ApiError::forbidden(
                "a submitter reads only its own organisation's values",
            ));
        }
        filter.organisation_id = Some(own);
    } else {
        principal.require(partnership_id, Access::Read)?;
    }
    if crate::http::csv_safe::wanted(&req)? {
        let body = db::read(&state.pool, move |conn| {
            let rows = model::list(conn, partnership_id, &filter, None)?;
            table::values_csv(conn, partnership_id, &rows)
        })
        .await?;
        return Ok(crate::http::csv_safe::attachment(body, "values.csv"));
    }
    let query_page = page.clone();
    let rows = db::read(&state.pool, move |conn| {
        model::list(conn, partnership_id, &filter, Some(&query_page))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::VARY, "Accept"))
        .json(page.finish(rows, |v| v.id)))
}
