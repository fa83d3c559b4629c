//! Meeting papers over HTTP against a real database and a real store: the
//! Nottinghamshire appendices attached and listed in the minutes; downloads
//! byte for byte with their SHA-256 and ranges; the size limit and the type
//! check leaving nothing behind; confidential items' papers kept from
//! viewers and the public, members' downloads logged; concurrent uploads
//! and a replacement leaving exactly the rows and files expected.

use std::path::Path;

use reqwest::header::CONTENT_TYPE;
use reqwest::Method;
use safeguarding_api::auth::Role;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::{spawn_app, spawn_app_with, Answer, TestApp};
use crate::seed::{self, Seed};

/// A small PDF naming what it is.
pub(crate) fn pdf(text: &str) -> Vec<u8> {
    format!(
        "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n\
         2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n% {text}\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )
    .into_bytes()
}

pub(crate) fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn query(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn upload(
    app: &TestApp,
    token: &str,
    papers: &str,
    label: &str,
    title: &str,
    file: &str,
    kind: &str,
    body: Vec<u8>,
) -> Answer {
    app.post_raw(
        &format!(
            "{papers}?label={}&title={}&file_name={}",
            query(label),
            query(title),
            query(file)
        ),
        token,
        kind,
        body,
    )
    .await
}

/// The files the store holds: kept under their hash, and upload leftovers.
fn files(dir: &Path) -> (Vec<String>, usize) {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path.file_name().unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let (mut kept, mut left) = (Vec::new(), Vec::new());
    walk(&dir.join("sha256"), &mut kept);
    walk(&dir.join("uploads"), &mut left);
    kept.sort();
    (kept, left.len())
}

pub(crate) fn item_path(seed: &Seed, title: &str) -> String {
    format!(
        "/v1/meetings/{}/items/{}/papers",
        seed.meeting_id, seed.items[title]
    )
}

#[tokio::test]
async fn the_nottinghamshire_appendices_are_attached_downloaded_and_listed_in_the_minutes() {
    let app = spawn_app().await;
    let seed = seed::load(&app, seed::NOTTINGHAMSHIRE).await;
    let admin = app.platform_admin_token();
    let mut attached = Vec::new();
    for title in seed.items.keys() {
        let Some(start) = title.find(" (Appendix ") else {
            continue;
        };
        let label = title[start + 2..title.len() - 1].to_owned();
        let name = title[..start].to_owned();
        let body = pdf(&format!("{label}: {name}"));
        let answer = upload(
            &app,
            &admin,
            &item_path(&seed, title),
            &label,
            &name,
            &format!("{label}.pdf"),
            "application/pdf",
            body.clone(),
        )
        .await;
        assert!(answer
            .header("location")
            .unwrap()
            .ends_with(answer.json()["id"].as_str().unwrap()));
        assert_eq!(answer.header("etag"), Some("\"1\""));
        let paper = answer.expect_json(201);
        assert_eq!(paper["sha256"], sha256(&body));
        assert_eq!(paper["size_bytes"], body.len());
        assert_eq!(paper["content_type"], "application/pdf");
        attached.push((title.clone(), label, name, body, paper));
    }
    assert_eq!(attached.len(), 9, "A, B, C, D, D1, E, E1, E2 and F");
    let markdown = app
        .get_accept(
            &format!("/v1/meetings/{}/minutes", seed.meeting_id),
            &admin,
            "text/markdown",
        )
        .await
        .expect_status(200)
        .text();
    for (_, label, name, _, _) in &attached {
        assert!(
            markdown.contains(&format!("- {label}: {name}\n")),
            "{label} in\n{markdown}"
        );
    }
    assert!(markdown.contains("- Appendix D1: Violence Reduction Unit\n"));
    // Downloads: the same bytes, the SHA-256 as the ETag, a range.
    let (title, label, _, body, paper) = attached.iter().find(|a| a.1 == "Appendix D1").unwrap();
    let content = format!(
        "{}/{}/content",
        item_path(&seed, title),
        paper["id"].as_str().unwrap()
    );
    let whole = app.get(&content, &admin).await.expect_status(200).clone();
    assert_eq!(whole.body, *body);
    assert_eq!(
        whole.header("etag"),
        Some(format!("\"{}\"", sha256(body)).as_str())
    );
    assert_eq!(
        whole.header("content-length"),
        Some(body.len().to_string().as_str())
    );
    assert_eq!(whole.header("content-type"), Some("application/pdf"));
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));
    assert_eq!(
        whole.header("content-disposition"),
        Some(
            format!(
                "attachment; filename=\"{label}.pdf\"; filename*=UTF-8''{}.pdf",
                label.replace(' ', "%20")
            )
            .as_str()
        )
    );
    let part = app
        .send(
            app.request(Method::GET, &content, Some(&admin))
                .header("range", "bytes=5-14"),
        )
        .await;
    part.expect_status(206);
    assert_eq!(part.body, body[5..15]);
    assert_eq!(
        part.header("content-range"),
        Some(format!("bytes 5-14/{}", body.len()).as_str())
    );
    let tail = app
        .send(
            app.request(Method::GET, &content, Some(&admin))
                .header("range", "bytes=-6"),
        )
        .await;
    assert_eq!(tail.body, body[body.len() - 6..]);
    let past = app
        .send(
            app.request(Method::GET, &content, Some(&admin))
                .header("range", format!("bytes={}-", body.len())),
        )
        .await;
    past.expect_problem(416);
    assert_eq!(
        past.header("content-range"),
        Some(format!("bytes */{}", body.len()).as_str())
    );
    // The list, and the minutes' JSON naming each paper's version and hash.
    let list = app
        .get(&item_path(&seed, title), &admin)
        .await
        .expect_json(200);
    assert_eq!(list["items"][0]["id"], paper["id"]);
    let minutes = app
        .get(&format!("/v1/meetings/{}/minutes", seed.meeting_id), &admin)
        .await
        .expect_json(200);
    let named: Vec<&Value> = minutes["items"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["papers"].as_array().unwrap())
        .collect();
    assert_eq!(named.len(), 9);
    assert!(named
        .iter()
        .any(|p| p["sha256"] == sha256(body) && p["version"] == 1 && p["label"] == "Appendix D1"));
}

