//! Performance data over HTTP: an agency's data system, authenticated as a
//! `submitter` client of its own organisation, pushes a quarter's values.

use safeguarding_api::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{id_of, spawn_app, TestApp};

struct Setup {
    partnership: String,
    police: String,
    council: String,
    /// A bearer token of the police data warehouse's submitter client.
    police_system: String,
}

/// Herefordshire with two agencies, two metrics, and the police data
/// warehouse as a submitter client that got its token from /v1/oauth/token.
async fn setup(app: &TestApp) -> Setup {
    let admin = app.platform_admin_token();
    let partnership = id_of(&app.create_partnership("herefordshire").await).to_string();
    let org = |name: &'static str, kind: &'static str| {
        let app = app.clone();
        let admin = admin.clone();
        let partnership = partnership.clone();
        async move {
            let created = app
                .post_json(
                    "/v1/organisations",
                    &admin,
                    &json!({"name": name, "kind": kind}),
                )
                .await
                .expect_json(201);
            // Values are submitted for the partnership's member agencies.
            app.post_json(
                &format!("/v1/partnerships/{partnership}/members"),
                &admin,
                &json!({"organisation_id": created["id"], "role": "statutory_partner"}),
            )
            .await
            .expect_json(201);
            created["id"].as_str().unwrap().to_owned()
        }
    };
    let police = org("West Mercia Police", "police").await;
    let council = org("Herefordshire Council", "local_authority").await;
    for (code, name, unit, max) in [
        (
            "CP-PLANS",
            "Children on a child protection plan",
            "count",
            None,
        ),
        (
            "TIMELY-ICPC",
            "Initial conferences within 15 days",
            "percent",
            Some(100.0),
        ),
    ] {
        app.post_json(
            &format!("/v1/partnerships/{partnership}/metrics"),
            &admin,
            &json!({"code": code, "name": name, "unit": unit, "min_value": 0, "max_value": max}),
        )
        .await
        .expect_json(201);
    }
    let client = app
        .post_json(
            &format!("/v1/partnerships/{partnership}/clients"),
            &admin,
            &json!({"name": "West Mercia Police data warehouse", "role": "submitter", "organisation_id": police}),
        )
        .await
        .expect_json(201);
    let token = app
        .send(app.client.post(app.url("/v1/oauth/token")).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client["client_id"].as_str().unwrap()),
            ("client_secret", client["client_secret"].as_str().unwrap()),
        ]))
        .await
        .expect_json(200);
    assert_eq!(token["scope"], "submitter");
    Setup {
        partnership,
        police,
        council,
        police_system: token["access_token"].as_str().unwrap().to_owned(),
    }
}

fn quarter(organisation: &str, plans: Value) -> Value {
    json!({
        "period": "2019-20-Q2",
        "organisation_id": organisation,
        "values": [
            {"metric": "CP-PLANS", "value": plans, "comment": "Force footprint, Herefordshire share"},
            {"metric": "TIMELY-ICPC", "value": 87.5},
        ],
    })
}

