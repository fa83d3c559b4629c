//! One request records a meeting: `POST /v1/partnerships/{id}/meetings/record`,
//! `GET`/`PUT /v1/meetings/{id}/record`. The minutes of both seeds, read as a
//! record and recorded into a new partnership, read back the same; a fault
//! anywhere writes nothing and is named by its path; a keyed retry replays;
//! approved minutes refuse a new record.

use std::collections::HashMap;

use serde_json::{json, Value};

use safeguarding_api::auth::Role;

use crate::actions::herefordshire;
use crate::helpers::{id_of, spawn_app, TestApp};
use crate::seed::{self, Seed, HEREFORDSHIRE, NOTTINGHAMSHIRE};

/// A new partnership set up as the fixture's is before any meeting: the
/// same agencies as members (from the shared registry) and the same groups.
pub async fn empty_like(app: &TestApp, fixture: &str, slug: &str) -> String {
    let fixture: Value = serde_json::from_str(fixture).unwrap();
    let admin = app.platform_admin_token();
    let mut partnership = fixture["partnership"].clone();
    partnership["slug"] = json!(slug);
    partnership["name"] = json!(format!("{} (copy)", partnership["name"].as_str().unwrap()));
    let created = app
        .post_json("/v1/partnerships", &admin, &partnership)
        .await
        .expect_json(201);
    let pid = created["id"].as_str().unwrap().to_owned();
    for o in fixture["organisations"].as_array().unwrap() {
        let Some(role) = o["membership"].as_str() else {
            continue;
        };
        let name = o["name"].as_str().unwrap();
        let found = app
            .get_all(
                &format!("/v1/organisations?name={}", urlencode(name)),
                &admin,
            )
            .await;
        let organisation = match found.first() {
            Some(o) => o["id"].clone(),
            None => app
                .post_json(
                    "/v1/organisations",
                    &admin,
                    &json!({"name": name, "kind": o["kind"]}),
                )
                .await
                .expect_json(201)["id"]
                .clone(),
        };
        app.post_json(
            &format!("/v1/partnerships/{pid}/members"),
            &admin,
            &json!({"organisation_id": organisation, "role": role}),
        )
        .await
        .expect_json(201);
    }
    let mut groups: HashMap<String, Value> = HashMap::new();
    let mut pending: Vec<&Value> = fixture["groups"].as_array().unwrap().iter().collect();
    while !pending.is_empty() {
        let mut later = Vec::new();
        for g in pending {
            let parent = g["parent"].as_str();
            if parent.is_some_and(|p| !groups.contains_key(p)) {
                later.push(g);
                continue;
            }
            let created = app
                .post_json(
                    &format!("/v1/partnerships/{pid}/groups"),
                    &admin,
                    &json!({"name": g["name"], "short_name": g["short_name"],
                            "parent_group_id": parent.map(|p| groups[p]["id"].clone())}),
                )
                .await
                .expect_json(201);
            groups.insert(g["key"].as_str().unwrap().to_owned(), created);
        }
        pending = later;
    }
    pid
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The minutes without what differs between two partnerships' copies of
/// the same record: ids, versions, timestamps of the writes, the partnership.
pub fn without_ids(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| {
                    !(k.as_str() == "id"
                        || k.ends_with("_id")
                        || k.ends_with("_ids")
                        || matches!(
                            k.as_str(),
                            "version"
                                | "created_at"
                                | "updated_at"
                                | "partnership_name"
                                | "partnership_slug"
                        ))
                })
                .map(|(k, v)| (k.clone(), without_ids(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_ids).collect()),
        other => other.clone(),
    }
}

/// Where two documents first differ, by path.
fn difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for key in x.keys().chain(y.keys()) {
                let here = format!("{path}.{key}");
                let (l, r) = (
                    x.get(key).unwrap_or(&Value::Null),
                    y.get(key).unwrap_or(&Value::Null),
                );
                if let Some(d) = difference(l, r, &here) {
                    return Some(d);
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (l, r))| difference(l, r, &format!("{path}[{i}]"))),
        _ if a == b => None,
        _ => Some(format!("{path}: {a} != {b}")),
    }
}

