//! `/v1/partnerships/{id}/risks`, its heat map and scoring, `/v1/risks/{id}`,
//! its assessments and escalations: thin handlers.

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::assessments::{self, Assessment, AssessmentHistory, SinceQuery};
use super::escalations::{self, EscalationView};
use super::list::{self, HeatMap, RiskFilter};
use super::model::{self, Risk};
use super::rules::{CreateAssessment, CreateEscalation, CreateRisk, PutScoring, UpdateRisk};
use super::scoring::{self, ScoringView};
use super::view::{self, RiskView};
use crate::access;
use crate::auth::tenant::{self, Tenant};
use crate::auth::{Access, Principal, Role};
use crate::db::{self, Day, Id, Tx, UtcTime};
use crate::error::{ApiError, CreateErrors, ListErrors, ReadErrors, UpdateErrors};
use crate::http::{derived_view, with_etag, write, Answer, IfMatch, Json, Page, Paginated};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/partnerships/{id}/risks")
            .route(web::post().to(create_risk))
            .route(web::get().to(list_risks)),
    )
    .service(web::resource("/partnerships/{id}/risks/heat-map").route(web::get().to(heat_map)))
    .service(
        web::resource("/partnerships/{id}/risk-scoring")
            .route(web::get().to(get_risk_scoring))
            .route(web::put().to(put_risk_scoring)),
    )
    .service(
        web::resource("/risks/{id}")
            .route(web::get().to(get_risk))
            .route(web::patch().to(update_risk)),
    )
    .service(
        web::resource("/risks/{id}/assessments")
            .route(web::post().to(create_assessment))
            .route(web::get().to(list_assessments)),
    )
    .service(
        web::resource("/risks/{id}/assessments/{assessment_id}")
            .route(web::get().to(get_assessment)),
    )
    .service(
        web::resource("/risks/{id}/escalations")
            .route(web::post().to(escalate))
            .route(web::get().to(list_escalations)),
    )
    .service(
        web::resource("/risks/{id}/escalations/{escalation_id}")
            .route(web::get().to(get_escalation)),
    );
}

fn one(
    conn: &mut db::DbConnection,
    risk: Risk,
    role: Role,
    now: UtcTime,
) -> Result<RiskView, ApiError> {
    let pid = risk.partnership_id;
    view::views(conn, pid, vec![risk], role, Day::in_uk(now))?
        .pop()
        .ok_or_else(|| ApiError::internal("a risk has one view"))
}

