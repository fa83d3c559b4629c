//! Collects every invalid field of a request so the caller can fix them all at once.

use crate::error::{ApiError, FieldError};

#[derive(Debug, Default)]
pub struct Errors {
    invalid: Vec<FieldError>,
    missing: Vec<FieldError>,
}

impl Errors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.invalid.push(FieldError::new(field, message));
    }

    /// A field names a record that does not exist for the caller: 404,
    /// unless some field is also invalid (then 422 lists both).
    pub fn missing(&mut self, field: &str, message: impl Into<String>) {
        self.missing.push(FieldError::new(field, message));
    }

    /// A required single line: at most `max` characters, no control
    /// characters, not blank; stored trimmed. [`Text::line`] publishes it.
    pub fn text(&mut self, field: &str, value: &str, max: usize) -> String {
        if self.shape(field, value, max, false) && value.trim().is_empty() {
            self.add(field, "must not be blank");
        }
        value.trim().to_owned()
    }

    /// Text of several lines (Markdown minutes): newlines and tabs allowed,
    /// other control characters refused; blank becomes absent.
    /// [`Text::optional_paragraph`] publishes it.
    pub fn optional_long_text(
        &mut self,
        field: &str,
        value: Option<&str>,
        max: usize,
    ) -> Option<String> {
        let value = value?;
        self.shape(field, value, max, true);
        Some(value.trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// Optional single line: blank becomes absent. [`Text::optional_line`]
    /// publishes it.
    pub fn optional_text(
        &mut self,
        field: &str,
        value: Option<&str>,
        max: usize,
    ) -> Option<String> {
        let value = value?;
        self.shape(field, value, max, false);
        Some(value.trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// Length and characters, checked on the text as sent, as the published
    /// `maxLength` and `pattern` check it. Whether it was fine.
    fn shape(&mut self, field: &str, value: &str, max: usize, paragraph: bool) -> bool {
        let refused = if paragraph {
            is_control_in_paragraph
        } else {
            is_control
        };
        if value.chars().count() > max {
            self.add(field, format!("must be at most {max} characters"));
        } else if value.chars().any(refused) {
            let message = if paragraph {
                "must not contain control characters other than line breaks and tabs"
            } else {
                "must not contain control characters"
            };
            self.add(field, message);
        } else {
            return true;
        }
        false
    }

    pub fn finish(mut self) -> Result<(), Refusal> {
        if !self.invalid.is_empty() {
            self.invalid.append(&mut self.missing);
            Err(Refusal::Invalid(self.invalid))
        } else if !self.missing.is_empty() {
            Err(Refusal::Missing(self.missing))
        } else {
            Ok(())
        }
    }
}

/// Why a rule refused: what the rules modules answer, in the partnership's
/// terms. The HTTP edge turns it into problem+json (`From<Refusal> for
/// ApiError`): invalid fields 422, missing references 404, a conflict with
/// the record's state 409.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Invalid(Vec<FieldError>),
    Missing(Vec<FieldError>),
    Conflict(String),
}

impl Refusal {
    pub fn conflict(detail: impl Into<String>) -> Self {
        Refusal::Conflict(detail.into())
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Invalid(fields) => ApiError::Validation(fields),
            Refusal::Missing(fields) => ApiError::MissingReference(fields),
            Refusal::Conflict(detail) => ApiError::Conflict(detail),
        }
    }
}

fn is_control(c: char) -> bool {
    c.is_control()
}

fn is_control_in_paragraph(c: char) -> bool {
    c.is_control() && !matches!(c, '\n' | '\r' | '\t')
}

/// The OpenAPI schemas of the text rules above, for
/// `#[schema(schema_with = Text::<200>::line)]`: the published `maxLength` and
/// `pattern` accept exactly what the rules accept. The character classes are
/// spelled out, not `\s`/`\S`, because regex engines disagree on those;
/// these are Rust's `char::is_control` (Unicode Cc) and `char::is_whitespace`
/// (Unicode White_Space).
pub struct Text<const MAX: usize>;

/// Any character but a control character.
const NOT_CONTROL: &str = r"[^\u0000-\u001f\u007f-\u009f]";
/// Any character but a control character other than tab, LF and CR.
const NOT_CONTROL_IN_PARAGRAPH: &str = r"[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]";
/// Any character but a control character or white space.
const VISIBLE: &str =
    r"[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";

impl<const MAX: usize> Text<MAX> {
    fn schema(pattern: String, nullable: bool) -> utoipa::openapi::schema::Object {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
        let kind = if nullable {
            SchemaType::from_iter([Type::String, Type::Null])
        } else {
            SchemaType::new(Type::String)
        };
        ObjectBuilder::new()
            .schema_type(kind)
            .max_length(Some(MAX))
            .pattern(Some(pattern))
            .build()
    }

    /// [`Errors::text`]: one line, not blank.
    pub fn line() -> utoipa::openapi::schema::Object {
        Self::schema(format!("^{NOT_CONTROL}*{VISIBLE}{NOT_CONTROL}*$"), false)
    }

    /// [`Errors::text`] in a PATCH body: `null` (or left out) keeps the value.
    pub fn nullable_line() -> utoipa::openapi::schema::Object {
        Self::schema(format!("^{NOT_CONTROL}*{VISIBLE}{NOT_CONTROL}*$"), true)
    }

    /// [`Errors::optional_text`]: one line, may be blank or `null` (absent).
    pub fn optional_line() -> utoipa::openapi::schema::Object {
        Self::schema(format!("^{NOT_CONTROL}*$"), true)
    }

    /// Several lines, not blank.
    pub fn paragraph() -> utoipa::openapi::schema::Object {
        Self::schema(
            format!("^{NOT_CONTROL_IN_PARAGRAPH}*{VISIBLE}{NOT_CONTROL_IN_PARAGRAPH}*$"),
            false,
        )
    }

    /// Several lines, not blank, in a PATCH body: `null` keeps the value.
    pub fn nullable_paragraph() -> utoipa::openapi::schema::Object {
        Self::schema(
            format!("^{NOT_CONTROL_IN_PARAGRAPH}*{VISIBLE}{NOT_CONTROL_IN_PARAGRAPH}*$"),
            true,
        )
    }

    /// [`Errors::optional_long_text`]: several lines, may be blank or `null`.
    pub fn optional_paragraph() -> utoipa::openapi::schema::Object {
        Self::schema(format!("^{NOT_CONTROL_IN_PARAGRAPH}*$"), true)
    }
}

/// Text of a query filter (an exact name, slug, initials...): at most 300
/// characters and no control characters, refused with 400 when the query is
/// read. Nothing stored can match more, and a database must never see a NUL.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct FilterText(String);

impl FilterText {
    pub const MAX: usize = 300;

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for FilterText {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        if value.chars().count() > Self::MAX || value.chars().any(char::is_control) {
            Err(format!(
                "a filter is at most {} characters, without control characters",
                Self::MAX
            ))
        } else {
            Ok(FilterText(value))
        }
    }
}

impl utoipa::PartialSchema for FilterText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .max_length(Some(Self::MAX))
            .pattern(Some(format!("^{NOT_CONTROL}*$")))
            .into()
    }
}
impl utoipa::ToSchema for FilterText {}

