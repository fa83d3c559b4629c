//! Contract edges (issue 14, points 10, 11, 15 and 16): unknown query
//! parameters are 400 naming them, on every operation of the document; a
//! response field that is always sent is `required`, checked against real
//! answers; the agenda pages like every list; the action log is looked up by
//! number.

use std::collections::{BTreeMap, HashMap};

use reqwest::Method;
use safeguarding_api::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{id_of, spawn_app, spawn_app_with, TestApp};
use crate::seed::{self, HEREFORDSHIRE};

/// `key` of every element of the array `list` of an answer, as text.
fn pluck(answer: &Value, list: &str, key: &str) -> Vec<String> {
    answer[list]
        .as_array()
        .unwrap_or_else(|| panic!("{list} in {answer}"))
        .iter()
        .map(|e| match &e[key] {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
        .collect()
}

/// The parameters a problem names.
fn errors_fields(problem: &Value) -> Vec<String> {
    pluck(problem, "errors", "field")
}

// --- 10: unknown query parameters ------------------------------------------

#[tokio::test]
async fn an_unknown_query_parameter_is_400_naming_it_and_nothing_is_written() {
    let app = spawn_app().await;
    let admin = app.platform_admin_token();
    let pid = id_of(&app.create_partnership("herefordshire").await);
    let police = app
        .post_json(
            "/v1/organisations",
            &admin,
            &json!({"name": "West Mercia Police", "kind": "police"}),
        )
        .await
        .expect_json(201);
    app.post_json(
        &format!("/v1/partnerships/{pid}/members"),
        &admin,
        &json!({"organisation_id": police["id"], "role": "statutory_partner"}),
    )
    .await
    .expect_json(201);
    app.post_json(
        &format!("/v1/partnerships/{pid}/metrics"),
        &admin,
        &json!({"code": "CP-PLANS", "name": "Children on a plan", "unit": "count"}),
    )
    .await
    .expect_json(201);
    let submissions = format!("/v1/partnerships/{pid}/submissions");
    let quarter = json!({
        "period": "2019-20-Q2", "organisation_id": police["id"],
        "values": [{"metric": "CP-PLANS", "value": 132}],
    });

    // `?dryrun=true` (a typo of `dry_run`) is refused, not ignored: nothing written.
    let key = "contract-edges-dry-run";
    let refused = app
        .post_json_idempotent(&format!("{submissions}?dryrun=true"), &admin, key, &quarter)
        .await
        .expect_problem(400);
    assert_eq!(errors_fields(&refused), ["dryrun"]);
    assert!(refused["type"].as_str().unwrap().ends_with("invalid-query"));
    assert!(
        app.get_all(&submissions, &admin).await.is_empty(),
        "nothing stored"
    );
    // The refusal was not stored under the key: the same key without the
    // parameter runs the request.
    let summary = app
        .post_json_idempotent(&submissions, &admin, key, &quarter)
        .await
        .expect_json(200);
    assert_eq!(summary["imported"], 1);

    // A list with a filter and a page: both extractors' parameters are known;
    // each unknown one is named once, in the order sent.
    let actions = format!("/v1/partnerships/{pid}/actions");
    app.get(&format!("{actions}?status=open&limit=2"), &admin)
        .await
        .expect_json(200);
    let problem = app
        .get(
            &format!("{actions}?numbr=14&limit=2&Status=open&numbr=15"),
            &admin,
        )
        .await
        .expect_problem(400);
    assert_eq!(errors_fields(&problem), ["numbr", "Status"]);

    // The public minutes and the calendar feed too; a caller with no token
    // learns only what the document says.
    app.get_anonymous(&format!(
        "/v1/public/partnerships/herefordshire/meetings/{pid}/minutes?draft=1"
    ))
    .await
    .expect_problem(400);
    app.get(
        &format!("/v1/partnerships/{pid}/meetings.ics?token=x"),
        &admin,
    )
    .await
    .expect_problem(400);

    // What the document does not describe is left alone.
    for path in ["/openapi.json?x=1", "/docs/?url=x", "/metrics?name=x"] {
        app.get_anonymous(path).await.expect_status(200);
    }
    app.get(&format!("/v1/partnerships/{pid}/nothing?x=1"), &admin)
        .await
        .expect_problem(404);
}

#[tokio::test]
async fn the_token_endpoint_refuses_any_query_parameter_in_its_own_shape() {
    let app = spawn_app().await;
    let admin = app.platform_admin_token();
    let pid = id_of(&app.create_partnership("herefordshire").await);
    let client = app
        .post_json(
            &format!("/v1/partnerships/{pid}/clients"),
            &admin,
            &json!({"name": "Council system", "role": "viewer"}),
        )
        .await
        .expect_json(201);
    let id = client["client_id"].as_str().unwrap();
    let secret = client["client_secret"].as_str().unwrap();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", id),
        ("client_secret", secret),
    ];
    // Credentials in the query, with or without the body: refused by name.
    for with_body in [false, true] {
        let mut builder = app
            .client
            .post(app.url(&format!("/v1/oauth/token?client_secret={secret}")));
        if with_body {
            builder = builder.form(&form);
        }
        let answer = app.send(builder).await;
        let problem = answer.expect_problem(400);
        assert_eq!(problem["error"], "invalid_request");
        assert!(problem["detail"]
            .as_str()
            .unwrap()
            .contains("client_secret"));
        assert!(
            !answer.text().contains(secret),
            "the value is never repeated"
        );
    }
    let ok = app.send(app.client.post(app.url("/v1/oauth/token")).form(&form));
    ok.await.expect_json(200);
}

#[tokio::test]
async fn cors_preflights_pass_and_refusals_carry_cors_headers() {
    let origin = "https://app.example.org";
    let app = spawn_app_with(&[("CORS_ALLOWED_ORIGINS", origin)]).await;
    let preflight = app
        .request(Method::OPTIONS, "/v1/partnerships?x=1", None)
        .header("origin", origin)
        .header("access-control-request-method", "GET");
    app.send(preflight).await.expect_status(200);
    let token = app.platform_admin_token();
    let refused = app
        .send(
            app.request(Method::GET, "/v1/partnerships?x=1", Some(&token))
                .header("origin", origin),
        )
        .await;
    refused.expect_problem(400);
    assert_eq!(refused.header("access-control-allow-origin"), Some(origin));
}

/// Every operation of the document, driven from the document: an unknown
/// parameter is 400 naming it, and the 400 is documented.
#[tokio::test]
async fn every_operation_refuses_and_documents_unknown_parameters() {
    let app = spawn_app().await;
    let doc = safeguarding_api::openapi::document();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let label = format!("{method} {path}");
            if path == "/v1/oauth/token" {
                continue; // its own shape: the test above
            }
            let bad = &op["responses"]["400"];
            assert!(
                bad["content"]["application/problem+json"].is_object()
                    && bad["description"]
                        .as_str()
                        .unwrap()
                        .contains("query parameter this operation does not take"),
                "{label}: the 400 for an unknown parameter is documented"
            );
            let filled: Vec<String> = path
                .split('/')
                .map(|s| match s.starts_with('{') {
                    true => uuid::Uuid::now_v7().to_string(),
                    false => s.to_owned(),
                })
                .collect();
            let url = format!("{}?limit=1&zz_unknown=1", filled.join("/"));
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let answer = app.send(app.request(method, &url, None)).await;
            let problem = answer.expect_problem(400);
            let declares_limit = op["parameters"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p["name"] == "limit"));
            let expected: &[&str] = match declares_limit {
                true => &["zz_unknown"],
                false => &["limit", "zz_unknown"],
            };
            assert_eq!(errors_fields(&problem), expected, "{label}");
            checked += 1;
        }
    }
    assert!(checked >= 70, "only {checked} operations checked");
}

