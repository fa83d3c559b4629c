//! The Herefordshire data cycle over HTTP: "Police, CCG, Wye Valley NHS
//! Trust, Herefordshire Mental Health & Learning Disability Services, and
//! Local Authority Childrens Social Care and Education to provide Quarter 2
//! 2019/20 data by 29 November". Two instances share the database: one
//! whose clock reads 20 November, one whose clock reads 2 December.

use safeguarding_api::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{id_of, spawn_app_with, TestApp};

const ON_TIME: &str = "2019-11-20T10:00:00Z";
const AFTER_THE_DEADLINE: &str = "2019-12-02T10:00:00Z";
const AGENCIES: [&str; 5] = [
    "West Mercia Police",
    "Herefordshire CCG",
    "Wye Valley NHS Trust",
    "Herefordshire Mental Health & Learning Disability Services",
    "Local Authority Childrens Social Care and Education",
];

struct Board {
    partnership: String,
    /// The agencies, in `AGENCIES` order.
    agencies: Vec<String>,
}

async fn board(app: &TestApp) -> Board {
    let admin = app.platform_admin_token();
    let partnership = id_of(&app.create_partnership("herefordshire").await).to_string();
    let mut agencies = Vec::new();
    for name in AGENCIES {
        let created = app
            .post_json(
                "/v1/organisations",
                &admin,
                &json!({"name": name, "kind": "other"}),
            )
            .await
            .expect_json(201);
        app.post_json(
            &format!("/v1/partnerships/{partnership}/members"),
            &admin,
            &json!({"organisation_id": created["id"], "role": "statutory_partner"}),
        )
        .await
        .expect_json(201);
        agencies.push(created["id"].as_str().unwrap().to_owned());
    }
    for (code, unit) in [
        ("CP-PLANS", "count"),
        ("TIMELY-ICPC", "percent"),
        ("REFERRALS", "count"),
    ] {
        app.post_json(
            &format!("/v1/partnerships/{partnership}/metrics"),
            &admin,
            &json!({"code": code, "name": code, "unit": unit, "min_value": 0}),
        )
        .await
        .expect_json(201);
    }
    Board {
        partnership,
        agencies,
    }
}

fn quarter(organisation: &str, plans: Value, timely: Value) -> Value {
    json!({
        "period": "2019-20-Q2",
        "organisation_id": organisation,
        "values": [
            {"metric": "CP-PLANS", "value": plans},
            {"metric": "TIMELY-ICPC", "value": timely},
        ],
    })
}

fn counts(summary: &Value) -> (u64, u64, u64, usize, bool) {
    (
        summary["imported"].as_u64().unwrap(),
        summary["updated"].as_u64().unwrap(),
        summary["unchanged"].as_u64().unwrap(),
        summary["rejected"].as_array().unwrap().len(),
        summary["stored"].as_bool().unwrap(),
    )
}

