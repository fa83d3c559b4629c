//! Meetings over HTTP: the Herefordshire meeting of 18 November 2019 rebuilt
//! from the seed, quorum with a deputy, confidential items, the minutes life
//! cycle and the public copy, the calendar feed, tenancy.

use safeguarding_api::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp, JWT_SECRET};
use crate::seed::{self, etag, schedule_board, Seed, HEREFORDSHIRE, NOTTINGHAMSHIRE};

const HARRY: &str = "Serious Case Review 'Harry' Report";
const HARRY_TEXT: &str = "recommendations were not clear";
const BUDGET: &str = "2020-21 Budget";

async fn herefordshire(app: &TestApp) -> Seed {
    seed::load(app, HEREFORDSHIRE).await
}

fn meeting_path(seed: &Seed, rest: &str) -> String {
    format!("/v1/meetings/{}{rest}", seed.meeting_id)
}

async fn make_confidential(app: &TestApp, seed: &Seed, title: &str) {
    let admin = app.platform_admin_token();
    let path = meeting_path(seed, &format!("/items/{}", seed.items[title]));
    let item = app.get(&path, &admin).await.expect_json(200);
    app.patch_json(
        &path,
        &admin,
        Some(&etag(&item)),
        &json!({"confidential": true}),
    )
    .await
    .expect_json(200);
}

#[tokio::test]
async fn the_herefordshire_meeting_is_rebuilt_from_the_seed() {
    let app = spawn_app().await;
    let seed = herefordshire(&app).await;
    let member = app.token(&[(seed.partnership_id, Role::Member)]);

    let meeting = app
        .get(&meeting_path(&seed, ""), &member)
        .await
        .expect_json(200);
    assert_eq!(meeting["quorate"], true, "{meeting}");
    assert_eq!(meeting["quorum_missing_organisation_ids"], json!([]));
    assert_eq!(meeting["minutes_status"], "draft");
    assert_eq!(meeting["status"], "held");

    let answer = app
        .get_accept(&meeting_path(&seed, "/minutes"), &member, "text/markdown")
        .await;
    answer.expect_status(200);
    assert!(answer
        .header("content-type")
        .unwrap()
        .starts_with("text/markdown"));
    let md = answer.text();
    assert!(
        md.starts_with("# Minutes of the Herefordshire Safeguarding Partner's Board"),
        "{md}"
    );
    assert!(
        md.contains("Monday 18 November 2019 3.00pm – 4.30pm"),
        "{md}"
    );
    assert!(md.contains("Goodrich Room, Plough Lane, Hereford"));
    let present = section(&md, "## Present");
    for line in [
        "Liz Murphy (LM), Independent Chair **(Chair)**",
        "Sue Thomas (ST), Superintendent",
        "Chris Baird (CB), Director for Children & Families",
        "Ellen Footman (EF), Head of Safeguarding",
    ] {
        assert!(present.contains(line), "Present lacks {line:?}:\n{present}");
    }
    assert!(
        present.starts_with("## Present\n\n- Liz Murphy"),
        "the chair heads the list"
    );
    let attendance = section(&md, "## In attendance");
    assert!(attendance.contains("Ed Hughes (EH), Business Support Co-ordinator"));
    assert!(attendance.contains("**(minutes)**"));
    assert!(attendance.contains("Philippa Granthier (PG), Interim Business Manager"));

    // "The 2020-21 budget was discussed but not minuted": an item, no text.
    let items = app
        .get(&meeting_path(&seed, "/items"), &member)
        .await
        .expect_json(200);
    let budget = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"] == BUDGET)
        .expect("the budget item");
    assert_eq!(budget["not_minuted"], true);
    assert_eq!(budget["minutes"], Value::Null);
    let budget_section = section(&md, &format!("## 7 {BUDGET}"));
    assert!(
        budget_section.contains("*Discussed but not minuted.*"),
        "{budget_section}"
    );

    // Items keep the agenda's order and numbers as written.
    let numbers: Vec<&str> = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["number"].as_str())
        .collect();
    assert_eq!(&numbers[..4], ["1.", "2.", "2a", "2b"]);

    // JSON and HTML renderings of the same record.
    let doc = app
        .get(&meeting_path(&seed, "/minutes"), &member)
        .await
        .expect_json(200);
    assert_eq!(doc["present"].as_array().unwrap().len(), 4);
    assert_eq!(doc["in_attendance"].as_array().unwrap().len(), 2);
    let html = app
        .get_accept(&meeting_path(&seed, "/minutes"), &member, "text/html")
        .await;
    html.expect_status(200);
    let page = html.text();
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("<h2>Present</h2>"));
    assert!(page.contains("@media print"));
    app.get_accept(&meeting_path(&seed, "/minutes"), &member, "image/png")
        .await
        .expect_problem(406);
}

