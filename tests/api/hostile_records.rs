//! Records a hostile probe could bend (issue 14): the shared organisation
//! registry (who may change an entry, who sees it changed, one entry per
//! name), agencies a partnership does not have, approved minutes that still
//! took new records, and agenda item numbers.

use safeguarding_api::auth::Role;
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

async fn rename(
    app: &TestApp,
    token: &str,
    organisation: Id,
    name: &str,
) -> crate::helpers::Answer {
    app.patch_json(
        &format!("/v1/organisations/{organisation}"),
        token,
        Some("*"),
        &json!({"name": name}),
    )
    .await
}

/// The organisation's events in a partnership's change log, after checking
/// that the whole log numbers 1, 2, 3... with no gap.
async fn organisation_events(app: &TestApp, partnership: Id, organisation: Id) -> Vec<Value> {
    let log = app
        .get_all(
            &format!("/v1/partnerships/{partnership}/audit-events"),
            &app.platform_admin_token(),
        )
        .await;
    let seqs: Vec<i64> = log.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    let expected: Vec<i64> = (1..=seqs.len() as i64).collect();
    assert_eq!(seqs, expected, "the change log of {partnership} has gaps");
    log.into_iter()
        .filter(|e| {
            e["resource_type"] == "organisation" && e["resource_id"] == organisation.to_string()
        })
        .collect()
}

// --- 3. Who changes a shared organisation, and who sees it changed ----------

#[tokio::test]
async fn only_a_platform_admin_changes_an_organisation_another_partnership_refers_to() {
    let app = spawn_app().await;
    let hereford = id_of(&app.create_partnership("herefordshire").await);
    let worcs = id_of(&app.create_partnership("worcestershire").await);
    let hereford_admin = app.token(&[(hereford, Role::Admin)]);
    let worcs_admin = app.token(&[(worcs, Role::Admin)]);

    // West Mercia Police serves Worcestershire only, for now.
    let police = organisation(&app, "West Mercia Police", "police").await;
    let police_id = id_of(&police);
    add_member(&app, worcs, &police).await;
    let refused = rename(&app, &hereford_admin, police_id, "Hereford Police")
        .await
        .expect_problem(403);
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("another partnership refers to this organisation"),
        "{refused}"
    );
    // Worcestershire, its only user, may correct it.
    let renamed = rename(&app, &worcs_admin, police_id, "West Mercia Police Service")
        .await
        .expect_json(200);
    assert_eq!(renamed["name"], "West Mercia Police Service");

    // Once Herefordshire names it too (a person of its own), neither admin may.
    app.post_json(
        &format!("/v1/partnerships/{hereford}/people"),
        &app.platform_admin_token(),
        &json!({"full_name": "Sue Thomas", "initials": "ST", "organisation_id": police_id}),
    )
    .await
    .expect_json(201);
    for token in [&worcs_admin, &hereford_admin] {
        rename(&app, token, police_id, "Mercia Police")
            .await
            .expect_problem(403);
    }
    // A platform administrator may; both partnerships see it in their own
    // change log, numbered in it, and the platform's log keeps its event.
    let renamed = rename(
        &app,
        &app.platform_admin_token(),
        police_id,
        "West Mercia Police",
    )
    .await
    .expect_json(200);
    assert_eq!(renamed["version"], 3);
    let worcs_events = organisation_events(&app, worcs, police_id).await;
    assert_eq!(worcs_events.len(), 2, "both renames: {worcs_events:?}");
    let hereford_events = organisation_events(&app, hereford, police_id).await;
    assert_eq!(hereford_events.len(), 1, "{hereford_events:?}");
    let last = &hereford_events[0];
    assert_eq!(last["action"], "update");
    assert_eq!(last["partnership_id"], hereford.to_string());
    assert_eq!(last["before_state"]["name"], "West Mercia Police Service");
    assert_eq!(last["after_state"]["name"], "West Mercia Police");
    let platform = app
        .get_all(
            &format!("/v1/audit-events?resource_id={police_id}"),
            &app.platform_admin_token(),
        )
        .await;
    assert_eq!(
        platform.iter().filter(|e| e["action"] == "update").count(),
        2,
        "{platform:?}"
    );
    // The refusals changed nothing.
    let now = app
        .get(&format!("/v1/organisations/{police_id}"), &worcs_admin)
        .await
        .expect_json(200);
    assert_eq!(now["version"], 3);
}

#[tokio::test]
async fn a_partnership_admin_changes_an_organisation_only_it_refers_to() {
    let app = spawn_app().await;
    let hereford = id_of(&app.create_partnership("herefordshire").await);
    let admin = app.token(&[(hereford, Role::Admin)]);
    // Registered by the partnership's admin, used by nobody yet.
    let home_start = app
        .post_json(
            "/v1/organisations",
            &admin,
            &json!({"name": "Home-Start", "kind": "voluntary"}),
        )
        .await
        .expect_json(201);
    let id = id_of(&home_start);
    rename(&app, &admin, id, "Home-Start Herefordshire")
        .await
        .expect_json(200);
    assert!(organisation_events(&app, hereford, id).await.is_empty());
    // Named by its own people only: still its own to change, and its log shows it.
    app.post_json(
        &format!("/v1/partnerships/{hereford}/people"),
        &admin,
        &json!({"full_name": "Ann Jones", "initials": "AJ", "organisation_id": id}),
    )
    .await
    .expect_json(201);
    app.patch_json(
        &format!("/v1/organisations/{id}"),
        &admin,
        Some("*"),
        &json!({"kind": "other"}),
    )
    .await
    .expect_json(200);
    let events = organisation_events(&app, hereford, id).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["after_state"]["kind"], "other");
}

