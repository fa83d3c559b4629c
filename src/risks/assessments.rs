//! Every scoring of a risk, dated, with its note and assessor: the history
//! that answers "has it improved since 2015?". The risk's score is its latest
//! assessment's (by date, then as recorded); a backdated one is history.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{self, Risk};
use super::rules::{self, CreateAssessment, Trend};
use crate::auth::Principal;
use crate::db::schema::risk_assessments;
use crate::db::store;
use crate::db::{Day, DbConnection, Id, MultiBackend, Page, Tx, UtcTime};
use crate::error::ApiError;
use crate::validate::Errors;

/// One assessment of a risk, as stored.
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
#[diesel(table_name = risk_assessments, treat_none_as_null = true)]
pub struct Assessment {
    pub id: Id,
    pub risk_id: Id,
    pub partnership_id: Id,
    pub assessed_on: Day,
    #[schema(minimum = 1, maximum = 5)]
    pub likelihood: i32,
    #[schema(minimum = 1, maximum = 5)]
    pub impact: i32,
    /// Likelihood × impact.
    #[schema(minimum = 1, maximum = 25)]
    pub score: i32,
    pub note: Option<String>,
    /// Who assessed it.
    pub assessor_person_id: Option<Id>,
    /// The API client or user that recorded it.
    pub recorded_by: String,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

crate::record!(Assessment, "risk_assessment", risk_assessments);

/// What a scoring says, checked.
pub struct Scored {
    pub assessed_on: Day,
    pub likelihood: i32,
    pub impact: i32,
    pub note: Option<String>,
    pub assessor_person_id: Option<Id>,
}

/// Stores an assessment of `risk` (the risk's own score is the caller's).
pub fn insert(
    tx: &mut Tx<'_>,
    actor: &Principal,
    risk: &Risk,
    scored: Scored,
) -> Result<Assessment, ApiError> {
    let now = tx.now();
    let assessment = Assessment {
        id: Id::new(),
        risk_id: risk.id,
        partnership_id: risk.partnership_id,
        assessed_on: scored.assessed_on,
        likelihood: scored.likelihood,
        impact: scored.impact,
        score: scored.likelihood * scored.impact,
        note: scored.note,
        assessor_person_id: scored.assessor_person_id,
        recorded_by: actor.subject.clone(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store::insert(tx, actor, &assessment)?;
    Ok(assessment)
}

/// Records a re-scoring of `risk`; the risk takes its score when it is the
/// latest. Answers the assessment and the risk as it now reads.
pub fn create(
    tx: &mut Tx<'_>,
    actor: &Principal,
    risk: &Risk,
    form: CreateAssessment,
) -> Result<(Assessment, Risk), ApiError> {
    let (likelihood, impact, note) = rules::assessment(&form)?;
    let mut errors = Errors::new();
    let assessor = model::resolve_person(
        tx,
        risk.partnership_id,
        &mut errors,
        "assessor",
        form.assessor.as_deref(),
    )?;
    errors.finish()?;
    let scored = Scored {
        assessed_on: form.assessed_on.unwrap_or(Day::in_uk(tx.now())),
        likelihood,
        impact,
        note,
        assessor_person_id: assessor,
    };
    let assessment = insert(tx, actor, risk, scored)?;
    let risk = model::rescore(tx, actor, risk.id)?;
    Ok((assessment, risk))
}

/// The latest assessment of the risk and the one before it, latest first.
pub fn latest_two(conn: &mut DbConnection, risk_id: Id) -> Result<Vec<Assessment>, ApiError> {
    Ok(risk_assessments::table
        .filter(risk_assessments::risk_id.eq(risk_id))
        .order((
            risk_assessments::assessed_on.desc(),
            risk_assessments::created_at.desc(),
            risk_assessments::id.desc(),
        ))
        .limit(2)
        .select(Assessment::as_select())
        .load(conn)?)
}

/// "Has it improved since then?": the risk's score now against its score
/// on the day before `date` (its last assessment before that date).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SinceAnswer {
    pub date: Day,
    /// The score of the last assessment before `date`; null when none was made.
    #[schema(minimum = 1, maximum = 25)]
    pub score_before: Option<i32>,
    /// The risk's score now.
    #[schema(minimum = 1, maximum = 25)]
    pub latest_score: i32,
    /// `latest_score` against `score_before`; null when there is nothing before.
    pub trend: Option<Trend>,
}

/// A page of a risk's assessments, oldest first, and with `since` the
/// answer to whether it improved since that date.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AssessmentHistory {
    pub items: Vec<Assessment>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// Present when `since` was asked.
    pub since: Option<SinceAnswer>,
}

/// Query of `GET /v1/risks/{id}/assessments`.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SinceQuery {
    /// Only the assessments on or after this date, and whether the risk
    /// improved since then.
    pub since: Option<Day>,
}

