use actix_web::{web, HttpResponse};

use super::model::{self, AuditEvent, AuditFilter};
use crate::auth::{Access, Principal};
use crate::db::{self, Id};
use crate::error::ApiError;
use crate::http::{Page, Paginated};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/partnerships/{id}/audit-events").route(web::get().to(list_audit_events)),
    );
}

/// List the audit events of a partnership, oldest first (admins only).
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
    principal: Principal,
    path: web::Path<Id>,
    filter: web::Query<AuditFilter>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let partnership_id = path.into_inner();
    principal.require(partnership_id, Access::Manage)?;
    let filter = filter.into_inner();
    let page_for_query = page.clone();
    let rows = db::read(&state.pool, move |conn| {
        model::list(conn, partnership_id, &filter, &page_for_query)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page.finish(rows, |e| e.id)))
}
