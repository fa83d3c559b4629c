//! Rate limits per caller over HTTP: 429 problem+json with `Retry-After`
//! over the limit, the IETF `RateLimit-Policy` / `RateLimit` fields on every
//! authenticated answer, a client's own limit set by its admin (its tokens
//! survive the change), submissions counted by their values, and each of
//! two instances enforcing its share. The other tests run with limits too
//! high to be reached (helpers.rs), as CI's property-based run does.

use std::collections::HashMap;
use std::time::Duration;

use safeguarding_api::auth::{ClientToken, Role};
use safeguarding_api::db::Id;
use serde_json::{json, Value};

use crate::helpers::{
    fresh_database, id_of, migrate_up_to, spawn_app, spawn_app_on, spawn_app_with, Answer, TestApp,
};

/// A structured-field item `"name";k=v;k=v` as its name and parameters.
fn field(answer: &Answer, header: &str) -> (String, HashMap<String, u64>) {
    let value = answer
        .header(header)
        .unwrap_or_else(|| panic!("{} without {header}: {}", answer.status, answer.text()));
    let mut parts = value.split(';');
    let name = parts.next().unwrap().trim_matches('"').to_owned();
    let params = parts
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap();
            (k.to_owned(), v.parse().unwrap())
        })
        .collect();
    (name, params)
}

/// `(policy name, q, w)` and `(r, t)` of an answer.
fn limit_of(answer: &Answer) -> ((String, u64, u64), (u64, u64)) {
    let (name, policy) = field(answer, "ratelimit-policy");
    let (state_name, state) = field(answer, "ratelimit");
    assert_eq!(name, state_name, "one policy names both fields");
    ((name, policy["q"], policy["w"]), (state["r"], state["t"]))
}

fn no_limit_fields(answer: &Answer) {
    assert!(
        answer.header("ratelimit").is_none() && answer.header("ratelimit-policy").is_none(),
        "{}: an unlimited answer carries no RateLimit fields",
        answer.status
    );
}

/// A 429 in full: problem+json of its type, `Retry-After` whole seconds
/// from 1, and the fields saying the bucket is empty.
fn expect_refused(answer: &Answer) -> u64 {
    let problem = answer.expect_problem(429);
    assert_eq!(problem["type"], "urn:safeguarding-api:problem:rate-limited");
    let retry: u64 = answer
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("Retry-After in whole seconds");
    assert!(retry >= 1);
    let (_, (_, reset)) = limit_of(answer);
    assert!(reset >= 1, "an empty bucket is not full yet");
    retry
}

#[tokio::test]
async fn a_caller_over_its_rate_gets_429_and_another_of_its_partnership_does_not() {
    // Slow enough (one request refilled every 10 s) that a busy machine
    // cannot refill the bucket between the requests of the test.
    let app = spawn_app_with(&[("RATE_LIMIT_PER_MINUTE", "6"), ("RATE_LIMIT_BURST", "3")]).await;
    let h = id_of(&app.create_partnership("herefordshire").await);
    let police = app.mint("police-system", None, false, &[(h, Role::Member)], 600);
    let council = app.mint("council-system", None, false, &[(h, Role::Member)], 600);
    let people = format!("/v1/partnerships/{h}/people");

    for left in [2, 1, 0] {
        let answer = app.get(&people, &police).await;
        answer.expect_json(200);
        let ((name, q, w), (r, _)) = limit_of(&answer);
        assert_eq!((name.as_str(), q, w, r), ("default", 3, 30, left));
    }
    let refused = app.get(&people, &police).await;
    assert!((9..=10).contains(&expect_refused(&refused)));
    assert_eq!(limit_of(&refused).1 .0, 0);
    // Refused before anything else: a write is not attempted either.
    let write = app
        .post_json(
            &people,
            &police,
            &json!({"full_name": "A", "initials": "A"}),
        )
        .await;
    expect_refused(&write);

    // Another client of the same partnership has a bucket of its own.
    let answer = app.get(&people, &council).await;
    answer.expect_json(200);
    assert_eq!(limit_of(&answer).1 .0, 2);

    // The operator sees the noisy tenant.
    let metrics = app.get_anonymous("/metrics").await.text();
    assert!(
        metrics.contains(&format!(
            "rate_limit_refusals_total{{partnership=\"{h}\"}} 2"
        )),
        "{metrics}"
    );
}

