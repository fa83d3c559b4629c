//! The delivery log and the worker's bookkeeping: which webhook an instance
//! is delivering (a lease on its cursor), the deliveries made from the
//! change log, and each attempt's outcome. None of this is a change of the
//! partnership's records, so it is written without a write scope and without
//! audit events, as the access log is.
//!
//! Once across instances: an instance delivers a webhook only while it
//! holds the lease on its cursor, taken by one conditional `UPDATE` (the
//! row's lock decides between two instances on PostgreSQL; SQLite has one
//! writer), and it sends only deliveries still `pending`, marking each
//! before it lets the lease go. A lease outlives a stopped instance by at
//! most [`LEASE`]; then another instance sends what is still pending, so a
//! receiver sees a repeat only when an acknowledgement was lost.

use std::time::Duration;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::events::{self, EventBody, EventData};
use crate::db::schema::{audit_events, webhook_cursors, webhook_deliveries, webhooks};
use crate::db::{DbConnection, Id, MultiBackend, Page, UtcTime};
use crate::error::ApiError;

/// How long a lease lasts: an instance stops sending well before it ends.
pub const LEASE: Duration = Duration::from_secs(60);

/// Changes turned into deliveries per round, per webhook.
const EVENTS_PER_ROUND: i64 = 500;

crate::text_enum! {
    /// `pending` until the receiver answers 2xx (`delivered`) or the
    /// attempts run out (`failed`).
    pub enum DeliveryStatus {
        Pending => "pending",
        Delivered => "delivered",
        Failed => "failed",
    }
}

/// One event sent (or to be sent) to one webhook.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_deliveries, treat_none_as_default_value = false)]
pub struct Delivery {
    /// Sent as `webhook-id`, the same on every attempt and redelivery:
    /// receivers deduplicate by it.
    pub id: Id,
    pub webhook_id: Id,
    pub partnership_id: Id,
    /// The change's position in the partnership's change log.
    #[schema(minimum = 1)]
    pub seq: i64,
    #[schema(schema_with = events::event_type_schema)]
    pub event_type: String,
    /// The body sent, as JSON.
    #[schema(value_type = EventBody)]
    #[serde(with = "json_text")]
    pub payload: String,
    pub status: DeliveryStatus,
    #[schema(minimum = 0)]
    pub attempts: i32,
    /// When it is tried next (pending only).
    pub next_attempt_at: Option<UtcTime>,
    /// The receiver's last HTTP status, if it answered.
    pub last_status_code: Option<i32>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub created_at: UtcTime,
    pub delivered_at: Option<UtcTime>,
}

crate::batch_insert!(Delivery, crate::db::schema::webhook_deliveries);

mod json_text {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(value: &str, s: S) -> Result<S::Ok, S::Error> {
        serde_json::from_str::<serde_json::Value>(value)
            .map_err(serde::ser::Error::custom)?
            .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(serde_json::Value::deserialize(d)?.to_string())
    }
}

/// Filters of the delivery log.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryFilter {
    pub status: Option<DeliveryStatus>,
}

pub fn list(
    conn: &mut DbConnection,
    webhook_id: Id,
    filter: &DeliveryFilter,
    page: &Page,
) -> Result<Vec<Delivery>, ApiError> {
    Ok(list_query(webhook_id, filter, page).load(conn)?)
}

/// A page of deliveries as [`list`] reads it.
pub type DeliveryQuery = webhook_deliveries::BoxedQuery<
    'static,
    MultiBackend,
    diesel::dsl::AsSelect<Delivery, MultiBackend>,
>;

/// The query [`list`] runs (public so that a test can `EXPLAIN` it).
pub fn list_query(webhook_id: Id, filter: &DeliveryFilter, page: &Page) -> DeliveryQuery {
    let mut query = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .select(Delivery::as_select())
        .order(webhook_deliveries::id.asc())
        .limit(page.fetch())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(webhook_deliveries::id.gt(after));
    }
    if let Some(status) = filter.status {
        query = query.filter(webhook_deliveries::status.eq(status));
    }
    query
}

