//! `/v1/meetings/{id}/items/{item_id}/papers`: an item's papers. Admins add
//! (the file as the body, with its `Content-Type`), replace (`If-Match`) and
//! withdraw them; everyone who reads the meeting lists and downloads them,
//! but a confidential item's papers, which viewers never see (404) and whose
//! every download is in the access log.

use actix_web::body::SizedStream;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;

use super::model::{self, ContentQuery, NewPaperQuery, Paper, PaperQuery, PaperVersion};
use super::ranges::{self, Wanted};
use super::sniff;
use super::storage::Stored;
use crate::auth::{Access, Principal, Role};
use crate::db::{self, Id, Tx};
use crate::error::{ApiError, ListErrors, ReadErrors};
use crate::http::shares::Seat;
use crate::http::{with_etag, write, Answer, IfMatch, Page, Paginated};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/meetings/{id}/items/{item_id}/papers")
            .route(web::post().to(add_paper))
            .route(web::get().to(list_papers)),
    )
    .service(
        web::resource("/meetings/{id}/items/{item_id}/papers/{paper_id}")
            .route(web::get().to(get_paper)),
    )
    .service(
        web::resource("/meetings/{id}/items/{item_id}/papers/{paper_id}/content")
            .route(web::get().to(download_paper))
            .route(web::put().to(replace_paper)),
    )
    .service(
        web::resource("/meetings/{id}/items/{item_id}/papers/{paper_id}/withdraw")
            .route(web::post().to(withdraw_paper)),
    )
    .service(
        web::resource("/public/partnerships/{slug}/meetings/{id}/papers/{paper_id}/content")
            .route(web::get().to(public_paper)),
    );
}

/// A file as a request or response body.
pub struct Binary;

impl utoipa::PartialSchema for Binary {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl utoipa::ToSchema for Binary {}

/// The meeting and item of the path, for a caller with `access`; a viewer
/// is told a confidential item's papers do not exist.
fn place(
    conn: &mut db::DbConnection,
    principal: &Principal,
    meeting_id: Id,
    item_id: Id,
    access: Access,
) -> Result<
    (
        crate::meetings::model::Meeting,
        Role,
        crate::items::model::AgendaItem,
    ),
    ApiError,
> {
    crate::items::model::item_for(conn, principal, meeting_id, item_id, access)
}

fn hidden(role: Role, item: &crate::items::model::AgendaItem) -> bool {
    item.confidential && !role.sees_confidential()
}

/// Streams the request's body into the paper store: 413 past the limit
/// (before anything is kept), 415 when the bytes are not the type declared.
async fn receive(
    state: &AppState,
    req: &HttpRequest,
    mut payload: web::Payload,
    declared: &str,
) -> Result<Stored, ApiError> {
    let max = state.papers.max_bytes;
    let too_large = || {
        ApiError::PayloadTooLarge(format!(
            "a paper may be at most {max} bytes (PAPER_MAX_BYTES)"
        ))
    };
    let length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if length.is_some_and(|l| l > max) {
        return Err(too_large());
    }
    let mut upload = state.papers.store.begin().await?;
    let mut checked = false;
    while let Some(chunk) = payload.next().await {
        let refused = match chunk {
            Err(e) => Some(ApiError::bad_request(format!(
                "the upload was cut off: {e}"
            ))),
            Ok(chunk) if upload.size() + chunk.len() as u64 > max => Some(too_large()),
            Ok(chunk) => upload.write(&chunk).await.err(),
        };
        if refused.is_none() && !checked && upload.head.len() >= sniff::HEAD {
            checked = true;
            if let Err(reason) = sniff::check(declared, &upload.head, false) {
                upload.abort().await;
                return Err(ApiError::UnsupportedMediaType(reason));
            }
        }
        if let Some(e) = refused {
            upload.abort().await;
            return Err(e);
        }
    }
    if !checked {
        if let Err(reason) = sniff::check(declared, &upload.head, true) {
            upload.abort().await;
            return Err(ApiError::UnsupportedMediaType(reason));
        }
    }
    let stored = upload.finish().await?;
    crate::http::idempotency::streamed_body(&stored.sha256);
    Ok(stored)
}

/// [`receive`] without a place in the partnership's share: a slow upload
/// holds no connection and keeps none of the partnership's other requests
/// waiting; the place is taken again for the write.
async fn receive_outside_share(
    state: &AppState,
    req: &HttpRequest,
    payload: web::Payload,
    declared: &str,
    seat: &Seat,
) -> Result<Stored, ApiError> {
    seat.leave();
    let stored = receive(state, req, payload, declared).await;
    seat.rejoin().await?;
    stored
}

fn declared(req: &HttpRequest) -> Result<&'static str, ApiError> {
    let header = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    sniff::declared(header).map_err(ApiError::UnsupportedMediaType)
}

