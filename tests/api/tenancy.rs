//! Tenancy, driven by the OpenAPI document's own paths: every operation whose
//! path names a record answers a caller of another partnership exactly as it
//! answers an id that exists nowhere (404, the same problem), and changes
//! nothing. The operations are read from `safeguarding_api::openapi::document()`,
//! so a new route is covered without anyone listing it; a new kind of path
//! parameter, or a body the document gives no example of, fails the test until
//! this file learns how to fill it.

use std::collections::{BTreeMap, HashMap};

use reqwest::Method;
use safeguarding_api::auth::Role;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{id_of, spawn_app, Answer, TestApp};
use crate::seed::{self, Seed, HEREFORDSHIRE, NOTTINGHAMSHIRE};

/// Operations whose "exists elsewhere" and "missing" answers may differ in
/// `detail` (type, title and status must still agree). Every entry is a leak
/// to be fixed in src/, then removed from here.
const KNOWN_DETAIL_MISMATCHES: &[&str] = &[];

/// The least number of operations this test must exercise: a broken mapping
/// of the document must not make it pass by testing nothing.
const AT_LEAST: usize = 45;

/// Ids of one partnership's records by what names them: `partnerships` and
/// `meetings` for the `{id}` of those collections, otherwise the path
/// parameter or body field (`item_id`, `approved_at_meeting_id`...).
type Records = HashMap<String, String>;

/// One operation of the document, ready to send.
struct Operation {
    method: Method,
    path: String,
    id: String,
    body: Option<Value>,
    /// A file as the body (a paper's upload), with its type.
    file: Option<(String, Vec<u8>)>,
    /// A list with `limit` and `cursor`.
    pages: bool,
}

/// Whether the path names a record of one partnership.
fn tenant_scoped(path: &str) -> bool {
    // Public by design: published minutes, for anyone, by slug.
    if path.starts_with("/v1/public/") {
        return false;
    }
    // A registry shared by all partnerships: any authenticated caller reads an
    // organisation and any partnership admin maintains it, by design.
    if path.starts_with("/v1/organisations/") {
        return false;
    }
    // Without a path parameter nothing names another partnership's record.
    !parameters(path).is_empty()
}

/// The `{name}`s of a path template, in order.
fn parameters(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

/// What a path parameter names: `{id}` is a record of the path's first
/// collection (a partnership, a meeting...); any other name speaks for itself.
fn kind(path: &str, name: &str) -> String {
    match name {
        "id" => path.split('/').nth(2).unwrap_or_default().to_owned(),
        other => other.to_owned(),
    }
}

/// The path with its `n`th parameter replaced by `pick(n, kind)`.
fn fill(path: &str, mut pick: impl FnMut(usize, &str) -> String) -> String {
    let mut n = 0;
    let segments: Vec<String> = path
        .split('/')
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => {
                    n += 1;
                    pick(n - 1, &kind(path, name))
                }
                None => s.to_owned(),
            },
        )
        .collect();
    segments.join("/")
}

/// Bodies for request schemas the document has no example of. `"A"` in an
/// `…_id` field stands for A's record of that name.
fn hand_written(operation_id: &str) -> Option<Value> {
    let changed = "Changed by another partnership";
    Some(match operation_id {
        "update_meeting" | "update_item" => json!({ "title": changed }),
        "update_attendee" => json!({ "attendance": "absent" }),
        "create_declaration" => json!({ "person_id": "A", "item_id": "A", "text": changed }),
        "update_decision" => json!({ "text": changed }),
        "approve_minutes" => json!({ "approved_at_meeting_id": "A" }),
        "publish_minutes" => json!({}),
        "reopen_minutes" => json!({ "reason": changed }),
        "update_partnership" => json!({ "area": changed }),
        "create_client" => json!({ "name": changed, "role": "admin" }),
        "update_group" | "update_metric" => json!({ "name": changed }),
        "create_member" => json!({ "organisation_id": "A", "role": "relevant_agency" }),
        "update_member" => json!({ "role": "relevant_agency" }),
        "update_person" => json!({ "job_title": changed }),
        "update_action" => json!({ "description": changed }),
        "update_risk" => json!({ "title": changed }),
        "escalate" => json!({ "group_id": "A" }),
        "update_budget" => json!({ "published": true }),
        "update_contribution" => json!({ "amount_pence": 1 }),
        "update_line" | "update_transaction" => json!({ "description": changed }),
        _ => return None,
    })
}

