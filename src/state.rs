//! State shared by every request, below the resources and the HTTP
//! mechanisms so that they can all use it without depending on the file that
//! assembles the application.

use crate::db::{DbPool, UtcTime};

pub struct AppState {
    pub pool: DbPool,
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    pub clock: Clock,
    pub integrations: Integrations,
    pub papers: Papers,
    /// Draft minutes as last assembled, given again while unchanged.
    pub drafts: crate::minutes::cache::DraftCache,
}

/// Where meeting papers are kept, and how large one may be.
#[derive(Debug, Clone)]
pub struct Papers {
    pub store: crate::papers::storage::PaperStore,
    /// `PAPER_MAX_BYTES`: larger uploads are 413, before anything is kept.
    pub max_bytes: u64,
}

/// Webhook settings (`WEBHOOK_*`).
#[derive(Debug, Clone)]
pub struct Integrations {
    /// Seals signing secrets at rest; `None` when nothing configures one
    /// (then webhooks cannot be created: 503 saying what to set).
    pub sealing_key: Option<crate::webhooks::signing::SealingKey>,
    /// Which receivers may be reached.
    pub reach: crate::webhooks::target::Reach,
    /// Whether this instance runs the delivery worker (`WEBHOOK_WORKER`).
    pub worker: bool,
    /// How often the worker looks without being rung (`WEBHOOK_POLL_MS`).
    pub poll: std::time::Duration,
    /// The first retry's delay, doubled each time (`WEBHOOK_RETRY_BASE_MS`).
    pub retry_base: std::time::Duration,
    /// Attempts before a delivery is `failed` (`WEBHOOK_MAX_ATTEMPTS`).
    pub max_attempts: i32,
    /// One delivery's time limit (`WEBHOOK_TIMEOUT_MS`).
    pub timeout: std::time::Duration,
    /// How often scheduled events are raised (`WEBHOOK_SCHEDULE_MS`).
    pub schedule: std::time::Duration,
}

/// What "now" is for derived facts (an action's `overdue`, its default
/// dates): the system clock, or a fixed instant (`CLOCK_FIXED_AT`) for
/// tests, demonstrations and reports "as at" a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    #[default]
    System,
    Fixed(UtcTime),
}

impl Clock {
    pub fn now(self) -> UtcTime {
        match self {
            Clock::System => UtcTime::now(),
            Clock::Fixed(at) => at,
        }
    }
}
