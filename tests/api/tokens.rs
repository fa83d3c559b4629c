//! Token verification over HTTP: every hostile token is refused with 401 and
//! `WWW-Authenticate: Bearer error="invalid_token"`; keys rotate without
//! downtime; configured external issuers are accepted and mapped to roles;
//! failed token requests are rate limited.

use std::path::PathBuf;

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use safeguarding_api::auth::keys;
use serde_json::{json, Value};

use crate::helpers::{id_of, spawn_app, spawn_app_with, Answer, TestApp, JWT_SECRET};

/// Any authenticated caller may list organisations, so it needs no records.
const PROBE: &str = "/v1/organisations";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Claims the service itself would sign for a platform administrator.
fn good_claims() -> Value {
    json!({
        "iss": "safeguarding-api",
        "aud": "safeguarding-api",
        "sub": "attacker",
        "exp": now() + 600,
        "iat": now(),
        "jti": "j-1",
        "platform_admin": true,
    })
}

fn sign(alg: Algorithm, kid: Option<&str>, claims: &Value, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    encode(&header, claims, key).expect("signed")
}

fn hs(claims: &Value) -> String {
    sign(
        Algorithm::HS256,
        None,
        claims,
        &EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Asserts a 401 with an RFC 6750 challenge, and returns the problem detail.
async fn refused(app: &TestApp, token: &str) -> String {
    let answer = app.get(PROBE, token).await;
    let problem = answer.expect_problem(401);
    let challenge = answer.header("www-authenticate").unwrap_or("");
    assert!(
        challenge.starts_with("Bearer") && challenge.contains("error=\"invalid_token\""),
        "WWW-Authenticate: {challenge:?}"
    );
    problem["detail"].as_str().unwrap_or_default().to_owned()
}

/// A directory for key files, removed with the test process's temp files.
fn key_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sg-keys-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).expect("key dir");
    dir
}

fn write(dir: &std::path::Path, name: &str, contents: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("key file written");
    path.display().to_string()
}

