//! Problem+json for answers made outside handlers: unknown routes, wrong
//! methods, and any framework error that arrives without a problem body.

use actix_web::body::{BoxBody, EitherBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::HttpResponse;

use crate::error::{problem_response, ApiError, Problem, PROBLEM_JSON};

/// The default service: nothing is routed here.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found("no such route"))
}

/// Gives any error answer without a problem body one, keeping its headers
/// (e.g. `Allow` on a 405).
pub fn problem_body<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON));
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let detail = match status.as_u16() {
        404 => "no such route".to_owned(),
        405 => "this route does not accept that method; see the Allow header".to_owned(),
        413 => "the request body is too large".to_owned(),
        _ => status.canonical_reason().unwrap_or("error").to_owned(),
    };
    let problem = Problem {
        kind: "about:blank".to_owned(),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail,
        errors: Vec::new(),
    };
    let (req, res) = res.into_parts();
    let mut replacement = problem_response(status, &problem);
    for (name, value) in res.headers() {
        if name != CONTENT_TYPE && name != actix_web::http::header::CONTENT_LENGTH {
            replacement
                .headers_mut()
                .insert(name.clone(), value.clone());
        }
    }
    let res: HttpResponse<EitherBody<B, BoxBody>> = replacement.map_into_right_body();
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(
        req, res,
    )))
}
