//! `/v1/budgets/{id}/lines` and `/v1/budgets/{id}/transactions`: thin
//! handlers; both lists are also CSV (`Accept: text/csv`).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use super::lines::{self, Line};
use super::model;
use super::rules::{CreateLine, CreateReversal, CreateTransaction, UpdateLine, UpdateTransaction};
use super::transactions::{self, TransactionFilter, TransactionView};
use crate::auth::{Access, Principal};
use crate::db::{self, Id};
use crate::error::{ApiError, CreateErrors, DeleteErrors, ListErrors, ReadErrors, UpdateErrors};
use crate::http::csv_safe;
use crate::http::{derived_view, with_etag, write, Answer, IfMatch, Json, Page, Paginated};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/budgets/{id}/lines")
            .route(web::post().to(create_line))
            .route(web::get().to(list_lines)),
    )
    .service(
        web::resource("/budgets/{id}/lines/{line_id}")
            .route(web::get().to(get_line))
            .route(web::patch().to(update_line)),
    )
    .service(
        web::resource("/budgets/{id}/transactions")
            .route(web::post().to(create_transaction))
            .route(web::get().to(list_transactions)),
    )
    .service(
        web::resource("/budgets/{id}/transactions/{transaction_id}")
            .route(web::get().to(get_transaction))
            .route(web::patch().to(update_transaction))
            .route(web::delete().to(delete_transaction)),
    )
    .service(
        web::resource("/budgets/{id}/transactions/{transaction_id}/reversal")
            .route(web::post().to(reverse_transaction)),
    );
}

/// Add a line to an open year (admins): income or expenditure, with its
/// planned amount.
#[utoipa::path(
    post,
    path = "/v1/budgets/{id}/lines",
    tag = "budgets",
    params(("id" = Id, Path, description = "Budget id")),
    request_body = CreateLine,
    responses((status = 201, description = "Created", body = Line, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
pub async fn create_line(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    body: Json<CreateLine>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let form = body.into_inner();
    let now = state.clock.now();
    write(&state.pool, move |conn| {
        model::in_budget(conn, &principal, id, now, |tx, budget| {
            let line = lines::create(tx, &principal, budget, form)?;
            Answer::created(format!("/v1/budgets/{id}/lines/{}", line.id), &line)
        })
    })
    .await
}

/// The year's lines in the order they were added. With `Accept: text/csv`
/// every line with its figures (planned, committed, paid, actual, variance,
/// from reserve) in pounds.
#[utoipa::path(
    get,
    path = "/v1/budgets/{id}/lines",
    tag = "budgets",
    params(("id" = Id, Path, description = "Budget id"), crate::http::pagination::PageQuery),
    responses(
        (status = 200, description = "One page of lines, or every line with its figures as CSV", content(
            (Paginated<Line> = "application/json"),
            (String = "text/csv"),
        )),
        (status = 406, description = "No acceptable representation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "A figure is beyond the range of a 64-bit number of pence (CSV).", body = crate::error::Problem, content_type = "application/problem+json"),
        ListErrors,
    ),
    security(("bearer" = []))
)]
pub async fn list_lines(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    if csv_safe::wanted(&req)? {
        let (body, year) = db::read(&state.pool, move |conn| {
            let (budget, _) = model::find_for(conn, &principal, id, Access::Read)?;
            let summary = super::summary::of_budget(conn, &budget)?;
            Ok((super::csv::lines(&summary.lines), budget.financial_year))
        })
        .await?;
        return Ok(csv_safe::attachment(
            body,
            &format!("budget-lines-{year}.csv"),
        ));
    }
    let query_page = page.clone();
    let rows = db::read(&state.pool, move |conn| {
        model::find_for(conn, &principal, id, Access::Read)?;
        lines::page(conn, id, &query_page)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::VARY, "Accept"))
        .json(page.finish(rows, |l| l.id)))
}

