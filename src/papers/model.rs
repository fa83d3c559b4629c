//! Paper rows: a paper belongs to an agenda item, names its current version
//! (file name, type, size, SHA-256) and keeps every earlier one in
//! `paper_versions`. Written through the store (versioned, audited) and into
//! the meeting's minutes: while they are approved, papers are not added,
//! replaced or withdrawn (409), as any record of them.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::storage::Stored;
use crate::auth::Principal;
use crate::db::schema::{paper_versions, papers};
use crate::db::store::{self, Expected};
use crate::db::{DbConnection, Id, MultiBackend, Tx, UtcTime};
use crate::error::ApiError;
use crate::items::model::AgendaItem;
use crate::meetings::model::Meeting;
use crate::validate::Errors;

/// A paper attached to an agenda item: "Appendix D1: Violence Reduction Unit".
#[derive(
    Debug,
    Clone,
    PartialEq,
    Serialize,
    Deserialize,
    ToSchema,
    Queryable,
    Selectable,
    Insertable,
    AsChangeset,
)]
#[diesel(table_name = papers, treat_none_as_null = true)]
pub struct Paper {
    pub id: Id,
    pub partnership_id: Id,
    pub meeting_id: Id,
    pub item_id: Id,
    /// As the agenda names it: `Appendix D1`.
    pub label: Option<String>,
    pub title: String,
    /// The current version's file name, as uploaded.
    pub file_name: String,
    /// What its bytes are (checked when it was uploaded).
    pub content_type: String,
    #[schema(minimum = 0)]
    pub size_bytes: i64,
    /// The SHA-256 of the current version's bytes, in hex: the content's ETag.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub sha256: String,
    /// Withdrawn papers are kept for the record and still listed.
    pub withdrawn: bool,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

crate::record!(Paper, "paper", papers);

/// A version of a paper's content, as it was uploaded.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable, Selectable, Insertable)]
#[diesel(table_name = paper_versions)]
pub struct PaperVersion {
    pub paper_id: Id,
    #[schema(minimum = 1)]
    pub version: i32,
    pub file_name: String,
    pub content_type: String,
    #[schema(minimum = 0)]
    pub size_bytes: i64,
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub sha256: String,
    pub created_at: UtcTime,
}

/// `?label=&title=&file_name=` of an upload.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PaperQuery {
    /// As the agenda names it, e.g. `Appendix D1` (at most 50 characters).
    #[param(
        max_length = 50,
        nullable = false,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub label: Option<String>,
    /// A new title, e.g. `Violence Reduction Unit` (at most 300 characters).
    #[param(
        max_length = 300,
        nullable = false,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub title: Option<String>,
    /// The file's name, given back on download (at most 255 characters, no
    /// slashes); by default the title.
    #[param(
        max_length = 255,
        nullable = false,
        pattern = r"^[^/\\\u0000-\u001f\u007f-\u009f]*[^/\\\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^/\\\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub file_name: Option<String>,
}

/// `?label=&title=&file_name=` of a new paper: the title is required.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NewPaperQuery {
    /// As the agenda names it, e.g. `Appendix D1` (at most 50 characters).
    #[param(
        max_length = 50,
        nullable = false,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub label: Option<String>,
    /// e.g. `Violence Reduction Unit` (at most 300 characters).
    #[param(
        max_length = 300,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub title: String,
    /// The file's name, given back on download (at most 255 characters, no
    /// slashes); by default the title.
    #[param(
        max_length = 255,
        nullable = false,
        pattern = r"^[^/\\\u0000-\u001f\u007f-\u009f]*[^/\\\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^/\\\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub file_name: Option<String>,
}

impl From<NewPaperQuery> for PaperQuery {
    fn from(q: NewPaperQuery) -> Self {
        PaperQuery {
            label: q.label,
            title: Some(q.title),
            file_name: q.file_name,
        }
    }
}