pub fn find(conn: &mut DbConnection, webhook_id: Id, id: Id) -> Result<Delivery, ApiError> {
    webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .filter(webhook_deliveries::id.eq(id))
        .select(Delivery::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such delivery"))
}

/// Sends a delivery again as soon as the worker looks (with the same
/// `webhook-id`), whatever became of it; its attempts start again.
pub fn redeliver(
    conn: &mut DbConnection,
    delivery: &Delivery,
    now: UtcTime,
) -> Result<Delivery, ApiError> {
    diesel::update(webhook_deliveries::table.find(delivery.id))
        .set((
            webhook_deliveries::status.eq(DeliveryStatus::Pending),
            webhook_deliveries::attempts.eq(0),
            webhook_deliveries::next_attempt_at.eq(Some(now)),
        ))
        .execute(conn)?;
    find(conn, delivery.webhook_id, delivery.id)
}

/// The active webhooks with work (changes after their cursor, or
/// deliveries due) that no instance holds (a lease ended or none).
pub fn free(conn: &mut DbConnection, now: UtcTime) -> Result<Vec<Id>, ApiError> {
    let behind = diesel::dsl::exists(
        audit_events::table
            .filter(audit_events::partnership_id.eq(webhooks::partnership_id.nullable()))
            .filter(audit_events::seq.gt(webhook_cursors::after_seq)),
    );
    let due = diesel::dsl::exists(
        webhook_deliveries::table
            .filter(webhook_deliveries::webhook_id.eq(webhook_cursors::webhook_id))
            .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending))
            .filter(webhook_deliveries::next_attempt_at.le(now)),
    );
    Ok(webhook_cursors::table
        .inner_join(webhooks::table)
        .filter(webhooks::active.eq(true))
        .filter(
            webhook_cursors::lease_until
                .is_null()
                .or(webhook_cursors::lease_until.lt(now)),
        )
        .filter(behind.or(due))
        .select(webhook_cursors::webhook_id)
        .load(conn)?)
}

/// Takes the lease of `webhook_id` for `owner` if nobody holds it: whether it did.
pub fn claim(
    conn: &mut DbConnection,
    webhook_id: Id,
    owner: &str,
    now: UtcTime,
) -> Result<bool, ApiError> {
    let until = UtcTime(now.0 + chrono::Duration::from_std(LEASE).unwrap_or_default());
    let taken = diesel::update(
        webhook_cursors::table
            .filter(webhook_cursors::webhook_id.eq(webhook_id))
            .filter(
                webhook_cursors::lease_until
                    .is_null()
                    .or(webhook_cursors::lease_until.lt(now)),
            ),
    )
    .set((
        webhook_cursors::lease_owner.eq(Some(owner)),
        webhook_cursors::lease_until.eq(Some(until)),
    ))
    .execute(conn)?;
    Ok(taken == 1)
}

/// Lets the lease go (only `owner`'s).
pub fn release(conn: &mut DbConnection, webhook_id: Id, owner: &str) -> Result<(), ApiError> {
    diesel::update(
        webhook_cursors::table
            .filter(webhook_cursors::webhook_id.eq(webhook_id))
            .filter(webhook_cursors::lease_owner.eq(owner)),
    )
    .set((
        webhook_cursors::lease_owner.eq(None::<String>),
        webhook_cursors::lease_until.eq(None::<UtcTime>),
    ))
    .execute(conn)?;
    Ok(())
}

/// Turns the changes after the cursor into deliveries of the event types
/// the webhook wants, and moves the cursor past them, in one transaction
/// (the caller's), only while `owner` holds the lease. Answers the webhook.
pub fn follow_log(
    conn: &mut DbConnection,
    webhook_id: Id,
    owner: &str,
    now: UtcTime,
) -> Result<Option<super::model::Webhook>, ApiError> {
    let cursor: Option<i64> = webhook_cursors::table
        .filter(webhook_cursors::webhook_id.eq(webhook_id))
        .filter(webhook_cursors::lease_owner.eq(owner))
        .select(webhook_cursors::after_seq)
        .first(conn)
        .optional()?;
    let Some(after) = cursor else {
        return Ok(None);
    };
    let webhook: super::model::Webhook = webhooks::table
        .find(webhook_id)
        .select(super::model::Webhook::as_select())
        .first(conn)?;
    let changes: Vec<EventData> = audit_events::table
        .filter(audit_events::partnership_id.eq(webhook.partnership_id))
        .filter(audit_events::seq.gt(after))
        .order(audit_events::seq.asc())
        .limit(EVENTS_PER_ROUND)
        .select((
            audit_events::partnership_id.assume_not_null(),
            audit_events::seq,
            audit_events::resource_type,
            audit_events::resource_id,
            audit_events::version,
            audit_events::action,
            audit_events::occurred_at,
        ))
        .load::<(Id, i64, String, Id, Option<i32>, String, UtcTime)>(conn)?
        .into_iter()
        .map(
            |(partnership_id, seq, resource_type, resource_id, version, change, occurred_at)| {
                EventData {
                    partnership_id,
                    seq,
                    resource_type,
                    resource_id,
                    version,
                    change,
                    occurred_at,
                }
            },
        )
        .collect();
    let Some(last) = changes.last().map(|c| c.seq) else {
        return Ok(Some(webhook));
    };
    let mut made = Vec::new();
    for data in changes {
        let Some(event_type) = events::event_type(&data.resource_type, &data.change) else {
            continue;
        };
        if !webhook.event_types.0.contains(&event_type) {
            continue;
        }
        let body = EventBody {
            event_type: event_type.clone(),
            timestamp: data.occurred_at,
            data: data.clone(),
        };
        made.push(Delivery {
            id: Id::new(),
            webhook_id,
            partnership_id: webhook.partnership_id,
            seq: data.seq,
            event_type,
            payload: serde_json::to_string(&body)
                .map_err(|e| ApiError::internal(format!("event body: {e}")))?,
            status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: Some(now),
            last_status_code: None,
            last_error: None,
            created_at: now,
            delivered_at: None,
        });
    }
    for chunk in made.chunks(500) {
        <Delivery as crate::db::store::BatchInsert>::insert_rows(chunk, conn)?;
    }
    diesel::update(
        webhook_cursors::table
            .filter(webhook_cursors::webhook_id.eq(webhook_id))
            .filter(webhook_cursors::lease_owner.eq(owner)),
    )
    .set(webhook_cursors::after_seq.eq(last))
    .execute(conn)?;
    Ok(Some(webhook))
}