/// The text from `heading` to the next heading of the same level.
fn section(md: &str, heading: &str) -> String {
    let start = md
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?} in\n{md}"));
    let rest = &md[start..];
    let end = rest[heading.len()..]
        .find("\n## ")
        .map_or(rest.len(), |e| e + heading.len() + 1);
    rest[..end].to_owned()
}

#[tokio::test]
async fn a_deputy_makes_the_nottinghamshire_meeting_quorate() {
    let app = spawn_app().await;
    let seed = seed::load(&app, NOTTINGHAMSHIRE).await;
    let admin = app.platform_admin_token();
    let meeting = app
        .get(&meeting_path(&seed, ""), &admin)
        .await
        .expect_json(200);
    assert_eq!(meeting["quorate"], true, "{meeting}");
    assert_eq!(meeting["no_declarations"], true);

    let md = app
        .get_accept(&meeting_path(&seed, "/minutes"), &admin, "text/markdown")
        .await
        .text();
    assert!(md.contains("Rosa Waddingham (RW)") && md.contains("(deputising for Elaine Moss)"));
    assert!(section(&md, "## Apologies").contains("Elaine Moss (EM)"));
    assert!(md.contains("There were no declarations of interest."));

    // Without her, the CCG whose chief nurse sent apologies is missing.
    let attendees = app
        .get_all(&meeting_path(&seed, "/attendees"), &admin)
        .await;
    let rosa = attendees
        .iter()
        .find(|a| a["person_id"] == json!(seed.people["RW"]))
        .unwrap();
    let path = meeting_path(
        &seed,
        &format!("/attendees/{}", rosa["id"].as_str().unwrap()),
    );
    app.patch_json(
        &path,
        &admin,
        Some(&etag(rosa)),
        &json!({"attendance": "absent", "deputising_for_person_id": null}),
    )
    .await
    .expect_json(200);
    let meeting = app
        .get(&meeting_path(&seed, ""), &admin)
        .await
        .expect_json(200);
    assert_eq!(meeting["quorate"], false);
    let ccg = seed.organisations["mid-notts-ccgs"].to_string();
    assert!(
        meeting["quorum_missing_organisation_ids"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o.as_str() == Some(ccg.as_str())),
        "{meeting}"
    );
}