/// Record a risk with its first assessment (admins and members). Its number
/// is the partnership's next; an admin importing an existing log may give it.
#[utoipa::path(
    post,
    path = "/v1/partnerships/{id}/risks",
    tag = "risks",
    params(("id" = Id, Path, description = "Partnership id")),
    request_body = CreateRisk,
    responses((status = 201, description = "Created", body = RiskView, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
pub async fn create_risk(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Contribute>,
    body: Json<CreateRisk>,
) -> Result<HttpResponse, ApiError> {
    let form = body.into_inner();
    let now = state.clock.now();
    write(&state.pool, move |conn| {
        let mut tx = Tx::of(conn, &tenant, now)?;
        let risk = model::create(&mut tx, &tenant, form)?;
        let view = one(&mut tx, risk, tenant.role, now)?;
        Answer::created(format!("/v1/risks/{}", view.risk.id), &view)
    })
    .await
}

/// The register in number order, filtered (a viewer sees no drafts). With
/// `Accept: text/csv` the whole filtered register (no pages).
#[utoipa::path(
    get,
    path = "/v1/partnerships/{id}/risks",
    tag = "risks",
    params(("id" = Id, Path, description = "Partnership id"), RiskFilter, crate::http::pagination::PageQuery),
    responses(
        (status = 200, description = "One page of risks, or the whole register as CSV", headers(("Cache-Control" = String, description = "private, no-cache: derived fields change without the version")), content(
            (Paginated<RiskView> = "application/json"),
            (String = "text/csv"),
        )),
        (status = 406, description = "No acceptable representation", body = crate::error::Problem, content_type = "application/problem+json"),
        ListErrors,
    ),
    security(("bearer" = []))
)]
pub async fn list_risks(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Read>,
    filter: web::Query<RiskFilter>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let Tenant {
        partnership_id,
        role,
        principal,
        ..
    } = tenant;
    let csv = crate::http::csv_safe::wanted(&req)?;
    let filter = filter.into_inner();
    let now = state.clock.now();
    let today = filter.as_at.unwrap_or(Day::in_uk(now));
    let query_page = page.clone();
    if csv {
        let path = req.path().to_owned();
        let body = db::read(&state.pool, move |conn| {
            let rows = list::list(conn, partnership_id, role, &filter, today, None, None)?;
            let rows = view::views(conn, partnership_id, rows, role, today)?;
            let operation = format!("GET {path} as text/csv ({} risks)", rows.len());
            let document = ("risk_register", partnership_id);
            access::record_document(conn, &principal, partnership_id, document, &operation, now)?;
            Ok(super::csv::render(&rows))
        })
        .await?;
        return Ok(crate::http::csv_safe::attachment(body, "risk-register.csv"));
    }
    let rows = db::read(&state.pool, move |conn| {
        let (after, limit) = (query_page.after_seq(), Some(query_page.fetch()));
        let rows = list::list(conn, partnership_id, role, &filter, today, after, limit)?;
        view::views(conn, partnership_id, rows, role, today)
    })
    .await?;
    Ok(derived_view(
        HttpResponse::Ok()
            .insert_header((header::VARY, "Accept"))
            .json(page.finish(rows, |r| Page::position(r.risk.number))),
    ))
}

/// The register as a 5 × 5 heat map: how many risks in each cell of
/// likelihood and impact, with the cell's rating, under the same filters.
#[utoipa::path(
    get,
    path = "/v1/partnerships/{id}/risks/heat-map",
    tag = "risks",
    params(("id" = Id, Path, description = "Partnership id"), RiskFilter),
    responses((status = 200, description = "The heat map", body = HeatMap, headers(("Cache-Control" = String, description = "private, no-cache: derived fields change without the version"))), ListErrors),
    security(("bearer" = []))
)]
pub async fn heat_map(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Read>,
    filter: web::Query<RiskFilter>,
) -> Result<HttpResponse, ApiError> {
    let Tenant {
        partnership_id,
        role,
        ..
    } = tenant;
    let filter = filter.into_inner();
    let today = filter.as_at.unwrap_or(Day::in_uk(state.clock.now()));
    let map = db::read(&state.pool, move |conn| {
        list::heat_map(conn, partnership_id, role, &filter, today)
    })
    .await?;
    Ok(derived_view(HttpResponse::Ok().json(map)))
}

/// The partnership's scoring bands: which scores are green, amber and red.
#[utoipa::path(
    get,
    path = "/v1/partnerships/{id}/risk-scoring",
    tag = "risks",
    params(("id" = Id, Path, description = "Partnership id")),
    responses((status = 200, description = "The scoring bands", body = ScoringView, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
pub async fn get_risk_scoring(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Read>,
) -> Result<HttpResponse, ApiError> {
    let pid = tenant.partnership_id;
    let view = db::read(&state.pool, move |conn| scoring::view(conn, pid)).await?;
    Ok(with_etag(StatusCode::OK, &view))
}

/// Replace the scoring bands (admins): three bands, green, amber and red,
/// contiguous and covering scores 1 to 25. Every risk's rating follows.
#[utoipa::path(
    put,
    path = "/v1/partnerships/{id}/risk-scoring",
    tag = "risks",
    params(("id" = Id, Path, description = "Partnership id"), crate::http::etag::IfMatchHeader),
    request_body = PutScoring,
    responses((status = 200, description = "The new bands", body = ScoringView, headers(("ETag" = String))), UpdateErrors),
    security(("bearer" = []))
)]
pub async fn put_risk_scoring(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Manage>,
    if_match: IfMatch,
    body: Json<PutScoring>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match.required()?;
    let body = body.into_inner();
    let now = state.clock.now();
    let view = db::run(&state.pool, move |conn| {
        let mut tx = Tx::of(conn, &tenant, now)?;
        scoring::put(
            &mut tx,
            &tenant.principal,
            tenant.partnership_id,
            expected,
            body,
        )
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &view))
}

