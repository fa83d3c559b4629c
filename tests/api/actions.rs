//! The action log over HTTP: both seeds' logs, references, updates, matters
//! arising, overdue against a fixed clock, CSV, owners by initials, numbers
//! under concurrency, roles, and minutes that freeze at approval.

use std::collections::BTreeSet;

use safeguarding_api::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{id_of, spawn_app, spawn_app_with, TestApp};
use crate::seed::{self, schedule_board, ActionLog, Seed, HEREFORDSHIRE, NOTTINGHAMSHIRE};

/// 1 December 2019: after the November deadlines, before December's.
const CLOCK: &str = "2019-12-01T09:00:00Z";

pub async fn herefordshire(app: &TestApp) -> (Seed, ActionLog) {
    let seed = seed::load(app, HEREFORDSHIRE).await;
    let log = seed::load_action_log(app, HEREFORDSHIRE, &seed).await;
    (seed, log)
}

fn numbers(list: &[Value]) -> Vec<i64> {
    list.iter().map(|a| a["number"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn both_seeds_action_logs_load_with_their_references_and_updates() {
    let app = spawn_app().await;
    let (seed, log) = herefordshire(&app).await;
    let admin = app.platform_admin_token();
    let pid = seed.partnership_id;
    let all = app
        .get_all(&format!("/v1/partnerships/{pid}/actions"), &admin)
        .await;
    // The four actions carried on the log keep their numbers; the meeting's
    // own follow them, gap-free.
    let mut expected = vec![3, 14, 15, 19];
    expected.extend(20..=32);
    assert_eq!(numbers(&all), expected);
    let by_number = |n: i64| all.iter().find(|a| a["number"] == n).unwrap().clone();

    let three = by_number(3);
    assert_eq!(three["reference"], "Action No 3 (10.09.19 ref 4.2)");
    assert_eq!(three["status"], "complete");
    assert_eq!(three["completed_on"], "2019-11-18");
    let fourteen = by_number(14);
    assert_eq!(fourteen["reference"], "Action No 14 (23.10.19 ref 3.1)");
    assert_eq!(fourteen["status"], "open");
    assert_eq!(fourteen["completed_on"], Value::Null);
    assert_eq!(fourteen["owners"][0]["initials"], "PG");
    assert_eq!(fourteen["owners"][0]["name"], "Philippa Granthier");
    assert_eq!(fourteen["item_title"], "Case Review Final Sign Off");
    let fifteen = by_number(15);
    assert_eq!(fifteen["reference"], "Action No 15 (23.10.19 ref 4.1)");
    assert_eq!(fifteen["status"], "in_progress");
    let nineteen = by_number(19);
    assert_eq!(nineteen["reference"], "Action No 19 (23.10.19 ref 7.2)");
    assert_eq!(nineteen["status"], "open");
    assert_eq!(nineteen["owners"][0]["kind"], "group");
    assert_eq!(
        nineteen["owners"][0]["name"],
        "Development and Practice Group"
    );
    // "CB / EH", and the new actions carry the November meeting's date and item.
    let cb_eh = all
        .iter()
        .find(|a| {
            a["description"]
                .as_str()
                .unwrap()
                .starts_with("CB to ask Liz Elgar")
        })
        .unwrap();
    assert_eq!(
        cb_eh["reference"],
        format!("Action No {} (18.11.19 ref 2a)", cb_eh["number"])
    );
    let initials: Vec<&str> = cb_eh["owners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["initials"].as_str().unwrap())
        .collect();
    assert_eq!(initials, ["CB", "EH"]);
    let all_partners = by_number(20);
    assert_eq!(all_partners["owners"][0]["kind"], "all_partners");
    assert_eq!(all_partners["reference"], "Action No 20 (18.11.19)");

    // The history of action 15, oldest first, as minuted in bold.
    let updates = app
        .get_all(
            &format!("/v1/actions/{}/updates", fifteen["id"].as_str().unwrap()),
            &admin,
        )
        .await;
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0]["status"], "in_progress");
    assert_eq!(updates[0]["noted_on"], "2019-11-18");
    assert_eq!(updates[0]["reported_at_meeting_id"], json!(seed.meeting_id));
    assert!(updates[0]["note"]
        .as_str()
        .unwrap()
        .starts_with("In progress; LM asked"));
    // A second update is kept after the first, and completing records when.
    let id15 = fifteen["id"].as_str().unwrap();
    app.post_json(
        &format!("/v1/actions/{id15}/updates"),
        &admin,
        &json!({"noted_on": "2019-12-18", "note": "Letter sent.", "status": "complete"}),
    )
    .await
    .expect_json(201);
    let updates = app
        .get_all(&format!("/v1/actions/{id15}/updates"), &admin)
        .await;
    let notes: Vec<&str> = updates
        .iter()
        .map(|u| u["note"].as_str().unwrap())
        .collect();
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[1], "Letter sent.");
    let after = app
        .get(&format!("/v1/actions/{id15}"), &admin)
        .await
        .expect_json(200);
    assert_eq!(after["status"], "complete");
    assert_eq!(after["completed_on"], "2019-12-18");
    let _ = log;

    // Nottinghamshire: no earlier log, so its actions are numbered from 1;
    // the ones the minutes mark "(done)" are complete.
    let notts = seed::load(&app, NOTTINGHAMSHIRE).await;
    seed::load_action_log(&app, NOTTINGHAMSHIRE, &notts).await;
    let list = app
        .get_all(
            &format!("/v1/partnerships/{}/actions", notts.partnership_id),
            &admin,
        )
        .await;
    assert_eq!(numbers(&list), (1..=16).collect::<Vec<_>>());
    let done: Vec<i64> = list
        .iter()
        .filter(|a| a["status"] == "complete")
        .map(|a| a["number"].as_i64().unwrap())
        .collect();
    assert_eq!(done, [2, 3, 4, 15]);
    let three_owners = list
        .iter()
        .find(|a| a["owners"].as_array().unwrap().len() == 3)
        .unwrap();
    assert_eq!(three_owners["reference"], "Action No 7 (22.08.19)");
}

#[tokio::test]
async fn matters_arising_overdue_and_csv_against_a_fixed_clock() {
    let app = spawn_app_with(&[("CLOCK_FIXED_AT", CLOCK)]).await;
    let (seed, log) = herefordshire(&app).await;
    let admin = app.platform_admin_token();
    let pid = seed.partnership_id;

    // At the November meeting: 14, 15 and 19 outstanding, 3 completed since
    // the previous meeting, each with the update given there.
    let november = app
        .get(
            &format!("/v1/meetings/{}/matters-arising", seed.meeting_id),
            &admin,
        )
        .await
        .expect_json(200);
    assert_eq!(
        numbers(november["outstanding"].as_array().unwrap()),
        [14, 15, 19]
    );
    assert_eq!(numbers(november["completed"].as_array().unwrap()), [3]);
    assert_eq!(
        november["outstanding"][2]["updates"][0]["note"],
        "Will be discussed under item 2a. below."
    );

    // The next board (18 December): what is still open from November and
    // before; action 3 was reviewed in November and is not repeated.
    let december = schedule_board(&app, &seed, "2019-12-18T15:00:00Z", json!({})).await;
    assert_eq!(december["previous_meeting_id"], json!(seed.meeting_id));
    let arising_of_december = format!(
        "/v1/meetings/{}/matters-arising",
        december["id"].as_str().unwrap()
    );
    let next = app.get(&arising_of_december, &admin).await.expect_json(200);
    let mut open = vec![14, 15, 19];
    open.extend(20..=32);
    assert_eq!(numbers(next["outstanding"].as_array().unwrap()), open);
    assert!(next["completed"].as_array().unwrap().is_empty());
    // Unless something is reported on it there: then it is reviewed again.
    app.post_json(
        &format!(
            "/v1/actions/{}/updates",
            log.actions[&3]["id"].as_str().unwrap()
        ),
        &admin,
        &json!({"note": "The launch meeting is booked for 14 January 2020.",
                "reported_at_meeting_id": december["id"], "noted_on": "2019-12-18"}),
    )
    .await
    .expect_json(201);
    let again = app.get(&arising_of_december, &admin).await.expect_json(200);
    assert_eq!(numbers(again["completed"].as_array().unwrap()), [3]);
    assert_eq!(
        again["completed"][0]["updates"][0]["noted_on"],
        "2019-12-18"
    );

    // Overdue on 1 December: "29 November" and "end of November".
    let overdue = app
        .get_all(
            &format!("/v1/partnerships/{pid}/actions?overdue=true"),
            &admin,
        )
        .await;
    let late: Vec<i64> = numbers(&overdue);
    assert_eq!(late, [21, 27]);
    assert!(overdue.iter().all(|a| a["overdue"] == true));
    let on_time = app
        .get_all(
            &format!("/v1/partnerships/{pid}/actions?overdue=false"),
            &admin,
        )
        .await;
    assert_eq!(on_time.len() + overdue.len(), 17);
    // Due at a meeting that has started is overdue too.
    let fourteen = app
        .get(
            &format!("/v1/actions/{}", log.actions[&14]["id"].as_str().unwrap()),
            &admin,
        )
        .await
        .expect_json(200);
    let patched = app
        .patch_json(
            &format!("/v1/actions/{}", fourteen["id"].as_str().unwrap()),
            &admin,
            Some(&format!("\"{}\"", fourteen["version"])),
            &json!({"due_meeting_id": seed.meeting_id, "due_text": "November board"}),
        )
        .await
        .expect_json(200);
    assert_eq!(patched["overdue"], true);
    // Filters: owner by initials, by group; due before a date.
    let pg = app
        .get_all(
            &format!("/v1/partnerships/{pid}/actions?owner=pg&status=open"),
            &admin,
        )
        .await;
    assert!(pg.iter().all(|a| a["owners"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["initials"] == "PG")));
    assert!(numbers(&pg).contains(&14) && !numbers(&pg).contains(&15));
    let dp = app
        .get_all(
            &format!("/v1/partnerships/{pid}/actions?owner={}", seed.groups["dp"]),
            &admin,
        )
        .await;
    assert_eq!(numbers(&dp), [19, 26]);
    let before = app
        .get_all(
            &format!("/v1/partnerships/{pid}/actions?due_before=2019-11-30"),
            &admin,
        )
        .await;
    assert_eq!(numbers(&before), [27]);

    // The CSV a business unit keeps.
    let csv = app
        .get_accept(
            &format!("/v1/partnerships/{pid}/actions"),
            &admin,
            "text/csv",
        )
        .await;
    csv.expect_status(200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let mut reader = csv::Reader::from_reader(csv.body.as_slice());
    let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        headers,
        [
            "Action No",
            "Reference",
            "Date agreed",
            "Item",
            "Action",
            "Owner",
            "Due",
            "Due date",
            "Status",
            "Overdue",
            "Latest update",
            "Completed on"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 17);
    let row15 = rows.iter().find(|r| &r[0] == "15").unwrap();
    assert_eq!(&row15[1], "Action No 15 (23.10.19 ref 4.1)");
    assert_eq!(&row15[2], "2019-10-23");
    assert_eq!(&row15[3], "4.1");
    assert_eq!(&row15[5], "PG");
    assert_eq!(&row15[8], "In progress");
    assert!(row15[10].starts_with("2019-11-18: In progress; LM asked"));
    let row27 = rows.iter().find(|r| &r[0] == "27").unwrap();
    assert_eq!(&row27[5], "ST / EF / CB / PG");
    assert_eq!((&row27[6], &row27[7]), ("29 November", "2019-11-29"));
    assert_eq!(&row27[9], "Yes");
    let row3 = rows.iter().find(|r| &r[0] == "3").unwrap();
    assert_eq!((&row3[8], &row3[11]), ("Complete", "2019-11-18"));
    // A filter applies to the CSV too; anything but JSON or CSV is 406.
    let open_csv = app
        .get_accept(
            &format!("/v1/partnerships/{pid}/actions?status=complete"),
            &admin,
            "text/csv",
        )
        .await;
    assert_eq!(open_csv.text().lines().count(), 2);
    app.get_accept(
        &format!("/v1/partnerships/{pid}/actions"),
        &admin,
        "application/xml",
    )
    .await
    .expect_problem(406);
}

#[tokio::test]
async fn unknown_initials_are_named_and_nothing_is_stored() {
    let app = spawn_app().await;
    let seed = seed::load(&app, HEREFORDSHIRE).await;
    let admin = app.platform_admin_token();
    let pid = seed.partnership_id;
    let problem = app
        .post_json(
            &format!("/v1/partnerships/{pid}/actions"),
            &admin,
            &json!({"description": "Draft the letter.", "owners": ["CB", "ZZ", "EH", "QQ"]}),
        )
        .await
        .expect_problem(422);
    let fields: Vec<(&str, &str)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["message"].as_str().unwrap()))
        .collect();
    assert_eq!(fields.len(), 2, "{problem}");
    assert_eq!(fields[0].0, "owners[1]");
    assert!(fields[0].1.contains("ZZ"));
    assert_eq!(fields[1].0, "owners[3]");
    assert!(fields[1].1.contains("QQ"));
    // An id that is no owner of this partnership is a missing reference.
    let stranger = app.create_partnership("elsewhere").await;
    app.post_json(
        &format!("/v1/partnerships/{pid}/actions"),
        &admin,
        &json!({"description": "Draft the letter.", "owners": [stranger["id"]]}),
    )
    .await
    .expect_problem(404);
    assert!(app
        .get_all(&format!("/v1/partnerships/{pid}/actions"), &admin)
        .await
        .is_empty());
    // The refused requests gave their numbers back: the first action is 1.
    let first = app
        .post_json(
            &format!("/v1/partnerships/{pid}/actions"),
            &admin,
            &json!({"description": "Draft the letter.", "owners": ["cb", "EH"]}),
        )
        .await
        .expect_json(201);
    assert_eq!(first["number"], 1);
    assert_eq!(first["reference"], "Action No 1");
}

