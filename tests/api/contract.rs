//! What the published contract promises, over HTTP: the `If-Match` grammar,
//! cursors, references to missing records, filters, methods, CORS, and the
//! document's own rules for every operation (so a new route is held to them
//! without anyone listing it).

use reqwest::Method;
use safeguarding_api::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{id_of, spawn_app, spawn_app_with};
use crate::seed::{self, etag, HEREFORDSHIRE};

#[tokio::test]
async fn if_match_is_star_or_an_etag_of_this_service() {
    let app = spawn_app().await;
    let token = app.platform_admin_token();
    let record = app.create_partnership("herefordshire").await;
    let path = format!("/v1/partnerships/{}", id_of(&record));
    let body = json!({ "area": "County of Herefordshire" });

    // Not an entity tag at all: 400, and nothing changes.
    for malformed in ["3", "stale", "\"open", "\"1\" \"2\""] {
        let problem = app
            .patch_json(&path, &token, Some(malformed), &body)
            .await
            .expect_problem(400);
        assert!(problem["detail"].as_str().unwrap().contains("If-Match"));
    }
    // Well-formed tags that are not current never match (RFC 9110 §13.1.1):
    // a weak tag, tags this service never sends, another version.
    for never in [
        "W/\"1\"",
        "\"\"",
        "\"abc\"",
        "\"9999999999\"",
        "\"2\", \"3\"",
    ] {
        app.patch_json(&path, &token, Some(never), &body)
            .await
            .expect_problem(412);
    }
    // An empty field names no version: the same as none.
    app.patch_json(&path, &token, Some(""), &body)
        .await
        .expect_problem(428);
    let read = app.get(&path, &token).await.expect_json(200);
    assert_eq!(read["version"], 1, "no refused request changed the record");

    // A list matches when one of its tags is current.
    app.patch_json(&path, &token, Some("\"0\", \"1\""), &body)
        .await
        .expect_json(200);
}

#[tokio::test]
async fn minutes_steps_check_if_match_when_it_is_sent() {
    let app = spawn_app().await;
    let seed = seed::load(&app, HEREFORDSHIRE).await;
    let admin = app.token(&[(seed.partnership_id, Role::Admin)]);
    let meeting_path = format!("/v1/meetings/{}", seed.meeting_id);
    let meeting = app.get(&meeting_path, &admin).await.expect_json(200);
    let later = app
        .post_json(
            &format!("/v1/partnerships/{}/meetings", seed.partnership_id),
            &admin,
            &json!({
                "group_id": meeting["group_id"],
                "title": "Herefordshire Safeguarding Partner's Board",
                "starts_at": "2020-01-20T14:00:00Z"
            }),
        )
        .await
        .expect_json(201);
    let approve = format!("{meeting_path}/minutes/approve");
    let body = json!({ "approved_at_meeting_id": later["id"] });
    let stale = format!("\"{}\"", meeting["version"].as_i64().unwrap() - 1);
    let builder = app
        .request(Method::POST, &approve, Some(&admin))
        .header("if-match", stale)
        .json(&body);
    app.send(builder).await.expect_problem(412);
    let builder = app
        .request(Method::POST, &approve, Some(&admin))
        .header("if-match", etag(&meeting))
        .json(&body);
    let approved = app.send(builder).await.expect_json(200);
    assert_eq!(approved["minutes_status"], "approved");
}

#[tokio::test]
async fn cursors_are_what_the_document_says() {
    let app = spawn_app().await;
    let token = app.platform_admin_token();
    for slug in ["a-one", "a-two", "a-three"] {
        app.create_partnership(slug).await;
    }
    let first = app
        .get("/v1/partnerships?limit=2", &token)
        .await
        .expect_json(200);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    assert!(cursor.len() == 32 && cursor.bytes().all(|b| b.is_ascii_hexdigit()));
    let second = app
        .get(&format!("/v1/partnerships?limit=2&cursor={cursor}"), &token)
        .await
        .expect_json(200);
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert_eq!(second["next_cursor"], Value::Null);
    for bad in ["", "NOT-A-CURSOR", &cursor.to_uppercase(), "limit"] {
        app.get(&format!("/v1/partnerships?cursor={bad}"), &token)
            .await
            .expect_problem(400);
    }
    for limit in ["0", "501", "2.5", "x"] {
        app.get(&format!("/v1/partnerships?limit={limit}"), &token)
            .await
            .expect_problem(400);
    }
}

