//! Budgets over HTTP: Nottinghamshire's 2019-20 and 2020-21 from the seed
//! ("contributions for 2020/21 remain at the same level as 2019/20", "a
//! target for the reserve of £60,000", the Home Start contribution, the
//! NSPCC Support Package "funded entirely from Business Unit reserves"),
//! the summary to the penny, the reserve carried and its gap to target, a
//! closed year locked and corrected by a reversal, refusals, roles, CSV.

use safeguarding_api::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{id_of, spawn_app_with, TestApp};
use crate::seed::{self, Seed, NOTTINGHAMSHIRE};

/// 1 May 2020: 2019-20 has ended, 2020-21 has begun.
const CLOCK: &str = "2020-05-01T09:00:00Z";

async fn nottinghamshire() -> (TestApp, Seed, String) {
    let app = spawn_app_with(&[("CLOCK_FIXED_AT", CLOCK)]).await;
    let seed = seed::load(&app, NOTTINGHAMSHIRE).await;
    let admin = app.token(&[(seed.partnership_id, Role::Admin)]);
    (app, seed, admin)
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn line(
    app: &TestApp,
    admin: &str,
    budget: &str,
    name: &str,
    kind: &str,
    planned: i64,
) -> String {
    let made = app
        .post_json(
            &format!("{budget}/lines"),
            admin,
            &json!({"name": name, "kind": kind, "planned_pence": planned}),
        )
        .await
        .expect_json(201);
    made["id"].as_str().unwrap().to_owned()
}

async fn book(app: &TestApp, admin: &str, budget: &str, body: Value) -> Value {
    app.post_json(&format!("{budget}/transactions"), admin, &body)
        .await
        .expect_json(201)
}

/// 2019-20 as the business unit kept it: three partner contributions,
/// staffing, the Home Start contribution, training (paid and committed) and
/// the NSPCC package from the reserve. Answers the budget's path and the
/// training commitment.
async fn year_2019_20(app: &TestApp, seed: &Seed, admin: &str) -> (String, Value) {
    let created = app
        .post_json(
            &format!("/v1/partnerships/{}/budgets", seed.partnership_id),
            admin,
            &json!({"financial_year": "2019-20", "reserve_target_pence": 6_000_000,
                    "opening_reserve_pence": 4_000_000, "published": true}),
        )
        .await
        .expect_json(201);
    assert_eq!(created["financial_year"], "2019-20");
    assert_eq!(created["status"], "open");
    let budget = format!("/v1/budgets/{}", created["id"].as_str().unwrap());
    let partners = [
        ("nottinghamshire-county-council", 4_500_000, "received"),
        ("nottinghamshire-police", 3_000_000, "received"),
        ("mid-notts-ccgs", 3_000_000, "pledged"),
    ];
    for (key, amount, status) in partners {
        app.post_json(
            &format!("{budget}/contributions"),
            admin,
            &json!({"organisation_id": seed.organisations[key], "amount_pence": amount, "status": status}),
        )
        .await
        .expect_json(201);
    }
    let staffing = line(
        app,
        admin,
        &budget,
        "Business unit staffing",
        "expenditure",
        8_000_000,
    )
    .await;
    let home_start = line(
        app,
        admin,
        &budget,
        "Home Start contribution",
        "expenditure",
        1_000_000,
    )
    .await;
    let training = line(
        app,
        admin,
        &budget,
        "Multi-agency training",
        "expenditure",
        1_500_000,
    )
    .await;
    let nspcc = line(
        app,
        admin,
        &budget,
        "NSPCC Support Package",
        "expenditure",
        0,
    )
    .await;
    book(app, admin, &budget, json!({"line_id": staffing, "date": "2020-03-31", "amount_pence": 7_912_345, "description": "Staffing 2019-20"})).await;
    book(app, admin, &budget, json!({"line_id": home_start, "date": "2019-10-01", "amount_pence": 1_000_000, "description": "Home Start contribution 2019-20", "reference": "HS-1920"})).await;
    book(app, admin, &budget, json!({"line_id": training, "date": "2019-09-12", "amount_pence": 1_234_599, "description": "=HYPERLINK(\"http://x\",\"Trainers\")"})).await;
    let commitment = book(app, admin, &budget, json!({"line_id": training, "date": "2020-02-14", "amount_pence": 100_001, "description": "E-learning licences ordered", "kind": "commitment"})).await;
    let package = book(app, admin, &budget, json!({"line_id": nspcc, "date": "2019-11-20", "amount_pence": 850_000, "description": "NSPCC Support Package for HSB", "from_reserve": true})).await;
    assert_eq!(package["line_name"], "NSPCC Support Package");
    assert_eq!(package["kind"], "payment");
    assert_eq!(package["from_reserve"], true);
    (budget, commitment)
}

#[tokio::test]
async fn two_years_to_the_penny_with_the_reserve_carried_and_a_closed_year_locked() {
    let (app, seed, admin) = nottinghamshire().await;
    let pid = seed.partnership_id;
    let (y1, commitment) = year_2019_20(&app, &seed, &admin).await;

    // The CCG's contribution arrives.
    let contributions = app.get_all(&format!("{y1}/contributions"), &admin).await;
    assert_eq!(contributions.len(), 3);
    let ccg = contributions
        .iter()
        .find(|c| c["organisation_id"] == json!(seed.organisations["mid-notts-ccgs"]))
        .unwrap();
    assert_eq!(
        ccg["organisation_name"],
        "Mid Nottinghamshire Clinical Commissioning Groups"
    );
    let ccg_at = format!("{y1}/contributions/{}", ccg["id"].as_str().unwrap());
    app.patch_json(
        &ccg_at,
        &admin,
        Some("\"1\""),
        &json!({"status": "received"}),
    )
    .await
    .expect_json(200);

    let s1 = app
        .get(&format!("{y1}/summary"), &admin)
        .await
        .expect_json(200);
    assert_eq!(s1["financial_year"], "2019-20");
    assert_eq!(s1["contributions"]["count"], 3);
    assert_eq!(s1["contributions"]["pledged_pence"], 10_500_000);
    assert_eq!(s1["contributions"]["received_pence"], 10_500_000);
    assert_eq!(s1["contributions"]["outstanding_pence"], 0);
    let training = s1["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "Multi-agency training")
        .unwrap();
    assert_eq!(training["planned_pence"], 1_500_000);
    assert_eq!(training["paid_pence"], 1_234_599);
    assert_eq!(training["committed_pence"], 100_001);
    assert_eq!(training["actual_pence"], 1_334_600);
    assert_eq!(training["variance_pence"], 165_400);
    let e = &s1["expenditure"];
    assert_eq!(e["planned_pence"], 10_500_000);
    assert_eq!(e["paid_pence"], 10_996_944);
    assert_eq!(e["committed_pence"], 100_001);
    assert_eq!(e["actual_pence"], 11_096_945);
    assert_eq!(e["variance_pence"], -596_945);
    assert_eq!(e["from_reserve_pence"], 850_000);
    assert_eq!(s1["total_income_actual_pence"], 10_500_000);
    let r = &s1["reserve"];
    assert_eq!(r["opening_pence"], 4_000_000);
    assert_eq!(r["opening_basis"], "explicit");
    assert_eq!(r["movement_pence"], -596_945);
    assert_eq!(r["drawn_pence"], 850_000);
    assert_eq!(r["closing_pence"], 3_403_055);
    assert_eq!(r["closing_basis"], "running");
    assert_eq!(r["target_pence"], 6_000_000);
    assert_eq!(r["gap_to_target_pence"], 2_596_945);

    // 2020-21, written as the minutes write it, contributions "at the same
    // level as 2019/20" in one call.
    let created = app
        .post_json(
            &format!("/v1/partnerships/{pid}/budgets"),
            &admin,
            &json!({"financial_year": "2020/21", "reserve_target_pence": 6_000_000}),
        )
        .await
        .expect_json(201);
    assert_eq!(created["financial_year"], "2020-21");
    assert_eq!(created["opening_reserve_pence"], Value::Null);
    let y2 = format!("/v1/budgets/{}", created["id"].as_str().unwrap());
    let copied = app
        .post_json(
            &format!("{y2}/contributions/copy"),
            &admin,
            &json!({"from": "2019/20"}),
        )
        .await
        .expect_json(200);
    assert_eq!(copied["copied"].as_array().unwrap().len(), 3);
    assert!(copied["copied"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["status"] == "pledged"));
    let again = app
        .post_json(
            &format!("{y2}/contributions/copy"),
            &admin,
            &json!({"from": "2019-20"}),
        )
        .await
        .expect_json(200);
    assert_eq!(again["copied"].as_array().unwrap().len(), 0);
    assert_eq!(again["skipped"].as_array().unwrap().len(), 3);
    line(
        &app,
        &admin,
        &y2,
        "Home Start contribution",
        "expenditure",
        1_000_000,
    )
    .await;

    let s2 = app
        .get(&format!("{y2}/summary"), &admin)
        .await
        .expect_json(200);
    assert_eq!(s2["contributions"]["pledged_pence"], 10_500_000);
    assert_eq!(s2["contributions"]["received_pence"], 0);
    assert_eq!(s2["total_income_planned_pence"], 10_500_000);
    assert_eq!(s2["expenditure"]["planned_pence"], 1_000_000);
    assert_eq!(s2["reserve"]["opening_pence"], 3_403_055);
    assert_eq!(s2["reserve"]["opening_basis"], "carried");
    assert_eq!(s2["reserve"]["closing_pence"], 3_403_055);
    assert_eq!(s2["reserve"]["gap_to_target_pence"], 2_596_945);

    // Years close in order, and a closed year's reserve is fixed.
    let early = app
        .patch_json(&y2, &admin, Some("\"1\""), &json!({"status": "closed"}))
        .await
        .expect_problem(409);
    assert!(early["detail"]
        .as_str()
        .unwrap()
        .contains("close 2019-20 first"));
    let closed = app
        .patch_json(&y1, &admin, Some("\"1\""), &json!({"status": "closed"}))
        .await
        .expect_json(200);
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["closing_reserve_pence"], 3_403_055);

    // A closed year is locked: its transactions are not edited or removed,
    // nothing new is booked, it is not reopened.
    let t_at = format!("{y1}/transactions/{}", commitment["id"].as_str().unwrap());
    let edit = app
        .patch_json(&t_at, &admin, Some("\"1\""), &json!({"amount_pence": 100}))
        .await
        .expect_problem(409);
    assert!(edit["detail"]
        .as_str()
        .unwrap()
        .contains("2019-20 is closed"));
    app.delete(&t_at, &admin, Some("\"1\""))
        .await
        .expect_problem(409);
    let training_line = commitment["line_id"].as_str().unwrap();
    app.post_json(
        &format!("{y1}/transactions"),
        &admin,
        &json!({"line_id": training_line, "date": "2020-03-01", "amount_pence": 5, "description": "Late"}),
    )
    .await
    .expect_problem(409);
    app.patch_json(&y1, &admin, Some("\"2\""), &json!({"status": "open"}))
        .await
        .expect_problem(409);
    app.patch_json(
        &y1,
        &admin,
        Some("\"2\""),
        &json!({"opening_reserve_pence": 1}),
    )
    .await
    .expect_problem(409);
    app.patch_json(&ccg_at, &admin, Some("\"2\""), &json!({"amount_pence": 1}))
        .await
        .expect_problem(409);

    // The licences were never bought: the commitment is reversed, once.
    let reversal = app
        .post_json(
            &format!("{t_at}/reversal"),
            &admin,
            &json!({"description": "Licences cancelled"}),
        )
        .await
        .expect_json(201);
    assert_eq!(reversal["amount_pence"], -100_001);
    assert_eq!(reversal["reverses_id"], commitment["id"]);
    assert_eq!(reversal["date"], "2020-02-14");
    assert_eq!(reversal["kind"], "commitment");
    app.post_json(&format!("{t_at}/reversal"), &admin, &json!({}))
        .await
        .expect_problem(409);
    let reversed = app.get(&t_at, &admin).await.expect_json(200);
    assert_eq!(reversed["reversed_by_id"], reversal["id"]);

    let s1 = app
        .get(&format!("{y1}/summary"), &admin)
        .await
        .expect_json(200);
    assert_eq!(s1["reserve"]["closing_pence"], 3_403_055);
    assert_eq!(s1["reserve"]["closing_basis"], "fixed");
    assert_eq!(s1["reserve"]["adjustments_after_close_pence"], 100_001);
    assert_eq!(s1["expenditure"]["committed_pence"], 0);
    let s2 = app
        .get(&format!("{y2}/summary"), &admin)
        .await
        .expect_json(200);
    assert_eq!(s2["reserve"]["opening_pence"], 3_403_055);

    // The years side by side.
    let years = app
        .get(
            &format!("/v1/partnerships/{pid}/budgets/summary?from=2019-20&to=2021-22"),
            &admin,
        )
        .await
        .expect_json(200);
    let list = years["years"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["financial_year"], "2019-20");
    assert_eq!(list[0]["closing_reserve_pence"], 3_403_055);
    assert_eq!(list[0]["closing_reserve_basis"], "fixed");
    assert_eq!(list[0]["drawn_from_reserve_pence"], 850_000);
    assert_eq!(list[1]["opening_reserve_pence"], 3_403_055);
    assert_eq!(list[1]["opening_reserve_basis"], "carried");
    assert_eq!(list[1]["gap_to_target_pence"], 2_596_945);
    assert_eq!(list[2]["financial_year"], "2021-22");
    assert_eq!(list[2]["budget_id"], Value::Null);
    let none = app
        .get(
            &format!("/v1/partnerships/{pid}/budgets/summary?from=2021-22&to=2019-20"),
            &admin,
        )
        .await
        .expect_json(200);
    assert_eq!(none["years"], json!([]));
    app.get(
        &format!("/v1/partnerships/{pid}/budgets/summary?from=2019-22"),
        &admin,
    )
    .await
    .expect_problem(400);

    // CSV: amounts in pounds with two decimals, formulas neutralised.
    let csv = app
        .get_accept(&format!("{y1}/transactions"), &admin, "text/csv")
        .await;
    csv.expect_status(200);
    let text = csv.text();
    assert!(text.starts_with("\"Date\",\"Line\""), "{text}");
    assert_eq!(text.lines().count(), 7, "{text}");
    assert!(text.contains(",8500.00,"), "{text}");
    assert!(text.contains(",-1000.01,"), "{text}");
    assert!(!text.contains(",\"=HYPERLINK"), "{text}");
    assert!(text.contains(",\"'=HYPERLINK("), "{text}");
    let lines_csv = app
        .get_accept(&format!("{y1}/lines"), &admin, "text/csv")
        .await;
    lines_csv.expect_status(200);
    assert!(lines_csv.text().contains("\"Multi-agency training\",\"expenditure\",15000.00,0.00,12345.99,12345.99,2654.01,0.00"), "{}", lines_csv.text());
}

#[tokio::test]
async fn bad_money_dates_and_years_are_refused_with_problems() {
    let (app, seed, admin) = nottinghamshire().await;
    let pid = seed.partnership_id;
    let at = format!("/v1/partnerships/{pid}/budgets");
    let wrong = app
        .post_json(&at, &admin, &json!({"financial_year": "2020-22"}))
        .await
        .expect_problem(422);
    assert_eq!(fields(&wrong), ["financial_year"]);
    let made = app
        .post_json(&at, &admin, &json!({"financial_year": "2019-20"}))
        .await
        .expect_json(201);
    let taken = app
        .post_json(&at, &admin, &json!({"financial_year": "2019/20"}))
        .await
        .expect_problem(409);
    assert!(taken["detail"].as_str().unwrap().contains("financial_year"));
    let budget = format!("/v1/budgets/{}", made["id"].as_str().unwrap());
    let council = seed.organisations["nottinghamshire-county-council"];

    // A negative contribution, a float, beyond i64, a string: each a 422
    // naming the field, and nothing written.
    for amount in [
        "-1",
        "100.5",
        "99999999999999999999",
        "10000000000001",
        "\"100\"",
    ] {
        let body = format!(r#"{{"organisation_id": "{council}", "amount_pence": {amount}}}"#);
        let refused = app
            .post_raw(
                &format!("{budget}/contributions"),
                &admin,
                "application/json",
                body,
            )
            .await
            .expect_problem(422);
        assert_eq!(fields(&refused), ["amount_pence"], "{amount}: {refused}");
    }
    assert!(app
        .get_all(&format!("{budget}/contributions"), &admin)
        .await
        .is_empty());
    // Not a member of the partnership: 404 naming the field.
    let city = seed.organisations["nottingham-city-council"];
    let stranger = app
        .post_json(
            &format!("{budget}/contributions"),
            &admin,
            &json!({"organisation_id": city, "amount_pence": 1}),
        )
        .await
        .expect_problem(404);
    assert_eq!(fields(&stranger), ["organisation_id"]);

    let training = line(&app, &admin, &budget, "Training", "expenditure", 100).await;
    let outside = app
        .post_json(
            &format!("{budget}/transactions"),
            &admin,
            &json!({"line_id": training, "date": "2020-04-01", "amount_pence": 100, "description": "Too late"}),
        )
        .await
        .expect_problem(422);
    assert_eq!(fields(&outside), ["date"]);
    assert!(outside["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("2019-04-01 to 2020-03-31"));
    let zero = app
        .post_json(
            &format!("{budget}/transactions"),
            &admin,
            &json!({"line_id": training, "date": "2019-04-01", "amount_pence": 0, "description": "Nothing"}),
        )
        .await
        .expect_problem(422);
    assert_eq!(fields(&zero), ["amount_pence"]);
    let float = app
        .post_json(
            &format!("{budget}/transactions"),
            &admin,
            &json!({"line_id": training, "date": "2019-04-01", "amount_pence": 100.5, "description": "Half"}),
        )
        .await
        .expect_problem(422);
    assert_eq!(fields(&float), ["amount_pence"]);
    let unknown_line = app
        .post_json(
            &format!("{budget}/transactions"),
            &admin,
            &json!({"line_id": council, "date": "2019-04-01", "amount_pence": 1, "description": "x"}),
        )
        .await
        .expect_problem(404);
    assert_eq!(fields(&unknown_line), ["line_id"]);
    assert!(app
        .get_all(&format!("{budget}/transactions"), &admin)
        .await
        .is_empty());
    // A duplicate line name is a conflict.
    app.post_json(
        &format!("{budget}/lines"),
        &admin,
        &json!({"name": "Training", "kind": "income", "planned_pence": 1}),
    )
    .await
    .expect_problem(409);
    // Unknown fields and query parameters.
    app.post_json(
        &at,
        &admin,
        &json!({"financial_year": "2021-22", "currency": "GBP"}),
    )
    .await
    .expect_problem(422);
    app.get(&format!("{budget}/transactions?amount=1"), &admin)
        .await
        .expect_problem(400);
}

#[tokio::test]
async fn members_read_viewers_read_published_years_submitters_and_outsiders_never() {
    let (app, seed, admin) = nottinghamshire().await;
    let pid = seed.partnership_id;
    let (y1, _) = year_2019_20(&app, &seed, &admin).await;
    let made = app
        .post_json(
            &format!("/v1/partnerships/{pid}/budgets"),
            &admin,
            &json!({"financial_year": "2020-21"}),
        )
        .await
        .expect_json(201);
    let y2 = format!("/v1/budgets/{}", made["id"].as_str().unwrap());

    let member = app.token(&[(pid, Role::Member)]);
    let viewer = app.token(&[(pid, Role::Viewer)]);
    let submitter = app.token(&[(pid, Role::Submitter)]);
    let other = app.create_partnership("elsewhere").await;
    let outsider = app.token(&[(id_of(&other), Role::Admin)]);

    // Members read everything and write nothing.
    app.get(&format!("{y2}/summary"), &member)
        .await
        .expect_json(200);
    app.get(&format!("{y1}/transactions"), &member)
        .await
        .expect_json(200);
    let lines = app.get_all(&format!("{y1}/lines"), &member).await;
    let line_id = lines[0]["id"].as_str().unwrap();
    app.post_json(
        &format!("{y1}/transactions"),
        &member,
        &json!({"line_id": line_id, "date": "2019-05-01", "amount_pence": 1, "description": "x"}),
    )
    .await
    .expect_problem(403);
    app.patch_json(&y2, &member, Some("\"1\""), &json!({"published": true}))
        .await
        .expect_problem(403);
    app.post_json(
        &format!("/v1/partnerships/{pid}/budgets"),
        &member,
        &json!({"financial_year": "2021-22"}),
    )
    .await
    .expect_problem(403);

    // Viewers read a published year; an unpublished one is 404, as missing.
    app.get(&y1, &viewer).await.expect_json(200);
    app.get(&format!("{y1}/summary"), &viewer)
        .await
        .expect_json(200);
    for path in [
        y2.clone(),
        format!("{y2}/summary"),
        format!("{y2}/lines"),
        format!("{y2}/transactions"),
    ] {
        app.get(&path, &viewer).await.expect_problem(404);
    }
    app.patch_json(&y2, &viewer, Some("\"1\""), &json!({"published": true}))
        .await
        .expect_problem(404);
    let listed = app
        .get_all(&format!("/v1/partnerships/{pid}/budgets"), &viewer)
        .await;
    assert_eq!(listed.len(), 1);
    let years = app
        .get(
            &format!("/v1/partnerships/{pid}/budgets/summary?from=2019-20&to=2020-21"),
            &viewer,
        )
        .await
        .expect_json(200);
    assert_eq!(years["years"][1]["budget_id"], Value::Null);
    assert_eq!(years["years"][1]["closing_reserve_pence"], Value::Null);
    app.patch_json(&y2, &admin, Some("\"1\""), &json!({"published": true}))
        .await
        .expect_json(200);
    let now_public = app
        .get(&format!("{y2}/summary"), &viewer)
        .await
        .expect_json(200);
    assert_eq!(now_public["reserve"]["opening_basis"], "carried");
    assert_eq!(
        app.get_all(&format!("/v1/partnerships/{pid}/budgets"), &admin)
            .await
            .len(),
        2
    );

    // Submitters never; another partnership's admin finds nothing.
    app.get(&y1, &submitter).await.expect_problem(403);
    app.get(&format!("/v1/partnerships/{pid}/budgets"), &submitter)
        .await
        .expect_problem(403);
    for path in [
        y1.clone(),
        format!("{y1}/summary"),
        format!("{y1}/contributions"),
        format!("/v1/partnerships/{pid}/budgets"),
    ] {
        app.get(&path, &outsider).await.expect_problem(404);
    }
    app.patch_json(&y1, &outsider, Some("\"1\""), &json!({"published": false}))
        .await
        .expect_problem(404);
}

#[tokio::test]
async fn years_publish_and_close_in_order_and_a_close_carries_what_it_sets() {
    let (app, seed, admin) = nottinghamshire().await;
    let at = format!("/v1/partnerships/{}/budgets", seed.partnership_id);
    let open = |year: &str, body: Value| {
        let (app, at, admin) = (&app, &at, &admin);
        let mut body = body;
        body["financial_year"] = json!(year);
        async move {
            let made = app.post_json(at, admin, &body).await.expect_json(201);
            format!("/v1/budgets/{}", made["id"].as_str().unwrap())
        }
    };
    let y1 = open("2019-20", json!({"opening_reserve_pence": 100_000})).await;
    let y2 = open(
        "2020-21",
        json!({"opening_reserve_pence": 50_000, "published": true}),
    )
    .await;

    // A published year carrying from an unpublished one would show a viewer
    // that year's closing reserve.
    let hidden = app
        .patch_json(
            &y2,
            &admin,
            Some("\"1\""),
            &json!({"opening_reserve_pence": null}),
        )
        .await
        .expect_problem(409);
    assert!(hidden["detail"]
        .as_str()
        .unwrap()
        .contains("publish 2019-20 first"));
    app.patch_json(&y1, &admin, Some("\"1\""), &json!({"published": true}))
        .await
        .expect_json(200);
    let closed = app
        .patch_json(&y1, &admin, Some("\"2\""), &json!({"status": "closed"}))
        .await
        .expect_json(200);
    assert_eq!(closed["closing_reserve_pence"], 100_000);

    // Closing and carrying in one change closes with the carried reserve.
    let closed = app
        .patch_json(
            &y2,
            &admin,
            Some("\"1\""),
            &json!({"opening_reserve_pence": null, "status": "closed"}),
        )
        .await
        .expect_json(200);
    assert_eq!(closed["closing_reserve_pence"], 100_000);
    let summary = app
        .get(&format!("{y2}/summary"), &admin)
        .await
        .expect_json(200);
    assert_eq!(summary["reserve"]["opening_basis"], "carried");
    assert_eq!(summary["reserve"]["adjustments_after_close_pence"], 0);

    // 2020-21 carries from 2019-20, so 2019-20 stays published; no year is
    // opened before a closed one.
    let unpublish = app
        .patch_json(&y1, &admin, Some("\"3\""), &json!({"published": false}))
        .await
        .expect_problem(409);
    assert!(unpublish["detail"]
        .as_str()
        .unwrap()
        .contains("2019-20 stays published"));
    let earlier = app
        .post_json(&at, &admin, &json!({"financial_year": "2018-19"}))
        .await
        .expect_problem(409);
    assert!(earlier["detail"]
        .as_str()
        .unwrap()
        .contains("2019-20 is closed"));
    assert_eq!(app.get_all(&at, &admin).await.len(), 2);
}
