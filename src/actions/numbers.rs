//! The action log's lookup by number (`?number=14`, `?numbers=3,14,15`):
//! minutes and people refer to actions by number, not by id. Plain rules,
//! no actix or diesel.

use crate::error::FieldError;

/// The highest action number a lookup names.
pub const MAX_NUMBER: i64 = 1_000_000_000;

/// The most numbers one `numbers` list holds.
pub const MAX_NUMBERS: usize = 500;

/// What `numbers` accepts, exactly: 1 to [`MAX_NUMBERS`] numbers from 1 to
/// [`MAX_NUMBER`], without leading zeros, separated by commas.
pub const NUMBERS_PATTERN: &str =
    "^([1-9][0-9]{0,8}|1000000000)(,([1-9][0-9]{0,8}|1000000000)){0,499}$";

/// The numbers asked for: the union of `number` and `numbers`, in order and
/// each once; `None` when neither is given. A malformed one is named by its
/// parameter.
pub fn asked(number: Option<&str>, numbers: Option<&str>) -> Result<Option<Vec<i64>>, FieldError> {
    if number.is_none() && numbers.is_none() {
        return Ok(None);
    }
    let mut out = Vec::new();
    if let Some(raw) = number {
        out.push(one(raw).ok_or_else(|| {
            FieldError::new(
                "number",
                format!("must be a whole number from 1 to {MAX_NUMBER}"),
            )
        })?);
    }
    if let Some(raw) = numbers {
        let list: Option<Vec<i64>> = raw.split(',').map(one).collect();
        let list = list.ok_or_else(|| {
            FieldError::new(
                "numbers",
                format!("must be numbers from 1 to {MAX_NUMBER} separated by commas, e.g. 3,14,15"),
            )
        })?;
        if list.len() > MAX_NUMBERS {
            return Err(FieldError::new(
                "numbers",
                format!("at most {MAX_NUMBERS} numbers"),
            ));
        }
        out.extend(list);
    }
    out.sort_unstable();
    out.dedup();
    Ok(Some(out))
}

/// The published schema of `number`: what [`asked`] accepts.
pub fn one_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(1))
        .maximum(Some(MAX_NUMBER))
        .description(Some(
            "The action with this number (with `numbers`: any of them).",
        ))
        .build()
}

/// The published schema of `numbers`: what [`asked`] accepts.
pub fn list_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(NUMBERS_PATTERN))
        .description(Some(
            "The actions with these numbers, comma-separated: `3,14,15` (at most 500; with `number`: any of them).",
        ))
        .build()
}

/// One number as the pattern writes it: digits, no sign, no leading zero.
fn one(raw: &str) -> Option<i64> {
    let digits = !raw.is_empty() && raw.len() <= 10 && raw.bytes().all(|b| b.is_ascii_digit());
    if !digits || raw.starts_with('0') {
        return None;
    }
    raw.parse().ok().filter(|n| (1..=MAX_NUMBER).contains(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_and_numbers_are_a_union() {
        assert_eq!(asked(None, None), Ok(None));
        assert_eq!(asked(Some("14"), None), Ok(Some(vec![14])));
        assert_eq!(
            asked(Some("14"), Some("15,3,14")),
            Ok(Some(vec![3, 14, 15]))
        );
        assert_eq!(asked(None, Some("1000000000")), Ok(Some(vec![MAX_NUMBER])));
    }

    #[test]
    fn a_malformed_one_is_named() {
        for bad in [
            "",
            "0",
            "-1",
            "+1",
            "1.0",
            "01",
            "x",
            "1000000001",
            "99999999999",
        ] {
            assert_eq!(
                asked(Some(bad), None).unwrap_err().field,
                "number",
                "{bad:?}"
            );
        }
        for bad in ["", ",", "3,", ",3", "3,,4", "3, 4", "3;4", "3,0"] {
            assert_eq!(
                asked(None, Some(bad)).unwrap_err().field,
                "numbers",
                "{bad:?}"
            );
        }
        let many = vec!["7"; MAX_NUMBERS + 1].join(",");
        assert_eq!(asked(None, Some(&many)).unwrap_err().field, "numbers");
        let most = vec!["7"; MAX_NUMBERS].join(",");
        assert_eq!(asked(None, Some(&most)), Ok(Some(vec![7])));
    }
}
