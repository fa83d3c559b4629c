//! Organisations, members, people and groups over HTTP, with the people of the
//! Herefordshire Safeguarding Partners Board of 18 November 2019 as data.

use safeguarding_api::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{id_of, spawn_app, TestApp};

/// Registers an organisation as the platform administrator.
async fn organisation(app: &TestApp, name: &str, kind: &str) -> Value {
    app.post_json(
        "/v1/organisations",
        &app.platform_admin_token(),
        &json!({"name": name, "kind": kind}),
    )
    .await
    .expect_json(201)
}

#[tokio::test]
async fn the_herefordshire_board_can_be_recorded() {
    let app = spawn_app().await;
    let p = id_of(&app.create_partnership("herefordshire").await);
    let admin = app.token(&[(p, Role::Admin)]);

    let council = organisation(&app, "Herefordshire Council", "local_authority").await;
    let police = organisation(&app, "West Mercia Police", "police").await;
    let ccg = organisation(
        &app,
        "NHS Herefordshire Clinical Commissioning Group",
        "health_commissioner",
    )
    .await;
    let trust = organisation(&app, "Wye Valley NHS Trust", "nhs_trust").await;
    for (org, role) in [
        (&council, "statutory_partner"),
        (&police, "statutory_partner"),
        (&ccg, "statutory_partner"),
        (&trust, "relevant_agency"),
    ] {
        let member = app
            .post_json(
                &format!("/v1/partnerships/{p}/members"),
                &admin,
                &json!({"organisation_id": org["id"], "role": role}),
            )
            .await
            .expect_json(201);
        assert_eq!(member["role"], role);
        assert_eq!(member["partnership_id"], p.to_string());
    }
    let statutory = app
        .get_all(
            &format!("/v1/partnerships/{p}/members?role=statutory_partner"),
            &admin,
        )
        .await;
    assert_eq!(statutory.len(), 3);

    let people = [
        ("Liz Murphy", "LM", "Independent Chair", None),
        (
            "Sue Thomas",
            "ST",
            "Superintendent, Local Policing Commander for Herefordshire",
            Some(&police),
        ),
        (
            "Chris Baird",
            "CB",
            "Director for Children & Families",
            Some(&council),
        ),
        (
            "Ellen Footman",
            "EF",
            "Head of Safeguarding, Designated Nurse",
            Some(&ccg),
        ),
        (
            "Ed Hughes",
            "eh",
            "Business Support Co-ordinator, Safeguarding Business Unit",
            None,
        ),
        (
            "Philippa Granthier",
            "PG",
            "Interim Business Manager, Safeguarding Business Unit",
            None,
        ),
    ];
    for (name, initials, title, org) in people {
        let body = json!({
            "full_name": name,
            "initials": initials,
            "job_title": title,
            "organisation_id": org.map(|o| o["id"].clone()),
        });
        let answer = app
            .post_json(&format!("/v1/partnerships/{p}/people"), &admin, &body)
            .await;
        let person = answer.expect_json(201);
        assert_eq!(person["initials"], initials.to_uppercase());
        assert_eq!(person["version"], 1);
        assert_eq!(answer.header("etag"), Some("\"1\""));
        let location = answer.header("location").expect("Location");
        app.get(location, &admin).await.expect_json(200);
    }
    let everyone = app
        .get_all(&format!("/v1/partnerships/{p}/people"), &admin)
        .await;
    assert_eq!(everyone.len(), 6);
    let by_initials = app
        .get(&format!("/v1/partnerships/{p}/people?initials=pg"), &admin)
        .await
        .expect_json(200);
    assert_eq!(by_initials["items"][0]["full_name"], "Philippa Granthier");
    let police_people = app
        .get(
            &format!(
                "/v1/partnerships/{p}/people?organisation_id={}",
                police["id"].as_str().unwrap()
            ),
            &admin,
        )
        .await
        .expect_json(200);
    assert_eq!(police_people["items"].as_array().unwrap().len(), 1);

    // Groups: the board, and the Q&E group that reports to it.
    let spb = app
        .post_json(
            &format!("/v1/partnerships/{p}/groups"),
            &admin,
            &json!({"name": "Safeguarding Partners Board", "short_name": "SPB"}),
        )
        .await
        .expect_json(201);
    let qe = app
        .post_json(
            &format!("/v1/partnerships/{p}/groups"),
            &admin,
            &json!({"name": "Quality and Effectiveness Group", "short_name": "Q&E", "parent_group_id": spb["id"]}),
        )
        .await
        .expect_json(201);
    let children = app
        .get(
            &format!(
                "/v1/partnerships/{p}/groups?parent_group_id={}",
                spb["id"].as_str().unwrap()
            ),
            &admin,
        )
        .await
        .expect_json(200);
    assert_eq!(children["items"][0]["id"], qe["id"]);

    // A viewer reads the register but changes nothing.
    let viewer = app.token(&[(p, Role::Viewer)]);
    assert_eq!(
        app.get_all(&format!("/v1/partnerships/{p}/groups"), &viewer)
            .await
            .len(),
        2
    );
    app.post_json(
        &format!("/v1/partnerships/{p}/groups"),
        &viewer,
        &json!({"name": "X", "short_name": "X"}),
    )
    .await
    .expect_problem(403);
}

