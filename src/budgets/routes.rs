//! `/v1/partnerships/{id}/budgets`, the multi-year summary, `/v1/budgets/{id}`,
//! its summary and its contributions: thin handlers. Lines and transactions
//! are in `ledger_routes`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::contributions::{self, ContributionView, Copied};
use super::model::{self, Budget};
use super::rules::{
    CopyContributions, CreateBudget, CreateContribution, UpdateBudget, UpdateContribution,
};
use super::summary::{self, BudgetSummary, YearsQuery, YearsSummary};
use crate::auth::tenant::{self, Tenant};
use crate::auth::{Access, Principal};
use crate::db::{self, Id, Tx};
use crate::error::{ApiError, CreateErrors, ListErrors, ReadErrors, UpdateErrors};
use crate::http::{derived_view, with_etag, write, Answer, IfMatch, Json, Page, Paginated};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/partnerships/{id}/budgets")
            .route(web::post().to(create_budget))
            .route(web::get().to(list_budgets)),
    )
    .service(
        web::resource("/partnerships/{id}/budgets/summary").route(web::get().to(years_summary)),
    )
    .service(
        web::resource("/budgets/{id}")
            .route(web::get().to(get_budget))
            .route(web::patch().to(update_budget)),
    )
    .service(web::resource("/budgets/{id}/summary").route(web::get().to(budget_summary)))
    .service(
        web::resource("/budgets/{id}/contributions")
            .route(web::post().to(create_contribution))
            .route(web::get().to(list_contributions)),
    )
    .service(
        web::resource("/budgets/{id}/contributions/copy").route(web::post().to(copy_contributions)),
    )
    .service(
        web::resource("/budgets/{id}/contributions/{contribution_id}")
            .route(web::get().to(get_contribution))
            .route(web::patch().to(update_contribution)),
    );
}

