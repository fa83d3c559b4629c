//! The harness: every test gets its own server on a free port and its own
//! database (a temporary SQLite file, or a fresh PostgreSQL database when
//! `TEST_DATABASE_URL` is set), so tests run in parallel without sharing state.

// Helpers serve every test module, including ones not written yet.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use diesel::migration::MigrationSource;
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{FileBasedMigrations, MigrationHarness};
use reqwest::header::{HeaderMap, CONTENT_TYPE};
use reqwest::{Client, Method, RequestBuilder, StatusCode};
use safeguarding_api::auth::{Role, TokenKeys};
use safeguarding_api::config::Settings;
use safeguarding_api::db::Id;
use safeguarding_api::Application;
use serde_json::{json, Value};

/// The secret the test servers sign with; tests mint tokens with the same one.
pub const JWT_SECRET: &str = "integration-tests-secret-0123456789abcdef";
/// Subject of the default platform administrator token.
pub const PLATFORM_ADMIN: &str = "platform-admin";
/// Subject of tokens minted by [`TestApp::token`].
pub const TEST_CLIENT: &str = "test-client";
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A running server and what a test needs to talk to it. Cheap to clone, so
/// concurrent tasks can each hold one.
#[derive(Clone)]
pub struct TestApp {
    /// `http://127.0.0.1:<port>`
    pub address: String,
    pub port: u16,
    pub client: Client,
    pub keys: Arc<TokenKeys>,
    pub database_url: String,
    /// Where this server keeps papers' bytes (`PAPERS_DIR`).
    pub papers_dir: PathBuf,
    /// The SQLite test directory, removed when the last clone is dropped.
    scratch: Arc<Scratch>,
    /// The papers' directory, removed likewise.
    papers_scratch: Arc<Scratch>,
}

/// Starts a server on a free port against a database of its own.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Like [`spawn_app`], with extra settings (e.g. `("MAX_BODY_BYTES", "1024")`).
pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    let (database_url, scratch) = fresh_database();
    spawn_app_on(database_url, scratch, extra).await
}

/// Like [`spawn_app_with`], on a database the test prepared (from
/// [`fresh_database`]); the server migrates it the rest of the way.
pub async fn spawn_app_on(
    database_url: String,
    scratch: Scratch,
    extra: &[(&str, &str)],
) -> TestApp {
    let postgres = database_url.starts_with("postgres");
    let mut vars: BTreeMap<String, String> = BTreeMap::from([
        ("DATABASE_URL".into(), database_url.clone()),
        ("LISTEN_ADDR".into(), "127.0.0.1:0".into()),
        ("JWT_SECRET".into(), JWT_SECRET.into()),
        ("WORKERS".into(), "2".into()),
        // As in CI: high enough that no test is throttled by accident, with
        // the RateLimit fields still on every answer; the 429 is tested on its
        // own (rate_limits.rs) with low limits.
        ("RATE_LIMIT_PER_MINUTE".into(), "1000000".into()),
        ("RATE_LIMIT_BURST".into(), "1000000".into()),
    ]);
    if postgres {
        vars.insert("DB_POOL_SIZE".into(), "4".into());
    }
    for (name, value) in extra {
        vars.insert((*name).to_owned(), (*value).to_owned());
    }
    // Papers of a test of their own (a second instance is given its first's).
    let unique = uuid::Uuid::now_v7().simple().to_string();
    let own_papers = std::env::temp_dir().join(format!("safeguarding-api-papers-{unique}"));
    let papers_dir = PathBuf::from(if vars.contains_key("PAPERS_URL") {
        own_papers.display().to_string()
    } else {
        vars.entry("PAPERS_DIR".into())
            .or_insert_with(|| own_papers.display().to_string())
            .clone()
    });
    let papers_scratch = Scratch((papers_dir == own_papers).then_some(own_papers));
    let settings =
        Settings::from_lookup(|name| vars.get(name).cloned()).expect("test settings are valid");
    let app = Application::build(settings).expect("the application starts");
    let port = app.port();
    tokio::spawn(app.run_until_stopped());

    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        client: Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .expect("reqwest client"),
        keys: Arc::new(TokenKeys::hs256(JWT_SECRET.as_bytes())),
        database_url,
        papers_dir,
        scratch: Arc::new(scratch),
        papers_scratch: Arc::new(papers_scratch),
    }
}