#[tokio::test]
async fn initials_are_unique_per_partnership_only() {
    let app = spawn_app().await;
    let a = id_of(&app.create_partnership("herefordshire").await);
    let b = id_of(&app.create_partnership("nottinghamshire").await);
    let admin = app.platform_admin_token();
    let pg = json!({"full_name": "Philippa Granthier", "initials": "PG"});
    app.post_json(&format!("/v1/partnerships/{a}/people"), &admin, &pg)
        .await
        .expect_json(201);
    let clash = app
        .post_json(
            &format!("/v1/partnerships/{a}/people"),
            &admin,
            &json!({"full_name": "Paul Green", "initials": "pg"}),
        )
        .await;
    assert!(clash.expect_problem(409)["detail"]
        .as_str()
        .unwrap()
        .contains("PG"));
    app.post_json(&format!("/v1/partnerships/{b}/people"), &admin, &pg)
        .await
        .expect_json(201);

    // Renaming into a taken set of initials is refused too, and changes nothing.
    let other = app
        .post_json(
            &format!("/v1/partnerships/{a}/people"),
            &admin,
            &json!({"full_name": "Ed Hughes", "initials": "EH"}),
        )
        .await
        .expect_json(201);
    let path = format!(
        "/v1/partnerships/{a}/people/{}",
        other["id"].as_str().unwrap()
    );
    app.patch_json(&path, &admin, Some("\"1\""), &json!({"initials": "PG"}))
        .await
        .expect_problem(409);
    assert_eq!(
        app.get(&path, &admin).await.expect_json(200)["initials"],
        "EH"
    );
}

#[tokio::test]
async fn people_are_validated_field_by_field() {
    let app = spawn_app().await;
    let p = id_of(&app.create_partnership("herefordshire").await);
    let admin = app.platform_admin_token();
    let path = format!("/v1/partnerships/{p}/people");

    let problem = app
        .post_json(
            &path,
            &admin,
            &json!({"full_name": " ", "initials": "CB/EH"}),
        )
        .await
        .expect_problem(422);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["full_name", "initials"]);

    let problem = app
        .post_json(&path, &admin, &json!({"full_name": "A", "initials": "AB", "organisation_id": "01a2f000-0000-7000-8000-000000000000"}))
        .await
        // A reference to a record that does not exist is 404, naming the field.
        .expect_problem(404);
    assert_eq!(problem["errors"][0]["field"], "organisation_id");
    let problem = app
        .post_json(
            &path,
            &admin,
            &json!({"full_name": "A", "initials": "AB", "organisation_id": "nope"}),
        )
        .await
        // A registered name nobody has is as unknown as an id.
        .expect_problem(404);
    assert_eq!(problem["errors"][0]["field"], "organisation_id");
    let problem = app
        .post_json(
            &path,
            &admin,
            &json!({"full_name": "A", "initials": "AB", "organisation_id": 42}),
        )
        .await
        .expect_problem(422);
    assert_eq!(problem["errors"][0]["field"], "organisation_id");
    assert!(
        app.get_all(&path, &admin).await.is_empty(),
        "no half-written record"
    );

    // PATCH: null clears a job title, a missing field keeps it.
    let person = app
        .post_json(
            &path,
            &admin,
            &json!({"full_name": "Ed Hughes", "initials": "EH", "job_title": "Minutes"}),
        )
        .await
        .expect_json(201);
    let one = format!("{path}/{}", person["id"].as_str().unwrap());
    let kept = app
        .patch_json(
            &one,
            &admin,
            Some("\"1\""),
            &json!({"full_name": "Edward Hughes"}),
        )
        .await
        .expect_json(200);
    assert_eq!(kept["job_title"], "Minutes");
    let cleared = app
        .patch_json(&one, &admin, Some("\"2\""), &json!({"job_title": null}))
        .await;
    assert_eq!(cleared.header("etag"), Some("\"3\""));
    assert_eq!(cleared.expect_json(200)["job_title"], Value::Null);
}

