use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::rules::{self, ClientFields, CreateClient, UpdateClient};
use crate::auth::tenant::{Manage, Tenant};
use crate::auth::{Principal, Role};
use crate::db::counter::Scope;
use crate::db::schema::api_clients as clients;
use crate::db::store::{self, Expected};
use crate::db::Page;
use crate::db::{DbConnection, Id, MultiBackend, Tx, UtcTime};
use crate::error::ApiError;
use crate::validate::Errors;
use crate::{members, partnerships};

/// An API client. Its secret is shown once, when created or rotated; only its
/// argon2 hash is kept.
#[derive(
    Debug, Clone, PartialEq, Serialize, ToSchema, Queryable, Selectable, Insertable, AsChangeset,
)]
#[diesel(table_name = clients, treat_none_as_null = true)]
pub struct ApiClient {
    /// The `client_id` used at the token endpoint.
    pub id: Id,
    /// `null` for a platform administrator client.
    pub partnership_id: Option<Id>,
    pub name: String,
    pub role: Option<Role>,
    pub organisation_id: Option<Id>,
    pub platform_admin: bool,
    /// Requests a minute this client may make; `null`: the service's
    /// default (`RATE_LIMIT_PER_MINUTE`). Each of `INSTANCES` instances
    /// enforces its share.
    #[schema(minimum = 1, maximum = 1000000)]
    pub rate_limit_per_minute: Option<i32>,
    /// Requests this client may make at once (its bucket's capacity);
    /// `null`: the service's default (`RATE_LIMIT_BURST`).
    #[schema(minimum = 1, maximum = 1000000)]
    pub rate_limit_burst: Option<i32>,
    #[serde(skip)]
    pub secret_hash: String,
    /// What the client's tokens carry (claim `cv`) and must still match:
    /// moved on by a secret rotation only, so that other changes (its rate
    /// limit, its name) leave its tokens working.
    #[serde(skip)]
    pub secret_generation: i32,
    /// Set when revoked: no token is issued to it after that.
    pub revoked_at: Option<UtcTime>,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

crate::record!(ApiClient, "api_client", clients, tenant: |r| r.partnership_id);

/// A client with its secret, answered once.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedClient {
    #[serde(flatten)]
    pub client: ApiClient,
    pub client_id: Id,
    /// Keep it safe: it is not shown again.
    pub client_secret: String,
}

crate::versioned_view!(IssuedClient, client);

/// Who a new client is.
pub enum Grant {
    PlatformAdmin,
    Partnership {
        partnership_id: Id,
        role: Role,
        organisation_id: Option<Id>,
    },
}

impl Grant {
    /// The write scope a client of this grant is created in.
    pub fn scope(&self) -> Scope {
        match self {
            Grant::PlatformAdmin => Scope::Platform,
            Grant::Partnership { partnership_id, .. } => Scope::Partnership(*partnership_id),
        }
    }
}