/// The webhook's deliveries due now, oldest change first.
pub fn due(
    conn: &mut DbConnection,
    webhook_id: Id,
    now: UtcTime,
    limit: i64,
) -> Result<Vec<Delivery>, ApiError> {
    Ok(webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending))
        .filter(webhook_deliveries::next_attempt_at.le(now))
        .order(webhook_deliveries::seq.asc())
        .limit(limit)
        .select(Delivery::as_select())
        .load(conn)?)
}

/// Takes one attempt of `delivery` as it was read (still pending, at the
/// same attempt and due time): counts it and puts the next look at it
/// `hold` away, so that no instance sends it again meanwhile even if this
/// instance's lease ran out. Whether it was taken.
pub fn take(
    conn: &mut DbConnection,
    delivery: &Delivery,
    now: UtcTime,
    hold: Duration,
) -> Result<bool, ApiError> {
    let until = UtcTime(now.0 + chrono::Duration::from_std(hold).unwrap_or_default());
    let taken = diesel::update(
        webhook_deliveries::table
            .find(delivery.id)
            .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending))
            .filter(webhook_deliveries::attempts.eq(delivery.attempts))
            .filter(webhook_deliveries::next_attempt_at.eq(delivery.next_attempt_at)),
    )
    .set((
        webhook_deliveries::attempts.eq(delivery.attempts + 1),
        webhook_deliveries::next_attempt_at.eq(Some(until)),
    ))
    .execute(conn)?;
    Ok(taken == 1)
}

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The receiver answered 2xx.
    Delivered(u16),
    /// It answered something else (`Some(status)`) or not at all.
    Failed(Option<u16>, String),
}

/// When a delivery whose `attempts`-th attempt failed is tried again:
/// `base` doubled each time, at most an hour; `None` when they ran out.
pub fn next_attempt(attempts: i32, max: i32, base: Duration) -> Option<Duration> {
    if attempts >= max {
        return None;
    }
    let factor = 2u32.saturating_pow(u32::try_from(attempts.max(1) - 1).unwrap_or(0).min(20));
    Some((base * factor).min(Duration::from_secs(3_600)))
}

/// Records the outcome of the attempt [`take`] took (`delivery` as it was
/// read before): nothing when a redelivery was asked for meanwhile.
pub fn record(
    conn: &mut DbConnection,
    delivery: &Delivery,
    outcome: &Attempt,
    now: UtcTime,
    max_attempts: i32,
    base: Duration,
) -> Result<(), ApiError> {
    let attempts = delivery.attempts + 1;
    let target = webhook_deliveries::table
        .find(delivery.id)
        .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending))
        .filter(webhook_deliveries::attempts.eq(attempts));
    match outcome {
        Attempt::Delivered(code) => diesel::update(target)
            .set((
                webhook_deliveries::status.eq(DeliveryStatus::Delivered),
                webhook_deliveries::attempts.eq(attempts),
                webhook_deliveries::next_attempt_at.eq(None::<UtcTime>),
                webhook_deliveries::last_status_code.eq(Some(i32::from(*code))),
                webhook_deliveries::last_error.eq(None::<String>),
                webhook_deliveries::delivered_at.eq(Some(now)),
            ))
            .execute(conn)?,
        Attempt::Failed(code, error) => {
            let next = next_attempt(attempts, max_attempts, base)
                .map(|wait| UtcTime(now.0 + chrono::Duration::from_std(wait).unwrap_or_default()));
            let status = if next.is_some() {
                DeliveryStatus::Pending
            } else {
                DeliveryStatus::Failed
            };
            let error: String = error.chars().take(500).collect();
            diesel::update(target)
                .set((
                    webhook_deliveries::status.eq(status),
                    webhook_deliveries::attempts.eq(attempts),
                    webhook_deliveries::next_attempt_at.eq(next),
                    webhook_deliveries::last_status_code.eq(code.map(i32::from)),
                    webhook_deliveries::last_error.eq(Some(error)),
                ))
                .execute(conn)?
        }
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_then_stop() {
        let base = Duration::from_secs(10);
        assert_eq!(next_attempt(1, 12, base), Some(Duration::from_secs(10)));
        assert_eq!(next_attempt(2, 12, base), Some(Duration::from_secs(20)));
        assert_eq!(next_attempt(4, 12, base), Some(Duration::from_secs(80)));
        assert_eq!(next_attempt(11, 12, base), Some(Duration::from_secs(3_600)));
        assert_eq!(next_attempt(12, 12, base), None);
    }
}