/// Open a budget for a financial year (admins): one per year.
#[utoipa::path(
    post,
    path = "/v1/partnerships/{id}/budgets",
    tag = "budgets",
    params(("id" = Id, Path, description = "Partnership id")),
    request_body = CreateBudget,
    responses((status = 201, description = "Created", body = Budget, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
pub async fn create_budget(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Manage>,
    body: Json<CreateBudget>,
) -> Result<HttpResponse, ApiError> {
    let form = body.into_inner();
    let now = state.clock.now();
    write(&state.pool, move |conn| {
        let mut tx = Tx::of(conn, &tenant, now)?;
        let budget = model::create(&mut tx, &tenant, form)?;
        Answer::created(format!("/v1/budgets/{}", budget.id), &budget)
    })
    .await
}

/// The partnership's budgets in year order (a viewer sees published years only).
#[utoipa::path(
    get,
    path = "/v1/partnerships/{id}/budgets",
    tag = "budgets",
    params(("id" = Id, Path, description = "Partnership id"), crate::http::pagination::PageQuery),
    responses((status = 200, description = "One page of budgets", body = Paginated<Budget>), ListErrors),
    security(("bearer" = []))
)]
pub async fn list_budgets(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Read>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let (pid, role) = (tenant.partnership_id, tenant.role);
    let (after, fetch) = (page.after_seq(), page.fetch());
    let rows = db::read(&state.pool, move |conn| {
        crate::partnerships::model::find(conn, pid)?;
        let all = model::of_partnership(conn, pid, role, None, None)?;
        Ok(all
            .into_iter()
            .filter(|b| after.is_none_or(|a| i64::from(b.financial_year.start_year()) > a))
            .take(usize::try_from(fetch).unwrap_or(usize::MAX))
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(HttpResponse::Ok().json(page.finish(rows, |b| {
        Page::position(i64::from(b.financial_year.start_year()))
    })))
}

/// The partnership's years side by side: contributions, income,
/// expenditure and the reserve carried from year to year. A year without a
/// budget (or, to a viewer, unpublished) is listed with null figures.
#[utoipa::path(
    get,
    path = "/v1/partnerships/{id}/budgets/summary",
    tag = "budgets",
    params(("id" = Id, Path, description = "Partnership id"), YearsQuery),
    responses(
        (status = 200, description = "The years from `from` to `to`", body = YearsSummary, headers(("Cache-Control" = String, description = "private, no-cache: derived figures"))),
        (status = 409, description = "A figure is beyond the range of a 64-bit number of pence.", body = crate::error::Problem, content_type = "application/problem+json"),
        ListErrors,
    ),
    security(("bearer" = []))
)]
pub async fn years_summary(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Read>,
    query: web::Query<YearsQuery>,
) -> Result<HttpResponse, ApiError> {
    let (pid, role) = (tenant.partnership_id, tenant.role);
    let query = query.into_inner();
    let years = db::read(&state.pool, move |conn| {
        summary::years(conn, pid, role, query)
    })
    .await?;
    Ok(derived_view(HttpResponse::Ok().json(years)))
}

/// Read one budget (an unpublished one is 404 to a viewer).
#[utoipa::path(
    get,
    path = "/v1/budgets/{id}",
    tag = "budgets",
    params(("id" = Id, Path, description = "Budget id")),
    responses((status = 200, description = "The budget", body = Budget, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
pub async fn get_budget(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let (budget, _) = db::read(&state.pool, move |conn| {
        model::find_for(conn, &principal, id, Access::Read)
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &budget))
}

/// Change a budget (admins): publish it, set its reserve target or
/// opening reserve, or close it (`"status": "closed"`, once the year before
/// is closed), which fixes its closing reserve. A closed year is never
/// reopened and changes only `published`.
#[utoipa::path(
    patch,
    path = "/v1/budgets/{id}",
    tag = "budgets",
    params(("id" = Id, Path, description = "Budget id"), crate::http::etag::IfMatchHeader),
    request_body = UpdateBudget,
    responses((status = 200, description = "Updated", body = Budget, headers(("ETag" = String))), UpdateErrors),
    security(("bearer" = []))
)]
pub async fn update_budget(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    if_match: IfMatch,
    body: Json<UpdateBudget>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let expected = if_match.required()?;
    let patch = body.into_inner();
    let now = state.clock.now();
    let budget = db::run(&state.pool, move |conn| {
        model::in_budget(conn, &principal, id, now, |tx, before| {
            super::lifecycle::update(tx, &principal, before.clone(), expected, patch)
        })
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &budget))
}

/// The year to the penny: contributions pledged, invoiced and received;
/// per line and in total planned, committed, paid, actual and variance;
/// the reserve from opening (explicit, or carried from the year before) to
/// closing (running, or fixed at close) and its gap to the target.
#[utoipa::path(
    get,
    path = "/v1/budgets/{id}/summary",
    tag = "budgets",
    params(("id" = Id, Path, description = "Budget id")),
    responses(
        (status = 200, description = "The summary", body = BudgetSummary, headers(("Cache-Control" = String, description = "private, no-cache: derived figures"))),
        (status = 409, description = "A figure is beyond the range of a 64-bit number of pence.", body = crate::error::Problem, content_type = "application/problem+json"),
        ReadErrors,
    ),
    security(("bearer" = []))
)]
pub async fn budget_summary(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let summary = db::read(&state.pool, move |conn| {
        let (budget, _) = model::find_for(conn, &principal, id, Access::Read)?;
        summary::of_budget(conn, &budget)
    })
    .await?;
    Ok(derived_view(HttpResponse::Ok().json(summary)))
}

