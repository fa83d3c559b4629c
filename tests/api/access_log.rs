//! Reads are not changes: disclosures and refused attempts go to the access
//! log (`GET /v1/partnerships/{id}/access-log`), written without the change
//! log's counter; the change log (`seq`, audit events) holds changes only.

use std::collections::BTreeSet;

use safeguarding_api::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{id_of, spawn_app, TestApp, PLATFORM_ADMIN};
use crate::seed::{self, etag, Seed, HEREFORDSHIRE};

const HARRY: &str = "Serious Case Review 'Harry' Report";

fn item_path(seed: &Seed) -> String {
    format!(
        "/v1/meetings/{}/items/{}",
        seed.meeting_id, seed.items[HARRY]
    )
}

fn access_log(seed: &Seed, query: &str) -> String {
    format!("/v1/partnerships/{}/access-log{query}", seed.partnership_id)
}

/// The Herefordshire meeting with the Harry review made confidential.
async fn confidential_meeting(app: &TestApp) -> Seed {
    let seed = seed::load(app, HEREFORDSHIRE).await;
    let admin = app.platform_admin_token();
    let item = app.get(&item_path(&seed), &admin).await.expect_json(200);
    app.patch_json(
        &item_path(&seed),
        &admin,
        Some(&etag(&item)),
        &json!({"confidential": true}),
    )
    .await
    .expect_json(200);
    seed
}

async fn changes(app: &TestApp, seed: &Seed) -> Vec<Value> {
    let path = format!("/v1/partnerships/{}/audit-events", seed.partnership_id);
    app.get_all(&path, &app.platform_admin_token()).await
}

/// Eight members read the confidential item while eight writers add people
/// to the same partnership: the change log advances by the eight writes
/// only, gap-free and without a read, and the access log holds exactly the
/// eight reads. Before the access log, each read took a `seq` (16 events).
#[tokio::test]
async fn confidential_reads_racing_writes_leave_the_change_log_to_changes() {
    const EACH: usize = 8;
    let app = spawn_app().await;
    let seed = confidential_meeting(&app).await;
    let before = changes(&app, &seed).await.len();
    let member = app.token_with_org(
        "police-system",
        seed.organisations["west-mercia-police"],
        &[(seed.partnership_id, Role::Member)],
    );
    let admin = app.token(&[(seed.partnership_id, Role::Admin)]);
    let people = format!("/v1/partnerships/{}/people", seed.partnership_id);
    let mut tasks = Vec::new();
    for i in 0..EACH {
        let (reader, member, path) = (app.clone(), member.clone(), item_path(&seed));
        tasks.push(tokio::spawn(async move {
            let item = reader.get(&path, &member).await.expect_json(200);
            assert_eq!(item["confidential"], true);
        }));
        let (writer, admin, people) = (app.clone(), admin.clone(), people.clone());
        tasks.push(tokio::spawn(async move {
            let initials = format!("RW{i}");
            writer
                .post_json(
                    &people,
                    &admin,
                    &json!({"full_name": initials, "initials": initials}),
                )
                .await
                .expect_json(201);
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }

    let events = changes(&app, &seed).await;
    assert_eq!(events.len(), before + EACH, "the writes only");
    let seqs: BTreeSet<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=events.len() as i64).collect(), "gap-free from 1");
    assert!(
        events
            .iter()
            .all(|e| e["action"] != "read" && e["action"] != "export"),
        "no read in the change log"
    );

    let admin = app.platform_admin_token();
    let log = app.get_all(&access_log(&seed, ""), &admin).await;
    assert_eq!(log.len(), EACH, "exactly the eight reads: {log:?}");
    for entry in &log {
        assert_eq!(entry["outcome"], "allowed");
        assert_eq!(entry["subject"], "police-system");
        assert_eq!(entry["role"], "member");
        assert_eq!(entry["resource_type"], "agenda_item");
        assert_eq!(entry["resource_id"], json!(seed.items[HARRY]));
        assert_eq!(
            entry["organisation_id"],
            json!(seed.organisations["west-mercia-police"])
        );
        assert_eq!(entry["operation"], format!("GET {}", item_path(&seed)));
    }
    // Cursor-paged like every list: two at a time, each entry once.
    let mut paged = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get(&access_log(&seed, &format!("?limit=2{cursor}")), &admin)
            .await
            .expect_json(200);
        paged.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].clone()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(
        paged,
        log.iter().map(|e| e["id"].clone()).collect::<Vec<_>>()
    );
}

