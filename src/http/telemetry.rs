//! Operational telemetry for Prometheus (`GET /metrics`): request counts
//! and latency by route and status, the connection pool, and rate-limit
//! refusals by partnership. Not to be confused with the performance-data
//! metrics of `crate::metrics`.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

use crate::state::AppState;

/// The service's telemetry, registered once at start-up.
pub struct Telemetry {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool_connections: IntGauge,
    pool_idle: IntGauge,
    statements: IntCounter,
    rate_limited: IntCounterVec,
}

impl Telemetry {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by method, route and status",
            ),
            &["method", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by method and route",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["method", "route", "status"],
        )?;
        let pool_connections = IntGauge::new("db_pool_connections", "Open database connections")?;
        let pool_idle = IntGauge::new("db_pool_idle_connections", "Idle database connections")?;
        let statements = IntCounter::new(
            "db_statements_total",
            "Statements sent to the database (queries, and BEGIN/COMMIT as diesel sends them)",
        )?;
        registry.register(Box::new(statements.clone()))?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(pool_connections.clone()))?;
        // By the partnership of the refused caller, so an operator sees the
        // noisy tenant; by partnership rather than client, so the label set
        // stays as small as the number of partnerships.
        let rate_limited = IntCounterVec::new(
            Opts::new(
                "rate_limit_refusals_total",
                "Requests refused 429 over a caller's rate limit, by the caller's partnership \
                 (\"platform\" for platform administrators and callers of several)",
            ),
            &["partnership"],
        )?;
        registry.register(Box::new(pool_idle.clone()))?;
        registry.register(Box::new(rate_limited.clone()))?;
        Ok(Telemetry {
            registry,
            requests,
            latency,
            pool_connections,
            pool_idle,
            statements,
            rate_limited,
        })
    }

    /// Adds collectors kept elsewhere (the shares' counters).
    pub fn register(
        &self,
        collectors: Vec<Box<dyn prometheus::core::Collector>>,
    ) -> Result<(), prometheus::Error> {
        for collector in collectors {
            self.registry.register(collector)?;
        }
        Ok(())
    }

    /// Counts a rate-limit refusal against a partnership (`None`: "platform").
    pub fn rate_limited(&self, partnership: Option<crate::db::Id>) {
        let label = partnership.map_or_else(|| "platform".to_owned(), |id| id.to_string());
        self.rate_limited.with_label_values(&[label.as_str()]).inc();
    }

    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let status = status.to_string();
        self.requests
            .with_label_values(&[method, route, &status])
            .inc();
        self.latency
            .with_label_values(&[method, route, &status])
            .observe(seconds);
    }
}

/// Records every request under its route pattern (never the raw path, so ids
/// do not explode the label set).
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let telemetry = req.app_data::<web::Data<Telemetry>>().cloned();
    let response = next.call(req).await?;
    if let Some(telemetry) = telemetry {
        let route = response
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        telemetry.observe(
            &method,
            &route,
            response.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(response)
}

/// `GET /metrics` in the Prometheus text format.
pub async fn render(state: web::Data<AppState>, telemetry: web::Data<Telemetry>) -> HttpResponse {
    let pool = state.pool.state();
    telemetry.pool_connections.set(i64::from(pool.connections));
    telemetry.pool_idle.set(i64::from(pool.idle_connections));
    {
        // One render at a time brings the counter up to the statements sent,
        // so two concurrent ones never add the same difference twice.
        static SYNC: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _one = SYNC
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let sent = crate::db::STATEMENTS.load(std::sync::atomic::Ordering::Relaxed);
        telemetry
            .statements
            .inc_by(sent.saturating_sub(telemetry.statements.get()));
    }
    let mut buffer = Vec::new();
    let encoder = TextEncoder::new();
    if let Err(e) = encoder.encode(&telemetry.registry.gather(), &mut buffer) {
        log::error!("cannot encode metrics: {e}");
        return HttpResponse::InternalServerError().finish();
    }
    HttpResponse::Ok()
        .content_type(encoder.format_type())
        .body(buffer)
}
