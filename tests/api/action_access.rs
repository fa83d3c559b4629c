//! Who sees and changes the action log: roles, confidential items, other
//! partnerships' ids in bodies, and the edges of the published contract.

use safeguarding_api::auth::Role;
use serde_json::{json, Value};

use crate::actions::herefordshire;
use crate::helpers::{id_of, spawn_app, TestApp};
use crate::seed::{approve_and_publish, schedule_board, ActionLog, Seed};

/// An action agreed under a confidential item of the October board.
async fn confidential_action(app: &TestApp, seed: &Seed, log: &ActionLog, token: &str) -> Value {
    let item = app
        .post_json(
            &format!("/v1/meetings/{}/items", log.meetings["spb-2019-10-23"]),
            &app.platform_admin_token(),
            &json!({"number": "9.1", "title": "Case review: child D", "confidential": true}),
        )
        .await
        .expect_json(201);
    app.post_json(
        &format!("/v1/partnerships/{}/actions", seed.partnership_id),
        token,
        &json!({"item_id": item["id"], "description": "Refer child D's case to the panel.", "owners": ["EF"]}),
    )
    .await
    .expect_json(201)
}

#[tokio::test]
async fn members_update_actions_viewers_read_submitters_see_none() {
    let app = spawn_app().await;
    let (seed, log) = herefordshire(&app).await;
    let pid = seed.partnership_id;
    let member = app.token(&[(pid, Role::Member)]);
    let viewer = app.token(&[(pid, Role::Viewer)]);
    let submitter = app.token_with_org(
        "police-feed",
        seed.organisations["west-mercia-police"],
        &[(pid, Role::Submitter)],
    );
    let id = log.actions[&14]["id"].as_str().unwrap().to_owned();
    let updates = format!("/v1/actions/{id}/updates");
    // Each refusal is checked against an accepted request of the same shape.
    app.post_json(&updates, &member, &json!({"note": "Draft circulated."}))
        .await
        .expect_json(201);
    app.post_json(&updates, &viewer, &json!({"note": "Draft circulated."}))
        .await
        .expect_problem(403);
    app.get(&format!("/v1/actions/{id}"), &viewer)
        .await
        .expect_json(200);
    app.get(&format!("/v1/actions/{id}"), &submitter)
        .await
        .expect_problem(403);
    app.get(&format!("/v1/partnerships/{pid}/actions"), &submitter)
        .await
        .expect_problem(403);
    app.get(
        &format!("/v1/meetings/{}/matters-arising", seed.meeting_id),
        &submitter,
    )
    .await
    .expect_problem(403);
    let patch = app
        .patch_json(
            &format!("/v1/actions/{id}"),
            &viewer,
            Some("*"),
            &json!({"status": "cancelled"}),
        )
        .await;
    patch.expect_problem(403);
    let stale = app
        .patch_json(
            &format!("/v1/actions/{id}"),
            &member,
            Some("\"99\""),
            &json!({"status": "cancelled"}),
        )
        .await;
    stale.expect_problem(412);
    app.patch_json(
        &format!("/v1/actions/{id}"),
        &member,
        None,
        &json!({"status": "cancelled"}),
    )
    .await
    .expect_problem(428);
    // Another partnership's token finds nothing.
    let other = app.create_partnership("other").await;
    let stranger = app.token(&[(id_of(&other), Role::Admin)]);
    app.get(&format!("/v1/actions/{id}"), &stranger)
        .await
        .expect_problem(404);
    app.post_json(&updates, &stranger, &json!({"note": "x"}))
        .await
        .expect_problem(404);

    // An action agreed under a confidential item: members see it, viewers
    // neither in the list nor by id.
    let secret = confidential_action(&app, &seed, &log, &member).await;
    assert_eq!(secret["confidential"], true);
    let path = format!("/v1/actions/{}", secret["id"].as_str().unwrap());
    app.get(&path, &member).await.expect_json(200);
    app.get(&path, &viewer).await.expect_problem(403);
    let seen_by_viewer = app
        .get_all(&format!("/v1/partnerships/{pid}/actions"), &viewer)
        .await;
    let seen_by_member = app
        .get_all(&format!("/v1/partnerships/{pid}/actions"), &member)
        .await;
    assert_eq!(seen_by_member.len(), seen_by_viewer.len() + 1);
    assert!(seen_by_viewer.iter().all(|a| a["id"] != secret["id"]));
}

