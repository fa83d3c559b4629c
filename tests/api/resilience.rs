//! The database going away and coming back: answers are 503 problem+json with
//! `Retry-After` meanwhile, and the service recovers without a restart.
//! PostgreSQL only (an embedded SQLite file cannot go away); the connection runs
//! through a proxy in this test that can be cut.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::helpers::{
    create_postgres_database, id_of, spawn_app_with, with_database_name, TestApp,
};

/// A TCP proxy to PostgreSQL that can drop every connection and refuse new ones.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy binds");
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (accept_up, accept_links) = (up.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !accept_up.load(Ordering::SeqCst) {
                    continue; // dropped: the database is "down"
                }
                let target = target.clone();
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                accept_links.lock().unwrap().push(link);
            }
        });
        Proxy { port, up, links }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// `host:port` of a postgres URL.
pub fn authority(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let host_port = rest.split(['/', '?']).next().unwrap_or(rest);
    let host_port = host_port.rsplit('@').next().unwrap_or(host_port);
    if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:5432")
    }
}

/// An app on a new database of the server of `server_url`, reached through
/// a proxy listening on `port`, with one partnership that reads back: the
/// app, the partnership's path and a platform admin's token.
pub async fn app_behind_proxy(server_url: &str, port: u16) -> (TestApp, String, String) {
    let name = format!("t_{}", uuid::Uuid::now_v7().simple());
    create_postgres_database(server_url, &name);
    let authority = authority(server_url);
    let via_proxy = with_database_name(
        &server_url.replace(&authority, &format!("127.0.0.1:{port}")),
        &name,
    );
    let app = spawn_app_with(&[("DATABASE_URL", via_proxy.as_str())]).await;
    let p = id_of(&app.create_partnership("herefordshire").await);
    let token = app.platform_admin_token();
    let path = format!("/v1/partnerships/{p}");
    app.get(&path, &token).await.expect_json(200);
    (app, path, token)
}

// Multi-threaded: start-up blocks one thread while the proxy must keep serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_database_is_503_until_it_returns() {
    let Ok(server_url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("skipped: needs TEST_DATABASE_URL (PostgreSQL)");
        return;
    };
    let proxy = Proxy::start(authority(&server_url)).await;
    let (app, path, token) = app_behind_proxy(&server_url, proxy.port).await;

    proxy.cut();
    for _ in 0..2 {
        let answer = app.get(&path, &token).await;
        answer.expect_problem(503);
        assert!(
            answer.header("retry-after").is_some(),
            "503 carries Retry-After"
        );
    }
    app.get_anonymous("/readyz").await.expect_problem(503);
    let write = app
        .post_json(
            "/v1/organisations",
            &token,
            &serde_json::json!({"name": "West Mercia Police", "kind": "police"}),
        )
        .await;
    write.expect_problem(503);

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ready = app.get_anonymous("/readyz").await;
        if ready.status.as_u16() == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the service did not recover: {}",
            ready.text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.get(&path, &token).await.expect_json(200);
    // Nothing was half-written while the database was away.
    assert!(app.get_all("/v1/organisations", &token).await.is_empty());
}
