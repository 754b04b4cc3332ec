//! Real HTTP for `http` nodes in the simulator.

use std::collections::BTreeMap;
use std::time::Duration;

use flow_engine::model::HttpMethod;
use flow_engine::runtime::{Event, HttpFailure, HttpRequest};

/// Responses larger than this are cut off and treated as a failure.
const MAX_BODY_BYTES: u64 = 1024 * 1024;

#[derive(Clone)]
pub struct Client {
    inner: reqwest::Client,
}

impl Client {
    pub fn new() -> Result<Client, String> {
        reqwest::Client::builder()
            .user_agent(concat!("callflow/", env!("CARGO_PKG_VERSION")))
            .build()
            .map(|inner| Client { inner })
            .map_err(|e| format!("cannot start the HTTP client: {e}"))
    }

    /// Makes the request and turns the answer (or the failure) into an event for the flow.
    pub async fn send(&self, request: &HttpRequest) -> Event {
        let method = match request.method {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Post => reqwest::Method::POST,
            HttpMethod::Put => reqwest::Method::PUT,
            HttpMethod::Patch => reqwest::Method::PATCH,
            HttpMethod::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self
            .inner
            .request(method, &request.url)
            .timeout(Duration::from_millis(u64::from(request.timeout_ms)));
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = &request.body {
            let is_json = request
                .headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
            if !is_json {
                builder = builder.header("content-type", "application/json");
            }
            builder = builder.body(body.clone());
        }
        let mut response = match builder.send().await {
            Ok(response) => response,
            Err(error) => return failed(&error),
        };
        let status = response.status().as_u16();
        let headers: BTreeMap<String, String> = response
            .headers()
            .iter()
            .filter_map(|(name, value)| {
                Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
            })
            .collect();
        let mut bytes = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(error) => {
                    return Event::HttpFailed {
                        failure: HttpFailure::Failed,
                        error: format!("reading the response failed: {error}"),
                    }
                }
            }
            if bytes.len() as u64 > MAX_BODY_BYTES {
                return Event::HttpFailed {
                    failure: HttpFailure::TooLarge,
                    error: "the response is larger than 1 MB".into(),
                };
            }
        }
        Event::HttpResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }
}

fn failed(error: &reqwest::Error) -> Event {
    let (failure, error) = if error.is_timeout() {
        (HttpFailure::Timeout, "timeout".into())
    } else if error.is_connect() {
        (HttpFailure::Connect, format!("connection failed: {error}"))
    } else if error.is_builder() {
        (
            HttpFailure::InvalidRequest,
            format!("invalid request: {error}"),
        )
    } else {
        (HttpFailure::Failed, error.to_string())
    };
    Event::HttpFailed { failure, error }
}