/// A whole number as JSON Schema has it: `3` and `3.0` alike (an `integer`
/// is any number without a fractional part), for
/// `#[serde(default, deserialize_with = "whole_number")]` on `Option<i32>`.
pub fn whole_number<'de, D>(deserializer: D) -> Result<Option<i32>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::de::Error;
    use serde::Deserialize;
    let Some(number) = Option::<serde_json::Number>::deserialize(deserializer)? else {
        return Ok(None);
    };
    let whole = number.as_i64().or_else(|| {
        number
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
            .map(|f| f as i64)
    });
    whole
        .and_then(|n| i32::try_from(n).ok())
        .map(Some)
        .ok_or_else(|| D::Error::custom(format!("{number} is not a whole number in range")))
}

/// [`whole_number`] for a PATCH body's nullable number: `null` (clear it)
/// is `Some(None)`, a field left out (keep it) `None`. Use with
/// `#[serde(default, deserialize_with = "patch_whole_number")]`.
pub fn patch_whole_number<'de, D>(deserializer: D) -> Result<Option<Option<i32>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    whole_number(deserializer).map(Some)
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
    fn published_patterns_accept_what_the_rules_accept() {
        // The rules are the reference; the patterns must agree on the edges.
        let mut e = Errors::new();
        assert_eq!(e.text("a", " Chair\u{a0}", 10), "Chair");
        assert_eq!(e.optional_text("b", Some(" "), 10), None);
        assert_eq!(
            e.optional_long_text("c", Some("a\n\tb"), 10).as_deref(),
            Some("a\n\tb")
        );
        assert!(e.finish().is_ok());
        for (value, max) in [("\u{85}x", 10), ("x\ty", 10), ("\u{2003}", 10), ("abc", 2)] {
            let mut e = Errors::new();
            e.text("a", value, max);
            assert!(e.finish().is_err(), "{value:?}");
        }
        let line = serde_json::to_value(Text::<200>::line()).unwrap();
        assert_eq!(line["maxLength"], 200);
        assert!(line["pattern"].as_str().unwrap().contains(r"\u3000"));
    }

    #[test]
    fn collects_all_errors() {
        let mut e = Errors::new();
        assert_eq!(e.text("name", "  Board  ", 10), "Board");
        e.text("title", "   ", 10);
        e.text("area", "far too long for this", 10);
        match e.finish() {
            Err(Refusal::Invalid(errors)) => {
                assert_eq!(
                    errors.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(),
                    ["title", "area"]
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn whole_numbers_may_be_written_with_a_point() {
        #[derive(serde::Deserialize)]
        struct W {
            #[serde(default, deserialize_with = "whole_number")]
            order: Option<i32>,
        }
        let parse = |s: &str| serde_json::from_str::<W>(s).map(|w| w.order);
        assert_eq!(parse(r#"{"order": 3}"#).unwrap(), Some(3));
        assert_eq!(parse(r#"{"order": -2.0}"#).unwrap(), Some(-2));
        assert_eq!(parse(r#"{}"#).unwrap(), None);
        assert_eq!(parse(r#"{"order": null}"#).unwrap(), None);
        assert!(parse(r#"{"order": 2.5}"#).is_err());
        assert!(parse(r#"{"order": 1e300}"#).is_err());
        assert!(parse(r#"{"order": "3"}"#).is_err());
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
