//! Content negotiation by `Accept` for operations with several
//! representations (minutes; the action log): the caller's most preferred
//! media type the operation offers, wildcards included, `q=0` meaning "not
//! this"; the first offer when `Accept` is absent; 406 when nothing offered
//! is acceptable, 400 when the header is malformed.

use actix_web::http::header::{self, Header, Quality};
use actix_web::HttpRequest;

use crate::error::ApiError;

/// One representation an operation offers: `("text", "csv", value)`.
pub type Offer<T> = (&'static str, &'static str, T);

pub fn negotiate<T: Copy>(req: &HttpRequest, offers: &[Offer<T>]) -> Result<T, ApiError> {
    let default = offers.first().expect("an operation offers something").2;
    if !req.headers().contains_key(header::ACCEPT) {
        return Ok(default);
    }
    let accept = header::Accept::parse(req)
        .map_err(|_| ApiError::bad_request("the Accept header is malformed"))?;
    let mut wanted: Vec<_> = accept
        .0
        .iter()
        .filter(|q| q.quality > Quality::ZERO)
        .collect();
    // Stable: among equal preferences the header's order stands.
    wanted.sort_by_key(|q| std::cmp::Reverse(q.quality));
    for item in wanted {
        let (kind, sub) = (item.item.type_().as_str(), item.item.subtype().as_str());
        let found = offers
            .iter()
            .find(|(k, s, _)| (kind == "*" || kind == *k) && (sub == "*" || sub == *s));
        if let Some((_, _, value)) = found {
            return Ok(*value);
        }
    }
    let offered: Vec<String> = offers.iter().map(|(k, s, _)| format!("{k}/{s}")).collect();
    Err(ApiError::NotAcceptable(format!(
        "available as {}",
        offered.join(", ")
    )))
}
