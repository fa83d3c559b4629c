//! The write scope holds by construction: the store writes records only
//! through a `Tx` (a compiler check), and this test reads the source so that
//! no statement outside `src/db` writes a row without one either. A write
//! statement (`insert_into`, `update`, `delete`, `sql_query`) must sit in a
//! function that takes a `Tx`, in a `Record`/`BatchInsert` method (which only
//! the store calls, with its `Tx`), or in one of the few modules whose rows
//! are not changes of a partnership's records and carry no change-log `seq`.

use std::path::{Path, PathBuf};

/// Rows written without the change log, and why.
const NOT_CHANGES: &[(&str, &str)] = &[
    (
        "src/access/model.rs",
        "the access log: reads and refusals, not changes",
    ),
    (
        "src/http/idempotency.rs",
        "idempotency keys and stored answers",
    ),
    (
        "src/actions/owners.rs",
        "an action's owner rows, written only by the action's Record methods",
    ),
    (
        "src/risks/mitigations.rs",
        "a risk's mitigation rows, written only by the risk's Record methods",
    ),
    (
        "src/clients/lockout.rs",
        "the token endpoint's failure counts and clients' known sources: bookkeeping, not changes",
    ),
    (
        "src/webhooks/deliveries.rs",
        "webhook deliveries, cursors and leases: the delivery worker's bookkeeping, not changes",
    ),
];

/// Methods the store calls with its own `Tx`.
const STORE_METHODS: &[&str] = &["insert_row", "update_row", "delete_row", "insert_rows"];

const WRITES: &[&str] = &[
    "insert_into(",
    "insert_or_ignore_into(",
    "diesel::update(",
    "diesel::delete(",
    "sql_query(",
    "replace_into(",
];

fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The signature of the function around line `at`: from its `fn` to the
/// `{` that opens its body.
fn enclosing_fn(lines: &[&str], at: usize) -> Option<(String, String)> {
    let start = (0..=at).rev().find(|&i| {
        let mut l = lines[i].trim_start();
        for prefix in ["pub(crate) ", "pub(super) ", "pub ", "async ", "const "] {
            l = l.strip_prefix(prefix).unwrap_or(l);
        }
        l.starts_with("fn ") && l.contains('(')
    })?;
    let name = lines[start]
        .split("fn ")
        .nth(1)?
        .split(['(', '<'])
        .next()?
        .to_owned();
    let mut signature = String::new();
    for line in &lines[start..=at] {
        signature.push_str(line);
        if line.trim_end().ends_with('{') {
            break;
        }
    }
    Some((name, signature))
}

#[test]
fn no_row_is_written_outside_a_write_scope() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    let mut offences = Vec::new();
    let mut writes_seen = 0;
    for file in files {
        let relative = file
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if relative.starts_with("src/db/") || NOT_CHANGES.iter().any(|(f, _)| *f == relative) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if !WRITES.iter().any(|w| code.contains(w)) {
                continue;
            }
            writes_seen += 1;
            let ok = match enclosing_fn(&lines, i) {
                Some((name, signature)) => {
                    signature.contains("Tx<") || STORE_METHODS.contains(&name.as_str())
                }
                None => false,
            };
            if !ok {
                offences.push(format!("{relative}:{}: {}", i + 1, line.trim()));
            }
        }
    }
    assert!(
        writes_seen > 3,
        "the scan found only {writes_seen} write statements: is it reading the source?"
    );
    assert!(
        offences.is_empty(),
        "rows written outside a write scope (take a `Tx`, or say in NOT_CHANGES why \
         these rows are not changes):\n{}",
        offences.join("\n")
    );
}

#[test]
fn the_scan_would_catch_a_write_without_a_tx() {
    for source in [
        "pub fn sneaky(conn: &mut DbConnection) {\n    diesel::update(t::table).execute(conn);\n}",
        "pub(crate) async fn sneaky(c: &mut DbConnection) {\n    diesel::delete(t::table).execute(c);\n}",
    ] {
        let lines: Vec<&str> = source.lines().collect();
        let (name, signature) = enclosing_fn(&lines, 1).unwrap();
        assert_eq!(name, "sneaky");
        assert!(!signature.contains("Tx<"));
    }
}
