//! Bounded waits: a stalled or unreachable database, or a lock another
//! connection holds, answers 503 problem+json with `Retry-After` within a
//! second (the checkout and lock timeouts) instead of holding the request;
//! reads never wait for a writer; the service recovers without a restart.
//! And derived views (an action's `overdue`, a meeting's quorum) are sent
//! with `Cache-Control: private, no-cache`.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::helpers::{id_of, spawn_app_with, Answer, TestApp};
use crate::resilience::{app_behind_proxy, authority};

/// What the service promises: an answer within a second. The default
/// checkout timeout (800 ms) leaves 200 ms for the rest of the request.
const WITHIN: Duration = Duration::from_millis(1000);

const UP: u8 = 0;
/// Accepts connections and never answers them (a stalled host).
const BLACKHOLE: u8 = 1;
/// Not listening at all: connections are refused (a stopped server).
const REFUSE: u8 = 2;

/// A TCP proxy to PostgreSQL on a fixed port that can stall or refuse.
/// Leaving `UP` drops every link it carried.
struct Proxy {
    port: u16,
    mode: Arc<AtomicU8>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy binds");
        let port = listener.local_addr().unwrap().port();
        let mode = Arc::new(AtomicU8::new(UP));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        tokio::spawn(serve(listener, target, mode.clone(), links.clone()));
        Proxy { port, mode, links }
    }

    async fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
        let links: Vec<_> = self.links.lock().unwrap().drain(..).collect();
        for link in links {
            link.abort();
            let _ = link.await; // closed once this returns
        }
    }
}

async fn serve(
    mut listener: TcpListener,
    target: String,
    mode: Arc<AtomicU8>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
) {
    let address = listener.local_addr().unwrap();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = tokio::time::sleep(Duration::from_millis(10)) => {
                if mode.load(Ordering::SeqCst) == REFUSE {
                    drop(listener);
                    while mode.load(Ordering::SeqCst) == REFUSE {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    listener = TcpListener::bind(address).await.expect("proxy binds again");
                }
                continue;
            }
        };
        let Ok((mut client, _)) = accepted else {
            continue;
        };
        let link = match mode.load(Ordering::SeqCst) {
            // Held open, never read nor answered, until the mode changes.
            BLACKHOLE => tokio::spawn(async move {
                let _held = client;
                std::future::pending::<()>().await
            }),
            // Arrived before the listener closed: refused all the same.
            REFUSE => continue,
            _ => {
                let target = target.clone();
                tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                })
            }
        };
        links.lock().unwrap().push(link);
    }
}

/// Sends `n` reads at once; each must be a 503 with `Retry-After` within [`WITHIN`].
async fn all_unavailable_in_time(app: &TestApp, path: &str, token: &str, n: usize, what: &str) {
    let answers = futures_util::future::join_all((0..n).map(|_| async {
        let started = Instant::now();
        let answer = app.get(path, token).await;
        (answer, started.elapsed())
    }))
    .await;
    for (answer, took) in answers {
        unavailable_in_time(&answer, took, WITHIN, what);
    }
}

fn unavailable_in_time(answer: &Answer, took: Duration, within: Duration, what: &str) {
    assert_eq!(answer.status.as_u16(), 503, "{what}, after {took:?}");
    answer.expect_problem(503);
    assert!(
        answer.header("retry-after").is_some(),
        "{what}: 503 carries Retry-After"
    );
    assert!(took <= within, "{what}: answered after {took:?}");
}

// Multi-threaded: start-up blocks one thread while the proxy must keep serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_or_stopped_database_is_503_within_a_second_until_it_returns() {
    let Ok(server_url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("skipped: needs TEST_DATABASE_URL (PostgreSQL)");
        return;
    };
    let proxy = Proxy::start(authority(&server_url)).await;
    let (app, path, token) = app_behind_proxy(&server_url, proxy.port).await;

    for (mode, what) in [(BLACKHOLE, "stalled"), (REFUSE, "stopped")] {
        proxy.set(mode).await;
        // Twice the pool: some wait for a connection, some for a thread.
        all_unavailable_in_time(&app, &path, &token, 8, what).await;
        all_unavailable_in_time(&app, "/readyz", &token, 2, what).await;
        let started = Instant::now();
        let write = app
            .post_json(
                "/v1/organisations",
                &token,
                &json!({"name": "West Mercia Police", "kind": "police"}),
            )
            .await;
        unavailable_in_time(&write, started.elapsed(), WITHIN, what);

        proxy.set(UP).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let started = Instant::now();
            let answer = app.get(&path, &token).await;
            if answer.status.as_u16() == 200 {
                break;
            }
            // Still within the bound while the pool reconnects.
            unavailable_in_time(&answer, started.elapsed(), WITHIN, "reconnecting");
            assert!(Instant::now() < deadline, "the service did not recover");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // Nothing was half-written while the database was away.
    assert!(app.get_all("/v1/organisations", &token).await.is_empty());
}