/// A database nobody else uses: a new PostgreSQL database on the server named
/// by `TEST_DATABASE_URL`, else a SQLite file in a new temporary directory.
pub fn fresh_database() -> (String, Scratch) {
    let unique = uuid::Uuid::now_v7().simple().to_string();
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => {
            let name = format!("t_{unique}");
            create_postgres_database(url.trim(), &name);
            (with_database_name(url.trim(), &name), Scratch(None))
        }
        _ => {
            let dir = std::env::temp_dir().join(format!("safeguarding-api-test-{unique}"));
            let url = format!("sqlite://{}", dir.join("test.db").display());
            (url, Scratch(Some(dir)))
        }
    }
}

/// Brings a database from [`fresh_database`] to where an older release left
/// it: the migrations up to and including the one whose version starts with
/// `last` (e.g. `20261202000102`), then `fixture` (SQL both backends take).
/// A server started on it runs the migrations after, the ones under test.
pub fn migrate_up_to(url: &str, last: &str, fixture: &str) {
    if url.starts_with("postgres") {
        migrate_connection(
            &mut PgConnection::establish(url).unwrap(),
            "postgres",
            last,
            fixture,
        );
    } else {
        let path = url.trim_start_matches("sqlite://");
        std::fs::create_dir_all(std::path::Path::new(path).parent().unwrap()).unwrap();
        let mut conn = SqliteConnection::establish(path).unwrap();
        migrate_connection(&mut conn, "sqlite", last, fixture);
    }
}

fn migrate_connection<C>(conn: &mut C, backend: &str, last: &str, fixture: &str)
where
    C: Connection + MigrationHarness<C::Backend>,
    FileBasedMigrations: MigrationSource<C::Backend>,
{
    let dir = format!("{}/migrations/{backend}", env!("CARGO_MANIFEST_DIR"));
    while !conn
        .applied_migrations()
        .unwrap()
        .iter()
        .any(|v| v.to_string().replace('-', "").starts_with(last))
    {
        let source = FileBasedMigrations::from_path(&dir).unwrap();
        conn.run_next_migration(source).unwrap();
    }
    conn.batch_execute(fixture).unwrap();
}

pub fn create_postgres_database(server_url: &str, name: &str) {
    let mut conn = PgConnection::establish(server_url)
        .unwrap_or_else(|e| panic!("TEST_DATABASE_URL {server_url}: cannot connect: {e}"));
    // Concurrent CREATE DATABASE can briefly collide on the template; retry.
    let mut attempt = 0;
    loop {
        match diesel::sql_query(format!("CREATE DATABASE \"{name}\"")).execute(&mut conn) {
            Ok(_) => return,
            Err(e) if attempt < 5 => {
                attempt += 1;
                eprintln!("CREATE DATABASE {name} failed ({e}); retrying");
                std::thread::sleep(Duration::from_millis(200 * attempt));
            }
            Err(e) => panic!("CREATE DATABASE {name}: {e}"),
        }
    }
}

/// `postgres://user@host:5432/test?x=y` with its database replaced by `name`.
pub fn with_database_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let after_scheme = base.find("://").map(|i| i + 3).unwrap_or(0);
    let authority_end = base[after_scheme..]
        .find('/')
        .map(|i| after_scheme + i)
        .unwrap_or(base.len());
    format!("{}/{name}{query}", &base[..authority_end])
}

