//! The `PAPERS_*` and `PAPER_*` settings: where meeting papers' bytes are
//! kept, the largest paper, and the sweep's grace period.

use super::{bad, parse_number, ConfigError};
use crate::db::Backend;

/// Where papers' bytes are kept.
#[derive(Clone, PartialEq, Eq)]
pub enum Storage {
    /// A directory of the local filesystem (`PAPERS_DIR`): one instance, or
    /// instances sharing a mounted volume.
    Local(std::path::PathBuf),
    /// An S3-compatible bucket (`PAPERS_URL=s3://bucket/prefix`), for
    /// several instances: `url` and the `AWS_*` settings found.
    S3 {
        url: String,
        options: Vec<(String, String)>,
    },
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Storage::Local(dir) => write!(f, "Local({})", dir.display()),
            // The options hold credentials.
            Storage::S3 { url, .. } => write!(f, "S3({url})"),
        }
    }
}

/// The `AWS_*` settings an S3 store reads, beyond those `object_store`
/// reads from the process environment itself: passed through the same
/// lookup as every other setting, so they can be given as the rest are.
pub const S3_OPTIONS: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT",
    "AWS_ENDPOINT_URL",
    "AWS_ALLOW_HTTP",
    "AWS_VIRTUAL_HOSTED_STYLE_REQUEST",
    "AWS_S3_EXPRESS",
    "AWS_SERVER_SIDE_ENCRYPTION",
    "AWS_SSE_KMS_KEY_ID",
];

#[derive(Debug, Clone)]
pub struct Papers {
    pub storage: Storage,
    /// `PAPER_MAX_BYTES`: the largest paper (25 MiB by default).
    pub max_bytes: u64,
    /// `PAPER_SWEEP_GRACE_SECONDS`: how old unnamed bytes are before the
    /// sweep removes them.
    pub sweep_grace: std::time::Duration,
}

pub(super) fn papers(
    lookup: &impl Fn(&str) -> Option<String>,
    database: &Backend,
) -> Result<Papers, ConfigError> {
    let set = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
    let storage = match (set("PAPERS_URL"), set("PAPERS_DIR")) {
        (Some(_), Some(_)) => {
            return Err(bad("PAPERS_URL", "set PAPERS_URL or PAPERS_DIR, not both"))
        }
        (Some(url), None) => Storage::S3 {
            url: s3_url(url.trim()).map_err(|e| bad("PAPERS_URL", e))?,
            options: S3_OPTIONS
                .iter()
                .filter_map(|name| set(name).map(|v| ((*name).to_owned(), v)))
                .collect(),
        },
        (None, Some(dir)) => Storage::Local(std::path::PathBuf::from(dir.trim())),
        // Beside the SQLite file by default; `data/papers` on PostgreSQL.
        (None, None) => Storage::Local(match database {
            Backend::Sqlite(path) if path != ":memory:" => std::path::Path::new(path)
                .parent()
                .unwrap_or(std::path::Path::new("."))
                .join("papers"),
            _ => std::path::PathBuf::from("data/papers"),
        }),
    };
    let max_bytes: u64 = parse_number(lookup, "PAPER_MAX_BYTES", 25 * 1024 * 1024)?;
    if max_bytes == 0 {
        return Err(bad("PAPER_MAX_BYTES", "must be at least 1"));
    }
    let sweep_grace =
        std::time::Duration::from_secs(parse_number(lookup, "PAPER_SWEEP_GRACE_SECONDS", 3_600)?);
    Ok(Papers {
        storage,
        max_bytes,
        sweep_grace,
    })
}

/// `s3://bucket[/prefix]` (or `s3a://`), with no credentials, query or
/// fragment in it: those belong in the `AWS_*` settings.
fn s3_url(url: &str) -> Result<String, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("'{url}' is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "s3" | "s3a") {
        return Err(format!(
            "'{url}' is not an S3 URL like s3://bucket/prefix (use PAPERS_DIR for a directory)"
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!("'{url}' names no bucket"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("credentials belong in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY".into());
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!("'{url}' has a query or fragment"));
    }
    Ok(url.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<Papers, ConfigError> {
        papers(
            &|name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            },
            &Backend::Sqlite("data/safeguarding.db".into()),
        )
    }

    #[test]
    fn local_beside_the_database_by_default() {
        let p = read(&[]).unwrap();
        assert_eq!(p.storage, Storage::Local("data/papers".into()));
        assert_eq!(p.max_bytes, 25 * 1024 * 1024);
        let p = read(&[("PAPERS_DIR", "/srv/papers")]).unwrap();
        assert_eq!(p.storage, Storage::Local("/srv/papers".into()));
    }

    #[test]
    fn s3_by_url_with_its_settings_and_no_secret_in_debug() {
        let p = read(&[
            ("PAPERS_URL", "s3://papers-bucket/prod"),
            ("AWS_REGION", "eu-west-2"),
            ("AWS_SECRET_ACCESS_KEY", "hush"),
            ("HOME", "/root"),
        ])
        .unwrap();
        let Storage::S3 { url, options } = &p.storage else {
            panic!("{:?}", p.storage)
        };
        assert_eq!(url, "s3://papers-bucket/prod");
        assert_eq!(
            options,
            &[
                ("AWS_SECRET_ACCESS_KEY".to_owned(), "hush".to_owned()),
                ("AWS_REGION".to_owned(), "eu-west-2".to_owned()),
            ]
        );
        assert!(!format!("{p:?}").contains("hush"));
    }

    #[test]
    fn refuses_what_is_not_an_s3_bucket() {
        for (url, says) in [
            ("https://example.org/papers", "not an S3 URL"),
            ("s3:///prefix", "names no bucket"),
            ("s3://key:secret@bucket/p", "credentials"),
            ("s3://bucket/p?x=1", "query"),
            ("not a url", "not a URL"),
        ] {
            let e = read(&[("PAPERS_URL", url)]).unwrap_err();
            assert_eq!(e.variable, "PAPERS_URL");
            assert!(e.reason.contains(says), "{url}: {}", e.reason);
        }
        let e = read(&[("PAPERS_URL", "s3://b"), ("PAPERS_DIR", "/x")]).unwrap_err();
        assert!(e.reason.contains("not both"));
        assert_eq!(
            read(&[("PAPER_MAX_BYTES", "0")]).unwrap_err().variable,
            "PAPER_MAX_BYTES"
        );
    }
}