#[tokio::test]
async fn confidential_items_are_for_members_not_viewers_and_every_read_is_logged() {
    let app = spawn_app().await;
    let seed = herefordshire(&app).await;
    make_confidential(&app, &seed, HARRY).await;
    let member = app.token_with_org(
        "police-system",
        seed.organisations["west-mercia-police"],
        &[(seed.partnership_id, Role::Member)],
    );
    let viewer = app.token(&[(seed.partnership_id, Role::Viewer)]);
    let item_path = meeting_path(&seed, &format!("/items/{}", seed.items[HARRY]));
    const INTEREST: &str = "Knows the family of the child concerned.";
    app.post_json(
        &meeting_path(&seed, "/declarations"),
        &app.platform_admin_token(),
        &json!({"person_id": seed.people["EF"], "item_id": seed.items[HARRY], "text": INTEREST}),
    )
    .await
    .expect_json(201);
    let declarations = app
        .get(&meeting_path(&seed, "/declarations"), &member)
        .await
        .expect_json(200);
    assert_eq!(declarations["items"][0]["text"], INTEREST);
    let declarations = app
        .get(&meeting_path(&seed, "/declarations"), &viewer)
        .await
        .expect_json(200);
    assert!(!declarations.to_string().contains(INTEREST));

    // A guest who attended for it only: viewers do not learn which item.
    app.post_json(
        &meeting_path(&seed, "/attendees"),
        &app.platform_admin_token(),
        &json!({"guest_name": "Report author", "attended_item_ids": [seed.items[HARRY]]}),
    )
    .await
    .expect_json(201);
    let guest_items = |list: Value| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["guest_name"] == "Report author")
            .unwrap()["attended_item_ids"]
            .clone()
    };
    let attendees = app.get(&meeting_path(&seed, "/attendees"), &member).await;
    assert_eq!(
        guest_items(attendees.expect_json(200)),
        json!([seed.items[HARRY]])
    );
    let attendees = app.get(&meeting_path(&seed, "/attendees"), &viewer).await;
    assert_eq!(guest_items(attendees.expect_json(200)), json!([]));

    // A member reads it in full; the read is logged.
    let item = app.get(&item_path, &member).await.expect_json(200);
    assert!(item["minutes"].as_str().unwrap().contains(HARRY_TEXT));
    let md = app
        .get_accept(&meeting_path(&seed, "/minutes"), &member, "text/markdown")
        .await
        .text();
    assert!(md.contains(HARRY_TEXT));

    // A viewer is refused the item and its decisions, and sees it redacted.
    app.get(&item_path, &viewer).await.expect_problem(403);
    app.get(&format!("{item_path}/decisions"), &viewer)
        .await
        .expect_problem(403);
    let items = app
        .get(&meeting_path(&seed, "/items"), &viewer)
        .await
        .expect_json(200);
    let redacted = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == json!(seed.items[HARRY]))
        .unwrap();
    assert_eq!(redacted["redacted"], true);
    assert_eq!(redacted["title"], "Confidential item");
    assert_eq!(redacted["number"], "4c");
    assert_eq!(redacted["minutes"], Value::Null);
    for accept in ["text/markdown", "text/html", "application/json"] {
        let copy = app
            .get_accept(&meeting_path(&seed, "/minutes"), &viewer, accept)
            .await
            .text();
        assert!(!copy.contains(HARRY_TEXT), "{accept} leaks the item");
        assert!(!copy.contains(INTEREST), "{accept} leaks the declaration");
        assert!(!copy.contains("Harry"), "{accept} leaks the title");
        assert!(copy.contains("Confidential item"), "{accept}");
    }

    // The access log: who read the confidential item, and how; who was refused.
    let admin = app.platform_admin_token();
    let log = app
        .get_all(
            &format!(
                "/v1/partnerships/{}/access-log?resource_id={}",
                seed.partnership_id, seed.items[HARRY]
            ),
            &admin,
        )
        .await;
    let allowed: Vec<&Value> = log.iter().filter(|e| e["outcome"] == "allowed").collect();
    assert_eq!(allowed.len(), 2, "{log:?}");
    assert!(allowed
        .iter()
        .all(|e| e["subject"] == "police-system" && e["role"] == "member"));
    assert!(allowed[1]["operation"]
        .as_str()
        .unwrap()
        .contains("text/markdown"));
    let refused: Vec<&Value> = log.iter().filter(|e| e["outcome"] == "refused").collect();
    assert_eq!(refused.len(), 2, "the item and its decisions: {log:?}");
    assert!(refused.iter().all(|e| e["role"] == "viewer"));
    // Every copy of the minutes handed out, redacted or not.
    let copies = app
        .get_all(
            &format!(
                "/v1/partnerships/{}/access-log?resource_type=minutes",
                seed.partnership_id
            ),
            &admin,
        )
        .await;
    assert_eq!(
        copies.len(),
        4,
        "markdown by the member, markdown, html and json by the viewer: {copies:?}"
    );
    assert!(copies
        .iter()
        .any(|e| e["operation"].as_str().unwrap().contains("(redacted)")));
    // None of it is a change.
    let changes = app
        .get_all(
            &format!("/v1/partnerships/{}/audit-events", seed.partnership_id),
            &admin,
        )
        .await;
    assert!(changes
        .iter()
        .all(|e| e["action"] != "read" && e["action"] != "export"));
}

