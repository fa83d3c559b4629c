//! The sweep: bytes no paper version names, and uploads never finished,
//! are removed once older than a grace period (`PAPER_SWEEP_GRACE_SECONDS`,
//! an hour by default). Bytes are stored before their row is written, so a
//! crash (or a refusal) between the two leaves bytes nobody names: the grace
//! period lets an upload under way write its row first. Each instance
//! sweeps at start and then hourly; two sweeping at once only delete the
//! same files.

use std::collections::BTreeSet;
use std::time::Duration;

use diesel::prelude::*;
use futures_util::StreamExt;

use super::storage::PaperStore;
use crate::db::schema::paper_versions;
use crate::db::{self, DbPool};
use crate::error::ApiError;

/// How often an instance sweeps.
pub const EVERY: Duration = Duration::from_secs(3_600);

/// What one sweep removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub orphans: usize,
    pub unfinished: usize,
}

/// Sweeps once.
pub async fn sweep(pool: &DbPool, store: &PaperStore, grace: Duration) -> Result<Swept, ApiError> {
    let before = chrono::Duration::from_std(grace)
        .ok()
        .and_then(|g| chrono::Utc::now().checked_sub_signed(g))
        .ok_or_else(|| ApiError::internal("a sweep's grace period out of range"))?;
    let mut swept = Swept::default();
    // Listed first, so a row written after the look names bytes older than it.
    let mut stored = Vec::new();
    let mut listing = store.list("sha256");
    while let Some(meta) = listing.next().await {
        let meta = meta.map_err(|e| {
            log::error!("paper sweep: {e}");
            ApiError::Unavailable
        })?;
        if meta.last_modified < before {
            stored.push(meta.location);
        }
    }
    let hashes: Vec<String> = stored
        .iter()
        .filter_map(|p| p.filename().map(str::to_owned))
        .collect();
    let named: BTreeSet<String> = db::read(pool, move |conn| {
        let mut named = BTreeSet::new();
        for chunk in hashes.chunks(db::IDS_PER_QUERY) {
            named.extend(
                paper_versions::table
                    .filter(paper_versions::sha256.eq_any(chunk))
                    .select(paper_versions::sha256)
                    .distinct()
                    .load::<String>(conn)?,
            );
        }
        Ok(named)
    })
    .await?;
    for location in stored {
        if location.filename().is_none_or(|h| named.contains(h)) {
            continue;
        }
        // Looked at again just before it goes: an upload of the same bytes
        // since the listing wrote them anew (its row may not be there yet).
        let still_old = store.modified(&location).await.is_some_and(|m| m < before);
        if still_old && store.remove(&location).await {
            swept.orphans += 1;
        }
    }
    let mut listing = store.list("uploads");
    let mut old = Vec::new();
    while let Some(Ok(meta)) = listing.next().await {
        if meta.last_modified < before {
            old.push(meta.location);
        }
    }
    for location in old {
        if store.remove(&location).await {
            swept.unfinished += 1;
        }
    }
    Ok(swept)
}

/// Sweeps now and every [`EVERY`], until the task is dropped.
pub async fn run(pool: DbPool, store: PaperStore, grace: Duration) {
    loop {
        match sweep(&pool, &store, grace).await {
            Ok(s) if s != Swept::default() => log::info!(
                "paper sweep: removed {} unnamed files and {} unfinished uploads",
                s.orphans,
                s.unfinished
            ),
            Ok(_) => {}
            Err(e) => log::warn!("paper sweep failed: {e}"),
        }
        tokio::time::sleep(EVERY).await;
    }
}
