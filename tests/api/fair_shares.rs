//! Fair shares of the database: a partnership's requests hold at most its
//! share of the instance's connections (`DB_SHARE`); the rest wait in the
//! service for `DB_SHARE_WAIT_MS`, then get 503 with `Retry-After`, and
//! another partnership's requests are answered meanwhile.

use safeguarding_api::auth::Role;
use serde_json::{json, Value};

use crate::bounded_waits::Holder;
use crate::helpers::{id_of, spawn_app_with, TestApp};

fn person(initials: &str) -> Value {
    json!({"full_name": format!("Person {initials}"), "initials": initials})
}

async fn metric(app: &TestApp, name: &str, share: &str) -> u64 {
    let text = app.get_anonymous("/metrics").await.text();
    text.lines()
        .filter(|l| l.starts_with(name) && l.contains(&format!("share=\"{share}\"")))
        .filter_map(|l| l.rsplit(" ").next()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partnership_over_its_share_gets_503_while_another_is_answered() {
    let app = spawn_app_with(&[
        ("DB_POOL_SIZE", "4"),
        ("DB_SHARE", "1"),
        ("DB_SHARE_WAIT_MS", "300"),
        // A's stalled write waits for the test's lock, not for a timeout.
        ("DB_LOCK_TIMEOUT_MS", "30000"),
        ("DB_STATEMENT_TIMEOUT_MS", "30000"),
    ])
    .await;
    let admin = app.platform_admin_token();
    let a = id_of(&app.create_partnership("noisy").await);
    let b = id_of(&app.create_partnership("quiet").await);
    for p in [a, b] {
        app.post_json(
            &format!("/v1/partnerships/{p}/people"),
            &admin,
            &person("AB"),
        )
        .await
        .expect_json(201);
    }
    let group = app
        .post_json(
            &format!("/v1/partnerships/{a}/groups"),
            &admin,
            &json!({"name": "Safeguarding Board", "short_name": "SB"}),
        )
        .await
        .expect_json(201);
    let meeting = app
        .post_json(
            &format!("/v1/partnerships/{a}/meetings"),
            &admin,
            &json!({"group_id": group["id"], "title": "Board", "starts_at": "2019-11-18T10:00:00Z"}),
        )
        .await
        .expect_json(201);
    let postgres = app.database_url.starts_with("postgres");

    // A's write holds A's whole share while it waits for a lock the test
    // holds (A's change log on PostgreSQL, the write lock on SQLite).
    let holder = Holder::hold(&app.database_url, &a.to_string());
    let stalled = {
        let (app, admin) = (app.clone(), admin.clone());
        tokio::spawn(async move {
            app.post_json(
                &format!("/v1/partnerships/{a}/people"),
                &admin,
                &person("CD"),
            )
            .await
        })
    };
    // Until A's write is in (its share is then full).
    let mut waited = 0;
    while metric(&app, "db_share_waits_total", &a.to_string()).await == 0 {
        let probe = app.get(&format!("/v1/partnerships/{a}"), &admin).await;
        if probe.status == 503 {
            break;
        }
        waited += 1;
        assert!(waited < 100, "A's write never filled its share");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    // A's next request waits its turn, then is refused.
    let refused = app
        .get(&format!("/v1/partnerships/{a}/people"), &admin)
        .await;
    let problem = refused.expect_problem(503);
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert!(
        problem["detail"].as_str().unwrap().contains("share"),
        "{problem}"
    );
    // B is answered meanwhile: its reads on both backends, its writes on
    // PostgreSQL (SQLite has one writer at a time, the test's now).
    app.get(&format!("/v1/partnerships/{b}/people"), &admin)
        .await
        .expect_json(200);
    if postgres {
        app.post_json(
            &format!("/v1/partnerships/{b}/people"),
            &admin,
            &person("EF"),
        )
        .await
        .expect_json(201);
    }
    // A path spelt with escapes is the same path to the router, and to the share.
    app.get(&format!("/v1/%70artnerships/{a}/people"), &admin)
        .await
        .expect_problem(503);
    // A caller with no role in A is not charged to A's share (it could fill
    // it otherwise): answered at once, 404 as ever.
    let outsider = app.token(&[(b, Role::Admin)]);
    app.get(&format!("/v1/partnerships/{a}/people"), &outsider)
        .await
        .expect_problem(404);
    // A record named by a top-level id is charged to its partnership too.
    app.get(
        &format!("/v1/meetings/{}", meeting["id"].as_str().unwrap()),
        &admin,
    )
    .await
    .expect_problem(503);
    assert!(!stalled.is_finished(), "A's write was still waiting");
    assert!(metric(&app, "db_share_refusals_total", &a.to_string()).await >= 1);
    assert_eq!(
        metric(&app, "db_share_refusals_total", &b.to_string()).await,
        0
    );

    holder.release();
    stalled.await.unwrap().expect_json(201);
    app.get(&format!("/v1/partnerships/{a}/people"), &admin)
        .await
        .expect_json(200);
}
