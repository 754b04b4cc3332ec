//! The guarded client that takes a flow's requests out of the process, with an SSRF guard.
//!
//! A flow's URL is tenant input: without a guard, anyone who can edit a flow could make the
//! server fetch its own admin endpoints, the cloud metadata service or hosts on the private
//! network. Every request therefore goes to a public address unless the tenant's [`Policy`]
//! names the host.
//!
//! # How the guard reaches the connection
//!
//! [`OutboundHttp`] holds two reqwest clients and picks one per hop, before any I/O:
//!
//! - **guarded** (every host the policy does not name): its DNS resolver, `GuardedResolver`,
//!   (in [`super::guard`]) does the lookup itself, refuses the name when *any* address is not public, and hands
//!   reqwest exactly the addresses it checked. reqwest connects to those, so there is no
//!   second lookup for a rebinding DNS server to answer differently. IP-literal URLs never
//!   reach a resolver, so [`OutboundHttp::send`] classifies them itself.
//! - **trusted** (hosts the tenant's policy names): plain resolution, no address check — the
//!   tenant vouched for the host, wherever it points.
//!
//! The resolver needs no policy at all, so nothing has to smuggle the tenant's settings into
//! reqwest's connector (a task-local would not survive reqwest's background connection
//! tasks; a client per tenant would multiply pools and TLS setups). Pools stay safe to share:
//! the guarded pool only ever holds connections to checked public addresses, and the trusted
//! pool is only used for a host when the requesting tenant's own policy names that host.
//!
//! Redirects are followed by hand (at most [`MAX_REDIRECTS`]) so that each hop goes through
//! the same choice and checks; both clients have proxies disabled, because a proxy would
//! resolve and connect on our behalf and bypass the guard.

use std::collections::BTreeMap;
use std::error::Error as StdError;
use std::net::IpAddr;
use std::sync::Arc;

use flow_engine::model::HttpMethod;
use flow_engine::runtime::{Event, HttpFailure, HttpRequest};
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Client, Method, StatusCode, Url};

use super::guard::{check_ip, AddressClass, GuardedResolver};
use super::policy::Policy;
use super::{time_limit, MAX_TIMEOUT};

/// The largest response body handed to a flow.
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;
/// Redirects followed before giving up.
pub const MAX_REDIRECTS: usize = 3;
/// Sent unless the flow sets its own `User-Agent`.
pub const USER_AGENT: &str = concat!("callflow/", env!("CARGO_PKG_VERSION"));
/// Why a request got no answer. The `Display` texts are the stable `HttpFailed` errors flows
/// and call records see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    #[error("invalid url")]
    InvalidUrl,
    #[error("unsupported scheme")]
    UnsupportedScheme,
    #[error("invalid header")]
    InvalidHeader,
    #[error("blocked: {class} address {ip} is not allowed")]
    Blocked { ip: IpAddr, class: AddressClass },
    #[error("host not found")]
    HostNotFound,
    #[error("connection failed")]
    ConnectionFailed,
    #[error("timeout")]
    Timeout,
    #[error("response larger than 1 MB")]
    TooLarge,
    #[error("too many redirects")]
    TooManyRedirects,
    #[error("invalid redirect")]
    InvalidRedirect,
    #[error("request failed")]
    Failed,
}

impl OutboundError {
    /// The kind of failure the flow's records keep.
    pub fn failure(&self) -> HttpFailure {
        match self {
            OutboundError::InvalidUrl
            | OutboundError::UnsupportedScheme
            | OutboundError::InvalidHeader => HttpFailure::InvalidRequest,
            OutboundError::Blocked { .. } => HttpFailure::Blocked,
            OutboundError::HostNotFound => HttpFailure::HostNotFound,
            OutboundError::ConnectionFailed => HttpFailure::Connect,
            OutboundError::Timeout => HttpFailure::Timeout,
            OutboundError::TooLarge => HttpFailure::TooLarge,
            OutboundError::TooManyRedirects | OutboundError::InvalidRedirect => {
                HttpFailure::Redirect
            }
            OutboundError::Failed => HttpFailure::Failed,
        }
    }

