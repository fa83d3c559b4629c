//! The register as a list and as a heat map: its filters, and the one query
//! that answers them. A rating is a range of scores under the partnership's
//! bands, so the filter follows the bands without any risk being rewritten.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{with_mitigations, Risk, RiskRow};
use super::rules::{Bands, Rating, RiskStatus};
use crate::actions::rules::{OwnerFilter, OwnerRef};
use crate::auth::Role;
use crate::db::schema::{people, risks};
use crate::db::{Day, DbConnection, Id, MultiBackend};
use crate::error::ApiError;

type RiskQuery = risks::BoxedQuery<'static, MultiBackend>;

/// Filters of the register.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RiskFilter {
    pub status: Option<RiskStatus>,
    /// Risks whose score has this rating under the partnership's bands now.
    pub rating: Option<Rating>,
    /// The owner: a person's initials or id, or an organisation's id.
    pub owner: Option<OwnerFilter>,
    /// Only risks whose review is overdue (`true`), or only the others.
    pub review_overdue: Option<bool>,
    /// The day `review_overdue` is judged on; today (the service's clock)
    /// when left out.
    pub as_at: Option<Day>,
}

/// The query of the register under `filter`, for a caller of `role`, with
/// the partnership's `bands`, judged on `today`.
fn query(
    conn: &mut DbConnection,
    partnership_id: Id,
    role: Role,
    filter: &RiskFilter,
    bands: Bands,
    today: Day,
) -> Result<RiskQuery, ApiError> {
    let mut query = risks::table
        .filter(risks::partnership_id.eq(partnership_id))
        .into_boxed();
    if !matches!(role, Role::Admin | Role::Member) {
        query = query.filter(risks::status.ne(RiskStatus::Draft));
    }
    if let Some(status) = filter.status {
        query = query.filter(risks::status.eq(status));
    }
    if let Some(rating) = filter.rating {
        let (low, high) = bands.range(rating);
        query = query.filter(risks::score.between(low, high));
    }
    if let Some(OwnerFilter(owner)) = &filter.owner {
        query = match owner {
            OwnerRef::Id(id) => query.filter(
                risks::owner_person_id
                    .eq(*id)
                    .or(risks::owner_organisation_id.eq(*id)),
            ),
            OwnerRef::Initials(initials) => {
                let person: Option<Id> = people::table
                    .filter(people::partnership_id.eq(partnership_id))
                    .filter(people::initials.eq(initials))
                    .select(people::id)
                    .first(conn)
                    .optional()?;
                // Unknown initials own nothing: the nil id names no person.
                query.filter(risks::owner_person_id.eq(person.unwrap_or(Id(uuid::Uuid::nil()))))
            }
            // All partners own no risk.
            OwnerRef::AllPartners => query.filter(risks::id.eq(Id(uuid::Uuid::nil()))),
        };
    }
    if let Some(overdue) = filter.review_overdue {
        let late = risks::status
            .ne(RiskStatus::Closed)
            .and(risks::next_review_date.is_not_null())
            .and(risks::next_review_date.lt(today))
            .assume_not_null();
        query = query.filter(late.eq(overdue));
    }
    Ok(query)
}

/// One page of the register in number order (`after` a number), or the
/// whole register (`limit` None) for exports.
#[allow(clippy::too_many_arguments)]
pub fn list(
    conn: &mut DbConnection,
    partnership_id: Id,
    role: Role,
    filter: &RiskFilter,
    today: Day,
    after: Option<i64>,
    limit: Option<i64>,
) -> Result<Vec<Risk>, ApiError> {
    crate::partnerships::model::find(conn, partnership_id)?;
    let rows = list_query(conn, partnership_id, role, filter, today, after, limit)?.load(conn)?;
    with_mitigations(conn, rows)
}

/// A page of the register as [`list`] reads it.
pub type RiskPageQuery =
    risks::BoxedQuery<'static, MultiBackend, diesel::dsl::AsSelect<RiskRow, MultiBackend>>;

/// The query [`list`] runs (public so that a test can `EXPLAIN` it).
#[allow(clippy::too_many_arguments)]
pub fn list_query(
    conn: &mut DbConnection,
    partnership_id: Id,
    role: Role,
    filter: &RiskFilter,
    today: Day,
    after: Option<i64>,
    limit: Option<i64>,
) -> Result<RiskPageQuery, ApiError> {
    let bands = super::scoring::bands_of(conn, partnership_id)?;
    let mut q = query(conn, partnership_id, role, filter, bands, today)?
        .select(RiskRow::as_select())
        .order(risks::number.asc());
    if let Some(after) = after {
        q = q.filter(risks::number.gt(after));
    }
    if let Some(limit) = limit {
        q = q.limit(limit);
    }
    Ok(q)
}

/// One cell of the heat map: the risks scored `likelihood` × `impact`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HeatCell {
    #[schema(minimum = 1, maximum = 5)]
    pub likelihood: i32,
    #[schema(minimum = 1, maximum = 5)]
    pub impact: i32,
    #[schema(minimum = 1, maximum = 25)]
    pub score: i32,
    pub rating: Rating,
    #[schema(minimum = 0)]
    pub count: i64,
}

/// The register as a 5 × 5 grid of counts (likelihood, then impact, from 1).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HeatMap {
    /// 25 cells, every one, likelihood 1 to 5 and within it impact 1 to 5.
    pub cells: Vec<HeatCell>,
    /// The risks counted.
    #[schema(minimum = 0)]
    pub total: i64,
}

/// The heat map of the register under `filter` (`rating` as well).
pub fn heat_map(
    conn: &mut DbConnection,
    partnership_id: Id,
    role: Role,
    filter: &RiskFilter,
    today: Day,
) -> Result<HeatMap, ApiError> {
    crate::partnerships::model::find(conn, partnership_id)?;
    let bands = super::scoring::bands_of(conn, partnership_id)?;
    // Two small numbers a risk, counted here: a boxed query cannot group.
    let scored: Vec<(i32, i32)> = query(conn, partnership_id, role, filter, bands, today)?
        .select((risks::likelihood, risks::impact))
        .load(conn)?;
    let mut counts = std::collections::HashMap::<(i32, i32), i64>::new();
    for cell in scored {
        *counts.entry(cell).or_default() += 1;
    }
    let mut cells = Vec::with_capacity(25);
    for likelihood in super::rules::LEVELS {
        for impact in super::rules::LEVELS {
            let count = counts.get(&(likelihood, impact)).copied().unwrap_or(0);
            let score = likelihood * impact;
            cells.push(HeatCell {
                likelihood,
                impact,
                score,
                rating: bands.rating(score),
                count,
            });
        }
    }
    Ok(HeatMap {
        total: cells.iter().map(|c| c.count).sum(),
        cells,
    })
}