#[tokio::test]
async fn the_quarter_two_request_is_answered_late_partly_and_never() {
    let app = spawn_app_with(&[("CLOCK_FIXED_AT", ON_TIME)]).await;
    let later = app
        .another_instance(&[("CLOCK_FIXED_AT", AFTER_THE_DEADLINE)])
        .await;
    let b = board(&app).await;
    let admin = app.platform_admin_token();
    let pid = b.partnership.parse().unwrap();
    let [police, ccg, trust, mental_health, council] =
        <[String; 5]>::try_from(b.agencies.clone()).unwrap();
    let police_system = app.token_with_org(
        "west-mercia-warehouse",
        police.parse().unwrap(),
        &[(pid, Role::Submitter)],
    );
    let requests = format!("/v1/partnerships/{}/data-requests", b.partnership);
    let submissions = format!("/v1/partnerships/{}/submissions", b.partnership);

    // The board asks the five agencies; only an admin may.
    let ask = json!({
        "period": "2019-20-Q2",
        "metrics": ["CP-PLANS", "TIMELY-ICPC"],
        "organisation_ids": b.agencies,
        "due_date": "2019-11-29",
    });
    app.post_json(&requests, &police_system, &ask)
        .await
        .expect_problem(403);
    let created = app.post_json(&requests, &admin, &ask).await;
    let request = created.expect_json(201);
    let id = request["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.header("location"),
        Some(format!("/v1/data-requests/{id}").as_str())
    );
    assert_eq!(request["status"], "open");
    assert_eq!(request["metrics"], json!(["CP-PLANS", "TIMELY-ICPC"]));

    // A second open request may not ask the police for CP-PLANS in Q2 again;
    // one for another metric may, and once closed it refuses that metric.
    let overlapping = json!({"period": "2019-20-q2", "metrics": ["REFERRALS", "CP-PLANS"], "organisation_ids": [police], "due_date": "2019-12-31"});
    let problem = app
        .post_json(&requests, &admin, &overlapping)
        .await
        .expect_problem(409);
    assert!(
        problem["detail"].as_str().unwrap().contains(&id),
        "{problem}"
    );
    let referrals = app
        .post_json(&requests, &admin, &json!({"period": "2019-20-Q2", "metrics": ["REFERRALS"], "organisation_ids": [police], "due_date": "2019-12-31"}))
        .await;
    let referrals_tag = referrals.header("etag").unwrap().to_owned();
    let referrals = referrals.expect_json(201);
    let referrals_path = format!("/v1/data-requests/{}", referrals["id"].as_str().unwrap());
    let closed = app
        .patch_json(
            &referrals_path,
            &admin,
            Some(&referrals_tag),
            &json!({"status": "closed"}),
        )
        .await
        .expect_json(200);
    assert_eq!(closed["status"], "closed");
    // Bad lists are refused whole, each named.
    let problem = app
        .post_json(&requests, &admin, &json!({"period": "2019-20-Q2", "metrics": ["NO-SUCH"], "organisation_ids": [police, police], "due_date": "2019-06-30"}))
        .await
        .expect_problem(422);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["metrics[0]", "organisation_ids[1]", "due_date"]);

    // The police's system sees the request asking it, and only its own row.
    app.get(&format!("/v1/data-requests/{id}"), &police_system)
        .await
        .expect_json(200);
    let listed = app.get_all(&requests, &police_system).await;
    assert_eq!(listed.len(), 2);

    // A dry run writes nothing; then the police submit, resubmit unchanged,
    // and correct one value.
    let dry = app
        .post_json(
            &format!("{submissions}?dry_run=true"),
            &police_system,
            &quarter(&police, json!(132), json!(87.5)),
        )
        .await
        .expect_json(200);
    assert_eq!(counts(&dry), (2, 0, 0, 0, false));
    let completeness = format!("/v1/data-requests/{id}/completeness");
    let report = app.get(&completeness, &admin).await.expect_json(200);
    assert_eq!(report["totals"]["received"], 0, "{report}");
    // First, again unchanged, then one value corrected.
    for (plans, expected) in [
        (132, (2, 0, 0, 0, true)),
        (132, (0, 0, 2, 0, true)),
        (131, (0, 1, 1, 0, true)),
    ] {
        let summary = app
            .post_json(
                &submissions,
                &police_system,
                &quarter(&police, json!(plans), json!(87.5)),
            )
            .await
            .expect_json(200);
        assert_eq!(counts(&summary), expected, "{summary}");
    }

    // The police cannot submit as the CCG: 403, and the refusal is logged.
    app.post_json(
        &submissions,
        &police_system,
        &quarter(&ccg, json!(1), json!(1)),
    )
    .await
    .expect_problem(403);
    let refused = app
        .get_all(
            &format!(
                "/v1/partnerships/{}/access-log?outcome=refused",
                b.partnership
            ),
            &admin,
        )
        .await;
    assert!(
        refused
            .iter()
            .any(|e| e["subject"] == "west-mercia-warehouse"
                && e["operation"] == format!("POST {submissions}")
                && e["role"] == "submitter"),
        "{refused:?}"
    );

    // A value only the closed request asks for is rejected with its reason;
    // the others are taken.
    let mut with_referrals = quarter(&police, json!(131), json!(87.5));
    with_referrals["values"]
        .as_array_mut()
        .unwrap()
        .push(json!({"metric": "REFERRALS", "value": 40}));
    let summary = app
        .post_json(&submissions, &police_system, &with_referrals)
        .await
        .expect_json(200);
    assert_eq!(counts(&summary), (0, 0, 2, 1, true));
    assert!(
        summary["rejected"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("closed"),
        "{summary}"
    );

    // An atomic submission with one bad value (1.5 children) writes nothing.
    let atomic = app
        .post_json(
            &format!("{submissions}?atomic=true"),
            &admin,
            &quarter(&council, json!(1.5), json!(12.5)),
        )
        .await
        .expect_json(200);
    assert_eq!(counts(&atomic), (1, 0, 0, 1, false));
    assert_eq!(atomic["rejected"][0]["index"], 0);
    assert!(app
        .get_all(&format!("{submissions}?organisation_id={council}"), &admin)
        .await
        .is_empty());

    // The Trust sends CSV; a short row is rejected by its line, the rest taken.
    let csv_path = format!("{submissions}?period=2019-20-Q2&organisation_id={trust}");
    let summary = app
        .post_raw(
            &csv_path,
            &admin,
            "text/csv; charset=utf-8",
            "metric,value,comment\r\nCP-PLANS,40,\"Q2, as reported\"\r\nTIMELY-ICPC\r\n",
        )
        .await
        .expect_json(200);
    assert_eq!(counts(&summary), (1, 0, 0, 1, true));
    assert_eq!(summary["rejected"][0]["row"], 3, "{summary}");
    assert_eq!(summary["rejected"][0]["index"], 1);
    let summary = app
        .post_raw(
            &csv_path,
            &admin,
            "text/csv",
            "metric,value\nTIMELY-ICPC,66.67\n",
        )
        .await
        .expect_json(200);
    assert_eq!(counts(&summary), (1, 0, 0, 0, true));
    // Without its period, a CSV body cannot be placed.
    app.post_raw(
        &submissions,
        &admin,
        "text/csv",
        "metric,value\nCP-PLANS,1\n",
    )
    .await
    .expect_problem(400);

    // The council on time (12.5 per cent, 1 child); the CCG after the deadline.
    app.post_json(
        &submissions,
        &admin,
        &quarter(&council, json!(1), json!(12.5)),
    )
    .await
    .expect_json(200);
    let late = later
        .post_json(&submissions, &admin, &quarter(&ccg, json!(75), json!(90)))
        .await
        .expect_json(200);
    assert_eq!(counts(&late), (2, 0, 0, 0, true));
    let council_values = app
        .get_all(&format!("{submissions}?organisation_id={council}"), &admin)
        .await;
    let read_back: Vec<String> = council_values
        .iter()
        .map(|v| v["value"].to_string())
        .collect();
    assert_eq!(read_back, ["1", "12.5"]);
    assert!(council_values
        .iter()
        .all(|v| v["data_request_id"] == json!(id) && v["late"] == false));
    let ccg_values = app
        .get_all(&format!("{submissions}?organisation_id={ccg}"), &admin)
        .await;
    assert!(
        ccg_values.iter().all(|v| v["late"] == true),
        "{ccg_values:?}"
    );

    // Completeness names the agency that never answered, and its metrics.
    let report = later.get(&completeness, &admin).await.expect_json(200);
    let rows: Vec<(&str, u64, u64, u64, Vec<&str>)> = report["organisations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["name"].as_str().unwrap(),
                o["due"].as_u64().unwrap(),
                o["received"].as_u64().unwrap(),
                o["late"].as_u64().unwrap(),
                o["missing"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m.as_str().unwrap())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (AGENCIES[0], 2, 2, 0, vec![]),
            (AGENCIES[1], 2, 2, 2, vec![]),
            (AGENCIES[2], 2, 2, 0, vec![]),
            (AGENCIES[3], 2, 0, 0, vec!["CP-PLANS", "TIMELY-ICPC"]),
            (AGENCIES[4], 2, 2, 0, vec![]),
        ]
    );
    assert_eq!(
        report["totals"],
        json!({"organisations": 5, "complete_organisations": 4, "due": 10, "received": 8, "late": 2, "missing": 2})
    );
    let csv = app
        .send(
            app.client
                .get(app.url(&completeness))
                .bearer_auth(&admin)
                .header("accept", "text/csv"),
        )
        .await;
    csv.expect_status(200);
    let text = csv.text();
    assert!(
        text.contains(&format!(
            "\"{}\",\"{mental_health}\",2,0,0,2,\"CP-PLANS TIMELY-ICPC\"",
            AGENCIES[3]
        )),
        "{text}"
    );
    assert!(
        text.ends_with("\"Total\",\"\",10,8,2,2,\"4 of 5 organisations complete\"\r\n"),
        "{text}"
    );
    // The police's system sees its own row only.
    let own = app
        .get(&completeness, &police_system)
        .await
        .expect_json(200);
    assert_eq!(own["organisations"].as_array().unwrap().len(), 1);
    assert_eq!(own["organisations"][0]["organisation_id"], json!(police));

    // Closed, the request refuses what it asked for; reopening it is
    // refused while another open request asks the same.
    let current = app.get(&format!("/v1/data-requests/{id}"), &admin).await;
    let tag = current.header("etag").unwrap().to_owned();
    let closed = app
        .patch_json(
            &format!("/v1/data-requests/{id}"),
            &admin,
            Some(&tag),
            &json!({"status": "closed"}),
        )
        .await;
    let tag = closed.header("etag").unwrap().to_owned();
    closed.expect_json(200);
    let refused = later
        .post_json(
            &submissions,
            &admin,
            &quarter(&mental_health, json!(3), json!(50)),
        )
        .await
        .expect_json(200);
    assert_eq!(counts(&refused), (0, 0, 0, 2, true));
    app.post_json(&requests, &admin, &json!({"period": "2019-20-Q2", "metrics": ["TIMELY-ICPC"], "organisation_ids": [mental_health], "due_date": "2019-12-13"}))
        .await
        .expect_json(201);
    app.patch_json(
        &format!("/v1/data-requests/{id}"),
        &admin,
        Some(&tag),
        &json!({"status": "open"}),
    )
    .await
    .expect_problem(409);
    // A member may not close or reopen.
    let member = app.token(&[(pid, Role::Member)]);
    app.patch_json(
        &format!("/v1/data-requests/{id}"),
        &member,
        Some(&tag),
        &json!({"status": "open"}),
    )
    .await
    .expect_problem(403);
}

