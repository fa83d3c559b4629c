//! The risk register over HTTP: the Nottinghamshire risk log from the seed,
//! re-scoring with trend and "improved since 2015?", scoring bands that
//! ratings follow, escalation onto the next agenda exactly once (retried,
//! keyed, concurrent), validation, roles and drafts, heat map and CSV.

use safeguarding_api::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{id_of, spawn_app_with, TestApp};
use crate::seed::{self, Seed, NOTTINGHAMSHIRE};

/// 1 September 2019: after the seed meeting of 22 August.
const CLOCK: &str = "2019-09-01T09:00:00Z";

async fn nottinghamshire() -> (TestApp, Seed, String) {
    let app = spawn_app_with(&[("CLOCK_FIXED_AT", CLOCK)]).await;
    let seed = seed::load(&app, NOTTINGHAMSHIRE).await;
    let admin = app.token(&[(seed.partnership_id, Role::Admin)]);
    (app, seed, admin)
}

/// Risks 1 and 2 of the seed's log, imported with their numbers (drafts).
async fn risk_log(app: &TestApp, seed: &Seed, admin: &str) -> (Value, Value) {
    let at = format!("/v1/partnerships/{}/risks", seed.partnership_id);
    let one = app
        .post_json(
            &at,
            admin,
            &json!({"number": 1, "title": "Ineffective use of multi-agency strategy discussions",
                    "owner": "SB", "likelihood": 4, "impact": 5, "assessed_on": "2014-06-01",
                    "note": "Baseline", "next_review_date": "2019-08-31"}),
        )
        .await
        .expect_json(201);
    let two = app
        .post_json(
            &at,
            admin,
            &json!({"number": 2, "title": "Availability of CAMHS services for Looked After Children",
                    "owner": "SB", "likelihood": 2, "impact": 4, "assessed_on": "2019-08-22"}),
        )
        .await
        .expect_json(201);
    (one, two)
}

async fn assess(app: &TestApp, token: &str, risk: &Value, on: &str, l: i64, i: i64) -> Value {
    app.post_json(
        &format!("/v1/risks/{}/assessments", id_of(risk)),
        token,
        &json!({"assessed_on": on, "likelihood": l, "impact": i, "note": format!("Scored on {on}")}),
    )
    .await
    .expect_json(201);
    app.get(&format!("/v1/risks/{}", id_of(risk)), token)
        .await
        .expect_json(200)
}