#[tokio::test]
async fn references_to_missing_records_are_404_naming_the_field() {
    let app = spawn_app().await;
    let partnership = app.create_partnership("herefordshire").await;
    let admin = app.token(&[(id_of(&partnership), Role::Admin)]);
    let path = format!("/v1/partnerships/{}/members", id_of(&partnership));
    let missing = "01a2f000-0000-7000-8000-000000000000";
    let problem = app
        .post_json(
            &path,
            &admin,
            &json!({ "organisation_id": missing, "role": "statutory_partner" }),
        )
        .await
        .expect_problem(404);
    assert_eq!(
        problem["type"],
        "urn:safeguarding-api:problem:reference-not-found"
    );
    assert_eq!(problem["errors"][0]["field"], "organisation_id");
    // An invalid field as well: the body is refused as invalid first.
    let problem = app
        .post_json(
            &format!("/v1/partnerships/{}/people", id_of(&partnership)),
            &admin,
            &json!({ "full_name": " ", "initials": "AB", "organisation_id": missing }),
        )
        .await
        .expect_problem(422);
    assert_eq!(problem["errors"][0]["field"], "full_name");
}

#[tokio::test]
async fn filters_refuse_control_characters_before_the_database() {
    let app = spawn_app().await;
    let token = app.platform_admin_token();
    let partnership = app.create_partnership("herefordshire").await;
    let id = id_of(&partnership);
    for path in [
        format!("/v1/partnerships/{id}/audit-events?actor=a%00b"),
        format!("/v1/partnerships/{id}/audit-events?resource_type=%1F"),
        "/v1/organisations?name=West%00Mercia".to_owned(),
        "/v1/partnerships?slug=x%00".to_owned(),
        format!("/v1/partnerships/{id}/people?initials=P%00G"),
        format!("/v1/partnerships/{id}/groups?short_name=%7F"),
    ] {
        app.get(&path, &token).await.expect_problem(400);
    }
    // A public slug no partnership could have is simply not found.
    app.get_anonymous(&format!(
        "/v1/public/partnerships/a%00b/meetings/{id}/minutes"
    ))
    .await
    .expect_problem(404);
    app.get(
        &format!("/v1/partnerships/{id}/audit-events?actor=nobody"),
        &token,
    )
    .await
    .expect_json(200);
}

#[tokio::test]
async fn other_methods_get_405_with_allow() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz", "/.well-known/jwks.json"] {
        for method in [Method::TRACE, Method::POST, Method::DELETE] {
            let answer = app.send(app.request(method.clone(), path, None)).await;
            answer.expect_problem(405);
            let allow = answer.header("allow").unwrap_or_default();
            assert!(allow.contains("GET"), "{method} {path}: Allow {allow}");
        }
    }
}

#[tokio::test]
async fn an_unauthenticated_post_is_401_whatever_its_idempotency_key() {
    let app = spawn_app().await;
    let builder = app
        .request(Method::POST, "/v1/partnerships", None)
        .header("idempotency-key", "not ascii é")
        .json(&json!({}));
    app.send(builder).await.expect_problem(401);
}

#[tokio::test]
async fn browsers_on_configured_origins_only() {
    let origin = "https://app.example.org";
    let app = spawn_app_with(&[("CORS_ALLOWED_ORIGINS", "https://app.example.org:443")]).await;
    let preflight = |from: &'static str| {
        app.request(Method::OPTIONS, "/v1/partnerships", None)
            .header("origin", from)
            .header("access-control-request-method", "PATCH")
            .header(
                "access-control-request-headers",
                "authorization,if-match,idempotency-key,content-type",
            )
    };
    let allowed = app.send(preflight(origin)).await;
    allowed.expect_status(200);
    assert_eq!(allowed.header("access-control-allow-origin"), Some(origin));
    assert_eq!(allowed.header("access-control-max-age"), Some("3600"));
    let headers = allowed
        .header("access-control-allow-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    for h in [
        "authorization",
        "if-match",
        "idempotency-key",
        "content-type",
    ] {
        assert!(headers.contains(h), "{h} in {headers}");
    }
    let refused = app.send(preflight("https://evil.example")).await;
    assert_eq!(refused.header("access-control-allow-origin"), None);
    assert!(refused
        .header("content-type")
        .unwrap_or_default()
        .starts_with("application/problem+json"));

    // The answer itself exposes ETag and Location to the page.
    let token = app.platform_admin_token();
    let created = app
        .send(
            app.request(Method::POST, "/v1/partnerships", Some(&token))
                .header("origin", origin)
                .json(&json!({"name": "Herefordshire SCP", "slug": "herefordshire", "area": "Herefordshire"})),
        )
        .await;
    created.expect_status(201);
    assert_eq!(created.header("access-control-allow-origin"), Some(origin));
    let exposed = created
        .header("access-control-expose-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(
        exposed.contains("etag") && exposed.contains("location"),
        "{exposed}"
    );

    // Without configuration no CORS header is sent at all.
    let plain = spawn_app().await;
    let answer = plain
        .send(
            plain
                .request(Method::GET, "/healthz", None)
                .header("origin", origin),
        )
        .await;
    answer.expect_status(200);
    assert!(
        answer.header("access-control-allow-origin").is_none()
            && answer.header("access-control-expose-headers").is_none()
            && answer.header("vary").is_none()
    );
}

