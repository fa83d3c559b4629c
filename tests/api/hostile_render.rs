//! What a hostile probe found in what the service writes out (issue 14,
//! points 5-8 and 17): raw HTML in the Markdown minutes, credentials in the
//! request log, missing security headers, formulas in CSV, and a repository
//! that leaned on files it does not hold.

use std::sync::{Mutex, Once};
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

const SCRIPT: &str = "<script>alert(1)</script>";
const IMAGE: &str = "<img src=x onerror=alert(1)>";
const LINK: &str = "[click](javascript:alert(1))";

/// A partnership with one meeting whose only item's minutes hold `minutes`;
/// answers the partnership, the meeting and the item.
async fn meeting_with_minutes(app: &TestApp, slug: &str, minutes: &str) -> (Value, Value, Value) {
    let admin = app.platform_admin_token();
    let partnership = app.create_partnership(slug).await;
    let pid = partnership["id"].as_str().unwrap().to_owned();
    let group = app
        .post_json(
            &format!("/v1/partnerships/{pid}/groups"),
            &admin,
            &json!({"name": "Safeguarding Partners Board", "short_name": "SPB"}),
        )
        .await
        .expect_json(201);
    let meeting = board(app, &pid, &group["id"], "2019-11-18T15:00:00Z").await;
    let item = app
        .post_json(
            &format!("/v1/meetings/{}/items", meeting["id"].as_str().unwrap()),
            &admin,
            &json!({"number": "4.1", "title": "Action log", "minutes": minutes}),
        )
        .await
        .expect_json(201);
    (partnership, meeting, item)
}

/// A meeting of the group.
async fn board(app: &TestApp, pid: &str, group_id: &Value, starts_at: &str) -> Value {
    app.post_json(
        &format!("/v1/partnerships/{pid}/meetings"),
        &app.platform_admin_token(),
        &json!({"group_id": group_id, "title": "Board", "starts_at": starts_at}),
    )
    .await
    .expect_json(201)
}

/// Approves the meeting's minutes at a later meeting and publishes them.
async fn publish(app: &TestApp, partnership: &Value, meeting: &Value) -> String {
    let admin = app.platform_admin_token();
    let pid = partnership["id"].as_str().unwrap();
    let mid = meeting["id"].as_str().unwrap();
    let later = board(app, pid, &meeting["group_id"], "2019-12-18T15:00:00Z").await;
    app.post_json(
        &format!("/v1/meetings/{mid}/minutes/approve"),
        &admin,
        &json!({"approved_at_meeting_id": later["id"]}),
    )
    .await
    .expect_json(200);
    app.post_json(
        &format!("/v1/meetings/{mid}/minutes/publish"),
        &admin,
        &json!({}),
    )
    .await
    .expect_json(200);
    format!(
        "/v1/public/partnerships/{}/meetings/{mid}/minutes",
        partnership["slug"].as_str().unwrap()
    )
}

// --- 5. Markdown minutes carry no raw HTML; nosniff everywhere --------------

#[tokio::test]
async fn markdown_minutes_carry_no_raw_html_even_in_the_public_copy() {
    let app = spawn_app().await;
    let minutes = format!("Noted **the plan**.\n\n{SCRIPT}\n\nSee {IMAGE} and {LINK}.");
    let (partnership, meeting, _) = meeting_with_minutes(&app, "hostile-md", &minutes).await;
    let admin = app.platform_admin_token();
    let own = format!("/v1/meetings/{}/minutes", meeting["id"].as_str().unwrap());
    let public = publish(&app, &partnership, &meeting).await;

    let copies = [
        app.get_accept(&own, &admin, "text/markdown").await,
        app.send(
            app.request(Method::GET, &public, None)
                .header("accept", "text/markdown"),
        )
        .await,
    ];
    for answer in copies {
        answer.expect_status(200);
        let md = answer.text();
        // Before the fix both tags appeared as written.
        assert!(!md.contains("<script"), "{md}");
        assert!(!md.contains("<img"), "{md}");
        assert!(!md.contains(" [click](javascript:"), "{md}");
        // Shown as text, the rest of the Markdown kept.
        assert!(md.contains("&lt;script>alert(1)&lt;/script>"), "{md}");
        assert!(md.contains("&lt;img src=x onerror=alert(1)>"), "{md}");
        assert!(md.contains("\\[click](javascript:alert(1))"), "{md}");
        assert!(md.contains("Noted **the plan**."), "{md}");
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
    }
    // The page shows the same text, as text.
    let page = app.get_accept(&public, &admin, "text/html").await;
    let html = page.text();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(
        !html.contains("<script") && !html.contains("<img"),
        "{html}"
    );
}

