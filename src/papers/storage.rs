//! Where papers' bytes are kept: through `object_store`, the local
//! filesystem (`PAPERS_DIR`, by default `papers/` beside the SQLite file) or
//! an S3-compatible bucket (`PAPERS_URL=s3://bucket/prefix`), one code path.
//! Bytes are stored under their SHA-256 (`sha256/ab/abcd...`), so the same
//! file uploaded twice is stored once and a stored version never changes.
//! An upload streams into a temporary object while it is hashed (never held
//! whole in memory) and is moved under its hash once complete and checked;
//! an upload that fails or is refused leaves nothing but what `sweep`
//! removes.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, WriteMultipart};
use sha2::{Digest, Sha256};

use super::sniff;
use crate::config::papers::Storage;
use crate::db::Id;
use crate::error::ApiError;

/// Parts written at once by an upload: with the part being filled, the
/// most of a file held in memory at a time.
const PARTS_IN_FLIGHT: usize = 2;

/// The size of an upload's parts on the local filesystem.
const LOCAL_PART: usize = 1 << 20;

/// The size of an upload's parts in S3: its smallest part but the last.
const S3_PART: usize = 5 << 20;

#[derive(Clone)]
pub struct PaperStore {
    inner: Arc<dyn ObjectStore>,
    /// The size of an upload's parts.
    part: usize,
}

impl std::fmt::Debug for PaperStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PaperStore({})", self.inner)
    }
}

fn unavailable(e: object_store::Error) -> ApiError {
    log::error!("paper storage: {e}");
    ApiError::Unavailable
}

impl PaperStore {
    /// The store the settings name.
    pub fn open(storage: &Storage) -> Result<Self, String> {
        match storage {
            Storage::Local(dir) => Self::local(dir).map_err(|e| format!("PAPERS_DIR: {e}")),
            Storage::S3 { url, options } => {
                Self::s3(url, options).map_err(|e| format!("PAPERS_URL: {e}"))
            }
        }
    }

    /// The local filesystem under `dir` (created).
    pub fn local(dir: &std::path::Path) -> Result<Self, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let store = LocalFileSystem::new_with_prefix(dir).map_err(|e| e.to_string())?;
        Ok(PaperStore {
            inner: Arc::new(store),
            part: LOCAL_PART,
        })
    }

    /// An S3-compatible bucket, `s3://bucket/prefix`: configured as
    /// `object_store` configures it from the process's `AWS_*` variables,
    /// then from `options` (the same variables, read as every setting is).
    fn s3(url: &str, options: &[(String, String)]) -> Result<Self, String> {
        let mut builder = AmazonS3Builder::from_env().with_url(url);
        for (name, value) in options {
            if let Ok(key) = name.to_ascii_lowercase().parse::<AmazonS3ConfigKey>() {
                builder = builder.with_config(key, value);
            }
        }
        let bucket = builder.build().map_err(|e| e.to_string())?;
        let prefix = url::Url::parse(url)
            .map_err(|e| e.to_string())?
            .path()
            .trim_matches('/')
            .to_owned();
        let inner: Arc<dyn ObjectStore> = if prefix.is_empty() {
            Arc::new(bucket)
        } else {
            Arc::new(PrefixStore::new(
                bucket,
                Path::parse(&prefix).map_err(|e| e.to_string())?,
            ))
        };
        Ok(PaperStore {
            inner,
            part: S3_PART,
        })
    }

    /// Where the bytes of `sha256` are kept.
    pub fn key(sha256: &str) -> Path {
        Path::from(format!(
            "sha256/{}/{sha256}",
            &sha256[..2.min(sha256.len())]
        ))
    }

    /// Starts an upload.
    pub async fn begin(&self) -> Result<Upload, ApiError> {
        let temporary = Path::from(format!("uploads/{}", Id::new()));
        let upload = self
            .inner
            .put_multipart(&temporary)
            .await
            .map_err(unavailable)?;
        Ok(Upload {
            store: self.clone(),
            temporary,
            writer: Some(WriteMultipart::new_with_chunk_size(upload, self.part)),
            hash: Sha256::new(),
            size: 0,
            head: Vec::new(),
        })
    }

    /// The objects under `prefix`.
    pub fn list(
        &self,
        prefix: &str,
    ) -> BoxStream<'static, object_store::Result<object_store::ObjectMeta>> {
        self.inner.list(Some(&Path::from(prefix)))
    }

    /// When an object was last written, if it is there.
    pub async fn modified(&self, location: &Path) -> Option<chrono::DateTime<chrono::Utc>> {
        self.inner
            .head(location)
            .await
            .ok()
            .map(|m| m.last_modified)
    }

    /// Removes an object: whether it was there.
    pub async fn remove(&self, location: &Path) -> bool {
        self.inner.delete(location).await.is_ok()
    }

    /// Stores bytes held in memory (the demo's small files).
    pub async fn put(&self, bytes: &[u8]) -> Result<Stored, ApiError> {
        let mut upload = self.begin().await?;
        upload.write(bytes).await?;
        upload.finish().await
    }

    /// The bytes of `sha256`, or the `range` of them.
    pub async fn read(
        &self,
        sha256: &str,
        range: Option<Range<u64>>,
    ) -> Result<BoxStream<'static, object_store::Result<Bytes>>, ApiError> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..Default::default()
        };
        let found = self
            .inner
            .get_opts(&Self::key(sha256), options)
            .await
            .map_err(unavailable)?;
        Ok(found.into_stream())
    }
}

/// An upload under way: streamed into a temporary object and hashed.
pub struct Upload {
    store: PaperStore,
    temporary: Path,
    writer: Option<WriteMultipart>,
    hash: Sha256,
    size: u64,
    /// The first bytes, for [`sniff`].
    pub head: Vec<u8>,
}

/// A stored file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub sha256: String,
    pub size: u64,
}

impl Upload {
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Adds a chunk, waiting while earlier parts are being written.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), ApiError> {
        if self.head.len() < sniff::HEAD {
            let wanted = (sniff::HEAD - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..wanted]);
        }
        self.hash.update(chunk);
        self.size += chunk.len() as u64;
        let writer = self
            .writer
            .as_mut()
            .ok_or_else(|| ApiError::internal("an upload written after its end"))?;
        writer
            .wait_for_capacity(PARTS_IN_FLIGHT)
            .await
            .map_err(unavailable)?;
        writer.write(chunk);
        Ok(())
    }

    /// Gives the upload up: nothing is kept.
    pub async fn abort(mut self) {
        if let Some(writer) = self.writer.take() {
            if let Err(e) = writer.abort().await {
                log::warn!("paper storage: an upload not aborted: {e}");
            }
        }
        let _ = self.store.inner.delete(&self.temporary).await;
    }

    /// Completes the upload and keeps the bytes under their SHA-256. Bytes
    /// already stored are the same bytes: they are written over, which
    /// renews their time, so the sweep's grace period starts again for bytes
    /// no row names yet (a file uploaded again after an earlier try failed).
    pub async fn finish(mut self) -> Result<Stored, ApiError> {
        let writer = self
            .writer
            .take()
            .ok_or_else(|| ApiError::internal("an upload finished twice"))?;
        writer.finish().await.map_err(unavailable)?;
        let sha256: String = self
            .hash
            .clone()
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let key = PaperStore::key(&sha256);
        if let Err(e) = self.store.inner.rename(&self.temporary, &key).await {
            let _ = self.store.inner.delete(&self.temporary).await;
            return Err(unavailable(e));
        }
        Ok(Stored {
            sha256,
            size: self.size,
        })
    }
}
