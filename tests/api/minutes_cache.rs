//! Draft minutes are kept by each instance once assembled and given again
//! while nothing they are made of has changed (src/minutes/cache.rs): every
//! kind of change shows at the next read, through the instance that made
//! it or another: an item, a person, the platform's registry (an
//! organisation's name), a new action, a decision deleted; and the copy
//! kept is never the redacted one, nor redacted for the wrong reader.

use safeguarding_api::auth::Role;
use serde_json::{json, Value};

use crate::helpers::spawn_app;
use crate::seed::{self, etag};

fn item_titled<'a>(minutes: &'a Value, id: &str) -> &'a Value {
    minutes["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("item {id} in the minutes"))
}

#[tokio::test]
async fn every_change_shows_at_the_next_read_of_draft_minutes_through_either_instance() {
    let one = spawn_app().await;
    let two = one.another_instance(&[]).await;
    let seed = seed::load(&one, seed::HEREFORDSHIRE).await;
    let admin = one.platform_admin_token();
    let minutes = format!("/v1/meetings/{}/minutes", seed.meeting_id);
    let read = |app: &crate::helpers::TestApp| {
        let (app, minutes, admin) = (app.clone(), minutes.clone(), admin.clone());
        async move { app.get(&minutes, &admin).await.expect_json(200) }
    };
    let first = read(&one).await;
    assert_eq!(read(&one).await, first, "read again, unchanged");
    assert_eq!(
        read(&two).await,
        first,
        "the same through the other instance"
    );

    // An item's title, changed through the other instance.
    let (title, item_id) = seed.items.iter().next().unwrap();
    let item_path = format!("/v1/meetings/{}/items/{item_id}", seed.meeting_id);
    let item = two.get(&item_path, &admin).await.expect_json(200);
    two.patch_json(
        &item_path,
        &admin,
        Some(&etag(&item)),
        &json!({"title": format!("{title} (revised)")}),
    )
    .await
    .expect_json(200);
    let after = read(&one).await;
    assert_eq!(
        item_titled(&after, &item_id.to_string())["title"],
        format!("{title} (revised)")
    );

    // A person's name, and their organisation's (the platform's registry).
    let line = after["present"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["person_id"].is_string() && l["organisation"].is_string())
        .expect("a member present from an organisation")
        .clone();
    let person_path = format!(
        "/v1/partnerships/{}/people/{}",
        seed.partnership_id,
        line["person_id"].as_str().unwrap()
    );
    let person = one.get(&person_path, &admin).await.expect_json(200);
    one.patch_json(
        &person_path,
        &admin,
        Some(&etag(&person)),
        &json!({"full_name": "Renamed Person"}),
    )
    .await
    .expect_json(200);
    let after = read(&one).await;
    let renamed = after["present"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["person_id"] == line["person_id"])
        .unwrap();
    assert_eq!(renamed["name"], "Renamed Person");
    // Then only the registry changes: the platform's log alone tells it.
    let organisation_path = format!(
        "/v1/organisations/{}",
        person["organisation_id"].as_str().unwrap()
    );
    let organisation = one.get(&organisation_path, &admin).await.expect_json(200);
    two.patch_json(
        &organisation_path,
        &admin,
        Some(&etag(&organisation)),
        &json!({"name": "Renamed Organisation"}),
    )
    .await
    .expect_json(200);
    let after = read(&one).await;
    let renamed = after["present"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["person_id"] == line["person_id"])
        .unwrap();
    assert_eq!(renamed["organisation"], "Renamed Organisation");

    // A new action under the item, then a decision deleted.
    one.post_json(
        &format!("/v1/partnerships/{}/actions", seed.partnership_id),
        &admin,
        &json!({
            "meeting_id": seed.meeting_id,
            "item_id": item_id,
            "description": "Circulate the revised framework",
            "owners": ["ALL"],
        }),
    )
    .await
    .expect_json(201);
    let after = read(&two).await;
    let actions = item_titled(&after, &item_id.to_string())["actions"]
        .as_array()
        .unwrap()
        .clone();
    assert!(actions
        .iter()
        .any(|a| a["description"] == "Circulate the revised framework"));
    let decided = after["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| !i["decisions"].as_array().unwrap().is_empty())
        .expect("an item with a decision")
        .clone();
    let decision = &decided["decisions"][0];
    two.delete(
        &format!(
            "/v1/meetings/{}/items/{}/decisions/{}",
            seed.meeting_id,
            decided["id"].as_str().unwrap(),
            decision["id"].as_str().unwrap()
        ),
        &admin,
        Some(&etag(decision)),
    )
    .await
    .expect_status(204);
    let after = read(&one).await;
    let left = &item_titled(&after, decided["id"].as_str().unwrap())["decisions"];
    assert!(!left
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["id"] == decision["id"]));
}

#[tokio::test]
async fn the_kept_draft_is_redacted_for_each_reader_who_needs_it_and_only_them() {
    let app = spawn_app().await;
    let seed = seed::load(&app, seed::HEREFORDSHIRE).await;
    let admin = app.platform_admin_token();
    let viewer = app.token(&[(seed.partnership_id, Role::Viewer)]);
    let (title, item_id) = seed.items.iter().next().unwrap();
    let item_path = format!("/v1/meetings/{}/items/{item_id}", seed.meeting_id);
    let item = app.get(&item_path, &admin).await.expect_json(200);
    app.patch_json(
        &item_path,
        &admin,
        Some(&etag(&item)),
        &json!({"confidential": true}),
    )
    .await
    .expect_json(200);
    let minutes = format!("/v1/meetings/{}/minutes", seed.meeting_id);
    for _ in 0..2 {
        let full = app.get(&minutes, &admin).await.expect_json(200);
        assert_eq!(full["redacted"], false);
        assert_eq!(item_titled(&full, &item_id.to_string())["title"], *title);
        let redacted = app.get(&minutes, &viewer).await.expect_json(200);
        assert_eq!(redacted["redacted"], true);
        assert_ne!(
            item_titled(&redacted, &item_id.to_string())["title"],
            *title,
            "the viewer never sees the confidential item's title"
        );
    }
}