#[tokio::test]
async fn every_answer_says_nosniff_and_may_not_be_framed() {
    let app = spawn_app().await;
    let (partnership, meeting, _) = meeting_with_minutes(&app, "hostile-headers", "Noted.").await;
    let admin = app.platform_admin_token();
    let pid = partnership["id"].as_str().unwrap();
    let mid = meeting["id"].as_str().unwrap();
    let answers = [
        (
            "JSON",
            app.get(&format!("/v1/partnerships/{pid}"), &admin).await,
        ),
        ("problem", app.get_anonymous("/v1/partnerships").await),
        ("404", app.get_anonymous("/no/such/route").await),
        (
            "405",
            app.send(app.request(Method::PUT, "/healthz", None)).await,
        ),
        (
            "CSV",
            app.get_accept(
                &format!("/v1/partnerships/{pid}/actions"),
                &admin,
                "text/csv",
            )
            .await,
        ),
        (
            "iCalendar",
            app.get(&format!("/v1/partnerships/{pid}/meetings.ics"), &admin)
                .await,
        ),
        (
            "Markdown",
            app.get_accept(
                &format!("/v1/meetings/{mid}/minutes"),
                &admin,
                "text/markdown",
            )
            .await,
        ),
        (
            "HTML",
            app.get_accept(&format!("/v1/meetings/{mid}/minutes"), &admin, "text/html")
                .await,
        ),
        ("OpenAPI", app.get_anonymous("/openapi.json").await),
        ("docs", app.get_anonymous("/docs/").await),
        ("health", app.get_anonymous("/healthz").await),
        ("metrics", app.get_anonymous("/metrics").await),
    ];
    for (what, answer) in answers {
        assert_eq!(
            answer.header("x-content-type-options"),
            Some("nosniff"),
            "{what}"
        );
        assert_eq!(answer.header("x-frame-options"), Some("DENY"), "{what}");
        let policy = answer.header("content-security-policy").unwrap_or("");
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{what}: {policy}"
        );
    }
}

// --- 6. Credentials in a query string never reach the log ------------------

/// Keeps the access log's lines (actix's `Logger`) for the tests to read.
struct Capture;

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());
const ACCESS_LOG: &str = "actix_web::middleware::logger";

impl log::Log for Capture {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.target() == ACCESS_LOG
    }
    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            LINES.lock().unwrap().push(record.args().to_string());
        }
    }
    fn flush(&self) {}
}

fn capture_the_access_log() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        log::set_logger(&Capture).expect("no other logger in the test binary");
        log::set_max_level(log::LevelFilter::Info);
    });
}

/// The access log line that names `marker` (written once the answer is sent).
async fn logged(marker: &str) -> String {
    for _ in 0..100 {
        if let Some(line) = LINES.lock().unwrap().iter().find(|l| l.contains(marker)) {
            return line.clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no access log line names {marker}");
}

#[tokio::test]
async fn credentials_in_a_query_string_never_reach_the_log() {
    capture_the_access_log();
    let app = spawn_app().await;
    let token = app.platform_admin_token();
    let marker = format!("probe-{}", app.port);

    // A bearer token in the URL: refused, and not logged.
    let answer = app
        .get_anonymous(&format!(
            "/v1/partnerships?access_token={token}&note={marker}-a"
        ))
        .await;
    assert!(answer.status.is_client_error(), "{}", answer.status);
    let line = logged(&format!("{marker}-a")).await;
    assert!(!line.contains(&token), "{line}");
    assert!(!line.contains("eyJ"), "{line}");
    assert!(line.contains("/v1/partnerships?"), "{line}");

    // A client secret in the token request's URL: refused, and not logged.
    let secret = "s3cr3t-0123456789abcdefghij";
    let answer = app
        .send(
            app.request(
                Method::POST,
                &format!("/v1/oauth/token?client_secret={secret}&client_id=x&note={marker}-b"),
                None,
            )
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials"),
        )
        .await;
    assert!(answer.status.is_client_error(), "{}", answer.status);
    let line = logged(&format!("{marker}-b")).await;
    assert!(!line.contains(secret), "{line}");
    assert!(line.contains("client_secret=[redacted]"), "{line}");
}

// --- 7. Security headers on the docs and the minutes page ------------------

#[tokio::test]
async fn the_docs_and_the_minutes_page_have_a_policy_and_cannot_be_framed() {
    let app = spawn_app().await;
    let docs = app.get_anonymous("/docs/").await;
    docs.expect_status(200);
    let policy = docs.header("content-security-policy").expect("a policy");
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(directive), "{policy}");
    }
    // Swagger UI works offline under that policy: no inline script, and its
    // own files served with the types `nosniff` demands.
    let page = docs.text();
    for tag in page.split("<script").skip(1) {
        assert!(tag.split('>').next().unwrap().contains("src="), "{page}");
    }
    for (file, kind) in [
        ("swagger-ui-bundle.js", "javascript"),
        ("swagger-initializer.js", "javascript"),
        ("swagger-ui.css", "text/css"),
    ] {
        let asset = app.get_anonymous(&format!("/docs/{file}")).await;
        asset.expect_status(200);
        assert!(
            asset.header("content-type").unwrap().contains(kind),
            "{file}"
        );
        assert!(page.contains(file), "{file} is what the page loads");
    }

    let (_, meeting, _) = meeting_with_minutes(&app, "hostile-frame", "Noted.").await;
    let admin = app.platform_admin_token();
    let html = app
        .get_accept(
            &format!("/v1/meetings/{}/minutes", meeting["id"].as_str().unwrap()),
            &admin,
            "text/html",
        )
        .await;
    html.expect_status(200);
    let policy = html.header("content-security-policy").unwrap();
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
}

