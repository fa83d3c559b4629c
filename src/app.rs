//! Builds and runs the HTTP server: `Application::build(settings)` binds the
//! listener (port 0 in tests), wires shared state, middleware and routes.

use std::net::TcpListener;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Condition, ErrorHandlers, Logger};
use actix_web::{web, App, HttpServer};
use utoipa_swagger_ui::SwaggerUi;

use crate::clients::live::LiveClients;
use crate::clients::lockout::FailureLimiter;
use crate::clients::oauth::TrustedProxies;
use crate::config::Settings;
use crate::db::{self, DbPool};
use crate::error::ApiError;
use crate::http::json::BodyLimit;
use crate::http::shares::{self, Shares};
use crate::http::telemetry::{self, Telemetry};
use crate::http::{fallback, idempotency, query, request_log, security_headers};
use crate::rate_limits::RateLimits;
use crate::state::AppState;

pub struct Application {
    port: u16,
    server: Server,
    /// The webhook delivery worker, started with the server.
    worker: Option<crate::webhooks::worker::Worker>,
    /// Alive while the server runs: the change listener stops when it goes.
    alive: std::sync::Arc<()>,
    /// The sweep of papers' unnamed bytes, started with the server.
    sweep: Option<(
        DbPool,
        crate::papers::storage::PaperStore,
        std::time::Duration,
    )>,
}

