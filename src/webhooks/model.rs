//! Webhook subscriptions: a receiver URL, the event types it wants, and a
//! signing secret shown once and kept sealed. Written through the store like
//! every record (audited, versioned); each has a cursor in its partnership's
//! change log, created with it at the log's position then, so a new webhook
//! hears of what happens after it, not of the partnership's history.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{events, target::Reach};
use crate::auth::Principal;
use crate::db::schema::{audit_events, webhook_cursors, webhooks};
use crate::db::store::{self, Expected};
use crate::db::{CodeList, DbConnection, Id, MultiBackend, Page, Tx, UtcTime};
use crate::error::ApiError;
use crate::validate::Errors;

/// A partnership's webhook.
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
#[diesel(table_name = webhooks)]
pub struct Webhook {
    pub id: Id,
    pub partnership_id: Id,
    /// The receiver: an http or https URL.
    #[schema(max_length = 2000)]
    pub url: String,
    /// The event types it is sent.
    #[diesel(serialize_as = String, deserialize_as = String)]
    #[schema(schema_with = events::event_types_schema)]
    pub event_types: CodeList,
    pub description: Option<String>,
    /// An inactive webhook is sent nothing; what happens meanwhile is sent
    /// once it is active again.
    pub active: bool,
    /// Never shown, nor kept in the change log.
    #[serde(skip)]
    #[schema(ignore)]
    pub secret_sealed: String,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

crate::record!(Webhook, "webhook", webhooks);

/// A new webhook, with its signing secret: shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// `whsec_` and base64: the key of every delivery's signature (Standard
    /// Webhooks). Keep it safe: it is not shown again.
    pub secret: String,
}

crate::versioned_view!(CreatedWebhook, webhook);

/// Body of `POST /v1/partnerships/{id}/webhooks`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"url": "https://warehouse.example.org/hooks/safeguarding", "event_types": ["action.created", "action.overdue", "minutes.published"], "description": "Police data warehouse"})))]
pub struct CreateWebhook {
    #[schema(max_length = 2000)]
    pub url: String,
    #[schema(schema_with = events::event_types_schema)]
    pub event_types: Vec<String>,
    #[schema(schema_with = crate::validate::Text::<200>::optional_line)]
    pub description: Option<String>,
    /// Default `true`.
    pub active: Option<bool>,
}

/// Body of `PATCH /v1/partnerships/{id}/webhooks/{webhook_id}`: fields left out are kept.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"active": false})))]
pub struct UpdateWebhook {
    #[schema(max_length = 2000)]
    pub url: Option<String>,
    #[schema(schema_with = events::event_types_schema)]
    pub event_types: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::validate::patch_nullable")]
    #[schema(schema_with = crate::validate::Text::<200>::optional_line)]
    pub description: Option<Option<String>>,
    pub active: Option<bool>,
}

/// Checks a list of event types: 1 to 100, each known, none twice.
fn check_event_types(list: Vec<String>, errors: &mut Errors) -> Vec<String> {
    if list.is_empty() || list.len() > 100 {
        errors.add("event_types", "must name 1 to 100 event types");
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, name) in list.iter().enumerate() {
        if !events::known(name) {
            errors.add(&format!("event_types[{i}]"), "is not an event type");
        } else if !seen.insert(name) {
            errors.add(&format!("event_types[{i}]"), "is named twice");
        }
    }
    list
}

fn check_url(reach: &Reach, url: &str, errors: &mut Errors) -> String {
    if let Err(reason) = reach.check(url) {
        errors.add("url", reason);
    }
    url.to_owned()
}

/// Creates a webhook and its cursor at the change log's position now.
pub fn create(
    tx: &mut Tx<'_>,
    actor: &Principal,
    partnership_id: Id,
    integrations: &crate::state::Integrations,
    form: CreateWebhook,
) -> Result<CreatedWebhook, ApiError> {
    crate::partnerships::model::find(tx, partnership_id)?;
    let mut errors = Errors::new();
    let url = check_url(&integrations.reach, &form.url, &mut errors);
    let event_types = check_event_types(form.event_types, &mut errors);
    let description = errors.optional_text("description", form.description.as_deref(), 200);
    errors.finish()?;
    let key = integrations.sealing_key.as_ref().ok_or_else(|| {
        ApiError::Busy("webhooks need WEBHOOK_SECRET_KEY set on the service".into())
    })?;
    let id = Id::new();
    let secret = super::signing::new_secret()?;
    let now = tx.now();
    let webhook = Webhook {
        id,
        partnership_id,
        url,
        event_types: CodeList(event_types),
        description,
        active: form.active.unwrap_or(true),
        secret_sealed: key.seal(id, &secret)?,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store::insert(tx, actor, &webhook)?;
    // The log is held: its last seq is this creation's.
    let position: Option<i64> = audit_events::table
        .filter(audit_events::partnership_id.eq(partnership_id))
        .select(diesel::dsl::max(audit_events::seq))
        .first(&mut **tx)?;
    diesel::insert_into(webhook_cursors::table)
        .values((
            webhook_cursors::webhook_id.eq(id),
            webhook_cursors::after_seq.eq(position.unwrap_or(0)),
        ))
        .execute(&mut **tx)?;
    Ok(CreatedWebhook { webhook, secret })
}

pub fn find(conn: &mut DbConnection, partnership_id: Id, id: Id) -> Result<Webhook, ApiError> {
    webhooks::table
        .filter(webhooks::partnership_id.eq(partnership_id))
        .filter(webhooks::id.eq(id))
        .select(Webhook::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such webhook"))
}

pub fn list(
    conn: &mut DbConnection,
    partnership_id: Id,
    page: &Page,
) -> Result<Vec<Webhook>, ApiError> {
    crate::partnerships::model::find(conn, partnership_id)?;
    Ok(list_query(partnership_id, page).load(conn)?)
}

/// A page of webhooks as [`list`] reads it.
pub type WebhookQuery =
    webhooks::BoxedQuery<'static, MultiBackend, diesel::dsl::AsSelect<Webhook, MultiBackend>>;

/// The query [`list`] runs (public so that a test can `EXPLAIN` it).
pub fn list_query(partnership_id: Id, page: &Page) -> WebhookQuery {
    let mut query = webhooks::table
        .filter(webhooks::partnership_id.eq(partnership_id))
        .select(Webhook::as_select())
        .order(webhooks::id.asc())
        .limit(page.fetch())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(webhooks::id.gt(after));
    }
    query
}

pub fn update(
    tx: &mut Tx<'_>,
    actor: &Principal,
    reach: &Reach,
    before: Webhook,
    expected: Expected,
    patch: UpdateWebhook,
) -> Result<Webhook, ApiError> {
    store::check(expected, before.version)?;
    let mut errors = Errors::new();
    let mut after = before.clone();
    if let Some(url) = &patch.url {
        after.url = check_url(reach, url, &mut errors);
    }
    if let Some(list) = patch.event_types {
        after.event_types = CodeList(check_event_types(list, &mut errors));
    }
    if let Some(description) = &patch.description {
        after.description = errors.optional_text("description", description.as_deref(), 200);
    }
    if let Some(active) = patch.active {
        after.active = active;
    }
    errors.finish()?;
    store::update(tx, actor, &before, after, expected)
}

pub fn delete(
    tx: &mut Tx<'_>,
    actor: &Principal,
    before: &Webhook,
    expected: Expected,
) -> Result<(), ApiError> {
    store::delete(tx, actor, before, expected)
}