#[tokio::test]
async fn another_partnership_learns_nothing_of_a_request() {
    let app = spawn_app_with(&[]).await;
    let b = board(&app).await;
    let admin = app.platform_admin_token();
    let request = app
        .post_json(
            &format!("/v1/partnerships/{}/data-requests", b.partnership),
            &admin,
            &json!({"period": "2019-20-Q2", "metrics": ["CP-PLANS"], "organisation_ids": [b.agencies[0]], "due_date": "2019-11-29"}),
        )
        .await
        .expect_json(201);
    let path = format!("/v1/data-requests/{}", request["id"].as_str().unwrap());
    let other = id_of(&app.create_partnership("nottinghamshire").await);
    let outsider = app.token(&[(other, Role::Admin)]);
    app.get(&path, &outsider).await.expect_problem(404);
    app.get(&format!("{path}/completeness"), &outsider)
        .await
        .expect_problem(404);
    app.patch_json(
        &path,
        &outsider,
        Some("\"1\""),
        &json!({"status": "closed"}),
    )
    .await
    .expect_problem(404);
    // A submitter of an agency the request does not ask learns nothing either.
    let pid = b.partnership.parse().unwrap();
    let trust = app.token_with_org(
        "trust",
        b.agencies[2].parse().unwrap(),
        &[(pid, Role::Submitter)],
    );
    app.get(&path, &trust).await.expect_problem(404);
    app.get(&format!("{path}/completeness"), &trust)
        .await
        .expect_problem(404);
    assert!(app
        .get_all(
            &format!("/v1/partnerships/{}/data-requests", b.partnership),
            &trust
        )
        .await
        .is_empty());
}

