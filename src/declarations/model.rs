//! Declaration rows and queries.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::db::schema::declarations;
use crate::db::store::{self, Expected};
use crate::db::Page;
use crate::db::{DbConnection, Id, MultiBackend, Tx, UtcTime};
use crate::error::ApiError;
use crate::meetings::model::{begin_edit, Meeting};
use crate::validate::Errors;

/// A declaration of interest.
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
#[diesel(table_name = declarations, treat_none_as_null = true)]
pub struct Declaration {
    pub id: Id,
    pub meeting_id: Id,
    pub partnership_id: Id,
    pub person_id: Id,
    /// The item the interest concerns, if one.
    pub item_id: Option<Id>,
    pub text: String,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

/// Body of `POST /v1/meetings/{id}/declarations`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDeclaration {
    /// Who declared it: id or initials.
    #[schema(schema_with = crate::names::person)]
    pub person_id: Id,
    pub item_id: Option<Id>,
    #[schema(schema_with = crate::validate::Text::<2000>::paragraph)]
    pub text: String,
}

crate::record!(Declaration, "declaration", declarations);
crate::batch_insert!(Declaration, crate::db::schema::declarations);

pub fn create(
    tx: &mut Tx<'_>,
    actor: &Principal,
    meeting: &Meeting,
    form: CreateDeclaration,
) -> Result<Declaration, ApiError> {
    let mut errors = Errors::new();
    let text = errors.optional_long_text("text", Some(&form.text), 2_000);
    if text.is_none() {
        errors.add("text", "must not be blank");
    }
    if crate::people::model::find(tx, meeting.partnership_id, form.person_id).is_err() {
        errors.missing("person_id", "no such person in this partnership");
    }
    if let Some(item) = form.item_id {
        if crate::items::model::find(tx, meeting.id, item).is_err() {
            errors.missing("item_id", "no such item in this meeting");
        }
    }
    errors.finish()?;
    if meeting.no_declarations {
        return Err(ApiError::conflict(
            "the minutes record that there were no declarations; clear no_declarations first",
        ));
    }
    begin_edit(tx, actor, meeting)?;
    let now = tx.now();
    let record = Declaration {
        id: Id::new(),
        meeting_id: meeting.id,
        partnership_id: meeting.partnership_id,
        person_id: form.person_id,
        item_id: form.item_id,
        text: text.unwrap_or_default(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store::insert(tx, actor, &record)?;
    Ok(record)
}

/// What a redacted copy shows instead of a declaration's text when the
/// declaration concerns a confidential item.
pub const WITHHELD: &str = "Withheld: the declaration concerns a confidential item.";

/// Withholds the text of declarations on `confidential` items (for viewers
/// and the public copy).
pub fn redact(declarations: Vec<Declaration>, confidential: &[Id]) -> Vec<Declaration> {
    declarations
        .into_iter()
        .map(|d| match d.item_id {
            Some(item) if confidential.contains(&item) => Declaration {
                text: WITHHELD.to_owned(),
                ..d
            },
            _ => d,
        })
        .collect()
}

/// One page of the meeting's declarations, in the order made.
pub fn page_of_meeting(
    conn: &mut DbConnection,
    meeting_id: Id,
    page: &Page,
) -> Result<Vec<Declaration>, ApiError> {
    Ok(page_of_meeting_query(meeting_id, page).load(conn)?)
}

/// A page of declarations as [`page_of_meeting`] reads it.
pub type DeclarationQuery = declarations::BoxedQuery<
    'static,
    MultiBackend,
    diesel::dsl::AsSelect<Declaration, MultiBackend>,
>;

/// The query [`page_of_meeting`] runs (public so that a test can `EXPLAIN` it).
pub fn page_of_meeting_query(meeting_id: Id, page: &Page) -> DeclarationQuery {
    let mut query = declarations::table
        .filter(declarations::meeting_id.eq(meeting_id))
        .order(declarations::id.asc())
        .select(Declaration::as_select())
        .limit(page.fetch())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(declarations::id.gt(after));
    }
    query
}

/// Every declaration of the meeting, in the order made (the minutes).
pub fn of_meeting(conn: &mut DbConnection, meeting_id: Id) -> Result<Vec<Declaration>, ApiError> {
    Ok(declarations::table
        .filter(declarations::meeting_id.eq(meeting_id))
        .order(declarations::id.asc())
        .select(Declaration::as_select())
        .load(conn)?)
}

/// Removes a declaration recorded in error.
pub fn delete(
    tx: &mut Tx<'_>,
    actor: &Principal,
    meeting: &Meeting,
    id: Id,
    expected: Expected,
) -> Result<(), ApiError> {
    let before = declarations::table
        .filter(declarations::meeting_id.eq(meeting.id))
        .filter(declarations::id.eq(id))
        .select(Declaration::as_select())
        .first(&mut **tx)
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such declaration"))?;
    store::check(expected, before.version)?;
    begin_edit(tx, actor, meeting)?;
    store::delete(tx, actor, &before, expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_on_confidential_items_are_withheld() {
        let now = UtcTime::now();
        let (secret, open) = (Id::new(), Id::new());
        let declaration = |item: Option<Id>| Declaration {
            id: Id::new(),
            meeting_id: Id::new(),
            partnership_id: Id::new(),
            person_id: Id::new(),
            item_id: item,
            text: "Knows the family concerned.".into(),
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let shown = redact(
            vec![
                declaration(Some(secret)),
                declaration(Some(open)),
                declaration(None),
            ],
            &[secret],
        );
        let texts: Vec<&str> = shown.iter().map(|d| d.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                WITHHELD,
                "Knows the family concerned.",
                "Knows the family concerned."
            ]
        );
    }
}
