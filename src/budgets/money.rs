//! Money and financial years as exact values: amounts are integer pence
//! (`i64` on the wire, `bigint` in the database), never floating point;
//! totals are added in `i128` and checked back into `i64`. A financial year
//! is the UK's April to March, written `2020-21`.

use std::fmt;

use diesel::backend::Backend;
use diesel::deserialize::FromSqlRow;
use diesel::deserialize::{self, FromSql};
use diesel::expression::AsExpression;
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Text;
use diesel::sqlite::Sqlite;

use crate::db::{Day, MultiBackend};
use crate::error::ApiError;

/// The largest amount one figure sent may hold: £100,000,000,000.00.
pub const MAX_PENCE: i64 = 10_000_000_000_000;

/// The first and last financial years a budget may be for.
const FIRST_YEAR: i32 = 2000;
const LAST_YEAR: i32 = 2098;

/// A UK financial year, 1 April to 31 March, by the year it starts in.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    AsExpression,
    FromSqlRow,
)]
#[serde(into = "String", try_from = "String")]
#[diesel(sql_type = Text)]
pub struct FinancialYear(i32);

/// `2020-21` or `2020/21` (as minutes write it), for the years 2000-01 to
/// 2098-99: the second year is the first's next, so the pattern lists them.
pub fn year_pattern() -> String {
    let ends: Vec<String> = (FIRST_YEAR..=LAST_YEAR)
        .map(|y| format!("{:02}[-/]{:02}", y % 100, (y + 1) % 100))
        .collect();
    format!("^20({})$", ends.join("|"))
}

impl FinancialYear {
    pub fn starting(year: i32) -> Option<FinancialYear> {
        (FIRST_YEAR..=LAST_YEAR)
            .contains(&year)
            .then_some(FinancialYear(year))
    }

    /// `2020-21` or `2020/21`; `2020-22` is refused.
    pub fn parse(text: &str) -> Result<FinancialYear, String> {
        let refused = || format!("'{text}' is not a financial year like 2020-21");
        let bytes = text.as_bytes();
        let shape = bytes.len() == 7
            && matches!(bytes[4], b'-' | b'/')
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || b.is_ascii_digit());
        if !shape {
            return Err(refused());
        }
        let start: i32 = text[..4].parse().map_err(|_| refused())?;
        let end: i32 = text[5..].parse().map_err(|_| refused())?;
        if end != (start + 1) % 100 {
            return Err(format!(
                "'{text}' is not a financial year: the year after {start} is {:02}",
                (start + 1) % 100
            ));
        }
        FinancialYear::starting(start)
            .ok_or_else(|| format!("'{text}' is outside the financial years 2000-01 to 2098-99"))
    }

    pub fn start_year(self) -> i32 {
        self.0
    }

    pub fn previous(self) -> Option<FinancialYear> {
        FinancialYear::starting(self.0 - 1)
    }

    pub fn next(self) -> Option<FinancialYear> {
        FinancialYear::starting(self.0 + 1)
    }

    /// 1 April.
    pub fn first_day(self) -> Day {
        Day(chrono::NaiveDate::from_ymd_opt(self.0, 4, 1).expect("1 April exists"))
    }

    /// 31 March of the next year.
    pub fn last_day(self) -> Day {
        Day(chrono::NaiveDate::from_ymd_opt(self.0 + 1, 3, 31).expect("31 March exists"))
    }

    pub fn contains(self, day: Day) -> bool {
        self.first_day() <= day && day <= self.last_day()
    }

    pub fn text(self) -> String {
        format!("{}-{:02}", self.0, (self.0 + 1) % 100)
    }
}

impl fmt::Display for FinancialYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl From<FinancialYear> for String {
    fn from(year: FinancialYear) -> String {
        year.text()
    }
}

impl TryFrom<String> for FinancialYear {
    type Error = String;
    fn try_from(text: String) -> Result<FinancialYear, String> {
        FinancialYear::parse(&text)
    }
}

impl utoipa::PartialSchema for FinancialYear {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(year_pattern()))
            .description(Some(
                "A UK financial year (1 April to 31 March), answered as `2020-21`; \
                 `2020/21` is accepted on input.",
            ))
            .examples([serde_json::json!("2020-21")])
            .into()
    }
}
impl utoipa::ToSchema for FinancialYear {}

