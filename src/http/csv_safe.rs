//! CSV that a spreadsheet opens without running anything (OWASP "CSV
//! injection"), shared by every export (the action log now; budgets and
//! performance data later).
//!
//! - Every text cell is quoted, whatever it holds; a number the service
//!   formats itself ([`Cell::number`]: `14`, `-850.50`) is written bare, so a
//!   spreadsheet reads it as a number.
//! - In a text cell, a character that starts a formula (`=`, `+`, `-`, `@`,
//!   tab, carriage return) gets an apostrophe before it where a spreadsheet
//!   may start reading a cell: at the start of the text, and after any
//!   character that some spreadsheet splits cells on, namely `,` `;` `|`
//!   tab, carriage return and line feed (with spaces between skipped). Excel
//!   splits a `.csv` on the list separator of the reader's locale (`;` in much
//!   of Europe) and ignores our quotes when it does, so `soon;@SUM(1+1)` would
//!   otherwise become a cell `@SUM(1+1)`.

use std::borrow::Cow;

/// Characters that make a spreadsheet read a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];
/// Characters some spreadsheet splits cells on.
const SEPARATORS: [char; 6] = [',', ';', '|', '\t', '\r', '\n'];

/// One cell of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    /// A plain decimal number: digits, an optional leading `-`, an optional
    /// fraction. Only [`Cell::number`] makes one.
    Number(String),
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Self {
        Cell::Text(text.into())
    }

    /// A number, written bare; anything that is not a plain decimal number
    /// (`1e5`, `inf`, `=1`) is written as text instead.
    pub fn number(value: impl ToString) -> Self {
        let value = value.to_string();
        if is_plain_number(&value) {
            Cell::Number(value)
        } else {
            Cell::Text(value)
        }
    }
}

/// `14`, `-850.50`, `0.5`: digits with an optional leading `-` and an
/// optional fraction.
fn is_plain_number(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    all_digits(whole) && fraction.is_none_or(all_digits)
}

/// The text with an apostrophe before every formula start where a cell may
/// begin (see the module's documentation).
pub fn neutralise(text: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let mut at_cell_start = true;
    let mut copied = 0;
    for (i, c) in text.char_indices() {
        if at_cell_start && FORMULA_STARTS.contains(&c) {
            out.push_str(&text[copied..i]);
            out.push('\'');
            copied = i;
        }
        at_cell_start = SEPARATORS.contains(&c) || (c == ' ' && at_cell_start);
    }
    if out.is_empty() {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// One CSV line (ending in CRLF, as RFC 4180 and Excel expect).
fn push_row(out: &mut String, row: &[Cell]) {
    for (i, cell) in row.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match cell {
            Cell::Number(n) => out.push_str(n),
            Cell::Text(t) => {
                out.push('"');
                out.push_str(&neutralise(t).replace('"', "\"\""));
                out.push('"');
            }
        }
    }
    out.push_str("\r\n");
}

/// A whole document: the header row (text), then the rows.
pub fn document<'a>(header: &[&str], rows: impl IntoIterator<Item = &'a [Cell]>) -> String {
    let mut out = String::new();
    let header: Vec<Cell> = header.iter().map(|h| Cell::text(*h)).collect();
    push_row(&mut out, &header);
    for row in rows {
        push_row(&mut out, row);
    }
    out
}

/// Whether the caller of a list asked for CSV (`Accept: text/csv`) rather
/// than JSON (the default); 406 when it accepts neither.
pub fn wanted(req: &actix_web::HttpRequest) -> Result<bool, crate::error::ApiError> {
    crate::http::accept::negotiate(
        req,
        &[("application", "json", false), ("text", "csv", true)],
    )
}

/// A CSV document as a download named `filename`, marked as a derived view
/// and as varying with `Accept` (the same URL answers JSON).
pub fn attachment(body: String, filename: &str) -> actix_web::HttpResponse {
    use actix_web::http::header;
    crate::http::derived_view(
        actix_web::HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((header::VARY, "Accept"))
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ))
            .body(body),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_formula_at_the_start_is_neutralised() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("-1"), "'-1");
        assert_eq!(neutralise("+44 1432 260000"), "'+44 1432 260000");
        assert_eq!(neutralise("@SUM(1+1)"), "'@SUM(1+1)");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("\r=1"), "'\r'=1");
        assert_eq!(neutralise("  =1+1"), "  '=1+1");
    }

    #[test]
    fn a_formula_after_any_separator_is_neutralised() {
        assert_eq!(neutralise("soon;@SUM(1+1)"), "soon;'@SUM(1+1)");
        assert_eq!(neutralise("a,=1|+2\t-3"), "a,'=1|'+2\t'-3");
        assert_eq!(
            neutralise("done; =cmd|' /C calc'!A0"),
            "done; '=cmd|' /C calc'!A0"
        );
        assert_eq!(neutralise("line one\n=1+1"), "line one\n'=1+1");
        assert_eq!(neutralise("a;\r\n@x"), "a;'\r\n'@x");
    }

    #[test]
    fn ordinary_text_is_untouched() {
        for text in [
            "PG to draft letter",
            "2019-11-18: Letter sent - awaiting reply",
            "CB/EH",
            "Q&E",
            "",
            "price 5-6, about",
        ] {
            assert!(matches!(neutralise(text), Cow::Borrowed(_)), "{text}");
        }
    }

    #[test]
    fn numbers_stay_numbers_and_text_is_always_quoted() {
        assert_eq!(Cell::number(14), Cell::Number("14".into()));
        assert_eq!(Cell::number("-850.50"), Cell::Number("-850.50".into()));
        for not_plain in ["1e5", "inf", "NaN", "-", "1.", ".5", "=1", "1,000", "- 1"] {
            assert_eq!(Cell::number(not_plain), Cell::Text(not_plain.into()));
        }
        let row = [
            Cell::number(14),
            Cell::text("soon;@SUM(1+1)"),
            Cell::number("-850.50"),
            Cell::text("14"),
            Cell::text("say \"hi\""),
            Cell::text(""),
        ];
        assert_eq!(
            document(&["No", "Text"], [&row[..]]),
            "\"No\",\"Text\"\r\n14,\"soon;'@SUM(1+1)\",-850.50,\"14\",\"say \"\"hi\"\"\",\"\"\r\n"
        );
    }
}
