//! Exact metric values: every value (and a metric's bounds) is held as a
//! whole number of hundredths (`bigint` on both backends), read from the
//! number as written and answered as the same decimal, so that totals and
//! averages never show binary noise (0.1 + 0.2 is 0.3 here).

use std::fmt;

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::Pg;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::BigInt;
use diesel::sqlite::Sqlite;

use crate::db::MultiBackend;

/// The largest magnitude a value may have: 10^13 (so that its hundredths,
/// and their text as a decimal, are exact in an `f64` as well).
const LIMIT: i64 = 10_000_000_000_000;

/// A value with at most two decimal places, as hundredths: 12.5 is 1250.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = BigInt)]
pub struct Hundredths(pub i64);

impl Hundredths {
    pub fn whole(n: i64) -> Option<Hundredths> {
        n.checked_mul(100).map(Hundredths)
    }

    /// Whether it has no fractional part.
    pub fn is_whole(self) -> bool {
        self.0 % 100 == 0
    }

    /// A JSON number as written: at most two decimal places, at most 10^13
    /// in magnitude. `12.5`, `1`, `-0.25`; not `1.005`, not `"3"`. A number
    /// with more significant digits than an `f64` holds (17 or more) is read
    /// as the nearest `f64` first, as every JSON number this service reads.
    pub fn from_json(value: &serde_json::Value) -> Result<Hundredths, String> {
        let serde_json::Value::Number(number) = value else {
            return Err("must be a number".into());
        };
        if let Some(n) = number.as_i64() {
            // `unsigned_abs`: `abs` of i64::MIN overflows.
            if n.unsigned_abs() > LIMIT.unsigned_abs() {
                return Err(format!("must be between -{LIMIT} and {LIMIT}"));
            }
            return Ok(Hundredths(n * 100));
        }
        let Some(f) = number
            .as_f64()
            .filter(|f| f.is_finite() && f.abs() <= LIMIT as f64)
        else {
            return Err(format!("must be between -{LIMIT} and {LIMIT}"));
        };
        // The shortest decimal that reads back as this number: what was written.
        Hundredths::parse(&format!("{f}"))
    }

    /// `12.5`, `-3`, `0.07`: at most two decimal places.
    pub fn parse(text: &str) -> Result<Hundredths, String> {
        let refused = || format!("{text} is not a number with at most two decimal places");
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
            return Err(refused());
        }
        let fraction = fraction.trim_end_matches('0');
        if fraction.len() > 2 {
            return Err(format!("{text} has more than two decimal places"));
        }
        let whole: i64 = whole.parse().map_err(|_| refused())?;
        let cents: i64 = format!("{fraction:0<2}").parse().map_err(|_| refused())?;
        if whole > LIMIT || (whole == LIMIT && cents > 0) {
            return Err(format!("must be between -{LIMIT} and {LIMIT}"));
        }
        let magnitude = whole * 100 + cents;
        Ok(Hundredths(if negative { -magnitude } else { magnitude }))
    }

    /// As a JSON number: an integer when whole, else the two-place decimal
    /// (which an `f64` prints exactly as written, below 2^53 hundredths).
    pub fn to_json(self) -> serde_json::Value {
        if self.is_whole() {
            serde_json::Value::from(self.0 / 100)
        } else {
            serde_json::Number::from_f64(self.0 as f64 / 100.0)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null)
        }
    }
}

impl fmt::Display for Hundredths {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        if abs.is_multiple_of(100) {
            write!(f, "{sign}{}", abs / 100)
        } else {
            let text = format!("{sign}{}.{:02}", abs / 100, abs % 100);
            f.write_str(text.trim_end_matches('0'))
        }
    }
}

impl serde::Serialize for Hundredths {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for Hundredths {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Hundredths::from_json(&value).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Hundredths {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Number)
            .minimum(Some(-LIMIT))
            .maximum(Some(LIMIT))
            .description(Some(
                "A number with at most two decimal places, held exactly.",
            ))
            .into()
    }
}
impl utoipa::ToSchema for Hundredths {}

impl ToSql<BigInt, Pg> for Hundredths {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <i64 as ToSql<BigInt, Pg>>::to_sql(&self.0, out)
    }
}

impl ToSql<BigInt, Sqlite> for Hundredths {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        <i64 as ToSql<BigInt, Sqlite>>::to_sql(&self.0, out)
    }
}

impl ToSql<BigInt, MultiBackend> for Hundredths {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
        out.set_value((BigInt, &self.0));
        Ok(serialize::IsNull::No)
    }
}

impl<DB: Backend> FromSql<BigInt, DB> for Hundredths
where
    i64: FromSql<BigInt, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        Ok(Hundredths(<i64 as FromSql<BigInt, DB>>::from_sql(bytes)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_read_as_written_and_answer_the_same() {
        for (sent, held, answered) in [
            (json!(12.5), 1250, "12.5"),
            (json!(1), 100, "1"),
            (json!(0.07), 7, "0.07"),
            (json!(-0.25), -25, "-0.25"),
            (json!(87.10), 8710, "87.1"),
            (json!(3.0), 300, "3"),
        ] {
            let h = Hundredths::from_json(&sent).unwrap();
            assert_eq!(h.0, held, "{sent}");
            assert_eq!(h.to_json().to_string(), answered, "{sent}");
            assert_eq!(h.to_string(), answered);
        }
        let sum = Hundredths::from_json(&json!(0.1)).unwrap().0
            + Hundredths::from_json(&json!(0.2)).unwrap().0;
        assert_eq!(Hundredths(sum).to_json().to_string(), "0.3");
    }

    #[test]
    fn more_places_strings_and_huge_numbers_are_refused() {
        for bad in [
            json!(1.005),
            json!("3"),
            json!(1e20),
            json!(null),
            json!(true),
            json!(i64::MIN),
            json!(i64::MAX),
        ] {
            assert!(Hundredths::from_json(&bad).is_err(), "{bad}");
        }
        assert!(Hundredths::parse("1.").is_ok());
        assert!(Hundredths::parse(".5").is_err());
        assert!(Hundredths::parse("1e3").is_err());
        assert!(Hundredths::parse("10000000000000.99").is_err());
        assert_eq!(Hundredths::parse("-0.5").unwrap().0, -50);
    }
}