impl ToSql<Text, Pg> for FinancialYear {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        use std::io::Write;
        out.write_all(self.text().as_bytes())?;
        Ok(IsNull::No)
    }
}

impl ToSql<Text, Sqlite> for FinancialYear {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.text());
        Ok(IsNull::No)
    }
}

impl ToSql<Text, MultiBackend> for FinancialYear {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
        out.set_value((Text, self));
        Ok(IsNull::No)
    }
}

impl<DB: Backend> FromSql<Text, DB> for FinancialYear
where
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, DB>>::from_sql(bytes)?;
        Ok(FinancialYear::parse(&text)?)
    }
}

/// An amount of pence as sent: a JSON integer (`1250` is £12.50). A number
/// with a fraction (`100.5`) or beyond ±[`MAX_PENCE`] is refused, naming the
/// field; `100.0` is the integer 100, as JSON Schema has it. For
/// `#[serde(default, deserialize_with = "pence")]` on `Option<i64>`.
pub fn pence<'de, D>(deserializer: D) -> Result<Option<i64>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::de::Error;
    use serde::Deserialize;
    let Some(number) = Option::<serde_json::Number>::deserialize(deserializer)? else {
        return Ok(None);
    };
    let whole = match number.as_i64() {
        Some(n) => Some(n),
        // A float with no fraction below 2^53 is an exact integer.
        None => number
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() <= MAX_PENCE as f64)
            .map(|f| f as i64),
    };
    let Some(whole) = whole else {
        return Err(D::Error::custom(format!(
            "{number} is not a whole number of pence (send £100.50 as 10050)"
        )));
    };
    // `unsigned_abs`: `abs` of i64::MIN overflows.
    if whole.unsigned_abs() > MAX_PENCE.unsigned_abs() {
        return Err(D::Error::custom(format!(
            "{number} is beyond ±{MAX_PENCE} pence (£100bn)"
        )));
    }
    Ok(Some(whole))
}

/// [`pence`] for a PATCH body's nullable amount: `null` (clear it) is
/// `Some(None)`, a field left out `None`.
pub fn patch_pence<'de, D>(deserializer: D) -> Result<Option<Option<i64>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    pence(deserializer).map(Some)
}

/// An amount that is not zero: from -[`MAX_PENCE`] to -1, or 1 to
/// [`MAX_PENCE`] (a transaction's).
pub fn nonzero_pence() -> utoipa::openapi::schema::Schema {
    nonzero(false)
}

/// [`nonzero_pence`] in a PATCH body: `null` (or left out) keeps it.
pub fn nullable_nonzero_pence() -> utoipa::openapi::schema::Schema {
    nonzero(true)
}

fn nonzero(nullable: bool) -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
    let range = |min: i64, max: i64| {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(min))
            .maximum(Some(max))
    };
    let mut one_of = OneOfBuilder::new()
        .item(range(-MAX_PENCE, -1))
        .item(range(1, MAX_PENCE))
        .description(Some(
            "Pence, not zero: negative for a refund or a correction.",
        ));
    if nullable {
        one_of = one_of.item(ObjectBuilder::new().schema_type(Type::Null));
    }
    utoipa::openapi::schema::Schema::OneOf(one_of.build())
}