#[tokio::test]
async fn the_seed_risk_log_is_rescored_with_its_trend_and_the_since_answer() {
    let (app, seed, admin) = nottinghamshire().await;
    let (one, two) = risk_log(&app, &seed, &admin).await;
    assert_eq!(
        (one["number"].as_i64(), two["number"].as_i64()),
        (Some(1), Some(2))
    );
    assert_eq!(one["owner_initials"], "SB");
    assert_eq!(one["owner_name"], "Steve Baumber");
    assert_eq!(one["status"], "draft");
    assert_eq!(
        (one["score"].as_i64(), one["rating"].as_str()),
        (Some(20), Some("red"))
    );
    assert_eq!(one["trend"], Value::Null);
    assert_eq!(one["previous_score"], Value::Null);
    // Reviewed by 31 August; the clock says 1 September.
    assert_eq!(one["review_overdue"], true);
    assert_eq!(
        (two["score"].as_i64(), two["rating"].as_str()),
        (Some(8), Some("amber"))
    );

    // A member's new risk takes the next number; a refused one gives none away.
    let member = app.token(&[(seed.partnership_id, Role::Member)]);
    let at = format!("/v1/partnerships/{}/risks", seed.partnership_id);
    let refused = app
        .post_json(
            &at,
            &member,
            &json!({"title": "x", "likelihood": 6, "impact": 0}),
        )
        .await
        .expect_problem(422);
    let fields: Vec<&str> = refused["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["likelihood", "impact"]);
    let imported = app
        .post_json(
            &at,
            &member,
            &json!({"number": 9, "title": "x", "likelihood": 1, "impact": 1}),
        )
        .await
        .expect_problem(403);
    assert!(imported["detail"].as_str().unwrap().contains("admin"));
    let three = app
        .post_json(
            &at,
            &member,
            &json!({"title": "Thresholds", "likelihood": 1, "impact": 1}),
        )
        .await
        .expect_json(201);
    assert_eq!(three["number"], 3);

    // Three re-scorings of risk 1: 2015 (16), 2019 (12), then worse (15).
    let after = assess(&app, &member, &one, "2015-06-01", 4, 4).await;
    assert_eq!(
        (after["score"].as_i64(), after["previous_score"].as_i64()),
        (Some(16), Some(20))
    );
    assert_eq!(after["trend"], "improving");
    let after = assess(&app, &member, &one, "2019-08-22", 3, 4).await;
    assert_eq!(
        (after["score"].as_i64(), after["trend"].as_str()),
        (Some(12), Some("improving"))
    );
    assert_eq!(after["rating"], "amber");
    let after = assess(&app, &admin, &one, "2019-08-30", 3, 5).await;
    assert_eq!(
        (after["score"].as_i64(), after["trend"].as_str()),
        (Some(15), Some("worsening"))
    );
    assert_eq!(after["previous_score"], 12);
    // A backdated assessment is history: the score stays the latest's.
    let after = assess(&app, &admin, &one, "2016-01-01", 5, 5).await;
    assert_eq!(
        (after["score"].as_i64(), after["previous_score"].as_i64()),
        (Some(15), Some(12))
    );
    let after = assess(&app, &admin, &one, "2019-08-30", 3, 5).await;
    assert_eq!(
        (after["score"].as_i64(), after["trend"].as_str()),
        (Some(15), Some("stable"))
    );

    let history = format!("/v1/risks/{}/assessments", id_of(&one));
    let all = app.get(&history, &admin).await.expect_json(200);
    let days: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["assessed_on"].as_str().unwrap())
        .collect();
    assert_eq!(
        days,
        [
            "2014-06-01",
            "2015-06-01",
            "2016-01-01",
            "2019-08-22",
            "2019-08-30",
            "2019-08-30"
        ]
    );
    assert_eq!(all["since"], Value::Null);
    // "Has it improved since 2015?": 15 now against 20 before 2015.
    let since = app
        .get(&format!("{history}?since=2015-01-01"), &admin)
        .await
        .expect_json(200);
    assert_eq!(since["items"].as_array().unwrap().len(), 5);
    assert_eq!(since["since"]["score_before"], 20);
    assert_eq!(since["since"]["latest_score"], 15);
    assert_eq!(since["since"]["trend"], "improving");
    let before_any = app
        .get(&format!("{history}?since=2000-01-01"), &admin)
        .await
        .expect_json(200);
    assert_eq!(before_any["since"]["score_before"], Value::Null);
    assert_eq!(before_any["since"]["trend"], Value::Null);
    app.get(&format!("{history}?since=2015"), &admin)
        .await
        .expect_problem(400);

    // Likelihood and impact change by an assessment only.
    let risk = format!("/v1/risks/{}", id_of(&one));
    let patched = app
        .patch_json(&risk, &admin, Some("*"), &json!({"likelihood": 1}))
        .await
        .expect_problem(422);
    assert!(patched.to_string().contains("likelihood"));
    app.post_json(&history, &admin, &json!({"likelihood": 0, "impact": 3}))
        .await
        .expect_problem(422);
}

