//! Requests to the built-in demo shop, answered in process by its router with the same time
//! and size limits as requests that leave the process.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Method, Request, Uri};
use flow_engine::runtime::{Event, HttpFailure, HttpRequest};

use super::{time_limit, MAX_RESPONSE_BYTES};
use crate::demo::DemoShop;

/// Requests under this base URL are answered by the built-in demo shop, in process.
pub use crate::demo::first_run::DEMO_SHOP_BASE;

/// The path (with query) of a URL under [`DEMO_SHOP_BASE`], or `None` for any other URL.
pub fn demo_shop_path(url: &str) -> Option<&str> {
    let rest = url.strip_prefix(DEMO_SHOP_BASE)?;
    match rest.chars().next() {
        None => Some("/"),
        Some('/' | '?') => Some(rest),
        Some(_) => None,
    }
}

fn failed(failure: HttpFailure, error: &str) -> Event {
    Event::HttpFailed {
        failure,
        error: error.to_owned(),
    }
}

/// Asks the demo shop router directly.
pub(super) async fn call_demo_shop(
    shop: &DemoShop,
    tenant_id: &str,
    request: &HttpRequest,
    path: &str,
) -> Event {
    let Ok(uri) = path.parse::<Uri>() else {
        return failed(HttpFailure::InvalidRequest, "invalid url");
    };
    let Ok(method) = Method::from_bytes(request.method.as_str().as_bytes()) else {
        return failed(HttpFailure::InvalidRequest, "invalid url");
    };
    let mut builder = Request::builder().method(method).uri(uri);
    let mut has_content_type = false;
    for (name, value) in &request.headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.trim().as_bytes()),
            HeaderValue::from_str(value.trim()),
        ) else {
            return failed(HttpFailure::InvalidRequest, "invalid header");
        };
        has_content_type |= name == axum::http::header::CONTENT_TYPE;
        builder = builder.header(name, value);
    }
    if request.body.is_some() && !has_content_type {
        builder = builder.header(axum::http::header::CONTENT_TYPE, "application/json");
    }
    let body = request.body.clone().map_or_else(Body::empty, Body::from);
    let Ok(http_request) = builder.body(body) else {
        return failed(HttpFailure::InvalidRequest, "invalid url");
    };
    let limit = time_limit(request);
    let exchange = async {
        let response = shop.answer(tenant_id, http_request).await;
        let status = response.status().as_u16();
        let headers: BTreeMap<String, String> = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        match axum::body::to_bytes(response.into_body(), MAX_RESPONSE_BYTES).await {
            Ok(bytes) => Event::HttpResponse {
                status,
                headers,
                body: String::from_utf8_lossy(&bytes).into_owned(),
            },
            Err(_) => failed(HttpFailure::TooLarge, "response larger than 1 MB"),
        }
    };
    tokio::time::timeout(limit, exchange)
        .await
        .unwrap_or_else(|_| failed(HttpFailure::Timeout, "timeout"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_urls_under_the_demo_base_are_in_process() {
        assert_eq!(
            demo_shop_path(&format!("{DEMO_SHOP_BASE}/orders/1")),
            Some("/orders/1")
        );
        assert_eq!(demo_shop_path(DEMO_SHOP_BASE), Some("/"));
        assert_eq!(demo_shop_path(&format!("{DEMO_SHOP_BASE}x/orders")), None);
        assert_eq!(demo_shop_path("http://example.com/api/orders/1"), None);
    }
}
