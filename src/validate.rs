//! Collects every invalid field of a request so the caller can fix them all at once.

use crate::error::{ApiError, FieldError};

#[derive(Debug, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Trimmed text of 1 to `max` characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize) -> String {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            self.add(field, "must not be blank");
        } else if trimmed.chars().count() > max {
            self.add(field, format!("must be at most {max} characters"));
        } else if trimmed.chars().any(|c| c.is_control()) {
            self.add(field, "must not contain control characters");
        }
        trimmed.to_owned()
    }

    /// Text of several lines (Markdown minutes): newlines and tabs allowed,
    /// other control characters refused; blank becomes absent.
    pub fn optional_long_text(
        &mut self,
        field: &str,
        value: Option<&str>,
        max: usize,
    ) -> Option<String> {
        let value = value.map(str::trim).filter(|v| !v.is_empty())?;
        if value.chars().count() > max {
            self.add(field, format!("must be at most {max} characters"));
        } else if value
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            self.add(
                field,
                "must not contain control characters other than line breaks and tabs",
            );
        }
        Some(value.to_owned())
    }

    /// Optional text: blank becomes absent.
    pub fn optional_text(
        &mut self,
        field: &str,
        value: Option<&str>,
        max: usize,
    ) -> Option<String> {
        match value.map(str::trim) {
            None | Some("") => None,
            Some(v) => Some(self.text(field, v, max)),
        }
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.0))
        }
    }
}

/// For PATCH bodies: tells a field sent as `null` (clear it) from one left out
/// (keep it). Use with `#[serde(default, deserialize_with = "patch_nullable")]`.
pub fn patch_nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    use serde::Deserialize;
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_all_errors() {
        let mut e = Errors::new();
        assert_eq!(e.text("name", "  Board  ", 10), "Board");
        e.text("title", "   ", 10);
        e.text("area", "far too long for this", 10);
        match e.finish() {
            Err(ApiError::Validation(errors)) => {
                assert_eq!(
                    errors.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(),
                    ["title", "area"]
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn patch_tells_null_from_missing() {
        #[derive(serde::Deserialize)]
        struct P {
            #[serde(default, deserialize_with = "patch_nullable")]
            job_title: Option<Option<String>>,
        }
        let missing: P = serde_json::from_str("{}").unwrap();
        assert_eq!(missing.job_title, None);
        let null: P = serde_json::from_str(r#"{"job_title": null}"#).unwrap();
        assert_eq!(null.job_title, Some(None));
        let set: P = serde_json::from_str(r#"{"job_title": "Chair"}"#).unwrap();
        assert_eq!(set.job_title, Some(Some("Chair".into())));
    }
}
