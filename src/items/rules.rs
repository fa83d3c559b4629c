//! Agenda item and decision rules, and the redaction of confidential items.

use serde::Deserialize;
use utoipa::ToSchema;

use crate::db::Id;
use crate::validate::{patch_nullable, Errors, Refusal};

/// Most items one meeting may have: an agenda is read whole.
pub const MAX_ITEMS_PER_MEETING: i64 = 500;
/// Largest position on an agenda.
pub const MAX_ORDER: i32 = 100_000;
/// The heading a confidential item shows where its content is withheld.
pub const CONFIDENTIAL_TITLE: &str = "Confidential item";

/// Body of `POST /v1/meetings/{id}/items`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"number": "3.", "title": "Governance", "minutes": "Members noted the Joint Case Review Report.", "confidential": false})))]
pub struct CreateItem {
    /// As written on the agenda: "2.1", "4.2", "Item 7"; null when unnumbered.
    #[schema(schema_with = crate::validate::Text::<20>::optional_line)]
    pub number: Option<String>,
    #[schema(schema_with = crate::validate::Text::<300>::line)]
    pub title: String,
    /// The presenter's id or initials.
    #[schema(schema_with = crate::names::nullable_person)]
    pub presenter_person_id: Option<Id>,
    /// What the minutes say (Markdown).
    #[schema(schema_with = crate::validate::Text::<100000>::optional_paragraph)]
    pub minutes: Option<String>,
    pub confidential: Option<bool>,
    /// Discussed but not minuted: the item has no minutes text.
    pub not_minuted: Option<bool>,
    /// Position on the agenda; defaults to after the last item.
    #[serde(default, deserialize_with = "crate::validate::whole_number")]
    #[schema(minimum = 0, maximum = 100_000)]
    pub order: Option<i32>,
}

/// Body of `PATCH /v1/meetings/{id}/items/{item_id}`; `null` clears.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateItem {
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(schema_with = crate::validate::Text::<20>::optional_line)]
    pub number: Option<Option<String>>,
    #[schema(schema_with = crate::validate::Text::<300>::nullable_line)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(schema_with = crate::names::nullable_person)]
    pub presenter_person_id: Option<Option<Id>>,
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(schema_with = crate::validate::Text::<100000>::optional_paragraph)]
    pub minutes: Option<Option<String>>,
    pub confidential: Option<bool>,
    pub not_minuted: Option<bool>,
    #[serde(default, deserialize_with = "crate::validate::whole_number")]
    #[schema(minimum = 0, maximum = 100_000)]
    pub order: Option<i32>,
}

/// The validated fields of an item.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemFields {
    pub number: Option<String>,
    pub title: String,
    pub presenter_person_id: Option<Id>,
    pub minutes: Option<String>,
    pub confidential: bool,
    pub not_minuted: bool,
    pub order: Option<i32>,
}

pub fn from_create(form: CreateItem) -> Result<ItemFields, Refusal> {
    validate(ItemFields {
        number: form.number,
        title: form.title,
        presenter_person_id: form.presenter_person_id,
        minutes: form.minutes,
        confidential: form.confidential.unwrap_or(false),
        not_minuted: form.not_minuted.unwrap_or(false),
        order: form.order,
    })
}

pub fn apply(current: ItemFields, patch: UpdateItem) -> Result<ItemFields, Refusal> {
    validate(ItemFields {
        number: patch.number.unwrap_or(current.number),
        title: patch.title.unwrap_or(current.title),
        presenter_person_id: patch
            .presenter_person_id
            .unwrap_or(current.presenter_person_id),
        minutes: patch.minutes.unwrap_or(current.minutes),
        confidential: patch.confidential.unwrap_or(current.confidential),
        not_minuted: patch.not_minuted.unwrap_or(current.not_minuted),
        order: patch.order.or(current.order),
    })
}

pub fn validate(fields: ItemFields) -> Result<ItemFields, Refusal> {
    let mut errors = Errors::new();
    let number = errors.optional_text("number", fields.number.as_deref(), 20);
    let title = errors.text("title", &fields.title, 300);
    let minutes = errors.optional_long_text("minutes", fields.minutes.as_deref(), 100_000);
    if fields.not_minuted && minutes.is_some() {
        errors.add(
            "minutes",
            "an item discussed but not minuted (not_minuted) has no minutes text",
        );
    }
    if fields.order.is_some_and(|o| !(0..=MAX_ORDER).contains(&o)) {
        errors.add("order", format!("must be 0 to {MAX_ORDER}"));
    }
    errors.finish()?;
    Ok(ItemFields {
        number,
        title,
        minutes,
        ..fields
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item() -> CreateItem {
        CreateItem {
            number: Some(" 2.1 ".into()),
            title: "Business priorities".into(),
            presenter_person_id: None,
            minutes: Some("Members considered the business plan.\n\n- Neglect".into()),
            confidential: None,
            not_minuted: None,
            order: None,
        }
    }

    #[test]
    fn minutes_keep_their_lines() {
        let f = from_create(item()).unwrap();
        assert_eq!(f.number.as_deref(), Some("2.1"));
        assert!(f.minutes.unwrap().contains("\n\n- Neglect"));
    }

    #[test]
    fn not_minuted_items_have_no_text() {
        let with_text = CreateItem {
            not_minuted: Some(true),
            ..item()
        };
        assert!(from_create(with_text).is_err());
        let budget = CreateItem {
            number: Some("7".into()),
            title: "2020-21 Budget".into(),
            minutes: None,
            not_minuted: Some(true),
            ..item()
        };
        assert!(from_create(budget).unwrap().minutes.is_none());
    }
}
