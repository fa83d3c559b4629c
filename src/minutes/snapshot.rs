//! Approved minutes are a record: approving takes a snapshot of the whole
//! document (names, job titles, organisations, quorum, the actions as
//! agreed, the matters arising as reviewed), and every later rendering of
//! approved or published minutes reads it, so a person renamed or a
//! statutory partner added later changes nothing in them. Reopening
//! discards the snapshot. The approval itself is the audited change.

use diesel::prelude::*;

use super::cache::{self, DraftCache};
use super::document::{self, MinutesDocument};
use crate::db::schema::minutes_snapshots;
use crate::db::{DbConnection, Id, Tx, UtcTime};
use crate::error::ApiError;
use crate::meetings::model::Meeting;
use crate::meetings::rules::MinutesStatus;

/// Freezes the minutes of `meeting` (just approved, in this transaction).
pub fn take(tx: &mut Tx<'_>, meeting: &Meeting) -> Result<(), ApiError> {
    let taken_at = tx.now();
    let mut doc = document::assemble(tx, meeting.clone(), taken_at)?;
    doc.snapshot_taken_at = Some(taken_at);
    let text = serde_json::to_string(&doc)
        .map_err(|e| ApiError::internal(format!("snapshot of minutes: {e}")))?;
    discard(tx, meeting.id)?;
    diesel::insert_into(minutes_snapshots::table)
        .values((
            minutes_snapshots::meeting_id.eq(meeting.id),
            minutes_snapshots::partnership_id.eq(meeting.partnership_id),
            minutes_snapshots::document.eq(text),
            minutes_snapshots::taken_at.eq(taken_at),
        ))
        .execute(&mut **tx)?;
    Ok(())
}

/// The frozen minutes of an approved or published meeting, if taken.
pub fn load(
    conn: &mut DbConnection,
    meeting: &Meeting,
) -> Result<Option<MinutesDocument>, ApiError> {
    if !matches!(
        meeting.minutes_status,
        MinutesStatus::Approved | MinutesStatus::Published
    ) {
        return Ok(None);
    }
    let text: Option<String> = minutes_snapshots::table
        .find(meeting.id)
        .select(minutes_snapshots::document)
        .first(conn)
        .optional()?;
    text.map(|t| {
        serde_json::from_str(&t)
            .map_err(|e| ApiError::internal(format!("snapshot of minutes unreadable: {e}")))
    })
    .transpose()
}

/// The record of `meeting` as the caller may see it: approved and
/// published minutes from their snapshot (with the meeting's current
/// state), drafts as they stand; `sees_confidential` false redacts it.
pub fn read(
    conn: &mut DbConnection,
    meeting: Meeting,
    sees_confidential: bool,
    now: UtcTime,
    drafts: &DraftCache,
) -> Result<MinutesDocument, ApiError> {
    let doc = match load(conn, &meeting)? {
        Some(mut frozen) => {
            frozen.meeting.meeting = meeting;
            frozen
        }
        None => draft(conn, meeting, now, drafts)?,
    };
    let mut doc = if sees_confidential { doc } else { doc.redact() };
    doc.link_papers(None);
    Ok(doc)
}

/// The draft of `meeting` as it stands: the one kept, if nothing it is made
/// of has changed since and its time has not passed, else assembled anew
/// (after the stamp is read, from the meeting as it is then) and kept.
fn draft(
    conn: &mut DbConnection,
    meeting: Meeting,
    now: UtcTime,
    drafts: &DraftCache,
) -> Result<MinutesDocument, ApiError> {
    let stamp = cache::stamp(conn, meeting.partnership_id)?;
    if let Some(kept) = drafts.get(meeting.id, stamp, now) {
        return Ok((*kept).clone());
    }
    let meeting = crate::meetings::model::find_in(conn, meeting.partnership_id, meeting.id)?;
    let id = meeting.id;
    let doc = document::assemble(conn, meeting, now)?;
    // A draft whose time cannot be told is given, not kept.
    match document::due_meetings_start(conn, &doc, now) {
        Ok(starts) => {
            let until = cache::valid_until(now, starts);
            let bytes = cache::json_bytes(&doc);
            drafts.put(id, stamp, until, std::sync::Arc::new(doc.clone()), bytes);
        }
        Err(e) => log::warn!("draft minutes of {id} not kept: {e}"),
    }
    Ok(doc)
}

/// Unfreezes the minutes of a meeting being reopened.
pub fn discard(tx: &mut Tx<'_>, meeting_id: Id) -> Result<(), ApiError> {
    diesel::delete(minutes_snapshots::table.find(meeting_id)).execute(&mut **tx)?;
    Ok(())
}
