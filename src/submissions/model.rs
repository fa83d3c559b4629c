//! Submitted values: rows, the import, and queries.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules::{self, Batch, Context, Flags, HeldValue, ImportSummary, Step};
use crate::auth::tenant::{Submit, Tenant};
use crate::db::schema::metric_values as values;
use crate::db::store;
use crate::db::Page;
use crate::db::{Day, DbConnection, Id, MultiBackend, Tx, UtcTime};
use crate::error::ApiError;
use crate::metrics::quantity::Hundredths;
use crate::validate::Errors;

/// One agency's value of one metric for one period.
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
    table_name = values,
    treat_none_as_null = true,
    treat_none_as_default_value = false
)]
pub struct MetricValue {
    pub id: Id,
    pub partnership_id: Id,
    pub metric_id: Id,
    pub organisation_id: Id,
    pub period: String,
    /// Exact: at most two decimal places.
    #[diesel(column_name = value_hundredths)]
    pub value: Hundredths,
    pub comment: Option<String>,
    /// The client that last submitted it.
    pub submitted_by: String,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
    /// The open data request it answers; null when none asked for it.
    pub data_request_id: Option<Id>,
    /// Whether it first came after that request's due date.
    pub late: bool,
}

crate::record!(MetricValue, "metric_value", values);
crate::batch_insert!(
    MetricValue,
    crate::db::schema::metric_values,
    update: [value_hundredths, comment, submitted_by, version, updated_at, data_request_id, late],
);

/// Checks the submission as a whole (period, agency, size): anything wrong
/// there refuses all of it. Values are then judged one by one.
fn check_whole(
    conn: &mut DbConnection,
    partnership_id: Id,
    form: &Batch,
) -> Result<String, ApiError> {
    let mut errors = Errors::new();
    let period = crate::metrics::period::parse_period(&form.period)
        .map_err(|m| errors.add("period", m))
        .unwrap_or_default();
    crate::members::model::check_member(
        conn,
        partnership_id,
        "organisation_id",
        form.organisation_id,
        &mut errors,
    )?;
    if form.entries.is_empty() || form.entries.len() > rules::MAX_VALUES {
        errors.add(
            "values",
            format!("must hold 1 to {} values", rules::MAX_VALUES),
        );
    }
    errors.finish()?;
    Ok(period)
}

