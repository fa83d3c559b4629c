//! Meetings of a partnership's groups: schedule, status, quorum, the minutes
//! life cycle (approve, publish, reopen) and the iCalendar feed.

pub mod ics;
pub mod model;
pub mod routes;
pub mod rules;

pub use model::{Meeting, MeetingView};
