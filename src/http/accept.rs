//! Content negotiation by `Accept` (RFC 9110 §12.5.1) for operations with
//! several representations (minutes; the action log). Each offered media type
//! takes the quality of the most specific range that matches it (`text/csv`
//! over `text/*` over `*/*`), `q=0` meaning "not this"; the best quality
//! wins, then the more specific range, then the operation's order. The first
//! offer when `Accept` is absent; 406 when nothing offered is acceptable, 400
//! when the header is malformed.

use actix_web::http::header::{self, Header, Quality};
use actix_web::HttpRequest;

use crate::error::ApiError;

/// One representation an operation offers: `("text", "csv", value)`.
pub type Offer<T> = (&'static str, &'static str, T);

/// How specifically `range` (`type/subtype`, with `*`) names `offer`, if it does.
fn specificity(range: (&str, &str), offer: (&str, &str)) -> Option<u8> {
    match range {
        ("*", "*") => Some(0),
        (kind, "*") if kind == offer.0 => Some(1),
        (kind, sub) if kind == offer.0 && sub == offer.1 => Some(2),
        _ => None,
    }
}

pub fn negotiate<T: Copy>(req: &HttpRequest, offers: &[Offer<T>]) -> Result<T, ApiError> {
    let default = offers.first().expect("an operation offers something").2;
    if !req.headers().contains_key(header::ACCEPT) {
        return Ok(default);
    }
    let accept = header::Accept::parse(req)
        .map_err(|_| ApiError::bad_request("the Accept header is malformed"))?;
    let ranges: Vec<((&str, &str), Quality)> = accept
        .0
        .iter()
        .map(|q| {
            (
                (q.item.type_().as_str(), q.item.subtype().as_str()),
                q.quality,
            )
        })
        .collect();
    let mut best: Option<(Quality, u8, usize)> = None;
    for (index, (kind, sub, _)) in offers.iter().enumerate() {
        // The most specific matching range decides; among equals, the best q.
        let Some((quality, specific)) = ranges
            .iter()
            .filter_map(|(range, q)| specificity(*range, (kind, sub)).map(|s| (*q, s)))
            .max_by_key(|(q, s)| (*s, *q))
        else {
            continue;
        };
        if quality == Quality::ZERO {
            continue;
        }
        let better = best.is_none_or(|(q, s, _)| (quality, specific) > (q, s));
        if better {
            best = Some((quality, specific, index));
        }
    }
    if let Some((_, _, index)) = best {
        return Ok(offers[index].2);
    }
    let offered: Vec<String> = offers.iter().map(|(k, s, _)| format!("{k}/{s}")).collect();
    Err(ApiError::NotAcceptable(format!(
        "available as {}",
        offered.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    const OFFERS: [Offer<&str>; 3] = [
        ("application", "json", "json"),
        ("text", "markdown", "markdown"),
        ("text", "html", "html"),
    ];

    fn pick(accept: &str) -> Result<&'static str, ApiError> {
        let req = TestRequest::default()
            .insert_header((header::ACCEPT, accept))
            .to_http_request();
        negotiate(&req, &OFFERS)
    }

    #[test]
    fn the_most_specific_range_decides() {
        assert_eq!(pick("*/*").unwrap(), "json");
        assert_eq!(pick("*/*, text/html").unwrap(), "html");
        assert_eq!(pick("text/*, text/html").unwrap(), "html");
        assert_eq!(pick("text/*").unwrap(), "markdown");
        assert_eq!(
            pick("text/html;q=0.5, application/json;q=0.9").unwrap(),
            "json"
        );
        assert_eq!(pick("*/*, application/json;q=0").unwrap(), "markdown");
        assert_eq!(pick("text/*, text/markdown;q=0").unwrap(), "html");
        assert!(matches!(pick("image/png"), Err(ApiError::NotAcceptable(_))));
        assert!(matches!(
            pick("application/json;q=0"),
            Err(ApiError::NotAcceptable(_))
        ));
        let none = TestRequest::default().to_http_request();
        assert_eq!(negotiate(&none, &OFFERS).unwrap(), "json");
    }
}
