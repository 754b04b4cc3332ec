//! `GET /widget.js`: the widget itself, built into the binary. Plain JavaScript with no
//! dependencies and no requests but to this server; shops' pages load it on every view, so it
//! is cached, and revalidated by its hash when the cache runs out.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::Digest;
use std::sync::LazyLock;

const SCRIPT: &str = include_str!("widget.js");

/// The script's entity tag: a hash of its text, so that a new server's script is fetched anew.
static ETAG: LazyLock<String> = LazyLock::new(|| {
    let hash = hex::encode(sha2::Sha256::digest(SCRIPT.as_bytes()));
    format!("\"{}\"", &hash[..32])
});

pub async fn widget_js(headers: HeaderMap) -> Response {
    let etag = ETAG.as_str();
    let cache = [
        (header::ETAG, HeaderValue::from_static(etag)),
        // An hour: a page that loads it again soon does not ask; a new version reaches every
        // page within the hour.
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600"),
        ),
    ];
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag));
    if fresh {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    (
        cache,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/javascript; charset=utf-8"),
        )],
        SCRIPT,
    )
        .into_response()
}
