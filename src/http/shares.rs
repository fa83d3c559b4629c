//! Fair shares of the database. One instance serves many partnerships, and
//! its pool of connections (and the blocking threads that use them) is what
//! they share: a partnership's requests hold at most its share of them at
//! once (`DB_SHARE`, by default a quarter of the pool and at least 2), and
//! the rest of its requests wait here, before they take a thread or a
//! connection, for at most `DB_SHARE_WAIT_MS`; then they are answered 503
//! with `Retry-After`. Another partnership's requests never wait behind them.
//! The wait counts towards the request's checkout timeout
//! (`DB_CHECKOUT_TIMEOUT_MS`, the default share wait too), so a request waits
//! no longer for its share and a connection together than for a connection.
//!
//! A request is charged to the partnership in its path
//! (`/v1/partnerships/{id}/...`, percent-decoded as the router reads it), or,
//! for a record named by a top-level id (`/v1/meetings/{id}/...`,
//! `/v1/actions/{id}/...`, a published meeting by its partnership's slug), to
//! the partnership the record belongs to: found by one lookup (in a gate of
//! its own, within the same wait), and remembered for meetings and actions,
//! which never move to another partnership (slugs can change: looked up each
//! time). Only a caller with a role there (or a platform administrator), or
//! an anonymous reader of published minutes, is charged to a partnership: any
//! other caller naming it runs in the outsiders' share, so nobody can fill
//! another partnership's share. Requests that name no partnership (the
//! platform's lists, the registry, the token endpoint) and ids that name no
//! record run in the platform's share (`DB_PLATFORM_SHARE`). Paths outside
//! `/v1` (health, metrics, the document) are not charged at all.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};
use diesel::prelude::*;
use prometheus::{IntCounterVec, Opts};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::auth::{authenticate, Principal};
use crate::db::schema::{actions, meetings, partnerships};
use crate::db::{self, DbPool, Id};
use crate::error::ApiError;
use crate::state::AppState;

/// Whose share a request runs in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Share {
    Platform,
    Partnership(Id),
    /// Callers naming a partnership they have no role in (they get 404).
    Outsiders,
    /// The lookups that find whose record a top-level id names.
    Lookups,
}

impl Share {
    fn label(&self) -> String {
        match self {
            Share::Platform => "platform".to_owned(),
            Share::Partnership(id) => id.to_string(),
            Share::Outsiders => "outsiders".to_owned(),
            Share::Lookups => "lookups".to_owned(),
        }
    }
}

/// What a path names, before any lookup.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Named {
    /// `/v1/partnerships/{id}/...`
    Partnership(Id),
    /// `/v1/meetings/{id}/...`
    Meeting(Id),
    /// `/v1/actions/{id}/...`
    Action(Id),
    /// `/v1/public/partnerships/{slug}/...`
    Slug(String),
    /// Anything else: the platform's share.
    Nothing,
}

/// Reads what a request path names (a plain function of the path).
pub fn named(path: &str) -> Named {
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(super::query::percent_decoded)
        .collect();
    let mut segments = segments.iter().map(String::as_str);
    if segments.next() != Some("v1") {
        return Named::Nothing;
    }
    let id = |s: Option<&str>| s.and_then(|s| s.parse::<Id>().ok());
    match segments.next() {
        Some("partnerships") => id(segments.next()).map_or(Named::Nothing, Named::Partnership),
        Some("meetings") => id(segments.next()).map_or(Named::Nothing, Named::Meeting),
        Some("actions") => id(segments.next()).map_or(Named::Nothing, Named::Action),
        Some("public") => match (segments.next(), segments.next()) {
            // Only what a slug can be is looked up (a NUL would not even
            // reach PostgreSQL as text).
            (Some("partnerships"), Some(slug))
                if !slug.is_empty()
                    && slug.len() <= 100
                    && slug
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') =>
            {
                Named::Slug(slug.to_owned())
            }
            _ => Named::Nothing,
        },
        _ => Named::Nothing,
    }
}