#[tokio::test]
async fn twenty_concurrent_creations_through_two_instances_number_1_to_20_once() {
    let first = spawn_app().await;
    let second = spawn_app_with(&[("DATABASE_URL", first.database_url.as_str())]).await;
    let partnership = first.create_partnership("concurrent").await;
    let pid = id_of(&partnership);
    let token = first.token(&[(pid, Role::Member)]);
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let app = if i % 2 == 0 {
                first.clone()
            } else {
                second.clone()
            };
            let token = token.clone();
            tokio::spawn(async move {
                app.post_json(
                    &format!("/v1/partnerships/{pid}/actions"),
                    &token,
                    &json!({"description": format!("Action made by request {i}.")}),
                )
                .await
                .expect_json(201)["number"]
                    .as_i64()
                    .unwrap()
            })
        })
        .collect();
    let mut got = Vec::new();
    for task in tasks {
        got.push(task.await.unwrap());
    }
    let unique: BTreeSet<i64> = got.iter().copied().collect();
    assert_eq!(got.len(), 20);
    assert_eq!(unique, (1..=20).collect::<BTreeSet<_>>(), "{got:?}");
    // An import follows the log's numbering: the next is after the highest.
    let admin = first.platform_admin_token();
    first
        .post_json(
            &format!("/v1/partnerships/{pid}/actions"),
            &admin,
            &json!({"number": 40, "description": "Imported."}),
        )
        .await
        .expect_json(201);
    first
        .post_json(
            &format!("/v1/partnerships/{pid}/actions"),
            &admin,
            &json!({"number": 40, "description": "Imported twice."}),
        )
        .await
        .expect_problem(409);
    let next = second
        .post_json(
            &format!("/v1/partnerships/{pid}/actions"),
            &token,
            &json!({"description": "After the import."}),
        )
        .await
        .expect_json(201);
    assert_eq!(next["number"], 41);
    // Only an admin imports with a number.
    second
        .post_json(
            &format!("/v1/partnerships/{pid}/actions"),
            &token,
            &json!({"number": 50, "description": "Not mine to number."}),
        )
        .await
        .expect_problem(403);
}