/// Record a partner's contribution to an open year (admins).
#[utoipa::path(
    post,
    path = "/v1/budgets/{id}/contributions",
    tag = "budgets",
    params(("id" = Id, Path, description = "Budget id")),
    request_body = CreateContribution,
    responses((status = 201, description = "Created", body = ContributionView, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
pub async fn create_contribution(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    body: Json<CreateContribution>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let form = body.into_inner();
    let now = state.clock.now();
    write(&state.pool, move |conn| {
        model::in_budget(conn, &principal, id, now, |tx, budget| {
            let made = contributions::create(tx, &principal, budget, form)?;
            let view = contributions::view(tx, made)?;
            let location = format!("/v1/budgets/{id}/contributions/{}", view.contribution.id);
            Answer::created(location, &view)
        })
    })
    .await
}

/// The year's contributions, in the order they were recorded.
#[utoipa::path(
    get,
    path = "/v1/budgets/{id}/contributions",
    tag = "budgets",
    params(("id" = Id, Path, description = "Budget id"), crate::http::pagination::PageQuery),
    responses((status = 200, description = "One page of contributions", body = Paginated<ContributionView>, headers(("Cache-Control" = String, description = "private, no-cache: derived fields change without the version"))), ListErrors),
    security(("bearer" = []))
)]
pub async fn list_contributions(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let query_page = page.clone();
    let rows = db::read(&state.pool, move |conn| {
        model::find_for(conn, &principal, id, Access::Read)?;
        let rows = contributions::page(conn, id, &query_page)?;
        contributions::views(conn, rows)
    })
    .await?;
    Ok(derived_view(
        HttpResponse::Ok().json(page.finish(rows, |c| c.contribution.id)),
    ))
}

/// Copy another year's contributions into this open year at the same
/// amounts (admins), in one write: "contributions for 2020/21 remain at the
/// same level as 2019/20". Organisations that already contribute to this
/// year, or are no longer members, are left out and listed.
#[utoipa::path(
    post,
    path = "/v1/budgets/{id}/contributions/copy",
    tag = "budgets",
    params(("id" = Id, Path, description = "Budget id")),
    request_body = CopyContributions,
    responses((status = 200, description = "The contributions made, and those left out", body = Copied), CreateErrors),
    security(("bearer" = []))
)]
pub async fn copy_contributions(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    body: Json<CopyContributions>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let form = body.into_inner();
    let now = state.clock.now();
    write(&state.pool, move |conn| {
        model::in_budget(conn, &principal, id, now, |tx, budget| {
            let (made, skipped) = contributions::copy(tx, &principal, budget, form)?;
            let copied = contributions::views(tx, made)?;
            Answer::json(StatusCode::OK, &Copied { copied, skipped })
        })
    })
    .await
}

/// Read one contribution.
#[utoipa::path(
    get,
    path = "/v1/budgets/{id}/contributions/{contribution_id}",
    tag = "budgets",
    params(("id" = Id, Path, description = "Budget id"), ("contribution_id" = Id, Path, description = "Contribution id")),
    responses((status = 200, description = "The contribution", body = ContributionView, headers(("ETag" = String), ("Cache-Control" = String, description = "private, no-cache: derived fields change without the version"))), ReadErrors),
    security(("bearer" = []))
)]
pub async fn get_contribution(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id)>,
) -> Result<HttpResponse, ApiError> {
    let (id, contribution_id) = path.into_inner();
    let view = db::read(&state.pool, move |conn| {
        model::find_for(conn, &principal, id, Access::Read)?;
        let found = contributions::find(conn, id, contribution_id)?;
        contributions::view(conn, found)
    })
    .await?;
    Ok(derived_view(with_etag(StatusCode::OK, &view)))
}

/// Change a contribution of an open year (admins): its amount, status or note.
#[utoipa::path(
    patch,
    path = "/v1/budgets/{id}/contributions/{contribution_id}",
    tag = "budgets",
    params(("id" = Id, Path, description = "Budget id"), ("contribution_id" = Id, Path, description = "Contribution id"), crate::http::etag::IfMatchHeader),
    request_body = UpdateContribution,
    responses((status = 200, description = "Updated", body = ContributionView, headers(("ETag" = String))), UpdateErrors),
    security(("bearer" = []))
)]
pub async fn update_contribution(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id)>,
    if_match: IfMatch,
    body: Json<UpdateContribution>,
) -> Result<HttpResponse, ApiError> {
    let (id, contribution_id) = path.into_inner();
    let expected = if_match.required()?;
    let patch = body.into_inner();
    let now = state.clock.now();
    let view = db::run(&state.pool, move |conn| {
        model::in_budget(conn, &principal, id, now, |tx, budget| {
            let before = contributions::find(tx, id, contribution_id)?;
            let after = contributions::update(tx, &principal, budget, before, expected, patch)?;
            contributions::view(tx, after)
        })
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &view))
}