#[tokio::test]
async fn an_upload_over_the_limit_or_not_what_it_claims_is_refused_and_nothing_is_kept() {
    let app = spawn_app().await;
    let seed = seed::load(&app, seed::NOTTINGHAMSHIRE).await;
    let admin = app.platform_admin_token();
    let papers = item_path(&seed, "Violence Reduction Unit (Appendix D1)");
    // 26 MB, over the 25 MB default: refused before it is kept.
    let mut big = pdf("big");
    big.resize(26 * 1024 * 1024, b' ');
    let answer = upload(
        &app,
        &admin,
        &papers,
        "Appendix D1",
        "Too big",
        "big.pdf",
        "application/pdf",
        big,
    )
    .await;
    let problem = answer.expect_problem(413);
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("PAPER_MAX_BYTES"));
    // An executable called report.pdf.
    let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
    elf.extend([0u8; 2048]);
    let problem = upload(
        &app,
        &admin,
        &papers,
        "Appendix D1",
        "Report",
        "report.pdf",
        "application/pdf",
        elf,
    )
    .await
    .expect_problem(415);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("not application/pdf"),
        "{problem}"
    );
    // A type no paper may be, and a PDF sent as a PNG.
    upload(
        &app,
        &admin,
        &papers,
        "X",
        "Page",
        "page.html",
        "text/html",
        b"<script>alert(1)</script>".to_vec(),
    )
    .await
    .expect_problem(415);
    upload(
        &app,
        &admin,
        &papers,
        "X",
        "Picture",
        "x.png",
        "image/png",
        pdf("not a picture"),
    )
    .await
    .expect_problem(415);
    // No title, a file name with a path: 422 naming them.
    let problem = app
        .post_raw(
            &format!("{papers}?label=A"),
            &admin,
            "application/pdf",
            pdf("x"),
        )
        .await
        .expect_problem(400);
    assert!(
        problem["detail"].as_str().unwrap().contains("title"),
        "{problem}"
    );
    let problem = app
        .post_raw(
            &format!("{papers}?title=%20&file_name=..%2F..%2Fetc%2Fpasswd"),
            &admin,
            "application/pdf",
            pdf("x"),
        )
        .await
        .expect_problem(422);
    let mut fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(fields, ["file_name", "title"]);
    assert_eq!(
        app.get(&papers, &admin).await.expect_json(200)["items"],
        json!([])
    );
    let (kept, left) = files(&app.papers_dir);
    assert!(
        kept.is_empty() && left == 0,
        "nothing stored: {kept:?}, {left} left in uploads"
    );
    // A smaller limit is the setting's.
    let small = spawn_app_with(&[("PAPER_MAX_BYTES", "100")]).await;
    let seed = seed::load(&small, seed::NOTTINGHAMSHIRE).await;
    let papers = item_path(&seed, "Violence Reduction Unit (Appendix D1)");
    upload(
        &small,
        &admin,
        &papers,
        "A",
        "Small",
        "s.pdf",
        "application/pdf",
        pdf(&"x".repeat(200)),
    )
    .await
    .expect_problem(413);
}