#[tokio::test]
async fn hostile_tokens_are_refused() {
    let app = spawn_app().await;
    // The control: the same construction with good claims is accepted.
    app.get(PROBE, &hs(&good_claims())).await.expect_status(200);

    let malformed = refused(&app, "not.a.token").await;
    assert!(malformed.contains("malformed"), "{malformed}");

    let header = b64(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = b64(good_claims().to_string().as_bytes());
    refused(&app, &format!("{header}.{payload}.")).await;
    refused(&app, &format!("{header}.{payload}")).await;

    let mut c = good_claims();
    c["exp"] = json!(now() - 31 - 60);
    let detail = refused(&app, &hs(&c)).await;
    assert!(detail.contains("expired"), "{detail}");

    let mut c = good_claims();
    c["exp"] = json!((now() + 600).to_string());
    refused(&app, &hs(&c)).await;

    let mut c = good_claims();
    c["nbf"] = json!(now() + 600);
    let detail = refused(&app, &hs(&c)).await;
    assert!(detail.contains("not valid yet"), "{detail}");

    for claim in ["aud", "iss", "exp", "sub"] {
        let mut c = good_claims();
        c.as_object_mut().unwrap().remove(claim);
        let detail = refused(&app, &hs(&c)).await;
        assert!(
            detail.contains("lacks a required claim"),
            "{claim}: {detail}"
        );
    }
    let mut c = good_claims();
    c["aud"] = json!("another-service");
    let detail = refused(&app, &hs(&c)).await;
    assert!(detail.contains("audience"), "{detail}");

    let mut c = good_claims();
    c["iss"] = json!("https://evil.example");
    let detail = refused(&app, &hs(&c)).await;
    assert!(detail.contains("issuer"), "{detail}");

    let detail = refused(
        &app,
        &sign(
            Algorithm::HS256,
            Some("hs256-0000000000000000"),
            &good_claims(),
            &EncodingKey::from_secret(JWT_SECRET.as_bytes()),
        ),
    )
    .await;
    assert!(detail.contains("key id"), "{detail}");

    // Right shape, wrong secret.
    let forged = sign(
        Algorithm::HS256,
        None,
        &good_claims(),
        &EncodingKey::from_secret(b"a-secret-the-service-never-had-0123"),
    );
    refused(&app, &forged).await;

    // A well-signed token whose own claims are of the wrong shape.
    let mut c = good_claims();
    c["roles"] = json!("admin");
    refused(&app, &hs(&c)).await;
}

#[tokio::test]
async fn a_public_key_used_as_an_hmac_secret_is_refused() {
    let dir = key_dir();
    let pem = keys::generate(Algorithm::EdDSA).unwrap();
    let private = write(&dir, "signing.pem", &pem);
    let app = spawn_app_with(&[("JWT_PRIVATE_KEY_FILE", &private)]).await;

    let jwks = app.get_anonymous("/.well-known/jwks.json").await.json();
    let jwk = &jwks["keys"][0];
    let kid = jwk["kid"].as_str().unwrap();
    assert_eq!(jwk["alg"], "EdDSA");
    assert_eq!(jwk["kty"], "OKP");

    // Everything an attacker could call "the public key", used as the secret.
    let x = jwk["x"].as_str().unwrap();
    let public = keys::public_pem(&pem).unwrap();
    let secrets: Vec<Vec<u8>> = vec![
        x.as_bytes().to_vec(),
        jwk.to_string().into_bytes(),
        pem.as_bytes().to_vec(),
    ];
    assert!(public.public.is_some());
    for secret in secrets {
        for kid in [Some(kid), None] {
            let token = sign(
                Algorithm::HS256,
                kid,
                &good_claims(),
                &EncodingKey::from_secret(&secret),
            );
            refused(&app, &token).await;
        }
    }
    // The server's own Ed25519 token is good.
    let own = EncodingKey::from_ed_pem(pem.as_bytes()).unwrap();
    let token = sign(Algorithm::EdDSA, Some(kid), &good_claims(), &own);
    app.get(PROBE, &token).await.expect_status(200);
}

#[tokio::test]
async fn asymmetric_keys_rotate_without_downtime() {
    let dir = key_dir();
    let old_pem = keys::generate(Algorithm::EdDSA).unwrap();
    let new_pem = keys::generate(Algorithm::ES256).unwrap();
    let old_file = write(&dir, "old.pem", &old_pem);
    let new_file = write(&dir, "new.pem", &new_pem);
    let old_public = keys::public_pem(&old_pem).unwrap();
    let old_kid = old_public.verifying.kid.clone().unwrap();
    // An operator may list the retired key as a public key only.
    let old_public_file = write(&dir, "old.pub.pem", &{
        use ed25519_dalek::pkcs8::{spki::der::pem::LineEnding, DecodePrivateKey, EncodePublicKey};
        ed25519_dalek::SigningKey::from_pkcs8_pem(&old_pem)
            .unwrap()
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap()
    });

    // Before: the old key signs.
    let before = spawn_app_with(&[("JWT_PRIVATE_KEY_FILE", &old_file)]).await;
    let admin = client_token(&before).await;
    assert_eq!(header_kid(&admin), old_kid);

    // During: the new key signs, the old one is still accepted.
    let during = spawn_app_with(&[
        ("JWT_PRIVATE_KEY_FILE", &new_file),
        ("JWT_PUBLIC_KEY_FILES", &old_public_file),
    ])
    .await;
    let jwks = during.get_anonymous("/.well-known/jwks.json").await;
    assert!(jwks
        .header("cache-control")
        .unwrap_or("")
        .contains("max-age"));
    let kids: Vec<String> = jwks.json()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kids.len(), 2);
    assert!(kids.contains(&old_kid));
    during.get(PROBE, &admin).await.expect_status(200);
    let fresh = client_token(&during).await;
    assert_ne!(header_kid(&fresh), old_kid);
    during.get(PROBE, &fresh).await.expect_status(200);

    // After: the old key is removed and its tokens are refused.
    let after = spawn_app_with(&[("JWT_PRIVATE_KEY_FILE", &new_file)]).await;
    let detail = refused(&after, &admin).await;
    assert!(detail.contains("key id"), "{detail}");
    after.get(PROBE, &fresh).await.expect_status(200);
}