// --- 8. CSV: every text cell quoted, formulas neutralised after separators ---

#[tokio::test]
async fn csv_cells_never_run_as_formulas_whatever_the_separator() {
    let app = spawn_app().await;
    let (partnership, _, item) = meeting_with_minutes(&app, "hostile-csv", "Noted.").await;
    let admin = app.platform_admin_token();
    let actions = format!(
        "/v1/partnerships/{}/actions",
        partnership["id"].as_str().unwrap()
    );
    for description in [
        "Report back soon;@SUM(1+1)",
        "=HYPERLINK(\"https://evil.example\",\"x\")",
        "Costs, -850.50|+1\tdone",
    ] {
        app.post_json(
            &actions,
            &admin,
            &json!({"item_id": item["id"], "description": description, "owners": ["ALL"]}),
        )
        .await
        .expect_json(201);
    }
    let answer = app.get_accept(&actions, &admin, "text/csv").await;
    answer.expect_status(200);
    let text = answer.text();
    assert!(text.contains("\"Report back soon;'@SUM(1+1)\""), "{text}");

    // Read as a spreadsheet reads it: by the standard, every text cell was
    // quoted and the action number is a bare number.
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    for (line, row) in text.lines().skip(1).zip(&rows) {
        assert!(line.starts_with(&format!("{},\"", &row[0])), "{line}");
        assert!(row[0].parse::<i64>().is_ok(), "{line}");
    }
    // Read as Excel does in a locale whose separator is another character,
    // ignoring the quotes: no piece starts a formula.
    for separator in [',', ';', '\t', '|'] {
        for line in text.split(['\r', '\n']) {
            for piece in line.split(separator) {
                let start = piece.trim_start_matches([' ', '"']);
                assert!(
                    !start.starts_with(['=', '+', '-', '@']),
                    "{separator:?} splits {line:?} into {piece:?}"
                );
            }
        }
    }
}

// --- 17. The repository stands on its own ----------------------------------

/// Text files of the repository that a clone holds.
fn tracked_text_files() -> Vec<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md"), root.join(".gitignore")];
    let mut dirs: Vec<_> = ["src", "tests", "demo", ".ci", "bench"]
        .iter()
        .map(|d| root.join(d))
        .collect();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                if !path.ends_with("node_modules") {
                    dirs.push(path);
                }
            } else {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn the_repository_refers_to_nothing_outside_it() {
    // Spelled in two halves so this file does not match itself.
    let outside = ["../", "shared/"].concat();
    let design = ["shared/", "DESIGN.md"].concat();
    let seeds = ["shared/", "seeds"].concat();
    for path in tracked_text_files() {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue; // not text
        };
        for needle in [&outside, &design, &seeds] {
            assert!(
                !text.contains(needle.as_str()),
                "{} names {needle}",
                path.display()
            );
        }
    }
}

#[test]
fn readme_commands_write_nothing_secret_into_the_checkout() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    for written in ["> bootstrap.json", "> action-log.csv", "> minutes.html"] {
        assert!(!readme.contains(written), "the README writes {written}");
    }
    let ignored = std::fs::read_to_string(root.join(".gitignore")).unwrap();
    for pattern in ["bootstrap.json", "/*.csv"] {
        assert!(
            ignored.lines().any(|l| l.trim() == pattern),
            ".gitignore lacks {pattern}"
        );
    }
    assert!(
        !root.join("action-log.csv").exists(),
        "action-log.csv is an export, not a source file"
    );
}
