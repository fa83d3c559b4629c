//! Access log rows: written in a short statement of their own, never holding
//! the change log's counter, so a disclosure neither waits behind the
//! partnership's writes nor takes a `seq`.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::Audited;
use crate::auth::Principal;
use crate::db::schema::access_log;
use crate::db::{DbConnection, Id, MultiBackend, Page, UtcTime};
use crate::error::ApiError;

crate::text_enum! {
    /// Whether the caller was shown the record (`allowed`) or refused (`refused`, a 403).
    pub enum AccessOutcome {
        Allowed => "allowed",
        Refused => "refused",
    }
}

/// One disclosure or refused attempt.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable, Selectable, Insertable)]
#[diesel(table_name = access_log)]
pub struct AccessEntry {
    pub id: Id,
    pub partnership_id: Id,
    pub occurred_at: UtcTime,
    /// The API client or external subject that asked.
    pub subject: String,
    /// The organisation its token names, if any.
    pub organisation_id: Option<Id>,
    /// Its role in the partnership then: `admin`, `member`, `submitter`,
    /// `viewer`, or `platform_admin` for a platform administrator without
    /// one; `null` for disclosures carried over from the change log.
    pub role: Option<String>,
    #[schema(value_type = AccessOutcome)]
    pub outcome: String,
    /// `agenda_item`, `meeting`, `minutes`, `partnership`, `action_log`, ... (as in
    /// the change log, with `minutes` and `action_log` for those documents).
    pub resource_type: String,
    pub resource_id: Id,
    /// The request, e.g. `GET /v1/meetings/{id}/items/{item_id}` with its ids,
    /// and for an export the format handed out.
    pub operation: String,
}

impl AccessEntry {
    /// An entry for `principal` in `partnership_id`, at `at`.
    pub fn new(
        principal: &Principal,
        partnership_id: Id,
        outcome: AccessOutcome,
        (resource_type, resource_id): (&str, Id),
        operation: &str,
        at: UtcTime,
    ) -> Self {
        AccessEntry {
            id: Id::new(),
            partnership_id,
            occurred_at: at,
            subject: principal.subject.clone(),
            organisation_id: principal.organisation_id,
            role: principal.logged_role(partnership_id).map(str::to_owned),
            outcome: outcome.as_str().to_owned(),
            resource_type: resource_type.to_owned(),
            resource_id,
            operation: operation.to_owned(),
        }
    }
}

/// Rows per `INSERT`: ten columns each, far under either backend's limit
/// on bind parameters.
const CHUNK: usize = 500;

/// Writes entries, in statements of their own (no counter, no audit event).
pub fn write(conn: &mut DbConnection, entries: &[AccessEntry]) -> Result<(), ApiError> {
    for chunk in entries.chunks(CHUNK) {
        match conn {
            DbConnection::Pg(pg) => diesel::insert_into(access_log::table)
                .values(chunk)
                .execute(pg)?,
            DbConnection::Sqlite(lite) => diesel::insert_into(access_log::table)
                .values(chunk)
                .execute(lite)?,
        };
    }
    Ok(())
}

/// Logs that `principal` was shown (or handed a rendering of) each of
/// `records` through `operation`: one allowed entry per record.
pub fn record_reads<'a, T: Audited + 'a>(
    conn: &mut DbConnection,
    principal: &Principal,
    records: impl IntoIterator<Item = &'a T>,
    operation: &str,
    at: UtcTime,
) -> Result<(), ApiError> {
    let entries: Vec<AccessEntry> = records
        .into_iter()
        .filter_map(|r| {
            let partnership_id = r.partnership_id()?;
            let what = (T::RESOURCE, r.id());
            Some(AccessEntry::new(
                principal,
                partnership_id,
                AccessOutcome::Allowed,
                what,
                operation,
                at,
            ))
        })
        .collect();
    write(conn, &entries)
}

/// Logs that `principal` was handed a document of `partnership_id` that is
/// not one record (`minutes` of a meeting, the `action_log`) through `operation`.
pub fn record_document(
    conn: &mut DbConnection,
    principal: &Principal,
    partnership_id: Id,
    document: (&str, Id),
    operation: &str,
    at: UtcTime,
) -> Result<(), ApiError> {
    let entry = AccessEntry::new(
        principal,
        partnership_id,
        AccessOutcome::Allowed,
        document,
        operation,
        at,
    );
    write(conn, &[entry])
}

/// Filters of the access log.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccessFilter {
    /// `allowed` or `refused`.
    pub outcome: Option<AccessOutcome>,
    /// e.g. `item`, `minutes`, `action`.
    pub resource_type: Option<crate::validate::FilterText>,
    pub resource_id: Option<Id>,
    pub subject: Option<crate::validate::FilterText>,
}

/// A partnership's access log, oldest first (ids are UUIDv7).
pub fn list(
    conn: &mut DbConnection,
    partnership_id: Id,
    filter: &AccessFilter,
    page: &Page,
) -> Result<Vec<AccessEntry>, ApiError> {
    Ok(list_query(partnership_id, filter, page).load(conn)?)
}

/// A page of the access log as [`list`] reads it.
pub type AccessQuery =
    access_log::BoxedQuery<'static, MultiBackend, diesel::dsl::AsSelect<AccessEntry, MultiBackend>>;

/// The query [`list`] runs (public so that a test can `EXPLAIN` it).
pub fn list_query(partnership_id: Id, filter: &AccessFilter, page: &Page) -> AccessQuery {
    let mut query = access_log::table
        .select(AccessEntry::as_select())
        .filter(access_log::partnership_id.eq(partnership_id))
        .order(access_log::id.asc())
        .limit(page.fetch())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(access_log::id.gt(after));
    }
    if let Some(outcome) = filter.outcome {
        query = query.filter(access_log::outcome.eq(outcome.as_str()));
    }
    if let Some(t) = &filter.resource_type {
        query = query.filter(access_log::resource_type.eq(t.as_str().to_owned()));
    }
    if let Some(id) = filter.resource_id {
        query = query.filter(access_log::resource_id.eq(id));
    }
    if let Some(subject) = &filter.subject {
        query = query.filter(access_log::subject.eq(subject.as_str().to_owned()));
    }
    query
}