/// Read one risk (a draft is 404 to a viewer).
#[utoipa::path(
    get,
    path = "/v1/risks/{id}",
    tag = "risks",
    params(("id" = Id, Path, description = "Risk id")),
    responses((status = 200, description = "The risk", body = RiskView, headers(("ETag" = String), ("Cache-Control" = String, description = "private, no-cache: derived fields change without the version"))), ReadErrors),
    security(("bearer" = []))
)]
pub async fn get_risk(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let now = state.clock.now();
    let view = db::read(&state.pool, move |conn| {
        let (risk, role) = model::find_for(conn, &principal, id, Access::Read)?;
        one(conn, risk, role, now)
    })
    .await?;
    Ok(derived_view(with_etag(StatusCode::OK, &view)))
}

/// Change a risk (admins and members): its text, owner, status, controls,
/// mitigations, target or review date. Re-scoring is an assessment; a
/// risk is closed, never deleted.
#[utoipa::path(
    patch,
    path = "/v1/risks/{id}",
    tag = "risks",
    params(("id" = Id, Path, description = "Risk id"), crate::http::etag::IfMatchHeader),
    request_body = UpdateRisk,
    responses((status = 200, description = "Updated", body = RiskView, headers(("ETag" = String))), UpdateErrors),
    security(("bearer" = []))
)]
pub async fn update_risk(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    if_match: IfMatch,
    body: Json<UpdateRisk>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let expected = if_match.required()?;
    let patch = body.into_inner();
    let now = state.clock.now();
    let view = db::run(&state.pool, move |conn| {
        let (before, role) = model::find_for(conn, &principal, id, Access::Contribute)?;
        let mut tx = Tx::of_record(conn, Some(before.partnership_id), now)?;
        let before = model::reload(&mut tx, before.id)?;
        let after = model::update(&mut tx, &principal, before, expected, patch)?;
        one(&mut tx, after, role, now)
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &view))
}

/// Re-score a risk (admins and members): a dated assessment with its note
/// and assessor. The latest by date is the risk's score.
#[utoipa::path(
    post,
    path = "/v1/risks/{id}/assessments",
    tag = "risks",
    params(("id" = Id, Path, description = "Risk id")),
    request_body = CreateAssessment,
    responses((status = 201, description = "Recorded", body = Assessment, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
pub async fn create_assessment(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    body: Json<CreateAssessment>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let form = body.into_inner();
    let now = state.clock.now();
    write(&state.pool, move |conn| {
        let (risk, _) = model::find_for(conn, &principal, id, Access::Contribute)?;
        let mut tx = Tx::of_record(conn, Some(risk.partnership_id), now)?;
        let (assessment, _) = assessments::create(&mut tx, &principal, &risk, form)?;
        Answer::created(
            format!("/v1/risks/{id}/assessments/{}", assessment.id),
            &assessment,
        )
    })
    .await
}

/// A risk's assessments, oldest first. With `since`, those on or after that
/// date, and whether the risk improved since then (its score now against
/// its last score before that date).
#[utoipa::path(
    get,
    path = "/v1/risks/{id}/assessments",
    tag = "risks",
    params(("id" = Id, Path, description = "Risk id"), SinceQuery, crate::http::pagination::PageQuery),
    responses((status = 200, description = "One page of the history", body = AssessmentHistory), ListErrors),
    security(("bearer" = []))
)]
pub async fn list_assessments(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    query: web::Query<SinceQuery>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let since = query.into_inner().since;
    let query_page = page.clone();
    let (rows, answer) = db::read(&state.pool, move |conn| {
        let (risk, _) = model::find_for(conn, &principal, id, Access::Read)?;
        let rows = assessments::page(conn, id, since, &query_page)?;
        let answer = since
            .map(|d| assessments::since(conn, &risk, d))
            .transpose()?;
        Ok((rows, answer))
    })
    .await?;
    let Paginated { items, next_cursor } = page.finish(rows, |a| a.id);
    Ok(HttpResponse::Ok().json(AssessmentHistory {
        items,
        next_cursor,
        since: answer,
    }))
}