// --- 11: always sent means required -----------------------------------------

/// Per schema property: answers that had it, answers that did not, and
/// whether the document says `required`.
type Seen = BTreeMap<(String, String), (usize, usize, bool)>;

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> (&'a Value, Option<String>) {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.trim_start_matches("#/components/schemas/");
            (&doc["components"]["schemas"][name], Some(name.to_owned()))
        }
        None => (schema, None),
    }
}

/// Walks an answer along its schema, noting which properties were present.
fn walk(doc: &Value, schema: &Value, value: &Value, name: &str, seen: &mut Seen) {
    let (schema, named) = resolve(doc, schema);
    let name = named.as_deref().unwrap_or(name);
    for part in schema["allOf"].as_array().into_iter().flatten() {
        walk(doc, part, value, name, seen);
    }
    if !value.is_null() {
        for alternative in schema["oneOf"].as_array().into_iter().flatten() {
            if alternative["type"] != "null" {
                walk(doc, alternative, value, name, seen);
            }
        }
    }
    if let (Some(properties), Some(object)) = (schema["properties"].as_object(), value.as_object())
    {
        let required = schema["required"].as_array().cloned().unwrap_or_default();
        for (property, property_schema) in properties {
            let entry = seen
                .entry((name.to_owned(), property.clone()))
                .or_insert((0, 0, false));
            entry.2 |= required.contains(&json!(property));
            match object.get(property) {
                Some(v) => {
                    entry.0 += 1;
                    walk(doc, property_schema, v, &format!("{name}.{property}"), seen);
                }
                None => entry.1 += 1,
            }
        }
    }
    if let (Some(items), Some(values)) = (schema.get("items"), value.as_array()) {
        for v in values {
            walk(doc, items, v, name, seen);
        }
    }
}

