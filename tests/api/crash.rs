//! An idempotent POST whose service dies (SIGKILL) after its transaction
//! committed but before its answer left: the retry with the same key replays
//! what was committed, and writes nothing again. The key, the writes and the
//! stored answer commit together, so there is no moment when the write is in
//! and the key is not.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::Client;
use safeguarding_api::auth::TokenKeys;
use serde_json::{json, Value};

use crate::helpers::{fresh_database, JWT_SECRET};

struct Service {
    child: Child,
    base: String,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start(database_url: &str, port: u16, failpoint: &str) -> Service {
    let mut child = Command::new(env!("CARGO_BIN_EXE_safeguarding-api"))
        .arg("serve")
        .env("DATABASE_URL", database_url)
        .env("JWT_SECRET", JWT_SECRET)
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("WORKERS", "2")
        .env("FAILPOINT", failpoint)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the service binary starts");
    let base = format!("http://127.0.0.1:{port}");
    let probe = Client::new();
    for _ in 0..200 {
        if probe
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return Service { child, base };
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the service did not become ready on {base}");
}

#[tokio::test]
async fn a_retry_after_a_crash_between_commit_and_answer_replays() {
    let (database_url, _scratch) = fresh_database();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let token = TokenKeys::hs256(JWT_SECRET.as_bytes())
        .issue("crash-test", None, true, Default::default(), 600)
        .unwrap();
    let client = Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    let body = json!({"name": "West Mercia Police", "kind": "police"});
    let create = |base: &str| {
        client
            .post(format!("{base}/v1/organisations"))
            .bearer_auth(&token)
            .header("idempotency-key", "crash-7f3a")
            .json(&body)
    };
    let count = |base: String| {
        let (client, token) = (client.clone(), token.clone());
        async move {
            let page: Value = client
                .get(format!(
                    "{base}/v1/organisations?name=West%20Mercia%20Police"
                ))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            page["items"].as_array().unwrap().clone()
        }
    };

    // The first attempt commits, then the process stalls before answering.
    let service = start(&database_url, port, "pause-after-commit").await;
    let lost = create(&service.base).send().await;
    assert!(lost.is_err(), "no answer came back: {lost:?}");
    let committed = count(service.base.clone()).await;
    assert_eq!(committed.len(), 1, "the write committed before the crash");
    drop(service); // Child::kill: SIGKILL on Unix, then reaped

    // The retry, on a fresh process, replays the committed answer.
    let service = start(&database_url, port, "").await;
    let retry = create(&service.base).send().await.unwrap();
    assert_eq!(retry.status(), 201);
    assert_eq!(
        retry
            .headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let replayed: Value = retry.json().await.unwrap();
    assert_eq!(replayed["id"], committed[0]["id"], "the same record");
    assert_eq!(
        count(service.base.clone()).await.len(),
        1,
        "nothing written twice"
    );
}
