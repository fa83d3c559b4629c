//! Meeting papers kept in an S3-compatible bucket (`PAPERS_URL`), as a
//! deployment of several instances keeps them: uploads in parts, downloads
//! and ranges, a new version, refusals leaving nothing, a second instance
//! serving what the first stored, and the sweep, all against a real S3 API.
//!
//! Runs where `PAPERS_TEST_S3_URL` names a bucket (`s3://bucket`) reachable
//! with the process's `AWS_*` variables: CI starts an S3 server (moto) and
//! sets them (`.ci/lib/s3.sh`). Elsewhere it says it was skipped.

use futures_util::StreamExt;
use reqwest::Method;
use safeguarding_api::config::papers::Storage;
use safeguarding_api::papers::storage::PaperStore;

use crate::helpers::{spawn_app_with, TestApp};
use crate::papers::{item_path, pdf, sha256, upload};
use crate::seed;

/// The objects under `prefix` of the test's own store.
async fn objects(store: &PaperStore, prefix: &str) -> Vec<String> {
    let mut names: Vec<String> = store
        .list(prefix)
        .map(|m| m.expect("the bucket lists").location.to_string())
        .collect()
        .await;
    names.sort();
    names
}

/// The multipart uploads under way under the test's prefix, as S3 lists
/// them (`ListMultipartUploads`, unsigned: the test's server takes that).
async fn multipart_uploads(app: &TestApp, url: &str) -> usize {
    let endpoint = std::env::var("AWS_ENDPOINT").expect("AWS_ENDPOINT names the S3 server");
    let rest = url.trim_start_matches("s3://");
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let listing = app
        .client
        .get(format!("{endpoint}/{bucket}?uploads&prefix={prefix}/"))
        .send()
        .await
        .expect("the S3 server answers")
        .text()
        .await
        .unwrap();
    assert!(listing.contains("ListMultipartUploadsResult"), "{listing}");
    listing.matches("<UploadId>").count()
}

fn bucket() -> Option<String> {
    std::env::var("PAPERS_TEST_S3_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
}

#[tokio::test]
async fn papers_kept_in_an_s3_bucket_are_served_by_every_instance_and_swept() {
    let Some(bucket) = bucket() else {
        eprintln!("skipped: PAPERS_TEST_S3_URL names no bucket (CI sets one: .ci/lib/s3.sh)");
        return;
    };
    // A prefix of this test's own in the shared bucket.
    let url = format!(
        "{}/t-{}",
        bucket.trim_end_matches('/'),
        uuid::Uuid::now_v7().simple()
    );
    let app = spawn_app_with(&[("PAPERS_URL", &url)]).await;
    let store = PaperStore::open(&Storage::S3 {
        url: url.clone(),
        options: Vec::new(),
    })
    .expect("the test reaches the bucket as the service does");
    let seed = seed::load(&app, seed::NOTTINGHAMSHIRE).await;
    let admin = app.platform_admin_token();
    let papers = item_path(&seed, "Violence Reduction Unit (Appendix D1)");

    // 12 MiB: three parts of a multipart upload (5 MiB is S3's smallest).
    let mut body = pdf("Appendix D1: Violence Reduction Unit");
    body.extend((0..12 * 1024 * 1024 - body.len()).map(|i| (i % 251) as u8));
    let paper = upload(
        &app,
        &admin,
        &papers,
        "Appendix D1",
        "Violence Reduction Unit",
        "vru.pdf",
        "application/pdf",
        body.clone(),
    )
    .await
    .expect_json(201);
    assert_eq!(paper["sha256"], sha256(&body));
    let content = format!("{papers}/{}/content", paper["id"].as_str().unwrap());
    let whole = app.get(&content, &admin).await.expect_status(200).clone();
    assert!(whole.body == body, "the same bytes back");
    assert_eq!(
        whole.header("etag"),
        Some(format!("\"{}\"", sha256(&body)).as_str())
    );
    let at = 5 * 1024 * 1024 - 3;
    let part = app
        .send(
            app.request(Method::GET, &content, Some(&admin))
                .header("range", format!("bytes={at}-{}", at + 9)),
        )
        .await;
    part.expect_status(206);
    assert_eq!(part.body, body[at..at + 10], "a range across two parts");
    assert_eq!(
        objects(&store, "sha256").await,
        [format!("sha256/{}/{}", &sha256(&body)[..2], sha256(&body))]
    );

    // Refused uploads leave nothing: too big, and not what they claim.
    let mut big = pdf("big");
    big.resize(26 * 1024 * 1024, b' ');
    upload(
        &app,
        &admin,
        &papers,
        "X",
        "Too big",
        "big.pdf",
        "application/pdf",
        big,
    )
    .await
    .expect_problem(413);
    let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
    elf.extend([0u8; 2048]);
    upload(
        &app,
        &admin,
        &papers,
        "X",
        "Report",
        "report.pdf",
        "application/pdf",
        elf,
    )
    .await
    .expect_problem(415);
    assert_eq!(objects(&store, "sha256").await.len(), 1);
    assert!(objects(&store, "uploads").await.is_empty());
    // S3 lists no unfinished multipart upload as an object: ask for them.
    assert_eq!(
        multipart_uploads(&app, &url).await,
        0,
        "the refused uploads' parts were aborted"
    );

    // A new version; a second instance on the same database and bucket
    // serves both.
    let second = pdf("Appendix D1, revised");
    let replaced = app
        .send(
            app.request(Method::PUT, &content, Some(&admin))
                .header("content-type", "application/pdf")
                .header("if-match", "\"1\"")
                .body(second.clone()),
        )
        .await
        .expect_json(200);
    assert_eq!(replaced["sha256"], sha256(&second));
    let other: TestApp = app.another_instance(&[("PAPERS_URL", &url)]).await;
    let latest = other.get(&content, &admin).await.expect_status(200).clone();
    assert_eq!(latest.body, second);
    let first = other
        .get(&format!("{content}?version=1"), &admin)
        .await
        .expect_status(200)
        .clone();
    assert!(first.body == body, "version 1 stays downloadable");
    assert_eq!(objects(&store, "sha256").await.len(), 2);

    // The sweep removes bytes no version names, once past the grace period.
    let orphan = store.put(&pdf("orphan")).await.expect("stored");
    assert_eq!(objects(&store, "sha256").await.len(), 3);
    let _sweeper = app
        .another_instance(&[("PAPERS_URL", &url), ("PAPER_SWEEP_GRACE_SECONDS", "0")])
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while objects(&store, "sha256").await.len() > 2 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let left = objects(&store, "sha256").await;
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(!left.iter().any(|o| o.ends_with(&orphan.sha256)));
    assert_eq!(
        other.get(&content, &admin).await.expect_status(200).body,
        second
    );
}