/// `?version=` of a download.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContentQuery {
    /// An earlier version (approved minutes name the one they were approved with); the current one by default.
    #[param(minimum = 1, nullable = false)]
    pub version: Option<i32>,
}

/// What an upload names, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Described {
    pub label: Option<String>,
    pub title: String,
    pub file_name: String,
}

fn file_name(errors: &mut Errors, raw: &str) -> String {
    if raw.contains(['/', '\\']) {
        errors.add("file_name", "must be a file's name, without slashes");
    }
    errors.text("file_name", raw, 255)
}

/// Checks an upload's query: a title (and a label, a file name if given).
pub fn describe(query: &PaperQuery, adding: bool) -> Result<Described, ApiError> {
    let mut errors = Errors::new();
    let label = errors.optional_text("label", query.label.as_deref(), 50);
    let title = match (&query.title, adding) {
        (Some(t), _) => errors.text("title", t, 300),
        (None, true) => {
            errors.missing("title", "give the paper's title");
            String::new()
        }
        (None, false) => String::new(),
    };
    let file_name = match &query.file_name {
        Some(f) => file_name(&mut errors, f),
        None => String::new(),
    };
    errors.finish()?;
    Ok(Described {
        label,
        title,
        file_name,
    })
}

/// Adds a paper to an item of a meeting whose minutes are open.
pub fn create(
    tx: &mut Tx<'_>,
    actor: &Principal,
    meeting: &Meeting,
    item: &AgendaItem,
    described: Described,
    content_type: &str,
    stored: &Stored,
) -> Result<Paper, ApiError> {
    crate::meetings::model::begin_edit(tx, actor, meeting)?;
    let now = tx.now();
    let file_name = if described.file_name.is_empty() {
        described.title.clone()
    } else {
        described.file_name
    };
    let paper = Paper {
        id: Id::new(),
        partnership_id: meeting.partnership_id,
        meeting_id: meeting.id,
        item_id: item.id,
        label: described.label,
        title: described.title,
        file_name,
        content_type: content_type.to_owned(),
        size_bytes: size(stored)?,
        sha256: stored.sha256.clone(),
        withdrawn: false,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store::insert(tx, actor, &paper)?;
    keep_version(tx, &paper)?;
    Ok(paper)
}

fn size(stored: &Stored) -> Result<i64, ApiError> {
    i64::try_from(stored.size).map_err(|e| ApiError::internal(e.to_string()))
}

/// Records the paper's current content as one of its versions (a part of
/// the paper, written with it).
fn keep_version(tx: &mut Tx<'_>, paper: &Paper) -> Result<(), ApiError> {
    diesel::insert_into(paper_versions::table)
        .values(PaperVersion {
            paper_id: paper.id,
            version: paper.version,
            file_name: paper.file_name.clone(),
            content_type: paper.content_type.clone(),
            size_bytes: paper.size_bytes,
            sha256: paper.sha256.clone(),
            created_at: paper.updated_at,
        })
        .execute(&mut **tx)?;
    Ok(())
}

/// A new version of the paper's content (and its label or title, if given);
/// a withdrawn paper given new content is current again.
#[allow(clippy::too_many_arguments)]
pub fn replace(
    tx: &mut Tx<'_>,
    actor: &Principal,
    meeting: &Meeting,
    before: Paper,
    expected: Expected,
    described: Described,
    content_type: &str,
    stored: &Stored,
) -> Result<Paper, ApiError> {
    store::check(expected, before.version)?;
    crate::meetings::model::begin_edit(tx, actor, meeting)?;
    let after = Paper {
        label: described.label.or(before.label.clone()),
        title: if described.title.is_empty() {
            before.title.clone()
        } else {
            described.title
        },
        file_name: if described.file_name.is_empty() {
            before.file_name.clone()
        } else {
            described.file_name
        },
        content_type: content_type.to_owned(),
        size_bytes: size(stored)?,
        sha256: stored.sha256.clone(),
        withdrawn: false,
        ..before.clone()
    };
    let after = store::update(tx, actor, &before, after, expected)?;
    keep_version(tx, &after)?;
    Ok(after)
}

/// Withdraws a paper: kept, and still listed, for the record.
pub fn withdraw(
    tx: &mut Tx<'_>,
    actor: &Principal,
    meeting: &Meeting,
    before: Paper,
    expected: Expected,
) -> Result<Paper, ApiError> {
    store::check(expected, before.version)?;
    if before.withdrawn {
        return Err(ApiError::conflict("the paper is already withdrawn"));
    }
    crate::meetings::model::begin_edit(tx, actor, meeting)?;
    let after = Paper {
        withdrawn: true,
        ..before.clone()
    };
    let after = store::update(tx, actor, &before, after, expected)?;
    // The same bytes under the paper's new version, so a download of it,
    // and the minutes naming it, find them.
    keep_version(tx, &after)?;
    Ok(after)
}

pub fn find(conn: &mut DbConnection, item_id: Id, id: Id) -> Result<Paper, ApiError> {
    papers::table
        .filter(papers::item_id.eq(item_id))
        .filter(papers::id.eq(id))
        .select(Paper::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such paper"))
}

/// A page of an item's papers, oldest first.
pub fn page_of_item(
    conn: &mut DbConnection,
    item_id: Id,
    page: &crate::db::Page,
) -> Result<Vec<Paper>, ApiError> {
    Ok(page_of_item_query(item_id, page).load(conn)?)
}

/// A page of papers as [`page_of_item`] reads it.
pub type PaperListQuery =
    papers::BoxedQuery<'static, MultiBackend, diesel::dsl::AsSelect<Paper, MultiBackend>>;

/// The query [`page_of_item`] runs (public so that a test can `EXPLAIN` it).
pub fn page_of_item_query(item_id: Id, page: &crate::db::Page) -> PaperListQuery {
    let mut query = papers::table
        .filter(papers::item_id.eq(item_id))
        .order(papers::id.asc())
        .limit(page.fetch())
        .select(Paper::as_select())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(papers::id.gt(after));
    }
    query
}

/// A meeting's papers, oldest first.
pub fn of_meeting(conn: &mut DbConnection, meeting_id: Id) -> Result<Vec<Paper>, ApiError> {
    Ok(papers::table
        .filter(papers::meeting_id.eq(meeting_id))
        .order(papers::id.asc())
        .select(Paper::as_select())
        .load(conn)?)
}

/// How many papers an item has (an item with papers is not deleted).
pub fn count_of_item(conn: &mut DbConnection, item_id: Id) -> Result<i64, ApiError> {
    Ok(papers::table
        .filter(papers::item_id.eq(item_id))
        .count()
        .get_result(conn)?)
}

/// One version of a paper's content.
pub fn version(
    conn: &mut DbConnection,
    paper_id: Id,
    version: i32,
) -> Result<PaperVersion, ApiError> {
    paper_versions::table
        .filter(paper_versions::paper_id.eq(paper_id))
        .filter(paper_versions::version.eq(version))
        .select(PaperVersion::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such version of the paper"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_is_described_by_its_query() {
        let q = |title: Option<&str>, file: Option<&str>| PaperQuery {
            label: Some("Appendix D1".into()),
            title: title.map(str::to_owned),
            file_name: file.map(str::to_owned),
        };
        let d = describe(&q(Some("Violence Reduction Unit"), Some("vru.pdf")), true).unwrap();
        assert_eq!(d.label.as_deref(), Some("Appendix D1"));
        assert_eq!(d.file_name, "vru.pdf");
        assert!(
            describe(&q(None, None), true).is_err(),
            "a new paper needs a title"
        );
        assert!(
            describe(&q(None, None), false).is_ok(),
            "a new version keeps it"
        );
        assert!(describe(&q(Some("T"), Some("../../etc/passwd")), true).is_err());
        assert!(describe(&q(Some("T"), Some("a\\b.pdf")), true).is_err());
        assert!(describe(&q(Some("T\r\nX-Injected: 1"), None), true).is_err());
    }
}
