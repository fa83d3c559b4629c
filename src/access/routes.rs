use actix_web::{web, HttpResponse};

use super::model::{self, AccessEntry, AccessFilter};
use crate::auth::tenant::{self, Tenant};
use crate::db::{self, Id};
use crate::error::ApiError;
use crate::http::{Page, Paginated};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/partnerships/{id}/access-log").route(web::get().to(list_access_log)),
    );
}

/// A partnership's access log (its admins and platform administrators):
/// every disclosure (reads of confidential items and decisions, minutes, the
/// calendar feed, exports) and every refused attempt (403) on its records,
/// oldest first. Apart from the change log: reads take no `seq`.
#[utoipa::path(
    get,
    path = "/v1/partnerships/{id}/access-log",
    tag = "audit",
    params(("id" = Id, Path, description = "Partnership id"), AccessFilter, crate::http::pagination::PageQuery),
    responses(
        (status = 200, description = "One page of the access log", body = Paginated<AccessEntry>),
        crate::error::ListErrors,
    ),
    security(("bearer" = []))
)]
pub async fn list_access_log(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Manage>,
    filter: web::Query<AccessFilter>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let Tenant { partnership_id, .. } = tenant;
    let filter = filter.into_inner();
    let page_for_query = page.clone();
    let rows = db::read(&state.pool, move |conn| {
        model::list(conn, partnership_id, &filter, &page_for_query)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page.finish(rows, |e| e.id)))
}