#[tokio::test]
async fn approved_minutes_are_locked_until_an_admin_reopens_them() {
    let app = spawn_app().await;
    let seed = herefordshire(&app).await;
    let admin = app.platform_admin_token();
    let meeting = app
        .get(&meeting_path(&seed, ""), &admin)
        .await
        .expect_json(200);
    // The December board, where they are approved.
    let december = schedule_board(&app, &seed, "2019-12-18T15:00:00Z", json!({})).await;
    assert_eq!(
        december["previous_meeting_id"], meeting["id"],
        "the previous meeting is found"
    );

    let earlier = app
        .post_json(
            &meeting_path(&seed, "/minutes/approve"),
            &admin,
            &json!({"approved_at_meeting_id": seed.meeting_id}),
        )
        .await;
    earlier.expect_problem(422);
    let approved = app
        .post_json(
            &meeting_path(&seed, "/minutes/approve"),
            &admin,
            &json!({"approved_at_meeting_id": december["id"]}),
        )
        .await
        .expect_json(200);
    assert_eq!(approved["minutes_status"], "approved");
    assert_eq!(approved["approved_at_meeting_id"], december["id"]);

    // Locked: items, attendees, decisions, the meeting itself.
    let item_path = meeting_path(&seed, &format!("/items/{}", seed.items[BUDGET]));
    let item = app.get(&item_path, &admin).await.expect_json(200);
    app.patch_json(
        &item_path,
        &admin,
        Some(&etag(&item)),
        &json!({"title": "Budget"}),
    )
    .await
    .expect_problem(409);
    app.post_json(
        &meeting_path(&seed, "/items"),
        &admin,
        &json!({"title": "Late item"}),
    )
    .await
    .expect_problem(409);
    app.post_json(
        &meeting_path(&seed, "/attendees"),
        &admin,
        &json!({"guest_name": "Liz Elgar"}),
    )
    .await
    .expect_problem(409);
    app.post_json(
        &format!("{item_path}/decisions"),
        &admin,
        &json!({"outcome": "noted", "text": "x"}),
    )
    .await
    .expect_problem(409);
    app.patch_json(
        &meeting_path(&seed, ""),
        &admin,
        Some(&etag(&approved)),
        &json!({"location": "Elsewhere"}),
    )
    .await
    .expect_problem(409);
    let unchanged = app.get(&item_path, &admin).await.expect_json(200);
    assert_eq!(unchanged["title"], BUDGET);

    // Not public until published.
    let public = format!(
        "/v1/public/partnerships/{}/meetings/{}/minutes",
        seed.slug, seed.meeting_id
    );
    app.get_anonymous(&public).await.expect_problem(404);

    // A member may not reopen; an admin may, and says why.
    let member = app.token(&[(seed.partnership_id, Role::Member)]);
    app.post_json(
        &meeting_path(&seed, "/minutes/reopen"),
        &member,
        &json!({"reason": "typo"}),
    )
    .await
    .expect_problem(403);
    app.post_json(
        &meeting_path(&seed, "/minutes/reopen"),
        &admin,
        &json!({"reason": " "}),
    )
    .await
    .expect_problem(422);
    let reopened = app
        .post_json(
            &meeting_path(&seed, "/minutes/reopen"),
            &admin,
            &json!({"reason": "Item 7 title corrected at the request of the chair"}),
        )
        .await
        .expect_json(200);
    assert_eq!(reopened["minutes_status"], "draft");
    let events = app
        .get_all(
            &format!(
                "/v1/partnerships/{}/audit-events?resource_id={}",
                seed.partnership_id, seed.meeting_id
            ),
            &admin,
        )
        .await;
    let reopen = events
        .iter()
        .find(|e| e["action"] == "reopen")
        .expect("audited");
    assert_eq!(
        reopen["note"],
        "Item 7 title corrected at the request of the chair"
    );
    assert_eq!(reopen["before_state"]["minutes_status"], "approved");
    app.patch_json(
        &item_path,
        &admin,
        Some(&etag(&unchanged)),
        &json!({"title": "Budget 2020-21"}),
    )
    .await
    .expect_json(200);
}

