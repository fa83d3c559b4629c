//! Headers every answer of the service carries (JSON, problems, CSV,
//! iCalendar, Markdown, the minutes page, the docs, 404s): no MIME sniffing,
//! no framing by another site, and a content security policy. A handler that
//! sets one of them itself (the minutes page's own policy) keeps its own.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{
    HeaderName, HeaderValue, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use actix_web::middleware::Next;

/// An API answer is data, never a page: it may load nothing and be framed
/// nowhere (OWASP REST Security).
pub const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// The browsable docs (`/docs`, Swagger UI, served from the binary): its
/// scripts and stylesheets from the service itself, the inline styles its
/// components set, its data: icons, and calls to the service only; no inline
/// or remote script, framed nowhere.
pub const DOCS_POLICY: &str = "default-src 'none'; script-src 'self'; \
style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The headers an answer to `path` carries unless it set them.
pub fn defaults(path: &str) -> [(HeaderName, &'static str); 4] {
    let docs = path == "/docs" || path.starts_with("/docs/");
    [
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (X_FRAME_OPTIONS, "DENY"),
        (REFERRER_POLICY, "no-referrer"),
        (
            CONTENT_SECURITY_POLICY,
            if docs { DOCS_POLICY } else { API_POLICY },
        ),
    ]
}

/// Outermost but the log, so answers made by inner middleware (problem
/// bodies, refused preflights) get the headers too. (Handlers' errors are
/// answers by then; no middleware inside returns an error.)
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let defaults = defaults(req.path());
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    for (name, value) in defaults {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_docs_have_their_own_policy_and_nothing_is_framed() {
        let policy = |path: &str| {
            defaults(path)
                .into_iter()
                .find(|(name, _)| name == CONTENT_SECURITY_POLICY)
                .map(|(_, value)| value)
                .unwrap()
        };
        assert_eq!(policy("/docs/"), DOCS_POLICY);
        assert_eq!(policy("/docs/swagger-ui.css"), DOCS_POLICY);
        assert_eq!(policy("/docsx"), API_POLICY);
        assert_eq!(policy("/v1/partnerships"), API_POLICY);
        for path in ["/docs/", "/v1/x"] {
            assert!(policy(path).contains("frame-ancestors 'none'"));
            assert!(!policy(path).contains("script-src 'unsafe"));
        }
    }
}