    fn from_reqwest(error: &reqwest::Error) -> OutboundError {
        // The resolver's refusal travels up through hyper's and reqwest's wrappers.
        let mut source: Option<&(dyn StdError + 'static)> = Some(error);
        while let Some(cause) = source {
            if let Some(ours) = cause.downcast_ref::<OutboundError>() {
                return ours.clone();
            }
            source = cause.source();
        }
        if error.is_timeout() {
            OutboundError::Timeout
        } else if error.is_connect() {
            OutboundError::ConnectionFailed
        } else if error.is_builder() {
            OutboundError::InvalidUrl
        } else {
            OutboundError::Failed
        }
    }
}

/// Makes the flows' HTTP requests. Cheap to clone; clones share connection pools.
#[derive(Clone)]
pub struct OutboundHttp {
    guarded: Client,
    trusted: Client,
}

/// A final (non-redirect) answer.
struct Answer {
    status: u16,
    headers: BTreeMap<String, String>,
    body: String,
}

/// Request headers a flow may not set: they describe the connection or the framing, which
/// are ours to decide, and conflicting values invite request smuggling.
const CONNECTION_HEADERS: [&str; 9] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "proxy-connection",
];

/// Credentials that must not follow a redirect to another host.
const CREDENTIAL_HEADERS: [&str; 3] = ["authorization", "cookie", "proxy-authorization"];

impl OutboundHttp {
    /// Builds the clients. Fails only when the TLS backend cannot start.
    pub fn new() -> Result<OutboundHttp, reqwest::Error> {
        let builder = || {
            Client::builder()
                .user_agent(USER_AGENT)
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .timeout(MAX_TIMEOUT)
        };
        Ok(OutboundHttp {
            guarded: builder().dns_resolver(Arc::new(GuardedResolver)).build()?,
            trusted: builder().build()?,
        })
    }

    /// Makes a flow's request under a tenant's policy and answers with `HttpResponse` (any
    /// status) or `HttpFailed`.
    pub async fn send(&self, request: &HttpRequest, policy: &Policy) -> Event {
        let limit = time_limit(request);
        let result = match tokio::time::timeout(limit, self.exchange(request, policy)).await {
            Ok(result) => result,
            Err(_) => Err(OutboundError::Timeout),
        };
        match result {
            Ok(answer) => Event::HttpResponse {
                status: answer.status,
                headers: answer.headers,
                body: answer.body,
            },
            Err(error) => {
                tracing::debug!(%error, "outbound request failed");
                Event::HttpFailed {
                    failure: error.failure(),
                    error: error.to_string(),
                }
            }
        }
    }

