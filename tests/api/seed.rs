//! Rebuilds a seed meeting (the fixtures in `demo/`, transcribed from two
//! partnerships' published minutes) through the HTTP API, as a partner
//! system would.

use std::collections::HashMap;

use safeguarding_api::db::Id;
use serde_json::{json, Value};

use crate::helpers::{id_of, TestApp};

pub const HEREFORDSHIRE: &str = include_str!("../../demo/herefordshire-spb-2019-11-18.json");
pub const NOTTINGHAMSHIRE: &str = include_str!("../../demo/nottinghamshire-slg-2019-08-22.json");

/// What a loaded seed created, by the keys the fixture uses.
pub struct Seed {
    pub partnership_id: Id,
    pub slug: String,
    pub organisations: HashMap<String, Id>,
    pub people: HashMap<String, Id>,
    pub groups: HashMap<String, Id>,
    pub meeting_id: Id,
    /// Item ids by title.
    pub items: HashMap<String, Id>,
}

fn text(v: &Value) -> Option<&str> {
    v.as_str()
}

/// Posts every record of the fixture's first meeting with `admin` (a
/// platform administrator creates the partnership).
pub async fn load(app: &TestApp, fixture: &str) -> Seed {
    let fixture: Value = serde_json::from_str(fixture).expect("fixture JSON");
    let admin = app.platform_admin_token();
    let partnership = app
        .post_json("/v1/partnerships", &admin, &fixture["partnership"])
        .await
        .expect_json(201);
    let pid = id_of(&partnership);
    let at = |path: &str| format!("/v1/partnerships/{pid}{path}");

    let mut organisations = HashMap::new();
    for o in fixture["organisations"].as_array().unwrap() {
        let created = app
            .post_json(
                "/v1/organisations",
                &admin,
                &json!({"name": o["name"], "kind": o["kind"]}),
            )
            .await
            .expect_json(201);
        if let Some(role) = text(&o["membership"]) {
            app.post_json(
                &at("/members"),
                &admin,
                &json!({"organisation_id": created["id"], "role": role}),
            )
            .await
            .expect_json(201);
        }
        organisations.insert(o["key"].as_str().unwrap().to_owned(), id_of(&created));
    }

    let mut people = HashMap::new();
    for p in fixture["people"].as_array().unwrap() {
        let organisation = text(&p["organisation"]).map(|k| organisations[k]);
        let created = app
            .post_json(
                &at("/people"),
                &admin,
                &json!({
                    "full_name": p["full_name"], "initials": p["initials"],
                    "job_title": p["job_title"], "organisation_id": organisation,
                }),
            )
            .await
            .expect_json(201);
        people.insert(p["initials"].as_str().unwrap().to_owned(), id_of(&created));
    }

    let mut groups: HashMap<String, Id> = HashMap::new();
    let mut pending: Vec<&Value> = fixture["groups"].as_array().unwrap().iter().collect();
    while !pending.is_empty() {
        let mut later = Vec::new();
        for g in pending {
            let parent = text(&g["parent"]);
            if parent.is_some_and(|p| !groups.contains_key(p)) {
                later.push(g);
                continue;
            }
            let created = app
                .post_json(
                    &at("/groups"),
                    &admin,
                    &json!({
                        "name": g["name"], "short_name": g["short_name"],
                        "parent_group_id": parent.map(|p| groups[p]),
                    }),
                )
                .await
                .expect_json(201);
            groups.insert(g["key"].as_str().unwrap().to_owned(), id_of(&created));
        }
        pending = later;
    }

    let m = &fixture["meetings"][0];
    let meeting = app
        .post_json(
            &at("/meetings"),
            &admin,
            &json!({
                "group_id": groups[m["group"].as_str().unwrap()],
                "title": m["title"], "starts_at": m["starts_at"], "ends_at": m["ends_at"],
                "location": m["location"], "status": m["status"],
                "no_declarations": m["no_declarations"],
            }),
        )
        .await
        .expect_json(201);
    let meeting_id = id_of(&meeting);
    let person = |v: &Value| text(v).map(|i| people[i]);

    let mut items = HashMap::new();
    for item in m["items"].as_array().unwrap() {
        let created = app
            .post_json(
                &format!("/v1/meetings/{meeting_id}/items"),
                &admin,
                &json!({
                    "number": item["number"], "title": item["title"],
                    "presenter_person_id": person(&item["presenter"]),
                    "minutes": item["minutes"], "confidential": item["confidential"],
                    "not_minuted": item["not_minuted"],
                }),
            )
            .await
            .expect_json(201);
        for d in item["decisions"].as_array().unwrap() {
            app.post_json(
                &format!(
                    "/v1/meetings/{meeting_id}/items/{}/decisions",
                    created["id"].as_str().unwrap()
                ),
                &admin,
                &json!({"outcome": d["outcome"], "text": d["text"]}),
            )
            .await
            .expect_json(201);
        }
        items.insert(item["title"].as_str().unwrap().to_owned(), id_of(&created));
    }
    for a in m["attendees"].as_array().unwrap() {
        app.post_json(
            &format!("/v1/meetings/{meeting_id}/attendees"),
            &admin,
            &json!({
                "person_id": person(&a["person"]), "guest_name": a["guest_name"],
                "attendance": a["attendance"], "role": a["role"],
                "deputising_for_person_id": person(&a["deputising_for"]),
            }),
        )
        .await
        .expect_json(201);
    }
    Seed {
        partnership_id: pid,
        slug: partnership["slug"].as_str().unwrap().to_owned(),
        organisations,
        people,
        groups,
        meeting_id,
        items,
    }
}

/// `"N"` for a record answered as JSON.
pub fn etag(record: &Value) -> String {
    format!("\"{}\"", record["version"])
}

