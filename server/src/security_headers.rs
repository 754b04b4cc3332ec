//! The headers every answer carries so that browsers treat it safely: no MIME sniffing, no
//! referrer to other sites, no framing, API answers never cached (they hold API keys, login
//! tokens and customers' words), and HSTS when the service is reached over HTTPS.

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The API documentation page (Swagger UI) loads its own scripts, styles and images, and sets
/// inline styles; it talks only to this server, and no other site may frame it.
const DOCS_POLICY: &str =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// Every other answer without a policy of its own (JSON, problems, files): nothing in it may
/// run or load anything, and no page may frame it.
const DEFAULT_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// A year, as browsers expect of a site that is HTTPS for good.
const HSTS: &str = "max-age=31536000";

/// Whether the browser reached the service over HTTPS: the configured public URL says so, or a
/// TLS proxy in front does (`X-Forwarded-Proto`). Decides `Secure` cookies and HSTS.
pub fn is_https(public_url: Option<&str>, headers: &HeaderMap) -> bool {
    public_url.is_some_and(|url| url.starts_with("https://"))
        || headers
            .get("x-forwarded-proto")
            .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"https"))
}

/// Middleware: adds the headers an answer lacks; a handler's own choice (a page's policy, a
/// file's caching) stands.
pub async fn add(public_url: Option<&str>, request: Request, next: Next) -> Response {
    // Decided before the request is handed on, from the borrowed path: no copy per answer.
    let path = request.uri().path();
    let is_docs = path == "/docs" || path.starts_with("/docs/");
    let no_store = path.starts_with("/api/") || path.starts_with("/widget/");
    let https = is_https(public_url, request.headers());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let mut default = |name: header::HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    };
    default(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    default(header::REFERRER_POLICY, "same-origin");
    default(header::X_FRAME_OPTIONS, "DENY");
    default(
        header::CONTENT_SECURITY_POLICY,
        if is_docs { DOCS_POLICY } else { DEFAULT_POLICY },
    );
    if no_store {
        default(header::CACHE_CONTROL, "no-store");
    }
    if https {
        default(header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    response
}