/// Read one assessment of a risk.
#[utoipa::path(
    get,
    path = "/v1/risks/{id}/assessments/{assessment_id}",
    tag = "risks",
    params(("id" = Id, Path, description = "Risk id"), ("assessment_id" = Id, Path, description = "Assessment id")),
    responses((status = 200, description = "The assessment", body = Assessment, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
pub async fn get_assessment(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id)>,
) -> Result<HttpResponse, ApiError> {
    let (id, assessment_id) = path.into_inner();
    let found = db::read(&state.pool, move |conn| {
        model::find_for(conn, &principal, id, Access::Read)?;
        assessments::find(conn, id, assessment_id)
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &found))
}

/// Escalate a risk to a group (admins: the agenda is theirs): an item on
/// the agenda of the group's next scheduled meeting, numbered with its next
/// free number. Once per risk and meeting: a retry answers 200 with the
/// escalation already made.
#[utoipa::path(
    post,
    path = "/v1/risks/{id}/escalations",
    tag = "risks",
    params(("id" = Id, Path, description = "Risk id")),
    request_body = CreateEscalation,
    responses(
        (status = 200, description = "Already escalated to that meeting: the escalation made", body = EscalationView, headers(("ETag" = String))),
        (status = 201, description = "Escalated: the item is on the meeting's agenda", body = EscalationView, headers(("ETag" = String), ("Location" = String))),
        CreateErrors,
    ),
    security(("bearer" = []))
)]
pub async fn escalate(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    body: Json<CreateEscalation>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let form = body.into_inner();
    let now = state.clock.now();
    write(&state.pool, move |conn| {
        let (risk, _) = model::find_for(conn, &principal, id, Access::Manage)?;
        let mut tx = Tx::of_record(conn, Some(risk.partnership_id), now)?;
        let risk = model::reload(&mut tx, risk.id)?;
        let (view, made) = escalations::escalate(&mut tx, &principal, &risk, form)?;
        if made {
            let location = format!("/v1/risks/{id}/escalations/{}", view.escalation.id);
            Answer::created(location, &view)
        } else {
            Answer::with_etag(StatusCode::OK, &view)
        }
    })
    .await
}

/// The escalations of a risk, oldest first.
#[utoipa::path(
    get,
    path = "/v1/risks/{id}/escalations",
    tag = "risks",
    params(("id" = Id, Path, description = "Risk id"), crate::http::pagination::PageQuery),
    responses((status = 200, description = "One page of the risk's escalations", body = Paginated<EscalationView>), ListErrors),
    security(("bearer" = []))
)]
pub async fn list_escalations(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Id>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let query_page = page.clone();
    let rows = db::read(&state.pool, move |conn| {
        model::find_for(conn, &principal, id, Access::Read)?;
        escalations::page(conn, id, &query_page)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page.finish(rows, |e| e.escalation.id)))
}

/// Read one escalation of a risk.
#[utoipa::path(
    get,
    path = "/v1/risks/{id}/escalations/{escalation_id}",
    tag = "risks",
    params(("id" = Id, Path, description = "Risk id"), ("escalation_id" = Id, Path, description = "Escalation id")),
    responses((status = 200, description = "The escalation", body = EscalationView, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
pub async fn get_escalation(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Id, Id)>,
) -> Result<HttpResponse, ApiError> {
    let (id, escalation_id) = path.into_inner();
    let found = db::read(&state.pool, move |conn| {
        model::find_for(conn, &principal, id, Access::Read)?;
        escalations::find(conn, id, escalation_id)
    })
    .await?;
    Ok(with_etag(StatusCode::OK, &found))
}