/// Attach a paper to an agenda item (admins; 409 once the minutes are
/// approved). The body is the file, sent with its `Content-Type`; its bytes
/// must be that type (PDF, Word, Excel, PowerPoint, OpenDocument, plain
/// text, PNG or JPEG), whatever the file is called (415 otherwise), and at
/// most `PAPER_MAX_BYTES` (413). An `Idempotency-Key` is matched on the
/// file's SHA-256: a retry with the same bytes replays, other bytes are 422.
#[utoipa::path(
    post,
    path = "/v1/meetings/{id}/items/{item_id}/papers",
    tag = "meetings",
    params(("id" = Id, Path, description = "Meeting id"), ("item_id" = Id, Path, description = "Agenda item id"), NewPaperQuery),
    request_body(content(
        (Binary = "application/pdf"),
        (Binary = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (Binary = "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
        (Binary = "application/vnd.oasis.opendocument.text"),
        (Binary = "application/vnd.oasis.opendocument.spreadsheet"),
        (Binary = "application/vnd.oasis.opendocument.presentation"),
        (Binary = "text/plain"),
        (Binary = "image/png"),
        (Binary = "image/jpeg"),
    )),
    responses((status = 201, description = "Attached", body = Paper, headers(("ETag" = String), ("Location" = String))), crate::error::UploadErrors),
    security(("bearer" = []))
)]
pub async fn add_paper(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id)>,
    payload: web::Payload,
    seat: Seat,
) -> Result<HttpResponse, ApiError> {
    let (meeting_id, item_id) = path.into_inner();
    // Who and where, and whether the minutes take it, before a byte is read.
    let (meeting, ..) = {
        let principal = principal.clone();
        db::read(&state.pool, move |conn| {
            let found = place(conn, &principal, meeting_id, item_id, Access::Manage)?;
            crate::meetings::rules::ensure_editable(found.0.minutes_status)?;
            Ok(found)
        })
        .await?
    };
    // Read after the caller's access is known: another partnership's caller
    // is told nothing of what this one would need.
    let query = web::Query::<NewPaperQuery>::from_query(req.query_string())
        .map_err(|e| ApiError::bad_request(format!("invalid query parameters: {e}")))?;
    let described = model::describe(&query.into_inner().into(), true)?;
    let content_type = declared(&req)?;
    let stored = receive_outside_share(&state, &req, payload, content_type, &seat).await?;
    let now = state.clock.now();
    write(&state.pool, move |conn| {
        let mut tx = Tx::of_record(conn, Some(meeting.partnership_id), now)?;
        let (meeting, _, item) = place(&mut tx, &principal, meeting_id, item_id, Access::Manage)?;
        let paper = model::create(
            &mut tx,
            &principal,
            &meeting,
            &item,
            described,
            content_type,
            &stored,
        )?;
        Answer::created(
            format!(
                "/v1/meetings/{meeting_id}/items/{item_id}/papers/{}",
                paper.id
            ),
            &paper,
        )
    })
    .await
}