#[tokio::test]
async fn viewers_and_the_public_never_see_an_action_of_a_confidential_item() {
    let app = spawn_app().await;
    let (seed, log) = herefordshire(&app).await;
    let pid = seed.partnership_id;
    let admin = app.platform_admin_token();
    let viewer = app.token(&[(pid, Role::Viewer)]);
    let secret = confidential_action(&app, &seed, &log, &admin).await;
    app.post_json(
        &format!("/v1/actions/{}/updates", secret["id"].as_str().unwrap()),
        &admin,
        &json!({"note": "Referred to the panel.", "reported_at_meeting_id": seed.meeting_id,
                "author_person_id": seed.people["EF"]}),
    )
    .await
    .expect_json(201);
    let needle = "child D";
    let arising = format!("/v1/meetings/{}/matters-arising", seed.meeting_id);
    assert!(app.get(&arising, &admin).await.text().contains(needle));
    assert!(!app
        .get(&arising, &viewer)
        .await
        .expect_json(200)
        .to_string()
        .contains(needle));
    let csv = format!("/v1/partnerships/{pid}/actions");
    assert!(app
        .get_accept(&csv, &admin, "text/csv")
        .await
        .text()
        .contains(needle));
    let seen = app.get_accept(&csv, &viewer, "text/csv").await;
    seen.expect_status(200);
    assert!(!seen.text().contains(needle));
    let minutes = format!("/v1/meetings/{}/minutes", seed.meeting_id);
    for accept in ["application/json", "text/markdown", "text/html"] {
        assert!(
            app.get_accept(&minutes, &admin, accept)
                .await
                .text()
                .contains(needle),
            "{accept}"
        );
        let copy = app.get_accept(&minutes, &viewer, accept).await;
        copy.expect_status(200);
        assert!(!copy.text().contains(needle), "a viewer's {accept} minutes");
    }
    // Published: the public copy neither, and no update names who recorded it.
    let december = schedule_board(&app, &seed, "2019-12-18T15:00:00Z", json!({})).await;
    let public = approve_and_publish(&app, &seed, &december).await;
    for accept in ["application/json", "text/markdown", "text/html"] {
        let copy = app
            .send(
                app.request(reqwest::Method::GET, &public, None)
                    .header("accept", accept),
            )
            .await;
        copy.expect_status(200);
        assert!(!copy.text().contains(needle), "the public {accept} minutes");
        assert!(
            !copy.text().contains(crate::helpers::PLATFORM_ADMIN),
            "the public {accept} minutes"
        );
    }
    let copy = app.get_anonymous(&public).await.expect_json(200);
    let reviewed = &copy["matters_arising"]["outstanding"];
    assert_eq!(
        reviewed[0]["updates"][0]["note"],
        "Not yet completed; to be completed and presented to Dec 19 QE meeting"
    );
}