/// The seeded Herefordshire meeting with its action log, a metric, a value,
/// a client and a declaration, so that every GET has something to answer.
async fn seeded(app: &TestApp) -> (seed::Seed, HashMap<&'static str, String>) {
    let s = seed::load(app, HEREFORDSHIRE).await;
    let log = seed::load_action_log(app, HEREFORDSHIRE, &s).await;
    let admin = app.platform_admin_token();
    let pid = s.partnership_id;
    let org = s.organisations.values().next().unwrap();
    app.post_json(
        &format!("/v1/partnerships/{pid}/metrics"),
        &admin,
        &json!({"code": "CP-PLANS", "name": "Children on a plan", "unit": "count"}),
    )
    .await
    .expect_json(201);
    let members = app
        .get_all(&format!("/v1/partnerships/{pid}/members"), &admin)
        .await;
    let member_org = members[0]["organisation_id"].as_str().unwrap();
    app.post_json(
        &format!("/v1/partnerships/{pid}/submissions"),
        &admin,
        &json!({"period": "2019-20-Q2", "organisation_id": member_org,
                "values": [{"metric": "CP-PLANS", "value": 132}]}),
    )
    .await
    .expect_json(200);
    app.post_json(
        &format!("/v1/partnerships/{pid}/clients"),
        &admin,
        &json!({"name": "Police system", "role": "submitter", "organisation_id": member_org}),
    )
    .await
    .expect_json(201);
    let person = s.people.values().next().unwrap();
    let item = s.items.values().next().unwrap();
    let meeting = s.meeting_id;
    app.post_json(
        &format!("/v1/meetings/{meeting}/declarations"),
        &admin,
        &json!({"person_id": person, "item_id": item, "text": "A governor of a school named"}),
    )
    .await
    .expect_json(201);
    let mut ids = HashMap::new();
    ids.insert("partnerships", pid.to_string());
    ids.insert("meetings", meeting.to_string());
    ids.insert("organisations", org.to_string());
    ids.insert("slug", s.slug.clone());
    // An action with an update, so that `{update_id}` has one to read.
    ids.insert(
        "actions",
        log.actions[&3]["id"].as_str().unwrap().to_owned(),
    );
    // A risk with an assessment and an escalation to a meeting ahead.
    let risk = app
        .post_json(
            &format!("/v1/partnerships/{pid}/risks"),
            &admin,
            &json!({"title": "Thresholds not applied", "likelihood": 4, "impact": 4}),
        )
        .await
        .expect_json(201);
    let risk = risk["id"].as_str().unwrap().to_owned();
    seed::schedule_board(app, &s, "2099-01-19T14:00:00Z", json!({})).await;
    app.post_json(
        &format!("/v1/risks/{risk}/escalations"),
        &admin,
        &json!({"group_id": s.groups["spb"]}),
    )
    .await
    .expect_json(201);
    ids.insert("risks", risk);
    // A budget with a contribution, a line and a reversed transaction.
    let budget = app
        .post_json(
            &format!("/v1/partnerships/{pid}/budgets"),
            &admin,
            &json!({"financial_year": "2019-20", "reserve_target_pence": 6_000_000}),
        )
        .await
        .expect_json(201);
    let budget = format!("/v1/budgets/{}", budget["id"].as_str().unwrap());
    app.post_json(
        &format!("{budget}/contributions"),
        &admin,
        &json!({"organisation_id": member_org, "amount_pence": 3_000_000}),
    )
    .await
    .expect_json(201);
    let line = app
        .post_json(
            &format!("{budget}/lines"),
            &admin,
            &json!({"name": "Training", "kind": "expenditure", "planned_pence": 100}),
        )
        .await
        .expect_json(201);
    let paid = app
        .post_json(
            &format!("{budget}/transactions"),
            &admin,
            &json!({"line_id": line["id"], "date": "2019-05-01", "amount_pence": 50, "description": "Paid"}),
        )
        .await
        .expect_json(201);
    app.post_json(
        &format!(
            "{budget}/transactions/{}/reversal",
            paid["id"].as_str().unwrap()
        ),
        &admin,
        &json!({}),
    )
    .await
    .expect_json(201);
    ids.insert("budgets", budget.rsplit('/').next().unwrap().to_owned());
    let request = app
        .post_json(
            &format!("/v1/partnerships/{pid}/data-requests"),
            &admin,
            &json!({"period": "2019-20-Q2", "metrics": ["CP-PLANS"],
                    "organisation_ids": [member_org], "due_date": "2019-11-29"}),
        )
        .await
        .expect_json(201);
    ids.insert("data-requests", request["id"].as_str().unwrap().to_owned());
    // On the item the reads below find first.
    let first_item = app
        .get(&format!("/v1/meetings/{meeting}/items"), &admin)
        .await
        .expect_json(200)["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post_raw(
        &format!(
            "/v1/meetings/{meeting}/items/{first_item}/papers?label=Appendix%20A&title=Annual%20report"
        ),
        &admin,
        "application/pdf",
        b"%PDF-1.4\n%%EOF\n".to_vec(),
    )
    .await
    .expect_json(201);
    app.post_json(
        &format!("/v1/partnerships/{pid}/webhooks"),
        &admin,
        &json!({"url": "https://hooks.example.org/x", "event_types": ["action.created"]}),
    )
    .await
    .expect_json(201);
    (s, ids)
}