/// An item's papers, oldest first, withdrawn ones included (a confidential
/// item's are not listed for viewers).
#[utoipa::path(
    get,
    path = "/v1/meetings/{id}/items/{item_id}/papers",
    tag = "meetings",
    params(("id" = Id, Path, description = "Meeting id"), ("item_id" = Id, Path, description = "Agenda item id"), crate::http::pagination::PageQuery),
    responses((status = 200, description = "One page of the item's papers", body = Paginated<Paper>), ListErrors),
    security(("bearer" = []))
)]
pub async fn list_papers(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id)>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let (meeting_id, item_id) = path.into_inner();
    let query_page = page.clone();
    let (now, operation) = (state.clock.now(), format!("GET {}", req.path()));
    let papers = db::read(&state.pool, move |conn| {
        let (_, role, item) = place(conn, &principal, meeting_id, item_id, Access::Read)?;
        if hidden(role, &item) {
            return Ok(Vec::new());
        }
        let papers = model::page_of_item(conn, item_id, &query_page)?;
        if item.confidential {
            crate::access::record_reads(conn, &principal, &papers, &operation, now)?;
        }
        Ok(papers)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page.finish(papers, |p| p.id)))
}

/// Read a paper's metadata (its version is the ETag; the content's is its SHA-256).
#[utoipa::path(
    get,
    path = "/v1/meetings/{id}/items/{item_id}/papers/{paper_id}",
    tag = "meetings",
    params(("id" = Id, Path, description = "Meeting id"), ("item_id" = Id, Path, description = "Agenda item id"), ("paper_id" = Id, Path, description = "Paper id")),
    responses((status = 200, description = "The paper", body = Paper, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
pub async fn get_paper(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id, Id)>,
) -> Result<HttpResponse, ApiError> {
    let (meeting_id, item_id, paper_id) = path.into_inner();
    let (now, operation) = (state.clock.now(), format!("GET {}", req.path()));
    let paper = db::read(&state.pool, move |conn| {
        let (_, role, item) = place(conn, &principal, meeting_id, item_id, Access::Read)?;
        if hidden(role, &item) {
            return Err(ApiError::not_found("no such paper"));
        }
        let paper = model::find(conn, item_id, paper_id)?;
        if item.confidential {
            crate::access::record_reads(conn, &principal, [&paper], &operation, now)?;
        }
        Ok(paper)
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &paper))
}

/// Download a paper (the current version, or `?version=`): its bytes with
/// their `Content-Type`, `Content-Disposition: attachment` with the file's
/// name, `Content-Length` and the SHA-256 as `ETag`. One `Range` is served
/// as 206. A confidential item's paper is 404 for viewers, and each
/// download of it by an admin or member is in the access log.
#[utoipa::path(
    get,
    path = "/v1/meetings/{id}/items/{item_id}/papers/{paper_id}/content",
    tag = "meetings",
    params(
        ("id" = Id, Path, description = "Meeting id"), ("item_id" = Id, Path, description = "Agenda item id"), ("paper_id" = Id, Path, description = "Paper id"),
        ContentQuery,
        ("Range" = Option<String>, Header, description = "One range of bytes, e.g. `bytes=0-1023`"),
    ),
    responses(
        (status = 200, description = "The file", content((Binary = "application/pdf"), (Binary = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"), (Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (Binary = "application/vnd.openxmlformats-officedocument.presentationml.presentation"), (Binary = "application/vnd.oasis.opendocument.text"), (Binary = "application/vnd.oasis.opendocument.spreadsheet"), (Binary = "application/vnd.oasis.opendocument.presentation"), (Binary = "text/plain"), (Binary = "image/png"), (Binary = "image/jpeg")), headers(
            ("ETag" = String, description = "The SHA-256 of the bytes, quoted"),
            ("Content-Disposition" = String), ("Content-Length" = i64), ("Accept-Ranges" = String))),
        (status = 206, description = "The range asked for", content((Binary = "application/pdf"), (Binary = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"), (Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (Binary = "application/vnd.openxmlformats-officedocument.presentationml.presentation"), (Binary = "application/vnd.oasis.opendocument.text"), (Binary = "application/vnd.oasis.opendocument.spreadsheet"), (Binary = "application/vnd.oasis.opendocument.presentation"), (Binary = "text/plain"), (Binary = "image/png"), (Binary = "image/jpeg")), headers(
            ("ETag" = String, description = "The SHA-256 of the bytes, quoted"), ("Content-Range" = String), ("Content-Length" = i64), ("Content-Disposition" = String))),
        (status = 416, description = "The range is past the end of the file", body = crate::error::Problem, content_type = "application/problem+json", headers(("Content-Range" = String))),
        ListErrors,
    ),
    security(("bearer" = []))
)]
pub async fn download_paper(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id, Id)>,
    query: web::Query<ContentQuery>,
) -> Result<HttpResponse, ApiError> {
    let (meeting_id, item_id, paper_id) = path.into_inner();
    let asked = query.version;
    let now = state.clock.now();
    let operation = format!("GET {}", req.path());
    let version: PaperVersion = db::read(&state.pool, move |conn| {
        let (_, role, item) = place(conn, &principal, meeting_id, item_id, Access::Read)?;
        if hidden(role, &item) {
            return Err(ApiError::not_found("no such paper"));
        }
        let paper = model::find(conn, item_id, paper_id)?;
        let version = model::version(conn, paper.id, asked.unwrap_or(paper.version))?;
        if item.confidential {
            crate::access::record_reads(conn, &principal, [&paper], &operation, now)?;
        }
        Ok(version)
    })
    .await?;
    send_content(&state, &req, version, "private, no-cache").await
}