pub fn create(
    tx: &mut Tx<'_>,
    actor: &Principal,
    fields: ClientFields,
    grant: Grant,
) -> Result<IssuedClient, ApiError> {
    let (partnership_id, role, organisation_id, platform_admin) = match grant {
        Grant::PlatformAdmin => (None, None, None, true),
        Grant::Partnership {
            partnership_id,
            role,
            organisation_id,
        } => {
            partnerships::model::find(tx, partnership_id)?;
            // A client acts for one of the partnership's member agencies.
            if let Some(org) = organisation_id {
                let mut errors = Errors::new();
                members::model::check_member(
                    tx,
                    partnership_id,
                    "organisation_id",
                    org,
                    &mut errors,
                )?;
                errors.finish()?;
            }
            (Some(partnership_id), Some(role), organisation_id, false)
        }
    };
    let secret = rules::new_secret()?;
    let now = tx.now();
    let client = ApiClient {
        id: Id::new(),
        partnership_id,
        name: fields.name,
        role,
        organisation_id,
        platform_admin,
        rate_limit_per_minute: fields.rate_limit_per_minute,
        rate_limit_burst: fields.rate_limit_burst,
        secret_hash: rules::hash_secret(&secret)?,
        secret_generation: 1,
        revoked_at: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store::insert(tx, actor, &client)?;
    Ok(IssuedClient {
        client_id: client.id,
        client,
        client_secret: secret,
    })
}

pub fn create_for_partnership(
    tx: &mut Tx<'_>,
    tenant: &Tenant<Manage>,
    form: CreateClient,
) -> Result<IssuedClient, ApiError> {
    let (actor, partnership_id) = (&tenant.principal, tenant.partnership_id);
    let fields = rules::validate(&form)?;
    let grant = Grant::Partnership {
        partnership_id,
        role: form.role,
        organisation_id: form.organisation_id,
    };
    create(tx, actor, fields, grant)
}

/// Any client by id, for the token endpoint.
pub fn find_any(conn: &mut DbConnection, id: Id) -> Result<Option<ApiClient>, ApiError> {
    Ok(clients::table
        .find(id)
        .select(ApiClient::as_select())
        .first(conn)
        .optional()?)
}

pub fn find(conn: &mut DbConnection, partnership_id: Id, id: Id) -> Result<ApiClient, ApiError> {
    clients::table
        .filter(clients::partnership_id.eq(partnership_id))
        .filter(clients::id.eq(id))
        .select(ApiClient::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such client"))
}

pub fn list(
    conn: &mut DbConnection,
    partnership_id: Id,
    page: &Page,
) -> Result<Vec<ApiClient>, ApiError> {
    // A list of a partnership that does not exist is 404, not an empty page.
    crate::partnerships::model::find(conn, partnership_id)?;
    Ok(list_query(partnership_id, page).load(conn)?)
}

/// A page of clients as [`list`] reads it.
pub type ClientQuery =
    clients::BoxedQuery<'static, MultiBackend, diesel::dsl::AsSelect<ApiClient, MultiBackend>>;

/// The query [`list`] runs (public so that a test can `EXPLAIN` it).
pub fn list_query(partnership_id: Id, page: &Page) -> ClientQuery {
    let mut query = clients::table
        .filter(clients::partnership_id.eq(partnership_id))
        .select(ApiClient::as_select())
        .order(clients::id.asc())
        .limit(page.fetch())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(clients::id.gt(after));
    }
    query
}

/// Replaces the secret; the old one stops working at once.
pub fn rotate_secret(
    tx: &mut Tx<'_>,
    actor: &Principal,
    partnership_id: Id,
    id: Id,
) -> Result<IssuedClient, ApiError> {
    let before = find(tx, partnership_id, id)?;
    if before.revoked_at.is_some() {
        return Err(ApiError::conflict("the client is revoked"));
    }
    let secret = rules::new_secret()?;
    let after = ApiClient {
        secret_hash: rules::hash_secret(&secret)?,
        secret_generation: before.secret_generation + 1,
        ..before.clone()
    };
    let after = store::update(tx, actor, &before, after, Expected::Any)?;
    Ok(IssuedClient {
        client_id: after.id,
        client: after,
        client_secret: secret,
    })
}

/// Changes a client's name or rate limit. Its secret generation stays, so
/// the tokens it holds keep working, under the new limit within 2 seconds
/// (at once on the instance that made the change).
pub fn update(
    tx: &mut Tx<'_>,
    actor: &Principal,
    (partnership_id, id): (Id, Id),
    expected: Expected,
    patch: UpdateClient,
) -> Result<ApiClient, ApiError> {
    let before = find(tx, partnership_id, id)?;
    store::check(expected, before.version)?;
    let fields = rules::apply(before.fields(), patch)?;
    let after = ApiClient {
        name: fields.name,
        rate_limit_per_minute: fields.rate_limit_per_minute,
        rate_limit_burst: fields.rate_limit_burst,
        ..before.clone()
    };
    store::update(tx, actor, &before, after, expected)
}

impl ApiClient {
    pub fn fields(&self) -> ClientFields {
        ClientFields {
            name: self.name.clone(),
            rate_limit_per_minute: self.rate_limit_per_minute,
            rate_limit_burst: self.rate_limit_burst,
        }
    }
}

/// Revokes a client: no new token is issued to it.
pub fn revoke(
    tx: &mut Tx<'_>,
    actor: &Principal,
    partnership_id: Id,
    id: Id,
) -> Result<ApiClient, ApiError> {
    let before = find(tx, partnership_id, id)?;
    if before.revoked_at.is_some() {
        return Ok(before);
    }
    let after = ApiClient {
        revoked_at: Some(tx.now()),
        ..before.clone()
    };
    store::update(tx, actor, &before, after, Expected::Any)
}