/// A body A's admin could send, so that only tenancy can refuse B's: the
/// schema's first example (or a hand-written one) with every `…_id` field
/// naming a real record of A.
fn body_for(doc: &Value, op: &Value, a: &Records) -> Option<Value> {
    op.get("requestBody")?;
    file_for(op).is_none().then_some(())?;
    let id = op["operationId"].as_str().unwrap();
    let schema = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        .as_str()
        .and_then(|r| r.rsplit('/').next())
        .unwrap_or_else(|| panic!("{id}: the body is not a JSON schema; teach tenancy.rs"));
    let mut body = doc["components"]["schemas"][schema]["examples"][0].clone();
    if body.is_null() {
        body = hand_written(id)
            .unwrap_or_else(|| panic!("{id}: {schema} has no example; add one to hand_written"));
    }
    for (field, value) in body.as_object_mut().unwrap() {
        if field.ends_with("_id") && value.is_string() {
            let real = a.get(field.as_str());
            *value = json!(real.unwrap_or_else(|| panic!("{id}: no record of A for `{field}`")));
        }
    }
    Some(body)
}

/// Every tenant-scoped operation of the document; fails on a path parameter
/// A has no record for, so a new kind of id cannot be skipped silently.
fn operations(a: &Records) -> Vec<Operation> {
    let doc = safeguarding_api::openapi::document();
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !tenant_scoped(path) {
            continue;
        }
        for name in parameters(path) {
            let kind = kind(path, name);
            assert!(
                a.contains_key(&kind),
                "{path}: no record of A for parameter `{name}` ({kind}); create one in a_records"
            );
        }
        for (method, op) in item.as_object().unwrap() {
            found.push(Operation {
                method: Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                path: path.clone(),
                id: op["operationId"].as_str().unwrap().to_owned(),
                body: body_for(&doc, op, a),
                file: file_for(op),
                pages: op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|p| p["name"] == "limit"),
            });
        }
    }
    found
}