/// A viewer refused the confidential item, a member refused a change to the
/// meeting and both refused the access log itself are logged as refused,
/// under their roles; only admins read the log, and another partnership
/// learns nothing of it (404, not logged).
#[tokio::test]
async fn refused_attempts_are_logged_and_only_admins_read_the_log() {
    let app = spawn_app().await;
    let seed = confidential_meeting(&app).await;
    let viewer = app.token(&[(seed.partnership_id, Role::Viewer)]);
    let member = app.token(&[(seed.partnership_id, Role::Member)]);
    let other = app.create_partnership("elsewhere").await;
    let outsider = app.token(&[(id_of(&other), Role::Admin)]);

    app.get(&item_path(&seed), &viewer)
        .await
        .expect_problem(403);
    let meeting_path = format!("/v1/meetings/{}", seed.meeting_id);
    let meeting = app.get(&meeting_path, &member).await.expect_json(200);
    app.patch_json(
        &meeting_path,
        &member,
        Some(&etag(&meeting)),
        &json!({"location": "Elsewhere"}),
    )
    .await
    .expect_problem(403);
    app.get(&access_log(&seed, ""), &viewer)
        .await
        .expect_problem(403);
    app.get(&access_log(&seed, ""), &member)
        .await
        .expect_problem(403);
    app.get(&access_log(&seed, ""), &outsider)
        .await
        .expect_problem(404);

    let admin = app.token(&[(seed.partnership_id, Role::Admin)]);
    let refused = app
        .get_all(&access_log(&seed, "?outcome=refused"), &admin)
        .await;
    let seen: Vec<(&str, &str, &str)> = refused
        .iter()
        .map(|e| {
            assert_eq!(e["outcome"], "refused");
            assert_eq!(e["subject"], "test-client");
            (
                e["role"].as_str().unwrap(),
                e["resource_type"].as_str().unwrap(),
                e["operation"].as_str().unwrap(),
            )
        })
        .collect();
    let log_path = access_log(&seed, "");
    assert_eq!(
        seen,
        vec![
            (
                "viewer",
                "agenda_item",
                format!("GET {}", item_path(&seed)).as_str()
            ),
            (
                "member",
                "meeting",
                format!("PATCH {meeting_path}").as_str()
            ),
            ("viewer", "partnership", format!("GET {log_path}").as_str()),
            ("member", "partnership", format!("GET {log_path}").as_str()),
        ]
    );
    assert_eq!(refused[0]["resource_id"], json!(seed.items[HARRY]));
    assert_eq!(refused[1]["resource_id"], json!(seed.meeting_id));
    // Nothing of it in the change log, and nothing in the outsider's log.
    assert!(changes(&app, &seed)
        .await
        .iter()
        .all(|e| e["actor"] != "test-client"));
    let outsider_log = format!("/v1/partnerships/{}/access-log", id_of(&other));
    assert!(app.get_all(&outsider_log, &outsider).await.is_empty());
    // The filters are checked: an unknown outcome or parameter is refused.
    app.get(&access_log(&seed, "?outcome=maybe"), &admin)
        .await
        .expect_problem(400);
    app.get(&access_log(&seed, "?colour=red"), &admin)
        .await
        .expect_problem(400);
}

/// The action log's CSV export, the calendar feed and the minutes are each
/// logged as disclosures, under the reader's role, and take no `seq`.
#[tokio::test]
async fn exports_are_logged_as_disclosures_not_changes() {
    let app = spawn_app().await;
    let seed = confidential_meeting(&app).await;
    let before = changes(&app, &seed).await;
    let member = app.token(&[(seed.partnership_id, Role::Member)]);
    let p = seed.partnership_id;
    let csv = app
        .get_accept(
            &format!("/v1/partnerships/{p}/actions"),
            &member,
            "text/csv",
        )
        .await;
    csv.expect_status(200);
    app.get(&format!("/v1/partnerships/{p}/meetings.ics"), &member)
        .await
        .expect_status(200);
    let minutes = format!("/v1/meetings/{}/minutes", seed.meeting_id);
    app.get_accept(&minutes, &member, "text/markdown")
        .await
        .expect_status(200);

    let admin = app.platform_admin_token_as(PLATFORM_ADMIN);
    let log = app.get_all(&access_log(&seed, ""), &admin).await;
    let kinds: Vec<(&str, &str)> = log
        .iter()
        .map(|e| {
            assert_eq!(e["outcome"], "allowed");
            assert_eq!(e["role"], "member");
            (
                e["resource_type"].as_str().unwrap(),
                e["operation"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(kinds.len(), 4, "{log:?}");
    assert_eq!(kinds[0].0, "action_log");
    assert!(kinds[0]
        .1
        .starts_with(&format!("GET /v1/partnerships/{p}/actions as text/csv")));
    assert_eq!(log[0]["resource_id"], json!(p));
    assert_eq!(
        kinds[1],
        (
            "partnership",
            format!("GET /v1/partnerships/{p}/meetings.ics").as_str()
        )
    );
    assert_eq!(kinds[2].0, "minutes");
    assert!(kinds[2].1.contains("text/markdown"));
    assert_eq!(
        kinds[3].0, "agenda_item",
        "the confidential item the minutes showed"
    );
    let csv_only = app
        .get_all(&access_log(&seed, "?resource_type=action_log"), &admin)
        .await;
    assert_eq!(csv_only.len(), 1);
    assert_eq!(changes(&app, &seed).await, before, "no change logged");
}