#[tokio::test]
async fn shared_secrets_rotate_without_downtime() {
    const NEW: &str = "the-next-secret-of-the-service-0123456789";
    let before = spawn_app().await;
    let old_token = client_token(&before).await;

    let during = spawn_app_with(&[("JWT_SECRET", NEW), ("JWT_PREVIOUS_SECRETS", JWT_SECRET)]).await;
    during.get(PROBE, &old_token).await.expect_status(200);
    let new_token = client_token(&during).await;
    during.get(PROBE, &new_token).await.expect_status(200);
    // Secrets are never published.
    assert_eq!(
        during.get_anonymous("/.well-known/jwks.json").await.json(),
        json!({"keys": []})
    );

    let after = spawn_app_with(&[("JWT_SECRET", NEW)]).await;
    refused(&after, &old_token).await;
    after.get(PROBE, &new_token).await.expect_status(200);
}

/// A new viewer client of a new partnership: its id and secret.
pub(crate) async fn viewer_client(app: &TestApp, slug: &str) -> (String, String) {
    let partnership = app.create_partnership(slug).await;
    let created = app
        .post_json(
            &format!("/v1/partnerships/{}/clients", id_of(&partnership)),
            &app.platform_admin_token(),
            &json!({"name": "Probe", "role": "viewer"}),
        )
        .await
        .expect_json(201);
    let text = |k: &str| created[k].as_str().unwrap().to_owned();
    (text("client_id"), text("client_secret"))
}

pub(crate) async fn request_token(app: &TestApp, id: &str, secret: &str) -> Answer {
    app.send(app.client.post(app.url("/v1/oauth/token")).form(&[
        ("grant_type", "client_credentials"),
        ("client_id", id),
        ("client_secret", secret),
    ]))
    .await
}

/// A token from the app's own token endpoint, for a new viewer client.
async fn client_token(app: &TestApp) -> String {
    let (id, secret) = viewer_client(app, "rotation").await;
    let answer = request_token(app, &id, &secret).await.expect_json(200);
    answer["access_token"].as_str().unwrap().to_owned()
}

