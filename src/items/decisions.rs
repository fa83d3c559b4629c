//! Decisions taken on an agenda item:
//! `/v1/meetings/{id}/items/{item_id}/decisions`. A confidential item's
//! decisions are confidential with it.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::AgendaItem;
use super::routes::{item_for, open_confidential};
use super::rules::{self, CreateDecision, Outcome, UpdateDecision};
use crate::app::AppState;
use crate::audit::{self, Action, Audited};
use crate::auth::{Access, Principal};
use crate::db::schema::decisions;
use crate::db::{self, DbConnection, Id, UtcTime};
use crate::error::{ApiError, CreateErrors, DeleteErrors, ListErrors, UpdateErrors};
use crate::http::etag::{self, Expected};
use crate::http::{created, with_etag, IfMatch, Json, Page, Paginated, Versioned};
use crate::meetings::model::{begin_edit, Meeting};

/// A decision on an agenda item.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Serialize,
    Deserialize,
    ToSchema,
    Queryable,
    Selectable,
    Insertable,
    AsChangeset,
)]
#[diesel(table_name = decisions)]
pub struct Decision {
    pub id: Id,
    pub item_id: Id,
    pub meeting_id: Id,
    pub partnership_id: Id,
    pub outcome: Outcome,
    pub text: String,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

impl Audited for Decision {
    const RESOURCE: &'static str = "decision";
    fn id(&self) -> Id {
        self.id
    }
    fn partnership_id(&self) -> Option<Id> {
        Some(self.partnership_id)
    }
}

impl Versioned for Decision {
    fn version(&self) -> i32 {
        self.version
    }
}

pub fn create(
    conn: &mut DbConnection,
    actor: &Principal,
    meeting: &Meeting,
    item: &AgendaItem,
    form: CreateDecision,
) -> Result<Decision, ApiError> {
    let text = rules::decision_text(&form.text)?;
    begin_edit(conn, actor, meeting)?;
    let now = UtcTime::now();
    let record = Decision {
        id: Id::new(),
        item_id: item.id,
        meeting_id: meeting.id,
        partnership_id: meeting.partnership_id,
        outcome: form.outcome,
        text,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(decisions::table)
        .values(&record)
        .execute(conn)?;
    audit::record(conn, actor, Action::Create, None, Some(&record))?;
    Ok(record)
}

pub fn find(conn: &mut DbConnection, item_id: Id, id: Id) -> Result<Decision, ApiError> {
    decisions::table
        .filter(decisions::item_id.eq(item_id))
        .filter(decisions::id.eq(id))
        .select(Decision::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such decision"))
}

/// One page of the decisions on an item, in the order they were recorded.
pub fn of_item(
    conn: &mut DbConnection,
    item_id: Id,
    page: &Page,
) -> Result<Vec<Decision>, ApiError> {
    let mut query = decisions::table
        .filter(decisions::item_id.eq(item_id))
        .order(decisions::id.asc())
        .select(Decision::as_select())
        .limit(page.fetch())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(decisions::id.gt(after));
    }
    Ok(query.load(conn)?)
}

/// Every decision of a meeting (the minutes).
pub fn of_meeting(conn: &mut DbConnection, meeting_id: Id) -> Result<Vec<Decision>, ApiError> {
    Ok(decisions::table
        .filter(decisions::meeting_id.eq(meeting_id))
        .order(decisions::id.asc())
        .select(Decision::as_select())
        .load(conn)?)
}

pub fn update(
    conn: &mut DbConnection,
    actor: &Principal,
    meeting: &Meeting,
    item: &AgendaItem,
    id: Id,
    expected: Expected,
    patch: UpdateDecision,
) -> Result<Decision, ApiError> {
    let before = find(conn, item.id, id)?;
    etag::check(expected, before.version)?;
    let text = match &patch.text {
        Some(t) => rules::decision_text(t)?,
        None => before.text.clone(),
    };
    begin_edit(conn, actor, meeting)?;
    let after = Decision {
        outcome: patch.outcome.unwrap_or(before.outcome),
        text,
        version: before.version + 1,
        updated_at: UtcTime::now(),
        ..before.clone()
    };
    crate::update_versioned!(conn, actor, decisions, &before, &after)?;
    Ok(after)
}

/// Removes a decision recorded in error.
pub fn delete(
    conn: &mut DbConnection,
    actor: &Principal,
    meeting: &Meeting,
    item: &AgendaItem,
    id: Id,
    expected: Expected,
) -> Result<(), ApiError> {
    let before = find(conn, item.id, id)?;
    etag::check(expected, before.version)?;
    begin_edit(conn, actor, meeting)?;
    crate::delete_versioned!(conn, actor, decisions, &before)?;
    Ok(())
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/meetings/{id}/items/{item_id}/decisions")
            .route(web::post().to(create_decision))
            .route(web::get().to(list_decisions)),
    )
    .service(
        web::resource("/meetings/{id}/items/{item_id}/decisions/{decision_id}")
            .route(web::patch().to(update_decision))
            .route(web::delete().to(delete_decision)),
    );
}

/// Record a decision on an item (admins).
#[utoipa::path(
    post,
    path = "/v1/meetings/{id}/items/{item_id}/decisions",
    tag = "meetings",
    params(
        ("id" = Id, Path, description = "Meeting id"),
        ("item_id" = Id, Path, description = "Item id"),
    ),
    request_body = CreateDecision,
    responses((status = 201, description = "Created", body = Decision, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
pub async fn create_decision(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id)>,
    body: Json<CreateDecision>,
) -> Result<HttpResponse, ApiError> {
    let (meeting_id, item_id) = path.into_inner();
    let form = body.into_inner();
    let record = db::run(&state.pool, move |conn| {
        let (meeting, _, item) = item_for(conn, &principal, meeting_id, item_id, Access::Manage)?;
        create(conn, &principal, &meeting, &item, form)
    })
    .await?;
    Ok(created(
        format!(
            "/v1/meetings/{meeting_id}/items/{item_id}/decisions/{}",
            record.id
        ),
        &record,
    ))
}

/// The decisions on an item (403 for a viewer when the item is confidential).
#[utoipa::path(
    get,
    path = "/v1/meetings/{id}/items/{item_id}/decisions",
    tag = "meetings",
    params(("id" = Id, Path, description = "Meeting id"), ("item_id" = Id, Path, description = "Item id"), crate::http::pagination::PageQuery),
    responses((status = 200, description = "One page of the decisions on the item", body = Paginated<Decision>), ListErrors),
    security(("bearer" = []))
)]
pub async fn list_decisions(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id)>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let (meeting_id, item_id) = path.into_inner();
    let query_page = page.clone();
    let rows = db::run(&state.pool, move |conn| {
        let (_, role, item) = item_for(conn, &principal, meeting_id, item_id, Access::Read)?;
        let note = format!("GET /v1/meetings/{meeting_id}/items/{item_id}/decisions");
        open_confidential(conn, &principal, role, &item, &note)?;
        of_item(conn, item_id, &query_page)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page.finish(rows, |d| d.id)))
}

