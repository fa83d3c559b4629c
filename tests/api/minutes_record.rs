//! Minutes as a record: the actions agreed under each item and the
//! matters-arising review in the seeds' shape, and approved minutes that
//! stay the same, byte for byte, whatever changes afterwards.

use serde_json::{json, Value};

use crate::actions::herefordshire;
use crate::helpers::spawn_app;
use crate::seed::{approve_and_publish, schedule_board, HEREFORDSHIRE};

fn start_of(text: &str) -> String {
    text.chars().take(20).collect()
}

#[tokio::test]
async fn minutes_show_actions_under_items_and_freeze_at_approval() {
    let app = spawn_app().await;
    let (seed, log) = herefordshire(&app).await;
    let admin = app.platform_admin_token();
    let pid = seed.partnership_id;
    let minutes = format!("/v1/meetings/{}/minutes", seed.meeting_id);
    let markdown = app.get_accept(&minutes, &admin, "text/markdown").await;
    markdown.expect_status(200);
    let text = markdown.text();
    // Each agreed action is a row of the table under its own item.
    let fixture: Value = serde_json::from_str(HEREFORDSHIRE).unwrap();
    for item in fixture["meetings"][0]["items"].as_array().unwrap() {
        if item["title"] == "Date of next meeting" {
            continue;
        }
        // Sub-items (2a under 2.) are headings a level down.
        let heading = match item["number"].as_str() {
            Some(n) => format!("# {n} {}\n", item["title"].as_str().unwrap()),
            None => format!("# {}\n", item["title"].as_str().unwrap()),
        };
        let start = text
            .find(&heading)
            .unwrap_or_else(|| panic!("{heading} in\n{text}"));
        let section = &text[start..];
        let end = section[3..].find("\n##").map_or(section.len(), |i| i + 3);
        let section = &section[..end];
        for a in item["actions"].as_array().unwrap() {
            let description = a["description"].as_str().unwrap();
            let row = log
                .actions
                .values()
                .find(|x| x["description"] == description)
                .unwrap();
            let line = format!("| {} | ", row["number"]);
            assert!(
                section
                    .lines()
                    .any(|l| l.starts_with(&line) && l.contains(&start_of(description))),
                "action {} under {heading}:\n{section}",
                row["number"]
            );
        }
    }
    // The matters arising in the seed's words, under item 1.
    let review = text
        .find("Members considered the following outstanding actions")
        .unwrap();
    assert!(text[review..]
        .contains("Action No 14 (23.10.19 ref 3.1) *Case Review Final Sign Off - PG to amend"));
    assert!(text[review..]
        .contains("**Not yet completed; to be completed and presented to Dec 19 QE meeting**"));
    assert!(review > text.find("## 1. Minutes of the previous meeting").unwrap());

    // Approve at the December board: the minutes are frozen.
    let december = schedule_board(&app, &seed, "2019-12-18T15:00:00Z", json!({})).await;
    app.post_json(
        &format!("/v1/meetings/{}/minutes/approve", seed.meeting_id),
        &admin,
        &json!({"approved_at_meeting_id": december["id"]}),
    )
    .await
    .expect_json(200);
    let approved_md = app.get_accept(&minutes, &admin, "text/markdown").await.body;
    let approved_json = app
        .get_accept(&minutes, &admin, "application/json")
        .await
        .body;
    let approved_html = app.get_accept(&minutes, &admin, "text/html").await.body;
    let doc: Value = serde_json::from_slice(&approved_json).unwrap();
    assert!(doc["snapshot_taken_at"].is_string());
    let quorate = doc["meeting"]["quorate"].clone();

    // Rename a person, add a statutory partner, complete an action.
    let pg = format!("/v1/partnerships/{pid}/people/{}", seed.people["PG"]);
    app.patch_json(
        &pg,
        &admin,
        Some("*"),
        &json!({"full_name": "Philippa Granthier-Jones"}),
    )
    .await
    .expect_json(200);
    let probation = app
        .post_json(
            "/v1/organisations",
            &admin,
            &json!({"name": "National Probation Service", "kind": "other"}),
        )
        .await
        .expect_json(201);
    app.post_json(
        &format!("/v1/partnerships/{pid}/members"),
        &admin,
        &json!({"organisation_id": probation["id"], "role": "statutory_partner"}),
    )
    .await
    .expect_json(201);
    app.post_json(
        &format!(
            "/v1/actions/{}/updates",
            log.actions[&14]["id"].as_str().unwrap()
        ),
        &admin,
        &json!({"note": "Done.", "status": "complete", "noted_on": "2019-12-06"}),
    )
    .await
    .expect_json(201);

    assert_eq!(
        app.get_accept(&minutes, &admin, "text/markdown").await.body,
        approved_md
    );
    assert_eq!(
        app.get_accept(&minutes, &admin, "application/json")
            .await
            .body,
        approved_json
    );
    assert_eq!(
        app.get_accept(&minutes, &admin, "text/html").await.body,
        approved_html
    );
    assert!(String::from_utf8_lossy(&approved_md).contains("Philippa Granthier (PG)"));
    // Not vacuous: the live record has changed. The December meeting's
    // draft minutes read names live, and reopening November's discards the
    // snapshot.
    let live = app
        .get(&format!("/v1/meetings/{}", seed.meeting_id), &admin)
        .await
        .expect_json(200);
    assert_ne!(
        live["quorate"], quorate,
        "a new statutory partner changes live quorum"
    );
    app.post_json(
        &format!("/v1/meetings/{}/minutes/reopen", seed.meeting_id),
        &admin,
        &json!({"reason": "Correct a name."}),
    )
    .await
    .expect_json(200);
    let reopened = app
        .get_accept(&minutes, &admin, "text/markdown")
        .await
        .text();
    assert!(reopened.contains("Philippa Granthier-Jones"));
    assert_ne!(reopened.as_bytes(), approved_md.as_slice());

    // Published, the public copy names the approving meeting only once its
    // own minutes are public.
    let public = approve_and_publish(&app, &seed, &december).await;
    let copy = app.get_anonymous(&public).await.expect_json(200);
    assert_eq!(copy["approved_at_meeting"], Value::Null);
    let inside = app.get(&minutes, &admin).await.expect_json(200);
    assert_eq!(inside["approved_at_meeting"]["id"], december["id"]);
    assert!(copy["items"][2]["actions"].as_array().is_some());
}