#[tokio::test]
async fn every_authenticated_answer_carries_the_fields_and_no_other_does() {
    let app = spawn_app().await;
    let admin = app.platform_admin_token();
    let answer = app.get("/v1/partnerships", &admin).await;
    answer.expect_json(200);
    let ((name, q, w), (r, t)) = limit_of(&answer);
    assert_eq!((name.as_str(), q, w), ("default", 1_000_000, 60));
    assert!(r < q && t <= 1, "r={r} t={t}");
    // Errors of a limited request too.
    for (path, status) in [
        (format!("/v1/partnerships/{}", Id::new()), 404),
        ("/v1/partnerships?dry_run=true".to_owned(), 400),
    ] {
        let answer = app.get(&path, &admin).await;
        answer.expect_problem(status);
        limit_of(&answer);
    }
    // Not limited: no token, or routes outside the authenticated API.
    no_limit_fields(
        app.get_anonymous("/v1/partnerships")
            .await
            .expect_status(401),
    );
    no_limit_fields(&app.get("/v1/partnerships", "not-a-token").await);
    no_limit_fields(&app.get("/healthz", &admin).await);
    no_limit_fields(&app.get("/metrics", &admin).await);
    let public = format!(
        "/v1/public/partnerships/herefordshire/meetings/{}/minutes",
        Id::new()
    );
    no_limit_fields(&app.get_anonymous(&public).await);
    let token = app
        .send(
            app.client
                .post(app.url("/v1/oauth/token"))
                .form(&[("grant_type", "client_credentials")]),
        )
        .await;
    no_limit_fields(&token);
}

async fn client_token(app: &TestApp, issued: &Value) -> String {
    let answer = app
        .send(app.client.post(app.url("/v1/oauth/token")).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", issued["client_id"].as_str().unwrap()),
            ("client_secret", issued["client_secret"].as_str().unwrap()),
        ]))
        .await;
    no_limit_fields(&answer);
    answer.expect_json(200)["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn an_admin_sets_a_clients_own_limit_and_its_tokens_survive_the_change() {
    let app = spawn_app().await;
    let h = id_of(&app.create_partnership("herefordshire").await);
    let admin = app.token(&[(h, Role::Admin)]);
    let clients = format!("/v1/partnerships/{h}/clients");
    for bad in [
        json!(0),
        json!(-1),
        json!(1_000_001),
        json!(2.5),
        json!("60"),
    ] {
        let problem = app
            .post_json(
                &clients,
                &admin,
                &json!({"name": "Website", "role": "viewer", "rate_limit_per_minute": bad}),
            )
            .await
            .expect_problem(422);
        assert!(
            problem.to_string().contains("rate_limit_per_minute"),
            "{problem}"
        );
    }
    let issued = app
        .post_json(
            &clients,
            &admin,
            &json!({"name": "Website", "role": "viewer", "rate_limit_per_minute": 6, "rate_limit_burst": 2}),
        )
        .await
        .expect_json(201);
    assert_eq!(
        (
            &issued["rate_limit_per_minute"],
            &issued["rate_limit_burst"]
        ),
        (&json!(6), &json!(2))
    );
    let token = client_token(&app, &issued).await;
    let path = format!("/v1/partnerships/{h}/people");
    for left in [1, 0] {
        let answer = app.get(&path, &token).await;
        answer.expect_json(200);
        assert_eq!(
            limit_of(&answer),
            (("client".into(), 2, 20), (left, 10 * (2 - left)))
        );
    }
    expect_refused(&app.get(&path, &token).await);
    // The partnership's other callers keep the default.
    let other = app.get(&path, &admin).await;
    assert_eq!(limit_of(&other).0 .0, "default");

    // Raised by the admin: the same token goes on, with a full bucket of the new size.
    let client = format!("{clients}/{}", issued["id"].as_str().unwrap());
    let raised = app
        .patch_json(
            &client,
            &admin,
            Some("\"1\""),
            &json!({"rate_limit_burst": 5}),
        )
        .await;
    assert_eq!(raised.header("etag"), Some("\"2\""));
    assert_eq!(raised.expect_json(200)["rate_limit_burst"], 5);
    let answer = app.get(&path, &token).await;
    answer.expect_json(200);
    assert_eq!(limit_of(&answer).0, ("client".into(), 5, 50));
    // Bad values are refused, naming the field; nothing changes.
    let problem = app
        .patch_json(
            &client,
            &admin,
            Some("\"2\""),
            &json!({"rate_limit_burst": 0}),
        )
        .await
        .expect_problem(422);
    assert!(problem.to_string().contains("rate_limit_burst"));
    // Given back to the default.
    let cleared = app
        .patch_json(
            &client,
            &admin,
            Some("\"2\""),
            &json!({"rate_limit_per_minute": null, "rate_limit_burst": null}),
        )
        .await
        .expect_json(200);
    assert!(cleared["rate_limit_per_minute"].is_null() && cleared["rate_limit_burst"].is_null());
    let answer = app.get(&path, &token).await;
    answer.expect_json(200);
    assert_eq!(limit_of(&answer).0 .0, "default");
    // The change is audited; only a rotation ends the tokens.
    let events = app
        .get_all(
            &format!("/v1/partnerships/{h}/audit-events?resource_type=api_client"),
            &admin,
        )
        .await;
    assert_eq!(events.len(), 3, "created, raised, cleared");
    app.post_json(&format!("{client}/secret"), &admin, &json!({}))
        .await
        .expect_json(200);
    app.get(&path, &token).await.expect_problem(401);
}