fn assert_same(a: &Value, b: &Value) {
    if let Some(d) = difference(a, b, "") {
        panic!("the documents differ at {d}");
    }
}

/// Reads `seed`'s meeting as a record, records it into a new partnership
/// set up like the fixture's, and answers the new meeting's id.
async fn round_trip(app: &TestApp, seed: &Seed, fixture: &str, slug: &str) -> String {
    let admin = app.platform_admin_token();
    let read = app
        .get(&format!("/v1/meetings/{}/record", seed.meeting_id), &admin)
        .await;
    let record = read.expect_json(200);
    assert!(read.header("etag").is_some());
    let pid = empty_like(app, fixture, slug).await;
    let answer = app
        .post_json(
            &format!("/v1/partnerships/{pid}/meetings/record"),
            &admin,
            &record,
        )
        .await;
    let recorded = answer.expect_json(201);
    let id = recorded["minutes"]["meeting"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        answer.header("location"),
        Some(format!("/v1/meetings/{id}").as_str())
    );
    // Read back as a record, it is the document that was sent.
    let again = app
        .get(&format!("/v1/meetings/{id}/record"), &admin)
        .await
        .expect_json(200);
    assert_same(&again, &record);
    id
}

async fn same_minutes(app: &TestApp, a: &str, b: &str) {
    let admin = app.platform_admin_token();
    let json_of = |id: &str| format!("/v1/meetings/{id}/minutes");
    let first = app.get(&json_of(a), &admin).await.expect_json(200);
    let second = app.get(&json_of(b), &admin).await.expect_json(200);
    assert_same(&without_ids(&first), &without_ids(&second));
    assert_eq!(markdown(app, a).await, markdown(app, b).await);
}

async fn markdown(app: &TestApp, id: &str) -> String {
    let admin = app.platform_admin_token();
    let path = format!("/v1/meetings/{id}/minutes");
    let answer = app.get_accept(&path, &admin, "text/markdown").await;
    answer.expect_status(200);
    answer.text()
}

#[tokio::test]
async fn both_seeds_round_trip_through_one_document() {
    let app = spawn_app().await;
    let (seed, _) = herefordshire(&app).await;
    let copy = round_trip(&app, &seed, HEREFORDSHIRE, "herefordshire-copy").await;
    same_minutes(&app, &seed.meeting_id.to_string(), &copy).await;

    let notts = seed::load(&app, NOTTINGHAMSHIRE).await;
    seed::load_action_log(&app, NOTTINGHAMSHIRE, &notts).await;
    let copy = round_trip(&app, &notts, NOTTINGHAMSHIRE, "nottinghamshire-copy").await;
    same_minutes(&app, &notts.meeting_id.to_string(), &copy).await;
}

/// The record of the Herefordshire board as the seed words it, from
/// `tests/fixtures/`.
const HEREFORDSHIRE_RECORD: &str = include_str!("../fixtures/herefordshire-record.json");