#[tokio::test]
async fn published_minutes_are_public_and_redacted() {
    let app = spawn_app().await;
    let seed = herefordshire(&app).await;
    make_confidential(&app, &seed, HARRY).await;
    let admin = app.platform_admin_token();
    let public = format!(
        "/v1/public/partnerships/{}/meetings/{}/minutes",
        seed.slug, seed.meeting_id
    );
    app.post_json(&meeting_path(&seed, "/minutes/publish"), &admin, &json!({}))
        .await
        .expect_problem(409); // only approved minutes are published
    let later = schedule_board(&app, &seed, "2019-12-18T15:00:00Z", json!({})).await;
    app.post_json(
        &meeting_path(&seed, "/minutes/approve"),
        &admin,
        &json!({"approved_at_meeting_id": later["id"]}),
    )
    .await
    .expect_json(200);

    // With a release date in the future, still nothing public.
    app.post_json(
        &meeting_path(&seed, "/minutes/publish"),
        &admin,
        &json!({"release_at": "2099-01-01T00:00:00Z"}),
    )
    .await
    .expect_json(200);
    app.get_anonymous(&public).await.expect_problem(404);
    // Published now (no body at all).
    let published = app
        .send(app.request(
            reqwest::Method::POST,
            &meeting_path(&seed, "/minutes/publish"),
            Some(&admin),
        ))
        .await
        .expect_json(200);
    assert_eq!(published["minutes_status"], "published");
    assert_eq!(published["release_at"], Value::Null);

    for accept in ["application/json", "text/markdown", "text/html"] {
        let answer = app
            .send(app.client.get(app.url(&public)).header("accept", accept))
            .await;
        answer.expect_status(200);
        let body = answer.text();
        assert!(body.contains("Confidential item"), "{accept}");
        assert!(
            !body.contains(HARRY_TEXT) && !body.contains("Harry"),
            "{accept} leaks"
        );
        assert!(body.contains("Goodrich Room"), "{accept}");
    }
    // Unknown partnership or meeting: 404 alike.
    app.get_anonymous(&format!(
        "/v1/public/partnerships/nowhere/meetings/{}/minutes",
        seed.meeting_id
    ))
    .await
    .expect_problem(404);
    app.get_anonymous(&format!(
        "/v1/public/partnerships/{}/meetings/{}/minutes",
        seed.slug,
        later["id"].as_str().unwrap()
    ))
    .await
    .expect_problem(404);
}

