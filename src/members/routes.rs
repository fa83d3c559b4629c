//! `/v1/partnerships/{id}/members`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::model::{self, Member, MemberFilter};
use super::rules::{CreateMember, UpdateMember};
use crate::auth::tenant::{self, Tenant};
use crate::db::counter::Scope;
use crate::db::Tx;
use crate::db::{self, Id};
use crate::error::{ApiError, CreateErrors, DeleteErrors, ListErrors, ReadErrors, UpdateErrors};
use crate::http::{with_etag, write, Answer, IfMatch, Json, Page, Paginated};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/partnerships/{id}/members")
            .route(web::post().to(create_member))
            .route(web::get().to(list_members)),
    )
    .service(
        web::resource("/partnerships/{id}/members/{member_id}")
            .route(web::get().to(get_member))
            .route(web::patch().to(update_member))
            .route(web::delete().to(delete_member)),
    );
}

/// Add an organisation to the partnership (admins).
#[utoipa::path(
    post,
    path = "/v1/partnerships/{id}/members",
    tag = "members",
    params(
        ("id" = Id, Path, description = "Partnership id"),
    ),
    request_body = CreateMember,
    responses((status = 201, description = "Created", body = Member, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
pub async fn create_member(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Manage>,
    body: Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let partnership_id = tenant.partnership_id;
    let body = body.into_inner();
    let now = state.clock.now();
    write(&state.pool, move |conn| {
        let mut tx = Tx::referring(conn, partnership_id, now)?;
        let form: CreateMember = crate::names::read(
            &mut tx,
            partnership_id,
            body,
            &[("organisation_id", crate::names::Kind::Organisation)],
        )?;
        let record = model::create(&mut tx, &tenant, form)?;
        Answer::created(
            format!("/v1/partnerships/{partnership_id}/members/{}", record.id),
            &record,
        )
    })
    .await
}

/// List the partnership's member organisations.
#[utoipa::path(
    get,
    path = "/v1/partnerships/{id}/members",
    tag = "members",
    params(("id" = Id, Path, description = "Partnership id"), MemberFilter, crate::http::pagination::PageQuery),
    responses((status = 200, description = "One page of members", body = Paginated<Member>), ListErrors),
    security(("bearer" = []))
)]
pub async fn list_members(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Read>,
    filter: web::Query<MemberFilter>,
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

/// Read one membership.
#[utoipa::path(
    get,
    path = "/v1/partnerships/{id}/members/{member_id}",
    tag = "members",
    params(("id" = Id, Path, description = "Partnership id"), ("member_id" = Id, Path, description = "Member id")),
    responses((status = 200, description = "The member", body = Member, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
pub async fn get_member(
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

/// Change a member's role (admins).
#[utoipa::path(
    patch,
    path = "/v1/partnerships/{id}/members/{member_id}",
    tag = "members",
    params(
        ("id" = Id, Path, description = "Partnership id"),
        ("member_id" = Id, Path, description = "Member id"),
        crate::http::etag::IfMatchHeader,
    ),
    request_body = UpdateMember,
    responses((status = 200, description = "Updated", body = Member, headers(("ETag" = String))), UpdateErrors),
    security(("bearer" = []))
)]
pub async fn update_member(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Manage>,
    path: web::Path<(Id, Id)>,
    if_match: IfMatch,
    body: Json<UpdateMember>,
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

/// Remove a membership recorded in error (admins; audited). Refused (409,
/// naming them by number) while the organisation owns actions of the
/// partnership: give them other owners first.
#[utoipa::path(
    delete,
    path = "/v1/partnerships/{id}/members/{member_id}",
    tag = "members",
    params(
        ("id" = Id, Path, description = "Partnership id"),
        ("member_id" = Id, Path, description = "Member id"),
        crate::http::etag::IfMatchHeader,
    ),
    responses((status = 204, description = "Removed"), DeleteErrors),
    security(("bearer" = []))
)]
pub async fn delete_member(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Manage>,
    path: web::Path<(Id, Id)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let Tenant {
        partnership_id,
        principal,
        ..
    } = tenant;
    let (_, id) = path.into_inner();
    let expected = if_match.required()?;
    let now = state.clock.now();
    db::run(&state.pool, move |conn| {
        let mut tx = Tx::hold(conn, Scope::Partnership(partnership_id), now)?;
        model::delete(&mut tx, &principal, partnership_id, id, expected)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