#[tokio::test]
async fn updates_are_listed_by_date_and_concurrent_updates_all_land() {
    let app = spawn_app().await;
    let partnership = app.create_partnership("updates").await;
    let pid = id_of(&partnership);
    let member = app.token(&[(pid, Role::Member)]);
    let action = app
        .post_json(
            &format!("/v1/partnerships/{pid}/actions"),
            &member,
            &json!({"description": "Draft the letter."}),
        )
        .await
        .expect_json(201);
    let updates = format!("/v1/actions/{}/updates", action["id"].as_str().unwrap());
    // Recorded out of order: the list is by date, and pages keep that order.
    for (day, note) in [
        ("2019-12-18", "Sent."),
        ("2019-10-23", "Agreed."),
        ("2019-11-18", "Drafted."),
    ] {
        app.post_json(&updates, &member, &json!({"noted_on": day, "note": note}))
            .await
            .expect_json(201);
    }
    let mut notes = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("{updates}?limit=1&cursor={c}"),
            None => format!("{updates}?limit=1"),
        };
        let page = app.get(&path, &member).await.expect_json(200);
        notes.push(page["items"][0]["note"].as_str().unwrap().to_owned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(notes, ["Agreed.", "Drafted.", "Sent."]);

    // Ten members' systems report at once, each moving the status: none is
    // refused for a change another made meanwhile.
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let (app, member, updates) = (app.clone(), member.clone(), updates.clone());
            tokio::spawn(async move {
                let status = if i % 2 == 0 { "in_progress" } else { "open" };
                app.post_json(
                    &updates,
                    &member,
                    &json!({"note": format!("Report {i}."), "status": status}),
                )
                .await
                .status
                .as_u16()
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), 201);
    }
    assert_eq!(app.get_all(&updates, &member).await.len(), 13);
}