#[tokio::test]
async fn ratings_follow_the_partnerships_bands_at_once() {
    let (app, seed, admin) = nottinghamshire().await;
    let (one, two) = risk_log(&app, &seed, &admin).await;
    let p = seed.partnership_id;
    let scoring = format!("/v1/partnerships/{p}/risk-scoring");
    let read = app.get(&scoring, &admin).await;
    read.expect_status(200);
    assert_eq!(read.header("etag"), Some("\"1\""));
    let bands = read.json()["bands"].clone();
    assert_eq!(
        bands,
        json!([{"rating": "green", "from": 1, "to": 4}, {"rating": "amber", "from": 5, "to": 12},
               {"rating": "red", "from": 13, "to": 25}])
    );
    let new = json!({"bands": [{"rating": "green", "from": 1, "to": 6},
        {"rating": "amber", "from": 7, "to": 9}, {"rating": "red", "from": 10, "to": 25}]});
    let put = |tag: Option<&'static str>, token: String, body: Value| {
        let app = &app;
        let scoring = scoring.clone();
        async move {
            let mut request = app
                .request(reqwest::Method::PUT, &scoring, Some(&token))
                .json(&body);
            if let Some(tag) = tag {
                request = request.header("if-match", tag);
            }
            app.send(request).await
        }
    };
    put(None, admin.clone(), new.clone())
        .await
        .expect_problem(428);
    put(Some("\"7\""), admin.clone(), new.clone())
        .await
        .expect_problem(412);
    let member = app.token(&[(p, Role::Member)]);
    put(Some("\"1\""), member, new.clone())
        .await
        .expect_problem(403);
    let gap = json!({"bands": [{"rating": "green", "from": 1, "to": 4},
        {"rating": "amber", "from": 6, "to": 12}, {"rating": "red", "from": 13, "to": 25}]});
    // The precondition comes first (RFC 9110 §13.2.1): stale is 412 even for bad bands.
    put(Some("\"7\""), admin.clone(), gap.clone())
        .await
        .expect_problem(412);
    let refused = put(Some("\"1\""), admin.clone(), gap)
        .await
        .expect_problem(422);
    assert_eq!(refused["errors"][0]["field"], "bands[1].from");
    let short = json!({"bands": [{"rating": "green", "from": 1, "to": 4},
        {"rating": "amber", "from": 5, "to": 12}, {"rating": "red", "from": 13, "to": 20}]});
    put(Some("\"1\""), admin.clone(), short)
        .await
        .expect_problem(422);
    let changed = put(Some("\"1\""), admin.clone(), new.clone()).await;
    assert_eq!(changed.expect_json(200)["bands"], new["bands"]);
    assert_eq!(changed.header("etag"), Some("\"2\""));

    // Risk 2 (8) was amber, now it is amber still; risk 1 (20) red; a 6 is green.
    let read_rating = |risk: &Value| {
        let app = &app;
        let admin = admin.clone();
        let path = format!("/v1/risks/{}", id_of(risk));
        async move { app.get(&path, &admin).await.expect_json(200)["rating"].clone() }
    };
    assert_eq!(read_rating(&one).await, "red");
    assert_eq!(read_rating(&two).await, "amber");
    let after = assess(&app, &admin, &two, "2019-08-30", 2, 5).await;
    assert_eq!(
        (after["score"].as_i64(), after["rating"].as_str()),
        (Some(10), Some("red"))
    );
    let red = app
        .get(&format!("/v1/partnerships/{p}/risks?rating=red"), &admin)
        .await
        .expect_json(200);
    assert_eq!(red["items"].as_array().unwrap().len(), 2);
    let green = app
        .get(&format!("/v1/partnerships/{p}/risks?rating=green"), &admin)
        .await
        .expect_json(200);
    assert_eq!(green["items"].as_array().unwrap().len(), 0);
    // One audited change, not a rewrite of the register.
    let events = app
        .get(
            &format!("/v1/partnerships/{p}/audit-events?limit=500"),
            &admin,
        )
        .await
        .expect_json(200);
    let scoring_events = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["resource_type"] == "risk_scoring")
        .count();
    assert_eq!(scoring_events, 1);
    app.get(&format!("/v1/partnerships/{p}/risks?colour=red"), &admin)
        .await
        .expect_problem(400);
}

async fn group_meeting(app: &TestApp, seed: &Seed, admin: &str, starts_at: &str) -> Value {
    app.post_json(
        &format!("/v1/partnerships/{}/meetings", seed.partnership_id),
        admin,
        &json!({"group_id": seed.groups["slg"], "title": "Strategic Leadership Group",
                "starts_at": starts_at}),
    )
    .await
    .expect_json(201)
}