/// How many of the pool's connections one partnership's requests may hold at
/// once, by default: a quarter of the pool, at least 2 (and never more than
/// the pool).
pub fn default_share(pool: u32) -> u32 {
    (pool / 4).max(2).min(pool.max(1))
}

/// The platform's share by default: half the pool, at least 2.
pub fn default_platform_share(pool: u32) -> u32 {
    (pool / 2).max(2).min(pool.max(1))
}

/// Records remembered per instance (whose record an id is); past it the
/// memory starts afresh.
const REMEMBERED: usize = 100_000;

/// The shares of one instance, and what it has learnt of whose records are whose.
pub struct Shares {
    per_partnership: usize,
    platform: usize,
    wait: Duration,
    gates: Mutex<HashMap<Share, Arc<Semaphore>>>,
    owners: Mutex<HashMap<Named, Id>>,
    waits: IntCounterVec,
    refusals: IntCounterVec,
}

impl Shares {
    pub fn new(per_partnership: u32, platform: u32, wait: Duration) -> Self {
        let counter = |name: &str, help: &str| {
            IntCounterVec::new(Opts::new(name, help), &["share"])
                .unwrap_or_else(|e| panic!("a counter's options are static: {e}"))
        };
        Shares {
            per_partnership: per_partnership.max(1) as usize,
            platform: platform.max(1) as usize,
            wait,
            gates: Mutex::new(HashMap::new()),
            owners: Mutex::new(HashMap::new()),
            waits: counter(
                "db_share_waits_total",
                "Requests that waited for their partnership's share of the database \
                 (share: a partnership id, or platform)",
            ),
            refusals: counter(
                "db_share_refusals_total",
                "Requests answered 503 because their partnership's share of the database \
                 stayed full for DB_SHARE_WAIT_MS",
            ),
        }
    }

    /// The counters `/metrics` shows.
    pub fn collectors(&self) -> Vec<Box<dyn prometheus::core::Collector>> {
        vec![
            Box::new(self.waits.clone()),
            Box::new(self.refusals.clone()),
        ]
    }

    fn gate(&self, share: &Share) -> Arc<Semaphore> {
        let mut gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        let size = match share {
            Share::Platform | Share::Lookups => self.platform,
            Share::Partnership(_) | Share::Outsiders => self.per_partnership,
        };
        gates
            .entry(share.clone())
            .or_insert_with(|| Arc::new(Semaphore::new(size)))
            .clone()
    }

    /// Takes a place in `share`, waiting at most until `deadline`.
    pub async fn enter(
        &self,
        share: &Share,
        deadline: Instant,
    ) -> Result<OwnedSemaphorePermit, ApiError> {
        let gate = self.gate(share);
        if let Ok(permit) = gate.clone().try_acquire_owned() {
            return Ok(permit);
        }
        self.waits.with_label_values(&[&share.label()]).inc();
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, gate.acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => {
                self.refusals.with_label_values(&[&share.label()]).inc();
                Err(ApiError::Busy(format!(
                    "{} is using its whole share of the database; retry shortly",
                    match share {
                        Share::Platform => "the platform".to_owned(),
                        Share::Partnership(id) => format!("partnership {id}"),
                        Share::Outsiders => "callers outside their partnerships".to_owned(),
                        Share::Lookups => "finding whose records are named".to_owned(),
                    }
                )))
            }
        }
    }

    /// The partnership a request naming `named` concerns, if any.
    async fn partnership_of(
        &self,
        pool: &DbPool,
        named: Named,
        deadline: Instant,
    ) -> Result<Option<Id>, ApiError> {
        let named = match named {
            Named::Nothing => return Ok(None),
            Named::Partnership(id) => return Ok(Some(id)),
            other => other,
        };
        if let Some(id) = self.remembered(&named) {
            return Ok(Some(id));
        }
        let owner = {
            let _place = self.enter(&Share::Lookups, deadline).await?;
            let asked = named.clone();
            db::read(pool, move |conn| owner_of(conn, &asked)).await?
        };
        // Slugs can be changed or taken by another partnership: not remembered.
        if let (Some(id), false) = (owner, matches!(named, Named::Slug(_))) {
            self.remember(named, id);
        }
        Ok(owner)
    }

    fn remembered(&self, named: &Named) -> Option<Id> {
        let owners = self.owners.lock().unwrap_or_else(|e| e.into_inner());
        owners.get(named).copied()
    }

    fn remember(&self, named: Named, owner: Id) {
        let mut owners = self.owners.lock().unwrap_or_else(|e| e.into_inner());
        if owners.len() >= REMEMBERED {
            owners.clear();
        }
        owners.insert(named, owner);
    }
}

