//! A submission sent as `text/csv`: a header naming the columns `metric`,
//! `value` and optionally `comment` (in any order), then a row per value.
//! A row that cannot be read (the wrong number of fields, text that is not
//! UTF-8) is rejected with its line, as a bad number or an unknown metric
//! is; only a header without `metric` and `value` refuses the whole body.

use super::rules::{Entry, MAX_VALUES};
use crate::error::ApiError;
use crate::metrics::quantity::Hundredths;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};

/// A submission's `text/csv` body in the published document: a file's
/// bytes (UTF-8, a header line, then a row per value).
pub struct CsvSubmission;

impl utoipa::PartialSchema for CsvSubmission {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some(
                "UTF-8 CSV: a header naming the columns `metric`, `value` and optionally `comment` (any order), then a row per value, e.g. `CP-PLANS,132,Quarter 2 2019/20`",
            ))
            .into()
    }
}

impl utoipa::ToSchema for CsvSubmission {}

/// The entries of a CSV body, each with the line its row begins on (the
/// header is line 1). Reading stops one row past [`MAX_VALUES`]: that many
/// are refused as a whole, so the rest need not be read.
pub fn entries(body: &[u8]) -> Result<Vec<Entry>, ApiError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    let mut records = reader.byte_records();
    let header = match records.next() {
        Some(Ok(header)) => header,
        Some(Err(e)) => return Err(header_error(&format!("could not be read: {e}"))),
        None => return Err(header_error("is missing: the body is empty")),
    };
    let columns = Columns::of(&header)?;
    let mut lines = Lines::new(body);
    let mut entries = Vec::new();
    for (index, record) in records.enumerate() {
        if entries.len() > MAX_VALUES {
            break;
        }
        let entry = match record {
            Ok(record) => columns.entry(index, lines.at(record.position()), &record),
            Err(e) => {
                let line = lines.at(e.position());
                entries.push(unreadable(
                    index,
                    line,
                    format!("the row could not be read: {e}"),
                ));
                break;
            }
        };
        entries.push(entry);
    }
    Ok(entries)
}

/// Counts lines up to each record's start, going on from the last one (the
/// reader's positions only grow), so a large body is scanned once.
struct Lines<'a> {
    body: &'a [u8],
    scanned: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(body: &'a [u8]) -> Lines<'a> {
        Lines {
            body,
            scanned: 0,
            line: 1,
        }
    }

    /// The line a record begins on: the reader's position may still be at
    /// the end of the line before (its terminator not yet consumed).
    fn at(&mut self, position: Option<&csv::Position>) -> usize {
        let Some(position) = position else {
            return 0;
        };
        let body = self.body;
        let mut start = usize::try_from(position.byte())
            .unwrap_or(body.len())
            .min(body.len());
        while body.get(start).is_some_and(|b| *b == b'\r' || *b == b'\n') {
            start += 1;
        }
        if start > self.scanned {
            self.line += body[self.scanned..start]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            self.scanned = start;
        }
        self.line
    }
}

fn header_error(message: &str) -> ApiError {
    ApiError::field(
        "header",
        format!(
            "the CSV header {message}; the first line must name the columns metric,value,comment"
        ),
    )
}

fn unreadable(index: usize, line: usize, reason: String) -> Entry {
    Entry {
        index,
        row: Some(line),
        metric: String::new(),
        value: Err(reason.clone()),
        comment: None,
        unreadable: Some(reason),
    }
}

/// Where each column is.
struct Columns {
    metric: usize,
    value: usize,
    comment: Option<usize>,
    count: usize,
}

impl Columns {
    fn of(header: &csv::ByteRecord) -> Result<Columns, ApiError> {
        let names: Vec<String> = header
            .iter()
            .map(|f| String::from_utf8_lossy(f).trim().to_ascii_lowercase())
            .collect();
        let find = |name: &str| names.iter().position(|n| n == name);
        for (i, name) in names.iter().enumerate() {
            if !["metric", "value", "comment"].contains(&name.as_str()) || names[..i].contains(name)
            {
                return Err(header_error(&format!("has the column '{name}' where only metric, value and comment are known, each once")));
            }
        }
        match (find("metric"), find("value")) {
            (Some(metric), Some(value)) => Ok(Columns {
                metric,
                value,
                comment: find("comment"),
                count: names.len(),
            }),
            _ => Err(header_error("lacks metric or value")),
        }
    }

    fn entry(&self, index: usize, line: usize, record: &csv::ByteRecord) -> Entry {
        if record.len() != self.count {
            let mut entry = unreadable(
                index,
                line,
                format!(
                    "the row has {} fields where the header has {}",
                    record.len(),
                    self.count
                ),
            );
            // Named in the rejection when it can be read.
            entry.metric = record
                .get(self.metric)
                .and_then(|f| std::str::from_utf8(f).ok())
                .unwrap_or_default()
                .trim()
                .to_owned();
            return entry;
        }
        let field = |i: usize| std::str::from_utf8(&record[i]).map(str::to_owned);
        let (Ok(metric), Ok(value)) = (field(self.metric), field(self.value)) else {
            return unreadable(index, line, "the row is not UTF-8 text".into());
        };
        let comment = match self.comment.map(field) {
            Some(Ok(c)) => Some(c),
            Some(Err(_)) => return unreadable(index, line, "the row is not UTF-8 text".into()),
            None => None,
        };
        Entry {
            index,
            row: Some(line),
            metric,
            value: Hundredths::parse(value.trim()).map_err(|reason| format!("the value {reason}")),
            comment,
            unreadable: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_read_with_their_lines_and_bad_rows_are_kept_as_rejections() {
        let body = "\u{FEFF}Metric,Value,Comment\r\nCP-PLANS,132,\"two\nlines\"\r\nTIMELY,12.5\r\nTIMELY,many,\r\n";
        let found = entries(body.as_bytes()).unwrap();
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].row, Some(2));
        assert_eq!(found[0].value, Ok(Hundredths(13_200)));
        assert_eq!(found[0].comment.as_deref(), Some("two\nlines"));
        assert_eq!(found[1].row, Some(4));
        assert!(found[1].unreadable.as_deref().unwrap().contains("2 fields"));
        assert_eq!(found[1].metric, "TIMELY");
        assert_eq!(found[2].row, Some(5));
        assert!(found[2].value.is_err());
    }

    #[test]
    fn the_header_must_name_metric_and_value() {
        for bad in ["", "metric,amount\n", "metric,value,value\n", "value\n1\n"] {
            assert!(entries(bad.as_bytes()).is_err(), "{bad:?}");
        }
        let columns_swapped = entries(b"value,metric\n1,CP-PLANS\n").unwrap();
        assert_eq!(columns_swapped[0].metric, "CP-PLANS");
    }

    #[test]
    fn reading_stops_one_row_past_the_limit() {
        let mut body = String::from("metric,value\n");
        for _ in 0..MAX_VALUES + 50 {
            body.push_str("CP-PLANS,1\n");
        }
        let found = entries(body.as_bytes()).unwrap();
        assert_eq!(found.len(), MAX_VALUES + 1);
        assert_eq!(found[MAX_VALUES].row, Some(MAX_VALUES + 2));
    }
}
