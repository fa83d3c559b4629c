//! `GET /v1/partnerships/{id}/meetings.ics`: the partnership's meetings as an
//! RFC 5545 calendar that Outlook and Google Calendar subscribe to. UIDs are
//! the meeting ids, so an event updates in place; `SEQUENCE` is the record's
//! version; cancelled meetings stay in the feed as `STATUS:CANCELLED`.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus, Property};

use super::model::{self, Meeting};
use super::rules::MeetingStatus;
use crate::access;
use crate::auth::tenant::{self, Tenant};
use crate::db::{self, Id};
use crate::error::{ApiError, ReadErrors};
use crate::state::AppState;

/// Builds the calendar text of a partnership's meetings.
pub fn calendar(partnership_name: &str, meetings: &[Meeting]) -> String {
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new(
            "PRODID",
            "-//Safeguarding Partnership API//Meetings//EN",
        ))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("METHOD", "PUBLISH"))
        .name(&format!("{partnership_name}: meetings"));
    for meeting in meetings {
        let mut event = Event::new();
        event
            .uid(&format!("{}@safeguarding-api", meeting.id))
            .timestamp(meeting.updated_at.0)
            .sequence(u32::try_from(meeting.version - 1).unwrap_or(0))
            .summary(&meeting.title)
            .starts(meeting.starts_at.0)
            .status(match meeting.status {
                MeetingStatus::Cancelled => EventStatus::Cancelled,
                MeetingStatus::Scheduled | MeetingStatus::Held => EventStatus::Confirmed,
            });
        if let Some(ends) = meeting.ends_at {
            event.ends(ends.0);
        }
        if let Some(location) = &meeting.location {
            event.location(location);
        }
        calendar.push(event.done());
    }
    calendar.to_string()
}

/// The partnership's meetings as an iCalendar feed.
#[utoipa::path(
    get,
    path = "/v1/partnerships/{id}/meetings.ics",
    tag = "meetings",
    operation_id = "meetings_calendar",
    params(("id" = Id, Path, description = "Partnership id")),
    responses((status = 200, description = "RFC 5545 calendar", body = String, content_type = "text/calendar"), ReadErrors),
    security(("bearer" = []))
)]
pub async fn feed(
    state: web::Data<AppState>,
    tenant: Tenant<tenant::Read>,
) -> Result<HttpResponse, ApiError> {
    let Tenant {
        partnership_id,
        principal,
        ..
    } = tenant;
    let now = state.clock.now();
    let text = db::read(&state.pool, move |conn| {
        let partnership = crate::partnerships::model::find(conn, partnership_id)?;
        let meetings = model::all_in_time_order(conn, partnership_id)?;
        // A rendering handed out: the access log records it.
        let operation = format!("GET /v1/partnerships/{partnership_id}/meetings.ics");
        access::record_reads(conn, &principal, [&partnership], &operation, now)?;
        Ok(calendar(&partnership.name, &meetings))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "inline; filename=\"meetings.ics\"",
        ))
        .body(text))
}