#[tokio::test]
async fn one_bad_owner_writes_nothing_and_every_fault_is_named() {
    let app = spawn_app().await;
    let admin = app.platform_admin_token();
    let pid = empty_like(&app, HEREFORDSHIRE, "herefordshire").await;
    let mut doc: Value = serde_json::from_str(HEREFORDSHIRE_RECORD).unwrap();
    let count = |doc: &Value| -> usize {
        doc["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["actions"].as_array().map_or(0, Vec::len))
            .sum()
    };
    // Thirty actions, one of them with an owner nobody is.
    let extra = 30 - count(&doc);
    let aob = doc["items"][17]["actions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    doc["items"][17]["actions"] = Value::Array(
        aob.into_iter()
            .chain((0..extra).map(
                |n| json!({"description": format!("Follow-up {n}."), "owners": ["PG", "ALL"]}),
            ))
            .collect(),
    );
    assert_eq!(count(&doc), 30);
    doc["items"][3]["actions"][0]["owners"] = json!(["CB", "XY"]);
    doc["items"][1]["title"] = json!("   ");
    let path = format!("/v1/partnerships/{pid}/meetings/record");
    let problem = app.post_json(&path, &admin, &doc).await.expect_problem(422);
    let errors = problem["errors"].as_array().unwrap();
    let named = |field: &str| errors.iter().find(|e| e["field"] == field).cloned();
    let owner = named("items[3].actions[0].owners[1]").expect("the bad owner by its path");
    assert!(owner["message"]
        .as_str()
        .unwrap()
        .contains("no person with initials XY"));
    assert!(named("items[1].title").is_some(), "{errors:?}");
    // Nothing was written: no meeting, no person, no action.
    for list in ["meetings", "people", "actions"] {
        let all = app
            .get_all(&format!("/v1/partnerships/{pid}/{list}"), &admin)
            .await;
        assert!(all.is_empty(), "{list}: {all:?}");
    }
}

#[tokio::test]
async fn the_herefordshire_board_in_one_request_renders_as_its_minutes() {
    let app = spawn_app().await;
    let admin = app.platform_admin_token();
    let pid = empty_like(&app, HEREFORDSHIRE, "herefordshire").await;
    let doc: Value = serde_json::from_str(HEREFORDSHIRE_RECORD).unwrap();
    let path = format!("/v1/partnerships/{pid}/meetings/record");
    let first = app
        .post_json_idempotent(&path, &admin, "record-1", &doc)
        .await;
    let recorded = first.expect_json(201);
    let id = recorded["minutes"]["meeting"]["id"].as_str().unwrap();
    // People named in it were created with their initials and agencies.
    let created = recorded["people_created"].as_array().unwrap();
    let st = created.iter().find(|p| p["initials"] == "ST").unwrap();
    assert_eq!(st["full_name"], "Sue Thomas");
    assert!(st["organisation_id"].is_string());
    // "Action No 14 (23.10.19 ref 3.1)" reads back the same.
    let review = &recorded["minutes"]["matters_arising"];
    let fourteen = review["outstanding"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["number"] == 14)
        .unwrap();
    assert_eq!(fourteen["reference"], "Action No 14 (23.10.19 ref 3.1)");
    // The same key replays the answer; nothing is recorded twice.
    let again = app
        .post_json_idempotent(&path, &admin, "record-1", &doc)
        .await;
    assert_eq!(again.expect_json(201), recorded);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    let meetings = app
        .get_all(&format!("/v1/partnerships/{pid}/meetings"), &admin)
        .await;
    assert_eq!(meetings.len(), 3, "the board and its two earlier meetings");

    let expected = include_str!("../fixtures/herefordshire-minutes.md");
    let text = markdown(&app, id).await;
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        std::fs::write("tests/fixtures/herefordshire-minutes.md", &text).unwrap();
    }
    assert_eq!(text, expected);
}