/// Pence as pounds with two decimals, by integer arithmetic: `-1234.05`.
pub fn pounds(pence: i64) -> String {
    let sign = if pence < 0 { "-" } else { "" };
    let abs = pence.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// A running total: added in `i128`, so no sum of `i64`s overflows it, and
/// checked back into `i64` when answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sum(i128);

impl Sum {
    pub fn of(pence: i64) -> Sum {
        Sum(i128::from(pence))
    }

    pub fn add(&mut self, pence: i64) {
        self.0 += i128::from(pence);
    }

    pub fn plus(self, other: Sum) -> Sum {
        Sum(self.0 + other.0)
    }

    pub fn minus(self, other: Sum) -> Sum {
        Sum(self.0 - other.0)
    }

    /// The total as pence, or a refusal naming `figure` when it does not fit.
    pub fn pence(self, figure: &str) -> Result<i64, ApiError> {
        i64::try_from(self.0).map_err(|_| {
            ApiError::conflict(format!(
                "{figure} is beyond the range of a 64-bit number of pence"
            ))
        })
    }
}

impl std::iter::Sum<i64> for Sum {
    fn sum<I: Iterator<Item = i64>>(iter: I) -> Sum {
        let mut total = Sum::default();
        for pence in iter {
            total.add(pence);
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_read_both_ways_and_answer_one() {
        assert_eq!(FinancialYear::parse("2020-21").unwrap().text(), "2020-21");
        assert_eq!(FinancialYear::parse("2020/21").unwrap().text(), "2020-21");
        assert_eq!(FinancialYear::parse("2099/00").ok(), None);
        assert_eq!(FinancialYear::parse("2009-10").unwrap().text(), "2009-10");
        assert!(FinancialYear::parse("2020-22").unwrap_err().contains("21"));
        for bad in ["2020-2021", "20-21", "2020_21", "abcd-ef", "1999-00", ""] {
            assert!(FinancialYear::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_pattern_is_the_parser() {
        let pattern = regex_lite(year_pattern());
        for text in ["2020-21", "2020/21", "2000-01", "2098-99", "2009/10"] {
            assert!(pattern(text), "{text}");
            assert!(FinancialYear::parse(text).is_ok(), "{text}");
        }
        for text in ["2020-22", "2099-00", "1999-00", "2020-2"] {
            assert!(!pattern(text), "{text}");
            assert!(FinancialYear::parse(text).is_err(), "{text}");
        }
    }

    /// The pattern's alternatives checked by hand (no regex crate needed).
    fn regex_lite(pattern: String) -> impl Fn(&str) -> bool {
        let inner = pattern
            .trim_start_matches("^20(")
            .trim_end_matches(")$")
            .to_owned();
        move |text: &str| {
            text.len() == 7
                && text.starts_with("20")
                && inner.split('|').any(|alt| {
                    let (a, b) = alt.split_once("[-/]").unwrap();
                    text[2..4] == *a && matches!(&text[4..5], "-" | "/") && text[5..] == *b
                })
        }
    }

    #[test]
    fn a_year_runs_april_to_march() {
        let year = FinancialYear::parse("2019-20").unwrap();
        assert_eq!(year.first_day().text(), "2019-04-01");
        assert_eq!(year.last_day().text(), "2020-03-31");
        assert!(year.contains(Day::try_from("2020-03-31".to_owned()).unwrap()));
        assert!(!year.contains(Day::try_from("2020-04-01".to_owned()).unwrap()));
        assert_eq!(year.previous().unwrap().text(), "2018-19");
    }

    #[test]
    fn pence_are_integers_in_range() {
        #[derive(serde::Deserialize)]
        struct P {
            #[serde(default, deserialize_with = "pence")]
            amount_pence: Option<i64>,
        }
        let parse = |s: &str| serde_json::from_str::<P>(s).map(|p| p.amount_pence);
        assert_eq!(parse(r#"{"amount_pence": 1050}"#).unwrap(), Some(1050));
        assert_eq!(parse(r#"{"amount_pence": -5}"#).unwrap(), Some(-5));
        assert_eq!(parse(r#"{"amount_pence": 100.0}"#).unwrap(), Some(100));
        assert!(parse(r#"{"amount_pence": 100.5}"#).is_err());
        assert!(parse(r#"{"amount_pence": 10000000000001}"#).is_err());
        assert!(parse(r#"{"amount_pence": 99999999999999999999}"#).is_err());
        assert!(parse(r#"{"amount_pence": -9223372036854775808}"#).is_err());
        assert!(parse(r#"{"amount_pence": "100"}"#).is_err());
    }

    #[test]
    fn pounds_are_exact() {
        assert_eq!(pounds(123450), "1234.50");
        assert_eq!(pounds(-5), "-0.05");
        assert_eq!(pounds(0), "0.00");
        assert_eq!(pounds(i64::MIN), "-92233720368547758.08");
    }

    #[test]
    fn sums_do_not_overflow_and_are_checked() {
        let total: Sum = [i64::MAX, i64::MAX].into_iter().sum();
        assert!(total.pence("total").is_err());
        let back = total.minus(Sum::of(i64::MAX));
        assert_eq!(back.pence("total").unwrap(), i64::MAX);
    }
}
