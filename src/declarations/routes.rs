//! `/v1/meetings/{id}/declarations`.

use actix_web::{web, HttpResponse};

use super::model::{self, CreateDeclaration, Declaration};
use crate::auth::{Access, Principal};
use crate::db::Tx;
use crate::db::{self, Id};
use crate::error::{ApiError, CreateErrors, DeleteErrors, ListErrors};
use crate::http::{write, Answer, IfMatch, Json, Page, Paginated};
use crate::meetings::model::find_for;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/meetings/{id}/declarations")
            .route(web::post().to(create_declaration))
            .route(web::get().to(list_declarations)),
    )
    .service(
        web::resource("/meetings/{id}/declarations/{declaration_id}")
            .route(web::delete().to(delete_declaration)),
    );
}

/// Record a declaration of interest (admins). 409 when the meeting records
/// that there were none.
#[utoipa::path(
    post,
    path = "/v1/meetings/{id}/declarations",
    tag = "meetings",
    params(
        ("id" = Id, Path, description = "Meeting id"),
    ),
    request_body = CreateDeclaration,
    responses((status = 201, description = "Created", body = Declaration, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
pub async fn create_declaration(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    body: Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let meeting_id = path.into_inner();
    let body = body.into_inner();
    let now = state.clock.now();
    write(&state.pool, move |conn| {
        let (meeting, _) = find_for(conn, &principal, meeting_id, Access::Manage)?;
        let mut tx = Tx::of_record(conn, Some(meeting.partnership_id), now)?;
        let form: CreateDeclaration = crate::names::read(
            &mut tx,
            meeting.partnership_id,
            body,
            &[("person_id", crate::names::Kind::Person)],
        )?;
        let record = model::create(&mut tx, &principal, &meeting, form)?;
        Answer::created(
            format!("/v1/meetings/{meeting_id}/declarations/{}", record.id),
            &record,
        )
    })
    .await
}

/// The meeting's declarations of interest (see the meeting's
/// `no_declarations` for "none were made"). For viewers, the text of a
/// declaration on a confidential item is withheld.
#[utoipa::path(
    get,
    path = "/v1/meetings/{id}/declarations",
    tag = "meetings",
    params(("id" = Id, Path, description = "Meeting id"), crate::http::pagination::PageQuery),
    responses((status = 200, description = "One page of declarations", body = Paginated<Declaration>), ListErrors),
    security(("bearer" = []))
)]
pub async fn list_declarations(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let meeting_id = path.into_inner();
    let query_page = page.clone();
    let rows = db::read(&state.pool, move |conn| {
        let (_, role) = find_for(conn, &principal, meeting_id, Access::Read)?;
        let declarations = model::page_of_meeting(conn, meeting_id, &query_page)?;
        if role.sees_confidential() {
            return Ok(declarations);
        }
        let confidential: Vec<Id> = crate::items::model::all(conn, meeting_id)?
            .into_iter()
            .filter(|i| i.confidential)
            .map(|i| i.id)
            .collect();
        Ok(model::redact(declarations, &confidential))
    })
    .await?;
    Ok(HttpResponse::Ok().json(page.finish(rows, |d| d.id)))
}

/// Remove a declaration recorded in error (admins; audited).
#[utoipa::path(
    delete,
    path = "/v1/meetings/{id}/declarations/{declaration_id}",
    tag = "meetings",
    params(
        ("id" = Id, Path, description = "Meeting id"),
        ("declaration_id" = Id, Path, description = "Declaration id"),
        crate::http::etag::IfMatchHeader,
    ),
    responses((status = 204, description = "Removed"), DeleteErrors),
    security(("bearer" = []))
)]
pub async fn delete_declaration(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (meeting_id, id) = path.into_inner();
    let expected = if_match.required()?;
    let now = state.clock.now();
    db::run(&state.pool, move |conn| {
        let (meeting, _) = find_for(conn, &principal, meeting_id, Access::Manage)?;
        let mut tx = Tx::of_record(conn, Some(meeting.partnership_id), now)?;
        model::delete(&mut tx, &principal, &meeting, id, expected)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