#[tokio::test]
async fn organisations_are_a_shared_registry() {
    let app = spawn_app().await;
    let a = id_of(&app.create_partnership("herefordshire").await);
    let b = id_of(&app.create_partnership("worcestershire").await);
    let admin_a = app.token(&[(a, Role::Admin)]);
    let member_a = app.token(&[(a, Role::Member)]);

    // A partnership admin may register an agency; a member may not.
    let police = app
        .post_json(
            "/v1/organisations",
            &admin_a,
            &json!({"name": "West Mercia Police", "kind": "police"}),
        )
        .await
        .expect_json(201);
    app.post_json(
        "/v1/organisations",
        &member_a,
        &json!({"name": "X", "kind": "other"}),
    )
    .await
    .expect_problem(403);
    let problem = app
        .post_json(
            "/v1/organisations",
            &admin_a,
            &json!({"name": "X", "kind": "council"}),
        )
        .await
        .expect_problem(422);
    assert_eq!(problem["errors"][0]["field"], "kind");

    // One police force serves two partnerships; anyone authenticated reads the registry.
    let viewer_b = app.token(&[(b, Role::Viewer)]);
    let listed = app
        .get("/v1/organisations?kind=police", &viewer_b)
        .await
        .expect_json(200);
    assert_eq!(listed["items"][0]["name"], "West Mercia Police");
    for p in [a, b] {
        app.post_json(
            &format!("/v1/partnerships/{p}/members"),
            &app.platform_admin_token(),
            &json!({"organisation_id": police["id"], "role": "statutory_partner"}),
        )
        .await
        .expect_json(201);
    }
    // Shared by two partnerships: only a platform administrator renames it.
    let path = format!("/v1/organisations/{}", police["id"].as_str().unwrap());
    app.patch_json(
        &path,
        &admin_a,
        Some("\"1\""),
        &json!({"name": "West Mercia Police Force"}),
    )
    .await
    .expect_problem(403);
    let renamed = app
        .patch_json(
            &path,
            &app.platform_admin_token(),
            Some("\"1\""),
            &json!({"name": "West Mercia Police Force"}),
        )
        .await
        .expect_json(200);
    assert_eq!(renamed["version"], 2);
    app.patch_json(&path, &viewer_b, Some("\"2\""), &json!({"name": "Y"}))
        .await
        .expect_problem(403);
}

#[tokio::test]
async fn memberships_are_unique_and_removable_when_recorded_in_error() {
    let app = spawn_app().await;
    let p = id_of(&app.create_partnership("herefordshire").await);
    let admin = app.token(&[(p, Role::Admin)]);
    let org = organisation(&app, "Herefordshire Council", "local_authority").await;
    let body = json!({"organisation_id": org["id"], "role": "relevant_agency"});
    let path = format!("/v1/partnerships/{p}/members");
    let member = app.post_json(&path, &admin, &body).await.expect_json(201);
    app.post_json(&path, &admin, &body)
        .await
        .expect_problem(409);

    let one = format!("{path}/{}", member["id"].as_str().unwrap());
    let changed = app
        .patch_json(
            &one,
            &admin,
            Some("\"1\""),
            &json!({"role": "statutory_partner"}),
        )
        .await
        .expect_json(200);
    assert_eq!(changed["role"], "statutory_partner");
    app.delete(&one, &admin, None).await.expect_problem(428);
    app.delete(&one, &admin, Some("\"1\""))
        .await
        .expect_problem(412);
    app.delete(&one, &app.token(&[(p, Role::Member)]), Some("\"2\""))
        .await
        .expect_problem(403);
    app.delete(&one, &admin, Some("\"2\""))
        .await
        .expect_status(204);
    app.get(&one, &admin).await.expect_problem(404);

    let audit = app
        .get_all(
            &format!("/v1/partnerships/{p}/audit-events?resource_type=member"),
            &admin,
        )
        .await;
    let actions: Vec<&str> = audit
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "update", "delete"]);
    assert_eq!(audit[2]["before_state"]["role"], "statutory_partner");
    assert_eq!(audit[2]["after_state"], Value::Null);
}

