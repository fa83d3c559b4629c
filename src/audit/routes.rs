use actix_web::{web, HttpResponse};

use super::model::{self, AuditEvent, AuditFilter};
use crate::auth::tenant::{self, Tenant};
use crate::auth::Principal;
use crate::db::{self, Id};
use crate::error::ApiError;
use crate::http::{Page, Paginated};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/partnerships/{id}/audit-events").route(web::get().to(list_audit_events)),
    )
    .service(web::resource("/audit-events").route(web::get().to(list_platform_audit_events)));
}

/// A partnership's change log (admins only): every audit event in `seq`
/// order, which is commit order. Resume with `next_cursor` (or from the last
/// `seq` seen) to read what was written since, with nothing missed.
#[utoipa::path(
    get,
    path = "/v1/partnerships/{id}/audit-events",
    tag = "audit",
    params(("id" = Id, Path, description = "Partnership id"), AuditFilter, crate::http::pagination::PageQuery),
    responses(
        (status = 200, description = "One page of audit events", body = Paginated<AuditEvent>),
        crate::error::ListErrors,
    ),
    security(("bearer" = []))
)]
pub async fn list_audit_events(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Manage>,
    filter: web::Query<AuditFilter>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let Tenant { partnership_id, .. } = tenant;
    let filter = filter.into_inner();
    let page_for_query = page.clone();
    let rows = db::read(&state.pool, move |conn| {
        model::list(conn, Some(partnership_id), &filter, &page_for_query)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page.finish(rows, |e| Page::position(e.seq))))
}

/// The platform's change log (platform administrators only): changes to the
/// shared organisation registry, which belong to no partnership, in `seq`
/// order with a sequence of their own.
#[utoipa::path(
    get,
    path = "/v1/audit-events",
    tag = "audit",
    params(AuditFilter, crate::http::pagination::PageQuery),
    responses(
        (status = 200, description = "One page of audit events", body = Paginated<AuditEvent>),
        crate::error::ListErrors,
    ),
    security(("bearer" = []))
)]
pub async fn list_platform_audit_events(
    state: web::Data<AppState>,
    principal: Principal,
    filter: web::Query<AuditFilter>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    principal.require_platform_admin()?;
    let filter = filter.into_inner();
    let page_for_query = page.clone();
    let rows = db::read(&state.pool, move |conn| {
        model::list(conn, None, &filter, &page_for_query)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page.finish(rows, |e| Page::position(e.seq))))
}