/// Creates in A what the seed lacks, so that every parameter has a real record.
async fn a_records(app: &TestApp, seed: &Seed, admin: &str) -> Records {
    let (pid, meeting) = (seed.partnership_id, seed.meeting_id);
    let post = |path: String, body: Value| async move {
        id_of(&app.post_json(&path, admin, &body).await.expect_json(201)).to_string()
    };
    let first =
        |path: String| async move { id_of(&app.get_all(&path, admin).await[0]).to_string() };
    let person = seed.people["EF"].to_string();
    let organisation = seed.organisations["west-mercia-police"].to_string();
    let group = seed.groups["spb"].to_string();
    let (m, p) = (
        format!("/v1/meetings/{meeting}"),
        format!("/v1/partnerships/{pid}"),
    );
    // First, so that what follows is delivered to it (its delivery log).
    let webhook =
        json!({"url": "https://hooks.example.org/a", "event_types": ["decision.created"]});
    let webhook = post(format!("{p}/webhooks"), webhook).await;
    let item = first(format!("{m}/items")).await;
    let attendee = first(format!("{m}/attendees")).await;
    let member = first(format!("{p}/members")).await;
    let decision = json!({"outcome": "noted", "text": "Noted."});
    let decision = post(format!("{m}/items/{item}/decisions"), decision).await;
    let declaration = json!({"person_id": person, "item_id": item, "text": "A colleague's."});
    let declaration = post(format!("{m}/declarations"), declaration).await;
    let metric = json!({"code": "CP-PLANS", "name": "Child protection plans", "unit": "count"});
    let metric = post(format!("{p}/metrics"), metric).await;
    let client =
        json!({"name": "Police system", "role": "submitter", "organisation_id": organisation});
    let client = post(format!("{p}/clients"), client).await;
    let later = json!({"group_id": group, "title": "Board", "starts_at": "2020-01-20T14:00:00Z"});
    let later = post(format!("{p}/meetings"), later).await;
    let action = json!({"item_id": item, "description": "Draft the letter.", "owners": ["EF"]});
    let action = post(format!("{p}/actions"), action).await;
    let update = json!({"note": "Drafted.", "reported_at_meeting_id": meeting});
    let update = post(format!("/v1/actions/{action}/updates"), update).await;
    let risk = json!({"title": "Strategy discussions", "owner": "EF", "likelihood": 4, "impact": 4,
        "mitigation_action_ids": [action]});
    let risk = post(format!("{p}/risks"), risk).await;
    let assessment = json!({"likelihood": 3, "impact": 4, "note": "Better."});
    let assessment = post(format!("/v1/risks/{risk}/assessments"), assessment).await;
    let ahead = json!({"group_id": group, "title": "Board", "starts_at": "2099-01-19T14:00:00Z"});
    post(format!("{p}/meetings"), ahead).await;
    let escalation = json!({"group_id": group});
    let escalation = post(format!("/v1/risks/{risk}/escalations"), escalation).await;
    let budget = post(format!("{p}/budgets"), json!({"financial_year": "2019-20"})).await;
    let b = format!("/v1/budgets/{budget}");
    let contribution = json!({"organisation_id": organisation, "amount_pence": 3_000_000});
    let contribution = post(format!("{b}/contributions"), contribution).await;
    let line = json!({"name": "NSPCC Support Package", "kind": "expenditure", "planned_pence": 0});
    let line = post(format!("{b}/lines"), line).await;
    let transaction = json!({"line_id": line, "date": "2019-11-20", "amount_pence": 850_000,
        "description": "NSPCC Support Package", "from_reserve": true});
    let transaction = post(format!("{b}/transactions"), transaction).await;
    let request = json!({"period": "2019-20-Q2", "metrics": ["CP-PLANS"],
        "organisation_ids": [organisation], "due_date": "2019-11-29"});
    let request = post(format!("{p}/data-requests"), request).await;
    let deliveries = format!("{p}/webhooks/{webhook}/deliveries");
    let mut delivery = app.get_all(&deliveries, admin).await;
    for _ in 0..100 {
        if !delivery.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        delivery = app.get_all(&deliveries, admin).await;
    }
    let delivery = id_of(&delivery[0]).to_string();
    let paper = app
        .post_raw(
            &format!("{m}/items/{item}/papers?title=Appendix"),
            admin,
            "application/pdf",
            b"%PDF-1.4\n%%EOF\n".to_vec(),
        )
        .await;
    let paper = id_of(&paper.expect_json(201)).to_string();
    let records = [
        ("paper_id", paper),
        ("webhook_id", webhook),
        ("delivery_id", delivery),
        ("data-requests", request),
        ("budgets", budget),
        ("contribution_id", contribution),
        ("line_id", line),
        ("transaction_id", transaction),
        ("risks", risk),
        ("assessment_id", assessment),
        ("escalation_id", escalation),
        ("actions", action),
        ("update_id", update),
        ("meeting_id", meeting.to_string()),
        ("reported_at_meeting_id", meeting.to_string()),
        ("partnerships", pid.to_string()),
        ("meetings", meeting.to_string()),
        ("attendee_id", attendee),
        ("member_id", member),
        ("decision_id", decision),
        ("declaration_id", declaration),
        ("metric_id", metric),
        ("client_id", client),
        ("approved_at_meeting_id", later),
        ("item_id", item),
        ("person_id", person),
        ("group_id", group),
        ("organisation_id", organisation.clone()),
    ];
    // A quarter's values, so that the submissions list has something to lose.
    let values = json!({"period": "2019-20-Q2", "organisation_id": organisation,
        "values": [{"metric": "CP-PLANS", "value": 132}]});
    app.post_json(&format!("{p}/submissions"), admin, &values)
        .await
        .expect_json(200);
    records
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
}

/// A file A's admin could upload, for an operation whose body is one.
fn file_for(op: &Value) -> Option<(String, Vec<u8>)> {
    let content = op["requestBody"]["content"].as_object()?;
    if content.contains_key("application/json") {
        return None;
    }
    content
        .contains_key("application/pdf")
        .then(|| ("application/pdf".to_owned(), b"%PDF-1.4\n%%EOF\n".to_vec()))
}

/// Sends one operation to `path`, with `If-Match: *` on PATCH and DELETE so
/// that no version check can refuse it before tenancy does.
async fn send(app: &TestApp, op: &Operation, path: &str, token: &str) -> Answer {
    let mut builder = app.request(op.method.clone(), path, Some(token));
    if op.method == Method::PATCH || op.method == Method::PUT || op.method == Method::DELETE {
        builder = builder.header("if-match", "*");
    }
    if let Some(body) = &op.body {
        builder = builder.json(body);
    }
    if let Some((kind, bytes)) = &op.file {
        builder = builder.header("content-type", kind).body(bytes.clone());
    }
    app.send(builder).await
}