#[tokio::test]
async fn an_agency_submits_its_quarter_and_resubmits_without_duplicates() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let path = format!("/v1/partnerships/{}/submissions", s.partnership);

    let mut dry = quarter(&s.police, json!(132));
    dry["dry_run"] = json!(true);
    let summary = app
        .post_json(&path, &s.police_system, &dry)
        .await
        .expect_json(200);
    assert_eq!(
        (summary["imported"].as_u64(), summary["dry_run"].as_bool()),
        (Some(2), Some(true))
    );
    let admin = app.platform_admin_token();
    assert!(
        app.get_all(&path, &admin).await.is_empty(),
        "a dry run stores nothing"
    );

    let summary = app
        .post_json(&path, &s.police_system, &quarter(&s.police, json!(132)))
        .await
        .expect_json(200);
    assert_eq!(
        summary,
        json!({"imported": 2, "updated": 0, "unchanged": 0, "rejected": [], "dry_run": false,
               "atomic": false, "stored": true})
    );
    let summary = app
        .post_json(&path, &s.police_system, &quarter(&s.police, json!(135)))
        .await
        .expect_json(200);
    assert_eq!(
        (summary["updated"].as_u64(), summary["unchanged"].as_u64()),
        (Some(1), Some(1))
    );
    let held = app.get_all(&path, &admin).await;
    assert_eq!(held.len(), 2);
    // Exact: a count reads back as the integer sent, a percent as its decimal.
    let text = |v: &Value| v["value"].to_string();
    let mut read: Vec<String> = held.iter().map(text).collect();
    read.sort();
    assert_eq!(read, ["135", "87.5"]);
    assert!(held.iter().all(|v| v["period"] == "2019-20-Q2"));

    // Values that do not fit are rejected one by one, with index and reason.
    let summary = app
        .post_json(
            &path,
            &s.police_system,
            &json!({"period": "2019-20-Q3", "organisation_id": s.police, "values": [
                {"metric": "CP-PLANS", "value": 140},
                {"metric": "NO-SUCH", "value": 1},
                {"metric": "TIMELY-ICPC", "value": 120},
                {"metric": "CP-PLANS", "value": "lots"},
            ]}),
        )
        .await
        .expect_json(200);
    assert_eq!(summary["imported"], 1);
    let rejected: Vec<u64> = summary["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["index"].as_u64().unwrap())
        .collect();
    assert_eq!(rejected, [1, 2, 3]);
    assert!(summary["rejected"][1]["reason"]
        .as_str()
        .unwrap()
        .contains("between 0 and 100"));

    // Exact values: a count is whole, a percent has at most two places.
    let summary = app
        .post_json(
            &path,
            &s.police_system,
            &json!({"period": "2019-20-Q4", "organisation_id": s.police, "values": [
                {"metric": "CP-PLANS", "value": 1.5},
                {"metric": "TIMELY-ICPC", "value": 12.345},
            ]}),
        )
        .await
        .expect_json(200);
    let reasons: Vec<&str> = summary["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert!(reasons[0].contains("whole number"), "{reasons:?}");
    assert!(reasons[1].contains("two decimal places"), "{reasons:?}");
    let exact = json!({"period": "2019-20-Q4", "organisation_id": s.police, "values": [
        {"metric": "CP-PLANS", "value": 1},
        {"metric": "TIMELY-ICPC", "value": 12.5},
    ]});
    let summary = app
        .post_json(&path, &s.police_system, &exact)
        .await
        .expect_json(200);
    assert_eq!(summary["imported"], 2);
    let q4 = app
        .get_all(&format!("{path}?period=2019-20-Q4"), &admin)
        .await;
    let mut read: Vec<String> = q4.iter().map(text).collect();
    read.sort();
    assert_eq!(read, ["1", "12.5"]);

    // Atomic (in the body or the query): one bad value, nothing stored.
    let one_bad = json!({"period": "2020-21-Q1", "organisation_id": s.police, "values": [
        {"metric": "CP-PLANS", "value": 140},
        {"metric": "TIMELY-ICPC", "value": 101},
    ]});
    let mut atomic = one_bad.clone();
    atomic["atomic"] = json!(true);
    for (at, body) in [
        (path.clone(), atomic),
        (format!("{path}?atomic=true"), one_bad.clone()),
    ] {
        let summary = app
            .post_json(&at, &s.police_system, &body)
            .await
            .expect_json(200);
        assert_eq!(
            (&summary["imported"], &summary["atomic"], &summary["stored"]),
            (&json!(1), &json!(true), &json!(false)),
            "{summary}"
        );
    }
    // A dry run asked in the query; the two ways disagreeing is 400.
    let summary = app
        .post_json(
            &format!("{path}?dry_run=true"),
            &s.police_system,
            &quarter(&s.police, json!(9)),
        )
        .await
        .expect_json(200);
    assert_eq!(
        (&summary["dry_run"], &summary["stored"]),
        (&json!(true), &json!(false))
    );
    let mut disagree = quarter(&s.police, json!(9));
    disagree["dry_run"] = json!(false);
    let problem = app
        .post_json(&format!("{path}?dry_run=true"), &s.police_system, &disagree)
        .await
        .expect_problem(400);
    assert_eq!(problem["errors"][0]["field"], "dry_run");
    let q1 = app
        .get_all(&format!("{path}?period=2020-21-Q1"), &admin)
        .await;
    assert!(
        q1.is_empty(),
        "atomic submissions with a rejection store nothing"
    );
    // Without atomic, the good value of the same submission is taken.
    let summary = app
        .post_json(&path, &s.police_system, &one_bad)
        .await
        .expect_json(200);
    assert_eq!(
        (&summary["imported"], &summary["stored"]),
        (&json!(1), &json!(true))
    );
    assert_eq!(
        app.get_all(&format!("{path}?period=2020-21-Q1"), &admin)
            .await
            .len(),
        1
    );

    // A retry with the same Idempotency-Key replays the first answer.
    let body = quarter(&s.police, json!(150));
    let first = app
        .post_json_idempotent(&path, &s.police_system, "q2-push-7", &body)
        .await;
    let again = app
        .post_json_idempotent(&path, &s.police_system, "q2-push-7", &body)
        .await;
    assert_eq!(first.text(), again.text());
    assert_eq!(again.header("idempotent-replayed"), Some("true"));

    // The whole submission is refused when its frame is wrong.
    let mut bad = quarter(&s.police, json!(1));
    bad["period"] = json!("Q2 2019");
    let problem = app
        .post_json(&path, &s.police_system, &bad)
        .await
        .expect_problem(422);
    assert_eq!(problem["errors"][0]["field"], "period");
}

#[tokio::test]
async fn a_submitter_submits_only_for_its_own_organisation() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let path = format!("/v1/partnerships/{}/submissions", s.partnership);

    let problem = app
        .post_json(&path, &s.police_system, &quarter(&s.council, json!(10)))
        .await
        .expect_problem(403);
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("own organisation"));
    let admin = app.platform_admin_token();
    assert!(
        app.get_all(&path, &admin).await.is_empty(),
        "nothing was stored"
    );

    // It reads back only its own organisation's values.
    app.post_json(&path, &admin, &quarter(&s.council, json!(10)))
        .await
        .expect_json(200);
    app.post_json(&path, &s.police_system, &quarter(&s.police, json!(12)))
        .await
        .expect_json(200);
    let own = app.get_all(&path, &s.police_system).await;
    assert_eq!(own.len(), 2);
    assert!(own.iter().all(|v| v["organisation_id"] == json!(s.police)));
    app.get(
        &format!("{path}?organisation_id={}", s.council),
        &s.police_system,
    )
    .await
    .expect_problem(403);
    // It reads metrics, but not the partnership's governance records.
    app.get(
        &format!("/v1/partnerships/{}/metrics", s.partnership),
        &s.police_system,
    )
    .await
    .expect_json(200);
    app.get(
        &format!("/v1/partnerships/{}/people", s.partnership),
        &s.police_system,
    )
    .await
    .expect_problem(403);

    // Members and viewers do not submit; another partnership's submitter learns nothing.
    let pid = s.partnership.parse().unwrap();
    for role in [Role::Member, Role::Viewer] {
        let token = app.token_with_org("agency", s.police.parse().unwrap(), &[(pid, role)]);
        app.post_json(&path, &token, &quarter(&s.police, json!(1)))
            .await
            .expect_problem(403);
    }
    let other = id_of(&app.create_partnership("nottinghamshire").await);
    let outsider = app.token_with_org(
        "notts-police",
        s.police.parse().unwrap(),
        &[(other, Role::Submitter)],
    );
    app.post_json(&path, &outsider, &quarter(&s.police, json!(1)))
        .await
        .expect_problem(404);
    app.get(&path, &outsider).await.expect_problem(404);
    let metrics = format!("/v1/partnerships/{}/metrics", s.partnership);
    app.get(&metrics, &outsider).await.expect_problem(404);
    app.post_json(
        &metrics,
        &outsider,
        &json!({"code": "X", "name": "x", "unit": "count"}),
    )
    .await
    .expect_problem(404);

    // Only admins define metrics, and a bad definition is refused whole.
    let viewer = app.token(&[(pid, Role::Viewer)]);
    app.post_json(
        &metrics,
        &viewer,
        &json!({"code": "X", "name": "x", "unit": "count"}),
    )
    .await
    .expect_problem(403);
    let problem = app
        .post_json(
            &metrics,
            &app.platform_admin_token(),
            &json!({"code": "cp plans", "name": " ", "unit": "count", "min_value": 5, "max_value": 1}),
        )
        .await
        .expect_problem(422);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["code", "name", "max_value"]);
}

