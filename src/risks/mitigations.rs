//! The actions of the log that mitigate a risk, as rows of
//! `risk_mitigations` in order, each referring to its action by a foreign
//! key. They are written with their risk (its `Record` impl), so the risk's
//! audit event names them.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::schema::risk_mitigations;
use crate::db::{DbConnection, Id};

/// The mitigating actions of each of the risks `ids`, in order; a risk
/// without any is absent.
pub fn of(conn: &mut DbConnection, ids: &[Id]) -> QueryResult<HashMap<Id, Vec<Id>>> {
    let mut found: HashMap<Id, Vec<Id>> = HashMap::new();
    for chunk in ids.chunks(crate::db::IDS_PER_QUERY) {
        let rows: Vec<(Id, Id)> = risk_mitigations::table
            .filter(risk_mitigations::risk_id.eq_any(chunk))
            .order((risk_mitigations::risk_id, risk_mitigations::position))
            .select((risk_mitigations::risk_id, risk_mitigations::action_id))
            .load(conn)?;
        for (risk, action) in rows {
            found.entry(risk).or_default().push(action);
        }
    }
    Ok(found)
}

/// Stores the mitigations of the new risk `risk_id`, in order (at most
/// `rules::MAX_MITIGATIONS`, so one statement a row).
pub(super) fn insert(conn: &mut DbConnection, risk_id: Id, ids: &[Id]) -> QueryResult<()> {
    for (position, action_id) in ids.iter().enumerate() {
        diesel::insert_into(risk_mitigations::table)
            .values((
                risk_mitigations::risk_id.eq(risk_id),
                risk_mitigations::position.eq(i32::try_from(position).unwrap_or(i32::MAX)),
                risk_mitigations::action_id.eq(*action_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Makes `ids` the mitigations of the risk `risk_id`, in this order; writes
/// nothing when they are the ones stored.
pub(super) fn replace(conn: &mut DbConnection, risk_id: Id, ids: &[Id]) -> QueryResult<()> {
    if of(conn, &[risk_id])?.remove(&risk_id).unwrap_or_default() == ids {
        return Ok(());
    }
    diesel::delete(risk_mitigations::table.filter(risk_mitigations::risk_id.eq(risk_id)))
        .execute(conn)?;
    insert(conn, risk_id, ids)
}
