//! Data request rows and queries: the write scope's checks (members, codes,
//! one open request per metric, agency and period) and what submissions and
//! the completeness report read.

use std::collections::BTreeSet;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules::{
    self, Asked, CreateDataRequest, DataRequestStatus, RequestAsk, UpdateDataRequest,
};
use crate::auth::tenant::{Manage, Tenant};
use crate::auth::{Access, Principal, Role};
use crate::db::schema::{data_requests, partnership_members as members};
use crate::db::store::{self, Expected};
use crate::db::{CodeList, Day, DbConnection, Id, IdList, MultiBackend, Page, Tx, UtcTime};
use crate::error::ApiError;
use crate::validate::Errors;

/// A partnership's request to agencies for a quarter's metrics.
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
#[diesel(table_name = data_requests)]
pub struct DataRequest {
    pub id: Id,
    pub partnership_id: Id,
    /// The quarter asked for: `2019-20-Q2`.
    pub period: String,
    /// The metrics asked for, by code.
    #[diesel(serialize_as = String, deserialize_as = String)]
    pub metrics: CodeList,
    /// The agencies asked (a submitter is shown only its own).
    #[diesel(serialize_as = String, deserialize_as = String)]
    pub organisation_ids: IdList,
    /// The last day for values; later ones are flagged `late`.
    pub due_date: Day,
    pub status: DataRequestStatus,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

crate::record!(DataRequest, "data_request", data_requests);

impl DataRequest {
    fn asked(&self) -> Asked {
        Asked {
            metrics: self.metrics.0.clone(),
            organisation_ids: self.organisation_ids.0.clone(),
        }
    }

    /// Whether it asks `organisation` for anything.
    pub fn asks(&self, organisation: Id) -> bool {
        self.organisation_ids.0.contains(&organisation)
    }

