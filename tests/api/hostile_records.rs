//! Records a hostile probe could bend (issue 14): agencies a partnership
//! does not have, approved minutes that still took new records, and agenda
//! item numbers.

use safeguarding_api::db::Id;
use serde_json::{json, Value};

use crate::helpers::{id_of, spawn_app, TestApp};
use crate::seed::{self, etag, schedule_board, Seed, HEREFORDSHIRE};

async fn organisation(app: &TestApp, name: &str, kind: &str) -> Value {
    app.post_json(
        "/v1/organisations",
        &app.platform_admin_token(),
        &json!({"name": name, "kind": kind}),
    )
    .await
    .expect_json(201)
}

async fn add_member(app: &TestApp, partnership: Id, organisation: &Value) {
    app.post_json(
        &format!("/v1/partnerships/{partnership}/members"),
        &app.platform_admin_token(),
        &json!({"organisation_id": organisation["id"], "role": "statutory_partner"}),
    )
    .await
    .expect_json(201);
}

// --- 9. Agencies the partnership does not have ------------------------------

#[tokio::test]
async fn clients_and_submissions_name_member_organisations_only() {
    let app = spawn_app().await;
    let admin = app.platform_admin_token();
    let pid = id_of(&app.create_partnership("herefordshire").await);
    let police = organisation(&app, "West Mercia Police", "police").await;
    app.post_json(
        &format!("/v1/partnerships/{pid}/metrics"),
        &admin,
        &json!({"code": "CP-PLANS", "name": "Children on a child protection plan", "unit": "count"}),
    )
    .await
    .expect_json(201);
    let client = json!({"name": "Police data warehouse", "role": "submitter", "organisation_id": police["id"]});
    let clients = format!("/v1/partnerships/{pid}/clients");
    let submission = json!({"period": "2019-20-Q2", "organisation_id": police["id"], "values": [{"metric": "CP-PLANS", "value": 132}]});
    let submissions = format!("/v1/partnerships/{pid}/submissions");

    for answer in [
        app.post_json(&clients, &admin, &client).await,
        app.post_json(&submissions, &admin, &submission).await,
    ] {
        let problem = answer.expect_problem(422);
        assert_eq!(
            problem["errors"][0]["field"], "organisation_id",
            "{problem}"
        );
        assert!(problem["detail"].as_str().unwrap().contains("not a member"));
    }
    let values = app
        .get(&format!("{submissions}?period=2019-20-Q2"), &admin)
        .await
        .expect_json(200);
    assert!(values["items"].as_array().unwrap().is_empty());
    // An organisation that does not exist stays a missing reference.
    let unknown = json!({"name": "x", "role": "submitter", "organisation_id": Id::new()});
    app.post_json(&clients, &admin, &unknown)
        .await
        .expect_problem(404);

    add_member(&app, pid, &police).await;
    app.post_json(&clients, &admin, &client)
        .await
        .expect_json(201);
    app.post_json(&submissions, &admin, &submission)
        .await
        .expect_json(200);
}

// --- 13. Approved minutes take no new records -------------------------------

const BUDGET: &str = "2020-21 Budget";

/// The Herefordshire board, an action agreed under its budget item and one
/// agreed nowhere, then its minutes approved at the December board.
async fn approved_board(app: &TestApp) -> (Seed, Value, Value) {
    let seed = seed::load(app, HEREFORDSHIRE).await;
    let admin = app.platform_admin_token();
    let actions = format!("/v1/partnerships/{}/actions", seed.partnership_id);
    let agreed = app
        .post_json(
            &actions,
            &admin,
            &json!({"item_id": seed.items[BUDGET], "description": "Circulate the budget.", "owners": ["ALL"]}),
        )
        .await
        .expect_json(201);
    let elsewhere = app
        .post_json(
            &actions,
            &admin,
            &json!({"description": "Book the venue.", "owners": ["ALL"]}),
        )
        .await
        .expect_json(201);
    let december = schedule_board(app, &seed, "2019-12-18T15:00:00Z", json!({})).await;
    app.post_json(
        &format!("/v1/meetings/{}/minutes/approve", seed.meeting_id),
        &admin,
        &json!({"approved_at_meeting_id": december["id"]}),
    )
    .await
    .expect_json(200);
    (seed, agreed, elsewhere)
}