#[tokio::test]
async fn a_red_risk_is_escalated_onto_the_next_agenda_exactly_once() {
    let (app, seed, admin) = nottinghamshire().await;
    let (one, _) = risk_log(&app, &seed, &admin).await;
    let escalate = format!("/v1/risks/{}/escalations", id_of(&one));
    let body = json!({"group_id": seed.groups["slg"]});
    // No meeting of the group ahead of the clock (the seed's is past).
    let none = app
        .post_json(&escalate, &admin, &body)
        .await
        .expect_problem(409);
    assert!(none["detail"]
        .as_str()
        .unwrap()
        .contains("no scheduled meeting"));
    let later = group_meeting(&app, &seed, &admin, "2020-03-17T10:00:00Z").await;
    let next = group_meeting(&app, &seed, &admin, "2019-12-17T10:00:00Z").await;
    let member = app.token(&[(seed.partnership_id, Role::Member)]);
    app.post_json(&escalate, &member, &body)
        .await
        .expect_problem(403);

    // Eight at once, keyed and not: one escalation, one item.
    let mut calls = Vec::new();
    for n in 0..8 {
        let (app, admin, escalate, body) = (&app, &admin, &escalate, &body);
        calls.push(async move {
            if n % 2 == 0 {
                app.post_json(escalate, admin, body).await
            } else {
                app.post_json_idempotent(escalate, admin, &format!("escalate-{}", n % 4), body)
                    .await
            }
        });
    }
    let answers = futures_util::future::join_all(calls).await;
    let mut statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
    statuses.sort_unstable();
    // One made it (201); the others answer it (200), or replay their key's
    // first answer, which may be that 201.
    assert!(statuses.contains(&201), "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 201),
        "{statuses:?}"
    );
    let ids: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|a| a.json()["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 1);
    let made = answers[0].json();
    assert_eq!(made["meeting_id"], next["id"]);
    assert_ne!(made["meeting_id"], later["id"]);
    let retried = app
        .post_json(&escalate, &admin, &body)
        .await
        .expect_json(200);
    assert_eq!(retried["id"], made["id"]);

    let items = app
        .get_all(&format!("/v1/meetings/{}/items", id_of(&next)), &admin)
        .await;
    let escalated: Vec<&Value> = items
        .iter()
        .filter(|i| {
            i["title"]
                .as_str()
                .unwrap()
                .contains("Ineffective use of multi-agency strategy discussions")
        })
        .collect();
    assert_eq!(escalated.len(), 1);
    assert_eq!(escalated[0]["id"], made["item_id"]);
    assert_eq!(escalated[0]["number"], made["item_number"]);
    assert_eq!(made["item_number"], "1");
    // A draft's item is confidential: a viewer sees a redacted item.
    assert_eq!(escalated[0]["confidential"], true);
    let listed = app.get(&escalate, &admin).await.expect_json(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    // The item stays on the agenda for the record.
    app.delete(
        &format!(
            "/v1/meetings/{}/items/{}",
            id_of(&next),
            made["item_id"].as_str().unwrap()
        ),
        &admin,
        Some("*"),
    )
    .await
    .expect_problem(409);

    // A meeting whose minutes are approved takes no escalation.
    let (_, two) = (one.clone(), risk_log_two(&app, &seed, &admin).await);
    let minutes = format!("/v1/meetings/{}/minutes", id_of(&next));
    app.post_json(
        &format!("{minutes}/approve"),
        &admin,
        &json!({"approved_at_meeting_id": later["id"]}),
    )
    .await
    .expect_json(200);
    let locked = app
        .post_json(
            &format!("/v1/risks/{}/escalations", id_of(&two)),
            &admin,
            &body,
        )
        .await
        .expect_problem(409);
    assert!(locked["detail"].as_str().unwrap().contains("approved"));
    let unknown = app
        .post_json(&escalate, &admin, &json!({"group_id": seed.partnership_id}))
        .await;
    assert_eq!(unknown.status.as_u16(), 404);
    assert!(unknown.json()["errors"].to_string().contains("group_id"));
}

async fn risk_log_two(app: &TestApp, seed: &Seed, admin: &str) -> Value {
    app.post_json(
        &format!("/v1/partnerships/{}/risks", seed.partnership_id),
        admin,
        &json!({"title": "Thresholds not applied", "likelihood": 4, "impact": 4, "status": "agreed"}),
    )
    .await
    .expect_json(201)
}

#[tokio::test]
async fn viewers_see_no_drafts_and_outsiders_see_nothing() {
    let (app, seed, admin) = nottinghamshire().await;
    let p = seed.partnership_id;
    let (draft, _) = risk_log(&app, &seed, &admin).await;
    let agreed = risk_log_two(&app, &seed, &admin).await;
    let viewer = app.token(&[(p, Role::Viewer)]);
    let draft_path = format!("/v1/risks/{}", id_of(&draft));
    let missing = app
        .get(&format!("/v1/risks/{}", uuid::Uuid::now_v7()), &viewer)
        .await
        .expect_problem(404);
    let hidden = app.get(&draft_path, &viewer).await.expect_problem(404);
    assert_eq!(hidden["detail"], missing["detail"]);
    // Writing to it is 404 too, not a 403 that would confirm it.
    app.post_json(
        &format!("{draft_path}/assessments"),
        &viewer,
        &json!({"likelihood": 1, "impact": 1}),
    )
    .await
    .expect_problem(404);
    app.get(&format!("/v1/risks/{}", id_of(&agreed)), &viewer)
        .await
        .expect_json(200);
    app.post_json(
        &format!("/v1/risks/{}/assessments", id_of(&agreed)),
        &viewer,
        &json!({"likelihood": 1, "impact": 1}),
    )
    .await
    .expect_problem(403);
    let listed = app
        .get_all(&format!("/v1/partnerships/{p}/risks"), &viewer)
        .await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], agreed["id"]);
    let map = app
        .get(&format!("/v1/partnerships/{p}/risks/heat-map"), &viewer)
        .await
        .expect_json(200);
    assert_eq!(map["total"], 1);
    let map = app
        .get(&format!("/v1/partnerships/{p}/risks/heat-map"), &admin)
        .await
        .expect_json(200);
    let cells = map["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 25);
    let count = |l: i64, i: i64| {
        cells
            .iter()
            .find(|c| c["likelihood"] == l && c["impact"] == i)
            .unwrap()["count"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(
        (count(4, 5), count(2, 4), count(4, 4), count(1, 1)),
        (1, 1, 1, 0)
    );
    assert_eq!(map["total"], 3);
    let submitter = app.token(&[(p, Role::Submitter)]);
    app.get(&format!("/v1/partnerships/{p}/risks"), &submitter)
        .await
        .expect_problem(403);
    let other = app.create_partnership("elsewhere").await;
    let outsider = app.token(&[(id_of(&other), Role::Admin)]);
    let foreign = app
        .get(&format!("/v1/risks/{}", id_of(&agreed)), &outsider)
        .await
        .expect_problem(404);
    assert_eq!(foreign["detail"], missing["detail"]);
    // Mitigations name actions of this partnership only.
    let at = format!("/v1/partnerships/{p}/risks");
    let refused = app
        .post_json(
            &at,
            &admin,
            &json!({"title": "x", "likelihood": 1, "impact": 1,
                    "mitigation_action_ids": [uuid::Uuid::now_v7()]}),
        )
        .await
        .expect_problem(404);
    assert_eq!(refused["errors"][0]["field"], "mitigation_action_ids[0]");

    // CSV: the whole register, formulas neutralised.
    app.post_json(
        &at,
        &admin,
        &json!({"title": "=HYPERLINK(\"http://x\")", "likelihood": 1, "impact": 2, "status": "agreed"}),
    )
    .await
    .expect_json(201);
    let csv = app.get_accept(&at, &admin, "text/csv").await;
    csv.expect_status(200);
    let text = csv.text();
    assert!(text.starts_with("\"Number\",\"Title\""), "{text}");
    assert_eq!(text.lines().count(), 5);
    assert!(!text.contains(",\"=HYPERLINK"), "{text}");
    assert!(text.contains(",\"'=HYPERLINK("), "{text}");
}
