//! `/v1/partnerships/{id}/submissions`: push a quarter's values (JSON), read
//! them back.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::model::{self, MetricValue, ValueFilter};
use super::rules::{agree, Batch, Entry, Flags, ImportSummary, Submission, SubmitQuery};
use super::table::{self, MetricTable, TableQuery};
use crate::auth::tenant::{self, Tenant};
use crate::db::Tx;
use crate::db::{self, Id};
use crate::error::{ApiError, ListErrors, SubmissionErrors};
use crate::http::{derived_view, write, Answer, Page, Paginated};
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
/// organisation only, or an admin), as JSON or as CSV (`Content-Type:
/// text/csv`, header `metric,value,comment`, with `period` and
/// `organisation_id` in the query). Values that do not fit are listed in
/// `rejected` with their index (and a CSV row's line) and reason; the rest
/// are stored. A value is linked to the open data request asking for it,
/// flagged `late` after its due date; one only a closed request asks for is
/// rejected. Resubmitting updates changed values and leaves the rest
/// `unchanged`, so retries never duplicate. `dry_run` answers without
/// storing; `atomic` stores nothing if any value is rejected (each in the
/// body or the query, the same if both); `Idempotency-Key` replays the
/// first answer. Against the caller's rate limit it counts one request per
/// 100 values (at most the whole bucket, so a large one waits for a full
/// bucket).
#[utoipa::path(
    post,
    path = "/v1/partnerships/{id}/submissions",
    tag = "performance data",
    operation_id = "submit_values",
    params(
        ("id" = Id, Path, description = "Partnership id"),
        SubmitQuery,
    ),
    request_body(content(
        (Submission = "application/json"),
        (super::csv_body::CsvSubmission = "text/csv", example = json!("metric,value,comment\r\nCP-PLANS,132,Quarter 2 2019/20\r\nTIMELY-ICPC,87.5,\r\n")),
    )),
    responses((status = 200, description = "The import summary", body = ImportSummary), SubmissionErrors),
    security(("bearer" = []))
)]
pub async fn submit(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Submit>,
    query: web::Query<SubmitQuery>,
    charge: Charge,
) -> Result<HttpResponse, ApiError> {
    let partnership_id = tenant.partnership_id;
    let query = query.into_inner();
    let mut payload = payload.into_inner();
    let (batch, flags) = read_submission(&req, &mut payload, &query).await?;
    tenant
        .principal
        .require_submission(partnership_id, batch.organisation_id)?;
    charge.total(rate_limits::rules::submission_cost(batch.entries.len()))?;
    let now = state.clock.now();
    write(&state.pool, move |conn| {
        let mut tx = Tx::of(conn, &tenant, now)?;
        let summary = model::submit(&mut tx, &tenant, batch, flags)?;
        Answer::json(StatusCode::OK, &summary)
    })
    .await
}

/// The submission in either body, with the query's period, agency and flags.
async fn read_submission(
    req: &HttpRequest,
    payload: &mut actix_web::dev::Payload,
    query: &SubmitQuery,
) -> Result<(Batch, Flags), ApiError> {
    let csv = match crate::http::json::media_type(req).as_deref() {
        Some("text/csv") => true,
        Some(m) if crate::http::json::is_json_type(m) => false,
        _ => {
            return Err(ApiError::UnsupportedMediaType(
                "send the values as application/json, or as text/csv with period and organisation_id in the query".into(),
            ))
        }
    };
    let bytes = crate::http::json::read_body(req, payload).await?;
    if csv {
        let required = |name: &str| ApiError::query(name, "is required with a text/csv body");
        let period = query.period.clone().ok_or_else(|| required("period"))?;
        let organisation_id = query
            .organisation_id
            .ok_or_else(|| required("organisation_id"))?;
        // Off the server's threads: a body of up to 16 MiB.
        let entries = web::block(move || super::csv_body::entries(&bytes))
            .await
            .map_err(|e| ApiError::Internal(format!("reading the CSV body: {e}")))??;
        let batch = Batch {
            period,
            organisation_id,
            entries,
        };
        return Ok((batch, Flags::of(query, None)?));
    }
    let form: Submission = crate::http::json::parse(&bytes)?;
    let flags = Flags::of(query, Some(&form))?;
    let period =
        agree("period", query.period.clone(), Some(form.period.clone()))?.unwrap_or_default();
    let organisation_id = agree(
        "organisation_id",
        query.organisation_id,
        Some(form.organisation_id),
    )?
    .unwrap_or(form.organisation_id);
    let entries = form
        .values
        .iter()
        .enumerate()
        .map(|(i, v)| Entry::of_json(i, v))
        .collect();
    Ok((
        Batch {
            period,
            organisation_id,
            entries,
        },
        flags,
    ))
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
        ..
    } = tenant;
    let mut filter = filter.into_inner();
    filter.organisation_id = principal.require_data_read(partnership_id, filter.organisation_id)?;
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
