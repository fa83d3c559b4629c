//! Keyset pagination by id. Ids are UUIDv7, so id order is creation order and
//! records inserted while a client walks a list appear after the cursor: no
//! duplicates, no gaps. Cursors are opaque and signed, so a tampered one is a 400.

use std::future::{ready, Ready};
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::{IntoParams, ToSchema};

use crate::db::Id;
use crate::error::ApiError;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;
const TAG_LEN: usize = 8;

/// Signs and checks cursors; the key is derived once at start-up.
#[derive(Clone)]
pub struct CursorKey(Arc<[u8]>);

impl CursorKey {
    pub fn derive(secret: &[u8]) -> Self {
        use sha2::Digest;
        let mut hasher = Sha256::new();
        hasher.update(b"safeguarding-api cursor key\0");
        hasher.update(secret);
        CursorKey(Arc::from(&hasher.finalize()[..]))
    }

    fn tag(&self, id: &Id) -> [u8; TAG_LEN] {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(id.0.as_bytes());
        let full = mac.finalize().into_bytes();
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&full[..TAG_LEN]);
        tag
    }

    pub fn encode(&self, last: &Id) -> String {
        let mut raw = Vec::with_capacity(16 + TAG_LEN);
        raw.extend_from_slice(last.0.as_bytes());
        raw.extend_from_slice(&self.tag(last));
        URL_SAFE_NO_PAD.encode(raw)
    }

    pub fn decode(&self, cursor: &str) -> Option<Id> {
        let raw = URL_SAFE_NO_PAD.decode(cursor).ok()?;
        if raw.len() != 16 + TAG_LEN {
            return None;
        }
        let id = Id(uuid::Uuid::from_slice(&raw[..16]).ok()?);
        let expected = self.tag(&id);
        // Constant-time comparison: the tag is a MAC.
        let same = expected
            .iter()
            .zip(&raw[16..])
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
        same.then_some(id)
    }
}

/// `?limit=` and `?cursor=` of a list request.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// How many items to return: 1 to 500, default 50.
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A validated page request.
#[derive(Clone)]
pub struct Page {
    pub limit: i64,
    pub after: Option<Id>,
    key: CursorKey,
}

/// One page of a list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Paginated<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl Page {
    pub fn parse(query: PageQuery, key: CursorKey) -> Result<Self, ApiError> {
        let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::BadRequest(format!(
                "limit must be between 1 and {MAX_LIMIT}"
            )));
        }
        let after = match query.cursor.as_deref() {
            None | Some("") => None,
            Some(c) => Some(key.decode(c).ok_or_else(|| {
                ApiError::bad_request(
                    "the cursor is not one this service issued; start again without it",
                )
            })?),
        };
        Ok(Page { limit, after, key })
    }

    /// How many rows to fetch: one more than the page, to learn whether another follows.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }

    /// Turns the fetched rows (ordered by id, at most `fetch()` of them) into a page.
    pub fn finish<T>(&self, mut rows: Vec<T>, id_of: impl Fn(&T) -> Id) -> Paginated<T> {
        let more = rows.len() as i64 > self.limit;
        rows.truncate(self.limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| self.key.encode(&id_of(r)))
        } else {
            None
        };
        Paginated {
            items: rows,
            next_cursor,
        }
    }
}

impl FromRequest for Page {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let key = match req.app_data::<CursorKey>() {
            Some(k) => k.clone(),
            None => return ready(Err(ApiError::internal("cursor key not configured"))),
        };
        ready(
            web::Query::<PageQuery>::from_query(req.query_string())
                .map_err(|e| ApiError::bad_request(format!("invalid limit or cursor: {e}")))
                .and_then(|q| Page::parse(q.into_inner(), key)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> CursorKey {
        CursorKey::derive(b"test secret")
    }

    #[test]
    fn cursor_round_trips() {
        let id = Id::new();
        assert_eq!(key().decode(&key().encode(&id)), Some(id));
    }

    #[test]
    fn tampered_cursor_is_refused() {
        let id = Id::new();
        let mut cursor = key().encode(&id).into_bytes();
        cursor[3] = if cursor[3] == b'A' { b'B' } else { b'A' };
        assert_eq!(key().decode(std::str::from_utf8(&cursor).unwrap()), None);
        assert_eq!(key().decode("not a cursor"), None);
        assert_eq!(CursorKey::derive(b"other").decode(&key().encode(&id)), None);
    }

    #[test]
    fn limit_bounds() {
        let q = |limit| PageQuery {
            limit: Some(limit),
            cursor: None,
        };
        assert!(Page::parse(q(0), key()).is_err());
        assert!(Page::parse(q(501), key()).is_err());
        assert_eq!(Page::parse(q(500), key()).ok().map(|p| p.limit), Some(500));
    }

    #[test]
    fn finish_sets_cursor_only_when_more() {
        let page = Page::parse(
            PageQuery {
                limit: Some(2),
                cursor: None,
            },
            key(),
        )
        .unwrap();
        let ids: Vec<Id> = (0..3).map(|_| Id::new()).collect();
        let out = page.finish(ids.clone(), |i| *i);
        assert_eq!(out.items.len(), 2);
        assert_eq!(
            key().decode(out.next_cursor.as_deref().unwrap()),
            Some(ids[1])
        );
        let out = page.finish(ids[..2].to_vec(), |i| *i);
        assert!(out.next_cursor.is_none());
    }
}
