//! Audit events: one row per change, written in the change's own transaction.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::db::counter::{self, Scope};
use crate::db::schema::audit_events;
use crate::db::Page;
use crate::db::{DbConnection, Id, MultiBackend, Tx, UtcTime};
use crate::error::ApiError;

/// Who changed what, when, with the record before and after.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events, treat_none_as_default_value = false)]
pub struct AuditEvent {
    pub id: Id,
    pub partnership_id: Option<Id>,
    /// The API client or external subject that made the change.
    pub actor: String,
    pub actor_organisation_id: Option<Id>,
    pub occurred_at: UtcTime,
    #[schema(value_type = Change)]
    pub action: String,
    /// `partnership`, `person`, `group`, ...
    pub resource_type: String,
    pub resource_id: Id,
    /// The record before the change, as JSON text.
    #[schema(value_type = Option<Object>)]
    #[serde(with = "json_text")]
    pub before_state: Option<String>,
    /// The record after the change, as JSON text.
    #[schema(value_type = Option<Object>)]
    #[serde(with = "json_text")]
    pub after_state: Option<String>,
    /// Why (a reopening's reason).
    pub note: Option<String>,
    /// Position in the partnership's change log (or the platform's, for the
    /// shared registry): 1, 2, 3... with no gaps, in commit order, so a
    /// reader resuming after the last `seq` it saw misses nothing.
    #[schema(minimum = 1)]
    pub seq: i64,
    /// The record's version after the change (before it, for a deletion);
    /// `null` in events recorded before events carried it.
    #[schema(minimum = 1)]
    pub version: Option<i32>,
}

/// Stored as text on both backends, sent as JSON.
mod json_text {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(text) => serde_json::from_str::<serde_json::Value>(text)
                .map_err(serde::ser::Error::custom)?
                .serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        let value = Option::<serde_json::Value>::deserialize(d)?;
        Ok(value.map(|v| v.to_string()))
    }
}

crate::batch_insert!(AuditEvent, crate::db::schema::audit_events);

/// A record whose changes are audited.
pub trait Audited: Serialize {
    /// The resource type named in audit events: `person`, `group`, ...
    const RESOURCE: &'static str;
    fn id(&self) -> Id;
    /// The tenant it belongs to; `None` for shared records (organisations).
    fn partnership_id(&self) -> Option<Id>;
    /// Its version, as its ETag says (records without one: `None`).
    fn logged_version(&self) -> Option<i32> {
        None
    }
}

crate::text_enum! {
    /// What happened to a record (an audit event's `action`). Not the action
    /// log's `Action`: a change is what a write did. `read` and `export` are
    /// only in events recorded before the access log held disclosures.
    pub enum Change {
        Create => "create",
        Update => "update",
        Delete => "delete",
        Approve => "approve",
        Publish => "publish",
        Reopen => "reopen",
        Read => "read",
        Export => "export",
        Overdue => "overdue",
        Due => "due",
    }
}

/// Writes the audit event of a change to a record (`before` and `after` are
/// the states around it, `note` says why); only the write path
/// (`db::store`) calls it, inside the change's transaction.
pub fn record_noted<T: Audited>(
    tx: &mut Tx<'_>,
    actor: &Principal,
    action: Change,
    before: Option<&T>,
    after: Option<&T>,
    note: Option<String>,
) -> Result<(), ApiError> {
    let Some(subject) = after.or(before) else {
        return Err(ApiError::internal("an audited change needs a record"));
    };
    write(
        tx,
        actor,
        action,
        subject,
        subject.partnership_id(),
        to_text(before)?,
        to_text(after)?,
        note,
    )
}

/// Writes the audit event of a change to a shared record (an organisation)
/// into the change log of each partnership in `partnerships` as well, each
/// with its own `seq` there, so that every partnership referring to the
/// record sees it changed; the platform's log has its own event from
/// [`record_noted`]. Only the write path calls it, holding those logs'
/// counters in id order.
pub fn record_shared<T: Audited>(
    tx: &mut Tx<'_>,
    actor: &Principal,
    action: Change,
    before: Option<&T>,
    after: Option<&T>,
    partnerships: &[Id],
) -> Result<(), ApiError> {
    let Some(subject) = after.or(before) else {
        return Err(ApiError::internal("an audited change needs a record"));
    };
    let (before, after) = (to_text(before)?, to_text(after)?);
    for &partnership_id in partnerships {
        let (before, after) = (before.clone(), after.clone());
        write(
            tx,
            actor,
            action,
            subject,
            Some(partnership_id),
            before,
            after,
            None,
        )?;
    }
    Ok(())
}

fn to_text<T: Audited>(v: Option<&T>) -> Result<Option<String>, ApiError> {
    v.map(|v| {
        serde_json::to_string(v)
            .map_err(|e| ApiError::internal(format!("audit serialisation: {e}")))
    })
    .transpose()
}

