//! The flow editor (`editor-ui/`), built into `editor-ui/dist` and embedded in the binary, so that
//! `callflow serve` alone shows it at `/`.
//!
//! Every GET that no other route answers and that is not under `/api/` gets the editor: a file
//! of the build when the path names one, else `index.html`, whose script routes in the browser.
//! Built files have content hashes in their names and are cached for a year; `index.html` is
//! revalidated every time, with an ETag.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_embed::Embed;

use crate::error::ApiError;

#[derive(Embed)]
#[folder = "../editor-ui/dist/"]
struct Built;

/// The page may load only its own scripts and styles (React Flow sets inline styles) and talk
/// only to this server; it plays audio it fetched itself (a voice's "listen" sample, held as a
/// `blob:` URL).
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; media-src 'self' blob:; object-src 'none'; base-uri 'self'; \
     frame-ancestors 'none'";

/// The router's fallback: the editor for pages, problem+json 404 for everything else.
pub async fn fallback(request: Request) -> Response {
    let path = request.uri().path();
    let is_read = matches!(*request.method(), Method::GET | Method::HEAD);
    if !is_read || path.starts_with("/api/") || path == "/api" {
        return not_found(&request);
    }
    let file = path.trim_start_matches('/');
    if let Some(response) = asset(file, request.headers()) {
        return response;
    }
    // A missing file with an extension (an old build's script, a typo) is a 404, not the page.
    let last = file.rsplit('/').next().unwrap_or_default();
    if last.contains('.') {
        return not_found(&request);
    }
    asset("index.html", request.headers()).unwrap_or_else(|| not_found(&request))
}

fn not_found(request: &Request) -> Response {
    ApiError::not_found(&format!("{} {}", request.method(), request.uri().path()))
        .in_chinese(format!(
            "找不到 {} {}",
            request.method(),
            request.uri().path()
        ))
        .into_response()
}

fn asset(file: &str, request_headers: &HeaderMap) -> Option<Response> {
    let found = Built::get(if file.is_empty() { "index.html" } else { file })?;
    let etag = format!("\"{}\"", hex::encode(&found.metadata.sha256_hash()[..16]));
    let is_page = file.is_empty() || file.ends_with(".html");
    let cache = if is_page || !file.starts_with("assets/") {
        "no-cache"
    } else {
        "public, max-age=31536000, immutable"
    };
    let mut response = if request_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag))
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = Response::new(Body::from(found.data.into_owned()));
        if let Ok(mime) = HeaderValue::from_str(found.metadata.mimetype()) {
            response.headers_mut().insert(header::CONTENT_TYPE, mime);
        }
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if is_page {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
    }
    Some(response)
}