/// Read one line.
#[utoipa::path(
    get,
    path = "/v1/budgets/{id}/lines/{line_id}",
    tag = "budgets",
    params(("id" = Id, Path, description = "Budget id"), ("line_id" = Id, Path, description = "Line id")),
    responses((status = 200, description = "The line", body = Line, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
pub async fn get_line(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id)>,
) -> Result<HttpResponse, ApiError> {
    let (id, line_id) = path.into_inner();
    let line = db::read(&state.pool, move |conn| {
        model::find_for(conn, &principal, id, Access::Read)?;
        lines::find(conn, id, line_id)
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &line))
}

/// Change a line of an open year (admins): its name, kind, planned amount
/// or description.
#[utoipa::path(
    patch,
    path = "/v1/budgets/{id}/lines/{line_id}",
    tag = "budgets",
    params(("id" = Id, Path, description = "Budget id"), ("line_id" = Id, Path, description = "Line id"), crate::http::etag::IfMatchHeader),
    request_body = UpdateLine,
    responses((status = 200, description = "Updated", body = Line, headers(("ETag" = String))), UpdateErrors),
    security(("bearer" = []))
)]
pub async fn update_line(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id)>,
    if_match: IfMatch,
    body: Json<UpdateLine>,
) -> Result<HttpResponse, ApiError> {
    let (id, line_id) = path.into_inner();
    let expected = if_match.required()?;
    let patch = body.into_inner();
    let now = state.clock.now();
    let line = db::run(&state.pool, move |conn| {
        model::in_budget(conn, &principal, id, now, |tx, budget| {
            let before = lines::find(tx, id, line_id)?;
            lines::update(tx, &principal, budget, before, expected, patch)
        })
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &line))
}

/// Book a transaction on a line of an open year (admins): dated inside the
/// year, a commitment or a payment, from the year's income or the reserve.
#[utoipa::path(
    post,
    path = "/v1/budgets/{id}/transactions",
    tag = "budgets",
    params(("id" = Id, Path, description = "Budget id")),
    request_body = CreateTransaction,
    responses((status = 201, description = "Booked", body = TransactionView, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
pub async fn create_transaction(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    body: Json<CreateTransaction>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let form = body.into_inner();
    let now = state.clock.now();
    write(&state.pool, move |conn| {
        model::in_budget(conn, &principal, id, now, |tx, budget| {
            let booked = transactions::create(tx, &principal, budget, form)?;
            let view = transactions::view(tx, booked)?;
            let location = format!("/v1/budgets/{id}/transactions/{}", view.transaction.id);
            Answer::created(location, &view)
        })
    })
    .await
}

/// The year's transactions in date order, filtered. With `Accept: text/csv`
/// all of them under the filters (no pages), amounts in pounds.
#[utoipa::path(
    get,
    path = "/v1/budgets/{id}/transactions",
    tag = "budgets",
    params(("id" = Id, Path, description = "Budget id"), TransactionFilter, crate::http::pagination::PageQuery),
    responses(
        (status = 200, description = "One page of transactions, or all of them as CSV", headers(("Cache-Control" = String, description = "private, no-cache: derived fields change without the version")), content(
            (Paginated<TransactionView> = "application/json"),
            (String = "text/csv"),
        )),
        (status = 406, description = "No acceptable representation", body = crate::error::Problem, content_type = "application/problem+json"),
        ListErrors,
    ),
    security(("bearer" = []))
)]
pub async fn list_transactions(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    filter: web::Query<TransactionFilter>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let filter = filter.into_inner();
    if csv_safe::wanted(&req)? {
        let (body, year) = db::read(&state.pool, move |conn| {
            let (budget, _) = model::find_for(conn, &principal, id, Access::Read)?;
            let rows = transactions::list(conn, id, &filter, None, None)?;
            let rows = transactions::views(conn, rows)?;
            Ok((super::csv::transactions(&rows), budget.financial_year))
        })
        .await?;
        let name = format!("budget-transactions-{year}.csv");
        return Ok(csv_safe::attachment(body, &name));
    }
    let query_page = page.clone();
    let rows = db::read(&state.pool, move |conn| {
        model::find_for(conn, &principal, id, Access::Read)?;
        let rows = transactions::page(conn, id, &filter, &query_page)?;
        transactions::views(conn, rows)
    })
    .await?;
    Ok(derived_view(
        HttpResponse::Ok()
            .insert_header((header::VARY, "Accept"))
            .json(page.finish(rows, |t| t.transaction.id)),
    ))
}