/// A paper of published minutes, for anyone: no token. Only the papers the
/// public copy lists (none of a confidential item's), at the version the
/// minutes name; 404 otherwise, and until the minutes are published.
#[utoipa::path(
    get,
    path = "/v1/public/partnerships/{slug}/meetings/{id}/papers/{paper_id}/content",
    tag = "meetings",
    params(
        ("slug" = String, Path, description = "Partnership slug", pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", min_length = 2, max_length = 63),
        ("id" = Id, Path, description = "Meeting id"),
        ("paper_id" = Id, Path, description = "Paper id"),
        ("Range" = Option<String>, Header, description = "One range of bytes, e.g. `bytes=0-1023`"),
    ),
    responses(
        (status = 200, description = "The file", content((Binary = "application/pdf"), (Binary = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"), (Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (Binary = "application/vnd.openxmlformats-officedocument.presentationml.presentation"), (Binary = "application/vnd.oasis.opendocument.text"), (Binary = "application/vnd.oasis.opendocument.spreadsheet"), (Binary = "application/vnd.oasis.opendocument.presentation"), (Binary = "text/plain"), (Binary = "image/png"), (Binary = "image/jpeg")), headers(
            ("ETag" = String, description = "The SHA-256 of the bytes, quoted"),
            ("Content-Disposition" = String), ("Content-Length" = i64), ("Accept-Ranges" = String),
            ("Cache-Control" = String, description = "`public, max-age=300`"))),
        (status = 206, description = "The range asked for", content((Binary = "application/pdf"), (Binary = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"), (Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (Binary = "application/vnd.openxmlformats-officedocument.presentationml.presentation"), (Binary = "application/vnd.oasis.opendocument.text"), (Binary = "application/vnd.oasis.opendocument.spreadsheet"), (Binary = "application/vnd.oasis.opendocument.presentation"), (Binary = "text/plain"), (Binary = "image/png"), (Binary = "image/jpeg")), headers(
            ("ETag" = String, description = "The SHA-256 of the bytes, quoted"), ("Content-Range" = String), ("Content-Length" = i64), ("Content-Disposition" = String))),
        (status = 404, description = "No such paper of published minutes", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 416, description = "The range is past the end of the file", body = crate::error::Problem, content_type = "application/problem+json", headers(("Content-Range" = String))),
        (status = 503, description = "The database is unreachable, or the partnership's requests are using its whole share of it", body = crate::error::Problem, content_type = "application/problem+json", headers(("Retry-After" = i32, description = "Seconds to wait"))),
    )
)]
pub async fn public_paper(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, Id, Id)>,
) -> Result<HttpResponse, ApiError> {
    let (slug, id, paper_id) = path.into_inner();
    let now = state.clock.now();
    let drafts = state.drafts.clone();
    let version = db::read(&state.pool, move |conn| {
        let missing = || ApiError::not_found("no such paper of published minutes");
        let partnership =
            crate::partnerships::model::find_by_slug(conn, &slug).map_err(|_| missing())?;
        let meeting = crate::meetings::model::find_in(conn, partnership.id, id)
            .ok()
            .filter(|m| m.is_public(now))
            .ok_or_else(missing)?;
        // What the public copy lists: the redacted minutes' papers.
        let doc = crate::minutes::snapshot::read(conn, meeting, false, now, &drafts)?;
        let listed = doc
            .items
            .iter()
            .flat_map(|i| i.papers.iter())
            .find(|p| p.paper_id == paper_id && !p.withdrawn)
            .ok_or_else(missing)?;
        model::version(conn, paper_id, listed.version).map_err(|_| missing())
    })
    .await?;
    send_content(&state, &req, version, "public, max-age=300").await
}