/// Removes a test's SQLite directory once the test is done with it.
pub struct Scratch(Option<PathBuf>);

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(dir) = &self.0 {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A whole answer: status, headers and body bytes, read at once.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub async fn read(response: reqwest::Response) -> Answer {
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .expect("the body can be read")
            .to_vec();
        Answer {
            status,
            headers,
            body,
        }
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} answered a body that is not JSON ({e}): {}",
                self.status,
                self.text()
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status, showing the body when it differs.
    pub fn expect_status(&self, status: u16) -> &Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "expected {status}, got {} with body {}",
            self.status,
            self.text()
        );
        self
    }

    /// Asserts the status and returns the JSON body.
    pub fn expect_json(&self, status: u16) -> Value {
        self.expect_status(status).json()
    }

    /// Asserts an RFC 9457 problem answer with this status and returns it.
    pub fn expect_problem(&self, status: u16) -> Value {
        self.expect_status(status);
        let content_type = self.header("content-type").unwrap_or("");
        assert!(
            content_type.starts_with(PROBLEM_JSON),
            "{status}: content-type is {content_type:?}, not {PROBLEM_JSON}; body {}",
            self.text()
        );
        let problem = self.json();
        for field in ["type", "title", "detail"] {
            let value = problem[field]
                .as_str()
                .unwrap_or_else(|| panic!("{status}: problem lacks a string `{field}`: {problem}"));
            assert!(
                !value.is_empty(),
                "{status}: problem `{field}` is empty: {problem}"
            );
        }
        assert_eq!(
            problem["status"].as_u64(),
            Some(u64::from(status)),
            "problem `status` differs from the HTTP status: {problem}"
        );
        problem
    }
}