/// A partnership with one member agency and one metric (`M0`), and an
/// admin token for it.
async fn with_an_agency(app: &TestApp) -> (Id, Id, String) {
    let h = id_of(&app.create_partnership("herefordshire").await);
    let admin = app.platform_admin_token();
    let police = id_of(
        &app.post_json(
            "/v1/organisations",
            &admin,
            &json!({"name": "West Mercia Police", "kind": "police"}),
        )
        .await
        .expect_json(201),
    );
    app.post_json(
        &format!("/v1/partnerships/{h}/members"),
        &admin,
        &json!({"organisation_id": police, "role": "statutory_partner"}),
    )
    .await
    .expect_json(201);
    app.post_json(
        &format!("/v1/partnerships/{h}/metrics"),
        &admin,
        &json!({"code": "M0", "name": "Children on a plan", "unit": "count"}),
    )
    .await
    .expect_json(201);
    let token = app.token_with_org("police-warehouse", police, &[(h, Role::Admin)]);
    (h, police, token)
}

/// A submission of `values` values: `M0`'s, and others of no metric
/// (rejected, but counted all the same).
fn submission(police: Id, period: &str, values: usize) -> Value {
    let values: Vec<Value> = (0..values)
        .map(|i| json!({"metric": format!("M{i}"), "value": i}))
        .collect();
    json!({"period": period, "organisation_id": police, "values": values})
}