#[tokio::test]
async fn the_calendar_feed_parses_and_marks_cancellations() {
    let app = spawn_app().await;
    let seed = herefordshire(&app).await;
    let admin = app.platform_admin_token();
    let meeting = app
        .get(&meeting_path(&seed, ""), &admin)
        .await
        .expect_json(200);
    let next = schedule_board(
        &app,
        &seed,
        "2099-12-18T15:00:00Z",
        json!({"ends_at": "2099-12-18T16:30:00Z", "location": "Goodrich Room, Plough Lane, Hereford"}),
    )
    .await;
    let group_next = app
        .get(
            &format!(
                "/v1/partnerships/{}/groups/{}/next-meeting",
                seed.partnership_id,
                meeting["group_id"].as_str().unwrap()
            ),
            &admin,
        )
        .await
        .expect_json(200);
    assert_eq!(group_next["id"], next["id"]);
    app.patch_json(
        &format!("/v1/meetings/{}", next["id"].as_str().unwrap()),
        &admin,
        Some(&etag(&next)),
        &json!({"status": "cancelled"}),
    )
    .await
    .expect_json(200);

    let viewer = app.token(&[(seed.partnership_id, Role::Viewer)]);
    let answer = app
        .get(
            &format!("/v1/partnerships/{}/meetings.ics", seed.partnership_id),
            &viewer,
        )
        .await;
    answer.expect_status(200);
    assert!(answer
        .header("content-type")
        .unwrap()
        .starts_with("text/calendar"));
    let text = answer.text();
    assert!(text.contains("\r\n"), "RFC 5545 lines end in CRLF");
    let exports = app
        .get_all(
            &format!(
                "/v1/partnerships/{}/access-log?resource_type=partnership",
                seed.partnership_id
            ),
            &admin,
        )
        .await;
    assert!(exports.iter().any(|e| e["subject"] == "test-client"
        && e["role"] == "viewer"
        && e["operation"].as_str().unwrap().ends_with("/meetings.ics")));
    let unfolded = icalendar::parser::unfold(&text);
    let calendar = icalendar::parser::read_calendar(&unfolded).expect("a valid calendar");
    let events: Vec<_> = calendar
        .components
        .iter()
        .filter(|c| c.name.as_str() == "VEVENT")
        .collect();
    assert_eq!(events.len(), 2);
    let prop = |e: &icalendar::parser::Component, name: &str| {
        e.properties
            .iter()
            .find(|p| p.name.as_str() == name)
            .map(|p| p.val.to_string())
    };
    let held = events
        .iter()
        .find(|e| prop(e, "UID") == Some(format!("{}@safeguarding-api", seed.meeting_id)))
        .expect("a stable UID");
    assert_eq!(prop(held, "DTSTART").as_deref(), Some("20191118T150000Z"));
    assert_eq!(prop(held, "STATUS").as_deref(), Some("CONFIRMED"));
    let cancelled = events
        .iter()
        .find(|e| {
            prop(e, "UID") == Some(format!("{}@safeguarding-api", next["id"].as_str().unwrap()))
        })
        .unwrap();
    assert_eq!(prop(cancelled, "STATUS").as_deref(), Some("CANCELLED"));
    assert_eq!(prop(cancelled, "SEQUENCE").as_deref(), Some("1"));
    // No scheduled meeting any more: nothing to send.
    let none = app
        .get(
            &format!(
                "/v1/partnerships/{}/groups/{}/next-meeting",
                seed.partnership_id,
                meeting["group_id"].as_str().unwrap()
            ),
            &admin,
        )
        .await;
    none.expect_status(204);
    assert!(none.text().is_empty());
}

#[tokio::test]
async fn another_partnership_learns_nothing_of_the_meeting() {
    let app = spawn_app().await;
    let seed = herefordshire(&app).await;
    let other = app.create_partnership("nottinghamshire").await;
    let outsider = app.token(&[(crate::helpers::id_of(&other), Role::Admin)]);
    for path in ["", "/items", "/attendees", "/declarations", "/minutes"] {
        app.get(&meeting_path(&seed, path), &outsider)
            .await
            .expect_problem(404);
    }
    let item = meeting_path(&seed, &format!("/items/{}", seed.items[BUDGET]));
    app.get(&item, &outsider).await.expect_problem(404);
    app.get(&format!("{item}/decisions"), &outsider)
        .await
        .expect_problem(404);
    app.patch_json(&item, &outsider, Some("\"1\""), &json!({"title": "x"}))
        .await
        .expect_problem(404);
    app.post_json(
        &meeting_path(&seed, "/items"),
        &outsider,
        &json!({"title": "x"}),
    )
    .await
    .expect_problem(404);
    app.post_json(
        &meeting_path(&seed, "/minutes/approve"),
        &outsider,
        &json!({"approved_at_meeting_id": seed.meeting_id}),
    )
    .await
    .expect_problem(404);
    for path in ["/meetings", "/meetings.ics"] {
        app.get(
            &format!("/v1/partnerships/{}{path}", seed.partnership_id),
            &outsider,
        )
        .await
        .expect_problem(404);
    }
    // Members and viewers read but do not write the minutes; submitters do neither.
    let member = app.token(&[(seed.partnership_id, Role::Member)]);
    app.post_json(
        &meeting_path(&seed, "/items"),
        &member,
        &json!({"title": "x"}),
    )
    .await
    .expect_problem(403);
    let submitter = app.token(&[(seed.partnership_id, Role::Submitter)]);
    app.get(&meeting_path(&seed, "/minutes"), &submitter)
        .await
        .expect_problem(403);
}

