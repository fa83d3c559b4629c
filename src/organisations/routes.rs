//! `/v1/organisations`: the shared registry. Any authenticated caller reads it;
//! platform administrators and partnership admins register agencies; only a
//! platform administrator changes one that several partnerships share.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::model::{self, Organisation, OrganisationFilter};
use super::rules::{CreateOrganisation, UpdateOrganisation};
use crate::auth::Principal;
use crate::db::counter::Scope;
use crate::db::Tx;
use crate::db::{self, Id};
use crate::error::{ApiError, CreateErrors, ListErrors, ReadErrors, UpdateErrors};
use crate::http::{with_etag, write, Answer, IfMatch, Json, Page, Paginated};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/organisations")
            .route(web::post().to(create_organisation))
            .route(web::get().to(list_organisations)),
    )
    .service(
        web::resource("/organisations/{id}")
            .route(web::get().to(get_organisation))
            .route(web::patch().to(update_organisation)),
    );
}

fn require_registry_admin(principal: &Principal) -> Result<(), ApiError> {
    if principal.is_any_admin() {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "only a platform administrator or a partnership admin may maintain organisations",
        ))
    }
}

/// Register an organisation (platform administrators and partnership admins).
/// A name already registered, compared ignoring case and runs of spaces, is
/// 409 naming the organisation that has it.
#[utoipa::path(
    post,
    path = "/v1/organisations",
    tag = "organisations",
    request_body = CreateOrganisation,
    params(),
    responses((status = 201, description = "Created", body = Organisation, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
pub async fn create_organisation(
    state: web::Data<AppState>,
    principal: Principal,
    body: Json<CreateOrganisation>,
) -> Result<HttpResponse, ApiError> {
    require_registry_admin(&principal)?;
    let form = body.into_inner();
    let now = state.clock.now();
    write(&state.pool, move |conn| {
        let mut tx = Tx::hold(conn, Scope::Platform, now)?;
        let record = model::create(&mut tx, &principal, form)?;
        Answer::created(format!("/v1/organisations/{}", record.id), &record)
    })
    .await
}

/// List organisations (any authenticated caller).
#[utoipa::path(
    get,
    path = "/v1/organisations",
    tag = "organisations",
    params(OrganisationFilter, crate::http::pagination::PageQuery),
    responses((status = 200, description = "One page of organisations", body = Paginated<Organisation>), ListErrors),
    security(("bearer" = []))
)]
pub async fn list_organisations(
    state: web::Data<AppState>,
    _principal: Principal,
    filter: web::Query<OrganisationFilter>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let (filter, query_page) = (filter.into_inner(), page.clone());
    let rows = db::read(&state.pool, move |conn| {
        model::list(conn, &filter, &query_page)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page.finish(rows, |o| o.id)))
}

/// Read one organisation.
#[utoipa::path(
    get,
    path = "/v1/organisations/{id}",
    tag = "organisations",
    params(("id" = Id, Path, description = "Organisation id")),
    responses((status = 200, description = "The organisation", body = Organisation, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
pub async fn get_organisation(
    state: web::Data<AppState>,
    _principal: Principal,
    path: web::Path<Id>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let record = db::read(&state.pool, move |conn| model::find(conn, id)).await?;
    Ok(with_etag(StatusCode::OK, &record))
}

/// Rename or re-classify an organisation. A platform administrator changes
/// any; a partnership admin only one that no other partnership refers to (as
/// a member, or by its people, clients, submitted values or actions): 403
/// otherwise. Every partnership that refers to it finds the change in its own
/// audit events. A name another organisation has is 409, as on registration.
#[utoipa::path(
    patch,
    path = "/v1/organisations/{id}",
    tag = "organisations",
    params(
        ("id" = Id, Path, description = "Organisation id"),
        crate::http::etag::IfMatchHeader,
    ),
    request_body = UpdateOrganisation,
    responses((status = 200, description = "Updated", body = Organisation, headers(("ETag" = String))), UpdateErrors),
    security(("bearer" = []))
)]
pub async fn update_organisation(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    if_match: IfMatch,
    body: Json<UpdateOrganisation>,
) -> Result<HttpResponse, ApiError> {
    require_registry_admin(&principal)?;
    let id = path.into_inner();
    let expected = if_match.required()?;
    let patch = body.into_inner();
    let now = state.clock.now();
    let record = db::run(&state.pool, move |conn| {
        model::may_change(conn, &principal, id)?;
        let mut tx = Tx::hold(conn, Scope::Platform, now)?;
        model::update(&mut tx, &principal, id, expected, patch)
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &record))
}
