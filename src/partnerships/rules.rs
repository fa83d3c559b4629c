//! Rules of a partnership's fields, as plain functions.

use serde::Deserialize;
use utoipa::ToSchema;

use crate::validate::{Errors, Refusal};

/// Body of `POST /v1/partnerships`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"name": "Herefordshire Safeguarding Children Partnership", "slug": "herefordshire", "area": "Herefordshire"})))]
pub struct CreatePartnership {
    /// e.g. "Herefordshire Safeguarding Children Partnership".
    #[schema(schema_with = crate::validate::Text::<200>::line)]
    pub name: String,
    /// Unique, URL-safe: lowercase letters, digits and hyphens, e.g. "herefordshire".
    #[schema(min_length = 2, max_length = 63, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$")]
    pub slug: String,
    /// The local area served, e.g. "Herefordshire".
    #[schema(schema_with = crate::validate::Text::<200>::line)]
    pub area: String,
}

/// Body of `PATCH /v1/partnerships/{id}`: fields left out are kept.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePartnership {
    #[schema(schema_with = crate::validate::Text::<200>::nullable_line)]
    pub name: Option<String>,
    #[schema(min_length = 2, max_length = 63, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$")]
    pub slug: Option<String>,
    #[schema(schema_with = crate::validate::Text::<200>::nullable_line)]
    pub area: Option<String>,
}

/// The validated, editable fields of a partnership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnershipFields {
    pub name: String,
    pub slug: String,
    pub area: String,
}

/// A slug: 2 to 63 lowercase letters, digits and single hyphens, not at either end.
pub fn check_slug(slug: &str) -> Result<(), &'static str> {
    let ok_chars = slug
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !(2..=63).contains(&slug.len())
        || !ok_chars
        || slug.starts_with('-')
        || slug.ends_with('-')
        || slug.contains("--")
    {
        return Err(
            "must be 2 to 63 lowercase letters, digits and single hyphens, e.g. herefordshire",
        );
    }
    Ok(())
}

pub fn validate(name: &str, slug: &str, area: &str) -> Result<PartnershipFields, Refusal> {
    let mut errors = Errors::new();
    let name = errors.text("name", name, 200);
    let area = errors.text("area", area, 200);
    let slug = slug.to_owned();
    if let Err(message) = check_slug(&slug) {
        errors.add("slug", message);
    }
    errors.finish()?;
    Ok(PartnershipFields { name, slug, area })
}

/// Applies a PATCH to the current fields.
pub fn apply(
    current: PartnershipFields,
    patch: UpdatePartnership,
) -> Result<PartnershipFields, Refusal> {
    validate(
        patch.name.as_deref().unwrap_or(&current.name),
        patch.slug.as_deref().unwrap_or(&current.slug),
        patch.area.as_deref().unwrap_or(&current.area),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(check_slug("herefordshire").is_ok());
        assert!(check_slug("nottingham-city-2").is_ok());
        for bad in ["H", "Herefordshire", "-x", "x-", "a--b", "a b", "é"] {
            assert!(check_slug(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn patch_keeps_unsent_fields() {
        let current = validate("Herefordshire SCP", "herefordshire", "Herefordshire").unwrap();
        let after = apply(
            current.clone(),
            UpdatePartnership {
                area: Some("County of Herefordshire".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(after.name, current.name);
        assert_eq!(after.area, "County of Herefordshire");
    }
}
