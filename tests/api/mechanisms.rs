//! The shared mechanisms, proven over HTTP through the partnership endpoints:
//! cursor pagination, ETag/If-Match, Idempotency-Key and the audit trail.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::task::JoinSet;

use crate::helpers::{id_of, spawn_app, TestApp, PLATFORM_ADMIN};

pub(crate) fn partnership_body(slug: &str) -> Value {
    json!({ "name": format!("Partnership {slug}"), "slug": slug, "area": "Test area" })
}

/// Creates one partnership per slug, `concurrency` requests at a time; returns their ids.
async fn create_many(app: &TestApp, slugs: &[String], concurrency: usize) -> Vec<String> {
    let token = app.platform_admin_token();
    let mut ids = Vec::with_capacity(slugs.len());
    for batch in slugs.chunks(concurrency) {
        let mut set = JoinSet::new();
        for slug in batch {
            let (app, token, slug) = (app.clone(), token.clone(), slug.clone());
            set.spawn(async move {
                app.post_json("/v1/partnerships", &token, &partnership_body(&slug))
                    .await
                    .expect_json(201)["id"]
                    .as_str()
                    .expect("id")
                    .to_owned()
            });
        }
        while let Some(id) = set.join_next().await {
            ids.push(id.expect("create task"));
        }
    }
    ids
}

pub(crate) async fn count_partnerships(app: &TestApp) -> usize {
    app.get_all("/v1/partnerships", &app.platform_admin_token())
        .await
        .len()
}

// --- pagination ---------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagination_walks_every_record_once_while_records_are_inserted() {
    let app = spawn_app().await;
    let token = app.platform_admin_token();
    let slugs: Vec<String> = (0..1000).map(|i| format!("p-{i:04}")).collect();
    let originals = create_many(&app, &slugs, 20).await;
    assert_eq!(originals.len(), 1000);

    // A writer inserts 100 more while the walk runs; the walk waits for at
    // least one insert before each page, so the two really interleave.
    let inserted = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (app, token, inserted) = (app.clone(), token.clone(), inserted.clone());
        tokio::spawn(async move {
            let mut late = Vec::new();
            for i in 0..100 {
                let created = app
                    .post_json(
                        "/v1/partnerships",
                        &token,
                        &partnership_body(&format!("late-{i:03}")),
                    )
                    .await
                    .expect_json(201);
                late.push(created["id"].as_str().expect("id").to_owned());
                inserted.fetch_add(1, Ordering::SeqCst);
            }
            late
        })
    };

    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    let mut last_inserted = 0;
    loop {
        let deadline = Instant::now() + Duration::from_secs(30);
        while inserted.load(Ordering::SeqCst) == last_inserted && last_inserted < 100 {
            assert!(
                Instant::now() < deadline,
                "the writer stopped making progress"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        last_inserted = inserted.load(Ordering::SeqCst);

        let path = match &cursor {
            Some(c) => format!("/v1/partnerships?limit=37&cursor={c}"),
            None => "/v1/partnerships?limit=37".to_owned(),
        };
        let page = app.get(&path, &token).await.expect_json(200);
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 37, "a page holds at most `limit` items");
        seen.extend(
            items
                .iter()
                .map(|p| p["id"].as_str().expect("id").to_owned()),
        );
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(next) => {
                assert_eq!(items.len(), 37, "only the last page may be short");
                cursor = Some(next.to_owned());
            }
            None => break,
        }
        assert!(pages < 200, "the walk does not end");
    }
    let late = writer.await.expect("writer task");
    assert_eq!(late.len(), 100);

    let mut counts: HashMap<&str, usize> = HashMap::new();
    for id in &seen {
        *counts.entry(id.as_str()).or_default() += 1;
    }
    let duplicates: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicates.is_empty(), "ids seen twice: {duplicates:?}");
    let missing: Vec<_> = originals
        .iter()
        .filter(|id| !counts.contains_key(id.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} original ids never seen",
        missing.len()
    );
    let known: HashSet<&str> = originals
        .iter()
        .chain(late.iter())
        .map(String::as_str)
        .collect();
    assert!(
        seen.iter().all(|id| known.contains(id.as_str())),
        "the walk returned an id nobody created"
    );
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "pages come in id (creation) order"
    );

    // Once the writer is done, a fresh walk sees all 1,100.
    assert_eq!(count_partnerships(&app).await, 1100);
}

