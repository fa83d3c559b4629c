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

/// Two types of one name both published as schemas would share one component:
/// utoipa keeps one, and the other's answers no longer match the document
/// (the access log's outcome once replaced the decisions' outcome).
#[test]
fn no_two_published_types_share_a_name() {
    fn walk(dir: &std::path::Path, names: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).expect("src is readable") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                walk(&path, names);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("a source file");
                for line in text.lines() {
                    let line = line.trim_start();
                    let rest = line
                        .strip_prefix("pub enum ")
                        .or_else(|| line.strip_prefix("pub struct "));
                    if let Some(rest) = rest {
                        let name: String = rest
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        // A unit struct (a marker such as `tenant::Member`) is never a schema.
                        if !rest[name.len()..].starts_with(';') {
                            names.push((name, path.display().to_string()));
                        }
                    }
                }
            }
        }
    }
    let mut names = Vec::new();
    walk(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut names,
    );
    let document: serde_json::Value =
        serde_json::from_str(&safeguarding_api::openapi::pretty_json()).expect("valid JSON");
    let schemas = document["components"]["schemas"]
        .as_object()
        .expect("components.schemas");
    let mut clashes = Vec::new();
    for (name, _) in schemas {
        let places: Vec<&String> = names
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, p)| p)
            .collect();
        if places.len() > 1 {
            clashes.push(format!("{name}: {places:?}"));
        }
    }
    assert!(
        clashes.is_empty(),
        "published schema names defined more than once:\n{}",
        clashes.join("\n")
    );
}
