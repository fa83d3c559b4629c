//! A token of an API client is honoured only while the client's secret is
//! the one it was issued under: revoking the client or rotating its secret
//! ends every token it holds, on every instance. Each request's client is
//! checked against the database, through a cache of at most [`FRESH_FOR`]
//! per instance; the instance that changes a client forgets it at once.
//!
//! Tokens carry the client's secret generation, not its record version, so
//! a change that is not a rotation (its rate limit, its name) keeps them
//! working. The same read brings the client's own rate limits, which this
//! middleware leaves in the request's extensions for `rate_limits`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};
use diesel::prelude::*;

use crate::auth::extract::Withdrawn;
use crate::auth::{authenticate, ClientToken};
use crate::db::schema::api_clients as clients;
use crate::db::{self, DbConnection, Id};
use crate::error::ApiError;
use crate::rate_limits::Override;
use crate::state::AppState;

/// How long an instance trusts what it read of a client.
pub const FRESH_FOR: Duration = Duration::from_secs(2);
/// Clients remembered per instance; past it the cache starts afresh.
const CAPACITY: usize = 10_000;

/// What the database says of a client: `None` when no client has the id
/// (a token minted by an operator with an id for a subject).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientState {
    pub generation: i32,
    pub revoked: bool,
    pub rate_limit: Override,
}

/// Whether a token issued to `token`'s client is honoured now: the client
/// is not revoked and its secret is at the generation the token was issued
/// at. A token naming a client but no generation was not issued by the
/// token endpoint (or predates them, 15 minutes at most): refused, so that
/// no token outlives a rotation.
pub fn honoured(token: ClientToken, state: Option<ClientState>) -> Result<(), &'static str> {
    match state {
        None => Ok(()),
        Some(ClientState { revoked: true, .. }) => Err("the token's client has been revoked"),
        Some(ClientState { generation, .. }) if token.generation == Some(generation) => Ok(()),
        Some(_) => Err(
            "the token's client has changed since it was issued (its secret was rotated); \
             request a new token",
        ),
    }
}

/// The per-instance cache of client states.
#[derive(Default)]
pub struct LiveClients {
    seen: Mutex<HashMap<Id, (Instant, Option<ClientState>)>>,
}

impl LiveClients {
    fn cached(&self, id: Id, now: Instant) -> Option<Option<ClientState>> {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.get(&id)
            .filter(|(at, _)| now.duration_since(*at) < FRESH_FOR)
            .map(|(_, state)| *state)
    }

    fn remember(&self, id: Id, now: Instant, state: Option<ClientState>) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= CAPACITY {
            seen.clear();
        }
        seen.insert(id, (now, state));
    }

    /// Forgets a client whose state this instance has just changed.
    pub fn forget(&self, id: Id) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.remove(&id);
    }

    async fn state(&self, pool: &db::DbPool, id: Id) -> Result<Option<ClientState>, ApiError> {
        let now = Instant::now();
        if let Some(state) = self.cached(id, now) {
            return Ok(state);
        }
        let state = db::read(pool, move |conn| load(conn, id)).await?;
        self.remember(id, now, state);
        Ok(state)
    }
}

fn load(conn: &mut DbConnection, id: Id) -> Result<Option<ClientState>, ApiError> {
    type Row = (i32, Option<db::UtcTime>, Option<i32>, Option<i32>);
    let row: Option<Row> = clients::table
        .find(id)
        .select((
            clients::secret_generation,
            clients::revoked_at,
            clients::rate_limit_per_minute,
            clients::rate_limit_burst,
        ))
        .first(conn)
        .optional()?;
    Ok(
        row.map(|(generation, revoked_at, per_minute, burst)| ClientState {
            generation,
            revoked: revoked_at.is_some(),
            rate_limit: Override::from_columns(per_minute, burst),
        }),
    )
}

/// Marks a request whose client no longer honours its token, so that
/// [`authenticate`] refuses it (401) wherever it is asked; for one it
/// honours, leaves the client's own rate limits in the extensions.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let client = authenticate(req.request())
        .ok()
        .and_then(|principal| principal.client);
    if let Some(token) = client {
        let live = req.app_data::<web::Data<LiveClients>>().cloned();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        if let (Some(live), Some(state)) = (live, state) {
            match live.state(&state.pool, token.id).await {
                Ok(found) => match honoured(token, found) {
                    Err(why) => {
                        req.extensions_mut().insert(Withdrawn(why));
                    }
                    Ok(()) => {
                        if let Some(found) = found {
                            req.extensions_mut().insert(found.rate_limit);
                        }
                    }
                },
                Err(e) => return Ok(req.error_response(e).map_into_boxed_body()),
            }
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(generation: Option<i32>) -> ClientToken {
        ClientToken {
            id: Id::new(),
            generation,
        }
    }

    #[test]
    fn a_token_ends_with_its_clients_secret_generation() {
        let at = |generation, revoked| {
            Some(ClientState {
                generation,
                revoked,
                rate_limit: Override::default(),
            })
        };
        assert!(honoured(token(Some(1)), at(1, false)).is_ok());
        assert!(honoured(token(Some(1)), at(2, false)).is_err());
        assert!(honoured(token(Some(2)), at(2, true)).is_err());
        assert!(honoured(token(None), at(5, false)).is_err());
        assert!(honoured(token(None), at(5, true)).is_err());
        assert!(honoured(token(Some(1)), None).is_ok());
    }
}