#[tokio::test]
async fn a_field_in_every_answer_is_required_and_a_required_one_is_in_every_answer() {
    let app = spawn_app().await;
    let (s, ids) = seeded(&app).await;
    let admin = app.platform_admin_token();
    let doc = safeguarding_api::openapi::document();

    // GETs shortest path first, so a list is read before its records.
    let mut gets: Vec<(&String, &Value)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter_map(|(path, item)| item.get("get").map(|op| (path, op)))
        .collect();
    gets.sort_by_key(|(path, _)| path.len());
    let mut seen = Seen::new();
    let mut answered = 0;
    for (path, op) in gets {
        let Some(schema) = op.pointer("/responses/200/content/application~1json/schema") else {
            continue;
        };
        let mut url = Vec::new();
        let mut complete = true;
        for segment in path.split('/') {
            let Some(param) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
                url.push(segment.to_owned());
                continue;
            };
            let key = match param {
                "id" if path.starts_with("/v1/public/") => "meetings".to_owned(),
                "id" => path.split('/').nth(2).unwrap().to_owned(),
                other => other.to_owned(),
            };
            match ids.get(key.as_str()) {
                Some(id) => url.push(id.clone()),
                None => {
                    // `{x_id}`: the first record of the list above it.
                    let list = url.join("/");
                    let page = app.get(&list, &admin).await.expect_json(200);
                    match page["items"][0]["id"].as_str() {
                        Some(id) => url.push(id.to_owned()),
                        None => complete = false,
                    }
                }
            }
            if !complete {
                break;
            }
        }
        assert!(complete, "{path}: nothing seeded to read");
        let token = if path.starts_with("/v1/public/") {
            None
        } else {
            Some(admin.as_str())
        };
        if path.contains("/minutes") && path.starts_with("/v1/public/") {
            let later = seed::schedule_board(&app, &s, "2020-01-20T14:00:00Z", json!({})).await;
            seed::approve_and_publish(&app, &s, &later).await;
        }
        let answer = app
            .send(
                app.request(Method::GET, &url.join("/"), token)
                    .header("accept", "application/json"),
            )
            .await;
        if answer.status == 204 {
            continue;
        }
        walk(&doc, schema, &answer.expect_json(200), path, &mut seen);
        answered += 1;
    }
    assert!(answered >= 30, "only {answered} GETs answered");

    let mut wrong = Vec::new();
    for ((schema, property), (present, absent, required)) in &seen {
        if *present > 0 && *absent == 0 && !required {
            wrong.push(format!(
                "{schema}.{property}: in every answer, not required"
            ));
        }
        if *required && *absent > 0 {
            wrong.push(format!(
                "{schema}.{property}: required, missing from {absent} answers"
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    for (schema, property) in [
        ("Meeting", "location"),
        ("Action", "due_date"),
        ("Person", "job_title"),
        ("MinutesDocument", "previous_meeting"),
    ] {
        assert!(
            seen.get(&(schema.to_owned(), property.to_owned()))
                .is_some_and(|(present, _, required)| *present > 0 && *required),
            "{schema}.{property} seen and required"
        );
    }
    // What the serializer leaves out stays optional: the empty `errors` of a
    // problem, the database of /healthz.
    let problems = &doc["components"]["schemas"]["Problem"]["required"];
    assert!(!problems.as_array().unwrap().contains(&json!("errors")));
}

// --- 15: the agenda pages ---------------------------------------------------

#[tokio::test]
async fn the_agenda_pages_by_its_order() {
    let app = spawn_app().await;
    let s = seed::load(&app, HEREFORDSHIRE).await;
    let viewer = app.token(&[(s.partnership_id, Role::Viewer)]);
    let path = format!("/v1/meetings/{}/items", s.meeting_id);

    let first = app
        .get(&format!("{path}?limit=3"), &viewer)
        .await
        .expect_json(200);
    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    let cursor = first["next_cursor"].as_str().expect("another page follows");
    let second = app
        .get(&format!("{path}?limit=3&cursor={cursor}"), &viewer)
        .await
        .expect_json(200);
    assert_ne!(first["items"][0]["id"], second["items"][0]["id"]);

    // Walked page by page, the agenda is whole, in order, each item once.
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}?limit=4&cursor={c}"),
            None => format!("{path}?limit=4"),
        };
        let page = app.get(&url, &viewer).await.expect_json(200);
        walked.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(walked.len(), s.items.len());
    let orders: Vec<i64> = walked
        .iter()
        .map(|i| i["order"].as_i64().unwrap())
        .collect();
    assert!(orders.windows(2).all(|w| w[0] <= w[1]), "{orders:?}");
    let whole = app
        .get(&format!("{path}?limit=500"), &viewer)
        .await
        .expect_json(200);
    assert_eq!(whole["items"].as_array().unwrap(), &walked);
    assert!(whole["next_cursor"].is_null());

    for bad in ["limit=0", "limit=501", "cursor=nope"] {
        app.get(&format!("{path}?{bad}"), &viewer)
            .await
            .expect_problem(400);
    }
}

// --- 16: the action log by number -------------------------------------------

fn numbers_of(page: &Value) -> Vec<i64> {
    let numbers = pluck(page, "items", "number");
    numbers.iter().map(|n| n.parse().unwrap()).collect()
}

#[tokio::test]
async fn the_action_log_is_looked_up_by_number() {
    let app = spawn_app().await;
    let s = seed::load(&app, HEREFORDSHIRE).await;
    let log = seed::load_action_log(&app, HEREFORDSHIRE, &s).await;
    let admin = app.platform_admin_token();
    let viewer = app.token(&[(s.partnership_id, Role::Viewer)]);
    let path = format!("/v1/partnerships/{}/actions", s.partnership_id);
    let all = app.get_all(&path, &admin).await;
    assert!(all.len() > 5);

    let one = app
        .get(&format!("{path}?number=14"), &admin)
        .await
        .expect_json(200);
    assert_eq!(numbers_of(&one), [14]);
    assert_eq!(one["items"][0]["id"], log.actions[&14]["id"]);
    let some = app
        .get(&format!("{path}?numbers=19,3,15,999"), &admin)
        .await
        .expect_json(200);
    assert_eq!(
        numbers_of(&some),
        [3, 15, 19],
        "in number order; 999 is none"
    );
    let union = app
        .get(&format!("{path}?number=14&numbers=3,14"), &admin)
        .await
        .expect_json(200);
    assert_eq!(numbers_of(&union), [3, 14]);
    let paged = app
        .get(&format!("{path}?numbers=3,14,15,19&limit=2"), &admin)
        .await
        .expect_json(200);
    assert_eq!(numbers_of(&paged), [3, 14]);
    // With the other filters: both must hold.
    let open = app
        .get(
            &format!("{path}?numbers=3,14,15,19&status=complete"),
            &admin,
        )
        .await
        .expect_json(200);
    assert!(numbers_of(&open).iter().all(|n| all
        .iter()
        .any(|a| a["number"] == *n && a["status"] == "complete")));

    // CSV honours it.
    let csv = app
        .get_accept(&format!("{path}?numbers=3,15"), &admin, "text/csv")
        .await;
    csv.expect_status(200);
    let text = csv.text();
    let rows: Vec<String> = csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("a CSV row")[0].to_owned())
        .collect();
    assert_eq!(rows, ["3", "15"], "{text}");

    // Malformed: 400 naming the parameter.
    let many = vec!["1"; 501].join(",");
    for (query, field) in [
        ("number=0".to_owned(), "number"),
        ("number=1000000001".to_owned(), "number"),
        ("number=x".to_owned(), "number"),
        ("numbers=3,x".to_owned(), "numbers"),
        ("numbers=3,,4".to_owned(), "numbers"),
        ("numbers=".to_owned(), "numbers"),
        (format!("numbers={many}"), "numbers"),
    ] {
        let problem = app
            .get(&format!("{path}?{query}"), &admin)
            .await
            .expect_problem(400);
        assert_eq!(errors_fields(&problem), [field], "{query}");
    }

    // A viewer never sees an action agreed under a confidential item, by
    // number either.
    let confidential = all.iter().find(|a| !a["item_id"].is_null()).unwrap();
    let item = confidential["item_id"].as_str().unwrap();
    let meeting = confidential["meeting_id"].as_str().unwrap();
    app.patch_json(
        &format!("/v1/meetings/{meeting}/items/{item}"),
        &admin,
        Some("*"),
        &json!({"confidential": true}),
    )
    .await
    .expect_json(200);
    let number = confidential["number"].as_i64().unwrap();
    let seen = app
        .get(&format!("{path}?number={number}"), &viewer)
        .await
        .expect_json(200);
    assert!(numbers_of(&seen).is_empty());
    let seen = app
        .get(&format!("{path}?number={number}"), &admin)
        .await
        .expect_json(200);
    assert_eq!(numbers_of(&seen), [number]);
}
