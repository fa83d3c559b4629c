//! `/v1/partnerships/{id}/actions`, `/v1/actions/{id}`, its updates, and
//! `/v1/meetings/{id}/matters-arising`: thin handlers.

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::arising::{self, MattersArising};
use super::list::{self, ActionFilter};
use super::model;
use super::rules::{self, AsAt, CreateAction, CreateUpdate, UpdateAction};
use super::updates::{self, ActionUpdate};
use super::view::{self, ActionView};
use crate::access;
use crate::auth::tenant::{self, Tenant};
use crate::auth::{Access, Principal};
use crate::db::Tx;
use crate::db::{self, Id};
use crate::error::{ApiError, CreateErrors, ListErrors, ReadErrors, UpdateErrors};
use crate::http::{derived_view, with_etag, write, Answer, IfMatch, Json, Page, Paginated};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/partnerships/{id}/actions")
            .route(web::post().to(create_action))
            .route(web::get().to(list_actions)),
    )
    .service(
        web::resource("/actions/{id}")
            .route(web::get().to(get_action))
            .route(web::patch().to(update_action)),
    )
    .service(
        web::resource("/actions/{id}/updates")
            .route(web::post().to(create_update))
            .route(web::get().to(list_updates)),
    )
    .service(web::resource("/actions/{id}/updates/{update_id}").route(web::get().to(get_update)))
    .service(web::resource("/meetings/{id}/matters-arising").route(web::get().to(matters_arising)));
}

/// Record an action agreed at a meeting (admins and members). Its number is
/// the partnership's next; an admin importing an existing log may give it.
#[utoipa::path(
    post,
    path = "/v1/partnerships/{id}/actions",
    tag = "actions",
    params(("id" = Id, Path, description = "Partnership id")),
    request_body = CreateAction,
    responses((status = 201, description = "Created", body = ActionView, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
pub async fn create_action(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Contribute>,
    body: Json<CreateAction>,
) -> Result<HttpResponse, ApiError> {
    let form = body.into_inner();
    let now = state.clock.now();
    write(&state.pool, move |conn| {
        let mut tx = Tx::of(conn, &tenant, now)?;
        let record = model::create(&mut tx, &tenant, form)?;
        let view = one(&mut tx, record, now)?;
        Answer::created(format!("/v1/actions/{}", view.action.id), &view)
    })
    .await
}

fn one(
    conn: &mut db::DbConnection,
    action: model::Action,
    now: db::UtcTime,
) -> Result<ActionView, ApiError> {
    let pid = action.partnership_id;
    view::views(conn, pid, vec![action], now)?
        .pop()
        .ok_or_else(|| ApiError::internal("an action has one view"))
}

/// The action log in number order, filtered. With `Accept: text/csv` the
/// whole filtered log (no pages) in the columns of a business unit's log.
#[utoipa::path(
    get,
    path = "/v1/partnerships/{id}/actions",
    tag = "actions",
    params(("id" = Id, Path, description = "Partnership id"), ActionFilter, crate::http::pagination::PageQuery),
    responses(
        (status = 200, description = "One page of actions, or the whole log as CSV", headers(("Cache-Control" = String, description = "private, no-cache: derived fields change without the version")), content(
            (Paginated<ActionView> = "application/json"),
            (String = "text/csv"),
        )),
        (status = 406, description = "No acceptable representation", body = crate::error::Problem, content_type = "application/problem+json"),
        ListErrors,
    ),
    security(("bearer" = []))
)]
pub async fn list_actions(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Read>,
    filter: web::Query<ActionFilter>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let Tenant {
        partnership_id,
        role,
        principal,
        ..
    } = tenant;
    let csv = crate::http::csv_safe::wanted(&req)?;
    let filter = filter.into_inner();
    let now = state.clock.now();
    let at = rules::as_at(filter.as_at, now);
    let query_page = page.clone();
    if csv {
        let req_line = req.path().to_owned();
        let body = db::read(&state.pool, move |conn| {
            let rows = list::list(conn, partnership_id, role, &filter, None, None, at)?;
            let rows = view::views(conn, partnership_id, rows, at)?;
            let extras = super::csv::extras(conn, &rows)?;
            // An export handed out: the access log records it.
            let operation = format!("GET {} as text/csv ({} actions)", req_line, rows.len());
            let log = ("action_log", partnership_id);
            access::record_document(conn, &principal, partnership_id, log, &operation, now)?;
            Ok(super::csv::render(&rows, &extras))
        })
        .await?;
        return Ok(crate::http::csv_safe::attachment(body, "action-log.csv"));
    }
    let rows = db::read(&state.pool, move |conn| {
        let after = query_page.after_seq();
        let limit = Some(query_page.fetch());
        let rows = list::list(conn, partnership_id, role, &filter, after, limit, at)?;
        view::views(conn, partnership_id, rows, at)
    })
    .await?;
    Ok(derived_view(
        HttpResponse::Ok()
            .insert_header((header::VARY, "Accept"))
            .json(page.finish(rows, |a| Page::position(a.action.number))),
    ))
}

