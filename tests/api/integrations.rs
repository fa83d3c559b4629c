//! The change feed and webhooks, over HTTP against a real database: the feed
//! resumed from its cursor misses nothing and repeats nothing under
//! concurrent writes, long polls answer when a change commits, viewers are
//! not told of confidential changes; a receiver on 127.0.0.1 gets each
//! event once, signed, retried after failing, and nothing of another
//! partnership; two instances deliver each event once; private receivers are
//! refused without the setting.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::Engine;
use futures_util::StreamExt;
use hmac::{Hmac, Mac};
use safeguarding_api::auth::Role;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::{id_of, spawn_app, spawn_app_with, TestApp};
use crate::seed::{self, Seed};

fn person(initials: &str) -> Value {
    json!({"full_name": format!("Person {initials}"), "initials": initials})
}

/// Reads the feed from `after` to its end (long polls of `wait` seconds
/// until an empty answer), answering the changes and the cursor at the end.
async fn read_feed(
    app: &TestApp,
    token: &str,
    p: &str,
    mut after: i64,
    wait: u32,
) -> (Vec<Value>, i64) {
    let mut seen = Vec::new();
    loop {
        let page = app
            .get(
                &format!("/v1/partnerships/{p}/changes?after_seq={after}&limit=37&wait={wait}"),
                token,
            )
            .await
            .expect_json(200);
        let items = page["items"].as_array().unwrap().clone();
        after = page["next_after_seq"].as_i64().unwrap();
        let done = items.is_empty() && page["has_more"] == json!(false);
        seen.extend(items);
        if done {
            return (seen, after);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_feed_resumes_from_its_cursor_with_nothing_missed_or_twice_under_1000_concurrent_writes(
) {
    let app = spawn_app().await;
    let p = id_of(&app.create_partnership("feed").await).to_string();
    let admin = app.platform_admin_token();
    // A follower reading while the writes run, resuming from each cursor.
    let follower = {
        let (app, admin, p) = (app.clone(), admin.clone(), p.clone());
        tokio::spawn(async move {
            let mut all = Vec::new();
            let mut after = 0;
            while all.len() < 1_001 {
                let (page, next) = read_feed(&app, &admin, &p, after, 2).await;
                all.extend(page);
                after = next;
            }
            all
        })
    };
    let people = format!("/v1/partnerships/{p}/people");
    let created: Vec<String> = futures_util::stream::iter(0..1_000)
        .map(|i| {
            let (app, admin, people) = (app.clone(), admin.clone(), people.clone());
            async move {
                let body = app
                    .post_json(&people, &admin, &person(&format!("P{i:04}")))
                    .await
                    .expect_json(201);
                body["id"].as_str().unwrap().to_owned()
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let seen = tokio::time::timeout(Duration::from_secs(120), follower)
        .await
        .expect("the follower caught up")
        .unwrap();
    let seqs: Vec<i64> = seen.iter().map(|c| c["seq"].as_i64().unwrap()).collect();
    assert_eq!(
        seqs,
        (1..=1_001).collect::<Vec<_>>(),
        "every change once, in order"
    );
    let people_seen: BTreeSet<String> = seen
        .iter()
        .filter(|c| c["resource_type"] == "person")
        .map(|c| {
            assert_eq!(c["change"], "create");
            assert_eq!(c["version"], 1);
            assert!(c.get("after_state").is_none(), "no records in the feed");
            c["resource_id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(people_seen, created.into_iter().collect());
    // At the end the cursor still comes back, to resume from.
    let end = app
        .get(
            &format!("/v1/partnerships/{p}/changes?after_seq=1001"),
            &admin,
        )
        .await
        .expect_json(200);
    assert_eq!(end["items"], json!([]));
    assert_eq!(end["next_after_seq"], 1001);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_poll_answers_when_a_change_commits() {
    let app = spawn_app().await;
    let p = id_of(&app.create_partnership("poll").await).to_string();
    let admin = app.platform_admin_token();
    let (_, end) = read_feed(&app, &admin, &p, 0, 0).await;
    let poll = {
        let (app, admin, p) = (app.clone(), admin.clone(), p.clone());
        tokio::spawn(async move {
            let asked = Instant::now();
            let page = app
                .get(
                    &format!("/v1/partnerships/{p}/changes?after_seq={end}&wait=20"),
                    &admin,
                )
                .await
                .expect_json(200);
            (page, asked.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.post_json(
        &format!("/v1/partnerships/{p}/people"),
        &admin,
        &person("LP"),
    )
    .await
    .expect_json(201);
    let (page, waited) = poll.await.unwrap();
    assert_eq!(page["items"][0]["resource_type"], "person");
    assert!(
        waited < Duration::from_secs(15),
        "woken by the commit, not the timeout: {waited:?}"
    );
    // Out of range: 400 naming the parameter.
    let problem = app
        .get(&format!("/v1/partnerships/{p}/changes?wait=31"), &admin)
        .await
        .expect_problem(400);
    assert!(problem["detail"].as_str().unwrap().contains("wait"));
}

#[tokio::test]
async fn viewers_are_not_told_of_confidential_changes_nor_anyone_but_admins_of_webhooks() {
    let app = spawn_app_with(&[("WEBHOOK_ALLOW_PRIVATE", "1")]).await;
    let seed: Seed = seed::load(&app, seed::HEREFORDSHIRE).await;
    let p = seed.partnership_id;
    let admin = app.platform_admin_token();
    let items = format!("/v1/meetings/{}/items", seed.meeting_id);
    let secret = app
        .post_json(
            &items,
            &admin,
            &json!({"number": "9.1", "title": "Case review: child D", "confidential": true}),
        )
        .await
        .expect_json(201);
    let open = app
        .post_json(
            &items,
            &admin,
            &json!({"number": "9.2", "title": "Any other business"}),
        )
        .await
        .expect_json(201);
    let decision = app
        .post_json(
            &format!(
                "/v1/meetings/{}/items/{}/decisions",
                seed.meeting_id,
                secret["id"].as_str().unwrap()
            ),
            &admin,
            &json!({"outcome": "agreed", "text": "Refer child D's case to the panel."}),
        )
        .await
        .expect_json(201);
    app.post_json(
        &format!("/v1/partnerships/{p}/webhooks"),
        &admin,
        &json!({"url": "http://127.0.0.1:9/hook", "event_types": ["agenda_item.created"]}),
    )
    .await
    .expect_json(201);
    // Removed: the deletion is under the confidential item too.
    app.delete(
        &format!(
            "/v1/meetings/{}/items/{}/decisions/{}",
            seed.meeting_id,
            secret["id"].as_str().unwrap(),
            decision["id"].as_str().unwrap()
        ),
        &admin,
        Some(&seed::etag(&decision)),
    )
    .await
    .expect_status(204);
    let ids = |token: String| {
        let (app, p) = (app.clone(), p.to_string());
        async move {
            let (seen, _) = read_feed(&app, &token, &p, 0, 0).await;
            seen.iter()
                .map(|c| {
                    (
                        c["resource_type"].as_str().unwrap().to_owned(),
                        c["resource_id"].as_str().unwrap().to_owned(),
                    )
                })
                .collect::<BTreeSet<_>>()
        }
    };
    let secret_id = (
        "agenda_item".to_owned(),
        secret["id"].as_str().unwrap().to_owned(),
    );
    let open_id = (
        "agenda_item".to_owned(),
        open["id"].as_str().unwrap().to_owned(),
    );
    let by_admin = ids(app.token(&[(p, Role::Admin)])).await;
    let by_member = ids(app.token(&[(p, Role::Member)])).await;
    let by_viewer = ids(app.token(&[(p, Role::Viewer)])).await;
    assert!(by_admin.contains(&secret_id) && by_admin.contains(&open_id));
    assert!(by_admin.iter().any(|(t, _)| t == "webhook"));
    assert!(by_member.contains(&secret_id));
    assert!(
        !by_member.iter().any(|(t, _)| t == "webhook"),
        "webhooks are admins' business"
    );
    assert!(by_viewer.contains(&open_id));
    assert!(
        !by_viewer.contains(&secret_id),
        "a viewer is not told a confidential item changed"
    );
    let decision_id = (
        "decision".to_owned(),
        decision["id"].as_str().unwrap().to_owned(),
    );
    assert!(by_member.contains(&decision_id));
    assert!(
        !by_viewer.contains(&decision_id),
        "nor that a decision under one did"
    );
    // Another partnership's people and submitters read nothing.
    let other = app.token(&[(safeguarding_api::db::Id::new(), Role::Admin)]);
    app.get(&format!("/v1/partnerships/{p}/changes"), &other)
        .await
        .expect_problem(404);
    let submitter = app.token(&[(p, Role::Submitter)]);
    app.get(&format!("/v1/partnerships/{p}/changes"), &submitter)
        .await
        .expect_problem(403);
}

/// A receiver on 127.0.0.1: records every request, and answers 500 to the
/// first `failures` attempts of each `webhook-id`, then 204.
#[derive(Clone, Default)]
struct Receiver {
    log: Arc<Mutex<Vec<Received>>>,
}

#[derive(Clone, Debug)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
    status: u16,
}

impl Receiver {
    async fn start(failures: usize) -> (Receiver, String) {
        let receiver = Receiver::default();
        let log = receiver.log.clone();
        let server = HttpServer::new(move || {
            let log = log.clone();
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let log = log.clone();
                async move {
                    let header = |name: &str| {
                        req.headers()
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    let mut log = log.lock().unwrap();
                    let id = header("webhook-id");
                    let before = log.iter().filter(|r| r.id == id).count();
                    let status = if before < failures { 500 } else { 204 };
                    log.push(Received {
                        id,
                        timestamp: header("webhook-timestamp"),
                        signature: header("webhook-signature"),
                        body: String::from_utf8_lossy(&body).into_owned(),
                        status,
                    });
                    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
                        .finish()
                }
            }))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
        let address = server.addrs()[0];
        tokio::spawn(server.run());
        (receiver, format!("http://{address}/hooks/safeguarding"))
    }

    fn received(&self) -> Vec<Received> {
        self.log.lock().unwrap().clone()
    }

    /// Waits until `n` distinct events were acknowledged (at most 60 s).
    async fn until_delivered(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let got = self.received();
            let delivered: BTreeSet<&str> = got
                .iter()
                .filter(|r| r.status == 204)
                .map(|r| r.id.as_str())
                .collect();
            if delivered.len() >= n || Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn verify(secret: &str, r: &Received) -> bool {
    let engine = base64::engine::general_purpose::STANDARD;
    let key = engine.decode(secret.trim_start_matches("whsec_")).unwrap();
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", r.id, r.timestamp, r.body).as_bytes());
    let expected = format!("v1,{}", engine.encode(mac.finalize().into_bytes()));
    r.signature == expected
}

const FAST: &[(&str, &str)] = &[
    ("WEBHOOK_ALLOW_PRIVATE", "1"),
    ("WEBHOOK_RETRY_BASE_MS", "100"),
    ("WEBHOOK_POLL_MS", "100"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_gets_each_event_once_signed_retried_after_two_500s_and_nothing_of_another_partnership(
) {
    let app = spawn_app_with(FAST).await;
    let admin = app.platform_admin_token();
    let a = id_of(&app.create_partnership("hooked").await);
    let b = id_of(&app.create_partnership("other").await);
    let (receiver, url) = Receiver::start(2).await;
    let created = app
        .post_json(
            &format!("/v1/partnerships/{a}/webhooks"),
            &admin,
            &json!({"url": url, "event_types": ["person.created"], "description": "Police data warehouse"}),
        )
        .await;
    assert_eq!(created.header("cache-control"), Some("no-store"));
    let created = created.expect_json(201);
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let webhook = created["id"].as_str().unwrap().to_owned();
    // Not shown again.
    let read = app
        .get(&format!("/v1/partnerships/{a}/webhooks/{webhook}"), &admin)
        .await
        .expect_json(200);
    assert!(read.get("secret").is_none() && read.get("secret_sealed").is_none());
    let mut people = BTreeSet::new();
    for initials in ["AA", "BB", "CC"] {
        let p = app
            .post_json(
                &format!("/v1/partnerships/{a}/people"),
                &admin,
                &person(initials),
            )
            .await
            .expect_json(201);
        people.insert(p["id"].as_str().unwrap().to_owned());
        app.post_json(
            &format!("/v1/partnerships/{b}/people"),
            &admin,
            &person(initials),
        )
        .await
        .expect_json(201);
    }
    // An event type it did not ask for.
    app.post_json(
        &format!("/v1/partnerships/{a}/groups"),
        &admin,
        &json!({"name": "Board", "short_name": "SPB"}),
    )
    .await
    .expect_status(201);
    let got = receiver.until_delivered(3).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let got_after = receiver.received();
    assert_eq!(got.len(), got_after.len(), "nothing more once acknowledged");
    let mut attempts: BTreeMap<String, Vec<u16>> = BTreeMap::new();
    let mut delivered_people = BTreeSet::new();
    for r in &got_after {
        assert!(verify(&secret, r), "a valid signature: {r:?}");
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["type"], "person.created");
        assert_eq!(
            body["data"]["partnership_id"],
            a.to_string(),
            "nothing of another partnership"
        );
        delivered_people.insert(body["data"]["resource_id"].as_str().unwrap().to_owned());
        attempts.entry(r.id.clone()).or_default().push(r.status);
    }
    assert_eq!(delivered_people, people);
    assert_eq!(attempts.len(), 3);
    for (id, statuses) in &attempts {
        assert_eq!(
            statuses,
            &vec![500, 500, 204],
            "retried twice, delivered once: {id}"
        );
    }
    // The delivery log says so; a redelivery sends the same webhook-id again.
    let log = app
        .get(
            &format!("/v1/partnerships/{a}/webhooks/{webhook}/deliveries?status=delivered"),
            &admin,
        )
        .await
        .expect_json(200);
    let log = log["items"].as_array().unwrap().clone();
    assert_eq!(log.len(), 3);
    assert!(log
        .iter()
        .all(|d| d["attempts"] == 3 && d["last_status_code"] == 204));
    let first = log[0]["id"].as_str().unwrap();
    let again = app
        .post_json(
            &format!("/v1/partnerships/{a}/webhooks/{webhook}/deliveries/{first}/redeliver"),
            &admin,
            &json!({}),
        )
        .await
        .expect_json(200);
    assert_eq!(again["status"], "pending");
    let deadline = Instant::now() + Duration::from_secs(30);
    while receiver.received().iter().filter(|r| r.id == first).count() < 4
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        receiver.received().iter().filter(|r| r.id == first).count(),
        4
    );
    // Another partnership's admin, a member: not found / refused.
    let outsider = app.token(&[(b, Role::Admin)]);
    app.get(
        &format!("/v1/partnerships/{a}/webhooks/{webhook}"),
        &outsider,
    )
    .await
    .expect_problem(404);
    let member = app.token(&[(a, Role::Member)]);
    app.get(&format!("/v1/partnerships/{a}/webhooks"), &member)
        .await
        .expect_problem(403);
    app.get(&format!("/v1/partnerships/{b}/webhooks/{webhook}"), &admin)
        .await
        .expect_problem(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_deliver_each_event_once_and_raise_an_overdue_action_once() {
    let settings: Vec<(&str, &str)> = FAST
        .iter()
        .copied()
        .chain([("WEBHOOK_SCHEDULE_MS", "200")])
        .collect();
    let one = spawn_app_with(&settings).await;
    let two = one.another_instance(&settings).await;
    let admin = one.platform_admin_token();
    let p = id_of(&one.create_partnership("twice").await);
    let (receiver, url) = Receiver::start(0).await;
    let created = one
        .post_json(
            &format!("/v1/partnerships/{p}/webhooks"),
            &admin,
            &json!({"url": url, "event_types": ["person.created", "action.overdue"]}),
        )
        .await
        .expect_json(201);
    for i in 0..20 {
        let app = if i % 2 == 0 { &one } else { &two };
        app.post_json(
            &format!("/v1/partnerships/{p}/people"),
            &admin,
            &person(&format!("T{i:02}")),
        )
        .await
        .expect_json(201);
    }
    // Overdue since long ago: either instance may raise it, once.
    let action = two
        .post_json(
            &format!("/v1/partnerships/{p}/actions"),
            &admin,
            &json!({"description": "Circulate the framework.", "owners": ["T00"], "due_date": "2019-12-18"}),
        )
        .await
        .expect_json(201);
    let got = receiver.until_delivered(21).await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let all = receiver.received();
    assert_eq!(
        all.len(),
        got.len(),
        "nothing after the last acknowledgement"
    );
    let ids: BTreeSet<&str> = all.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), all.len(), "no event sent twice by two instances");
    assert_eq!(all.len(), 21);
    let secret = created["secret"].as_str().unwrap();
    assert!(all.iter().all(|r| verify(secret, r)));
    let overdue: Vec<Value> = all
        .iter()
        .map(|r| serde_json::from_str::<Value>(&r.body).unwrap())
        .filter(|b| b["type"] == "action.overdue")
        .collect();
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0]["data"]["resource_id"], action["id"]);
    let (feed, _) = read_feed(&one, &admin, &p.to_string(), 0, 0).await;
    assert_eq!(
        feed.iter().filter(|c| c["change"] == "overdue").count(),
        1,
        "raised once, in the feed"
    );
}

#[tokio::test]
async fn receivers_at_private_addresses_are_refused_without_the_setting() {
    let app = spawn_app().await;
    let admin = app.platform_admin_token();
    let p = id_of(&app.create_partnership("careful").await);
    let hooks = format!("/v1/partnerships/{p}/webhooks");
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "ftp://hooks.example.org/",
        "https://user:password@hooks.example.org/",
        &format!("http://127.0.0.1:{}/v1/partnerships", app.port),
    ] {
        let problem = app
            .post_json(
                &hooks,
                &admin,
                &json!({"url": url, "event_types": ["action.created"]}),
            )
            .await
            .expect_problem(422);
        assert_eq!(problem["errors"][0]["field"], "url", "{url}: {problem}");
    }
    let problem = app
        .post_json(&hooks, &admin, &json!({"url": "https://hooks.example.org/x", "event_types": ["action.exploded", "action.created", "action.created"]}))
        .await
        .expect_problem(422);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["event_types[0]", "event_types[2]"]);
    let ok = app
        .post_json(
            &hooks,
            &admin,
            &json!({"url": "https://hooks.example.org/x", "event_types": ["minutes.published"]}),
        )
        .await
        .expect_json(201);
    // Nor may a PATCH point it inside; If-Match is required.
    let path = format!("{hooks}/{}", ok["id"].as_str().unwrap());
    let etag = seed::etag(&ok);
    app.patch_json(
        &path,
        &admin,
        Some(&etag),
        &json!({"url": "http://192.168.0.10/"}),
    )
    .await
    .expect_problem(422);
    app.patch_json(&path, &admin, None, &json!({"active": false}))
        .await
        .expect_problem(428);
    let paused = app
        .patch_json(&path, &admin, Some(&etag), &json!({"active": false}))
        .await
        .expect_json(200);
    assert_eq!(paused["active"], false);
    app.delete(&path, &admin, Some(&seed::etag(&paused)))
        .await
        .expect_status(204);
    app.get(&path, &admin).await.expect_problem(404);
}