impl TestApp {
    /// Another instance of the service on this one's database, with its own
    /// settings (another clock, say): what a second server of a deployment is.
    pub async fn another_instance(&self, extra: &[(&str, &str)]) -> TestApp {
        let papers = self.papers_dir.display().to_string();
        let mut extra = extra.to_vec();
        if !extra
            .iter()
            .any(|(k, _)| *k == "PAPERS_DIR" || *k == "PAPERS_URL")
        {
            extra.push(("PAPERS_DIR", &papers));
        }
        let mut other = spawn_app_on(self.database_url.clone(), Scratch(None), &extra).await;
        other.scratch = self.scratch.clone();
        other
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    // --- tokens -------------------------------------------------------------

    /// Signs a token with the server's secret.
    pub fn mint(
        &self,
        subject: &str,
        organisation: Option<Id>,
        platform_admin: bool,
        roles: &[(Id, Role)],
        lifetime_seconds: i64,
    ) -> String {
        self.keys
            .issue(
                subject,
                organisation,
                platform_admin,
                roles.iter().copied().collect(),
                lifetime_seconds,
            )
            .expect("the token is signed")
    }

    pub fn platform_admin_token(&self) -> String {
        self.platform_admin_token_as(PLATFORM_ADMIN)
    }

    /// A platform administrator with another subject (idempotency keys and
    /// audit events are per subject).
    pub fn platform_admin_token_as(&self, subject: &str) -> String {
        self.mint(subject, None, true, &[], 600)
    }

    /// A client with these roles and no organisation.
    pub fn token(&self, roles: &[(Id, Role)]) -> String {
        self.mint(TEST_CLIENT, None, false, roles, 600)
    }

    /// A client acting for an organisation (an agency's system).
    pub fn token_with_org(&self, subject: &str, organisation: Id, roles: &[(Id, Role)]) -> String {
        self.mint(subject, Some(organisation), false, roles, 600)
    }

    /// A token that expired well beyond the 30 s leeway.
    pub fn expired_token(&self) -> String {
        self.mint(PLATFORM_ADMIN, None, true, &[], -120)
    }

    // --- requests -----------------------------------------------------------

    /// A request with an optional bearer token, for anything the helpers below do not cover.
    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let builder = self.client.request(method, self.url(path));
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    pub async fn send(&self, builder: RequestBuilder) -> Answer {
        Answer::read(builder.send().await.expect("the request is sent")).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.send(self.request(Method::GET, path, Some(token)))
            .await
    }

    /// GET without a token (operational and public endpoints).
    pub async fn get_anonymous(&self, path: &str) -> Answer {
        self.send(self.request(Method::GET, path, None)).await
    }

    pub async fn get_accept(&self, path: &str, token: &str, accept: &str) -> Answer {
        self.send(
            self.request(Method::GET, path, Some(token))
                .header("accept", accept),
        )
        .await
    }

    pub async fn post_json(&self, path: &str, token: &str, body: &Value) -> Answer {
        self.send(self.request(Method::POST, path, Some(token)).json(body))
            .await
    }

    pub async fn post_json_idempotent(
        &self,
        path: &str,
        token: &str,
        key: &str,
        body: &Value,
    ) -> Answer {
        self.send(
            self.request(Method::POST, path, Some(token))
                .header("idempotency-key", key)
                .json(body),
        )
        .await
    }

    /// POST of raw bytes with the given content type.
    pub async fn post_raw(
        &self,
        path: &str,
        token: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Answer {
        self.send(
            self.request(Method::POST, path, Some(token))
                .header(CONTENT_TYPE, content_type)
                .body(body),
        )
        .await
    }

    pub async fn patch_json(
        &self,
        path: &str,
        token: &str,
        if_match: Option<&str>,
        body: &Value,
    ) -> Answer {
        let mut builder = self.request(Method::PATCH, path, Some(token)).json(body);
        if let Some(tag) = if_match {
            builder = builder.header("if-match", tag);
        }
        self.send(builder).await
    }

    pub async fn delete(&self, path: &str, token: &str, if_match: Option<&str>) -> Answer {
        let mut builder = self.request(Method::DELETE, path, Some(token));
        if let Some(tag) = if_match {
            builder = builder.header("if-match", tag);
        }
        self.send(builder).await
    }

    /// Walks a paginated list to its end and returns every item.
    pub async fn get_all(&self, path: &str, token: &str) -> Vec<Value> {
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page_path = match &cursor {
                Some(c) => format!("{path}{separator}limit=500&cursor={c}"),
                None => format!("{path}{separator}limit=500"),
            };
            let page = self.get(&page_path, token).await.expect_json(200);
            items.extend(page["items"].as_array().expect("items").iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return items,
            }
        }
    }

    // --- fixtures -----------------------------------------------------------

    /// Creates a partnership as the platform administrator and returns it.
    pub async fn create_partnership(&self, slug: &str) -> Value {
        self.post_json(
            "/v1/partnerships",
            &self.platform_admin_token(),
            &json!({
                "name": format!("{slug} Safeguarding Children Partnership"),
                "slug": slug,
                "area": slug,
            }),
        )
        .await
        .expect_json(201)
    }
}

/// Runs the service's command line with the test servers' secret and `env`,
/// and answers what it printed on stdout; fails the test if it failed.
pub fn command_line(args: &[&str], env: &[(&str, &str)]) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_safeguarding-api"))
        .args(args)
        .envs(env.iter().copied())
        .env("JWT_SECRET", JWT_SECRET)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 on stdout")
}

/// The `id` of a record as an [`Id`].
pub fn id_of(record: &Value) -> Id {
    record["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("record has no UUID id: {record}"))
}

#[test]
fn database_name_is_replaced() {
    assert_eq!(
        with_database_name("postgres://postgres@127.0.0.1:5432/test", "t_1"),
        "postgres://postgres@127.0.0.1:5432/t_1"
    );
    assert_eq!(
        with_database_name("postgres://u:p@h/db?sslmode=disable", "t_1"),
        "postgres://u:p@h/t_1?sslmode=disable"
    );
    assert_eq!(
        with_database_name("postgresql://h:5432", "t_1"),
        "postgresql://h:5432/t_1"
    );
}