    /// The request as a caller with `role` may see it: a submitter is not
    /// told which other agencies are asked.
    pub fn seen_by(mut self, principal: &Principal, role: Role) -> DataRequest {
        if role == Role::Submitter {
            self.organisation_ids
                .0
                .retain(|o| principal.organisation_id == Some(*o));
        }
        self
    }
}

pub fn create(
    tx: &mut Tx<'_>,
    tenant: &Tenant<Manage>,
    form: CreateDataRequest,
) -> Result<DataRequest, ApiError> {
    let (actor, partnership_id) = (&tenant.principal, tenant.partnership_id);
    crate::partnerships::model::find(tx, partnership_id)?;
    let mut errors = Errors::new();
    let period = crate::metrics::period::parse_period(&form.period)
        .map_err(|m| errors.add("period", m))
        .unwrap_or_default();
    let asked = check(
        tx,
        partnership_id,
        form.metrics,
        form.organisation_ids,
        &Kept::default(),
        &mut errors,
    )?;
    rules::check_due(&period, form.due_date, &mut errors);
    errors.finish()?;
    check_no_overlap(tx, partnership_id, &period, &asked, None)?;
    let now = tx.now();
    let record = DataRequest {
        id: Id::new(),
        partnership_id,
        period,
        metrics: CodeList(asked.metrics),
        organisation_ids: IdList(asked.organisation_ids),
        due_date: form.due_date,
        status: DataRequestStatus::Open,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store::insert(tx, actor, &record)?;
    Ok(record)
}

pub fn update(
    tx: &mut Tx<'_>,
    actor: &Principal,
    before: DataRequest,
    expected: Expected,
    patch: UpdateDataRequest,
) -> Result<DataRequest, ApiError> {
    store::check(expected, before.version)?;
    let mut errors = Errors::new();
    // A list the patch leaves alone is kept as it is, even if a metric has
    // since been removed or an agency has left: only what is given is checked.
    let kept = Kept {
        metrics: if patch.metrics.is_none() {
            before.metrics.0.clone()
        } else {
            Vec::new()
        },
        organisation_ids: if patch.organisation_ids.is_none() {
            before.organisation_ids.0.clone()
        } else {
            Vec::new()
        },
    };
    let asked = check(
        tx,
        before.partnership_id,
        patch.metrics.unwrap_or_else(|| before.metrics.0.clone()),
        patch
            .organisation_ids
            .unwrap_or_else(|| before.organisation_ids.0.clone()),
        &kept,
        &mut errors,
    )?;
    let due_date = patch.due_date.unwrap_or(before.due_date);
    rules::check_due(&before.period, due_date, &mut errors);
    errors.finish()?;
    let status = patch.status.unwrap_or(before.status);
    if status == DataRequestStatus::Open {
        check_no_overlap(
            tx,
            before.partnership_id,
            &before.period,
            &asked,
            Some(before.id),
        )?;
    }
    let after = DataRequest {
        metrics: CodeList(asked.metrics),
        organisation_ids: IdList(asked.organisation_ids),
        due_date,
        status,
        ..before.clone()
    };
    store::update(tx, actor, &before, after, expected)
}

/// What an update keeps of the request's lists unchecked.
#[derive(Default)]
struct Kept {
    metrics: Vec<String>,
    organisation_ids: Vec<Id>,
}

/// Checks the lists against the partnership's metrics and members; what is
/// `kept` passes as it is.
fn check(
    conn: &mut DbConnection,
    partnership_id: Id,
    metrics: Vec<String>,
    organisation_ids: Vec<Id>,
    kept: &Kept,
    errors: &mut Errors,
) -> Result<Asked, ApiError> {
    let known: BTreeSet<String> = crate::metrics::model::all(conn, partnership_id)?
        .into_iter()
        .map(|m| m.code)
        .chain(kept.metrics.iter().cloned())
        .collect();
    let asked = rules::check_asked(metrics, organisation_ids, &known, errors);
    let members: BTreeSet<Id> = members::table
        .filter(members::partnership_id.eq(partnership_id))
        .filter(members::organisation_id.eq_any(&asked.organisation_ids))
        .select(members::organisation_id)
        .load::<Id>(conn)?
        .into_iter()
        .collect();
    for (i, id) in asked.organisation_ids.iter().enumerate() {
        if !members.contains(id) && !kept.organisation_ids.contains(id) {
            errors.add(
                &format!("organisation_ids[{i}]"),
                "is not an organisation that is a member of this partnership",
            );
        }
    }
    Ok(asked)
}

/// 409 when another open request of the period asks for a metric of an
/// agency that `asked` asks for too. Run in the partnership's write scope,
/// so two creations cannot both pass it.
fn check_no_overlap(
    conn: &mut DbConnection,
    partnership_id: Id,
    period: &str,
    asked: &Asked,
    except: Option<Id>,
) -> Result<(), ApiError> {
    let open = of_period(conn, partnership_id, period)?
        .into_iter()
        .filter(|r| r.status == DataRequestStatus::Open && Some(r.id) != except);
    for other in open {
        if let Some((metric, organisation)) = rules::overlap(asked, &other.asked()) {
            return Err(ApiError::conflict(format!(
                "the open data request {} already asks organisation {organisation} for {metric} in {period}; close it or change it first",
                other.id
            )));
        }
    }
    Ok(())
}

/// Every request of `period`, open or closed.
pub fn of_period(
    conn: &mut DbConnection,
    partnership_id: Id,
    period: &str,
) -> Result<Vec<DataRequest>, ApiError> {
    Ok(data_requests::table
        .filter(data_requests::partnership_id.eq(partnership_id))
        .filter(data_requests::period.eq(period))
        .select(DataRequest::as_select())
        .order(data_requests::id.asc())
        .load(conn)?)
}

/// The requests of `period` as the submission rules see them.
pub fn asks_of_period(
    conn: &mut DbConnection,
    partnership_id: Id,
    period: &str,
) -> Result<Vec<RequestAsk>, ApiError> {
    Ok(of_period(conn, partnership_id, period)?
        .into_iter()
        .map(|r| RequestAsk {
            id: r.id,
            status: r.status,
            due: r.due_date,
            metrics: r.metrics.0,
            organisation_ids: r.organisation_ids.0,
        })
        .collect())
}

fn find_any(conn: &mut DbConnection, id: Id) -> Result<DataRequest, ApiError> {
    data_requests::table
        .find(id)
        .select(DataRequest::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such data request"))
}

/// A request the caller may `access`, with the caller's role: another
/// partnership's is 404 like a missing one; a submitter knows only those
/// that ask its organisation (others are 404 to it, even to change) and
/// changes none. Its `organisation_ids` are whole: trim what is shown with
/// [`DataRequest::seen_by`].
pub fn find_for(
    conn: &mut DbConnection,
    principal: &Principal,
    id: Id,
    access: Access,
) -> Result<(DataRequest, Role), ApiError> {
    let request = find_any(conn, id)?;
    let role = principal
        .role_in(request.partnership_id)
        .map_err(|_| ApiError::not_found("no such data request"))?;
    if role == Role::Submitter && !principal.organisation_id.is_some_and(|o| request.asks(o)) {
        return Err(ApiError::not_found("no such data request"));
    }
    if role == Role::Submitter && access == Access::Read {
        return Ok((request, role));
    }
    principal.require(request.partnership_id, access)?;
    Ok((request, role))
}

/// Filters of the list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestFilter {
    /// e.g. `2019-20-Q2`
    #[param(schema_with = crate::metrics::period::period_schema)]
    pub period: Option<String>,
    pub status: Option<DataRequestStatus>,
    /// Only the requests that ask this agency.
    pub organisation_id: Option<Id>,
}

/// One page of the partnership's requests, oldest first.
pub fn list(
    conn: &mut DbConnection,
    partnership_id: Id,
    filter: &RequestFilter,
    page: &Page,
) -> Result<Vec<DataRequest>, ApiError> {
    crate::partnerships::model::find(conn, partnership_id)?;
    Ok(list_query(partnership_id, filter, page)?.load(conn)?)
}

/// A page of requests as [`list`] reads it.
pub type RequestQuery = data_requests::BoxedQuery<
    'static,
    MultiBackend,
    diesel::dsl::AsSelect<DataRequest, MultiBackend>,
>;

/// The query [`list`] runs (public so that a test can `EXPLAIN` it).
pub fn list_query(
    partnership_id: Id,
    filter: &RequestFilter,
    page: &Page,
) -> Result<RequestQuery, ApiError> {
    let mut query = data_requests::table
        .filter(data_requests::partnership_id.eq(partnership_id))
        .select(DataRequest::as_select())
        .order(data_requests::id.asc())
        .limit(page.fetch())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(data_requests::id.gt(after));
    }
    if let Some(period) = &filter.period {
        let period = crate::metrics::period::parse_period(period)
            .map_err(|m| ApiError::query("period", m))?;
        query = query.filter(data_requests::period.eq(period));
    }
    if let Some(status) = filter.status {
        query = query.filter(data_requests::status.eq(status));
    }
    if let Some(organisation) = filter.organisation_id {
        // The ids are kept as a JSON array of their text: a uuid's text
        // appears in it only as that uuid.
        query = query.filter(data_requests::organisation_ids.like(format!("%\"{organisation}\"%")));
    }
    Ok(query)
}