#[tokio::test]
async fn limit_defaults_to_50_and_must_be_1_to_500() {
    let app = spawn_app().await;
    let token = app.platform_admin_token();
    let slugs: Vec<String> = (0..51).map(|i| format!("p-{i:02}")).collect();
    create_many(&app, &slugs, 10).await;

    let page = app.get("/v1/partnerships", &token).await.expect_json(200);
    assert_eq!(page["items"].as_array().expect("items").len(), 50);
    assert!(page["next_cursor"].is_string());

    let page = app
        .get("/v1/partnerships?limit=500", &token)
        .await
        .expect_json(200);
    assert_eq!(page["items"].as_array().expect("items").len(), 51);
    assert!(page["next_cursor"].is_null(), "the last page has no cursor");

    for limit in ["0", "501", "-1"] {
        let problem = app
            .get(&format!("/v1/partnerships?limit={limit}"), &token)
            .await
            .expect_problem(400);
        assert!(
            problem["detail"].as_str().unwrap_or("").contains("limit"),
            "limit={limit}: {problem}"
        );
    }
}

#[tokio::test]
async fn tampered_cursor_is_400() {
    let app = spawn_app().await;
    let token = app.platform_admin_token();
    app.create_partnership("first").await;
    app.create_partnership("second").await;
    let page = app
        .get("/v1/partnerships?limit=1", &token)
        .await
        .expect_json(200);
    let cursor = page["next_cursor"].as_str().expect("a cursor").to_owned();
    app.get(&format!("/v1/partnerships?limit=1&cursor={cursor}"), &token)
        .await
        .expect_status(200);

    let mut tampered = cursor.clone().into_bytes();
    tampered[5] = if tampered[5] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ascii");
    for bad in [tampered.as_str(), "not-a-cursor", "AAAA"] {
        app.get(&format!("/v1/partnerships?limit=1&cursor={bad}"), &token)
            .await
            .expect_problem(400);
    }
}

// --- ETag / If-Match ----------------------------------------------------------

#[tokio::test]
async fn matching_if_match_bumps_version_and_etag() {
    let app = spawn_app().await;
    let token = app.platform_admin_token();
    let created = app
        .post_json(
            "/v1/partnerships",
            &token,
            &partnership_body("herefordshire"),
        )
        .await;
    let record = created.expect_json(201);
    assert_eq!(record["version"], 1);
    assert_eq!(created.header("etag"), Some("\"1\""));
    let path = format!("/v1/partnerships/{}", id_of(&record));
    assert_eq!(created.header("location"), Some(path.as_str()));

    let read = app.get(&path, &token).await;
    read.expect_status(200);
    assert_eq!(read.header("etag"), Some("\"1\""));

    let updated = app
        .patch_json(
            &path,
            &token,
            Some("\"1\""),
            &json!({ "area": "County of Herefordshire" }),
        )
        .await;
    let after = updated.expect_json(200);
    assert_eq!(after["version"], 2);
    assert_eq!(after["area"], "County of Herefordshire");
    assert_eq!(after["name"], record["name"], "fields left out are kept");
    assert_eq!(updated.header("etag"), Some("\"2\""));

    let read = app.get(&path, &token).await;
    assert_eq!(read.header("etag"), Some("\"2\""));
    assert_eq!(read.json(), after);
}

#[tokio::test]
async fn stale_if_match_is_412_and_changes_nothing() {
    let app = spawn_app().await;
    let token = app.platform_admin_token();
    let record = app.create_partnership("herefordshire").await;
    let path = format!("/v1/partnerships/{}", id_of(&record));
    let current = app
        .patch_json(
            &path,
            &token,
            Some("\"1\""),
            &json!({ "name": "First edit" }),
        )
        .await
        .expect_json(200);

    // A second system still holding version 1.
    app.patch_json(
        &path,
        &token,
        Some("\"1\""),
        &json!({ "name": "Lost update" }),
    )
    .await
    .expect_problem(412);
    // A weak or unparsable tag never matches.
    app.patch_json(&path, &token, Some("W/\"2\""), &json!({ "name": "Weak" }))
        .await
        .expect_problem(412);

    let read = app.get(&path, &token).await;
    assert_eq!(read.header("etag"), Some("\"2\""));
    let now = read.json();
    assert_eq!(now["name"], "First edit");
    assert_eq!(now["version"], 2);
    assert_eq!(now, current);
}

#[tokio::test]
async fn missing_if_match_is_428_and_changes_nothing() {
    let app = spawn_app().await;
    let token = app.platform_admin_token();
    let record = app.create_partnership("herefordshire").await;
    let path = format!("/v1/partnerships/{}", id_of(&record));
    app.patch_json(&path, &token, None, &json!({ "name": "No precondition" }))
        .await
        .expect_problem(428);
    assert_eq!(app.get(&path, &token).await.expect_json(200), record);
}