#[tokio::test]
async fn bad_meeting_records_are_refused_whole() {
    let app = spawn_app().await;
    let seed = herefordshire(&app).await;
    let admin = app.platform_admin_token();
    let meetings = format!("/v1/partnerships/{}/meetings", seed.partnership_id);
    let group = seed.groups["spb"];
    let problem = app
        .post_json(&meetings, &admin, &json!({"group_id": group, "title": " ", "starts_at": "2020-01-01T10:00:00Z", "ends_at": "2020-01-01T09:00:00Z"}))
        .await
        .expect_problem(422);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["title", "ends_at"]);
    let problem = app.post_json(&meetings, &admin, &json!({"group_id": seed.partnership_id, "title": "x", "starts_at": "2020-01-01T10:00:00Z"}))
        .await
        .expect_problem(404);
    assert_eq!(problem["errors"][0]["field"], "group_id");
    app.post_json(
        &meetings,
        &admin,
        &json!({"group_id": group, "title": "x", "starts_at": "not a time"}),
    )
    .await
    .expect_problem(422);
    app.post_json(
        &meeting_path(&seed, "/attendees"),
        &admin,
        &json!({"person_id": seed.people["LM"], "guest_name": "Liz"}),
    )
    .await
    .expect_problem(422);
    app.post_json(
        &meeting_path(&seed, "/attendees"),
        &admin,
        &json!({"person_id": seed.people["LM"]}),
    )
    .await
    .expect_problem(409); // already an attendee
    app.post_json(
        &meeting_path(&seed, "/items"),
        &admin,
        &json!({"title": "AOB", "not_minuted": true, "minutes": "text"}),
    )
    .await
    .expect_problem(422);
    app.post_json(&meeting_path(&seed, "/declarations"), &admin, &json!({"person_id": seed.people["EF"], "item_id": seed.items[HARRY], "text": "Author of the report is a colleague."}))
        .await
        .expect_json(201);
    let meeting = app
        .get(&meeting_path(&seed, ""), &admin)
        .await
        .expect_json(200);
    app.patch_json(
        &meeting_path(&seed, ""),
        &admin,
        Some(&etag(&meeting)),
        &json!({"no_declarations": true}),
    )
    .await
    .expect_problem(409);
    let md = app
        .get_accept(&meeting_path(&seed, "/minutes"), &admin, "text/markdown")
        .await
        .text();
    assert!(
        md.contains("- Ellen Footman (item 4c): Author of the report is a colleague."),
        "{md}"
    );
}

#[tokio::test]
async fn the_demo_command_loads_both_seeds_once() {
    let app = spawn_app().await;
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_safeguarding-api"))
            .arg("demo")
            .env("DATABASE_URL", &app.database_url)
            .env("JWT_SECRET", JWT_SECRET)
            .env("RUST_LOG", "warn")
            .output()
            .expect("the binary runs")
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let loaded: Value = serde_json::from_slice(&first.stdout).expect("JSON on stdout");
    assert_eq!(loaded.as_array().unwrap().len(), 2);
    let second = run();
    assert!(second.status.success());
    assert_eq!(
        serde_json::from_slice::<Value>(&second.stdout).unwrap(),
        json!([])
    );

    let admin = app.platform_admin_token();
    for entry in loaded.as_array().unwrap() {
        let meeting = entry["meeting_ids"][0].as_str().unwrap();
        let view = app
            .get(&format!("/v1/meetings/{meeting}"), &admin)
            .await
            .expect_json(200);
        assert_eq!(view["quorate"], true, "{}", entry["slug"]);
    }
    let partnerships = app.get("/v1/partnerships", &admin).await.expect_json(200);
    assert_eq!(partnerships["items"].as_array().unwrap().len(), 2);
}
