//! `Range: bytes=...` of a download (RFC 9110 §14): one range is served
//! as 206; several, or a form this does not read, get the whole file (which
//! the RFC allows); a range past the end is 416.

use std::ops::Range;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    Whole,
    Part(Range<u64>),
    Unsatisfiable,
}

pub fn wanted(header: Option<&str>, size: u64) -> Wanted {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Wanted::Whole;
    };
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Wanted::Whole;
    };
    let number = |s: &str| -> Option<u64> {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match (first.trim().is_empty(), number(first), number(last)) {
        // bytes=-N: the last N bytes.
        (true, _, Some(n)) => {
            if n == 0 || size == 0 {
                Wanted::Unsatisfiable
            } else {
                Wanted::Part(size.saturating_sub(n)..size)
            }
        }
        (false, Some(a), last) if last.is_some() || last_is_open(last_text(spec)) => {
            if a >= size {
                return Wanted::Unsatisfiable;
            }
            let end = match last {
                Some(b) if b < a => return Wanted::Whole,
                Some(b) => b.min(size - 1) + 1,
                None => size,
            };
            Wanted::Part(a..end)
        }
        _ => Wanted::Whole,
    }
}

fn last_text(spec: &str) -> &str {
    spec.split_once('-').map_or("", |(_, l)| l)
}

fn last_is_open(last: &str) -> bool {
    last.trim().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_ranges_are_served_and_others_are_whole() {
        assert_eq!(wanted(None, 100), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=0-9"), 100), Wanted::Part(0..10));
        assert_eq!(wanted(Some("bytes=90-"), 100), Wanted::Part(90..100));
        assert_eq!(wanted(Some("bytes=-10"), 100), Wanted::Part(90..100));
        assert_eq!(wanted(Some("bytes=-500"), 100), Wanted::Part(0..100));
        assert_eq!(wanted(Some("bytes=50-500"), 100), Wanted::Part(50..100));
        assert_eq!(wanted(Some("bytes=100-"), 100), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=-0"), 100), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=0-1,5-6"), 100), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=9-1"), 100), Wanted::Whole);
        assert_eq!(wanted(Some("items=0-1"), 100), Wanted::Whole);
        assert_eq!(
            wanted(Some("bytes=0-18446744073709551615"), 100),
            Wanted::Part(0..100),
            "no overflow"
        );
        assert_eq!(wanted(Some("bytes=0-0"), 0), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=x-1"), 100), Wanted::Whole);
    }
}
