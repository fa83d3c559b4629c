//! `?limit=` and `?cursor=` read from a request into a [`Page`] (the page
//! itself is the database layer's, `crate::db::page`).

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};

pub use crate::db::page::{Page, PageQuery, Paginated, DEFAULT_LIMIT, MAX_LIMIT};
use crate::error::ApiError;

impl FromRequest for Page {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            web::Query::<PageQuery>::from_query(req.query_string())
                .map_err(|e| ApiError::bad_request(format!("invalid limit or cursor: {e}")))
                .and_then(|q| Page::parse(q.into_inner())),
        )
    }
}