#[tokio::test]
async fn approved_minutes_take_no_new_or_moved_records_until_reopened() {
    let app = spawn_app().await;
    let (seed, agreed, elsewhere) = approved_board(&app).await;
    let admin = app.platform_admin_token();
    let meeting = format!("/v1/meetings/{}", seed.meeting_id);
    let item_path = format!("{meeting}/items/{}", seed.items[BUDGET]);
    let actions = format!("/v1/partnerships/{}/actions", seed.partnership_id);

    // The problem an edit of the approved minutes gets today.
    let locked = app
        .patch_json(&item_path, &admin, Some("*"), &json!({"title": "Budget"}))
        .await
        .expect_problem(409);

    let person = seed.people.values().next().copied().unwrap();
    let late_action =
        json!({"item_id": seed.items[BUDGET], "description": "Late action.", "owners": ["ALL"]});
    let refused = [
        app.post_json(
            &actions,
            &admin,
            &late_action,
        )
        .await,
        app.post_json(
            &actions,
            &admin,
            &json!({"meeting_id": seed.meeting_id, "description": "Late action.", "owners": ["ALL"]}),
        )
        .await,
        app.patch_json(
            &format!("/v1/actions/{}", elsewhere["id"].as_str().unwrap()),
            &admin,
            Some(&etag(&elsewhere)),
            &json!({"item_id": seed.items[BUDGET]}),
        )
        .await,
        app.post_json(
            &format!("{item_path}/decisions"),
            &admin,
            &json!({"outcome": "noted", "text": "Late decision."}),
        )
        .await,
        app.post_json(
            &format!("{meeting}/declarations"),
            &admin,
            &json!({"person_id": person, "item_id": seed.items[BUDGET], "text": "Trustee of a bidder."}),
        )
        .await,
        app.post_json(
            &format!("{meeting}/attendees"),
            &admin,
            &json!({"guest_name": "Liz Elgar"}),
        )
        .await,
        app.post_json(
            &format!("{meeting}/items"),
            &admin,
            &json!({"number": "99", "title": "Late item"}),
        )
        .await,
    ];
    for (i, answer) in refused.iter().enumerate() {
        let problem = answer.expect_problem(409);
        assert_eq!(problem["type"], locked["type"], "request {i}: {problem}");
        assert_eq!(
            problem["detail"], locked["detail"],
            "request {i}: {problem}"
        );
    }
    // Nothing slipped into the log under the meeting.
    let log = app
        .get(&format!("{actions}?meeting_id={}", seed.meeting_id), &admin)
        .await
        .expect_json(200);
    let ids: Vec<&Value> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["id"])
        .collect();
    assert_eq!(ids, [&agreed["id"]]);

    // Progress on what was agreed there stays open: the action log's life.
    let path = format!("/v1/actions/{}", agreed["id"].as_str().unwrap());
    app.patch_json(
        &path,
        &admin,
        Some(&etag(&agreed)),
        &json!({"status": "in_progress", "due_date": "2020-01-31"}),
    )
    .await
    .expect_json(200);
    app.post_json(
        &format!("{path}/updates"),
        &admin,
        &json!({"note": "Circulated to partners.", "status": "complete"}),
    )
    .await
    .expect_json(201);

    // Reopened, the meeting takes them again.
    app.post_json(
        &format!("{meeting}/minutes/reopen"),
        &admin,
        &json!({"reason": "A late action agreed at the meeting"}),
    )
    .await
    .expect_json(200);
    app.post_json(&actions, &admin, &late_action)
        .await
        .expect_json(201);
    let moved = app
        .patch_json(
            &format!("/v1/actions/{}", elsewhere["id"].as_str().unwrap()),
            &admin,
            Some("*"),
            &json!({"item_id": seed.items[BUDGET]}),
        )
        .await
        .expect_json(200);
    assert_eq!(moved["meeting_id"], seed.meeting_id.to_string());
}

// --- 14. Item numbers within a meeting ---------------------------------------

#[tokio::test]
async fn an_item_number_is_unique_within_its_meeting() {
    let app = spawn_app().await;
    let seed = seed::load(&app, HEREFORDSHIRE).await;
    let admin = app.platform_admin_token();
    let december = schedule_board(&app, &seed, "2019-12-18T15:00:00Z", json!({})).await;
    let items = format!("/v1/meetings/{}/items", december["id"].as_str().unwrap());
    let seven = app
        .post_json(&items, &admin, &json!({"number": "7", "title": "Budget"}))
        .await
        .expect_json(201);
    let twice = app
        .post_json(&items, &admin, &json!({"number": "7", "title": "Risks"}))
        .await
        .expect_problem(409);
    assert!(
        twice["detail"].as_str().unwrap().starts_with("number:"),
        "{twice}"
    );
    // Unnumbered items are not compared; another meeting has its own "7".
    for _ in 0..2 {
        app.post_json(&items, &admin, &json!({"title": "Any other business"}))
            .await
            .expect_json(201);
    }
    let eight = app
        .post_json(&items, &admin, &json!({"number": "8", "title": "Risks"}))
        .await
        .expect_json(201);
    let renumbered = app
        .patch_json(
            &format!("{items}/{}", eight["id"].as_str().unwrap()),
            &admin,
            Some(&etag(&eight)),
            &json!({"number": "7"}),
        )
        .await
        .expect_problem(409);
    assert!(renumbered["detail"]
        .as_str()
        .unwrap()
        .starts_with("number:"));
    let agenda = app.get(&items, &admin).await.expect_json(200);
    let sevens = agenda["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["number"] == "7")
        .count();
    assert_eq!(sevens, 1);
    assert_eq!(seven["number"], "7");
    let january = schedule_board(&app, &seed, "2020-01-22T15:00:00Z", json!({})).await;
    app.post_json(
        &format!("/v1/meetings/{}/items", january["id"].as_str().unwrap()),
        &admin,
        &json!({"number": "7", "title": "Budget"}),
    )
    .await
    .expect_json(201);
}