/// Imports a submission in the caller's transaction; with `dry_run`, or
/// `atomic` and a rejected value, only answers what would happen.
pub fn submit(
    tx: &mut Tx<'_>,
    tenant: &Tenant<Submit>,
    form: Batch,
    flags: Flags,
) -> Result<ImportSummary, ApiError> {
    let (actor, partnership_id) = (&tenant.principal, tenant.partnership_id);
    crate::partnerships::model::find(tx, partnership_id)?;
    // The write scope is held before what is held is read: a resubmission
    // racing this one waits, and reads what it committed, rather than
    // updating a value under it (412).
    let period = check_whole(tx, partnership_id, &form)?;
    let mut codes: Vec<&str> = form.entries.iter().map(|e| e.metric.trim()).collect();
    codes.sort_unstable();
    codes.dedup();
    let metrics = crate::metrics::model::named(tx, partnership_id, &codes)?;
    let held: Vec<MetricValue> = values::table
        .filter(values::partnership_id.eq(partnership_id))
        .filter(values::organisation_id.eq(form.organisation_id))
        .filter(values::period.eq(&period))
        .select(MetricValue::as_select())
        .load(&mut **tx)?;
    let existing: HashMap<Id, HeldValue> = held
        .iter()
        .map(|v| {
            let held = HeldValue {
                id: v.id,
                value: v.value,
                comment: v.comment.clone(),
                first_given: Day::in_uk(v.created_at),
            };
            (v.metric_id, held)
        })
        .collect();
    let requests = crate::data_requests::model::asks_of_period(tx, partnership_id, &period)?;
    let answers = crate::data_requests::rules::answers(&requests, form.organisation_id);
    let context = Context {
        metrics: &metrics,
        existing: &existing,
        answers: &answers,
        today: Day::in_uk(tx.now()),
    };
    let (planned, rejected) = rules::plan(&context, &form.entries);
    let stored = !flags.dry_run && (!flags.atomic || rejected.is_empty());
    let mut summary = ImportSummary {
        rejected,
        dry_run: flags.dry_run,
        atomic: flags.atomic,
        stored,
        ..ImportSummary::default()
    };
    let mut held: HashMap<Id, MetricValue> = held.into_iter().map(|v| (v.id, v)).collect();
    let now = tx.now();
    let mut inserts = Vec::new();
    let mut updates = Vec::new();
    for p in planned {
        match p.step {
            Step::Unchanged(id) => {
                summary.unchanged += 1;
                // Given before the request asked for it: it answers it now.
                let before = held
                    .remove(&id)
                    .ok_or_else(|| ApiError::internal("a value is planned once"))?;
                if p.data_request_id.is_some() && p.data_request_id != before.data_request_id {
                    let after = MetricValue {
                        data_request_id: p.data_request_id,
                        late: p.late,
                        ..before.clone()
                    };
                    updates.push((before, after));
                }
            }
            Step::Insert => {
                summary.imported += 1;
                inserts.push(MetricValue {
                    id: Id::new(),
                    partnership_id,
                    metric_id: p.metric_id,
                    organisation_id: form.organisation_id,
                    period: period.clone(),
                    value: p.value,
                    comment: p.comment,
                    submitted_by: actor.subject.clone(),
                    version: 1,
                    created_at: now,
                    updated_at: now,
                    data_request_id: p.data_request_id,
                    late: p.late,
                });
            }
            Step::Update(id) => {
                summary.updated += 1;
                let before = held
                    .remove(&id)
                    .ok_or_else(|| ApiError::internal("a value is updated once"))?;
                // Late is when a value was first given: a correction after
                // the due date keeps an on-time value on time. Asked by no
                // open request now, it keeps its link.
                let (data_request_id, late) = match p.data_request_id {
                    Some(r) if Some(r) != before.data_request_id => (Some(r), p.late),
                    _ => (before.data_request_id, before.late),
                };
                let after = MetricValue {
                    value: p.value,
                    comment: p.comment,
                    submitted_by: actor.subject.clone(),
                    data_request_id,
                    late,
                    ..before.clone()
                };
                updates.push((before, after));
            }
        }
    }
    if stored {
        // One batch each: the log held once, its seq advanced once per batch.
        store::insert_many(tx, actor, &inserts)?;
        store::update_many(tx, actor, updates)?;
    }
    Ok(summary)
}

/// Filters of the submitted values.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ValueFilter {
    /// e.g. `2019-20-Q2`
    #[param(schema_with = crate::metrics::period::period_schema)]
    pub period: Option<String>,
    pub organisation_id: Option<Id>,
    pub metric_id: Option<Id>,
}

/// One page of the values under `filter`, or all of them (`page` None)
/// for exports.
pub fn list(
    conn: &mut DbConnection,
    partnership_id: Id,
    filter: &ValueFilter,
    page: Option<&Page>,
) -> Result<Vec<MetricValue>, ApiError> {
    crate::partnerships::model::find(conn, partnership_id)?;
    Ok(list_query(partnership_id, filter, page)?.load(conn)?)
}

/// Values as [`list`] reads them.
pub type ValueQuery =
    values::BoxedQuery<'static, MultiBackend, diesel::dsl::AsSelect<MetricValue, MultiBackend>>;

/// The query [`list`] runs (public so that a test can `EXPLAIN` it).
pub fn list_query(
    partnership_id: Id,
    filter: &ValueFilter,
    page: Option<&Page>,
) -> Result<ValueQuery, ApiError> {
    let mut query = values::table
        .filter(values::partnership_id.eq(partnership_id))
        .select(MetricValue::as_select())
        .order(values::id.asc())
        .into_boxed();
    if let Some(page) = page {
        query = query.limit(page.fetch());
        if let Some(after) = page.after {
            query = query.filter(values::id.gt(after));
        }
    }
    if let Some(period) = &filter.period {
        let period = crate::metrics::period::parse_period(period)
            .map_err(|m| ApiError::bad_request(format!("period {m}")))?;
        query = query.filter(values::period.eq(period));
    }
    if let Some(org) = filter.organisation_id {
        query = query.filter(values::organisation_id.eq(org));
    }
    if let Some(metric) = filter.metric_id {
        query = query.filter(values::metric_id.eq(metric));
    }
    Ok(query)
}