/// The bytes of a version, whole or the range asked for.
pub async fn send_content(
    state: &AppState,
    req: &HttpRequest,
    version: PaperVersion,
    cache: &'static str,
) -> Result<HttpResponse, ApiError> {
    let size = u64::try_from(version.size_bytes).unwrap_or(0);
    let range = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok());
    let wanted = ranges::wanted(range, size);
    let (status, span) = match wanted {
        Wanted::Unsatisfiable => {
            let mut answer = actix_web::ResponseError::error_response(
                &ApiError::RangeNotSatisfiable(format!("the file is {size} bytes")),
            );
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                answer.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            return Ok(answer);
        }
        Wanted::Whole => (StatusCode::OK, None),
        Wanted::Part(span) => (StatusCode::PARTIAL_CONTENT, Some(span)),
    };
    let length = span.as_ref().map_or(size, |s| s.end - s.start);
    let stream = state
        .papers
        .store
        .read(&version.sha256, span.clone())
        .await?;
    let mut answer = HttpResponse::build(status);
    answer
        .insert_header((header::CONTENT_TYPE, version.content_type.clone()))
        .insert_header((header::ETAG, format!("\"{}\"", version.sha256)))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::CONTENT_DISPOSITION, attachment(&version.file_name)))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header(("X-Content-Type-Options", "nosniff"));
    if let Some(span) = &span {
        answer.insert_header((
            header::CONTENT_RANGE,
            format!("bytes {}-{}/{size}", span.start, span.end - 1),
        ));
    }
    Ok(answer.body(SizedStream::new(length, stream)))
}

/// `attachment` with the file's name: an ASCII fallback and the exact name
/// (RFC 6266, RFC 8187).
pub fn attachment(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let exact: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{exact}")
}