    /// Picks the client for one hop, refusing non-public IP literals before any I/O.
    fn client_for(&self, url: &Url, policy: &Policy) -> Result<&Client, OutboundError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(OutboundError::UnsupportedScheme);
        }
        let host = url.host_str().ok_or(OutboundError::InvalidUrl)?;
        let port = url
            .port_or_known_default()
            .ok_or(OutboundError::InvalidUrl)?;
        if policy.allows(host, port) {
            return Ok(&self.trusted);
        }
        let literal = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if let Ok(ip) = literal.parse::<IpAddr>() {
            check_ip(ip)?;
        }
        Ok(&self.guarded)
    }

    async fn exchange(
        &self,
        request: &HttpRequest,
        policy: &Policy,
    ) -> Result<Answer, OutboundError> {
        let mut url = Url::parse(&request.url).map_err(|_| OutboundError::InvalidUrl)?;
        let mut method = method_of(request.method);
        let mut body = request.body.clone();
        let mut headers = request_headers(request)?;
        let mut redirects = 0;
        loop {
            let client = self.client_for(&url, policy)?;
            let mut builder = client
                .request(method.clone(), url.clone())
                .headers(headers.clone());
            if let Some(body) = &body {
                builder = builder.body(body.clone());
            }
            let response = builder
                .send()
                .await
                .map_err(|e| OutboundError::from_reqwest(&e))?;
            let status = response.status();
            let location = response.headers().get(header::LOCATION);
            let Some(location) = location.filter(|_| is_followed_redirect(status)) else {
                return read_answer(response).await;
            };
            if redirects == MAX_REDIRECTS {
                return Err(OutboundError::TooManyRedirects);
            }
            redirects += 1;
            let next = location
                .to_str()
                .ok()
                .and_then(|location| url.join(location).ok())
                .ok_or(OutboundError::InvalidRedirect)?;
            if !matches!(
                status,
                StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT
            ) && method != Method::GET
            {
                // As browsers do: 301/302/303 turn the request into a GET without a body.
                method = Method::GET;
                body = None;
                headers.remove(header::CONTENT_TYPE);
            }
            if next.host_str() != url.host_str()
                || next.port_or_known_default() != url.port_or_known_default()
            {
                for name in CREDENTIAL_HEADERS {
                    headers.remove(name);
                }
            }
            url = next;
        }
    }
}

fn is_followed_redirect(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::MOVED_PERMANENTLY
            | StatusCode::FOUND
            | StatusCode::SEE_OTHER
            | StatusCode::TEMPORARY_REDIRECT
            | StatusCode::PERMANENT_REDIRECT
    )
}

fn method_of(method: HttpMethod) -> Method {
    match method {
        HttpMethod::Get => Method::GET,
        HttpMethod::Post => Method::POST,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Delete => Method::DELETE,
    }
}

fn request_headers(request: &HttpRequest) -> Result<HeaderMap, OutboundError> {
    let mut headers = HeaderMap::new();
    for (name, value) in &request.headers {
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| OutboundError::InvalidHeader)?;
        if CONNECTION_HEADERS.contains(&name.as_str()) {
            continue;
        }
        let value =
            HeaderValue::from_str(value.trim()).map_err(|_| OutboundError::InvalidHeader)?;
        headers.append(name, value);
    }
    if request.body.is_some() && !headers.contains_key(header::CONTENT_TYPE) {
        // Flows write JSON bodies; an API that gets no content type often rejects them.
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    Ok(headers)
}

