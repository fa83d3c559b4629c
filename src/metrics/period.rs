//! The reporting period of performance data: a UK financial-year quarter,
//! `2019-20-Q2` (July to September 2019), as submissions, data requests and
//! tables name it.

/// First financial years a period may name.
const FIRST_YEAR: u32 = 2000;
const LAST_YEAR: u32 = 2100;

/// The published form of a period: every year pair spelled out, since a
/// pattern cannot say that the second year follows the first.
pub fn period_schema() -> utoipa::openapi::schema::Object {
    let years: Vec<String> = (FIRST_YEAR..=LAST_YEAR)
        .map(|y| format!("{y}-{:02}", (y + 1) % 100))
        .collect();
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some(format!("^({})-[Qq][1-4]$", years.join("|"))))
        .examples(["2019-20-Q2"])
        .build()
}

/// Parses `2019-20-Q2`: the second year follows the first.
pub fn parse_period(raw: &str) -> Result<String, &'static str> {
    const HINT: &str = "must be a financial-year quarter like 2019-20-Q2";
    let value = raw.to_ascii_uppercase();
    let bytes = value.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' || bytes[8] != b'Q' {
        return Err(HINT);
    }
    let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    if !(digits(0..4) && digits(5..7) && digits(9..10)) {
        return Err(HINT);
    }
    let start: u32 = value[0..4].parse().map_err(|_| HINT)?;
    let end: u32 = value[5..7].parse().map_err(|_| HINT)?;
    let quarter: u32 = value[9..10].parse().map_err(|_| HINT)?;
    if !(FIRST_YEAR..=LAST_YEAR).contains(&start)
        || end != (start + 1) % 100
        || !(1..=4).contains(&quarter)
    {
        return Err(HINT);
    }
    Ok(value)
}

/// The first day of a checked period `2019-20-Q2`: 1 July 2019.
pub fn quarter_start(period: &str) -> Option<chrono::NaiveDate> {
    let year: i32 = period.get(0..4)?.parse().ok()?;
    let quarter: u32 = period.get(9..10)?.parse().ok()?;
    let (year, month) = match quarter {
        1 => (year, 4),
        2 => (year, 7),
        3 => (year, 10),
        _ => (year + 1, 1),
    };
    chrono::NaiveDate::from_ymd_opt(year, month, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_financial_year_quarters() {
        assert_eq!(parse_period("2019-20-q2").unwrap(), "2019-20-Q2");
        assert_eq!(parse_period("2099-00-Q4").unwrap(), "2099-00-Q4");
        for bad in [
            "2019-21-Q2",
            "2019-20-Q5",
            "2019/20 Q2",
            "Q2 2019",
            "",
            "2000-+1-Q1",
            "+999-00-Q1",
            " 2019-20-Q2",
        ] {
            assert!(parse_period(bad).is_err(), "{bad}");
        }
    }
}