/// Replace a paper's content with a new version (admins; `If-Match` with
/// the paper's version; 409 once the minutes are approved). As an upload:
/// the body is the file with its `Content-Type`; `label`, `title` and
/// `file_name` change only when given. Earlier versions stay downloadable
/// with `?version=`.
#[utoipa::path(
    put,
    path = "/v1/meetings/{id}/items/{item_id}/papers/{paper_id}/content",
    tag = "meetings",
    params(("id" = Id, Path, description = "Meeting id"), ("item_id" = Id, Path, description = "Agenda item id"), ("paper_id" = Id, Path, description = "Paper id"), PaperQuery, crate::http::etag::IfMatchHeader),
    request_body(content(
        (Binary = "application/pdf"),
        (Binary = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (Binary = "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
        (Binary = "application/vnd.oasis.opendocument.text"),
        (Binary = "application/vnd.oasis.opendocument.spreadsheet"),
        (Binary = "application/vnd.oasis.opendocument.presentation"),
        (Binary = "text/plain"),
        (Binary = "image/png"),
        (Binary = "image/jpeg"),
    )),
    responses((status = 200, description = "The paper at its new version", body = Paper, headers(("ETag" = String))), crate::error::ReplaceErrors),
    security(("bearer" = []))
)]
#[allow(clippy::too_many_arguments)]
pub async fn replace_paper(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id, Id)>,
    query: web::Query<PaperQuery>,
    if_match: IfMatch,
    payload: web::Payload,
    seat: Seat,
) -> Result<HttpResponse, ApiError> {
    let (meeting_id, item_id, paper_id) = path.into_inner();
    let meeting = {
        let principal = principal.clone();
        db::read(&state.pool, move |conn| {
            let (meeting, ..) = place(conn, &principal, meeting_id, item_id, Access::Manage)?;
            model::find(conn, item_id, paper_id)?;
            Ok(meeting)
        })
        .await?
    };
    let expected = if_match.required()?;
    let current = {
        let id = paper_id;
        db::read(&state.pool, move |conn| model::find(conn, item_id, id)).await?
    };
    crate::db::store::check(expected, current.version)?;
    crate::meetings::rules::ensure_editable(meeting.minutes_status)?;
    let described = model::describe(&query, false)?;
    let content_type = declared(&req)?;
    let stored = receive_outside_share(&state, &req, payload, content_type, &seat).await?;
    let now = state.clock.now();
    let paper = db::run(&state.pool, move |conn| {
        let mut tx = Tx::of_record(conn, Some(meeting.partnership_id), now)?;
        let (meeting, ..) = place(&mut tx, &principal, meeting_id, item_id, Access::Manage)?;
        let before = model::find(&mut tx, item_id, paper_id)?;
        model::replace(
            &mut tx,
            &principal,
            &meeting,
            before,
            expected,
            described,
            content_type,
            &stored,
        )
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &paper))
}

/// Withdraw a paper (admins; audited; 409 once the minutes are approved):
/// it is kept for the record, listed as `withdrawn`, still downloadable.
/// `If-Match` is checked when sent.
#[utoipa::path(
    post,
    path = "/v1/meetings/{id}/items/{item_id}/papers/{paper_id}/withdraw",
    tag = "meetings",
    params(("id" = Id, Path, description = "Meeting id"), ("item_id" = Id, Path, description = "Agenda item id"), ("paper_id" = Id, Path, description = "Paper id"), crate::http::etag::OptionalIfMatchHeader),
    responses((status = 200, description = "Withdrawn", body = Paper, headers(("ETag" = String))), crate::error::TransitionErrors),
    security(("bearer" = []))
)]
pub async fn withdraw_paper(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id, Id)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (meeting_id, item_id, paper_id) = path.into_inner();
    let expected = if_match
        .optional()?
        .unwrap_or(crate::db::store::Expected::Any);
    let now = state.clock.now();
    write(&state.pool, move |conn| {
        let (meeting, ..) = place(conn, &principal, meeting_id, item_id, Access::Manage)?;
        let mut tx = Tx::of_record(conn, Some(meeting.partnership_id), now)?;
        let (meeting, ..) = place(&mut tx, &principal, meeting_id, item_id, Access::Manage)?;
        let before = model::find(&mut tx, item_id, paper_id)?;
        let paper = model::withdraw(&mut tx, &principal, &meeting, before, expected)?;
        Answer::with_etag(StatusCode::OK, &paper)
    })
    .await
}
