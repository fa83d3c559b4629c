//! The token endpoint's lockout, kept in the database: a stranger who
//! knows a client's id and fails on purpose locks out only themselves (and,
//! past a higher limit, the sources the client never used), never the
//! sources the client authenticates from; and the counts hold across
//! instances, concurrent guesses through two of them counted one by one.

use crate::helpers::{spawn_app_with, Answer, TestApp};
use crate::tokens::{request_token, viewer_client};

/// A token request from `source`, as a trusted proxy reports it.
async fn from(app: &TestApp, source: &str, id: &str, secret: &str) -> Answer {
    app.send(
        app.client
            .post(app.url("/v1/oauth/token"))
            .header("x-forwarded-for", source)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", secret),
            ]),
    )
    .await
}

#[tokio::test]
async fn a_strangers_failures_never_lock_a_client_out_of_its_own_source() {
    let app = spawn_app_with(&[
        ("TOKEN_FAILURES_PER_CLIENT", "3"),
        ("TOKEN_FAILURES_PER_ADDRESS", "50"),
        ("TRUST_FORWARDED_FOR", "true"),
    ])
    .await;
    let (id, secret) = viewer_client(&app, "herefordshire").await;
    const HOME: &str = "198.51.100.7";
    from(&app, HOME, &id, &secret).await.expect_json(200);

    // A stranger fails on purpose, on and on: locked out after 3.
    for attempt in 0..10 {
        let answer = from(&app, "203.0.113.9", &id, "wrong").await;
        answer.expect_problem(if attempt < 3 { 401 } else { 429 });
    }
    // Their right guess would be refused too; the client, from home, is not.
    from(&app, "203.0.113.9", &id, &secret)
        .await
        .expect_problem(429);
    from(&app, HOME, &id, &secret).await.expect_json(200);

    // Strangers spread over addresses: 12 failures (4 x 3) from sources the
    // client never used lock every such source out, still not home.
    for n in 1..=3 {
        for _ in 0..3 {
            from(&app, &format!("203.0.113.{}", 20 + n), &id, "wrong")
                .await
                .expect_problem(401);
        }
    }
    from(&app, "192.0.2.1", &id, &secret)
        .await
        .expect_problem(429);
    for _ in 0..3 {
        from(&app, HOME, &id, &secret).await.expect_json(200);
    }
    // The client's own failures from home still count against it there.
    for _ in 0..3 {
        from(&app, HOME, &id, "typo").await.expect_problem(401);
    }
    from(&app, HOME, &id, &secret).await.expect_problem(429);
}

#[tokio::test]
async fn the_lockout_holds_across_instances_and_counts_concurrent_guesses_once_each() {
    let settings = [
        ("TOKEN_FAILURES_PER_CLIENT", "3"),
        ("TOKEN_FAILURES_PER_ADDRESS", "1000"),
    ];
    let one = spawn_app_with(&settings).await;
    let two = one.another_instance(&settings).await;
    let (id, secret) = viewer_client(&one, "herefordshire").await;
    request_token(&one, &id, "wrong").await.expect_problem(401);
    request_token(&two, &id, "wrong").await.expect_problem(401);
    request_token(&one, &id, "wrong").await.expect_problem(401);
    // Locked out at both, the right secret too.
    request_token(&two, &id, &secret).await.expect_problem(429);
    request_token(&one, &id, &secret).await.expect_problem(429);

    // Another client: 20 concurrent guesses through both instances, of
    // which exactly 3 are judged (401) and the rest refused (429).
    let (other, _) = viewer_client(&one, "nottinghamshire").await;
    let guesses = (0..20).map(|n| {
        let app = if n % 2 == 0 { one.clone() } else { two.clone() };
        let other = other.clone();
        tokio::spawn(async move { request_token(&app, &other, "guess").await.status.as_u16() })
    });
    let mut statuses: Vec<u16> = Vec::new();
    for guess in guesses {
        statuses.push(guess.await.unwrap());
    }
    statuses.sort();
    let judged = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((judged, refused), (3, 17), "{statuses:?}");
}
