//! Keyset pagination by id. Ids are UUIDv7, so id order is creation order and
//! records inserted while a client walks a list appear after the cursor: no
//! duplicates, no gaps. A cursor is the last id of the page as 32 hex digits:
//! opaque to clients, and not signed, because it only says where a list the
//! caller may read anyway resumes, and a published pattern can then say
//! exactly which cursors are valid. The request extractor is in
//! `crate::http::pagination`; models see only this plain type.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Id;
use crate::error::ApiError;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

fn encode(last: &Id) -> String {
    last.0.simple().to_string()
}

fn decode(cursor: &str) -> Option<Id> {
    let hex = cursor.len() == 32
        && cursor
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    hex.then(|| uuid::Uuid::parse_str(cursor).ok().map(Id))
        .flatten()
}

/// `?limit=` and `?cursor=` of a list request.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// How many items to return: 1 to 500, default 50.
    #[param(minimum = 1, maximum = 500, nullable = false)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^[0-9a-f]{32}$", nullable = false)]
    pub cursor: Option<String>,
}

/// A validated page request.
#[derive(Clone)]
pub struct Page {
    pub limit: i64,
    pub after: Option<Id>,
}

/// One page of a list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Paginated<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl Page {
    pub fn parse(query: PageQuery) -> Result<Self, ApiError> {
        let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::BadRequest(format!(
                "limit must be between 1 and {MAX_LIMIT}"
            )));
        }
        let after = match query.cursor.as_deref() {
            None => None,
            Some(c) => Some(decode(c).ok_or_else(|| {
                ApiError::bad_request(
                    "the cursor is not one this service issued; start again without it",
                )
            })?),
        };
        Ok(Page { limit, after })
    }

    /// Lists in commit order (the audit log) page by a sequence number; the
    /// cursor has the same published form, the number in hex.
    pub fn position(seq: i64) -> Id {
        Id(uuid::Uuid::from_u128(u128::try_from(seq).unwrap_or(0)))
    }

    /// The sequence number a cursor names (past the end when it names more
    /// than any list holds).
    pub fn after_seq(&self) -> Option<i64> {
        self.after
            .map(|id| i64::try_from(id.0.as_u128()).unwrap_or(i64::MAX))
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
            rows.last().map(|r| encode(&id_of(r)))
        } else {
            None
        };
        Paginated {
            items: rows,
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips() {
        let id = Id::new();
        assert_eq!(decode(&encode(&id)), Some(id));
        assert_eq!(encode(&id).len(), 32);
    }

    #[test]
    fn only_the_published_pattern_is_a_cursor() {
        let id = Id::new();
        assert_eq!(decode(&encode(&id).to_uppercase()), None);
        assert_eq!(decode(&id.to_string()), None, "hyphens are not part of it");
        assert_eq!(decode("not a cursor"), None);
        assert_eq!(decode(""), None);
    }

    #[test]
    fn limit_bounds() {
        let q = |limit| PageQuery {
            limit: Some(limit),
            cursor: None,
        };
        assert!(Page::parse(q(0)).is_err());
        assert!(Page::parse(q(501)).is_err());
        assert_eq!(Page::parse(q(500)).ok().map(|p| p.limit), Some(500));
    }

    #[test]
    fn finish_sets_cursor_only_when_more() {
        let page = Page::parse(PageQuery {
            limit: Some(2),
            cursor: None,
        })
        .unwrap();
        let ids: Vec<Id> = (0..3).map(|_| Id::new()).collect();
        let out = page.finish(ids.clone(), |i| *i);
        assert_eq!(out.items.len(), 2);
        assert_eq!(decode(out.next_cursor.as_deref().unwrap()), Some(ids[1]));
        let out = page.finish(ids[..2].to_vec(), |i| *i);
        assert!(out.next_cursor.is_none());
    }
}