/// Every operation of the document, with the rules it must follow.
#[test]
fn every_operation_says_what_the_wire_does() {
    let doc = safeguarding_api::openapi::document();
    let mut ids = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let label = format!("{method} {path}");
            let id = op["operationId"].as_str().unwrap().to_owned();
            assert!(ids.insert(id.clone()), "{label}: operationId {id} twice");
            let security = op["security"].as_array().expect(&label);
            let public = security.is_empty() || path == "/v1/oauth/token";
            let params: Vec<&Value> = op["parameters"]
                .as_array()
                .map(|p| p.iter().collect())
                .unwrap_or_default();
            let param = |name: &str| params.iter().find(|p| p["name"] == name).copied();
            let responses = op["responses"].as_object().unwrap();
            if !public {
                assert_eq!(security.len(), 2, "{label}: bearer or oauth2");
                assert!(responses.contains_key("401"), "{label}: 401");
            }
            match method.as_str() {
                "put" | "patch" | "delete" => {
                    let if_match = param("If-Match").unwrap_or_else(|| panic!("{label}: If-Match"));
                    assert_eq!(if_match["required"], true, "{label}");
                    assert!(if_match["schema"]["pattern"].is_string(), "{label}");
                    for status in ["412", "428"] {
                        assert!(responses.contains_key(status), "{label}: {status}");
                    }
                }
                "post" if !public => {
                    let key = param("Idempotency-Key").unwrap_or_else(|| panic!("{label}"));
                    assert_eq!(key["schema"]["maxLength"], 255, "{label}");
                }
                _ => {}
            }
            if method == "delete" {
                for status in ["413", "415", "422"] {
                    assert!(
                        !responses.contains_key(status),
                        "{label}: no body, no {status}"
                    );
                }
            }
            if params.iter().any(|p| p["name"] == "cursor") {
                assert!(
                    responses.contains_key("400"),
                    "{label}: a bad cursor is 400"
                );
            }
            for p in &params {
                assert!(
                    !p["schema"]["type"]
                        .as_array()
                        .is_some_and(|t| t.contains(&json!("null"))),
                    "{label}: parameter {} cannot be null",
                    p["name"]
                );
            }
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    assert!(
                        response["content"]["application/problem+json"].is_object(),
                        "{label} {status}: problem+json"
                    );
                }
            }
            if let Some(created) = responses.get("201") {
                assert!(
                    created["links"].is_object(),
                    "{label}: links to the new record"
                );
            }
        }
    }
    // Every reference resolves.
    let text = doc.to_string();
    for reference in text.split("\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{name} is referred to but not defined"
        );
    }
    // Enums are spelt as the wire spells them.
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        for value in schema["enum"].as_array().into_iter().flatten() {
            let value = value.as_str().unwrap();
            assert!(
                value
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{name}: {value}"
            );
        }
    }
}

#[tokio::test]
async fn a_replayed_answer_that_held_a_secret_is_withheld_not_repeated() {
    let app = spawn_app().await;
    let partnership = app.create_partnership("herefordshire").await;
    let admin = app.token(&[(id_of(&partnership), Role::Admin)]);
    let path = format!("/v1/partnerships/{}/clients", id_of(&partnership));
    let body = json!({"name": "West Mercia Police data warehouse", "role": "viewer"});
    let first = app
        .post_json_idempotent(&path, &admin, "client-1", &body)
        .await;
    let issued = first.expect_json(201);
    assert!(issued["client_secret"].is_string());
    assert_eq!(first.header("cache-control"), Some("no-store"));

    let retry = app
        .post_json_idempotent(&path, &admin, "client-1", &body)
        .await;
    let problem = retry.expect_problem(409);
    assert_eq!(
        problem["type"],
        "urn:safeguarding-api:problem:answer-withheld"
    );
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.header("location"), first.header("location"));
    assert!(!retry
        .text()
        .contains(issued["client_secret"].as_str().unwrap()));
    let clients = app.get_all(&path, &admin).await;
    assert_eq!(clients.len(), 1, "the retry created nothing");
}