/// Resubmissions racing each other update the same values in opposite orders.
/// Each write holds the partnership's change-log counter before it locks a
/// value, so on PostgreSQL they queue instead of deadlocking: every one is
/// answered 200, none 409 or 500, and the log stays gap-free.
#[tokio::test]
async fn racing_resubmissions_in_opposite_orders_all_succeed() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let path = format!("/v1/partnerships/{}/submissions", s.partnership);
    let admin = app.platform_admin_token();
    app.post_json(&path, &admin, &quarter(&s.police, json!(100)))
        .await
        .expect_json(200);
    let racers: Vec<_> = (0..8)
        .map(|i| {
            let (app, admin, path, police) =
                (app.clone(), admin.clone(), path.clone(), s.police.clone());
            tokio::spawn(async move {
                let mut values = vec![
                    json!({"metric": "CP-PLANS", "value": 101 + i}),
                    json!({"metric": "TIMELY-ICPC", "value": 50 + i}),
                ];
                if i % 2 == 1 {
                    values.reverse();
                }
                let body =
                    json!({"period": "2019-20-Q2", "organisation_id": police, "values": values});
                app.post_json(&path, &admin, &body).await.expect_json(200)
            })
        })
        .collect();
    for racer in racers {
        let summary = racer.await.unwrap();
        assert_eq!(summary["updated"], 2, "{summary}");
    }
    let log = app
        .get_all(
            &format!("/v1/partnerships/{}/audit-events", s.partnership),
            &admin,
        )
        .await;
    let seqs: Vec<i64> = log.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
}

