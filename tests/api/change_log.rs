//! The change log: every audit event carries a `seq` allocated in its write's
//! transaction, gap-free and in commit order, per partnership and for the
//! platform, so a reader resuming from its last cursor misses nothing.

use std::collections::BTreeSet;

use safeguarding_api::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{id_of, spawn_app, TestApp};

fn seqs(events: &[Value]) -> Vec<i64> {
    events.iter().map(|e| e["seq"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn seq_counts_every_change_once_and_a_refused_write_takes_none() {
    let app = spawn_app().await;
    let p = app.create_partnership("herefordshire").await;
    let admin = app.token(&[(id_of(&p), Role::Admin)]);
    let people = format!("/v1/partnerships/{}/people", id_of(&p));
    app.post_json(
        &people,
        &admin,
        &json!({"full_name": "Liz Murphy", "initials": "LM"}),
    )
    .await
    .expect_json(201);
    // Refused inside its transaction (initials taken): its number is given back.
    app.post_json(
        &people,
        &admin,
        &json!({"full_name": "Lee Morgan", "initials": "LM"}),
    )
    .await
    .expect_problem(409);
    app.post_json(
        &people,
        &admin,
        &json!({"full_name": "Sue Thomas", "initials": "ST"}),
    )
    .await
    .expect_json(201);
    let log = format!("/v1/partnerships/{}/audit-events", id_of(&p));
    let events = app.get_all(&log, &admin).await;
    assert_eq!(seqs(&events), [1, 2, 3], "partnership, LM, ST");
    assert_eq!(events[2]["action"], "create");
    assert_eq!(events[2]["resource_type"], "person");

    // Another partnership counts from 1 on its own.
    let q = app.create_partnership("nottinghamshire").await;
    let q_admin = app.token(&[(id_of(&q), Role::Admin)]);
    let q_events = app
        .get_all(
            &format!("/v1/partnerships/{}/audit-events", id_of(&q)),
            &q_admin,
        )
        .await;
    assert_eq!(seqs(&q_events), [1]);
}

#[tokio::test]
async fn the_shared_registry_has_a_change_log_of_its_own() {
    let app = spawn_app().await;
    let platform = app.platform_admin_token();
    let p = app.create_partnership("herefordshire").await;
    let admin = app.token(&[(id_of(&p), Role::Admin)]);
    for name in ["West Mercia Police", "Herefordshire Council"] {
        app.post_json(
            "/v1/organisations",
            &admin,
            &json!({"name": name, "kind": "other"}),
        )
        .await
        .expect_json(201);
    }
    let events = app.get_all("/v1/audit-events", &platform).await;
    assert_eq!(seqs(&events), [1, 2]);
    assert!(events
        .iter()
        .all(|e| e["partnership_id"].is_null() && e["resource_type"] == "organisation"));
    // Partnership admins maintain the registry, but its log is the platform's.
    app.get("/v1/audit-events", &admin)
        .await
        .expect_problem(403);
}

/// Eight writers create people in one partnership while a reader pages the
/// change log from its last cursor: the reader must see every event exactly
/// once, numbered 1..n. On PostgreSQL, transactions commit in any order; the
/// counter row makes seq order commit order.
#[tokio::test]
async fn a_reader_paging_while_eight_writers_write_sees_every_event_once() {
    const WRITERS: usize = 8;
    const EACH: usize = 6;
    let app = spawn_app().await;
    let p = app.create_partnership("herefordshire").await;
    let admin = app.token(&[(id_of(&p), Role::Admin)]);
    let people = format!("/v1/partnerships/{}/people", id_of(&p));
    let log = format!("/v1/partnerships/{}/audit-events", id_of(&p));

    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (app, admin, people) = (app.clone(), admin.clone(), people.clone());
            tokio::spawn(async move {
                for i in 0..EACH {
                    let initials = format!("W{w}P{i}");
                    app.post_json(
                        &people,
                        &admin,
                        &json!({"full_name": initials, "initials": initials}),
                    )
                    .await
                    .expect_json(201);
                }
            })
        })
        .collect();

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let read = |app: TestApp, cursor: Option<String>| {
        let (log, admin) = (log.clone(), admin.clone());
        async move {
            let path = match &cursor {
                Some(c) => format!("{log}?limit=5&cursor={c}"),
                None => format!("{log}?limit=5"),
            };
            app.get(&path, &admin).await.expect_json(200)
        }
    };
    loop {
        let done = writers.iter().all(|w| w.is_finished());
        let page = read(app.clone(), cursor.clone()).await;
        seen.extend(seqs(page["items"].as_array().unwrap()));
        if let Some(next) = page["next_cursor"].as_str() {
            cursor = Some(next.to_owned());
            continue;
        }
        // At the end of the log: resume from the last event seen.
        if let Some(last) = page["items"].as_array().unwrap().last() {
            cursor = Some(format!("{:032x}", last["seq"].as_i64().unwrap()));
        }
        if done {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    for w in writers {
        w.await.unwrap();
    }
    let total = 1 + WRITERS * EACH;
    let unique: BTreeSet<i64> = seen.iter().copied().collect();
    assert_eq!(seen.len(), total, "every event once: {seen:?}");
    assert_eq!(unique, (1..=total as i64).collect(), "gap-free from 1");
}