impl Application {
    /// Opens the pool, applies migrations and binds the listener.
    pub fn build(settings: Settings) -> Result<Self, String> {
        let pool = db::build_pool(&settings.database, settings.db_pool_size, settings.db_waits)?;
        migrate_with_retry(&pool)?;
        let listener = TcpListener::bind(settings.listen_addr).map_err(|e| {
            format!(
                "LISTEN_ADDR: cannot listen on {}: {e}",
                settings.listen_addr
            )
        })?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let mut settings = settings;
        settings.integrations.reach.own = listener.local_addr().map_err(|e| e.to_string())?;
        let alive = std::sync::Arc::new(());
        if let db::Backend::Postgres(url) = &settings.database {
            db::bell::listen(
                url.clone(),
                std::time::Duration::from_millis(100),
                std::sync::Arc::downgrade(&alive),
            );
        }
        let worker = if settings.integrations.worker {
            Some(crate::webhooks::worker::Worker::new(
                pool.clone(),
                settings.integrations.clone(),
                settings.clock,
            )?)
        } else {
            None
        };
        let store = crate::papers::storage::PaperStore::open(&settings.papers.storage)?;
        let sweep = Some((pool.clone(), store.clone(), settings.papers.sweep_grace));
        let server = serve(listener, pool, store, &settings)?;
        Ok(Application {
            port,
            server,
            worker,
            alive,
            sweep,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Runs until SIGINT/SIGTERM, then stops accepting and lets in-flight
    /// requests finish (up to 30 s).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let worker = self.worker.map(|w| tokio::spawn(w.run()));
        let sweep = self.sweep.map(|(pool, store, grace)| {
            tokio::spawn(crate::papers::sweep::run(pool, store, grace))
        });
        let result = self.server.await;
        for task in [worker, sweep].into_iter().flatten() {
            task.abort();
        }
        drop(self.alive);
        result
    }
}

/// Migrations run at start-up; a database that is still starting gets a few seconds.
fn migrate_with_retry(pool: &DbPool) -> Result<(), String> {
    let mut last_error = String::new();
    for attempt in 0..10 {
        if attempt > 0 {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
        // Start-up may wait longer for a connection than a request does.
        match pool.get_timeout(std::time::Duration::from_secs(3)) {
            Ok(mut conn) => {
                let applied = db::run_migrations(&mut conn)
                    .map_err(|e| format!("DATABASE_URL: migration failed: {e}"))?;
                for version in applied {
                    log::info!("applied migration {version}");
                }
                return Ok(());
            }
            Err(e) => {
                last_error = e.to_string();
                log::warn!("database not reachable yet: {last_error}");
            }
        }
    }
    Err(format!("DATABASE_URL: cannot connect: {last_error}"))
}

/// Browsers on the configured origins may call the service (with none
/// configured the middleware is left out, so no CORS header is ever sent); any
/// other origin gets no CORS headers, so its page cannot read the answer. Tokens
/// travel in `Authorization`, never in cookies, so no credentials mode.
fn cors(origins: &[String]) -> Cors {
    use actix_web::http::{header, Method};
    let cors = origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::IF_MATCH,
            header::RANGE,
            header::HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::WWW_AUTHENTICATE,
            header::HeaderName::from_static("idempotent-replayed"),
            header::CONTENT_DISPOSITION,
            header::CONTENT_LENGTH,
            header::ACCEPT_RANGES,
            header::CONTENT_RANGE,
            crate::rate_limits::middleware::RATELIMIT_POLICY,
            crate::rate_limits::middleware::RATELIMIT,
        ])
        .max_age(3600);
    // A request from another origin still gets its answer (servers and
    // same-origin callers are not browsers); only the CORS headers are withheld.
    cors.block_on_origin_mismatch(false)
}

fn serve(
    listener: TcpListener,
    pool: DbPool,
    papers: crate::papers::storage::PaperStore,
    settings: &Settings,
) -> Result<Server, String> {
    let state = web::Data::new(AppState {
        pool,
        backend: settings.database.name(),
        clock: settings.clock,
        integrations: settings.integrations.clone(),
        papers: crate::state::Papers {
            store: papers,
            max_bytes: settings.papers.max_bytes,
        },
        drafts: Default::default(),
    });
    let telemetry = web::Data::new(Telemetry::new().map_err(|e| format!("telemetry: {e}"))?);
    let shares = web::Data::new(Shares::new(
        settings.db_share,
        settings.db_platform_share,
        settings.db_share_wait,
    ));
    telemetry
        .register(shares.collectors())
        .map_err(|e| format!("telemetry: {e}"))?;
    let keys = web::Data::from(settings.token_keys.clone());
    let trust_forwarded_for = settings.trust_forwarded_for;
    let limiter = web::Data::new(FailureLimiter::new(
        settings.token_failures_per_client,
        settings.token_failures_per_address,
        std::time::Duration::from_secs(settings.token_failure_window_seconds),
    ));
    let live_clients = web::Data::new(LiveClients::default());
    let rate_limits = web::Data::new(RateLimits::new(settings.rate_limits));
    let body_limit = BodyLimit {
        normal: settings.max_body_bytes,
        bulk: settings.max_bulk_body_bytes,
    };
    let openapi = crate::openapi::document();
    let operations = web::Data::new(query::Operations::from_document(&openapi));
    let cors_origins = settings.cors_allowed_origins.clone();

    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(telemetry.clone())
            .app_data(keys.clone())
            .app_data(limiter.clone())
            .app_data(live_clients.clone())
            .app_data(shares.clone())
            .app_data(rate_limits.clone())
            .app_data(web::Data::new(TrustedProxies(trust_forwarded_for)))
            .app_data(body_limit)
            .app_data(operations.clone())
            .app_data(
                web::PathConfig::default()
                    .error_handler(|_, _| ApiError::not_found("no such record").into()),
            )
            .app_data(web::QueryConfig::default().error_handler(|e, _| {
                ApiError::bad_request(format!("invalid query parameters: {e}")).into()
            }))
            // Innermost first. CORS sits outside idempotency, so a replayed
            // answer carries the CORS headers too, and inside the problem
            // bodies and metrics, so a refused preflight is problem+json and
            // is counted. Unknown query parameters are refused before a key
            // is looked up or stored, and with the CORS headers.
            .wrap(from_fn(idempotency::middleware))
            // Each request in its partnership's share of the database, before
            // it takes a thread or a connection.
            .wrap(from_fn(shares::middleware))
            .wrap(from_fn(query::middleware))
            // A caller over its rate limit is refused before anything else
            // runs for it, and every answer to a limited request (a 400 for
            // a query parameter too) carries the RateLimit fields.
            .wrap(from_fn(crate::rate_limits::middleware))
            // Before anything reads the caller: a revoked client's token is
            // refused; a live client's own rate limit is looked up.
            .wrap(from_fn(crate::clients::live::middleware))
            .wrap(Condition::new(
                !cors_origins.is_empty(),
                cors(&cors_origins),
            ))
            .wrap(ErrorHandlers::new().default_handler(fallback::problem_body))
            .wrap(from_fn(telemetry::middleware))
            .wrap(from_fn(security_headers::middleware))
            // The request line with credentials taken out of the query string.
            .wrap(
                Logger::new("%a \"%{request_line}xi\" %s %b %Dms")
                    .custom_request_replace("request_line", request_log::request_line),
            )
            // /v1 first: the hot routes match before the docs' catch-all pattern.
            .service(
                web::scope("/v1")
                    // Refusals (403) of a partnership's records go to its access log.
                    .wrap(from_fn(crate::access::refusals::middleware))
                    .configure(crate::routes),
            )
            .configure(crate::ops::configure)
            .service(
                SwaggerUi::new("/docs/{_:.*}")
                    .external_url_unchecked("/openapi.json", openapi.clone()),
            )
            .default_service(web::to(fallback::not_found))
    })
    .workers(settings.workers)
    // Database work runs on the blocking pool; more threads than pooled
    // connections only park in `pool.get()` and cost context switches.
    .worker_max_blocking_threads((settings.db_pool_size as usize / settings.workers.max(1)).max(1))
    .shutdown_timeout(30)
    .listen(listener)
    .map_err(|e| format!("LISTEN_ADDR: {e}"))?
    .run();
    Ok(server)
}