// --- Idempotency-Key ----------------------------------------------------------

#[tokio::test]
async fn idempotent_retry_replays_the_first_answer() {
    let app = spawn_app().await;
    let token = app.platform_admin_token();
    let body = partnership_body("herefordshire");
    let first = app
        .post_json_idempotent("/v1/partnerships", &token, "retry-1", &body)
        .await;
    first.expect_status(201);
    let retry = app
        .post_json_idempotent("/v1/partnerships", &token, "retry-1", &body)
        .await;

    assert_eq!(retry.status, first.status);
    assert_eq!(retry.body, first.body, "the replay is byte for byte");
    for header in ["etag", "location", "content-type"] {
        assert_eq!(retry.header(header), first.header(header), "{header}");
    }
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        count_partnerships(&app).await,
        1,
        "the retry created nothing"
    );
}

#[tokio::test]
async fn same_idempotency_key_with_another_body_is_422() {
    let app = spawn_app().await;
    let token = app.platform_admin_token();
    app.post_json_idempotent(
        "/v1/partnerships",
        &token,
        "k-1",
        &partnership_body("first"),
    )
    .await
    .expect_status(201);
    app.post_json_idempotent(
        "/v1/partnerships",
        &token,
        "k-1",
        &partnership_body("second"),
    )
    .await
    .expect_problem(422);
    assert_eq!(count_partnerships(&app).await, 1);
}

#[tokio::test]
async fn idempotency_keys_are_scoped_to_the_caller() {
    let app = spawn_app().await;
    let first = app.platform_admin_token();
    let other = app.platform_admin_token_as("another-platform-admin");
    let a = app
        .post_json_idempotent(
            "/v1/partnerships",
            &first,
            "shared",
            &partnership_body("first"),
        )
        .await
        .expect_json(201);
    // Another caller's key of the same name is its own: the request runs.
    let b = app
        .post_json_idempotent(
            "/v1/partnerships",
            &other,
            "shared",
            &partnership_body("second"),
        )
        .await
        .expect_json(201);
    assert_ne!(a["id"], b["id"]);
    // The same body under the other caller runs too (and meets the unique slug)
    // rather than replaying the first caller's answer.
    app.post_json_idempotent(
        "/v1/partnerships",
        &other,
        "again",
        &partnership_body("first"),
    )
    .await
    .expect_problem(409);
    assert_eq!(count_partnerships(&app).await, 2);
}

#[tokio::test]
async fn malformed_idempotency_key_is_400() {
    let app = spawn_app().await;
    let token = app.platform_admin_token();
    app.post_json_idempotent(
        "/v1/partnerships",
        &token,
        &"k".repeat(256),
        &partnership_body("first"),
    )
    .await
    .expect_problem(400);
    assert_eq!(count_partnerships(&app).await, 0);
}

// --- audit --------------------------------------------------------------------

#[tokio::test]
async fn every_change_has_its_audit_event() {
    let app = spawn_app().await;
    let token = app.platform_admin_token();
    let created = app.create_partnership("herefordshire").await;
    let id = id_of(&created);
    let path = format!("/v1/partnerships/{id}");
    let updated = app
        .patch_json(&path, &token, Some("\"1\""), &json!({ "name": "Renamed" }))
        .await
        .expect_json(200);

    let events = app
        .get_all(&format!("/v1/partnerships/{id}/audit-events"), &token)
        .await;
    assert_eq!(events.len(), 2, "{events:?}");
    let (create, update) = (&events[0], &events[1]);
    for event in &events {
        assert_eq!(event["actor"], PLATFORM_ADMIN);
        assert_eq!(event["resource_type"], "partnership");
        assert_eq!(event["resource_id"], created["id"]);
        assert_eq!(event["partnership_id"], created["id"]);
        assert!(event["occurred_at"].is_string());
    }
    assert_eq!(create["action"], "create");
    assert!(create["before_state"].is_null());
    assert_eq!(create["after_state"], created);
    assert_eq!(update["action"], "update");
    assert_eq!(update["before_state"], created);
    assert_eq!(update["after_state"], updated);

    // A refused change leaves no trace.
    app.patch_json(&path, &token, Some("\"1\""), &json!({ "name": "Stale" }))
        .await
        .expect_problem(412);
    let events = app
        .get_all(&format!("/v1/partnerships/{id}/audit-events"), &token)
        .await;
    assert_eq!(events.len(), 2);
}
