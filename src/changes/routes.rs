use std::time::{Duration, Instant};

use actix_web::{web, HttpResponse};

use super::model::{self, ChangePage, ChangeQuery};
use crate::auth::tenant::{self, Tenant};
use crate::db::{self, bell};
use crate::error::ApiError;
use crate::http::shares::Seat;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/partnerships/{id}/changes").route(web::get().to(list_changes)));
}

/// How often a long poll looks again without being rung: the fallback
/// across instances when a notification is lost.
const LOOK_AGAIN: Duration = Duration::from_secs(5);

/// A partnership's change feed (admins, members, viewers): every create,
/// update, deletion, approval and publication of its records, and of the
/// shared organisations it refers to, in `seq` (commit) order, without the
/// records themselves: fetch those by id. Resume from `next_after_seq`,
/// which every page gives, with nothing missed and nothing twice. With
/// `wait`, an empty answer waits up to that many seconds and is sent as soon
/// as a change commits. Viewers are not told of changes under confidential
/// items, nor anyone but admins of API clients and webhooks.
#[utoipa::path(
    get,
    path = "/v1/partnerships/{id}/changes",
    tag = "integrations",
    params(("id" = crate::db::Id, Path, description = "Partnership id"), ChangeQuery),
    responses(
        (status = 200, description = "The changes after `after_seq`", body = ChangePage),
        crate::error::ListErrors,
    ),
    security(("bearer" = []))
)]
pub async fn list_changes(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Read>,
    query: web::Query<ChangeQuery>,
    seat: Seat,
) -> Result<HttpResponse, ApiError> {
    let mut reading = query.check()?;
    let (partnership_id, role) = (tenant.partnership_id, tenant.role);
    // Before the first look, so a change committed after it still rings.
    let mut waiter = bell::waiter();
    let read = |reading| {
        db::read(&state.pool, move |conn| {
            crate::partnerships::model::find(conn, partnership_id)?;
            model::page(conn, partnership_id, reading, role)
        })
    };
    let mut page: ChangePage = read(reading).await?;
    let deadline = Instant::now() + Duration::from_secs(reading.wait.into());
    // Waits hold no connection, no thread and no place in the share.
    while page.items.is_empty() && !page.has_more && Instant::now() < deadline {
        reading.after_seq = page.next_after_seq;
        seat.leave();
        let left = deadline.saturating_duration_since(Instant::now());
        waiter
            .wait(Some(partnership_id), left.min(LOOK_AGAIN))
            .await;
        seat.rejoin().await?;
        page = read(reading).await?;
    }
    Ok(HttpResponse::Ok().json(page))
}
