//! API clients and the client-credentials token endpoint.

use safeguarding_api::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{command_line, id_of, spawn_app, Answer, TestApp};

async fn token_request(
    app: &TestApp,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> Answer {
    let mut builder = app.client.post(app.url("/v1/oauth/token")).form(form);
    if let Some((id, secret)) = basic {
        builder = builder.basic_auth(id, Some(secret));
    }
    app.send(builder).await
}

async fn token_for(app: &TestApp, id: &str, secret: &str) -> Answer {
    token_request(
        app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ],
        None,
    )
    .await
}

fn credentials(issued: &Value) -> (String, String) {
    (
        issued["client_id"].as_str().unwrap().to_owned(),
        issued["client_secret"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_client_trades_its_secret_for_a_token_of_its_partnership() {
    let app = spawn_app().await;
    let a = id_of(&app.create_partnership("herefordshire").await);
    let b = id_of(&app.create_partnership("nottinghamshire").await);
    let admin = app.token(&[(a, Role::Admin)]);

    let created = app
        .post_json(
            &format!("/v1/partnerships/{a}/clients"),
            &admin,
            &json!({"name": "Council case system", "role": "member"}),
        )
        .await;
    assert_eq!(created.header("cache-control"), Some("no-store"));
    let issued = created.expect_json(201);
    let (id, secret) = credentials(&issued);
    assert_eq!(issued["role"], "member");
    assert!(issued.get("secret_hash").is_none());

    // Body credentials and HTTP Basic both work.
    let answer = token_for(&app, &id, &secret).await;
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let token = answer.expect_json(200);
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["expires_in"], 900);
    assert_eq!(token["scope"], "member");
    token_request(
        &app,
        &[("grant_type", "client_credentials")],
        Some((&id, &secret)),
    )
    .await
    .expect_json(200);

    let bearer = token["access_token"].as_str().unwrap();
    app.get(&format!("/v1/partnerships/{a}/people"), bearer)
        .await
        .expect_json(200);
    app.get(&format!("/v1/partnerships/{b}"), bearer)
        .await
        .expect_problem(404);
    app.post_json(
        &format!("/v1/partnerships/{a}/clients"),
        bearer,
        &json!({"name": "x", "role": "admin"}),
    )
    .await
    .expect_problem(403);

    // The list never shows secrets.
    let listed = app
        .get_all(&format!("/v1/partnerships/{a}/clients"), &admin)
        .await;
    assert_eq!(listed.len(), 1);
    assert!(listed[0].get("client_secret").is_none() && listed[0].get("secret_hash").is_none());
    // Another partnership's admin learns nothing of it.
    let admin_b = app.token(&[(b, Role::Admin)]);
    app.get(&format!("/v1/partnerships/{a}/clients/{id}"), &admin_b)
        .await
        .expect_problem(404);
    app.get(&format!("/v1/partnerships/{a}/clients"), &admin_b)
        .await
        .expect_problem(404);
}

#[tokio::test]
async fn bad_token_requests_are_refused_in_the_oauth_shape() {
    let app = spawn_app().await;
    let a = id_of(&app.create_partnership("herefordshire").await);
    let issued = app
        .post_json(
            &format!("/v1/partnerships/{a}/clients"),
            &app.platform_admin_token(),
            &json!({"name": "Viewer", "role": "viewer"}),
        )
        .await
        .expect_json(201);
    let (id, secret) = credentials(&issued);

    let cases: [(Answer, u16, &str); 5] = [
        (
            token_for(&app, &id, "wrong secret").await,
            401,
            "invalid_client",
        ),
        (
            token_for(&app, "01a20000-0000-7000-8000-000000000000", &secret).await,
            401,
            "invalid_client",
        ),
        (
            token_for(&app, "not-an-id", &secret).await,
            401,
            "invalid_client",
        ),
        (
            token_request(
                &app,
                &[
                    ("grant_type", "password"),
                    ("client_id", &id),
                    ("client_secret", &secret),
                ],
                None,
            )
            .await,
            400,
            "unsupported_grant_type",
        ),
        (
            token_request(&app, &[("client_id", &id)], None).await,
            400,
            "invalid_request",
        ),
    ];
    for (answer, status, error) in cases {
        let problem = answer.expect_problem(status);
        assert_eq!(problem["error"], error, "{problem}");
        assert!(problem["error_description"].is_string());
        if status == 401 {
            assert!(answer.header("www-authenticate").is_some());
        }
    }
}

#[tokio::test]
async fn rotation_and_revocation_stop_old_credentials() {
    let app = spawn_app().await;
    let a = id_of(&app.create_partnership("herefordshire").await);
    let admin = app.token(&[(a, Role::Admin)]);
    let org = app
        .post_json(
            "/v1/organisations",
            &admin,
            &json!({"name": "West Mercia Police", "kind": "police"}),
        )
        .await
        .expect_json(201);
    // A submitter acts for one of the partnership's member agencies.
    app.post_json(
        &format!("/v1/partnerships/{a}/members"),
        &admin,
        &json!({"organisation_id": org["id"], "role": "statutory_partner"}),
    )
    .await
    .expect_json(201);
    let path = format!("/v1/partnerships/{a}/clients");
    let problem = app
        .post_json(
            &path,
            &admin,
            &json!({"name": "Warehouse", "role": "submitter"}),
        )
        .await
        .expect_problem(422);
    assert_eq!(problem["errors"][0]["field"], "organisation_id");
    let issued = app
        .post_json(&path, &admin, &json!({"name": "Police data warehouse", "role": "submitter", "organisation_id": org["id"]}))
        .await
        .expect_json(201);
    let (id, old_secret) = credentials(&issued);
    let token = token_for(&app, &id, &old_secret).await.expect_json(200);
    assert_eq!(token["scope"], "submitter");

    let rotated = app
        .post_json(&format!("{path}/{id}/secret"), &admin, &json!({}))
        .await
        .expect_json(200);
    let (_, new_secret) = credentials(&rotated);
    assert_ne!(new_secret, old_secret);
    token_for(&app, &id, &old_secret).await.expect_problem(401);
    token_for(&app, &id, &new_secret).await.expect_json(200);

    app.post_json(
        &format!("{path}/{id}/revoke"),
        &app.token(&[(a, Role::Member)]),
        &json!({}),
    )
    .await
    .expect_problem(403);
    let revoked = app
        .post_json(&format!("{path}/{id}/revoke"), &admin, &json!({}))
        .await
        .expect_json(200);
    assert!(revoked["revoked_at"].is_string());
    token_for(&app, &id, &new_secret).await.expect_problem(401);

    let audit = app
        .get_all(
            &format!("/v1/partnerships/{a}/audit-events?resource_type=api_client"),
            &admin,
        )
        .await;
    assert_eq!(audit.len(), 3);
    assert!(audit
        .iter()
        .all(|e| !e.to_string().contains(&new_secret) && !e.to_string().contains("argon2")));
}

#[tokio::test]
async fn the_command_line_bootstraps_a_platform_administrator() {
    let app = spawn_app().await;
    let output = command_line(
        &[
            "clients",
            "create",
            "--name",
            "bootstrap",
            "--platform-admin",
        ],
        &[("DATABASE_URL", &app.database_url)],
    );
    let issued: Value = serde_json::from_str(&output).expect("JSON on stdout");
    let (id, secret) = credentials(&issued);
    let token = token_for(&app, &id, &secret).await.expect_json(200);
    assert_eq!(token["scope"], "platform_admin");
    let bearer = token["access_token"].as_str().unwrap();
    app.post_json(
        "/v1/partnerships",
        bearer,
        &json!({"name": "Herefordshire", "slug": "herefordshire", "area": "Herefordshire"}),
    )
    .await
    .expect_json(201);
}
