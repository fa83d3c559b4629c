//! The committed `openapi/openapi.json` is the generated document, and the
//! server serves that same document.

use std::path::PathBuf;

use crate::helpers::spawn_app;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi/openapi.json")
}

#[test]
fn openapi_document_matches_the_committed_file() {
    let generated = safeguarding_api::openapi::pretty_json();
    let path = committed_path();
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if generated == committed {
        return;
    }
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("create openapi/");
        }
        std::fs::write(&path, &generated).expect("write openapi/openapi.json");
        eprintln!("updated {}", path.display());
        return;
    }
    let first_difference = generated
        .lines()
        .zip(committed.lines())
        .position(|(a, b)| a != b)
        .map(|i| i + 1)
        .unwrap_or_else(|| generated.lines().count().min(committed.lines().count()) + 1);
    panic!(
        "openapi/openapi.json is out of date with the code (first difference at line \
         {first_difference}). Review the API change, then run \
         `UPDATE_OPENAPI=1 cargo test --test api openapi` and commit the file."
    );
}

#[tokio::test]
async fn served_openapi_is_the_generated_document() {
    let app = spawn_app().await;
    let served = app.get_anonymous("/openapi.json").await.expect_json(200);
    let generated: serde_json::Value =
        serde_json::from_str(&safeguarding_api::openapi::pretty_json()).expect("valid JSON");
    assert_eq!(served, generated);
}