/// Read one transaction.
#[utoipa::path(
    get,
    path = "/v1/budgets/{id}/transactions/{transaction_id}",
    tag = "budgets",
    params(("id" = Id, Path, description = "Budget id"), ("transaction_id" = Id, Path, description = "Transaction id")),
    responses((status = 200, description = "The transaction", body = TransactionView, headers(("ETag" = String), ("Cache-Control" = String, description = "private, no-cache: derived fields change without the version"))), ReadErrors),
    security(("bearer" = []))
)]
pub async fn get_transaction(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id)>,
) -> Result<HttpResponse, ApiError> {
    let (id, transaction_id) = path.into_inner();
    let view = db::read(&state.pool, move |conn| {
        model::find_for(conn, &principal, id, Access::Read)?;
        let found = transactions::find(conn, id, transaction_id)?;
        transactions::view(conn, found)
    })
    .await?;
    Ok(derived_view(with_etag(StatusCode::OK, &view)))
}

/// Change a transaction of an open year entered wrongly (admins). A closed
/// year's transactions, reversed ones and reversing entries are not
/// changed (409): book a reversal instead.
#[utoipa::path(
    patch,
    path = "/v1/budgets/{id}/transactions/{transaction_id}",
    tag = "budgets",
    params(("id" = Id, Path, description = "Budget id"), ("transaction_id" = Id, Path, description = "Transaction id"), crate::http::etag::IfMatchHeader),
    request_body = UpdateTransaction,
    responses((status = 200, description = "Updated", body = TransactionView, headers(("ETag" = String))), UpdateErrors),
    security(("bearer" = []))
)]
pub async fn update_transaction(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id)>,
    if_match: IfMatch,
    body: Json<UpdateTransaction>,
) -> Result<HttpResponse, ApiError> {
    let (id, transaction_id) = path.into_inner();
    let expected = if_match.required()?;
    let patch = body.into_inner();
    let now = state.clock.now();
    let view = db::run(&state.pool, move |conn| {
        model::in_budget(conn, &principal, id, now, |tx, budget| {
            let before = transactions::find(tx, id, transaction_id)?;
            let after = transactions::update(tx, &principal, budget, before, expected, patch)?;
            transactions::view(tx, after)
        })
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &view))
}

/// Remove a transaction of an open year entered in error (admins; audited).
/// A closed year's transactions are reversed instead (409).
#[utoipa::path(
    delete,
    path = "/v1/budgets/{id}/transactions/{transaction_id}",
    tag = "budgets",
    params(("id" = Id, Path, description = "Budget id"), ("transaction_id" = Id, Path, description = "Transaction id"), crate::http::etag::IfMatchHeader),
    responses((status = 204, description = "Removed"), DeleteErrors),
    security(("bearer" = []))
)]
pub async fn delete_transaction(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (id, transaction_id) = path.into_inner();
    let expected = if_match.required()?;
    let now = state.clock.now();
    db::run(&state.pool, move |conn| {
        model::in_budget(conn, &principal, id, now, |tx, budget| {
            let before = transactions::find(tx, id, transaction_id)?;
            transactions::delete(tx, &principal, budget, &before, expected)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Book the reversing entry of a transaction (admins), in an open or a
/// closed year: the same line, kind and reserve, the opposite amount, once.
/// How a closed year is corrected; its fixed closing reserve stays, and the
/// summary shows the entry under `adjustments_after_close_pence`.
#[utoipa::path(
    post,
    path = "/v1/budgets/{id}/transactions/{transaction_id}/reversal",
    tag = "budgets",
    params(("id" = Id, Path, description = "Budget id"), ("transaction_id" = Id, Path, description = "Transaction id")),
    request_body = CreateReversal,
    responses((status = 201, description = "Booked", body = TransactionView, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
pub async fn reverse_transaction(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id)>,
    body: Json<CreateReversal>,
) -> Result<HttpResponse, ApiError> {
    let (id, transaction_id) = path.into_inner();
    let form = body.into_inner();
    let now = state.clock.now();
    write(&state.pool, move |conn| {
        model::in_budget(conn, &principal, id, now, |tx, budget| {
            let original = transactions::find(tx, id, transaction_id)?;
            let reversal = transactions::reverse(tx, &principal, budget, &original, form)?;
            let view = transactions::view(tx, reversal)?;
            let location = format!("/v1/budgets/{id}/transactions/{}", view.transaction.id);
            Answer::created(location, &view)
        })
    })
    .await
}