#[tokio::test]
async fn a_draft_is_saved_again_and_approved_minutes_refuse_it() {
    let app = spawn_app().await;
    let admin = app.platform_admin_token();
    let pid = empty_like(&app, HEREFORDSHIRE, "herefordshire").await;
    let doc: Value = serde_json::from_str(HEREFORDSHIRE_RECORD).unwrap();
    let recorded = app
        .post_json(
            &format!("/v1/partnerships/{pid}/meetings/record"),
            &admin,
            &doc,
        )
        .await
        .expect_json(201);
    let id = recorded["minutes"]["meeting"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/meetings/{id}/record");
    let read = app.get(&path, &admin).await;
    let mut record = read.expect_json(200);
    let etag = read.header("etag").unwrap().to_owned();
    let actions_before = app
        .get_all(&format!("/v1/partnerships/{pid}/actions"), &admin)
        .await;

    // Drop the first action of item 2a, reword an item's minutes, add a line.
    let dropped = record["items"][3]["actions"][0]["number"].as_i64().unwrap();
    record["items"][3]["actions"]
        .as_array_mut()
        .unwrap()
        .remove(0);
    record["items"][4]["minutes"] = json!("Reworded.");
    record["items"][4]["actions"]
        .as_array_mut()
        .unwrap()
        .push(json!({"description": "A new action.", "owners": ["PG"]}));
    let without_match = app
        .send(
            app.request(reqwest::Method::PUT, &path, Some(&admin))
                .json(&record),
        )
        .await;
    without_match.expect_problem(428);
    let saved = app
        .send(
            app.request(reqwest::Method::PUT, &path, Some(&admin))
                .header("If-Match", &etag)
                .json(&record),
        )
        .await;
    let saved = saved.expect_json(200);
    let items = saved["minutes"]["items"].as_array().unwrap();
    assert_eq!(items[4]["minutes"], "Reworded.");
    let actions = app
        .get_all(&format!("/v1/partnerships/{pid}/actions"), &admin)
        .await;
    assert_eq!(
        actions.len(),
        actions_before.len() + 1,
        "dropped is kept, one added"
    );
    let cancelled = actions.iter().find(|a| a["number"] == dropped).unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    let highest = actions_before
        .iter()
        .map(|a| a["number"].as_i64().unwrap())
        .max()
        .unwrap();
    assert!(actions
        .iter()
        .any(|a| a["number"] == highest + 1 && a["description"] == "A new action."));
    // Item ids are kept where the document still has the item.
    let before_ids: Vec<&Value> = recorded["minutes"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["id"])
        .collect();
    let after_ids: Vec<&Value> = items.iter().map(|i| &i["id"]).collect();
    assert_eq!(before_ids, after_ids);
    // The stale ETag is refused.
    let stale = app
        .send(
            app.request(reqwest::Method::PUT, &path, Some(&admin))
                .header("If-Match", &etag)
                .json(&record),
        )
        .await;
    stale.expect_problem(412);

    // Approved: 409.
    let later = app
        .post_json(
            &format!("/v1/partnerships/{pid}/meetings"),
            &admin,
            &json!({"group_id": saved["minutes"]["meeting"]["group_id"], "title": "Board",
                    "starts_at": "2019-12-18T15:00:00Z"}),
        )
        .await
        .expect_json(201);
    app.post_json(
        &format!("/v1/meetings/{id}/minutes/approve"),
        &admin,
        &json!({"approved_at_meeting_id": id_of(&later)}),
    )
    .await
    .expect_json(200);
    let read = app.get(&path, &admin).await;
    read.expect_status(200);
    let etag = read.header("etag").unwrap().to_owned();
    let refused = app
        .send(
            app.request(reqwest::Method::PUT, &path, Some(&admin))
                .header("If-Match", &etag)
                .json(&record),
        )
        .await;
    refused.expect_problem(409);
}

#[tokio::test]
async fn only_admins_record_and_only_their_partnership() {
    let app = spawn_app().await;
    let pid = empty_like(&app, HEREFORDSHIRE, "herefordshire").await;
    let other = app.create_partnership("elsewhere").await;
    let doc: Value = serde_json::from_str(HEREFORDSHIRE_RECORD).unwrap();
    let pid_id: safeguarding_api::db::Id = pid.parse().unwrap();
    let path = format!("/v1/partnerships/{pid}/meetings/record");
    let member = app.token(&[(pid_id, Role::Member)]);
    app.post_json(&path, &member, &doc)
        .await
        .expect_problem(403);
    let stranger = app.token(&[(id_of(&other), Role::Admin)]);
    app.post_json(&path, &stranger, &doc)
        .await
        .expect_problem(404);
}

#[tokio::test]
async fn as_at_a_day_the_log_is_overdue_as_it_was_then() {
    let app = spawn_app().await;
    let admin = app.platform_admin_token();
    let pid = empty_like(&app, HEREFORDSHIRE, "herefordshire").await;
    let doc: Value = serde_json::from_str(HEREFORDSHIRE_RECORD).unwrap();
    let recorded = app
        .post_json(
            &format!("/v1/partnerships/{pid}/meetings/record"),
            &admin,
            &doc,
        )
        .await
        .expect_json(201);
    let overdue_on = |day: &'static str| {
        let app = &app;
        let admin = admin.clone();
        let pid = pid.clone();
        async move {
            let path = format!("/v1/partnerships/{pid}/actions?overdue=true&as_at={day}");
            let list = app.get_all(&path, &admin).await;
            assert!(list.iter().all(|a| a["overdue"] == true));
            list.iter()
                .map(|a| a["number"].as_i64().unwrap())
                .collect::<Vec<_>>()
        }
    };
    // "29 November" and "end of November" (30th) were due after the board.
    assert_eq!(overdue_on("2019-11-18").await, Vec::<i64>::new());
    assert_eq!(overdue_on("2019-11-30").await, [27]);
    assert_eq!(overdue_on("2019-12-01").await, [21, 27]);
    // Today (this clock is the system's) both are.
    let now = app
        .get_all(
            &format!("/v1/partnerships/{pid}/actions?overdue=true"),
            &admin,
        )
        .await;
    assert_eq!(now.len(), 2);
    // One action, the matters arising, the CSV: the same day.
    let action = app
        .get_all(&format!("/v1/partnerships/{pid}/actions?number=27"), &admin)
        .await
        .remove(0);
    let one = |day: &str| format!("/v1/actions/{}?as_at={day}", action["id"].as_str().unwrap());
    assert_eq!(
        app.get(&one("2019-11-29"), &admin).await.expect_json(200)["overdue"],
        false
    );
    assert_eq!(
        app.get(&one("2019-11-30"), &admin).await.expect_json(200)["overdue"],
        true
    );
    let id = recorded["id"].as_str().unwrap();
    let review = app
        .get(
            &format!("/v1/meetings/{id}/matters-arising?as_at=2019-11-18"),
            &admin,
        )
        .await
        .expect_json(200);
    assert!(review["outstanding"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["overdue"] == false));
    let csv = app
        .get_accept(
            &format!("/v1/partnerships/{pid}/actions?as_at=2019-11-18&number=27"),
            &admin,
            "text/csv",
        )
        .await;
    let text = csv.text();
    let row = text.lines().nth(1).unwrap();
    assert!(row.contains("\"29 November\",\"2019-11-29\""), "{row}");
    assert!(row.contains("\"No\""), "{row}");
    // A malformed day is a 400 saying why.
    let bad = app
        .get(&one("18-11-2019"), &admin)
        .await
        .expect_problem(400);
    assert!(
        bad["detail"].as_str().unwrap().contains("18-11-2019"),
        "{bad}"
    );
}