/// Writes one event into the change log of `log` (a partnership's, or the
/// platform's for `None`).
/// Rows of the audit table per multi-row `INSERT`: 13 columns each, well
/// under SQLite's 32,766 and PostgreSQL's 65,535 bind parameters.
const EVENTS_PER_INSERT: usize = 1_000;

/// Audits a batch of changes of one partnership's records (each a `before`
/// and/or `after`) as one: the change log's counter advances once by their
/// number, and the events are written by multi-row `INSERT`s, in order.
pub fn record_many<T: Audited>(
    tx: &mut Tx<'_>,
    actor: &Principal,
    action: Change,
    changes: &[(Option<&T>, Option<&T>)],
) -> Result<(), ApiError> {
    let Some(log) = changes
        .first()
        .and_then(|(before, after)| after.or(*before))
        .map(Audited::partnership_id)
    else {
        return Ok(());
    };
    let n = i64::try_from(changes.len()).map_err(|e| ApiError::internal(e.to_string()))?;
    let last = tx.advance(Scope::of(log), counter::CHANGE_LOG, n)?;
    let now = tx.now();
    let mut events = Vec::with_capacity(changes.len());
    for (seq, (before, after)) in (last - n + 1..).zip(changes) {
        let subject = after
            .or(*before)
            .ok_or_else(|| ApiError::internal("an audited change needs a record"))?;
        if subject.partnership_id() != log {
            return Err(ApiError::internal("a batch is audited in one change log"));
        }
        events.push(AuditEvent {
            id: Id::new(),
            seq,
            partnership_id: log,
            actor: actor.subject.clone(),
            actor_organisation_id: actor.organisation_id,
            occurred_at: now,
            action: action.as_str().to_owned(),
            resource_type: T::RESOURCE.to_owned(),
            resource_id: subject.id(),
            version: subject.logged_version(),
            before_state: to_text(*before)?,
            after_state: to_text(*after)?,
            note: None,
        });
    }
    for chunk in events.chunks(EVENTS_PER_INSERT) {
        <AuditEvent as crate::db::store::BatchInsert>::insert_rows(chunk, tx)?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn write<T: Audited>(
    tx: &mut Tx<'_>,
    actor: &Principal,
    action: Change,
    subject: &T,
    log: Option<Id>,
    before_state: Option<String>,
    after_state: Option<String>,
    note: Option<String>,
) -> Result<(), ApiError> {
    // Last, so the scope's counter is held for as short a time as possible.
    let seq = tx.next(Scope::of(log), counter::CHANGE_LOG)?;
    let event = AuditEvent {
        id: Id::new(),
        seq,
        partnership_id: log,
        actor: actor.subject.clone(),
        actor_organisation_id: actor.organisation_id,
        occurred_at: tx.now(),
        action: action.as_str().to_owned(),
        resource_type: T::RESOURCE.to_owned(),
        resource_id: subject.id(),
        version: subject.logged_version(),
        before_state,
        after_state,
        note,
    };
    diesel::insert_into(audit_events::table)
        .values(&event)
        .execute(&mut **tx)?;
    Ok(())
}

/// Filters of the audit log.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// e.g. `meeting`, `person`.
    pub resource_type: Option<crate::validate::FilterText>,
    pub resource_id: Option<Id>,
    pub actor: Option<crate::validate::FilterText>,
}

/// A partnership's change log in `seq` order; `None` lists the platform's
/// (the shared registry's changes, which belong to no partnership).
pub fn list(
    conn: &mut DbConnection,
    partnership_id: Option<Id>,
    filter: &AuditFilter,
    page: &Page,
) -> Result<Vec<AuditEvent>, ApiError> {
    if let Some(id) = partnership_id {
        // A list of a partnership that does not exist is 404, not an empty page.
        crate::partnerships::model::find(conn, id)?;
    }
    Ok(list_query(partnership_id, filter, page).load(conn)?)
}

/// A page of a change log as [`list`] reads it.
pub type AuditQuery = audit_events::BoxedQuery<
    'static,
    MultiBackend,
    diesel::dsl::AsSelect<AuditEvent, MultiBackend>,
>;

/// The query [`list`] runs (public so that a test can `EXPLAIN` it).
pub fn list_query(partnership_id: Option<Id>, filter: &AuditFilter, page: &Page) -> AuditQuery {
    let mut query = audit_events::table
        .select(AuditEvent::as_select())
        .order(audit_events::seq.asc())
        .limit(page.fetch())
        .into_boxed();
    query = match partnership_id {
        Some(id) => query.filter(audit_events::partnership_id.eq(id)),
        None => query.filter(audit_events::partnership_id.is_null()),
    };
    if let Some(after) = page.after_seq() {
        query = query.filter(audit_events::seq.gt(after));
    }
    if let Some(t) = &filter.resource_type {
        query = query.filter(audit_events::resource_type.eq(t.as_str().to_owned()));
    }
    if let Some(id) = filter.resource_id {
        query = query.filter(audit_events::resource_id.eq(id));
    }
    if let Some(actor) = &filter.actor {
        query = query.filter(audit_events::actor.eq(actor.as_str().to_owned()));
    }
    query
}