#[tokio::test]
async fn concurrent_changes_of_shared_organisations_and_partnership_writes_all_commit() {
    let app = spawn_app().await;
    let (a, b) = (
        id_of(&app.create_partnership("herefordshire").await),
        id_of(&app.create_partnership("worcestershire").await),
    );
    let mut shared = Vec::new();
    for name in ["West Mercia Police", "Herefordshire and Worcestershire ICB"] {
        let org = organisation(&app, name, "other").await;
        add_member(&app, a, &org).await;
        add_member(&app, b, &org).await;
        shared.push(id_of(&org));
    }
    // Renames of both organisations (each writing to both partnerships' logs)
    // race people being recorded in each partnership, in both orders.
    let mut tasks = Vec::new();
    for round in 0..4 {
        for (i, &org) in shared.iter().enumerate() {
            let app = app.clone();
            tasks.push(tokio::spawn(async move {
                let token = app.platform_admin_token();
                rename(&app, &token, org, &format!("Agency {i} v{round}")).await
            }));
        }
        for (p, initials) in [(b, format!("B{round}")), (a, format!("A{round}"))] {
            let app = app.clone();
            tasks.push(tokio::spawn(async move {
                app.post_json(
                    &format!("/v1/partnerships/{p}/people"),
                    &app.platform_admin_token(),
                    &json!({"full_name": "Someone", "initials": initials}),
                )
                .await
            }));
        }
    }
    for task in tasks {
        let answer = task.await.expect("the request ran");
        assert!(
            answer.status.is_success(),
            "{} {}",
            answer.status,
            answer.text()
        );
    }
    for p in [a, b] {
        for &org in &shared {
            assert_eq!(organisation_events(&app, p, org).await.len(), 4);
        }
    }
}

// --- 4. One registry entry per agency --------------------------------------

#[tokio::test]
async fn a_name_taken_ignoring_case_and_spaces_is_409_naming_the_existing_organisation() {
    let app = spawn_app().await;
    let admin = app.platform_admin_token();
    let police = organisation(&app, "West Mercia Police", "police").await;
    let police_id = police["id"].as_str().unwrap();
    let again = app
        .post_json(
            "/v1/organisations",
            &admin,
            &json!({"name": "  west   MERCIA police ", "kind": "police"}),
        )
        .await
        .expect_problem(409);
    let detail = again["detail"].as_str().unwrap();
    assert!(detail.starts_with("name:"), "{again}");
    assert!(
        detail.contains(police_id),
        "the existing id is named: {again}"
    );

    // A rename onto it is refused the same way; a change of case of its own name is not.
    let council = organisation(&app, "Herefordshire Council", "local_authority").await;
    let clash = rename(&app, &admin, id_of(&council), "WEST MERCIA POLICE")
        .await
        .expect_problem(409);
    assert!(clash["detail"].as_str().unwrap().contains(police_id));
    rename(&app, &admin, id_of(&police), "West Mercia police")
        .await
        .expect_json(200);

    // Search and look-up by name compare the same way.
    let listed = |query: &'static str| {
        let app = app.clone();
        let admin = admin.clone();
        async move {
            app.get(&format!("/v1/organisations?{query}"), &admin)
                .await
                .expect_json(200)["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(listed("q=MERCIA%20%20pol").await, [police_id]);
    assert_eq!(listed("q=e").await.len(), 2);
    assert!(listed("q=%25").await.is_empty(), "% is literal");
    assert_eq!(listed("name=west%20mercia%20%20POLICE").await, [police_id]);
    assert!(listed("name=west%20mercia").await.is_empty());
}

#[tokio::test]
async fn concurrent_registrations_of_one_name_leave_one_entry() {
    let app = spawn_app().await;
    let admin = app.platform_admin_token();
    let names = [
        "North Yorkshire Police",
        "north yorkshire police",
        "NORTH YORKSHIRE POLICE",
        "North  Yorkshire Police",
        " North Yorkshire  police",
        "north Yorkshire Police",
    ];
    let tasks: Vec<_> = names
        .iter()
        .map(|name| {
            let (app, admin) = (app.clone(), admin.clone());
            let body = json!({"name": name, "kind": "police"});
            tokio::spawn(async move { app.post_json("/v1/organisations", &admin, &body).await })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("the request ran"));
    }
    let created = answers.iter().filter(|a| a.status == 201).count();
    assert_eq!(created, 1, "{answers:?}");
    for answer in answers.iter().filter(|a| a.status != 201) {
        let problem = answer.expect_problem(409);
        assert!(problem["detail"].as_str().unwrap().starts_with("name:"));
    }
    let listed = app
        .get("/v1/organisations?q=yorkshire", &admin)
        .await
        .expect_json(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
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
        // Nor out of them: the minutes keep what was agreed there.
        app.patch_json(
            &format!("/v1/actions/{}", agreed["id"].as_str().unwrap()),
            &admin,
            Some(&etag(&agreed)),
            &json!({"meeting_id": null, "item_id": null}),
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
