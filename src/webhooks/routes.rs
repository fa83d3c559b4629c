//! `/v1/partnerships/{id}/webhooks`: admins subscribe their systems to the
//! partnership's events, read the delivery log and redeliver.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::deliveries::{self, Delivery, DeliveryFilter};
use super::model::{self, CreateWebhook, CreatedWebhook, UpdateWebhook, Webhook};
use crate::auth::tenant::{self, Tenant};
use crate::db::{self, Id, Tx, UtcTime};
use crate::error::{ApiError, CreateErrors, DeleteErrors, ListErrors, ReadErrors, UpdateErrors};
use crate::http::{with_etag, write, Answer, IfMatch, Json, Page, Paginated};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/partnerships/{id}/webhooks")
            .route(web::post().to(create_webhook))
            .route(web::get().to(list_webhooks)),
    )
    .service(
        web::resource("/partnerships/{id}/webhooks/{webhook_id}")
            .route(web::get().to(get_webhook))
            .route(web::patch().to(update_webhook))
            .route(web::delete().to(delete_webhook)),
    )
    .service(
        web::resource("/partnerships/{id}/webhooks/{webhook_id}/deliveries")
            .route(web::get().to(list_deliveries)),
    )
    .service(
        web::resource(
            "/partnerships/{id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
        )
        .route(web::post().to(redeliver)),
    );
}

/// Subscribe a receiver to the partnership's events (admins). The answer
/// holds the signing secret, shown this once. Every delivery is a POST of
/// `{"type", "timestamp", "data"}` with the headers `webhook-id`,
/// `webhook-timestamp` and `webhook-signature` (Standard Webhooks); it is
/// delivered at least once, so deduplicate by `webhook-id`. The receiver
/// must be http(s) and, unless the service allows it, not a private address.
#[utoipa::path(
    post,
    path = "/v1/partnerships/{id}/webhooks",
    tag = "integrations",
    params(("id" = Id, Path, description = "Partnership id")),
    request_body = CreateWebhook,
    responses((status = 201, description = "Subscribed, with its secret", body = CreatedWebhook, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
pub async fn create_webhook(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Manage>,
    body: Json<CreateWebhook>,
) -> Result<HttpResponse, ApiError> {
    let form = body.into_inner();
    let now = state.clock.now();
    let integrations = state.integrations.clone();
    write(&state.pool, move |conn| {
        let mut tx = Tx::of(conn, &tenant, now)?;
        let created = model::create(
            &mut tx,
            &tenant.principal,
            tenant.partnership_id,
            &integrations,
            form,
        )?;
        let location = format!(
            "/v1/partnerships/{}/webhooks/{}",
            tenant.partnership_id, created.webhook.id
        );
        Ok(Answer::created(location, &created)?.no_store())
    })
    .await
}

/// The partnership's webhooks (admins), oldest first.
#[utoipa::path(
    get,
    path = "/v1/partnerships/{id}/webhooks",
    tag = "integrations",
    params(("id" = Id, Path, description = "Partnership id"), crate::http::pagination::PageQuery),
    responses((status = 200, description = "One page of webhooks", body = Paginated<Webhook>), ListErrors),
    security(("bearer" = []))
)]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Manage>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let partnership_id = tenant.partnership_id;
    let query_page = page.clone();
    let rows = db::read(&state.pool, move |conn| {
        model::list(conn, partnership_id, &query_page)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page.finish(rows, |w| w.id)))
}