/// Rows as the service wrote them while values were doubles: a metric
/// bounded 0.5 to 99.5, an unbounded one, values 87.5 and 132, and one far
/// beyond the range values now have.
const BEFORE_EXACT_FIXTURE: &str = r#"
INSERT INTO partnerships (id, name, slug, area, created_at, updated_at) VALUES
 ('00000000-0000-0000-0000-000000000001', 'P', 'p', 'A', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');
INSERT INTO organisations (id, name, kind, created_at, updated_at, name_key) VALUES
 ('00000000-0000-0000-0000-0000000000a1', 'Police', 'police', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z', 'police');
INSERT INTO metrics (id, partnership_id, code, name, unit, min_value, max_value, created_at, updated_at) VALUES
 ('00000000-0000-0000-0000-0000000000e1', '00000000-0000-0000-0000-000000000001', 'TIMELY', 'Timely', 'percent', 0.5, 99.5, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'),
 ('00000000-0000-0000-0000-0000000000e2', '00000000-0000-0000-0000-000000000001', 'PLANS', 'Plans', 'count', NULL, NULL, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');
INSERT INTO metric_values (id, partnership_id, metric_id, organisation_id, period, value, submitted_by, created_at, updated_at) VALUES
 ('00000000-0000-0000-0000-0000000000f1', '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-0000000000e1', '00000000-0000-0000-0000-0000000000a1', '2019-20-Q2', 87.5, 'x', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'),
 ('00000000-0000-0000-0000-0000000000f2', '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-0000000000e2', '00000000-0000-0000-0000-0000000000a1', '2019-20-Q2', 132, 'x', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'),
 ('00000000-0000-0000-0000-0000000000f3', '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-0000000000e2', '00000000-0000-0000-0000-0000000000a1', '2019-20-Q3', 1e20, 'x', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');
"#;

#[tokio::test]
async fn the_migration_keeps_doubles_as_exact_hundredths() {
    use crate::helpers::{fresh_database, migrate_up_to, spawn_app_on};
    let (url, scratch) = fresh_database();
    // The last migration while values were doubles.
    migrate_up_to(&url, "20261203000101", BEFORE_EXACT_FIXTURE);
    let app = spawn_app_on(url, scratch, &[]).await;
    let admin = app.platform_admin_token();
    let p = "/v1/partnerships/00000000-0000-0000-0000-000000000001";
    let values = app.get_all(&format!("{p}/submissions"), &admin).await;
    let read: Vec<String> = values.iter().map(|v| v["value"].to_string()).collect();
    assert_eq!(read, ["87.5", "132", "10000000000000"]);
    let metrics = app.get_all(&format!("{p}/metrics"), &admin).await;
    assert_eq!(metrics[0]["min_value"].to_string(), "0.5");
    assert_eq!(metrics[0]["max_value"].to_string(), "99.5");
    assert_eq!(metrics[1]["min_value"], Value::Null);
    assert_eq!(metrics[1]["max_value"], Value::Null);
    // The bounds still bound, and still order.
    let at = format!("{p}/metrics/00000000-0000-0000-0000-0000000000e1");
    let refused = app
        .patch_json(&at, &admin, Some("\"1\""), &json!({"min_value": 100}))
        .await
        .expect_problem(422);
    assert_eq!(refused["errors"][0]["field"], "max_value");
}

#[tokio::test]
async fn a_metric_reads_as_a_table_of_quarters_with_exact_totals() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let admin = app.platform_admin_token();
    let p = format!("/v1/partnerships/{}", s.partnership);
    let submit = |org: String, period: &'static str, value: Value| {
        let (app, admin, p) = (app.clone(), admin.clone(), p.clone());
        async move {
            let body = json!({"period": period, "organisation_id": org,
                              "values": [{"metric": "TIMELY-ICPC", "value": value}]});
            let summary = app
                .post_json(&format!("{p}/submissions"), &admin, &body)
                .await
                .expect_json(200);
            assert_eq!(summary["imported"], 1, "{summary}");
        }
    };
    submit(s.police.clone(), "2019-20-Q1", json!(0.1)).await;
    submit(s.council.clone(), "2019-20-Q1", json!(0.2)).await;
    submit(s.police.clone(), "2019-20-Q2", json!(12.5)).await;
    let metrics = app.get_all(&format!("{p}/metrics"), &admin).await;
    let timely = metrics.iter().find(|m| m["code"] == "TIMELY-ICPC").unwrap();
    let at = format!("{p}/metrics/{}/table", timely["id"].as_str().unwrap());

    let table = app
        .get(&format!("{at}?from=2019-20-Q1&to=2019-20-Q3"), &admin)
        .await
        .expect_json(200);
    let names: Vec<&str> = table["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Herefordshire Council", "West Mercia Police"]);
    let rows = table["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    // 0.1 + 0.2 is 0.3 here, and their mean 0.15.
    assert_eq!(rows[0]["values"].to_string(), "[0.2,0.1]");
    assert_eq!(rows[0]["total"].to_string(), "0.3");
    assert_eq!(rows[0]["mean"].to_string(), "0.15");
    assert_eq!(rows[0]["reported"], 2);
    assert_eq!(rows[1]["values"].to_string(), "[null,12.5]");
    assert_eq!(rows[2]["total"], Value::Null);
    assert_eq!(rows[2]["reported"], 0);
    // Left out, the range is the metric's quarters with values.
    let whole = app.get(&at, &admin).await.expect_json(200);
    assert_eq!(whole["rows"].as_array().unwrap().len(), 2);

    let csv = app.get_accept(&at, &admin, "text/csv").await;
    csv.expect_status(200);
    let text = csv.text();
    assert!(
        text.starts_with("\"Period\",\"Herefordshire Council\",\"West Mercia Police\",\"Total\",\"Mean\",\"Reported\""),
        "{text}"
    );
    assert!(text.contains("\"2019-20-Q1\",0.2,0.1,0.3,0.15,2"), "{text}");
    // The values themselves as CSV; a submitter's export holds its own only.
    let values = app
        .get_accept(
            &format!("{p}/submissions?period=2019-20-Q1"),
            &admin,
            "text/csv",
        )
        .await;
    values.expect_status(200);
    let text = values.text();
    assert!(
        text.starts_with("\"Period\",\"Metric\",\"Organisation\",\"Value\""),
        "{text}"
    );
    assert!(
        text.contains("\"2019-20-Q1\",\"TIMELY-ICPC\",\"West Mercia Police\",0.1,"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 3, "{text}");
    let own = app
        .get_accept(&format!("{p}/submissions"), &s.police_system, "text/csv")
        .await;
    own.expect_status(200);
    assert!(
        !own.text().contains("Herefordshire Council"),
        "{}",
        own.text()
    );
    assert_eq!(own.text().lines().count(), 3, "{}", own.text());

    // A bad quarter is 400 naming it; a submitter does not read the table.
    let bad = app
        .get(&format!("{at}?from=2019-21-Q1"), &admin)
        .await
        .expect_problem(400);
    assert_eq!(bad["errors"][0]["field"], "from");
    app.get(&at, &s.police_system).await.expect_problem(403);
}
