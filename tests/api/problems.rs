//! What callers meet when something is wrong, proven over HTTP: problem+json
//! for bad input, authentication and tenancy; and the operational endpoints.

use reqwest::Method;
use safeguarding_api::auth::Role;
use serde_json::json;

use crate::helpers::{id_of, spawn_app};
use crate::mechanisms::{count_partnerships, partnership_body};

// --- bad input ------------------------------------------------------------------

#[tokio::test]
async fn malformed_json_is_400() {
    let app = spawn_app().await;
    let token = app.platform_admin_token();
    for body in [
        r#"{"name": "#,
        "not json",
        "",
        r#"{"name": "N", "slug": "ab", "area": "A"} trailing"#,
    ] {
        app.post_raw("/v1/partnerships", &token, "application/json", body)
            .await
            .expect_problem(400);
    }
    assert_eq!(count_partnerships(&app).await, 0);
}

#[tokio::test]
async fn malformed_json_is_400_even_when_its_prefix_is_an_invalid_object() {
    let app = spawn_app().await;
    let token = app.platform_admin_token();
    app.post_raw(
        "/v1/partnerships",
        &token,
        "application/json",
        "{} trailing",
    )
    .await
    .expect_problem(400);
}

#[tokio::test]
async fn wrong_type_is_422_naming_the_field() {
    let app = spawn_app().await;
    let token = app.platform_admin_token();
    let problem = app
        .post_json(
            "/v1/partnerships",
            &token,
            &json!({ "name": 5, "slug": "herefordshire", "area": "Herefordshire" }),
        )
        .await
        .expect_problem(422);
    assert_eq!(problem["errors"][0]["field"], "name", "{problem}");
    assert!(problem["errors"][0]["message"].is_string());
}

#[tokio::test]
async fn unknown_field_is_422() {
    let app = spawn_app().await;
    let token = app.platform_admin_token();
    let problem = app
        .post_json(
            "/v1/partnerships",
            &token,
            &json!({ "name": "N", "slug": "herefordshire", "area": "A", "colour": "red" }),
        )
        .await
        .expect_problem(422);
    assert_eq!(problem["errors"][0]["field"], "colour", "{problem}");
}

#[tokio::test]
async fn missing_field_is_422() {
    let app = spawn_app().await;
    let token = app.platform_admin_token();
    let problem = app
        .post_json(
            "/v1/partnerships",
            &token,
            &json!({ "name": "N", "area": "A" }),
        )
        .await
        .expect_problem(422);
    assert_eq!(problem["errors"][0]["field"], "slug", "{problem}");
}

#[tokio::test]
async fn invalid_values_are_422_listing_every_field() {
    let app = spawn_app().await;
    let token = app.platform_admin_token();
    let problem = app
        .post_json(
            "/v1/partnerships",
            &token,
            &json!({ "name": "  ", "slug": "Not A Slug", "area": "A" }),
        )
        .await
        .expect_problem(422);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert!(
        fields.contains(&"name") && fields.contains(&"slug"),
        "{problem}"
    );
}

#[tokio::test]
async fn wrong_content_type_is_415() {
    let app = spawn_app().await;
    let token = app.platform_admin_token();
    let body = partnership_body("herefordshire").to_string();
    app.post_raw("/v1/partnerships", &token, "text/plain", body.clone())
        .await
        .expect_problem(415);
    app.send(
        app.request(Method::POST, "/v1/partnerships", Some(&token))
            .body(body),
    )
    .await
    .expect_problem(415);
    assert_eq!(count_partnerships(&app).await, 0);
}

#[tokio::test]
async fn oversized_body_is_413() {
    let app = spawn_app().await;
    let token = app.platform_admin_token();
    // 2 MiB of valid JSON: over the 1 MiB default.
    let body = json!({ "name": "x".repeat(2 << 20), "slug": "big", "area": "A" }).to_string();
    app.post_raw("/v1/partnerships", &token, "application/json", body.clone())
        .await
        .expect_problem(413);
    // Through the idempotency middleware, which reads the body first.
    app.send(
        app.request(Method::POST, "/v1/partnerships", Some(&token))
            .header("content-type", "application/json")
            .header("idempotency-key", "big-1")
            .body(body),
    )
    .await
    .expect_problem(413);
    assert_eq!(count_partnerships(&app).await, 0);
}

