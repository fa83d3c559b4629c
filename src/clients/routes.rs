//! `/v1/partnerships/{id}/clients`: admins manage their partnership's API clients.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::live::LiveClients;
use super::model::{self, ApiClient, IssuedClient};
use super::rules::{CreateClient, UpdateClient};
use crate::auth::tenant::{self, Tenant};
use crate::db::counter::Scope;
use crate::db::Tx;
use crate::db::{self, Id};
use crate::error::{
    ApiError, CreateErrors, ListErrors, ReadErrors, TransitionErrors, UpdateErrors,
};
use crate::http::{with_etag, write, Answer, IfMatch, Json, Page, Paginated};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/partnerships/{id}/clients")
            .route(web::post().to(create_client))
            .route(web::get().to(list_clients)),
    )
    .service(
        web::resource("/partnerships/{id}/clients/{client_id}")
            .route(web::get().to(get_client))
            .route(web::patch().to(update_client)),
    )
    .service(
        web::resource("/partnerships/{id}/clients/{client_id}/secret")
            .route(web::post().to(rotate_client_secret)),
    )
    .service(
        web::resource("/partnerships/{id}/clients/{client_id}/revoke")
            .route(web::post().to(revoke_client)),
    );
}

/// Create an API client for an agency's system (admins). The secret is in
/// this answer only: it is sent `Cache-Control: no-store` and never kept, so
/// a retry with the same `Idempotency-Key` gets 409 rather than the secret.
#[utoipa::path(
    post,
    path = "/v1/partnerships/{id}/clients",
    tag = "authentication",
    params(
        ("id" = Id, Path, description = "Partnership id"),
    ),
    request_body = CreateClient,
    responses((status = 201, description = "Created, with its secret", body = IssuedClient, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
pub async fn create_client(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Manage>,
    body: Json<CreateClient>,
) -> Result<HttpResponse, ApiError> {
    let partnership_id = tenant.partnership_id;
    let form = body.into_inner();
    let now = state.clock.now();
    write(&state.pool, move |conn| {
        let mut tx = Tx::of(conn, &tenant, now)?;
        let issued = model::create_for_partnership(&mut tx, &tenant, form)?;
        Ok(Answer::created(
            format!(
                "/v1/partnerships/{partnership_id}/clients/{}",
                issued.client_id
            ),
            &issued,
        )?
        .no_store())
    })
    .await
}

/// List the partnership's API clients (admins). Secrets are never shown.
#[utoipa::path(
    get,
    path = "/v1/partnerships/{id}/clients",
    tag = "authentication",
    params(("id" = Id, Path, description = "Partnership id"), crate::http::pagination::PageQuery),
    responses((status = 200, description = "One page of clients", body = Paginated<ApiClient>), ListErrors),
    security(("bearer" = []))
)]
pub async fn list_clients(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Manage>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let Tenant { partnership_id, .. } = tenant;
    let query_page = page.clone();
    let rows = db::read(&state.pool, move |conn| {
        model::list(conn, partnership_id, &query_page)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page.finish(rows, |c| c.id)))
}

/// Read one API client (admins).
#[utoipa::path(
    get,
    path = "/v1/partnerships/{id}/clients/{client_id}",
    tag = "authentication",
    params(("id" = Id, Path, description = "Partnership id"), ("client_id" = Id, Path, description = "Client id")),
    responses((status = 200, description = "The client", body = ApiClient, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
pub async fn get_client(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Manage>,
    path: web::Path<(Id, Id)>,
) -> Result<HttpResponse, ApiError> {
    let Tenant { partnership_id, .. } = tenant;
    let (_, id) = path.into_inner();
    let client = db::read(&state.pool, move |conn| {
        model::find(conn, partnership_id, id)
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &client))
}

/// Change a client's name or rate limit (admins). Its tokens keep working:
/// they end only with a secret rotation or a revocation. A new limit applies
/// at once on the instance that answers, within 2 seconds on the others, and
/// starts the client with a full bucket of the new size.
#[utoipa::path(
    patch,
    path = "/v1/partnerships/{id}/clients/{client_id}",
    tag = "authentication",
    params(
        ("id" = Id, Path, description = "Partnership id"),
        ("client_id" = Id, Path, description = "Client id"),
        crate::http::etag::IfMatchHeader,
    ),
    request_body = UpdateClient,
    responses((status = 200, description = "Updated", body = ApiClient, headers(("ETag" = String))), UpdateErrors),
    security(("bearer" = []))
)]
pub async fn update_client(
    state: web::Data<AppState>,
    live: web::Data<LiveClients>,
    tenant: Tenant<tenant::Manage>,
    path: web::Path<(Id, Id)>,
    if_match: IfMatch,
    body: Json<UpdateClient>,
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
    let client = db::run(&state.pool, move |conn| {
        let mut tx = Tx::hold(conn, Scope::Partnership(partnership_id), now)?;
        model::update(&mut tx, &principal, (partnership_id, id), expected, patch)
    })
    .await;
    live.forget(id);
    Ok(with_etag(StatusCode::OK, &client?))
}

/// Replace a client's secret (admins): the old secret stops working at once.
#[utoipa::path(
    post,
    path = "/v1/partnerships/{id}/clients/{client_id}/secret",
    tag = "authentication",
    params(("id" = Id, Path, description = "Partnership id"), ("client_id" = Id, Path, description = "Client id")),
    responses((status = 200, description = "The client with its new secret", body = IssuedClient), TransitionErrors),
    security(("bearer" = []))
)]
pub async fn rotate_client_secret(
    state: web::Data<AppState>,
    live: web::Data<LiveClients>,
    tenant: Tenant<tenant::Manage>,
    path: web::Path<(Id, Id)>,
) -> Result<HttpResponse, ApiError> {
    let Tenant {
        partnership_id,
        principal,
        ..
    } = tenant;
    let (_, id) = path.into_inner();
    let now = state.clock.now();
    let answer = write(&state.pool, move |conn| {
        let mut tx = Tx::hold(conn, Scope::Partnership(partnership_id), now)?;
        let issued = model::rotate_secret(&mut tx, &principal, partnership_id, id)?;
        Ok(Answer::with_etag(StatusCode::OK, &issued)?.no_store())
    })
    .await;
    live.forget(id);
    answer
}

/// Revoke a client (admins): no token is issued to it again, and the tokens
/// it holds are refused from now on (on other instances within 2 seconds).
#[utoipa::path(
    post,
    path = "/v1/partnerships/{id}/clients/{client_id}/revoke",
    tag = "authentication",
    params(("id" = Id, Path, description = "Partnership id"), ("client_id" = Id, Path, description = "Client id")),
    responses((status = 200, description = "The revoked client", body = ApiClient), TransitionErrors),
    security(("bearer" = []))
)]
pub async fn revoke_client(
    state: web::Data<AppState>,
    live: web::Data<LiveClients>,
    tenant: Tenant<tenant::Manage>,
    path: web::Path<(Id, Id)>,
) -> Result<HttpResponse, ApiError> {
    let Tenant {
        partnership_id,
        principal,
        ..
    } = tenant;
    let (_, id) = path.into_inner();
    let now = state.clock.now();
    let answer = write(&state.pool, move |conn| {
        let mut tx = Tx::hold(conn, Scope::Partnership(partnership_id), now)?;
        let client = model::revoke(&mut tx, &principal, partnership_id, id)?;
        Answer::with_etag(StatusCode::OK, &client)
    })
    .await;
    live.forget(id);
    answer
}
