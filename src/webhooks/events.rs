//! The event types a webhook subscribes to, named as integrators expect
//! (`action.created`, `minutes.published`), each the name of a kind of change
//! in the change log; and the body a delivery sends.

use serde::Serialize;

use crate::db::{Id, UtcTime};

/// Records whose changes are events (the resource types of the change log).
pub const RESOURCES: &[&str] = &[
    "partnership",
    "organisation",
    "member",
    "person",
    "group",
    "meeting",
    "attendee",
    "agenda_item",
    "decision",
    "declaration",
    "action",
    "action_update",
    "risk",
    "risk_assessment",
    "risk_scoring",
    "risk_escalation",
    "budget",
    "budget_contribution",
    "budget_line",
    "budget_transaction",
    "metric",
    "metric_value",
    "data_request",
];

/// Events named for what they mean rather than the record they change.
const NAMED: &[(&str, &str, &str)] = &[
    ("meeting", "approve", "minutes.approved"),
    ("meeting", "publish", "minutes.published"),
    ("meeting", "reopen", "minutes.reopened"),
    ("risk_escalation", "create", "risk.escalated"),
    ("data_request", "create", "data_request.opened"),
    ("data_request", "due", "data_request.due"),
    ("action", "overdue", "action.overdue"),
];

/// The event type of a change, if it is one a webhook can subscribe to.
pub fn event_type(resource_type: &str, change: &str) -> Option<String> {
    if let Some((_, _, name)) = NAMED
        .iter()
        .find(|(r, c, _)| *r == resource_type && *c == change)
    {
        return Some((*name).to_owned());
    }
    if !RESOURCES.contains(&resource_type) {
        return None;
    }
    let done = match change {
        "create" => "created",
        "update" => "updated",
        "delete" => "deleted",
        _ => return None,
    };
    Some(format!("{resource_type}.{done}"))
}

/// Every event type, in a fixed order (the published enum).
pub fn all() -> Vec<String> {
    let mut names: Vec<String> = RESOURCES
        .iter()
        .flat_map(|r| {
            ["create", "update", "delete"]
                .iter()
                .filter_map(move |c| event_type(r, c))
        })
        .chain(NAMED.iter().map(|(_, _, n)| (*n).to_owned()))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Whether `name` is an event type.
pub fn known(name: &str) -> bool {
    all().iter().any(|n| n == name)
}

/// The schema of one event type: the enum of them all.
pub fn event_type_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(all()))
        .build()
}

/// The schema of a list of event types: 1 to 100, each one of the enum, none twice.
pub fn event_types_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(event_type_schema())
        .min_items(Some(1))
        .max_items(Some(100))
        .unique_items(true)
        .build()
}

/// What a delivery sends (the Standard Webhooks shape: `type`,
/// `timestamp`, `data`): the change as the change feed gives it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventBody {
    #[serde(rename = "type")]
    #[schema(schema_with = event_type_schema)]
    pub event_type: String,
    pub timestamp: UtcTime,
    pub data: EventData,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventData {
    pub partnership_id: Id,
    #[schema(minimum = 1)]
    pub seq: i64,
    pub resource_type: String,
    pub resource_id: Id,
    #[schema(minimum = 1)]
    pub version: Option<i32>,
    #[schema(value_type = crate::audit::Change)]
    pub change: String,
    pub occurred_at: UtcTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_named_as_integrators_expect() {
        assert_eq!(
            event_type("action", "create").as_deref(),
            Some("action.created")
        );
        assert_eq!(
            event_type("meeting", "publish").as_deref(),
            Some("minutes.published")
        );
        assert_eq!(
            event_type("risk_escalation", "create").as_deref(),
            Some("risk.escalated")
        );
        assert_eq!(
            event_type("data_request", "create").as_deref(),
            Some("data_request.opened")
        );
        assert_eq!(
            event_type("action", "overdue").as_deref(),
            Some("action.overdue")
        );
        assert_eq!(
            event_type("api_client", "create"),
            None,
            "admins' records are no events"
        );
        assert_eq!(event_type("webhook", "update"), None);
        assert_eq!(event_type("meeting", "read"), None);
        assert!(known("data_request.due") && known("action.updated"));
        assert!(!known("action.exploded"));
        let all = all();
        assert!(all.len() > 60 && all.windows(2).all(|w| w[0] < w[1]));
    }
}