#[tokio::test]
async fn another_partnerships_records_in_a_body_are_missing_references() {
    let app = spawn_app().await;
    let (seed, log) = herefordshire(&app).await;
    let pid = seed.partnership_id;
    let admin = app.token(&[(pid, Role::Admin)]);
    let other = crate::seed::load(&app, crate::seed::NOTTINGHAMSHIRE).await;
    let theirs = |field: &str| -> Value {
        match field {
            "meeting_id" | "due_meeting_id" | "reported_at_meeting_id" => json!(other.meeting_id),
            "item_id" => json!(other.items.values().next().unwrap()),
            _ => json!(other.people["SB"]),
        }
    };
    let actions = format!("/v1/partnerships/{pid}/actions");
    // Each refusal next to the same request with A's own record, accepted.
    for field in ["meeting_id", "item_id", "due_meeting_id"] {
        let mut body = json!({"description": "Draft the letter."});
        body[field] = theirs(field);
        let problem = app
            .post_json(&actions, &admin, &body)
            .await
            .expect_problem(404);
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let ours = json!({"description": "Draft the letter.", "meeting_id": seed.meeting_id,
                      "due_meeting_id": seed.meeting_id, "owners": [seed.people["PG"]]});
    app.post_json(&actions, &admin, &ours)
        .await
        .expect_json(201);
    let problem = app
        .post_json(
            &actions,
            &admin,
            &json!({"description": "x", "owners": ["PG", theirs("owner")]}),
        )
        .await
        .expect_problem(404);
    assert_eq!(problem["errors"][0]["field"], "owners[1]");
    let updates = format!(
        "/v1/actions/{}/updates",
        log.actions[&14]["id"].as_str().unwrap()
    );
    for field in ["author_person_id", "reported_at_meeting_id"] {
        let mut body = json!({"note": "Progress."});
        body[field] = theirs(field);
        let problem = app
            .post_json(&updates, &admin, &body)
            .await
            .expect_problem(404);
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    app.post_json(
        &updates,
        &admin,
        &json!({"note": "Progress.", "author_person_id": seed.people["PG"], "reported_at_meeting_id": seed.meeting_id}),
    )
    .await
    .expect_json(201);
}

#[tokio::test]
async fn the_edges_of_the_contract() {
    let app = spawn_app().await;
    let partnership = app.create_partnership("edges").await;
    let pid = id_of(&partnership);
    let admin = app.platform_admin_token();
    let actions = format!("/v1/partnerships/{pid}/actions");
    // An imported number is within the published range.
    for number in [0, 1_000_000_001_i64] {
        let problem = app
            .post_json(
                &actions,
                &admin,
                &json!({"number": number, "description": "x"}),
            )
            .await
            .expect_problem(422);
        assert_eq!(problem["errors"][0]["field"], "number");
    }
    let action = app
        .post_json(
            &actions,
            &admin,
            &json!({"number": 1_000_000_000_i64, "description": "x", "owners": ["ALL"]}),
        )
        .await
        .expect_json(201);
    // Dates are exactly YYYY-MM-DD.
    for bad in ["2019-1-5", "+12345-01-01", "2019-02-30"] {
        app.post_json(
            &actions,
            &admin,
            &json!({"description": "x", "due_date": bad}),
        )
        .await
        .expect_problem(422);
    }
    app.get(&format!("{actions}?due_before=2019-1-5"), &admin)
        .await
        .expect_problem(400);
    // A cursor the list did not hand out is past its end.
    let updates = format!("/v1/actions/{}/updates", action["id"].as_str().unwrap());
    app.post_json(&updates, &admin, &json!({"note": "Begun."}))
        .await
        .expect_json(201);
    let page = app
        .get(
            &format!("{updates}?cursor=0123456789abcdef0123456789abcdef"),
            &admin,
        )
        .await
        .expect_json(200);
    assert_eq!(page["items"], json!([]));
    // q=0 means "not this".
    let json_please = app
        .get_accept(&actions, &admin, "text/csv;q=0, application/json")
        .await;
    json_please.expect_status(200);
    assert!(json_please
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    // The most specific range decides: `*/*` and `text/csv` alike, CSV.
    let csv = app.get_accept(&actions, &admin, "*/*, text/csv").await;
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let csv = app.get_accept(&actions, &admin, "text/*").await;
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    app.get_accept(&actions, &admin, "text/csv;q=0")
        .await
        .expect_problem(406);
    // A PATCH with `null` owners keeps them.
    let kept = app
        .patch_json(
            &format!("/v1/actions/{}", action["id"].as_str().unwrap()),
            &admin,
            Some("*"),
            &json!({"owners": null}),
        )
        .await
        .expect_json(200);
    assert_eq!(kept["owners"][0]["kind"], "all_partners");
    assert_eq!(kept["owners"].as_array().unwrap().len(), 1);
}