/// Read one webhook (admins); its secret is never shown again.
#[utoipa::path(
    get,
    path = "/v1/partnerships/{id}/webhooks/{webhook_id}",
    tag = "integrations",
    params(("id" = Id, Path, description = "Partnership id"), ("webhook_id" = Id, Path, description = "Webhook id")),
    responses((status = 200, description = "The webhook", body = Webhook, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
pub async fn get_webhook(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Manage>,
    path: web::Path<(Id, Id)>,
) -> Result<HttpResponse, ApiError> {
    let (partnership_id, id) = (tenant.partnership_id, path.into_inner().1);
    let webhook = db::read(&state.pool, move |conn| {
        model::find(conn, partnership_id, id)
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &webhook))
}

/// Change a webhook's URL, event types, description, or pause it
/// (`active: false`; what happens meanwhile is delivered once it is active
/// again) (admins; `If-Match`).
#[utoipa::path(
    patch,
    path = "/v1/partnerships/{id}/webhooks/{webhook_id}",
    tag = "integrations",
    params(("id" = Id, Path, description = "Partnership id"), ("webhook_id" = Id, Path, description = "Webhook id"), crate::http::etag::IfMatchHeader),
    request_body = UpdateWebhook,
    responses((status = 200, description = "Updated", body = Webhook, headers(("ETag" = String))), UpdateErrors),
    security(("bearer" = []))
)]
pub async fn update_webhook(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Manage>,
    path: web::Path<(Id, Id)>,
    if_match: IfMatch,
    body: Json<UpdateWebhook>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner().1;
    let expected = if_match.required()?;
    let patch = body.into_inner();
    let now = state.clock.now();
    let reach = state.integrations.reach;
    let webhook = db::run(&state.pool, move |conn| {
        let mut tx = Tx::of(conn, &tenant, now)?;
        let before = model::find(&mut tx, tenant.partnership_id, id)?;
        model::update(&mut tx, &tenant.principal, &reach, before, expected, patch)
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &webhook))
}

/// Remove a webhook and its delivery log (admins; `If-Match`; audited).
#[utoipa::path(
    delete,
    path = "/v1/partnerships/{id}/webhooks/{webhook_id}",
    tag = "integrations",
    params(("id" = Id, Path, description = "Partnership id"), ("webhook_id" = Id, Path, description = "Webhook id"), crate::http::etag::IfMatchHeader),
    responses((status = 204, description = "Removed"), DeleteErrors),
    security(("bearer" = []))
)]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Manage>,
    path: web::Path<(Id, Id)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner().1;
    let expected = if_match.required()?;
    let now = state.clock.now();
    db::run(&state.pool, move |conn| {
        let mut tx = Tx::of(conn, &tenant, now)?;
        let before = model::find(&mut tx, tenant.partnership_id, id)?;
        model::delete(&mut tx, &tenant.principal, &before, expected)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A webhook's delivery log (admins), oldest first: each event sent, its
/// status, attempts, the receiver's last answer and the next attempt.
#[utoipa::path(
    get,
    path = "/v1/partnerships/{id}/webhooks/{webhook_id}/deliveries",
    tag = "integrations",
    params(("id" = Id, Path, description = "Partnership id"), ("webhook_id" = Id, Path, description = "Webhook id"), DeliveryFilter, crate::http::pagination::PageQuery),
    responses((status = 200, description = "One page of deliveries", body = Paginated<Delivery>), ListErrors),
    security(("bearer" = []))
)]
pub async fn list_deliveries(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Manage>,
    path: web::Path<(Id, Id)>,
    filter: web::Query<DeliveryFilter>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let (partnership_id, id) = (tenant.partnership_id, path.into_inner().1);
    let filter = filter.into_inner();
    let query_page = page.clone();
    let rows = db::read(&state.pool, move |conn| {
        model::find(conn, partnership_id, id)?;
        deliveries::list(conn, id, &filter, &query_page)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page.finish(rows, |d| d.id)))
}

/// Send a delivery again (admins), with the same `webhook-id`, as soon as
/// the worker looks, whatever became of it; its attempts start again.
#[utoipa::path(
    post,
    path = "/v1/partnerships/{id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    tag = "integrations",
    params(("id" = Id, Path, description = "Partnership id"), ("webhook_id" = Id, Path, description = "Webhook id"), ("delivery_id" = Id, Path, description = "Delivery id")),
    responses((status = 200, description = "Pending again", body = Delivery), ReadErrors),
    security(("bearer" = []))
)]
pub async fn redeliver(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Manage>,
    path: web::Path<(Id, Id, Id)>,
) -> Result<HttpResponse, ApiError> {
    let (partnership_id, (_, webhook_id, delivery_id)) = (tenant.partnership_id, path.into_inner());
    // Deliveries keep the real time, as the worker reads it, not the
    // service clock (which `CLOCK_FIXED_AT` may hold still).
    let answer = write(&state.pool, move |conn| {
        model::find(conn, partnership_id, webhook_id)?;
        let delivery = deliveries::find(conn, webhook_id, delivery_id)?;
        let delivery = deliveries::redeliver(conn, &delivery, UtcTime::now())?;
        Answer::json(StatusCode::OK, &delivery)
    })
    .await?;
    db::bell::ring(partnership_id);
    Ok(answer)
}