/// What [`load_action_log`] created: action ids by number, and the earlier
/// meetings by their fixture key.
pub struct ActionLog {
    pub actions: HashMap<i64, Value>,
    pub meetings: HashMap<String, Id>,
}

/// Loads the fixture's action log through the API, as a business unit
/// moving its Excel log would: the earlier meetings with the items actions
/// were agreed under, the numbered actions still on the log (imported with
/// their numbers) and the updates given at the seed meeting, then the
/// actions the seed meeting agreed, numbered after them.
pub async fn load_action_log(app: &TestApp, fixture: &str, seed: &Seed) -> ActionLog {
    let fixture: Value = serde_json::from_str(fixture).expect("fixture JSON");
    let admin = app.platform_admin_token();
    let pid = seed.partnership_id;
    let owners = |written: &Value| -> Value {
        written
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                let o = o.as_str().unwrap();
                let short = o.trim_end_matches(" Group");
                let group = fixture["groups"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|g| g["short_name"] == short);
                match group {
                    Some(g) => json!(seed.groups[g["key"].as_str().unwrap()]),
                    None => json!(o),
                }
            })
            .collect()
    };
    let mut meetings = HashMap::new();
    let mut items: HashMap<(String, String), Value> = HashMap::new();
    let seed_key = fixture["meetings"][0]["key"]
        .as_str()
        .unwrap_or("seed")
        .to_owned();
    meetings.insert(seed_key, seed.meeting_id);
    for m in fixture["earlier_meetings"].as_array().into_iter().flatten() {
        let meeting = app
            .post_json(
                &format!("/v1/partnerships/{pid}/meetings"),
                &admin,
                &json!({
                    "group_id": seed.groups[m["group"].as_str().unwrap()],
                    "title": m["title"], "starts_at": m["starts_at"], "status": m["status"],
                }),
            )
            .await
            .expect_json(201);
        let key = m["key"].as_str().unwrap().to_owned();
        for item in m["items"].as_array().unwrap() {
            let created = app
                .post_json(
                    &format!("/v1/meetings/{}/items", meeting["id"].as_str().unwrap()),
                    &admin,
                    &json!({"number": item["number"], "title": item["title"]}),
                )
                .await
                .expect_json(201);
            items.insert(
                (key.clone(), item["number"].as_str().unwrap().to_owned()),
                created,
            );
        }
        meetings.insert(key, id_of(&meeting));
    }
    let mut actions = HashMap::new();
    for logged in fixture["action_log"].as_array().into_iter().flatten() {
        let key = logged["meeting"].as_str().unwrap().to_owned();
        let item = &items[&(key.clone(), logged["item"].as_str().unwrap().to_owned())];
        let action = app
            .post_json(
                &format!("/v1/partnerships/{pid}/actions"),
                &admin,
                &json!({
                    "number": logged["number"], "item_id": item["id"],
                    "description": logged["description"], "owners": owners(&logged["owners"]),
                }),
            )
            .await
            .expect_json(201);
        for u in logged["updates"].as_array().unwrap() {
            app.post_json(
                &format!("/v1/actions/{}/updates", action["id"].as_str().unwrap()),
                &admin,
                &json!({
                    "noted_on": u["noted_on"], "note": u["note"], "status": u["status"],
                    "reported_at_meeting_id": meetings[u["reported_at"].as_str().unwrap()],
                }),
            )
            .await
            .expect_json(201);
        }
        actions.insert(logged["number"].as_i64().unwrap(), action);
    }
    for item in fixture["meetings"][0]["items"].as_array().unwrap() {
        let item_id = seed.items[item["title"].as_str().unwrap()];
        for a in item["actions"].as_array().into_iter().flatten() {
            let created = app
                .post_json(
                    &format!("/v1/partnerships/{pid}/actions"),
                    &admin,
                    &json!({
                        "meeting_id": seed.meeting_id, "item_id": item_id,
                        "description": a["description"], "owners": owners(&a["owners"]),
                        "due_text": a["due"], "due_date": a["due_date"], "status": a["status"],
                    }),
                )
                .await
                .expect_json(201);
            actions.insert(created["number"].as_i64().unwrap(), created);
        }
    }
    ActionLog { actions, meetings }
}

/// Schedules another meeting of the Herefordshire board; `fields` add to or
/// override the defaults.
pub async fn schedule_board(app: &TestApp, seed: &Seed, starts_at: &str, fields: Value) -> Value {
    let mut body = json!({
        "group_id": seed.groups["spb"],
        "title": "Herefordshire Safeguarding Partner's Board",
        "starts_at": starts_at,
    });
    body.as_object_mut()
        .unwrap()
        .extend(fields.as_object().unwrap().clone());
    app.post_json(
        &format!("/v1/partnerships/{}/meetings", seed.partnership_id),
        &app.platform_admin_token(),
        &body,
    )
    .await
    .expect_json(201)
}

/// Approves the seed meeting's minutes at `at` and publishes them now;
/// answers the path of the public copy.
pub async fn approve_and_publish(app: &TestApp, seed: &Seed, at: &Value) -> String {
    let admin = app.platform_admin_token();
    let minutes = format!("/v1/meetings/{}/minutes", seed.meeting_id);
    app.post_json(
        &format!("{minutes}/approve"),
        &admin,
        &json!({"approved_at_meeting_id": at["id"]}),
    )
    .await
    .expect_json(200);
    app.post_json(&format!("{minutes}/publish"), &admin, &json!({}))
        .await
        .expect_json(200);
    format!(
        "/v1/public/partnerships/{}/meetings/{}/minutes",
        seed.slug, seed.meeting_id
    )
}