async fn read_answer(mut response: reqwest::Response) -> Result<Answer, OutboundError> {
    // A declared length is only a shortcut for refusing early; the loop below enforces the cap
    // whatever the server declared.
    if response
        .content_length()
        .is_some_and(|length| length > MAX_RESPONSE_BYTES as u64)
    {
        return Err(OutboundError::TooLarge);
    }
    let status = response.status().as_u16();
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in response.headers() {
        let value = String::from_utf8_lossy(value.as_bytes());
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|joined| {
                joined.push_str(", ");
                joined.push_str(&value);
            })
            .or_insert_with(|| value.into_owned());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| OutboundError::from_reqwest(&e))?
    {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(OutboundError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    let body = match String::from_utf8(body) {
        Ok(text) => text,
        Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
    };
    Ok(Answer {
        status,
        headers,
        body,
    })
}
#[cfg(test)]
mod tests {
    use super::*;

    use std::net::SocketAddr;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    use axum::extract::Request as AxumRequest;
    use axum::http::header::LOCATION;
    use axum::http::StatusCode as AxumStatus;
    use axum::response::{IntoResponse, Response};
    use axum::routing::{any, get};
    use axum::Router;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    struct TestServer {
        addr: SocketAddr,
    }

    impl TestServer {
        fn url(&self, path: &str) -> String {
            format!("http://{}{path}", self.addr)
        }

        fn policy(&self) -> Policy {
            Policy::allowing([self.addr.to_string()])
        }
    }

    async fn echo(request: AxumRequest) -> Response {
        let (parts, body) = request.into_parts();
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        let answer = serde_json::json!({
            "method": parts.method.as_str(),
            "path": parts.uri.path(),
            "content_type": header("content-type"),
            "user_agent": header("user-agent"),
            "authorization": header("authorization"),
            "x_custom": header("x-custom"),
            "body": String::from_utf8_lossy(&body),
        });
        (
            AxumStatus::CREATED,
            [("x-demo", "yes"), ("content-type", "application/json")],
            answer.to_string(),
        )
            .into_response()
    }

    async fn serve() -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/echo", any(echo))
            .route("/big", get(|| async { vec![b'x'; 2 * MAX_RESPONSE_BYTES] }))
            .route(
                "/exactly-1mb",
                get(|| async { vec![b'y'; MAX_RESPONSE_BYTES] }),
            )
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    "late"
                }),
            )
            .route(
                "/redirect/private",
                get(|| async { redirect(AxumStatus::FOUND, "http://10.0.0.1/admin") }),
            )
            .route(
                "/redirect/metadata",
                get(|| async {
                    redirect(
                        AxumStatus::TEMPORARY_REDIRECT,
                        "http://169.254.169.254/latest/meta-data/",
                    )
                }),
            )
            .route(
                "/redirect/same",
                any(|| async { redirect(AxumStatus::SEE_OTHER, "/echo") }),
            )
            .route(
                "/redirect/keep",
                any(|| async { redirect(AxumStatus::PERMANENT_REDIRECT, "/echo") }),
            )
            .route(
                "/redirect/loop",
                get(|| async { redirect(AxumStatus::FOUND, "/redirect/loop") }),
            )
            .route(
                "/redirect/bad",
                get(|| async { redirect(AxumStatus::FOUND, "http://[::1") }),
            );
        let app = app.route(
            "/redirect/localhost",
            get(move || async move {
                redirect(
                    AxumStatus::FOUND,
                    &format!("http://localhost:{}/echo", addr.port()),
                )
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        TestServer { addr }
    }

    fn redirect(status: AxumStatus, location: &str) -> Response {
        (status, [(LOCATION, location.to_owned())]).into_response()
    }

    fn get_request(url: &str) -> HttpRequest {
        HttpRequest {
            method: HttpMethod::Get,
            url: url.to_owned(),
            headers: Vec::new(),
            body: None,
            timeout_ms: 3000,
        }
    }

    fn failure(event: &Event) -> &str {
        match event {
            Event::HttpFailed { error, .. } => error,
            other => panic!("expected HttpFailed, got {other:?}"),
        }
    }

    fn response(event: &Event) -> (u16, &BTreeMap<String, String>, serde_json::Value) {
        match event {
            Event::HttpResponse {
                status,
                headers,
                body,
            } => (
                *status,
                headers,
                serde_json::from_str(body).unwrap_or_default(),
            ),
            other => panic!("expected HttpResponse, got {other:?}"),
        }
    }

    /// A raw listener that counts connections, to prove refusals happen before connecting.
    async fn counting_listener() -> (SocketAddr, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let count = Arc::new(AtomicUsize::new(0));
        let seen = count.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                seen.fetch_add(1, Ordering::SeqCst);
                let mut buf = [0u8; 1024];
                let _ = socket.read(&mut buf).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                    .await;
            }
        });
        (addr, count)
    }

    #[tokio::test]
    async fn loopback_is_refused_by_default() {
        let server = serve().await;
        let http = OutboundHttp::new().unwrap();
        let event = http
            .send(&get_request(&server.url("/echo")), &Policy::default())
            .await;
        assert_eq!(
            failure(&event),
            "blocked: loopback address 127.0.0.1 is not allowed"
        );
        assert!(matches!(
            event,
            Event::HttpFailed {
                failure: HttpFailure::Blocked,
                ..
            }
        ));
        // Allowing another port of the same host does not help.
        let other_port = Policy::allowing([format!("127.0.0.1:{}", server.addr.port() + 1)]);
        let event = http
            .send(&get_request(&server.url("/echo")), &other_port)
            .await;
        assert!(failure(&event).starts_with("blocked:"));
    }

    #[tokio::test]
    async fn allowed_host_gets_status_headers_and_body() {
        let server = serve().await;
        let http = OutboundHttp::new().unwrap();
        let request = HttpRequest {
            method: HttpMethod::Post,
            url: server.url("/echo"),
            headers: vec![
                ("X-Custom".into(), "42".into()),
                ("Content-Length".into(), "999".into()),
                ("Host".into(), "evil.example".into()),
            ],
            body: Some(r#"{"order_id": "2024061801"}"#.into()),
            timeout_ms: 3000,
        };
        for policy in [server.policy(), Policy::allowing(["127.0.0.1"])] {
            let event = http.send(&request, &policy).await;
            let (status, headers, body) = response(&event);
            assert_eq!(status, 201);
            assert_eq!(headers.get("x-demo").map(String::as_str), Some("yes"));
            assert_eq!(body["method"], "POST");
            assert_eq!(body["body"], r#"{"order_id": "2024061801"}"#);
            assert_eq!(body["content_type"], "application/json");
            assert_eq!(body["user_agent"], USER_AGENT);
            assert_eq!(body["x_custom"], "42");
        }
    }

    #[tokio::test]
    async fn flow_headers_override_defaults() {
        let server = serve().await;
        let http = OutboundHttp::new().unwrap();
        let request = HttpRequest {
            method: HttpMethod::Put,
            url: server.url("/echo"),
            headers: vec![
                ("Content-Type".into(), "text/plain".into()),
                ("User-Agent".into(), "shop-bot".into()),
            ],
            body: Some("hello".into()),
            timeout_ms: 3000,
        };
        let event = http.send(&request, &server.policy()).await;
        let (_, _, body) = response(&event);
        assert_eq!(body["method"], "PUT");
        assert_eq!(body["content_type"], "text/plain");
        assert_eq!(body["user_agent"], "shop-bot");
        let bad = HttpRequest {
            headers: vec![("bad header".into(), "x".into())],
            ..request
        };
        assert_eq!(
            failure(&http.send(&bad, &server.policy()).await),
            "invalid header"
        );
    }

    #[tokio::test]
    async fn body_over_one_mib_fails() {
        let server = serve().await;
        let http = OutboundHttp::new().unwrap();
        let event = http
            .send(&get_request(&server.url("/big")), &server.policy())
            .await;
        assert_eq!(failure(&event), "response larger than 1 MB");
        let event = http
            .send(&get_request(&server.url("/exactly-1mb")), &server.policy())
            .await;
        match event {
            Event::HttpResponse { status, body, .. } => {
                assert_eq!(status, 200);
                assert_eq!(body.len(), MAX_RESPONSE_BYTES);
            }
            other => panic!("expected a response, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn chunked_body_without_length_is_capped_while_streaming() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // The server offers 64 MiB, more than loopback's socket buffers can hold: it can only
        // finish if the client keeps reading. Whether it finished is the assertion, not how
        // much it wrote by some moment (that depends on buffer sizes and the machine's load).
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf).await;
            let head = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n";
            if socket.write_all(head).await.is_err() {
                return false;
            }
            let chunk = vec![b'z'; 64 * 1024];
            for _ in 0..1024 {
                let frame = format!("{:x}\r\n", chunk.len());
                let ok = socket.write_all(frame.as_bytes()).await.is_ok()
                    && socket.write_all(&chunk).await.is_ok()
                    && socket.write_all(b"\r\n").await.is_ok();
                if !ok {
                    return false;
                }
            }
            socket.write_all(b"0\r\n\r\n").await.is_ok()
        });
        let http = OutboundHttp::new().unwrap();
        let event = http
            .send(
                &get_request(&format!("http://{addr}/stream")),
                &Policy::allowing([addr.to_string()]),
            )
            .await;
        assert_eq!(failure(&event), "response larger than 1 MB");
        let finished = tokio::time::timeout(Duration::from_secs(30), server)
            .await
            .expect("the client hung up, so the server's writes fail")
            .unwrap();
        assert!(!finished, "the client read the whole body");
    }

    #[tokio::test]
    async fn slow_server_times_out() {
        let server = serve().await;
        let http = OutboundHttp::new().unwrap();
        let request = HttpRequest {
            timeout_ms: 200,
            ..get_request(&server.url("/slow"))
        };
        let started = Instant::now();
        let event = http.send(&request, &server.policy()).await;
        assert_eq!(failure(&event), "timeout");
        assert!(matches!(
            event,
            Event::HttpFailed {
                failure: HttpFailure::Timeout,
                ..
            }
        ));
        assert!(started.elapsed() < Duration::from_millis(1500));
    }

    #[tokio::test]
    async fn private_ip_literals_are_refused_before_connecting() {
        let http = OutboundHttp::new().unwrap();
        let cases = [
            (
                "http://10.0.0.1/",
                "blocked: private address 10.0.0.1 is not allowed",
            ),
            (
                "http://192.168.1.1:8080/x",
                "blocked: private address 192.168.1.1 is not allowed",
            ),
            (
                "https://172.16.5.4/",
                "blocked: private address 172.16.5.4 is not allowed",
            ),
            (
                "http://169.254.169.254/latest/meta-data/",
                "blocked: cloud metadata address 169.254.169.254 is not allowed",
            ),
            (
                "http://[fd00:ec2::254]/latest/meta-data/",
                "blocked: cloud metadata address fd00:ec2::254 is not allowed",
            ),
            (
                "http://100.64.1.1/",
                "blocked: carrier-grade NAT address 100.64.1.1 is not allowed",
            ),
            (
                "http://0.0.0.0:8080/",
                "blocked: unspecified address 0.0.0.0 is not allowed",
            ),
            (
                "http://[::1]/",
                "blocked: loopback address ::1 is not allowed",
            ),
            (
                "http://[fe80::1]/",
                "blocked: link-local address fe80::1 is not allowed",
            ),
            (
                "http://2130706433/",
                "blocked: loopback address 127.0.0.1 is not allowed",
            ),
            (
                "http://0x7f.1/",
                "blocked: loopback address 127.0.0.1 is not allowed",
            ),
        ];
        for (url, expected) in cases {
            let event = http.send(&get_request(url), &Policy::default()).await;
            assert_eq!(failure(&event), expected, "{url}");
        }
    }

    #[tokio::test]
    async fn ipv4_mapped_ipv6_is_refused() {
        let (addr, connections) = counting_listener().await;
        let http = OutboundHttp::new().unwrap();
        // Even with the plain IPv4 form allowed, the mapped spelling is judged on its own.
        let policy = Policy::allowing([addr.to_string()]);
        for url in [
            format!("http://[::ffff:127.0.0.1]:{}/", addr.port()),
            format!("http://[::ffff:7f00:1]:{}/", addr.port()),
        ] {
            let event = http.send(&get_request(&url), &policy).await;
            assert_eq!(
                failure(&event),
                "blocked: loopback address ::ffff:127.0.0.1 is not allowed",
                "{url}"
            );
        }
        assert_eq!(connections.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn names_resolving_to_loopback_are_refused_before_connecting() {
        let (addr, connections) = counting_listener().await;
        let http = OutboundHttp::new().unwrap();
        let url = format!("http://localhost:{}/", addr.port());
        let event = http.send(&get_request(&url), &Policy::default()).await;
        let error = failure(&event);
        assert!(error.starts_with("blocked: loopback address "), "{error}");
        // Whether the resolver knows the fully qualified spelling or not, it fails closed.
        for host in ["LOCALHOST.", "localhost."] {
            let url = format!("http://{host}:{}/", addr.port());
            let event = http.send(&get_request(&url), &Policy::default()).await;
            let error = failure(&event);
            assert!(
                error.starts_with("blocked: loopback address ") || error == "host not found",
                "{url}: {error}"
            );
        }
        assert_eq!(connections.load(Ordering::SeqCst), 0);
        // The tenant may allow the name, and then the request goes through.
        let url = format!("http://localhost:{}/", addr.port());
        let policy = Policy::allowing(["localhost"]);
        let event = http.send(&get_request(&url), &policy).await;
        let (status, _, _) = response(&event);
        assert_eq!(status, 200);
        assert!(connections.load(Ordering::SeqCst) >= 1);
    }

    #[tokio::test]
    async fn redirects_are_checked_on_every_hop() {
        let server = serve().await;
        let http = OutboundHttp::new().unwrap();
        let policy = server.policy();
        let cases = [
            (
                "/redirect/private",
                "blocked: private address 10.0.0.1 is not allowed",
            ),
            (
                "/redirect/metadata",
                "blocked: cloud metadata address 169.254.169.254 is not allowed",
            ),
            ("/redirect/loop", "too many redirects"),
            ("/redirect/bad", "invalid redirect"),
        ];
        for (path, expected) in cases {
            let event = http.send(&get_request(&server.url(path)), &policy).await;
            assert_eq!(failure(&event), expected, "{path}");
        }
        let event = http
            .send(&get_request(&server.url("/redirect/localhost")), &policy)
            .await;
        assert!(failure(&event).starts_with("blocked: loopback address "));
    }

    #[tokio::test]
    async fn redirects_within_an_allowed_host_are_followed() {
        let server = serve().await;
        let http = OutboundHttp::new().unwrap();
        let post = HttpRequest {
            method: HttpMethod::Post,
            url: server.url("/redirect/same"),
            headers: vec![("Authorization".into(), "Bearer t".into())],
            body: Some("{}".into()),
            timeout_ms: 3000,
        };
        // 303 turns a POST into a GET without a body.
        let event = http.send(&post, &server.policy()).await;
        let (status, _, body) = response(&event);
        assert_eq!(status, 201);
        assert_eq!(body["method"], "GET");
        assert_eq!(body["path"], "/echo");
        assert_eq!(body["body"], "");
        assert_eq!(body["authorization"], "Bearer t");
        // 308 keeps the method and the body.
        let keep = HttpRequest {
            url: server.url("/redirect/keep"),
            ..post
        };
        let event = http.send(&keep, &server.policy()).await;
        let (_, _, body) = response(&event);
        assert_eq!(body["method"], "POST");
        assert_eq!(body["body"], "{}");
    }

    #[tokio::test]
    async fn bad_urls_fail_cleanly() {
        let http = OutboundHttp::new().unwrap();
        let policy = Policy::allowing(["127.0.0.1"]);
        for (url, expected) in [
            ("not a url", "invalid url"),
            ("/orders/1", "invalid url"),
            ("http://", "invalid url"),
            ("ftp://127.0.0.1/file", "unsupported scheme"),
            ("file:///etc/passwd", "unsupported scheme"),
            ("gopher://127.0.0.1:70/", "unsupported scheme"),
        ] {
            let event = http.send(&get_request(url), &policy).await;
            assert_eq!(failure(&event), expected, "{url}");
        }
    }

    #[tokio::test]
    async fn closed_port_is_a_connection_failure() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let http = OutboundHttp::new().unwrap();
        let event = http
            .send(
                &get_request(&format!("http://{addr}/")),
                &Policy::allowing(["127.0.0.1"]),
            )
            .await;
        assert_eq!(failure(&event), "connection failed");
    }
}