/// The partnership a top-level record belongs to, if the record exists.
fn owner_of(conn: &mut db::DbConnection, named: &Named) -> Result<Option<Id>, ApiError> {
    Ok(match named {
        Named::Meeting(id) => meetings::table
            .find(*id)
            .select(meetings::partnership_id)
            .first(conn)
            .optional()?,
        Named::Action(id) => actions::table
            .find(*id)
            .select(actions::partnership_id)
            .first(conn)
            .optional()?,
        Named::Slug(slug) => partnerships::table
            .filter(partnerships::slug.eq(slug))
            .select(partnerships::id)
            .first(conn)
            .optional()?,
        Named::Partnership(id) => Some(*id),
        Named::Nothing => None,
    })
}

/// Whose share a request runs in, once the partnership it names is known:
/// that partnership's only for a caller who may act there (see the module).
pub fn charged(partnership: Option<Id>, caller: Option<&Principal>, anonymous_read: bool) -> Share {
    match (partnership, caller) {
        (None, _) => Share::Platform,
        (Some(id), Some(p)) if p.platform_admin || p.roles.contains_key(&id) => {
            Share::Partnership(id)
        }
        (Some(id), None) if anonymous_read => Share::Partnership(id),
        (Some(_), _) => Share::Outsiders,
    }
}

/// Runs each `/v1` request in its share (see the module).
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let (Some(shares), Some(state)) = (
        req.app_data::<web::Data<Shares>>().cloned(),
        req.app_data::<web::Data<AppState>>().cloned(),
    ) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    if !req.path().starts_with("/v1/") {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    let started = Instant::now();
    let deadline = started + shares.wait;
    let named = named(req.path());
    let anonymous_read = matches!(named, Named::Slug(_));
    let caller = authenticate(req.request()).ok();
    let mut charged_share = Share::Platform;
    let place = match shares.partnership_of(&state.pool, named, deadline).await {
        Ok(partnership) => {
            charged_share = charged(partnership, caller.as_ref(), anonymous_read);
            shares.enter(&charged_share, deadline).await
        }
        Err(e) => Err(e),
    };
    let place = match place {
        Ok(place) => place,
        // Answered here, so the outer middleware (headers, CORS, metrics,
        // the log) still sees the answer.
        Err(e) => return Ok(req.error_response(e).map_into_right_body()),
    };
    let waited = started.elapsed();
    let seat = Seat(Arc::new(SeatInner {
        shares: Some(shares),
        share: charged_share,
        place: Mutex::new(Some(place)),
    }));
    req.extensions_mut().insert(seat.clone());
    let response = db::waits::after_waiting(waited, next.call(req)).await;
    // The request (and the copy in its extensions) may outlive the answer.
    seat.leave();
    response.map(ServiceResponse::map_into_left_body)
}

/// A request's place in its share, which a handler that waits for long
/// without the database (a long poll) gives up while it waits and takes
/// again, within the share's bounded wait, before it reads once more.
#[derive(Clone)]
pub struct Seat(Arc<SeatInner>);

struct SeatInner {
    /// `None` outside the middleware (then leaving and rejoining do nothing).
    shares: Option<web::Data<Shares>>,
    share: Share,
    place: Mutex<Option<OwnedSemaphorePermit>>,
}

impl Seat {
    /// Gives the place up.
    pub fn leave(&self) {
        let mut place = self.0.place.lock().unwrap_or_else(|e| e.into_inner());
        place.take();
    }

