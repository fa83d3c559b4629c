//! The OpenAPI 3.1 document, generated from the handlers' annotations and
//! finished by [`contract`], which says once what every operation shares.

pub mod contract;

use utoipa::OpenApi;

use crate::{
    access, attendees, audit, clients, decisions, declarations, groups, items, meetings, members,
    metrics, minutes, ops, organisations, partnerships, people, submissions,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Safeguarding Partnership API",
        description = "Governance records of multi-agency safeguarding partnerships: partnerships, agencies, \
people, groups, meetings, actions, risks, budgets and performance data. Every `/v1` endpoint needs \
`Authorization: Bearer <JWT>` but the token endpoint and the public minutes. Errors are RFC 9457 `application/problem+json`.",
        license(name = "MIT")
    ),
    paths(
        ops::healthz,
        ops::readyz,
        partnerships::routes::create_partnership,
        partnerships::routes::list_partnerships,
        partnerships::routes::get_partnership,
        partnerships::routes::update_partnership,
        organisations::routes::create_organisation,
        organisations::routes::list_organisations,
        organisations::routes::get_organisation,
        organisations::routes::update_organisation,
        members::routes::create_member,
        members::routes::list_members,
        members::routes::get_member,
        members::routes::update_member,
        members::routes::delete_member,
        people::routes::create_person,
        people::routes::list_people,
        people::routes::get_person,
        people::routes::update_person,
        groups::routes::create_group,
        groups::routes::list_groups,
        groups::routes::get_group,
        groups::routes::update_group,
        meetings::routes::create_meeting,
        meetings::routes::list_meetings,
        meetings::routes::next_meeting,
        meetings::routes::get_meeting,
        meetings::routes::update_meeting,
        minutes::lifecycle::approve,
        minutes::lifecycle::publish,
        minutes::lifecycle::reopen,
        crate::actions::routes::create_action,
        crate::actions::routes::list_actions,
        crate::actions::routes::get_action,
        crate::actions::routes::update_action,
        crate::actions::routes::create_update,
        crate::actions::routes::list_updates,
        crate::actions::routes::get_update,
        crate::actions::routes::matters_arising,
        meetings::ics::feed,
        attendees::routes::create_attendee,
        attendees::routes::list_attendees,
        attendees::routes::get_attendee,
        attendees::routes::update_attendee,
        attendees::routes::delete_attendee,
        items::routes::create_item,
        items::routes::list_items,
        items::routes::get_item,
        items::routes::update_item,
        items::routes::delete_item,
        decisions::routes::create_decision,
        decisions::routes::list_decisions,
        decisions::routes::update_decision,
        decisions::routes::delete_decision,
        declarations::routes::create_declaration,
        declarations::routes::list_declarations,
        declarations::routes::delete_declaration,
        minutes::routes::get_minutes,
        minutes::routes::public_minutes,
        crate::recording::routes::record_meeting,
        crate::recording::routes::get_record,
        crate::recording::routes::replace_record,
        metrics::routes::create_metric,
        metrics::routes::list_metrics,
        metrics::routes::get_metric,
        metrics::routes::update_metric,
        submissions::routes::submit,
        submissions::routes::list_values,
        submissions::routes::metric_table,
        crate::data_requests::routes::create_data_request,
        crate::data_requests::routes::list_data_requests,
        crate::data_requests::routes::get_data_request,
        crate::data_requests::routes::update_data_request,
        crate::data_requests::routes::get_completeness,
        clients::oauth::issue_token,
        clients::oauth::jwks,
        clients::routes::create_client,
        clients::routes::list_clients,
        clients::routes::get_client,
        clients::routes::update_client,
        clients::routes::rotate_client_secret,
        clients::routes::revoke_client,
        audit::routes::list_audit_events,
        audit::routes::list_platform_audit_events,
        crate::changes::routes::list_changes,
        crate::webhooks::routes::create_webhook,
        crate::webhooks::routes::list_webhooks,
        crate::webhooks::routes::get_webhook,
        crate::webhooks::routes::update_webhook,
        crate::webhooks::routes::delete_webhook,
        crate::webhooks::routes::list_deliveries,
        crate::webhooks::routes::redeliver,
        access::routes::list_access_log,
        crate::risks::routes::create_risk,
        crate::risks::routes::list_risks,
        crate::risks::routes::heat_map,
        crate::risks::routes::get_risk_scoring,
        crate::risks::routes::put_risk_scoring,
        crate::risks::routes::get_risk,
        crate::risks::routes::update_risk,
        crate::risks::routes::create_assessment,
        crate::risks::routes::list_assessments,
        crate::risks::routes::get_assessment,
        crate::risks::routes::escalate,
        crate::risks::routes::list_escalations,
        crate::risks::routes::get_escalation,
        crate::budgets::routes::create_budget,
        crate::budgets::routes::list_budgets,
        crate::budgets::routes::years_summary,
        crate::budgets::routes::get_budget,
        crate::budgets::routes::update_budget,
        crate::budgets::routes::budget_summary,
        crate::budgets::routes::create_contribution,
        crate::budgets::routes::list_contributions,
        crate::budgets::routes::copy_contributions,
        crate::budgets::routes::get_contribution,
        crate::budgets::routes::update_contribution,
        crate::budgets::ledger_routes::create_line,
        crate::budgets::ledger_routes::list_lines,
        crate::budgets::ledger_routes::get_line,
        crate::budgets::ledger_routes::update_line,
        crate::budgets::ledger_routes::create_transaction,
        crate::budgets::ledger_routes::list_transactions,
        crate::budgets::ledger_routes::get_transaction,
        crate::budgets::ledger_routes::update_transaction,
        crate::budgets::ledger_routes::delete_transaction,
        crate::budgets::ledger_routes::reverse_transaction,
    ),
    components(schemas(
        crate::error::Problem,
        crate::error::FieldError,
        crate::validate::FilterText,
        crate::actions::rules::OwnerFilter,
        crate::webhooks::events::EventBody,
    )),
    tags(
        (name = "partnerships", description = "The tenants: every other record belongs to one"),
        (name = "organisations", description = "The shared registry of agencies"),
        (name = "members", description = "Which agencies belong to a partnership, and how"),
        (name = "people", description = "People of a partnership, known by their initials"),
        (name = "groups", description = "Boards and groups, and whom they report to"),
        (name = "meetings", description = "Meetings, attendance and quorum, agenda items, decisions, declarations, minutes (approve, publish, public redacted copy) and the iCalendar feed"),
        (name = "actions", description = "The action log: numbered actions, owners, dated updates, matters arising, CSV"),
        (name = "risks", description = "The risk register: scoring bands, dated assessments and trend, mitigating actions, escalation to a meeting's agenda, heat map, CSV"),
        (name = "budgets", description = "Budgets per financial year: partner contributions, income and expenditure lines, transactions (committed and paid, from reserve), reversing entries for closed years, the summary to the penny, the reserve against its target year by year, CSV"),
        (name = "performance data", description = "Metrics; data requests asking agencies for a quarter's values by a due date, and their completeness; the values agencies submit (JSON or CSV, atomic, dry run); a metric as a table of quarters"),
        (name = "authentication", description = "API clients and the OAuth 2.0 client-credentials token endpoint"),
        (name = "audit", description = "Who changed what, when (the change log); who was shown or refused what (the access log)"),
        (name = "integrations", description = "The change feed (long polling) and signed webhooks with their delivery log"),
        (name = "operations", description = "Health and readiness"),
    )
)]
pub struct ApiDoc;

/// The published document: what utoipa generates, with the contract applied.
/// It stays JSON from here on: utoipa's types cannot read back every
/// construct the contract adds.
pub fn document() -> serde_json::Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    contract::apply(&mut doc);
    doc
}

/// The document as committed at `openapi/openapi.json`.
pub fn pretty_json() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}