/// One page of the risk's assessments oldest first (by date, then as
/// recorded), on or after `since`; the cursor is the last one's id.
pub fn page(
    conn: &mut DbConnection,
    risk_id: Id,
    since: Option<Day>,
    page: &Page,
) -> Result<Vec<Assessment>, ApiError> {
    match page_query(conn, risk_id, since, page)? {
        Some(query) => Ok(query.load(conn)?),
        None => Ok(Vec::new()),
    }
}

/// A page of assessments as [`page`] reads it.
pub type AssessmentQuery = risk_assessments::BoxedQuery<
    'static,
    MultiBackend,
    diesel::dsl::AsSelect<Assessment, MultiBackend>,
>;

/// The query [`page`] runs (public so that a test can `EXPLAIN` it);
/// `None` when the cursor names no assessment of the risk (past the end).
pub fn page_query(
    conn: &mut DbConnection,
    risk_id: Id,
    since: Option<Day>,
    page: &Page,
) -> Result<Option<AssessmentQuery>, ApiError> {
    let mut query = risk_assessments::table
        .filter(risk_assessments::risk_id.eq(risk_id))
        .order((
            risk_assessments::assessed_on.asc(),
            risk_assessments::created_at.asc(),
            risk_assessments::id.asc(),
        ))
        .select(Assessment::as_select())
        .limit(page.fetch())
        .into_boxed();
    if let Some(since) = since {
        query = query.filter(risk_assessments::assessed_on.ge(since));
    }
    if let Some(after) = page.after {
        let last: Option<(Day, UtcTime)> = risk_assessments::table
            .filter(risk_assessments::risk_id.eq(risk_id))
            .filter(risk_assessments::id.eq(after))
            .select((risk_assessments::assessed_on, risk_assessments::created_at))
            .first(conn)
            .optional()?;
        let Some((day, at)) = last else {
            // A cursor this list did not hand out is past its end.
            return Ok(None);
        };
        // The first condition is implied by the second; said outright, it
        // lets the index seek to the cursor's place rather than read the
        // list from its start on every page.
        query = query.filter(risk_assessments::assessed_on.ge(day)).filter(
            risk_assessments::assessed_on
                .gt(day)
                .or(risk_assessments::assessed_on.eq(day).and(
                    risk_assessments::created_at
                        .gt(at)
                        .or(risk_assessments::created_at
                            .eq(at)
                            .and(risk_assessments::id.gt(after))),
                )),
        );
    }
    Ok(Some(query))
}

/// The answer for `date`: the risk's score now against its last score
/// before that date.
pub fn since(conn: &mut DbConnection, risk: &Risk, date: Day) -> Result<SinceAnswer, ApiError> {
    let before: Option<i32> = risk_assessments::table
        .filter(risk_assessments::risk_id.eq(risk.id))
        .filter(risk_assessments::assessed_on.lt(date))
        .order((
            risk_assessments::assessed_on.desc(),
            risk_assessments::created_at.desc(),
            risk_assessments::id.desc(),
        ))
        .select(risk_assessments::score)
        .first(conn)
        .optional()?;
    Ok(SinceAnswer {
        date,
        score_before: before,
        latest_score: risk.score,
        trend: rules::trend(risk.score, before),
    })
}

/// One assessment of the risk.
pub fn find(conn: &mut DbConnection, risk_id: Id, id: Id) -> Result<Assessment, ApiError> {
    risk_assessments::table
        .filter(risk_assessments::risk_id.eq(risk_id))
        .filter(risk_assessments::id.eq(id))
        .select(Assessment::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such assessment"))
}