/// Correct a decision (admins; 409 once the minutes are approved).
#[utoipa::path(
    patch,
    path = "/v1/meetings/{id}/items/{item_id}/decisions/{decision_id}",
    tag = "meetings",
    params(
        ("id" = Id, Path, description = "Meeting id"),
        ("item_id" = Id, Path, description = "Item id"),
        ("decision_id" = Id, Path, description = "Decision id"),
        crate::http::etag::IfMatchHeader,
    ),
    request_body = UpdateDecision,
    responses((status = 200, description = "Updated", body = Decision, headers(("ETag" = String))), UpdateErrors),
    security(("bearer" = []))
)]
pub async fn update_decision(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id, Id)>,
    if_match: IfMatch,
    body: Json<UpdateDecision>,
) -> Result<HttpResponse, ApiError> {
    let (meeting_id, item_id, id) = path.into_inner();
    let expected = if_match.required()?;
    let patch = body.into_inner();
    let record = db::run(&state.pool, move |conn| {
        let (meeting, _, item) = item_for(conn, &principal, meeting_id, item_id, Access::Manage)?;
        update(conn, &principal, &meeting, &item, id, expected, patch)
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &record))
}

/// Remove a decision recorded in error (admins; audited).
#[utoipa::path(
    delete,
    path = "/v1/meetings/{id}/items/{item_id}/decisions/{decision_id}",
    tag = "meetings",
    params(
        ("id" = Id, Path, description = "Meeting id"),
        ("item_id" = Id, Path, description = "Item id"),
        ("decision_id" = Id, Path, description = "Decision id"),
        crate::http::etag::IfMatchHeader,
    ),
    responses((status = 204, description = "Removed"), DeleteErrors),
    security(("bearer" = []))
)]
pub async fn delete_decision(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id, Id)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (meeting_id, item_id, id) = path.into_inner();
    let expected = if_match.required()?;
    db::run(&state.pool, move |conn| {
        let (meeting, _, item) = item_for(conn, &principal, meeting_id, item_id, Access::Manage)?;
        delete(conn, &principal, &meeting, &item, id, expected)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
