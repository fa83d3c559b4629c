//! `GET /v1/meetings/{id}/minutes` (JSON, Markdown or HTML by `Accept`) and
//! the public copy `GET /v1/public/partnerships/{slug}/meetings/{id}/minutes`.
//! Every read of the minutes, in any format, is logged in the access log,
//! with an entry for each confidential item a copy shows in full.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::document::MinutesDocument;
use super::render;
use crate::access;
use crate::auth::{Access, Principal};
use crate::db::{self, Id};
use crate::error::{ApiError, ReadErrors};
use crate::items::model::log_confidential_reads;
use crate::meetings::model::find_for;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/meetings/{id}/minutes").route(web::get().to(get_minutes)))
        .service(
            web::resource("/public/partnerships/{slug}/meetings/{id}/minutes")
                .route(web::get().to(public_minutes)),
        );
}

/// The representations of minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Markdown,
    Html,
}

impl Format {
    fn media_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Markdown => "text/markdown; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
        }
    }
}

/// Picks the representation from `Accept`: JSON when absent or `*/*`; 406
/// when nothing offered is acceptable.
pub fn negotiate(req: &HttpRequest) -> Result<Format, ApiError> {
    crate::http::accept::negotiate(
        req,
        &[
            ("application", "json", Format::Json),
            ("text", "markdown", Format::Markdown),
            ("text", "html", Format::Html),
        ],
    )
}

fn respond(doc: &MinutesDocument, format: Format) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response
        .content_type(format.media_type())
        .insert_header((header::VARY, "Accept"));
    match format {
        Format::Json => response.json(doc),
        Format::Markdown => response.body(render::markdown(doc)),
        // The page needs no script, frame or remote resource, and no other
        // site may frame it: say so (`nosniff` is on every answer).
        Format::Html => response
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; \
form-action 'none'; frame-ancestors 'none'",
            ))
            .body(render::html_page(doc)),
    }
}

/// The minutes: attendance, declarations, every item with its minutes and
/// decisions. Confidential items are redacted for viewers. Markdown and HTML
/// follow the layout of the partnerships' own minutes.
#[utoipa::path(
    get,
    path = "/v1/meetings/{id}/minutes",
    tag = "meetings",
    params(
        ("id" = Id, Path, description = "Meeting id"),
    ),
    responses(
        (status = 200, description = "The minutes, as `Accept` asks: JSON (the default), Markdown or HTML", content(
            (MinutesDocument = "application/json"),
            (String = "text/markdown"),
            (String = "text/html"),
        )),
        (status = 400, description = "A malformed `Accept` header", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 406, description = "No acceptable representation", body = crate::error::Problem, content_type = "application/problem+json"),
        ReadErrors,
    ),
    security(("bearer" = []))
)]
pub async fn get_minutes(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let format = negotiate(&req)?;
    let now = state.clock.now();
    let drafts = state.drafts.clone();
    let doc = db::read(&state.pool, move |conn| {
        let (meeting, role) = find_for(conn, &principal, id, Access::Read)?;
        let meeting_id = meeting.id;
        let partnership_id = meeting.partnership_id;
        let doc = super::snapshot::read(conn, meeting, role.sees_confidential(), now, &drafts)?;
        let operation = format!(
            "GET /v1/meetings/{id}/minutes as {}{}",
            format.media_type().split(';').next().unwrap_or_default(),
            if doc.redacted { " (redacted)" } else { "" }
        );
        // The minutes handed out, and each confidential item they showed.
        let minutes = ("minutes", meeting_id);
        access::record_document(conn, &principal, partnership_id, minutes, &operation, now)?;
        log_confidential_reads(conn, &principal, doc.confidential_shown(), &operation, now)?;
        Ok(doc)
    })
    .await?;
    Ok(respond(&doc, format))
}

/// Published minutes, for anyone: no token. Confidential items show only
/// their number and a "Confidential item" heading. 404 until published (and
/// until the release date).
#[utoipa::path(
    get,
    path = "/v1/public/partnerships/{slug}/meetings/{id}/minutes",
    tag = "meetings",
    params(
        ("slug" = String, Path, description = "Partnership slug", pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", min_length = 2, max_length = 63),
        ("id" = Id, Path, description = "Meeting id"),
    ),
    responses(
        (status = 200, description = "The redacted minutes", content(
            (MinutesDocument = "application/json"),
            (String = "text/markdown"),
            (String = "text/html"),
        ), headers(("Cache-Control" = String, description = "`public, max-age=300`"))),
        (status = 400, description = "A malformed `Accept` header", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such published minutes", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 406, description = "No acceptable representation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable, or the partnership's requests are using its whole share of it", body = crate::error::Problem, content_type = "application/problem+json", headers(("Retry-After" = i32, description = "Seconds to wait"))),
    )
)]
pub async fn public_minutes(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, Id)>,
) -> Result<HttpResponse, ApiError> {
    let (slug, id) = path.into_inner();
    let format = negotiate(&req)?;
    let now = state.clock.now();
    let drafts = state.drafts.clone();
    let doc = db::read(&state.pool, move |conn| {
        let unpublished = || ApiError::not_found("no published minutes here");
        let partnership =
            crate::partnerships::model::find_by_slug(conn, &slug).map_err(|_| unpublished())?;
        let meeting = crate::meetings::model::find_in(conn, partnership.id, id)
            .ok()
            .filter(|m| m.is_public(now))
            .ok_or_else(unpublished)?;
        let mut doc = super::snapshot::read(conn, meeting, false, now, &drafts)?;
        doc.link_papers(Some(&partnership.slug));
        // The public copy names another meeting only if its minutes are public.
        let public = |conn: &mut db::DbConnection, id: Option<Id>| {
            id.and_then(|id| crate::meetings::model::find_in(conn, partnership.id, id).ok())
                .is_some_and(|m| m.is_public(now))
        };
        if !public(conn, doc.previous_meeting.as_ref().map(|m| m.id)) {
            doc.previous_meeting = None;
        }
        if !public(conn, doc.approved_at_meeting.as_ref().map(|m| m.id)) {
            doc.approved_at_meeting = None;
        }
        if !public(conn, doc.matters_arising.previous_meeting_id) {
            doc.matters_arising.previous_meeting_id = None;
        }
        Ok(doc)
    })
    .await?;
    let mut response = respond(&doc, format);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("public, max-age=300"),
    );
    Ok(response)
}
