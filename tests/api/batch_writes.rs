//! Bulk writes as one batch: a 10,000-value submission stores every value,
//! and the change log advances by exactly the events it reports, gap-free.

use std::collections::BTreeMap;

use safeguarding_api::auth::Principal;
use safeguarding_api::db::counter::Scope;
use safeguarding_api::db::{self, store, Backend, Id, UtcTime};
use safeguarding_api::metrics::model::Metric;
use safeguarding_api::metrics::rules::Unit;
use serde_json::{json, Value};

use crate::helpers::{id_of, spawn_app, TestApp};

const VALUES: usize = 10_000;

fn code(i: usize) -> String {
    format!("M{i:05}")
}

/// Registers `n` metrics in the partnership directly (the API takes one a
/// request), through the store's own batch insert.
fn metrics(app: &TestApp, partnership_id: Id, n: usize) {
    let backend = Backend::from_url(&app.database_url).unwrap();
    let pool = db::build_pool(&backend, 1, Default::default()).unwrap();
    let mut conn = pool.get().unwrap();
    let actor = Principal {
        subject: "test-setup".to_owned(),
        organisation_id: None,
        platform_admin: true,
        roles: BTreeMap::new(),
        client: None,
        checked: Default::default(),
    };
    let now = UtcTime::now();
    let rows: Vec<Metric> = (0..n)
        .map(|i| Metric {
            id: Id::new(),
            partnership_id,
            code: code(i),
            name: format!("Metric {i}"),
            unit: Unit::Count,
            min_value: None,
            max_value: None,
            version: 1,
            created_at: now,
            updated_at: now,
        })
        .collect();
    db::transaction(&mut conn, |c| {
        let mut tx = db::Tx::hold(c, Scope::Partnership(partnership_id), now)?;
        store::insert_many(&mut tx, &actor, &rows)
    })
    .unwrap();
}

async fn change_log(app: &TestApp, partnership: &str) -> Vec<i64> {
    app.get_all(
        &format!("/v1/partnerships/{partnership}/audit-events"),
        &app.platform_admin_token(),
    )
    .await
    .iter()
    .map(|e| e["seq"].as_i64().unwrap())
    .collect()
}

#[tokio::test]
async fn a_ten_thousand_value_submission_is_one_batch_in_the_change_log() {
    let app = spawn_app().await;
    let admin = app.platform_admin_token();
    let partnership = app.create_partnership("herefordshire").await;
    let pid = partnership["id"].as_str().unwrap().to_owned();
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
    metrics(&app, id_of(&partnership), VALUES);

    let submissions = format!("/v1/partnerships/{pid}/submissions");
    // Each value with a comment, as agencies send them: the body is over
    // 1 MiB, which a submission may be (MAX_BULK_BODY_BYTES) and others not.
    let comment = "Quarter 2 2019/20, as reported to the Board; figures validated by the agency's performance team.";
    let submit = |offset: usize| {
        let values: Vec<Value> = (0..VALUES)
            .map(|i| json!({"metric": code(i), "value": i + offset, "comment": comment}))
            .collect();
        json!({"period": "2019-20-Q2", "organisation_id": police["id"], "values": values})
    };
    let size = serde_json::to_vec(&submit(0)).unwrap().len();
    assert!(size > 1 << 20, "the body is {size} bytes");
    let too_large = json!({"name": "x".repeat(size), "kind": "police"});
    app.post_json("/v1/organisations", &admin, &too_large)
        .await
        .expect_problem(413);
    let before = change_log(&app, &pid).await;
    let summary = app
        // With an Idempotency-Key: its middleware reads the body before
        // routing, with the same bulk limit.
        .post_json_idempotent(&submissions, &admin, "big-submission", &submit(0))
        .await
        .expect_json(200);
    assert_eq!(summary["imported"], VALUES);
    assert_eq!(summary["rejected"], json!([]));
    let stored = app
        .get_all(&format!("{submissions}?period=2019-20-Q2"), &admin)
        .await;
    assert_eq!(stored.len(), VALUES);
    let after = change_log(&app, &pid).await;
    assert_eq!(after.len() - before.len(), VALUES, "one event a value");
    assert_eq!(after, (1..=after.len() as i64).collect::<Vec<_>>());

    // A resubmission with every value changed: 10,000 updates, as one batch.
    let summary = app
        .post_json(&submissions, &admin, &submit(1))
        .await
        .expect_json(200);
    assert_eq!(summary["updated"], VALUES);
    let again = change_log(&app, &pid).await;
    assert_eq!(again.len() - after.len(), VALUES);
    assert_eq!(again, (1..=again.len() as i64).collect::<Vec<_>>());
    let stored = app
        .get_all(&format!("{submissions}?period=2019-20-Q2"), &admin)
        .await;
    assert!(stored
        .iter()
        .all(|v| v["version"] == 2 && v["value"].as_f64().unwrap() >= 1.0));
}
