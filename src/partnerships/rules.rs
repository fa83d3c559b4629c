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
    /// How action references read (see [`ReferenceFormat`]); default
    /// `Action No {number}[ ({date}[ ref {item}])]`.
    #[schema(schema_with = reference_format_schema)]
    pub action_reference_format: Option<String>,
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
    #[schema(schema_with = reference_format_schema)]
    pub action_reference_format: Option<String>,
}

/// The validated, editable fields of a partnership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnershipFields {
    pub name: String,
    pub slug: String,
    pub area: String,
    pub action_reference_format: String,
}

/// The partnership's format of action references, as in its minutes:
/// `{number}` (the action's number), `{date}` (the date of the meeting that
/// agreed it, `23.10.19`), `{item}` (that item's number, `3.1`) and
/// `{group}` (the group's short name). Text in `[...]` is left out when a
/// placeholder inside it has no value, e.g. an action agreed outside a meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceFormat(String);

pub const DEFAULT_REFERENCE_FORMAT: &str = "Action No {number}[ ({date}[ ref {item}])]";

/// The values a reference is written from.
#[derive(Debug, Clone, Default)]
pub struct ReferenceParts<'a> {
    pub number: i64,
    pub date: Option<&'a str>,
    pub item: Option<&'a str>,
    pub group: Option<&'a str>,
}

const PLACEHOLDERS: [&str; 4] = ["number", "date", "item", "group"];

/// Published form of a format: printable text with `{number}`, at most 200
/// characters; `null` (or left out) is the default on create, and keeps the
/// format on PATCH.
pub fn reference_format_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{SchemaType, Type};
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .min_length(Some(8))
        .max_length(Some(200))
        .pattern(Some(
            r"^[^\u0000-\u001f\u007f-\u009f]*\{number\}[^\u0000-\u001f\u007f-\u009f]*$",
        ))
        .examples(["Action No {number}[ ({date}[ ref {item}])]"])
        .build()
}

impl ReferenceFormat {
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.chars().any(char::is_control) || text.chars().count() > 200 {
            return Err("must be at most 200 characters, without control characters".into());
        }
        let mut depth = 0_i32;
        let mut rest = text;
        let mut numbered = false;
        while let Some(c) = rest.chars().next() {
            match c {
                '[' => depth += 1,
                ']' => {
                    depth -= 1;
                    if depth < 0 {
                        return Err("has a ']' without its '['".into());
                    }
                }
                '{' => {
                    let end = rest
                        .find('}')
                        .ok_or_else(|| "has a '{' without its '}'".to_owned())?;
                    let name = &rest[1..end];
                    if !PLACEHOLDERS.contains(&name) {
                        return Err(format!(
                            "{{{name}}} is not one of {{number}}, {{date}}, {{item}}, {{group}}"
                        ));
                    }
                    numbered |= name == "number" && depth == 0;
                    rest = &rest[end + 1..];
                    continue;
                }
                '}' => return Err("has a '}' without its '{'".into()),
                _ => {}
            }
            rest = &rest[c.len_utf8()..];
        }
        if depth != 0 {
            return Err("has a '[' without its ']'".into());
        }
        if !numbered {
            return Err("must contain {number} outside any [...]".into());
        }
        Ok(ReferenceFormat(text.to_owned()))
    }

    /// The stored format; a stored value always parses.
    pub fn stored(text: &str) -> Self {
        Self::parse(text).unwrap_or_else(|_| ReferenceFormat(DEFAULT_REFERENCE_FORMAT.into()))
    }

    /// Whether references name the group (`{group}`).
    pub fn uses_group(&self) -> bool {
        self.0.contains("{group}")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The reference of one action.
    pub fn render(&self, parts: &ReferenceParts<'_>) -> String {
        let number = parts.number.to_string();
        let value = |name: &str| -> Option<&str> {
            match name {
                "number" => Some(number.as_str()),
                "date" => parts.date,
                "item" => parts.item,
                _ => parts.group,
            }
            .filter(|v| !v.is_empty())
        };
        // Each open section: the text so far, and whether a value was missing.
        let mut stack: Vec<(String, bool)> = vec![(String::new(), false)];
        let mut rest = self.0.as_str();
        while let Some(c) = rest.chars().next() {
            match c {
                '[' => stack.push((String::new(), false)),
                ']' => {
                    let (text, missing) = stack.pop().unwrap_or_default();
                    if let Some(outer) = stack.last_mut() {
                        if !missing {
                            outer.0.push_str(&text);
                        }
                    }
                }
                '{' => {
                    let end = rest.find('}').unwrap_or(rest.len() - 1);
                    let top = stack.last_mut().expect("the outermost section");
                    match value(&rest[1..end]) {
                        Some(v) => top.0.push_str(v),
                        None => top.1 = true,
                    }
                    rest = &rest[end + 1..];
                    continue;
                }
                other => stack
                    .last_mut()
                    .expect("the outermost section")
                    .0
                    .push(other),
            }
            rest = &rest[c.len_utf8()..];
        }
        stack.swap_remove(0).0
    }
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

pub fn validate(
    name: &str,
    slug: &str,
    area: &str,
    action_reference_format: &str,
) -> Result<PartnershipFields, Refusal> {
    let mut errors = Errors::new();
    let name = errors.text("name", name, 200);
    let area = errors.text("area", area, 200);
    let slug = slug.to_owned();
    if let Err(message) = check_slug(&slug) {
        errors.add("slug", message);
    }
    if let Err(message) = ReferenceFormat::parse(action_reference_format) {
        errors.add("action_reference_format", message);
    }
    errors.finish()?;
    Ok(PartnershipFields {
        name,
        slug,
        area,
        action_reference_format: action_reference_format.to_owned(),
    })
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
        patch
            .action_reference_format
            .as_deref()
            .unwrap_or(&current.action_reference_format),
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
        let current = validate(
            "Herefordshire SCP",
            "herefordshire",
            "Herefordshire",
            DEFAULT_REFERENCE_FORMAT,
        )
        .unwrap();
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

    #[test]
    fn references_in_the_seeds_format() {
        let format = ReferenceFormat::parse(DEFAULT_REFERENCE_FORMAT).unwrap();
        let parts = ReferenceParts {
            number: 14,
            date: Some("23.10.19"),
            item: Some("3.1"),
            group: Some("SPB"),
        };
        assert_eq!(format.render(&parts), "Action No 14 (23.10.19 ref 3.1)");
        let no_item = ReferenceParts {
            item: None,
            ..parts.clone()
        };
        assert_eq!(format.render(&no_item), "Action No 14 (23.10.19)");
        let no_meeting = ReferenceParts {
            number: 14,
            ..Default::default()
        };
        assert_eq!(format.render(&no_meeting), "Action No 14");
        let nested = ReferenceFormat::parse("{group}/{number}[ ({date}[ ref {item}])]").unwrap();
        assert_eq!(nested.render(&no_item), "SPB/14 (23.10.19)");
        assert_eq!(nested.render(&parts), "SPB/14 (23.10.19 ref 3.1)");
        let grouped = ReferenceFormat::parse("[{group} ]Action {number}").unwrap();
        assert_eq!(grouped.render(&parts), "SPB Action 14");
        assert_eq!(grouped.render(&no_meeting), "Action 14");
    }

    #[test]
    fn bad_reference_formats_are_refused() {
        for bad in [
            "Action",
            "[{number}]",
            "{number} {when}",
            "{number} [x",
            "{number} x]",
            "{number",
            "{number}\n",
        ] {
            assert!(ReferenceFormat::parse(bad).is_err(), "{bad}");
        }
    }
}