#[tokio::test]
async fn requests_name_people_groups_and_agencies_as_minutes_do() {
    let app = spawn_app().await;
    let admin = app.platform_admin_token();
    let pid = empty_like(&app, HEREFORDSHIRE, "herefordshire").await;
    let at = |path: &str| format!("/v1/partnerships/{pid}{path}");
    // An agency by its registered name, ignoring case and runs of spaces.
    let person = app
        .post_json(
            &at("/people"),
            &admin,
            &json!({"full_name": "Sue Thomas", "initials": "ST", "organisation_id": "west  mercia POLICE"}),
        )
        .await
        .expect_json(201);
    let police = app
        .get_all("/v1/organisations?name=West%20Mercia%20Police", &admin)
        .await;
    assert_eq!(person["organisation_id"], police[0]["id"]);
    app.post_json(
        &at("/people"),
        &admin,
        &json!({"full_name": "Philippa Granthier", "initials": "PG"}),
    )
    .await
    .expect_json(201);
    // A group by its short name; a meeting of a group by its short name.
    let group = app
        .post_json(
            &at("/groups"),
            &admin,
            &json!({"name": "Task group", "short_name": "TG", "parent_group_id": "q&e"}),
        )
        .await
        .expect_json(201);
    let qe = app.get_all(&at("/groups?short_name=Q%26E"), &admin).await;
    assert_eq!(group["parent_group_id"], qe[0]["id"]);
    let meeting = app
        .post_json(
            &at("/meetings"),
            &admin,
            &json!({"group_id": "SPB", "title": "Board", "starts_at": "2020-01-20T15:00:00Z"}),
        )
        .await
        .expect_json(201);
    let mid = meeting["id"].as_str().unwrap();
    // People by initials: attendance, a deputy, a presenter, a declaration, an update's author.
    let attendee = app
        .post_json(
            &format!("/v1/meetings/{mid}/attendees"),
            &admin,
            &json!({"person_id": "ST", "deputising_for_person_id": "pg"}),
        )
        .await
        .expect_json(201);
    assert_eq!(attendee["person_id"], person["id"]);
    let item = app
        .post_json(
            &format!("/v1/meetings/{mid}/items"),
            &admin,
            &json!({"title": "Plan", "presenter_person_id": "PG"}),
        )
        .await
        .expect_json(201);
    assert!(item["presenter_person_id"].is_string());
    app.post_json(
        &format!("/v1/meetings/{mid}/declarations"),
        &admin,
        &json!({"person_id": "ST", "text": "A relative works there."}),
    )
    .await
    .expect_json(201);
    let action = app
        .post_json(
            &at("/actions"),
            &admin,
            &json!({"item_id": item["id"], "description": "Do it.", "owners": ["PG"]}),
        )
        .await
        .expect_json(201);
    let update = app
        .post_json(
            &format!("/v1/actions/{}/updates", action["id"].as_str().unwrap()),
            &admin,
            &json!({"note": "Done.", "author_person_id": "PG", "status": "complete"}),
        )
        .await
        .expect_json(201);
    assert!(update["author_person_id"].is_string());
    // A name nobody has is a 404 naming the field, as an unknown id is;
    // nothing is written.
    let problem = app
        .post_json(
            &format!("/v1/meetings/{mid}/attendees"),
            &admin,
            &json!({"person_id": "XY"}),
        )
        .await
        .expect_problem(404);
    assert_eq!(problem["errors"][0]["field"], "person_id");
    assert!(problem["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("initials XY"));
    let problem = app
        .post_json(
            &at("/members"),
            &admin,
            &json!({"organisation_id": "No Such Agency", "role": "relevant_agency"}),
        )
        .await
        .expect_problem(404);
    assert_eq!(problem["errors"][0]["field"], "organisation_id");
    app.post_json(
        &at("/meetings"),
        &admin,
        &json!({"group_id": "NOPE", "title": "Board", "starts_at": "2020-02-20T15:00:00Z"}),
    )
    .await
    .expect_problem(404);
    let attendees = app
        .get_all(&format!("/v1/meetings/{mid}/attendees"), &admin)
        .await;
    assert_eq!(attendees.len(), 1);
}

#[tokio::test]
async fn approved_earlier_minutes_and_oversized_lists_are_refused_whole() {
    let app = spawn_app().await;
    let admin = app.platform_admin_token();
    let pid = empty_like(&app, HEREFORDSHIRE, "herefordshire").await;
    let doc: Value = serde_json::from_str(HEREFORDSHIRE_RECORD).unwrap();
    let path = format!("/v1/partnerships/{pid}/meetings/record");
    let board = app.post_json(&path, &admin, &doc).await.expect_json(201);
    // The October meeting (made for the actions it agreed) is approved at
    // the November board: nothing more is recorded into its minutes.
    let meetings = app
        .get_all(&format!("/v1/partnerships/{pid}/meetings"), &admin)
        .await;
    let october = meetings
        .iter()
        .find(|m| m["starts_at"].as_str().unwrap().starts_with("2019-10-23"))
        .unwrap();
    app.post_json(
        &format!(
            "/v1/meetings/{}/minutes/approve",
            october["id"].as_str().unwrap()
        ),
        &admin,
        &json!({"approved_at_meeting_id": board["id"]}),
    )
    .await
    .expect_json(200);
    let december = json!({
        "group_name": "SPB",
        "meeting": {"title": "Board", "starts_at": "2019-12-18T15:00:00Z"},
        "matters_arising": {"outstanding": [{"number": 99, "meeting_date": "2019-10-23",
            "item_number": "3.1", "description": "An action the log never had.", "owners": ["PG"]}]}
    });
    app.post_json(&path, &admin, &december)
        .await
        .expect_problem(409);
    let after = app
        .get_all(&format!("/v1/partnerships/{pid}/meetings"), &admin)
        .await;
    assert_eq!(after.len(), meetings.len(), "nothing written");
    // Lists are bounded as published: each one too long is named.
    let mut big = december.clone();
    big["matters_arising"] = json!({});
    big["declarations"] = Value::Array(vec![json!({"name": "PG", "text": "x"}); 501]);
    let problem = app.post_json(&path, &admin, &big).await.expect_problem(422);
    assert_eq!(problem["errors"][0]["field"], "declarations", "{problem}");
}