#[tokio::test]
async fn unknown_route_is_404() {
    let app = spawn_app().await;
    let token = app.platform_admin_token();
    app.get("/v1/no-such-thing", &token)
        .await
        .expect_problem(404);
    app.get_anonymous("/nowhere").await.expect_problem(404);
}

#[tokio::test]
async fn wrong_method_is_405_with_allow() {
    let app = spawn_app().await;
    let token = app.platform_admin_token();
    let record = app.create_partnership("herefordshire").await;
    let answer = app
        .delete(
            &format!("/v1/partnerships/{}", id_of(&record)),
            &token,
            Some("\"1\""),
        )
        .await;
    answer.expect_problem(405);
    let allow = answer
        .header("allow")
        .unwrap_or_else(|| panic!("405 without Allow: {:?}", answer.headers));
    for method in ["GET", "PATCH"] {
        assert!(allow.contains(method), "Allow: {allow}");
    }

    let answer = app
        .send(app.request(Method::PUT, "/v1/partnerships", Some(&token)))
        .await;
    answer.expect_problem(405);
    assert!(answer.header("allow").is_some());
}

#[tokio::test]
async fn invalid_uuid_in_path_is_404() {
    let app = spawn_app().await;
    let token = app.platform_admin_token();
    app.get("/v1/partnerships/not-a-uuid", &token)
        .await
        .expect_problem(404);
    app.get("/v1/partnerships/12345/audit-events", &token)
        .await
        .expect_problem(404);
}

// --- authentication and tenancy ---------------------------------------------------

#[tokio::test]
async fn no_token_is_401_with_a_bearer_challenge() {
    let app = spawn_app().await;
    let answer = app.get_anonymous("/v1/partnerships").await;
    answer.expect_problem(401);
    let challenge = answer.header("www-authenticate").unwrap_or("");
    assert!(
        challenge.starts_with("Bearer"),
        "WWW-Authenticate: {challenge:?}"
    );
    assert!(
        !challenge.contains("error="),
        "no error code without a token"
    );

    let answer = app
        .send(
            app.request(Method::POST, "/v1/partnerships", None)
                .json(&partnership_body("herefordshire")),
        )
        .await;
    answer.expect_problem(401);
    assert!(answer.header("www-authenticate").is_some());

    let answer = app
        .send(
            app.request(Method::GET, "/v1/partnerships", None)
                .header("authorization", "Basic dXNlcjpwYXNz"),
        )
        .await;
    answer.expect_problem(401);
}

#[tokio::test]
async fn garbage_token_is_401() {
    let app = spawn_app().await;
    let answer = app.get("/v1/partnerships", "garbage").await;
    answer.expect_problem(401);
    let challenge = answer.header("www-authenticate").unwrap_or("");
    assert!(
        challenge.starts_with("Bearer") && challenge.contains("invalid_token"),
        "WWW-Authenticate: {challenge:?}"
    );

    // Signed with another secret.
    let other = safeguarding_api::auth::TokenKeys::hs256(b"some-other-secret-some-other-secret");
    let forged = other
        .issue("x", None, true, Default::default(), 600)
        .expect("signed");
    app.get("/v1/partnerships", &forged)
        .await
        .expect_problem(401);
}

#[tokio::test]
async fn expired_token_is_401() {
    let app = spawn_app().await;
    let answer = app.get("/v1/partnerships", &app.expired_token()).await;
    let problem = answer.expect_problem(401);
    assert!(
        problem["detail"].as_str().unwrap_or("").contains("expired"),
        "{problem}"
    );
    let challenge = answer.header("www-authenticate").unwrap_or("");
    assert!(challenge.contains("invalid_token"), "{challenge:?}");
}