/// The test's own connection to the app's database, holding the lock a
/// write of `partnership` needs: on PostgreSQL the row of its change-log
/// counter (`SELECT … FOR UPDATE`), on SQLite the write lock (`BEGIN IMMEDIATE`).
pub enum Holder {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

impl Holder {
    pub fn hold(database_url: &str, partnership: &str) -> Holder {
        if database_url.starts_with("postgres") {
            let mut conn = PgConnection::establish(database_url).expect("test connects");
            conn.batch_execute("BEGIN").unwrap();
            let held = diesel::sql_query(format!(
                "SELECT value FROM counters WHERE scope = '{partnership}' AND name = 'audit' FOR UPDATE"
            ))
            .execute(&mut conn)
            .unwrap();
            assert_eq!(held, 1, "the partnership's counter row is locked");
            Holder::Pg(conn)
        } else {
            let path = database_url.trim_start_matches("sqlite://");
            let mut conn = SqliteConnection::establish(path).expect("test opens the file");
            conn.batch_execute("BEGIN IMMEDIATE").unwrap();
            Holder::Sqlite(conn)
        }
    }

    pub fn release(self) {
        match self {
            Holder::Pg(mut conn) => conn.batch_execute("ROLLBACK").unwrap(),
            Holder::Sqlite(mut conn) => conn.batch_execute("ROLLBACK").unwrap(),
        }
    }
}

fn person(initials: &str) -> Value {
    json!({"full_name": format!("Person {initials}"), "initials": initials})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_lock_is_503_within_the_lock_timeout_and_reads_do_not_wait() {
    let lock_timeout = Duration::from_millis(400);
    let app = spawn_app_with(&[("DB_LOCK_TIMEOUT_MS", "400")]).await;
    let p = id_of(&app.create_partnership("herefordshire").await);
    let token = app.platform_admin_token();
    let people = format!("/v1/partnerships/{p}/people");
    // The first write of the partnership creates its counter row.
    app.post_json(&people, &token, &person("AB"))
        .await
        .expect_json(201);

    let holder = Holder::hold(&app.database_url, &p.to_string());
    let started = Instant::now();
    let write = app.post_json(&people, &token, &person("CD")).await;
    let took = started.elapsed();
    unavailable_in_time(&write, took, lock_timeout + WITHIN / 2, "a write");
    assert!(took >= lock_timeout, "the write waited the lock timeout");

    // A read does not queue behind the writer that holds the lock.
    let started = Instant::now();
    let listed = app.get_all(&people, &token).await;
    assert!(started.elapsed() < lock_timeout, "the read waited");
    assert_eq!(listed.len(), 1, "the refused write left nothing");

    holder.release();
    app.post_json(&people, &token, &person("CD"))
        .await
        .expect_json(201);
}

#[tokio::test]
async fn derived_views_are_private_no_cache_and_keep_their_etag() {
    let app = spawn_app_with(&[("CLOCK_FIXED_AT", "2019-12-01T09:00:00Z")]).await;
    let (seed, log) = crate::actions::herefordshire(&app).await;
    let admin = app.platform_admin_token();
    let pid = seed.partnership_id;
    let meeting = format!("/v1/meetings/{}", seed.meeting_id);
    let action = format!("/v1/actions/{}", log.actions[&14]["id"].as_str().unwrap());
    let group = seed.groups["spb"];
    // The next meeting is computed against the system clock.
    crate::seed::schedule_board(&app, &seed, "2099-01-12T15:00:00Z", json!({})).await;

    let actions = format!("/v1/partnerships/{pid}/actions");
    // (path, Accept, whether it is one versioned record)
    let derived = [
        (action.clone(), "application/json", true),
        (actions.clone(), "application/json", false),
        (actions, "text/csv", false),
        (meeting.clone(), "application/json", true),
        (
            format!("/v1/partnerships/{pid}/meetings"),
            "application/json",
            false,
        ),
        (
            format!("{meeting}/matters-arising"),
            "application/json",
            false,
        ),
        (
            format!("/v1/partnerships/{pid}/groups/{group}/next-meeting"),
            "application/json",
            true,
        ),
    ];
    for (path, accept, versioned) in derived {
        let answer = app.get_accept(&path, &admin, accept).await;
        answer.expect_status(200);
        assert_eq!(
            answer.header("cache-control"),
            Some("private, no-cache"),
            "{path} as {accept}"
        );
        if versioned {
            let etag = answer.header("etag").unwrap_or_else(|| panic!("{path}"));
            assert!(etag.starts_with('"'), "{path}: strong ETag {etag}");
        }
    }

    // A record whose body is its version alone says nothing of the kind.
    let plain = app.get(&format!("/v1/partnerships/{pid}"), &admin).await;
    assert_eq!(plain.header("cache-control"), None);
}
