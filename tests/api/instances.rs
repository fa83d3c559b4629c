//! Two instances of the service on one database, as a deployment runs
//! them: concurrent conditional writes through both (exactly one wins per
//! version, no update lost), one Idempotency-Key sent to both at once (one
//! record), and minutes approved through one while the other edits their
//! items (nothing slips into approved minutes). Numbered records created
//! through both are in `actions.rs`, the change feed and deliveries in
//! `integrations.rs`, the token lockout in `token_lockout.rs`.

use serde_json::{json, Value};

use crate::helpers::{id_of, spawn_app, Answer, TestApp};
use crate::seed::{self, etag, schedule_board};

async fn two_instances() -> (TestApp, TestApp) {
    let one = spawn_app().await;
    let two = one.another_instance(&[]).await;
    (one, two)
}

#[tokio::test]
async fn concurrent_if_match_patches_through_two_instances_one_wins_per_version_none_lost() {
    let (one, two) = two_instances().await;
    let admin = one.platform_admin_token();
    let partnership = one.create_partnership("herefordshire").await;
    let path = format!("/v1/partnerships/{}", id_of(&partnership));
    let mut winners = Vec::new();
    for round in 0..12 {
        let current = one.get(&path, &admin).await.expect_json(200);
        let tag = etag(&current);
        // Four writers on the same version, two through each instance.
        let writers = (0..4).map(|w| {
            let app = if w % 2 == 0 { one.clone() } else { two.clone() };
            let (path, admin, tag) = (path.clone(), admin.clone(), tag.clone());
            let name = format!("Herefordshire Safeguarding Partnership r{round} w{w}");
            tokio::spawn(async move {
                let answer = app
                    .patch_json(&path, &admin, Some(&tag), &json!({"name": name}))
                    .await;
                (answer.status.as_u16(), name)
            })
        });
        let mut answers = Vec::new();
        for writer in writers {
            answers.push(writer.await.unwrap());
        }
        let won: Vec<&(u16, String)> = answers.iter().filter(|(s, _)| *s == 200).collect();
        let lost = answers.iter().filter(|(s, _)| *s == 412).count();
        assert_eq!((won.len(), lost), (1, 3), "round {round}: {answers:?}");
        winners.push(won[0].1.clone());
        // What the winner wrote is what both instances read.
        for app in [&one, &two] {
            let now = app.get(&path, &admin).await.expect_json(200);
            assert_eq!(now["name"], won[0].1);
            assert_eq!(now["version"], current["version"].as_i64().unwrap() + 1);
        }
    }
    // Every win is in the change log, once, in order.
    let events = one
        .get_all(
            &format!(
                "/v1/partnerships/{}/audit-events?resource_id={}",
                id_of(&partnership),
                id_of(&partnership)
            ),
            &admin,
        )
        .await;
    let names: Vec<&str> = events
        .iter()
        .filter(|e| e["action"] == "update")
        .filter_map(|e| e["after_state"]["name"].as_str())
        .collect();
    assert_eq!(names.len(), 12, "{events:?}");
    let mut logged: Vec<&str> = names.clone();
    logged.sort();
    let mut won: Vec<&str> = winners.iter().map(String::as_str).collect();
    won.sort();
    assert_eq!(logged, won);
}

#[tokio::test]
async fn one_idempotency_key_sent_to_two_instances_at_once_makes_one_record() {
    let (one, two) = two_instances().await;
    let admin = one.platform_admin_token();
    let partnership = one.create_partnership("herefordshire").await;
    let people = format!("/v1/partnerships/{}/people", id_of(&partnership));
    for round in 0..8 {
        let key = format!("instances-{round}-{}", uuid::Uuid::now_v7());
        let body =
            json!({"full_name": format!("Jordan Price {round}"), "initials": format!("JP{round}")});
        let sends = [one.clone(), two.clone(), one.clone(), two.clone()].map(|app| {
            let (people, admin, key, body) =
                (people.clone(), admin.clone(), key.clone(), body.clone());
            tokio::spawn(
                async move { app.post_json_idempotent(&people, &admin, &key, &body).await },
            )
        });
        let mut answers: Vec<Answer> = Vec::new();
        for send in sends {
            answers.push(send.await.unwrap());
        }
        // Each is the first answer, its replay, or "in progress" (409) while
        // the first is under way; never a second record.
        let created: Vec<Value> = answers
            .iter()
            .filter(|a| a.status.as_u16() == 201)
            .map(|a| a.json())
            .collect();
        assert!(
            !created.is_empty(),
            "round {round}: {:?}",
            statuses(&answers)
        );
        assert!(
            answers
                .iter()
                .all(|a| matches!(a.status.as_u16(), 201 | 409)),
            "round {round}: {:?}",
            statuses(&answers)
        );
        assert!(created.iter().all(|c| c["id"] == created[0]["id"]));
    }
    let listed = one.get_all(&people, &admin).await;
    assert_eq!(listed.len(), 8, "one person per key");
}

fn statuses(answers: &[Answer]) -> Vec<u16> {
    answers.iter().map(|a| a.status.as_u16()).collect()
}

#[tokio::test]
async fn minutes_approved_through_one_instance_while_the_other_edits_their_items_hold_nothing_late()
{
    let (one, two) = two_instances().await;
    let seed = seed::load(&one, seed::HEREFORDSHIRE).await;
    let admin = one.platform_admin_token();
    let december = schedule_board(&one, &seed, "2019-12-18T15:00:00Z", json!({})).await;
    let minutes = format!("/v1/meetings/{}/minutes", seed.meeting_id);
    let item_id = seed.items.values().next().unwrap().to_string();
    let item = format!("/v1/meetings/{}/items/{item_id}", seed.meeting_id);
    let (mut edits_in, mut edits_refused) = (0, 0);
    for round in 0..10 {
        let current = two.get(&item, &admin).await.expect_json(200);
        let title = format!("Edited in round {round}");
        let approve = {
            let (app, path, admin) = (one.clone(), format!("{minutes}/approve"), admin.clone());
            let at = json!({"approved_at_meeting_id": december["id"]});
            tokio::spawn(async move { app.post_json(&path, &admin, &at).await })
        };
        let edit = {
            let (app, item, admin, tag) =
                (two.clone(), item.clone(), admin.clone(), etag(&current));
            let title = title.clone();
            tokio::spawn(async move {
                app.patch_json(&item, &admin, Some(&tag), &json!({"title": title}))
                    .await
            })
        };
        approve.await.unwrap().expect_json(200);
        let edit = edit.await.unwrap();
        match edit.status.as_u16() {
            200 => edits_in += 1,
            409 => edits_refused += 1,
            other => panic!("round {round}: the edit answered {other}: {}", edit.text()),
        }
        // The approved minutes hold the item as it stands: an edit that
        // answered 200 came before the approval, one after it was refused.
        let approved = one.get(&minutes, &admin).await.expect_json(200);
        assert!(approved["snapshot_taken_at"].is_string(), "frozen");
        let frozen = approved["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == item_id.as_str())
            .unwrap()["title"]
            .clone();
        let now = two.get(&item, &admin).await.expect_json(200)["title"].clone();
        assert_eq!(frozen, now, "round {round}");
        assert_eq!(
            frozen == title.as_str(),
            edit.status.as_u16() == 200,
            "round {round}: the edit is in the minutes exactly when it answered 200"
        );
        one.post_json(
            &format!("{minutes}/reopen"),
            &admin,
            &json!({"reason": format!("round {round}")}),
        )
        .await
        .expect_json(200);
    }
    eprintln!("{edits_in} edits came first, {edits_refused} were refused");
}
