//! A partnership's risk-scoring bands ("all partners need to agree the
//! scoring"): the scores that are green, amber and red. Every partnership
//! starts on the default bands, version 1, with no row; its first change
//! stores the row at version 2. A risk's rating is derived from the bands
//! when read, so a change of bands is one audited change.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules::{Band, Bands, PutScoring};
use crate::auth::Principal;
use crate::db::schema::risk_scoring;
use crate::db::store::{self, Expected};
use crate::db::{DbConnection, Id, Tx, UtcTime};
use crate::error::ApiError;

/// The bands as stored.
#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, Queryable, Selectable, Insertable, AsChangeset,
)]
#[diesel(table_name = risk_scoring)]
pub struct Scoring {
    /// The partnership's id.
    pub id: Id,
    pub partnership_id: Id,
    pub amber_from: i32,
    pub red_from: i32,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

crate::record!(Scoring, "risk_scoring", risk_scoring);

/// The scoring as answered.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScoringView {
    pub partnership_id: Id,
    /// Green, amber and red, contiguous, covering scores 1 to 25.
    pub bands: Vec<Band>,
    /// 1 for the default bands, which no one has changed.
    pub version: i32,
    /// Null while the default bands apply.
    pub updated_at: Option<UtcTime>,
}

impl store::Versioned for ScoringView {
    fn version(&self) -> i32 {
        self.version
    }
}

impl Scoring {
    pub fn bands(&self) -> Bands {
        Bands {
            amber_from: self.amber_from,
            red_from: self.red_from,
        }
    }
}

fn stored(conn: &mut DbConnection, partnership_id: Id) -> Result<Option<Scoring>, ApiError> {
    Ok(risk_scoring::table
        .filter(risk_scoring::partnership_id.eq(partnership_id))
        .select(Scoring::as_select())
        .first(conn)
        .optional()?)
}

/// The partnership's bands (the default until changed).
pub fn bands_of(conn: &mut DbConnection, partnership_id: Id) -> Result<Bands, ApiError> {
    Ok(stored(conn, partnership_id)?.map_or(Bands::DEFAULT, |s| s.bands()))
}

/// The partnership's scoring as answered.
pub fn view(conn: &mut DbConnection, partnership_id: Id) -> Result<ScoringView, ApiError> {
    crate::partnerships::model::find(conn, partnership_id)?;
    let found = stored(conn, partnership_id)?;
    Ok(ScoringView {
        partnership_id,
        bands: found
            .as_ref()
            .map_or(Bands::DEFAULT, Scoring::bands)
            .bands(),
        version: found.as_ref().map_or(1, |s| s.version),
        updated_at: found.map(|s| s.updated_at),
    })
}

/// Replaces the partnership's bands (`If-Match` the current version).
pub fn put(
    tx: &mut Tx<'_>,
    actor: &Principal,
    partnership_id: Id,
    expected: Expected,
    body: PutScoring,
) -> Result<ScoringView, ApiError> {
    // The precondition first (RFC 9110 §13.2.1), then the content.
    let before = stored(tx, partnership_id)?;
    store::check(expected, before.as_ref().map_or(1, |s| s.version))?;
    let bands = Bands::from_bands(&body.bands)?;
    let now = tx.now();
    match before {
        None => {
            let first = Scoring {
                id: partnership_id,
                partnership_id,
                amber_from: bands.amber_from,
                red_from: bands.red_from,
                version: 2,
                created_at: now,
                updated_at: now,
            };
            store::insert(tx, actor, &first)?;
        }
        Some(before) => {
            let after = Scoring {
                amber_from: bands.amber_from,
                red_from: bands.red_from,
                ..before.clone()
            };
            store::update(tx, actor, &before, after, expected)?;
        }
    }
    view(tx, partnership_id)
}
