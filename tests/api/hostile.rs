//! What a hostile probe found at the trust boundaries: a stored answer is
//! replayed only to a caller the operation would let do it now, operator
//! tokens do not share a subject, a revoked or rotated client's tokens end at
//! once, and a well-formed but stale entity tag is 412.

use std::time::Duration;

use safeguarding_api::auth::Role;
use safeguarding_api::db::Id;
use serde_json::{json, Value};

use crate::helpers::{command_line, id_of, spawn_app, spawn_app_with, Answer, TestApp};

/// The subject every token of the `token` command had before it gave each
/// token its own.
const SHARED_SUBJECT: &str = "operator";

fn person(initials: &str) -> Value {
    json!({"full_name": format!("Person {initials}"), "initials": initials})
}

async fn post_keyed(app: &TestApp, path: &str, token: &str, key: &str, body: &Value) -> Answer {
    app.post_json_idempotent(path, token, key, body).await
}

async fn count(app: &TestApp, path: &str) -> usize {
    app.get_all(path, &app.platform_admin_token()).await.len()
}

#[tokio::test]
async fn a_stored_answer_is_replayed_only_to_a_caller_who_passes_the_checks_now() {
    let app = spawn_app().await;
    let h = id_of(&app.create_partnership("herefordshire").await);
    let n = id_of(&app.create_partnership("nottinghamshire").await);
    let admin = app.mint(SHARED_SUBJECT, None, false, &[(h, Role::Admin)], 600);
    let people = format!("/v1/partnerships/{h}/people");
    let created = post_keyed(&app, &people, &admin, "k-1", &person("PG")).await;
    created.expect_json(201);

    // Another partnership's viewer with the same subject, key and body: the
    // same 404 as without a key, not Herefordshire's record.
    let foreign = app.mint(SHARED_SUBJECT, None, false, &[(n, Role::Viewer)], 600);
    let replay = post_keyed(&app, &people, &foreign, "k-1", &person("PG")).await;
    assert_eq!(replay.header("idempotent-replayed"), None);
    let unkeyed = app
        .post_json(&people, &foreign, &person("PG"))
        .await
        .expect_problem(404);
    assert_eq!(replay.expect_problem(404), unkeyed);
    // With another body: still 404, never a 422 describing the first request.
    post_keyed(&app, &people, &foreign, "k-1", &person("XX"))
        .await
        .expect_problem(404);

    // The same subject with its role lowered: 403, not the admin's answer.
    let lowered = app.mint(SHARED_SUBJECT, None, false, &[(h, Role::Viewer)], 600);
    post_keyed(&app, &people, &lowered, "k-1", &person("PG"))
        .await
        .expect_problem(403);

    // The admin itself still gets its answer replayed, and nothing is written twice.
    let again = post_keyed(&app, &people, &admin, "k-1", &person("PG")).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.expect_json(201), created.json());
    assert_eq!(count(&app, &people).await, 1);
}

#[tokio::test]
async fn a_replay_under_a_top_level_id_runs_the_operations_own_checks_first() {
    let app = spawn_app().await;
    let h = id_of(&app.create_partnership("herefordshire").await);
    let n = id_of(&app.create_partnership("nottinghamshire").await);
    let admin = app.mint(SHARED_SUBJECT, None, false, &[(h, Role::Admin)], 600);
    let meeting = &board_meetings(&app, h, &admin, &["2019-11-18T09:30:00Z"]).await[0];
    let items = format!("/v1/meetings/{}/items", meeting["id"].as_str().unwrap());
    let item = json!({"number": "1", "title": "Welcome and apologies"});
    let first = post_keyed(&app, &items, &admin, "item-1", &item).await;
    first.expect_json(201);

    // The meeting is found by its id, inside the operation: the checks made
    // there decide, before any stored answer is looked at.
    let foreign = app.mint(SHARED_SUBJECT, None, false, &[(n, Role::Admin)], 600);
    let refused = post_keyed(&app, &items, &foreign, "item-1", &item).await;
    assert_eq!(refused.header("idempotent-replayed"), None);
    refused.expect_problem(404);
    let viewer = app.mint(SHARED_SUBJECT, None, false, &[(h, Role::Viewer)], 600);
    post_keyed(&app, &items, &viewer, "item-1", &item)
        .await
        .expect_problem(403);

    let again = post_keyed(&app, &items, &admin, "item-1", &item).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.expect_json(201), first.json());
    // The checks ran in a rolled-back savepoint: still one item.
    assert_eq!(count(&app, &items).await, 1);
}

