//! State shared by every request, below the resources and the HTTP
//! mechanisms so that they can all use it without depending on the file that
//! assembles the application.

use crate::db::{DbPool, UtcTime};

pub struct AppState {
    pub pool: DbPool,
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    pub clock: Clock,
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