#[tokio::test]
async fn groups_cannot_report_in_a_circle_or_across_partnerships() {
    let app = spawn_app().await;
    let p = id_of(&app.create_partnership("nottinghamshire").await);
    let other = id_of(&app.create_partnership("herefordshire").await);
    let admin = app.platform_admin_token();
    let path = format!("/v1/partnerships/{p}/groups");
    let slg = app
        .post_json(
            &path,
            &admin,
            &json!({"name": "Strategic Leadership Group", "short_name": "SLG"}),
        )
        .await
        .expect_json(201);
    let saig = app
        .post_json(&path, &admin, &json!({"name": "Safeguarding Assurance and Improvement Group", "short_name": "SAIG", "parent_group_id": slg["id"]}))
        .await
        .expect_json(201);
    app.post_json(
        &path,
        &admin,
        &json!({"name": "Duplicate", "short_name": "SLG"}),
    )
    .await
    .expect_problem(409);

    let slg_path = format!("{path}/{}", slg["id"].as_str().unwrap());
    let problem = app
        .patch_json(
            &slg_path,
            &admin,
            Some("\"1\""),
            &json!({"parent_group_id": saig["id"]}),
        )
        .await
        // The stored hierarchy forbids it: a conflict, not a malformed field.
        .expect_problem(409);
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .starts_with("parent_group_id:"));

    let foreign = app
        .post_json(
            &format!("/v1/partnerships/{other}/groups"),
            &admin,
            &json!({"name": "Board", "short_name": "SPB"}),
        )
        .await
        .expect_json(201);
    let problem = app
        .post_json(
            &path,
            &admin,
            &json!({"name": "X", "short_name": "X", "parent_group_id": foreign["id"]}),
        )
        .await
        .expect_problem(404);
    assert_eq!(problem["errors"][0]["field"], "parent_group_id");

    // Making SAIG top-level with null works.
    let saig_path = format!("{path}/{}", saig["id"].as_str().unwrap());
    let top = app
        .patch_json(
            &saig_path,
            &admin,
            Some("\"1\""),
            &json!({"parent_group_id": null}),
        )
        .await
        .expect_json(200);
    assert_eq!(top["parent_group_id"], Value::Null);
}

#[tokio::test]
async fn another_partnerships_records_do_not_exist_for_you() {
    let app = spawn_app().await;
    let a = id_of(&app.create_partnership("herefordshire").await);
    let b = id_of(&app.create_partnership("nottinghamshire").await);
    let admin = app.platform_admin_token();
    let org = organisation(&app, "Nottinghamshire County Council", "local_authority").await;
    let person = app
        .post_json(
            &format!("/v1/partnerships/{b}/people"),
            &admin,
            &json!({"full_name": "A Person", "initials": "AP"}),
        )
        .await
        .expect_json(201);
    let group = app
        .post_json(
            &format!("/v1/partnerships/{b}/groups"),
            &admin,
            &json!({"name": "SLG", "short_name": "SLG"}),
        )
        .await
        .expect_json(201);
    let member = app
        .post_json(
            &format!("/v1/partnerships/{b}/members"),
            &admin,
            &json!({"organisation_id": org["id"], "role": "statutory_partner"}),
        )
        .await
        .expect_json(201);

    let admin_a = app.token(&[(a, Role::Admin)]);
    let records = [
        format!("/v1/partnerships/{b}"),
        format!(
            "/v1/partnerships/{b}/people/{}",
            person["id"].as_str().unwrap()
        ),
        format!(
            "/v1/partnerships/{b}/groups/{}",
            group["id"].as_str().unwrap()
        ),
        format!(
            "/v1/partnerships/{b}/members/{}",
            member["id"].as_str().unwrap()
        ),
    ];
    for path in &records {
        app.get(path, &admin_a).await.expect_problem(404);
        app.patch_json(path, &admin_a, Some("\"1\""), &json!({}))
            .await
            .expect_problem(404);
    }
    for list in ["people", "groups", "members", "audit-events"] {
        app.get(&format!("/v1/partnerships/{b}/{list}"), &admin_a)
            .await
            .expect_problem(404);
    }
    app.post_json(
        &format!("/v1/partnerships/{b}/people"),
        &admin_a,
        &json!({"full_name": "X", "initials": "X"}),
    )
    .await
    .expect_problem(404);

    // A's own people path cannot reach B's person either.
    app.get(
        &format!(
            "/v1/partnerships/{a}/people/{}",
            person["id"].as_str().unwrap()
        ),
        &admin_a,
    )
    .await
    .expect_problem(404);
    // And A's list of partnerships does not include B.
    let listed = app.get_all("/v1/partnerships", &admin_a).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], a.to_string());
    // A submitter reads no people; a viewer changes none.
    app.get(
        &format!("/v1/partnerships/{a}/people"),
        &app.token(&[(a, Role::Submitter)]),
    )
    .await
    .expect_problem(403);
    app.post_json(
        &format!("/v1/partnerships/{a}/members"),
        &app.token(&[(a, Role::Viewer)]),
        &json!({"organisation_id": org["id"], "role": "relevant_agency"}),
    )
    .await
    .expect_problem(403);
}

#[tokio::test]
async fn lists_of_a_partnership_that_does_not_exist_are_404() {
    let app = spawn_app().await;
    let platform = app.platform_admin_token();
    let missing = "01a20000-0000-7000-8000-000000000000";
    for list in ["people", "groups", "members", "clients", "audit-events"] {
        app.get(&format!("/v1/partnerships/{missing}/{list}"), &platform)
            .await
            .expect_problem(404);
    }
}