#[tokio::test]
async fn a_value_given_before_the_request_answers_it_on_time_and_submitters_see_only_their_own() {
    let app = spawn_app_with(&[("CLOCK_FIXED_AT", ON_TIME)]).await;
    let later = app
        .another_instance(&[("CLOCK_FIXED_AT", AFTER_THE_DEADLINE)])
        .await;
    let b = board(&app).await;
    let admin = app.platform_admin_token();
    let pid = b.partnership.parse().unwrap();
    let (police, ccg) = (b.agencies[0].clone(), b.agencies[1].clone());
    let police_system = app.token_with_org(
        "west-mercia-warehouse",
        police.parse().unwrap(),
        &[(pid, Role::Submitter)],
    );
    let requests = format!("/v1/partnerships/{}/data-requests", b.partnership);
    let submissions = format!("/v1/partnerships/{}/submissions", b.partnership);
    let one = |value: i64| json!({"period": "2019-20-Q2", "organisation_id": police, "values": [{"metric": "CP-PLANS", "value": value}]});

    // The police give a value before anyone asks for it.
    let first = app
        .post_json(&submissions, &police_system, &one(10))
        .await
        .expect_json(200);
    assert_eq!(counts(&first), (1, 0, 0, 0, true));
    let asked = app
        .post_json(&requests, &admin, &json!({"period": "2019-20-Q2", "metrics": ["CP-PLANS"], "organisation_ids": [police, ccg], "due_date": "2019-11-29"}))
        .await
        .expect_json(201);
    let id = asked["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/data-requests/{id}");

    // Resubmitted unchanged after the due date, it now answers the request,
    // on time: it was given on 20 November. A correction keeps it on time.
    let again = later
        .post_json(&submissions, &police_system, &one(10))
        .await
        .expect_json(200);
    assert_eq!(counts(&again), (0, 0, 1, 0, true));
    let corrected = later
        .post_json(&submissions, &police_system, &one(11))
        .await
        .expect_json(200);
    assert_eq!(counts(&corrected), (0, 1, 0, 0, true));
    let held = app
        .get_all(&format!("{submissions}?organisation_id={police}"), &admin)
        .await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["data_request_id"], json!(id), "{held:?}");
    assert_eq!(held[0]["late"], false, "{held:?}");
    assert_eq!(held[0]["value"], 11);

    // The police's system is not told which other agencies are asked.
    let seen = app.get(&path, &police_system).await.expect_json(200);
    assert_eq!(seen["organisation_ids"], json!([police]));
    let listed = app.get_all(&requests, &police_system).await;
    assert_eq!(listed[0]["organisation_ids"], json!([police]));
    let whole = app.get(&path, &admin).await;
    let tag = whole.header("etag").unwrap().to_owned();
    assert_eq!(
        whole.expect_json(200)["organisation_ids"],
        json!([police, ccg])
    );
    // It may not change the request (403); one that does not ask the police
    // does not exist for it (404), even to change.
    app.patch_json(
        &path,
        &police_system,
        Some(&tag),
        &json!({"status": "closed"}),
    )
    .await
    .expect_problem(403);
    let elsewhere = app
        .post_json(&requests, &admin, &json!({"period": "2019-20-Q2", "metrics": ["REFERRALS"], "organisation_ids": [ccg], "due_date": "2019-11-29"}))
        .await;
    let elsewhere_tag = elsewhere.header("etag").unwrap().to_owned();
    let elsewhere = format!(
        "/v1/data-requests/{}",
        elsewhere.expect_json(201)["id"].as_str().unwrap()
    );
    app.patch_json(
        &elsewhere,
        &police_system,
        Some(&elsewhere_tag),
        &json!({"status": "closed"}),
    )
    .await
    .expect_problem(404);

    // The CCG leaves the partnership: the request asking it can still be
    // changed, as long as the change does not name it again.
    let members = app
        .get_all(
            &format!("/v1/partnerships/{}/members", b.partnership),
            &admin,
        )
        .await;
    let ccg_member = members
        .iter()
        .find(|m| m["organisation_id"] == json!(ccg))
        .unwrap();
    let member_path = format!(
        "/v1/partnerships/{}/members/{}",
        b.partnership,
        ccg_member["id"].as_str().unwrap()
    );
    let member_tag = app
        .get(&member_path, &admin)
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    app.delete(&member_path, &admin, Some(&member_tag))
        .await
        .expect_status(204);
    let moved = app
        .patch_json(
            &path,
            &admin,
            Some(&tag),
            &json!({"due_date": "2019-12-06"}),
        )
        .await;
    let tag = moved.header("etag").unwrap().to_owned();
    assert_eq!(moved.expect_json(200)["due_date"], "2019-12-06");
    let problem = app
        .patch_json(
            &path,
            &admin,
            Some(&tag),
            &json!({"organisation_ids": [police, ccg]}),
        )
        .await
        .expect_problem(422);
    assert_eq!(
        problem["errors"][0]["field"], "organisation_ids[1]",
        "{problem}"
    );
}

#[tokio::test]
async fn a_csv_body_of_more_than_ten_thousand_rows_is_refused_whole() {
    let app = spawn_app_with(&[]).await;
    let b = board(&app).await;
    let admin = app.platform_admin_token();
    let mut body = String::from("metric,value\n");
    for _ in 0..10_001 {
        body.push_str("CP-PLANS,1\n");
    }
    let problem = app
        .post_raw(
            &format!(
                "/v1/partnerships/{}/submissions?period=2019-20-Q2&organisation_id={}",
                b.partnership, b.agencies[0]
            ),
            &admin,
            "text/csv",
            body,
        )
        .await
        .expect_problem(422);
    assert_eq!(problem["errors"][0]["field"], "values", "{problem}");
    assert!(app
        .get_all(
            &format!("/v1/partnerships/{}/submissions", b.partnership),
            &admin
        )
        .await
        .is_empty());
}