/// Runs the `token` command with the test servers' secret.
fn token_command(args: &[&str]) -> String {
    let args: Vec<&str> = std::iter::once("token")
        .chain(args.iter().copied())
        .collect();
    command_line(&args, &[]).trim().to_owned()
}

fn subject_of(token: &str) -> String {
    let claims =
        jsonwebtoken::dangerous::insecure_decode::<Value>(token).expect("a JWT from the command");
    claims.claims["sub"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_token_command_gives_each_token_a_subject_of_its_own() {
    let app = spawn_app().await;
    let h = id_of(&app.create_partnership("herefordshire").await);
    let n = id_of(&app.create_partnership("nottinghamshire").await);
    let admin = token_command(&["--role", &format!("{h}=admin")]);
    let viewer = token_command(&["--role", &format!("{n}=viewer")]);
    assert_ne!(subject_of(&admin), subject_of(&viewer));
    assert!(subject_of(&admin).starts_with("operator-"));
    assert_eq!(
        subject_of(&token_command(&["--platform-admin", "--subject", "ops"])),
        "ops"
    );

    // So the same key from both is two requests, each judged on its own.
    let people = format!("/v1/partnerships/{h}/people");
    post_keyed(&app, &people, &admin, "walk-through", &person("PG"))
        .await
        .expect_json(201);
    post_keyed(&app, &people, &viewer, "walk-through", &person("PG"))
        .await
        .expect_problem(404);
}

/// Creates an admin client of the partnership and trades its secret for a token.
async fn admin_client(app: &TestApp, partnership: &str) -> (String, String, String) {
    let issued = app
        .post_json(
            &format!("/v1/partnerships/{partnership}/clients"),
            &app.platform_admin_token(),
            &json!({"name": "Business unit", "role": "admin"}),
        )
        .await
        .expect_json(201);
    let id = issued["client_id"].as_str().unwrap().to_owned();
    let secret = issued["client_secret"].as_str().unwrap().to_owned();
    let token = client_token(app, &id, &secret).await;
    (id, secret, token)
}

async fn client_token(app: &TestApp, id: &str, secret: &str) -> String {
    let answer = app
        .send(app.client.post(app.url("/v1/oauth/token")).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ]))
        .await
        .expect_json(200);
    answer["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_revoked_clients_tokens_are_refused_at_once() {
    let app = spawn_app().await;
    let h = app.create_partnership("herefordshire").await;
    let pid = h["id"].as_str().unwrap();
    let (id, _, token) = admin_client(&app, pid).await;
    let clients = format!("/v1/partnerships/{pid}/clients");
    app.get(&format!("/v1/partnerships/{pid}"), &token)
        .await
        .expect_json(200);

    app.post_json(
        &format!("{clients}/{id}/revoke"),
        &app.platform_admin_token(),
        &json!({}),
    )
    .await
    .expect_json(200);
    let refused = app.get(&format!("/v1/partnerships/{pid}"), &token).await;
    let problem = refused.expect_problem(401);
    assert!(problem["detail"].as_str().unwrap().contains("revoked"));
    assert!(refused
        .header("www-authenticate")
        .is_some_and(|h| h.contains("invalid_token")));
    // It cannot mint itself a way back in: no new admin client, no secret.
    let escape = app
        .post_json(
            &clients,
            &token,
            &json!({"name": "Back door", "role": "admin"}),
        )
        .await;
    assert!(!escape.text().contains("client_secret"));
    escape.expect_problem(401);
    assert_eq!(count(&app, &clients).await, 1);
}

#[tokio::test]
async fn a_rotated_clients_earlier_tokens_are_refused_and_new_ones_work() {
    let app = spawn_app().await;
    let h = app.create_partnership("herefordshire").await;
    let pid = h["id"].as_str().unwrap();
    let (id, _, old_token) = admin_client(&app, pid).await;
    let rotated = app
        .post_json(
            &format!("/v1/partnerships/{pid}/clients/{id}/secret"),
            &old_token,
            &json!({}),
        )
        .await
        .expect_json(200);
    let secret = rotated["client_secret"].as_str().unwrap();
    app.get(&format!("/v1/partnerships/{pid}"), &old_token)
        .await
        .expect_problem(401);
    let new_token = client_token(&app, &id, secret).await;
    app.get(&format!("/v1/partnerships/{pid}"), &new_token)
        .await
        .expect_json(200);
}

#[tokio::test]
async fn another_instance_refuses_a_revoked_clients_tokens_within_two_seconds() {
    let first = spawn_app().await;
    let second = spawn_app_with(&[("DATABASE_URL", first.database_url.as_str())]).await;
    let h = first.create_partnership("herefordshire").await;
    let pid = h["id"].as_str().unwrap();
    let (id, _, token) = admin_client(&first, pid).await;
    let partnership = format!("/v1/partnerships/{pid}");
    // The second instance has seen the client live, and remembers it so.
    second.get(&partnership, &token).await.expect_json(200);
    first
        .post_json(
            &format!("{partnership}/clients/{id}/revoke"),
            &first.platform_admin_token(),
            &json!({}),
        )
        .await
        .expect_json(200);
    first.get(&partnership, &token).await.expect_problem(401);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    second.get(&partnership, &token).await.expect_problem(401);
}

#[tokio::test]
async fn a_well_formed_entity_tag_that_is_not_current_is_412() {
    let app = spawn_app().await;
    let h = app.create_partnership("herefordshire").await;
    let path = format!("/v1/partnerships/{}", h["id"].as_str().unwrap());
    let admin = app.platform_admin_token();
    for stale in [r#""stale-0""#, r#""9""#, r#"W/"1""#, r#""x", "y""#, r#""""#] {
        let problem = app
            .patch_json(
                &path,
                &admin,
                Some(stale),
                &json!({"area": "Herefordshire"}),
            )
            .await
            .expect_problem(412);
        assert!(problem["detail"].is_string(), "{stale}");
    }
    // A list that names the current version matches (RFC 9110 §13.1.1).
    app.patch_json(
        &path,
        &admin,
        Some(r#""stale-0", "1""#),
        &json!({"area": "Herefordshire"}),
    )
    .await
    .expect_json(200);
    // What is not an entity tag at all stays 400.
    for malformed in ["1", "stale", r#""unterminated"#] {
        app.patch_json(&path, &admin, Some(malformed), &json!({"area": "x"}))
            .await
            .expect_problem(400);
    }
    let unchanged = app.get(&path, &admin).await.expect_json(200);
    assert_eq!(unchanged["version"], 2);
}

#[tokio::test]
async fn a_percent_encoded_path_is_checked_for_unknown_parameters_too() {
    let app = spawn_app().await;
    let h = id_of(&app.create_partnership("herefordshire").await);
    let admin = app.platform_admin_token();
    // The router decodes `%70` to `p`: the same operation, the same check.
    let problem = app
        .get(&format!("/v1/partnerships/{h}/%70eople?initial=PG"), &admin)
        .await
        .expect_problem(400);
    assert_eq!(problem["errors"][0]["field"], "initial");
    app.get(
        &format!("/v1/partnerships/{h}/%70eople?initials=PG"),
        &admin,
    )
    .await
    .expect_json(200);
}

#[tokio::test]
async fn an_agenda_cursor_whose_item_was_removed_is_400_not_an_early_end() {
    let app = spawn_app().await;
    let h = id_of(&app.create_partnership("herefordshire").await);
    let admin = app.platform_admin_token();
    let meeting = &board_meetings(&app, h, &admin, &["2019-11-18T09:30:00Z"]).await[0];
    let items = format!("/v1/meetings/{}/items", meeting["id"].as_str().unwrap());
    for number in ["1", "2", "3"] {
        app.post_json(
            &items,
            &admin,
            &json!({"number": number, "title": format!("Item {number}")}),
        )
        .await
        .expect_json(201);
    }
    let first = app
        .get(&format!("{items}?limit=1"), &admin)
        .await
        .expect_json(200);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let removed = &first["items"][0];
    app.delete(
        &format!("{items}/{}", removed["id"].as_str().unwrap()),
        &admin,
        Some(r#""1""#),
    )
    .await
    .expect_status(204);
    let problem = app
        .get(&format!("{items}?limit=1&cursor={cursor}"), &admin)
        .await
        .expect_problem(400);
    assert!(problem["detail"].as_str().unwrap().contains("cursor"));
}

/// A group of partnership `h` and its meetings starting at `starts`.
async fn board_meetings(app: &TestApp, h: Id, admin: &str, starts: &[&str]) -> Vec<Value> {
    let group = app
        .post_json(
            &format!("/v1/partnerships/{h}/groups"),
            admin,
            &json!({"name": "Safeguarding Partnership Board", "short_name": "SPB"}),
        )
        .await
        .expect_json(201);
    let mut meetings = Vec::new();
    for starts_at in starts {
        let meeting = app
            .post_json(
                &format!("/v1/partnerships/{h}/meetings"),
                admin,
                &json!({"group_id": group["id"], "title": "Board", "starts_at": starts_at}),
            )
            .await
            .expect_json(201);
        meetings.push(meeting);
    }
    meetings
}

/// A board with a later meeting to approve it at, and one item.
async fn board(app: &TestApp) -> (Value, Value, Value) {
    let h = id_of(&app.create_partnership("herefordshire").await);
    let admin = app.platform_admin_token();
    let mut meetings = board_meetings(
        app,
        h,
        &admin,
        &["2019-11-18T09:30:00Z", "2019-12-16T09:30:00Z"],
    )
    .await;
    let later = meetings.pop().expect("two meetings");
    let first = meetings.pop().expect("two meetings");
    let item = app
        .post_json(
            &format!("/v1/meetings/{}/items", first["id"].as_str().unwrap()),
            &admin,
            &json!({"number": "1", "title": "Budget"}),
        )
        .await
        .expect_json(201);
    (first, later, item)
}

#[tokio::test]
async fn writes_into_one_meeting_and_its_approval_queue_instead_of_deadlocking() {
    let app = spawn_app().await;
    let (meeting, later, item) = board(&app).await;
    let admin = app.platform_admin_token();
    let m = meeting["id"].as_str().unwrap();
    let pid = meeting["partnership_id"].as_str().unwrap();
    let item_path = format!("/v1/meetings/{m}/items/{}", item["id"].as_str().unwrap());
    for round in 0..50 {
        // An action agreed under the item, a new item, an edit of the item
        // and the approval, all at once: each locks the change log before
        // the meeting, so none deadlocks (a deadlock answers 409 "retry").
        let actions = format!("/v1/partnerships/{pid}/actions");
        let action_body = json!({"item_id": item["id"], "description": format!("Action {round}"), "owners": ["ALL"]});
        let items = format!("/v1/meetings/{m}/items");
        let item_body = json!({"number": format!("{}", round + 2), "title": "Another item"});
        let edit_body = json!({"title": format!("Budget {round}")});
        let approve = format!("/v1/meetings/{m}/minutes/approve");
        let approve_body = json!({"approved_at_meeting_id": later["id"]});
        let (action, new_item, edit, approval) = tokio::join!(
            app.post_json(&actions, &admin, &action_body),
            app.post_json(&items, &admin, &item_body),
            app.patch_json(&item_path, &admin, Some("*"), &edit_body),
            app.post_json(&approve, &admin, &approve_body),
        );
        approval.expect_json(200);
        for (what, answer, ok) in [
            ("action", &action, 201),
            ("item", &new_item, 201),
            ("edit", &edit, 200),
        ] {
            let status = answer.status.as_u16();
            // Either before the approval, or after it: the minutes lock.
            if status != ok {
                let problem = answer.expect_problem(409);
                assert!(
                    problem["detail"].as_str().unwrap().contains("locked")
                        || problem["detail"].as_str().unwrap().contains("approved"),
                    "round {round}, {what}: {problem}"
                );
            }
        }
        app.post_json(
            &format!("/v1/meetings/{m}/minutes/reopen"),
            &admin,
            &json!({"reason": "next round"}),
        )
        .await
        .expect_json(200);
    }
}