#[tokio::test]
async fn token_of_one_partnership_never_sees_another() {
    let app = spawn_app().await;
    let a = app.create_partnership("partnership-a").await;
    let b = app.create_partnership("partnership-b").await;
    let token = app.token(&[(id_of(&a), Role::Admin)]);
    let b_path = format!("/v1/partnerships/{}", id_of(&b));

    app.get(&format!("/v1/partnerships/{}", id_of(&a)), &token)
        .await
        .expect_status(200);
    app.get(&b_path, &token).await.expect_problem(404);
    app.patch_json(
        &b_path,
        &token,
        Some("\"1\""),
        &json!({ "name": "Taken over" }),
    )
    .await
    .expect_problem(404);
    app.get(&format!("{b_path}/audit-events"), &token)
        .await
        .expect_problem(404);
    // B looks exactly like a partnership that does not exist.
    let absent = app
        .get(
            &format!("/v1/partnerships/{}", safeguarding_api::db::Id::new()),
            &token,
        )
        .await
        .expect_problem(404);
    let hidden = app.get(&b_path, &token).await.expect_problem(404);
    assert_eq!(absent, hidden);

    let listed = app.get_all("/v1/partnerships", &token).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], a["id"]);

    let admin = app.platform_admin_token();
    assert_eq!(
        app.get(&b_path, &admin).await.expect_json(200),
        b,
        "B unchanged"
    );
}

#[tokio::test]
async fn viewer_may_not_patch() {
    let app = spawn_app().await;
    let record = app.create_partnership("herefordshire").await;
    let id = id_of(&record);
    let path = format!("/v1/partnerships/{id}");
    let viewer = app.token(&[(id, Role::Viewer)]);

    app.get(&path, &viewer).await.expect_status(200);
    app.patch_json(
        &path,
        &viewer,
        Some("\"1\""),
        &json!({ "name": "Viewer edit" }),
    )
    .await
    .expect_problem(403);
    let member = app.token(&[(id, Role::Member)]);
    app.patch_json(
        &path,
        &member,
        Some("\"1\""),
        &json!({ "name": "Member edit" }),
    )
    .await
    .expect_problem(403);
    // Only platform administrators create partnerships.
    let admin = app.token(&[(id, Role::Admin)]);
    app.post_json("/v1/partnerships", &admin, &partnership_body("another"))
        .await
        .expect_problem(403);

    assert_eq!(
        app.get(&path, &app.platform_admin_token())
            .await
            .expect_json(200),
        record
    );
}

// --- operations -----------------------------------------------------------------

#[tokio::test]
async fn health_and_readiness_answer_200() {
    let app = spawn_app().await;
    let health = app.get_anonymous("/healthz").await.expect_json(200);
    assert_eq!(health["status"], "ok");
    let ready = app.get_anonymous("/readyz").await.expect_json(200);
    assert_eq!(ready["status"], "ok");
    let expected = if app.database_url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(ready["database"], expected);
}

#[tokio::test]
async fn metrics_count_requests_by_route() {
    let app = spawn_app().await;
    let record = app.create_partnership("herefordshire").await;
    app.get(
        &format!("/v1/partnerships/{}", id_of(&record)),
        &app.platform_admin_token(),
    )
    .await
    .expect_status(200);
    let answer = app.get_anonymous("/metrics").await;
    answer.expect_status(200);
    assert!(answer
        .header("content-type")
        .unwrap_or("")
        .starts_with("text/plain"));
    let text = answer.text();
    assert!(text.contains("http_requests_total"), "{text}");
    assert!(text.contains("http_request_duration_seconds"), "{text}");
    // Labelled by route pattern, never by raw path.
    assert!(text.contains("/v1/partnerships/{id}"), "{text}");
    assert!(!text.contains(&record["id"].as_str().expect("id").to_owned()));
}

#[tokio::test]
async fn openapi_and_docs_are_served() {
    let app = spawn_app().await;
    let spec = app.get_anonymous("/openapi.json").await.expect_json(200);
    assert!(spec["openapi"].as_str().unwrap_or("").starts_with("3.1"));
    assert!(spec["paths"]["/v1/partnerships"].is_object());

    let docs = app.get_anonymous("/docs/").await;
    docs.expect_status(200);
    assert!(
        docs.header("content-type")
            .unwrap_or("")
            .starts_with("text/html"),
        "{:?}",
        docs.headers
    );
    assert!(docs.text().to_lowercase().contains("<html"));
}

#[tokio::test]
async fn malformed_query_parameters_are_400() {
    let app = spawn_app().await;
    let token = app.platform_admin_token();
    app.get("/v1/partnerships?limit=abc", &token)
        .await
        .expect_problem(400);
    app.get("/v1/organisations?kind=council", &token)
        .await
        .expect_problem(400);
    app.get("/v1/organisations?kind=police", &token)
        .await
        .expect_json(200);
}