    /// Takes a place again (503 when the share stays full for its wait).
    pub async fn rejoin(&self) -> Result<(), ApiError> {
        let Some(shares) = &self.0.shares else {
            return Ok(());
        };
        let deadline = Instant::now() + shares.wait;
        let permit = shares.enter(&self.0.share, deadline).await?;
        let mut place = self.0.place.lock().unwrap_or_else(|e| e.into_inner());
        *place = Some(permit);
        Ok(())
    }
}

impl actix_web::FromRequest for Seat {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        use actix_web::HttpMessage;
        let seat = req.extensions().get::<Seat>().cloned().unwrap_or_else(|| {
            Seat(Arc::new(SeatInner {
                shares: None,
                share: Share::Platform,
                place: Mutex::new(None),
            }))
        });
        std::future::ready(Ok(seat))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_their_partnership_or_record() {
        let id: Id = "01938f6e-0000-7000-8000-000000000001".parse().unwrap();
        assert_eq!(
            named(&format!("/v1/partnerships/{id}/actions")),
            Named::Partnership(id)
        );
        assert_eq!(
            named(&format!("/v1/partnerships/{id}")),
            Named::Partnership(id)
        );
        assert_eq!(
            named(&format!("/v1/meetings/{id}/items")),
            Named::Meeting(id)
        );
        assert_eq!(named(&format!("/v1/actions/{id}")), Named::Action(id));
        assert_eq!(
            named(&format!(
                "/v1/public/partnerships/hscp/meetings/{id}/minutes"
            )),
            Named::Slug("hscp".into())
        );
        assert_eq!(
            named(&format!("/v1/%70artnerships/{id}/people")),
            Named::Partnership(id),
            "percent-decoded, as the router reads it"
        );
        assert_eq!(named(&format!("/v1/%6Deetings/{id}")), Named::Meeting(id));
        assert_eq!(
            named(&format!(
                "/v1/public/partnerships/a%00b/meetings/{id}/minutes"
            )),
            Named::Nothing
        );
        for platform in [
            "/v1/partnerships",
            "/v1/partnerships/not-an-id/people",
            "/v1/organisations",
            "/v1/oauth/token",
            "/v1/audit-events",
            "/healthz",
            "/v2/partnerships/01938f6e-0000-7000-8000-000000000001",
        ] {
            assert_eq!(named(platform), Named::Nothing, "{platform}");
        }
    }

    #[test]
    fn a_partnership_gets_a_quarter_of_the_pool_and_at_least_two() {
        assert_eq!(default_share(8), 2);
        assert_eq!(default_share(32), 8);
        assert_eq!(default_share(1), 1);
        assert_eq!(default_platform_share(8), 4);
        assert_eq!(default_platform_share(2), 2);
    }

    #[actix_web::test]
    async fn a_full_share_refuses_after_the_wait_and_others_pass() {
        let shares = Shares::new(1, 1, Duration::from_millis(20));
        let a = Share::Partnership(Id::new());
        let b = Share::Partnership(Id::new());
        let soon = || Instant::now() + Duration::from_millis(20);
        let held = shares.enter(&a, soon()).await.unwrap();
        assert!(matches!(
            shares.enter(&a, soon()).await,
            Err(ApiError::Busy(_))
        ));
        assert!(shares.enter(&b, soon()).await.is_ok());
        drop(held);
        assert!(shares.enter(&a, soon()).await.is_ok());
    }

    #[test]
    fn only_a_caller_who_may_act_there_is_charged_to_a_partnership() {
        let (mine, theirs) = (Id::new(), Id::new());
        let member = Principal {
            subject: "member".into(),
            organisation_id: None,
            platform_admin: false,
            roles: [(mine, crate::auth::Role::Member)].into_iter().collect(),
            client: None,
            checked: Default::default(),
        };
        assert_eq!(
            charged(Some(mine), Some(&member), false),
            Share::Partnership(mine)
        );
        assert_eq!(
            charged(Some(theirs), Some(&member), false),
            Share::Outsiders
        );
        assert_eq!(charged(Some(theirs), None, false), Share::Outsiders);
        assert_eq!(
            charged(Some(theirs), None, true),
            Share::Partnership(theirs)
        );
        assert_eq!(charged(None, Some(&member), false), Share::Platform);
    }
}