#[tokio::test]
async fn a_submission_costs_by_its_values_and_a_large_one_waits_for_a_full_bucket() {
    // Two units a second, six at once.
    let app = spawn_app_with(&[("RATE_LIMIT_PER_MINUTE", "120"), ("RATE_LIMIT_BURST", "6")]).await;
    let (h, police, token) = with_an_agency(&app).await;
    let submissions = format!("/v1/partnerships/{h}/submissions");

    // 250 values cost three requests.
    let answer = app
        .post_json(&submissions, &token, &submission(police, "2019-20-Q2", 250))
        .await;
    assert_eq!(answer.expect_json(200)["imported"], 1);
    // (Four if half a second passed between its first unit and the rest.)
    assert!((3..=4).contains(&limit_of(&answer).1 .0));
    // 10,000 values cost the whole bucket (6, not 100): three or four are there.
    let large = submission(police, "2019-20-Q3", 10_000);
    let refused = app.post_json(&submissions, &token, &large).await;
    let retry = expect_refused(&refused);
    assert!((1..=3).contains(&retry), "Retry-After {retry}");
    // Refused before its work: nothing of it was stored.
    let q3 = format!("{submissions}?period=2019-20-Q3");
    assert_eq!(
        app.get(&q3, &token).await.expect_json(200)["items"],
        json!([])
    );

    // Once the bucket is full again it is taken, emptying it.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let answer = app.post_json(&submissions, &token, &large).await;
    assert_eq!(answer.expect_json(200)["imported"], 1);
    assert!(limit_of(&answer).1 .0 <= 1, "the bucket was emptied");
}

#[tokio::test]
async fn each_of_two_instances_enforces_its_share_of_the_limit() {
    let limits = [
        ("RATE_LIMIT_PER_MINUTE", "12"),
        ("RATE_LIMIT_BURST", "4"),
        ("INSTANCES", "2"),
    ];
    let first = spawn_app_with(&limits).await;
    let url = first.database_url.clone();
    let second = spawn_app_with(&[limits[0], limits[1], limits[2], ("DATABASE_URL", &url)]).await;
    let h = id_of(&first.create_partnership("herefordshire").await);
    let token = first.mint("police-system", None, false, &[(h, Role::Viewer)], 600);
    let path = format!("/v1/partnerships/{h}");

    // Each instance holds half the burst (2) and half the rate (6 a minute:
    // one every 10 s), and says so: together, the configured 4 at once.
    for app in [&first, &second] {
        for left in [1, 0] {
            let answer = app.get(&path, &token).await;
            answer.expect_json(200);
            assert_eq!(
                limit_of(&answer),
                (("default".into(), 2, 20), (left, 10 * (2 - left)))
            );
        }
        let retry = expect_refused(&app.get(&path, &token).await);
        assert!((9..=10).contains(&retry), "one unit every 10 s: {retry}");
    }
}

/// A client rotated twice (version 3) before its limits and its secret
/// generation had columns of their own.
const BEFORE_GENERATIONS_FIXTURE: &str = r#"
INSERT INTO partnerships (id, name, slug, area, created_at, updated_at) VALUES
 ('00000000-0000-0000-0000-000000000001', 'P', 'p', 'A', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');
INSERT INTO api_clients (id, partnership_id, name, role, platform_admin, secret_hash, version, created_at, updated_at) VALUES
 ('00000000-0000-0000-0000-0000000000e1', '00000000-0000-0000-0000-000000000001', 'Website', 'viewer', false, 'x', 3, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');
"#;

#[tokio::test]
async fn tokens_issued_before_the_migration_keep_working_after_it() {
    let (url, scratch) = fresh_database();
    // The last migration before this one.
    migrate_up_to(&url, "20261202000301", BEFORE_GENERATIONS_FIXTURE);
    let app = spawn_app_on(url, scratch, &[]).await;
    let (p, client): (Id, Id) = (
        "00000000-0000-0000-0000-000000000001".parse().unwrap(),
        "00000000-0000-0000-0000-0000000000e1".parse().unwrap(),
    );
    // Such a token carries the client's version then (`cv`: 3).
    let token = |cv| {
        app.keys
            .issue_to_client(
                ClientToken {
                    id: client,
                    generation: Some(cv),
                },
                None,
                false,
                [(p, Role::Viewer)].into_iter().collect(),
                600,
            )
            .unwrap()
    };
    let path = format!("/v1/partnerships/{p}");
    app.get(&path, &token(3)).await.expect_json(200);
    app.get(&path, &token(2)).await.expect_problem(401);
    let client = app
        .get(
            &format!("{path}/clients/{client}"),
            &app.platform_admin_token(),
        )
        .await
        .expect_json(200);
    assert!(client["rate_limit_per_minute"].is_null() && client["rate_limit_burst"].is_null());
}