/// The answer to a record that exists elsewhere (`foreign`) against the answer
/// to one that exists nowhere (`missing`): both 404, and the same problem.
fn compare(op: &Operation, label: &str, foreign: &Answer, missing: &Answer) -> Option<String> {
    for (what, answer) in [("foreign", foreign), ("missing", missing)] {
        if answer.status != 404 {
            let (status, body) = (answer.status, answer.text());
            return Some(format!(
                "{label} ({}): {what} ids got {status}: {body}",
                op.id
            ));
        }
    }
    let (seen, unknown) = (foreign.expect_problem(404), missing.expect_problem(404));
    if seen == unknown {
        return None;
    }
    let core = |p: &Value| (p["type"].clone(), p["title"].clone(), p["status"].clone());
    if core(&seen) == core(&unknown) && KNOWN_DETAIL_MISMATCHES.contains(&op.id.as_str()) {
        return None;
    }
    Some(format!(
        "{label} ({}): foreign {seen} but missing {unknown}",
        op.id
    ))
}

/// What A's admin reads through every GET operation of the document: status,
/// ETag and body. The audit trail is counted apart, and the access log
/// (which every confidential read and refusal appends to) is left out.
async fn snapshot(
    app: &TestApp,
    ops: &[Operation],
    a: &Records,
    admin: &str,
) -> BTreeMap<String, (u16, Option<String>, String)> {
    let mut seen = BTreeMap::new();
    for op in ops.iter().filter(|op| {
        op.method == Method::GET
            && !["list_audit_events", "list_access_log"].contains(&op.id.as_str())
    }) {
        // One page of the longest size holds every record of the seed.
        let mut path = fill(&op.path, |_, kind| a[kind].clone());
        if op.pages {
            path.push_str("?limit=500");
        }
        let answer = app.get(&path, admin).await;
        // A read A's admin cannot make would compare two errors: vacuous.
        let status = answer.status.as_u16();
        assert!(
            matches!(status, 200 | 204),
            "A's admin reads {path}: {status}"
        );
        let etag = answer.header("etag").map(str::to_owned);
        seen.insert(path, (status, etag, answer.text()));
    }
    seen
}