/// Read one action.
#[utoipa::path(
    get,
    path = "/v1/actions/{id}",
    tag = "actions",
    params(("id" = Id, Path, description = "Action id"), AsAt),
    responses((status = 200, description = "The action", body = ActionView, headers(("ETag" = String), ("Cache-Control" = String, description = "private, no-cache: derived fields change without the version"))), ReadErrors),
    security(("bearer" = []))
)]
pub async fn get_action(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    as_at: web::Query<AsAt>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let now = rules::as_at(as_at.as_at, state.clock.now());
    let view = db::read(&state.pool, move |conn| {
        let (action, _) = model::find_for(conn, &principal, id, Access::Read)?;
        one(conn, action, now)
    })
    .await?;
    Ok(derived_view(with_etag(StatusCode::OK, &view)))
}

/// Change an action: its description, owners, deadline, source or status
/// (admins and members). Cancel rather than delete.
#[utoipa::path(
    patch,
    path = "/v1/actions/{id}",
    tag = "actions",
    params(("id" = Id, Path, description = "Action id"), crate::http::etag::IfMatchHeader),
    request_body = UpdateAction,
    responses((status = 200, description = "Updated", body = ActionView, headers(("ETag" = String))), UpdateErrors),
    security(("bearer" = []))
)]
pub async fn update_action(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    if_match: IfMatch,
    body: Json<UpdateAction>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let expected = if_match.required()?;
    let patch = body.into_inner();
    let now = state.clock.now();
    let view = db::run(&state.pool, move |conn| {
        let (before, _) = model::find_for(conn, &principal, id, Access::Contribute)?;
        let mut tx = Tx::of_record(conn, Some(before.partnership_id), now)?;
        let after = model::update(&mut tx, &principal, before, expected, patch)?;
        one(&mut tx, after, now)
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &view))
}

/// Add a dated progress note to an action (admins and members), with the
/// meeting it was reported at and any change of status.
#[utoipa::path(
    post,
    path = "/v1/actions/{id}/updates",
    tag = "actions",
    params(("id" = Id, Path, description = "Action id")),
    request_body = CreateUpdate,
    responses((status = 201, description = "Recorded", body = ActionUpdate, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
pub async fn create_update(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    body: Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let body = body.into_inner();
    let now = state.clock.now();
    write(&state.pool, move |conn| {
        let (action, _) = model::find_for(conn, &principal, id, Access::Contribute)?;
        let mut tx = Tx::of_record(conn, Some(action.partnership_id), now)?;
        let form: CreateUpdate = crate::names::read(
            &mut tx,
            action.partnership_id,
            body,
            &[("author_person_id", crate::names::Kind::Person)],
        )?;
        let (update, _) = updates::create(&mut tx, &principal, action, form, now)?;
        Answer::created(format!("/v1/actions/{id}/updates/{}", update.id), &update)
    })
    .await
}

/// The updates of an action, oldest first (by date, then as recorded).
#[utoipa::path(
    get,
    path = "/v1/actions/{id}/updates",
    tag = "actions",
    params(("id" = Id, Path, description = "Action id"), crate::http::pagination::PageQuery),
    responses((status = 200, description = "One page of the action's updates", body = Paginated<ActionUpdate>), ListErrors),
    security(("bearer" = []))
)]
pub async fn list_updates(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let query_page = page.clone();
    let rows = db::read(&state.pool, move |conn| {
        model::find_for(conn, &principal, id, Access::Read)?;
        updates::of_action(conn, id, &query_page)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page.finish(rows, |u| u.id)))
}

/// Read one update of an action.
#[utoipa::path(
    get,
    path = "/v1/actions/{id}/updates/{update_id}",
    tag = "actions",
    params(("id" = Id, Path, description = "Action id"), ("update_id" = Id, Path, description = "Update id")),
    responses((status = 200, description = "The update", body = ActionUpdate, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
pub async fn get_update(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id)>,
) -> Result<HttpResponse, ApiError> {
    let (id, update_id) = path.into_inner();
    let update = db::read(&state.pool, move |conn| {
        model::find_for(conn, &principal, id, Access::Read)?;
        updates::find(conn, id, update_id)
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &update))
}

/// The actions a meeting reviews: those still outstanding from earlier
/// meetings of its group (or due at it), and those completed since the
/// group's previous meeting, each with the updates reported at this meeting.
#[utoipa::path(
    get,
    path = "/v1/meetings/{id}/matters-arising",
    tag = "actions",
    params(("id" = Id, Path, description = "Meeting id"), AsAt),
    responses((status = 200, description = "The matters arising", body = MattersArising, headers(("Cache-Control" = String, description = "private, no-cache: derived fields change without the version"))), ReadErrors),
    security(("bearer" = []))
)]
pub async fn matters_arising(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    as_at: web::Query<AsAt>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let now = rules::as_at(as_at.as_at, state.clock.now());
    let review = db::read(&state.pool, move |conn| {
        let (meeting, role) = crate::meetings::model::find_for(conn, &principal, id, Access::Read)?;
        arising::for_meeting(conn, &meeting, role.sees_confidential(), now)
    })
    .await?;
    Ok(derived_view(HttpResponse::Ok().json(review)))
}
