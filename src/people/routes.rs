//! `/v1/partnerships/{id}/people`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::model::{self, Person, PersonFilter};
use super::rules::{CreatePerson, UpdatePerson};
use crate::auth::tenant::{self, Tenant};
use crate::db::Tx;
use crate::db::{self, Id};
use crate::error::{ApiError, CreateErrors, ListErrors, ReadErrors, UpdateErrors};
use crate::http::{with_etag, write, Answer, IfMatch, Json, Page, Paginated};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/partnerships/{id}/people")
            .route(web::post().to(create_person))
            .route(web::get().to(list_people)),
    )
    .service(
        web::resource("/partnerships/{id}/people/{person_id}")
            .route(web::get().to(get_person))
            .route(web::patch().to(update_person)),
    );
}

/// Add a person to the partnership (admins).
#[utoipa::path(
    post,
    path = "/v1/partnerships/{id}/people",
    tag = "people",
    params(
        ("id" = Id, Path, description = "Partnership id"),
    ),
    request_body = CreatePerson,
    responses((status = 201, description = "Created", body = Person, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
pub async fn create_person(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Manage>,
    body: Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let partnership_id = tenant.partnership_id;
    let body = body.into_inner();
    let now = state.clock.now();
    write(&state.pool, move |conn| {
        let mut tx = Tx::referring(conn, partnership_id, now)?;
        let form: CreatePerson = crate::names::read(
            &mut tx,
            partnership_id,
            body,
            &[("organisation_id", crate::names::Kind::Organisation)],
        )?;
        let record = model::create(&mut tx, &tenant, form)?;
        Answer::created(
            format!("/v1/partnerships/{partnership_id}/people/{}", record.id),
            &record,
        )
    })
    .await
}

/// List the partnership's people.
#[utoipa::path(
    get,
    path = "/v1/partnerships/{id}/people",
    tag = "people",
    params(("id" = Id, Path, description = "Partnership id"), PersonFilter, crate::http::pagination::PageQuery),
    responses((status = 200, description = "One page of people", body = Paginated<Person>), ListErrors),
    security(("bearer" = []))
)]
pub async fn list_people(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Read>,
    filter: web::Query<PersonFilter>,
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

/// Read one person.
#[utoipa::path(
    get,
    path = "/v1/partnerships/{id}/people/{person_id}",
    tag = "people",
    params(("id" = Id, Path, description = "Partnership id"), ("person_id" = Id, Path, description = "Person id")),
    responses((status = 200, description = "The person", body = Person, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
pub async fn get_person(
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

/// Change a person's name, initials, job title or organisation (admins).
#[utoipa::path(
    patch,
    path = "/v1/partnerships/{id}/people/{person_id}",
    tag = "people",
    params(
        ("id" = Id, Path, description = "Partnership id"),
        ("person_id" = Id, Path, description = "Person id"),
        crate::http::etag::IfMatchHeader,
    ),
    request_body = UpdatePerson,
    responses((status = 200, description = "Updated", body = Person, headers(("ETag" = String))), UpdateErrors),
    security(("bearer" = []))
)]
pub async fn update_person(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Manage>,
    path: web::Path<(Id, Id)>,
    if_match: IfMatch,
    body: Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let Tenant {
        partnership_id,
        principal,
        ..
    } = tenant;
    let (_, id) = path.into_inner();
    let expected = if_match.required()?;
    let body = body.into_inner();
    let now = state.clock.now();
    let record = db::run(&state.pool, move |conn| {
        let mut tx = Tx::referring(conn, partnership_id, now)?;
        let patch: UpdatePerson = crate::names::read(
            &mut tx,
            partnership_id,
            body,
            &[("organisation_id", crate::names::Kind::Organisation)],
        )?;
        model::update(&mut tx, &principal, partnership_id, id, expected, patch)
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &record))
}