fn header_kid(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

#[tokio::test]
async fn a_configured_external_issuer_is_accepted_and_mapped() {
    const ISSUER: &str = "https://login.herefordshire.example/realms/staff";
    let dir = key_dir();
    let idp_pem = keys::generate(Algorithm::ES256).unwrap();
    let idp = keys::private_pem(&idp_pem).unwrap();
    let idp_kid = idp.verifying.kid.clone().unwrap();
    let jwks = json!({"keys": [keys::published(&idp).unwrap()]});
    let jwks_file = write(&dir, "idp-jwks.json", &jwks.to_string());

    // The partnership must exist before the issuer can name it: start once
    // to create it, then again with the issuer configured on the same database.
    let setup = spawn_app().await;
    let partnership = setup.create_partnership("herefordshire").await;
    let pid = id_of(&partnership);
    let other = setup.create_partnership("nottinghamshire").await;
    let issuers = json!([{
        "issuer": ISSUER,
        "audience": "safeguarding-api",
        "jwks_file": jwks_file,
        "partnership_id": pid,
        "roles_claim": "realm_access.roles",
        "role_values": {"spb-viewer": "viewer", "spb-admin": "admin"}
    }]);
    let issuers_file = write(&dir, "issuers.json", &issuers.to_string());
    let app = spawn_app_with(&[
        ("DATABASE_URL", &setup.database_url),
        ("EXTERNAL_ISSUERS_FILE", &issuers_file),
    ])
    .await;

    let idp_key = EncodingKey::from_ec_pem(idp_pem.as_bytes()).unwrap();
    let idp_claims = |roles: Value| {
        json!({
            "iss": ISSUER, "aud": "safeguarding-api", "sub": "jane.smith",
            "exp": now() + 300, "iat": now(),
            "realm_access": {"roles": roles},
            // Claims only the service's own tokens may carry are ignored.
            "platform_admin": true,
        })
    };
    let viewer = sign(
        Algorithm::ES256,
        Some(&idp_kid),
        &idp_claims(json!(["spb-viewer"])),
        &idp_key,
    );
    let read = app
        .get(&format!("/v1/partnerships/{pid}"), &viewer)
        .await
        .expect_json(200);
    assert_eq!(read["slug"], "herefordshire");
    // The mapped role, and nothing more: a viewer may not write, and sees
    // no other partnership.
    let etag = format!("\"{}\"", read["version"]);
    app.patch_json(
        &format!("/v1/partnerships/{pid}"),
        &viewer,
        Some(&etag),
        &json!({"name": "Renamed"}),
    )
    .await
    .expect_problem(403);
    app.get(&format!("/v1/partnerships/{}", id_of(&other)), &viewer)
        .await
        .expect_problem(404);
    let listed = app.get("/v1/partnerships", &viewer).await.expect_json(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);

    // Unmapped roles see nothing.
    let nobody = sign(
        Algorithm::ES256,
        Some(&idp_kid),
        &idp_claims(json!(["cleaner"])),
        &idp_key,
    );
    app.get(&format!("/v1/partnerships/{pid}"), &nobody)
        .await
        .expect_problem(404);

    // The issuer's token for another audience, or under another issuer's name.
    let mut c = idp_claims(json!(["spb-admin"]));
    c["aud"] = json!("another-api");
    refused(&app, &sign(Algorithm::ES256, Some(&idp_kid), &c, &idp_key)).await;
    let mut c = idp_claims(json!(["spb-admin"]));
    c["iss"] = json!("https://login.unconfigured.example");
    let detail = refused(&app, &sign(Algorithm::ES256, Some(&idp_kid), &c, &idp_key)).await;
    assert!(detail.contains("not trusted"), "{detail}");
    // The issuer's key cannot sign as the service itself.
    let mut c = good_claims();
    c["iss"] = json!("safeguarding-api");
    refused(&app, &sign(Algorithm::ES256, Some(&idp_kid), &c, &idp_key)).await;
    // Another key claiming the issuer.
    let stranger =
        EncodingKey::from_ec_pem(keys::generate(Algorithm::ES256).unwrap().as_bytes()).unwrap();
    refused(
        &app,
        &sign(
            Algorithm::ES256,
            None,
            &idp_claims(json!(["spb-admin"])),
            &stranger,
        ),
    )
    .await;
    // Nor is the service's own secret accepted for the issuer.
    refused(&app, &hs(&idp_claims(json!(["spb-admin"])))).await;
}

#[tokio::test]
async fn failed_token_requests_are_rate_limited() {
    let app = spawn_app_with(&[
        ("TOKEN_FAILURES_PER_CLIENT", "3"),
        ("TOKEN_FAILURES_PER_ADDRESS", "6"),
    ])
    .await;
    let (id, secret) = viewer_client(&app, "herefordshire").await;
    for _ in 0..3 {
        request_token(&app, &id, "wrong").await.expect_problem(401);
    }
    // Locked out, even with the right secret.
    let answer = request_token(&app, &id, &secret).await;
    let problem = answer.expect_problem(429);
    assert_eq!(problem["error"], "slow_down");
    let retry: u64 = answer.header("retry-after").unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 900, "Retry-After {retry}");

    // Guessing other client ids from the same address is cut off too.
    for _ in 0..3 {
        let other = uuid::Uuid::now_v7().to_string();
        request_token(&app, &other, "guess")
            .await
            .expect_problem(401);
    }
    let other = uuid::Uuid::now_v7().to_string();
    let answer = request_token(&app, &other, "guess").await;
    answer.expect_problem(429);
    assert!(answer.header("retry-after").is_some());
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_counted() {
    let app = spawn_app_with(&[
        ("TOKEN_FAILURES_PER_ADDRESS", "2"),
        ("TRUST_FORWARDED_FOR", "true"),
    ])
    .await;
    let guess = |forwarded: &'static str| {
        let app = app.clone();
        async move {
            let id = uuid::Uuid::now_v7().to_string();
            app.send(
                app.client
                    .post(app.url("/v1/oauth/token"))
                    // The caller's own claim comes first; the proxy appends the truth.
                    .header("x-forwarded-for", format!("203.0.113.9, {forwarded}"))
                    .form(&[
                        ("grant_type", "client_credentials"),
                        ("client_id", id.as_str()),
                        ("client_secret", "guess"),
                    ]),
            )
            .await
        }
    };
    guess("198.51.100.7").await.expect_problem(401);
    guess("198.51.100.7").await.expect_problem(401);
    guess("198.51.100.7").await.expect_problem(429);
    guess("192.0.2.44").await.expect_problem(401);
}