/// A delivery's attempts go on by themselves (the worker retries an
/// unreachable receiver on its own schedule): between two reads they may
/// only move forward. Answers the body without them, and whether they did
/// (a redelivery forced from another partnership would set them back).
fn without_retries(body: &str) -> (String, Vec<(String, i64, String)>) {
    let Ok(mut json) = serde_json::from_str::<serde_json::Value>(body) else {
        return (body.to_owned(), Vec::new());
    };
    let mut progress = Vec::new();
    if let Some(items) = json.get_mut("items").and_then(|i| i.as_array_mut()) {
        for item in items {
            if let Some(delivery) = item.as_object_mut().filter(|o| o.contains_key("attempts")) {
                let id = delivery["id"].as_str().unwrap_or_default().to_owned();
                let attempts = delivery["attempts"].as_i64().unwrap_or_default();
                let next = delivery["next_attempt_at"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                progress.push((id, attempts, next));
                for field in [
                    "attempts",
                    "next_attempt_at",
                    "last_error",
                    "last_status_code",
                ] {
                    delivery.remove(field);
                }
            }
        }
    }
    (json.to_string(), progress)
}

/// Whether `now` is `was` but for deliveries' attempts moving forward.
fn same_but_retried(was: &str, now: &str) -> bool {
    let ((was_body, was_progress), (now_body, now_progress)) =
        (without_retries(was), without_retries(now));
    was_body == now_body
        && was_progress.len() == now_progress.len()
        && was_progress
            .iter()
            .zip(&now_progress)
            .all(|(w, n)| w.0 == n.0 && n.1 >= w.1 && n.2 >= w.2)
}

async fn audit_count(app: &TestApp, a: &Records, admin: &str) -> usize {
    let path = format!("/v1/partnerships/{}/audit-events", a["partnerships"]);
    app.get_all(&path, admin).await.len()
}

#[tokio::test]
async fn another_partnership_cannot_tell_a_record_from_a_missing_one() {
    let app = spawn_app().await;
    let (seed_a, seed_b) = tokio::join!(
        seed::load(&app, HEREFORDSHIRE),
        seed::load(&app, NOTTINGHAMSHIRE)
    );
    let admin_a = app.token(&[(seed_a.partnership_id, Role::Admin)]);
    let a = a_records(&app, &seed_a, &admin_a).await;
    // B's own parent records, for paths that nest A's records under them.
    let mut b: Records = [
        ("partnerships".to_owned(), seed_b.partnership_id.to_string()),
        ("meetings".to_owned(), seed_b.meeting_id.to_string()),
    ]
    .into();
    let outsiders = [Role::Admin, Role::Member, Role::Viewer]
        .map(|role| (role, app.token(&[(seed_b.partnership_id, role)])));
    let admin_b = outsiders[0].1.clone();
    let b_action = app
        .post_json(
            &format!("/v1/partnerships/{}/actions", seed_b.partnership_id),
            &admin_b,
            &json!({"description": "B's own action."}),
        )
        .await
        .expect_json(201);
    b.insert("actions".to_owned(), id_of(&b_action).to_string());
    let b_risk = app
        .post_json(
            &format!("/v1/partnerships/{}/risks", seed_b.partnership_id),
            &admin_b,
            &json!({"title": "B's own risk.", "likelihood": 2, "impact": 2, "status": "agreed"}),
        )
        .await
        .expect_json(201);
    b.insert("risks".to_owned(), id_of(&b_risk).to_string());
    let b_budget = app
        .post_json(
            &format!("/v1/partnerships/{}/budgets", seed_b.partnership_id),
            &admin_b,
            &json!({"financial_year": "2019-20"}),
        )
        .await
        .expect_json(201);
    b.insert("budgets".to_owned(), id_of(&b_budget).to_string());
    let ops = operations(&a);

    let before = snapshot(&app, &ops, &a, &admin_a).await;
    let events_before = audit_count(&app, &a, &admin_a).await;
    assert!(
        events_before > 0,
        "the seed leaves an audit trail to compare"
    );

    let access_log = format!("/v1/partnerships/{}/access-log", a["partnerships"]);
    let disclosures_before = app.get_all(&access_log, &admin_a).await.len();

    let mut findings = Vec::new();
    for op in &ops {
        let foreign = fill(&op.path, |_, kind| a[kind].clone());
        for (role, token) in &outsiders {
            // Every id replaced by one that exists nowhere: what "missing" looks like.
            let missing = fill(&op.path, |_, _| Uuid::now_v7().to_string());
            let label = format!("{} {foreign} as B's {role:?}", op.method);
            let (seen, unknown) = (
                send(&app, op, &foreign, token).await,
                send(&app, op, &missing, token).await,
            );
            findings.extend(compare(op, &label, &seen, &unknown));
        }
        // A's records under B's own partnership or meeting: looked up within
        // B's, never found by id alone.
        if parameters(&op.path).len() > 1 {
            let crossed = fill(
                &op.path,
                |n, k| if n == 0 { b[k].clone() } else { a[k].clone() },
            );
            let missing = fill(&op.path, |n, k| {
                if n == 0 {
                    b[k].clone()
                } else {
                    Uuid::now_v7().to_string()
                }
            });
            let label = format!("{} {crossed} as B's admin", op.method);
            let (seen, unknown) = (
                send(&app, op, &crossed, &admin_b).await,
                send(&app, op, &missing, &admin_b).await,
            );
            findings.extend(compare(op, &label, &seen, &unknown));
        }
    }

    // Nothing B tried changed A or left a trace in A's audit trail, nor in
    // A's access log (B was told nothing, so nothing was disclosed or refused).
    let disclosures_after = app.get_all(&access_log, &admin_a).await.len();
    if disclosures_after != disclosures_before {
        findings.push(format!(
            "A's access log went from {disclosures_before} to {disclosures_after} entries"
        ));
    }
    let events_after = audit_count(&app, &a, &admin_a).await;
    let after = snapshot(&app, &ops, &a, &admin_a).await;
    for (path, was) in &before {
        let now = &after[path];
        if now.0 != was.0 || now.1 != was.1 || !same_but_retried(&was.2, &now.2) {
            findings.push(format!(
                "GET {path} changed: {was:?} became {:?}",
                after[path]
            ));
        }
    }
    if events_after != events_before {
        findings.push(format!(
            "A's audit events went from {events_before} to {events_after}"
        ));
    }
    eprintln!(
        "tenancy: {} operations of the document exercised",
        ops.len()
    );
    assert!(
        findings.is_empty(),
        "tenancy findings:\n{}",
        findings.join("\n")
    );
    assert!(
        ops.len() >= AT_LEAST,
        "only {} operations: is the document read right?",
        ops.len()
    );
}