#[tokio::test]
async fn viewers_and_the_public_never_get_a_confidential_items_paper_and_members_downloads_are_logged(
) {
    let app = spawn_app().await;
    let seed = seed::load(&app, seed::HEREFORDSHIRE).await;
    let admin = app.platform_admin_token();
    let p = seed.partnership_id;
    let items = format!("/v1/meetings/{}/items", seed.meeting_id);
    let secret = app
        .post_json(
            &items,
            &admin,
            &json!({"number": "9.1", "title": "Case review: child D", "confidential": true}),
        )
        .await
        .expect_json(201);
    let open = app
        .post_json(
            &items,
            &admin,
            &json!({"number": "9.2", "title": "Section 11 audit"}),
        )
        .await
        .expect_json(201);
    let papers = |item: &Value| {
        format!(
            "/v1/meetings/{}/items/{}/papers",
            seed.meeting_id,
            item["id"].as_str().unwrap()
        )
    };
    let hidden = upload(
        &app,
        &admin,
        &papers(&secret),
        "Appendix X",
        "Child D chronology",
        "chronology.txt",
        "text/plain",
        b"Chronology of child D".to_vec(),
    )
    .await
    .expect_json(201);
    let shown = upload(
        &app,
        &admin,
        &papers(&open),
        "Appendix Y",
        "Section 11 summary",
        "s11.txt",
        "text/plain; charset=utf-8",
        "Section 11 – summary".as_bytes().to_vec(),
    )
    .await
    .expect_json(201);
    let viewer = app.token(&[(p, Role::Viewer)]);
    let member = app.token_with_org(
        "police-system",
        seed.organisations["west-mercia-police"],
        &[(p, Role::Member)],
    );
    let hidden_path = format!("{}/{}", papers(&secret), hidden["id"].as_str().unwrap());
    assert_eq!(
        app.get(&papers(&secret), &viewer).await.expect_json(200)["items"],
        json!([])
    );
    app.get(&hidden_path, &viewer).await.expect_problem(404);
    app.get(&format!("{hidden_path}/content"), &viewer)
        .await
        .expect_problem(404);
    app.get(
        &format!(
            "{}/{}/content",
            papers(&open),
            shown["id"].as_str().unwrap()
        ),
        &viewer,
    )
    .await
    .expect_status(200);
    // A member's download of the confidential paper is in the access log.
    let got = app.get(&format!("{hidden_path}/content"), &member).await;
    assert_eq!(got.expect_status(200).body, b"Chronology of child D");
    let log = app
        .get(
            &format!(
                "/v1/partnerships/{p}/access-log?resource_type=paper&resource_id={}",
                hidden["id"].as_str().unwrap()
            ),
            &admin,
        )
        .await
        .expect_json(200);
    assert_eq!(log["items"][0]["subject"], "police-system");
    assert_eq!(log["items"][0]["outcome"], "allowed");
    // The public copy of published minutes lists the open item's paper only.
    let later = seed::schedule_board(&app, &seed, "2020-01-20T14:00:00Z", json!({})).await;
    let public = seed::approve_and_publish(&app, &seed, &later).await;
    let copy = app.get_anonymous(&public).await.expect_json(200);
    let listed: Vec<&Value> = copy["items"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["papers"].as_array().unwrap())
        .collect();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["title"], "Section 11 summary");
    // Its public link serves it to anyone; the confidential one is not there.
    let href = listed[0]["href"].as_str().unwrap();
    assert!(
        href.starts_with(&format!("/v1/public/partnerships/{}/", seed.slug)),
        "{href}"
    );
    let anyone = app.get_anonymous(href).await;
    assert_eq!(anyone.header("cache-control"), Some("public, max-age=300"));
    assert_eq!(
        anyone.expect_status(200).body,
        "Section 11 – summary".as_bytes()
    );
    let hidden_public = format!(
        "/v1/public/partnerships/{}/meetings/{}/papers/{}/content",
        seed.slug,
        seed.meeting_id,
        hidden["id"].as_str().unwrap()
    );
    app.get_anonymous(&hidden_public).await.expect_problem(404);
    // Another partnership's admin cannot tell the paper exists.
    let other = app.token(&[(safeguarding_api::db::Id::new(), Role::Admin)]);
    app.get(&format!("{hidden_path}/content"), &other)
        .await
        .expect_problem(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_uploads_and_a_replacement_leave_exactly_the_rows_and_files_expected() {
    let app = spawn_app().await;
    let seed = seed::load(&app, seed::NOTTINGHAMSHIRE).await;
    let admin = app.platform_admin_token();
    let papers = item_path(&seed, "Independent Scrutineer (Appendix C)");
    let (one, two) = (pdf("first draft"), pdf("second paper"));
    let (a, b) = tokio::join!(
        upload(
            &app,
            &admin,
            &papers,
            "Appendix C",
            "Scrutineer's report",
            "c.pdf",
            "application/pdf",
            one.clone()
        ),
        upload(
            &app,
            &admin,
            &papers,
            "Appendix C2",
            "Scrutineer's letter",
            "c2.pdf",
            "application/pdf",
            two.clone()
        ),
    );
    let (a, b) = (a.expect_json(201), b.expect_json(201));
    let (kept, left) = files(&app.papers_dir);
    assert_eq!(kept, {
        let mut k = vec![sha256(&one), sha256(&two)];
        k.sort();
        k
    });
    assert_eq!(left, 0);
    // The same bytes again are stored once.
    upload(
        &app,
        &admin,
        &papers,
        "Appendix C3",
        "Copy",
        "c3.pdf",
        "application/pdf",
        one.clone(),
    )
    .await
    .expect_json(201);
    assert_eq!(files(&app.papers_dir).0.len(), 2);
    // A new version: If-Match required and current; the old one stays downloadable.
    let path = format!("{papers}/{}", a["id"].as_str().unwrap());
    let final_text = pdf("final version");
    let put = |tag: Option<&str>, body: Vec<u8>| {
        let mut builder = app
            .request(
                Method::PUT,
                &format!("{path}/content?file_name=c-final.pdf"),
                Some(&admin),
            )
            .header(CONTENT_TYPE, "application/pdf")
            .body(body);
        if let Some(tag) = tag {
            builder = builder.header("if-match", tag);
        }
        app.send(builder)
    };
    put(None, final_text.clone()).await.expect_problem(428);
    let replaced = put(Some("\"1\""), final_text.clone())
        .await
        .expect_json(200);
    assert_eq!(replaced["version"], 2);
    assert_eq!(replaced["sha256"], sha256(&final_text));
    assert_eq!(replaced["file_name"], "c-final.pdf");
    assert_eq!(
        replaced["title"], "Scrutineer's report",
        "kept when not given"
    );
    put(Some("\"1\""), pdf("stale")).await.expect_problem(412);
    assert_eq!(
        app.get(&format!("{path}/content"), &admin)
            .await
            .expect_status(200)
            .body,
        final_text
    );
    assert_eq!(
        app.get(&format!("{path}/content?version=1"), &admin)
            .await
            .expect_status(200)
            .body,
        one
    );
    app.get(&format!("{path}/content?version=3"), &admin)
        .await
        .expect_problem(404);
    let (kept, left) = files(&app.papers_dir);
    assert_eq!((kept.len(), left), (3, 0), "one, two and the final version");
    assert_eq!(
        app.get(&papers, &admin).await.expect_json(200)["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    // Approved minutes take no paper, new version or withdrawal: 409.
    let later = app
        .post_json(&format!("/v1/partnerships/{}/meetings", seed.partnership_id), &admin,
            &json!({"group_id": seed.groups.values().next().unwrap(), "title": "Next", "starts_at": "2019-12-12T10:00:00Z"}))
        .await
        .expect_json(201);
    app.post_json(
        &format!("/v1/meetings/{}/minutes/approve", seed.meeting_id),
        &admin,
        &json!({"approved_at_meeting_id": later["id"]}),
    )
    .await
    .expect_json(200);
    upload(
        &app,
        &admin,
        &papers,
        "Appendix C9",
        "Late",
        "late.pdf",
        "application/pdf",
        pdf("late"),
    )
    .await
    .expect_problem(409);
    put(Some("\"2\""), pdf("after approval"))
        .await
        .expect_problem(409);
    app.post_json(
        &format!("{}/{}/withdraw", papers, b["id"].as_str().unwrap()),
        &admin,
        &json!({}),
    )
    .await
    .expect_problem(409);
    // Reopened: withdrawn, kept and listed as such.
    app.post_json(
        &format!("/v1/meetings/{}/minutes/reopen", seed.meeting_id),
        &admin,
        &json!({"reason": "Appendix C2 withdrawn"}),
    )
    .await
    .expect_json(200);
    let withdrawn = app
        .post_json(
            &format!("{}/{}/withdraw", papers, b["id"].as_str().unwrap()),
            &admin,
            &json!({}),
        )
        .await
        .expect_json(200);
    assert_eq!(withdrawn["withdrawn"], true);
    // Kept for the record: still downloadable, its bytes unchanged.
    let kept_bytes = app
        .get(
            &format!("{papers}/{}/content", b["id"].as_str().unwrap()),
            &admin,
        )
        .await;
    assert_eq!(kept_bytes.expect_status(200).body, two);
    let markdown = app
        .get_accept(
            &format!("/v1/meetings/{}/minutes", seed.meeting_id),
            &admin,
            "text/markdown",
        )
        .await
        .expect_status(200)
        .text();
    assert!(
        markdown.contains("- Appendix C2: Scrutineer's letter (withdrawn)\n"),
        "{markdown}"
    );
    // An idempotent upload: the same key and bytes replay, other bytes are 422.
    let key = "paper-upload-1";
    let send = |body: Vec<u8>| {
        app.send(
            app.request(Method::POST, &format!("{papers}?title=Keyed"), Some(&admin))
                .header(CONTENT_TYPE, "application/pdf")
                .header("idempotency-key", key)
                .body(body),
        )
    };
    let first = send(pdf("keyed")).await.expect_json(201);
    let again = send(pdf("keyed")).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.expect_json(201)["id"], first["id"]);
    send(pdf("other bytes")).await.expect_problem(422);
}

#[tokio::test]
async fn the_sweep_removes_old_bytes_no_paper_names_and_unfinished_uploads() {
    let app = spawn_app().await;
    let seed = seed::load(&app, seed::NOTTINGHAMSHIRE).await;
    let admin = app.platform_admin_token();
    let papers = item_path(&seed, "Violence Reduction Unit (Appendix D1)");
    let named = pdf("named");
    upload(
        &app,
        &admin,
        &papers,
        "Appendix D1",
        "VRU",
        "vru.pdf",
        "application/pdf",
        named.clone(),
    )
    .await
    .expect_json(201);
    // A crash between storing bytes and writing their row, and an upload cut off.
    let orphan = sha256(b"orphan");
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(7_200);
    let age = |path: &Path| {
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(old)
            .unwrap()
    };
    let orphan_path = app
        .papers_dir
        .join("sha256")
        .join(&orphan[..2])
        .join(&orphan);
    std::fs::create_dir_all(orphan_path.parent().unwrap()).unwrap();
    std::fs::write(&orphan_path, b"orphan").unwrap();
    let unfinished = app.papers_dir.join("uploads").join("cut-off");
    std::fs::create_dir_all(unfinished.parent().unwrap()).unwrap();
    std::fs::write(&unfinished, b"%PDF-1.4 half").unwrap();
    let named_path = app
        .papers_dir
        .join("sha256")
        .join(&sha256(&named)[..2])
        .join(sha256(&named));
    for path in [&orphan_path, &unfinished, &named_path] {
        age(path);
    }
    // A fresh orphan is inside the grace period: kept for now.
    let fresh = sha256(b"fresh");
    let fresh_path = app.papers_dir.join("sha256").join(&fresh[..2]).join(&fresh);
    std::fs::create_dir_all(fresh_path.parent().unwrap()).unwrap();
    std::fs::write(&fresh_path, b"fresh").unwrap();
    // An instance sweeps as it starts.
    let _other = app
        .another_instance(&[("PAPER_SWEEP_GRACE_SECONDS", "600")])
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while (orphan_path.exists() || unfinished.exists()) && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!orphan_path.exists(), "bytes no paper names are removed");
    assert!(!unfinished.exists(), "an unfinished upload is removed");
    assert!(named_path.exists(), "a paper's bytes stay");
    assert!(fresh_path.exists(), "within the grace period");
}
