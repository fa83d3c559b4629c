//! Risks as answered: the rating from the partnership's bands, the trend,
//! the owner by name, the mitigating actions with their numbers and
//! status, and whether a review is overdue. A batch of risks is viewed in a
//! fixed number of queries, whatever its size.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::Risk;
use super::rules::{self, Bands, Rating, Trend};
use crate::actions::rules::ActionStatus;
use crate::auth::Role;
use crate::db::schema::{actions, organisations, people};
use crate::db::{Day, DbConnection, Id};
use crate::error::ApiError;

/// An action of the log that mitigates a risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Mitigation {
    pub action_id: Id,
    pub number: i64,
    pub status: ActionStatus,
    /// What is to be done.
    pub description: String,
}

/// A risk as answered.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RiskView {
    #[serde(flatten)]
    pub risk: Risk,
    /// The score's band in the partnership's scoring, as it is now.
    pub rating: Rating,
    /// The latest score against the one before; null with one assessment.
    pub trend: Option<Trend>,
    /// The target score's band.
    pub target_rating: Option<Rating>,
    /// "Steve Baumber".
    pub owner_name: Option<String>,
    /// "SB".
    pub owner_initials: Option<String>,
    pub owner_organisation_name: Option<String>,
    /// The mitigating actions, in order (for a viewer, without those agreed
    /// under a confidential item).
    pub mitigations: Vec<Mitigation>,
    /// Not closed, and its next review date has passed.
    pub review_overdue: bool,
}

crate::versioned_view!(RiskView, risk);

/// Views risks of one partnership for a caller of `role` on `today`.
pub fn views(
    conn: &mut DbConnection,
    partnership_id: Id,
    list: Vec<Risk>,
    role: Role,
    today: Day,
) -> Result<Vec<RiskView>, ApiError> {
    if list.is_empty() {
        return Ok(Vec::new());
    }
    let bands: Bands = super::scoring::bands_of(conn, partnership_id)?;
    let persons: HashMap<Id, (String, String)> =
        crate::db::by_ids(list.iter().filter_map(|r| r.owner_person_id), |ids| {
            people::table
                .filter(people::id.eq_any(ids))
                .select((people::id, people::full_name, people::initials))
                .load::<(Id, String, String)>(conn)
        })?
        .into_iter()
        .map(|(id, name, initials)| (id, (name, initials)))
        .collect();
    let orgs: HashMap<Id, String> =
        crate::db::by_ids(list.iter().filter_map(|r| r.owner_organisation_id), |ids| {
            organisations::table
                .filter(organisations::id.eq_any(ids))
                .select((organisations::id, organisations::name))
                .load::<(Id, String)>(conn)
        })?
        .into_iter()
        .collect();
    let action_ids = list
        .iter()
        .flat_map(|r| r.mitigation_action_ids.iter().copied());
    let action_rows: Vec<(Id, i64, ActionStatus, String, Option<Id>)> =
        crate::db::by_ids(action_ids, |ids| {
            actions::table
                .filter(actions::id.eq_any(ids))
                .select((
                    actions::id,
                    actions::number,
                    actions::status,
                    actions::description,
                    actions::item_id,
                ))
                .load(conn)
        })?;
    let hidden: Vec<Id> = if role.sees_confidential() {
        Vec::new()
    } else {
        confidential_actions(conn, &action_rows)?
    };
    let of_action: HashMap<Id, Mitigation> = action_rows
        .into_iter()
        .filter(|(id, ..)| !hidden.contains(id))
        .map(|(action_id, number, status, description, _)| {
            let m = Mitigation {
                action_id,
                number,
                status,
                description,
            };
            (action_id, m)
        })
        .collect();
    Ok(list
        .into_iter()
        .map(|risk| {
            let person = risk.owner_person_id.and_then(|p| persons.get(&p));
            RiskView {
                rating: bands.rating(risk.score),
                trend: rules::trend(risk.score, risk.previous_score),
                target_rating: risk.target_score.map(|s| bands.rating(s)),
                owner_name: person.map(|(name, _)| name.clone()),
                owner_initials: person.map(|(_, initials)| initials.clone()),
                owner_organisation_name: risk
                    .owner_organisation_id
                    .and_then(|o| orgs.get(&o).cloned()),
                mitigations: risk
                    .mitigation_action_ids
                    .iter()
                    .filter_map(|a| of_action.get(a).cloned())
                    .collect(),
                review_overdue: rules::review_overdue(risk.status, risk.next_review_date, today),
                risk,
            }
        })
        .collect())
}

/// Of these actions, those agreed under a confidential item.
fn confidential_actions(
    conn: &mut DbConnection,
    rows: &[(Id, i64, ActionStatus, String, Option<Id>)],
) -> Result<Vec<Id>, ApiError> {
    use crate::db::schema::agenda_items;
    let secret: Vec<Id> = crate::db::by_ids(rows.iter().filter_map(|r| r.4), |ids| {
        agenda_items::table
            .filter(agenda_items::id.eq_any(ids))
            .filter(agenda_items::confidential.eq(true))
            .select(agenda_items::id)
            .load(conn)
    })?;
    Ok(rows
        .iter()
        .filter(|r| r.4.is_some_and(|i| secret.contains(&i)))
        .map(|r| r.0)
        .collect())
}
