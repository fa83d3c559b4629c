//! Metric rows and queries.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::quantity::Hundredths;
use super::rules::{self, CreateMetric, MetricFields, Unit, UpdateMetric};
use crate::auth::tenant::{Manage, Tenant};
use crate::auth::Principal;
use crate::db::schema::metrics;
use crate::db::store::{self, Expected};
use crate::db::Page;
use crate::db::{DbConnection, Id, MultiBackend, Tx, UtcTime};
use crate::error::ApiError;

/// A metric agencies report on.
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
#[diesel(
    table_name = metrics,
    treat_none_as_null = true,
    treat_none_as_default_value = false
)]
pub struct Metric {
    pub id: Id,
    pub partnership_id: Id,
    pub code: String,
    pub name: String,
    pub unit: Unit,
    /// The allowed range; null where unbounded.
    #[diesel(column_name = min_hundredths)]
    pub min_value: Option<Hundredths>,
    #[diesel(column_name = max_hundredths)]
    pub max_value: Option<Hundredths>,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

crate::record!(Metric, "metric", metrics, unique: ["code" => "code"]);
crate::batch_insert!(Metric, crate::db::schema::metrics);

impl Metric {
    /// Why `value` does not fit this metric, if it does not.
    pub fn check(&self, value: Hundredths) -> Result<(), String> {
        rules::check_value(self.unit, self.min_value, self.max_value, value)
    }
}

pub fn create(
    tx: &mut Tx<'_>,
    tenant: &Tenant<Manage>,
    form: CreateMetric,
) -> Result<Metric, ApiError> {
    let (actor, partnership_id) = (&tenant.principal, tenant.partnership_id);
    crate::partnerships::model::find(tx, partnership_id)?;
    let fields = rules::validate(MetricFields {
        code: form.code,
        name: form.name,
        unit: form.unit,
        min_value: form.min_value,
        max_value: form.max_value,
    })?;
    let now = tx.now();
    let record = Metric {
        id: Id::new(),
        partnership_id,
        code: fields.code,
        name: fields.name,
        unit: fields.unit,
        min_value: fields.min_value,
        max_value: fields.max_value,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store::insert(tx, actor, &record)?;
    Ok(record)
}

pub fn find(conn: &mut DbConnection, partnership_id: Id, id: Id) -> Result<Metric, ApiError> {
    metrics::table
        .filter(metrics::partnership_id.eq(partnership_id))
        .filter(metrics::id.eq(id))
        .select(Metric::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such metric"))
}

pub fn list(
    conn: &mut DbConnection,
    partnership_id: Id,
    page: &Page,
) -> Result<Vec<Metric>, ApiError> {
    crate::partnerships::model::find(conn, partnership_id)?;
    Ok(list_query(partnership_id, page).load(conn)?)
}

/// A page of metrics as [`list`] reads it.
pub type MetricQuery =
    metrics::BoxedQuery<'static, MultiBackend, diesel::dsl::AsSelect<Metric, MultiBackend>>;

/// The query [`list`] runs (public so that a test can `EXPLAIN` it).
pub fn list_query(partnership_id: Id, page: &Page) -> MetricQuery {
    let mut query = metrics::table
        .filter(metrics::partnership_id.eq(partnership_id))
        .select(Metric::as_select())
        .order(metrics::id.asc())
        .limit(page.fetch())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(metrics::id.gt(after));
    }
    query
}

/// Every metric of the partnership (a submission names them by code).
pub fn all(conn: &mut DbConnection, partnership_id: Id) -> Result<Vec<Metric>, ApiError> {
    Ok(metrics::table
        .filter(metrics::partnership_id.eq(partnership_id))
        .select(Metric::as_select())
        .load(conn)?)
}

/// The partnership's metrics with these codes (a submission reads only the
/// metrics it names, not all of a partnership's).
pub fn named(
    conn: &mut DbConnection,
    partnership_id: Id,
    codes: &[&str],
) -> Result<Vec<Metric>, ApiError> {
    let mut found = Vec::new();
    // Within every backend's limit on bound parameters.
    for chunk in codes.chunks(5_000) {
        found.extend(
            metrics::table
                .filter(metrics::partnership_id.eq(partnership_id))
                .filter(metrics::code.eq_any(chunk))
                .select(Metric::as_select())
                .load(conn)?,
        );
    }
    Ok(found)
}

pub fn update(
    tx: &mut Tx<'_>,
    actor: &Principal,
    partnership_id: Id,
    id: Id,
    expected: Expected,
    patch: UpdateMetric,
) -> Result<Metric, ApiError> {
    let before = find(tx, partnership_id, id)?;
    store::check(expected, before.version)?;
    let fields = rules::apply(
        MetricFields {
            code: before.code.clone(),
            name: before.name.clone(),
            unit: before.unit,
            min_value: before.min_value,
            max_value: before.max_value,
        },
        patch,
    )?;
    let after = Metric {
        name: fields.name,
        unit: fields.unit,
        min_value: fields.min_value,
        max_value: fields.max_value,
        ..before.clone()
    };
    store::update(tx, actor, &before, after, expected)
}
