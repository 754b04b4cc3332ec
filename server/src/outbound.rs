//! Outbound HTTP for the flows' `http` nodes, with an SSRF guard.
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
//!   does the lookup itself, refuses the name when *any* address is not public, and hands
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
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use flow_engine::model::HttpMethod;
use flow_engine::runtime::{Event, HttpFailure, HttpRequest};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Client, Method, StatusCode, Url};

/// The longest a flow may wait for an answer, whatever its node says.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest response body handed to a flow.
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;
/// Redirects followed before giving up.
pub const MAX_REDIRECTS: usize = 3;
/// Sent unless the flow sets its own `User-Agent`.
pub const USER_AGENT: &str = concat!("callflow/", env!("CARGO_PKG_VERSION"));

/// What a tenant allows beyond the public internet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Hosts the tenant trusts even when they resolve to loopback, private or other non-public
    /// addresses: `host` (any port) or `host:port`; IPv6 as `[::1]` or `[::1]:8080`. Names are
    /// compared as URLs normalise them (case, trailing dot, IDNA, IPv4 spellings).
    pub allowed_hosts: Vec<String>,
}

impl Policy {
    /// A policy that allows these hosts.
    pub fn allowing<I, S>(hosts: I) -> Policy
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Policy {
            allowed_hosts: hosts.into_iter().map(Into::into).collect(),
        }
    }

    /// Whether the tenant named this host (as `Url::host_str` gives it) and port.
    pub fn allows(&self, host: &str, port: u16) -> bool {
        let Some(host) = normalize_host(host) else {
            return false;
        };
        self.allowed_hosts.iter().any(|entry| {
            parse_allowed(entry).is_some_and(|(allowed, allowed_port)| {
                allowed == host && allowed_port.is_none_or(|p| p == port)
            })
        })
    }
}

/// Splits an allowed-hosts entry into its normalised host and optional port.
fn parse_allowed(entry: &str) -> Option<(String, Option<u16>)> {
    let entry = entry.trim();
    let (host, port) = if entry.starts_with('[') {
        let end = entry.find(']')?;
        let (host, rest) = entry.split_at(end + 1);
        match rest {
            "" => (host.to_owned(), None),
            _ => (host.to_owned(), Some(rest.strip_prefix(':')?.parse().ok()?)),
        }
    } else if entry.matches(':').count() > 1 {
        // A bare IPv6 address: its colons are not a port separator.
        (format!("[{entry}]"), None)
    } else if let Some((host, port)) = entry.split_once(':') {
        (host.to_owned(), Some(port.parse().ok()?))
    } else {
        (entry.to_owned(), None)
    };
    Some((normalize_host(&host)?, port))
}

/// Normalises a host the way URLs are parsed, so that `LOCALHOST.`, `127.1` and
/// `[::FFFF:7f00:1]` compare equal to what a request URL yields.
fn normalize_host(host: &str) -> Option<String> {
    if host.is_empty() || host.contains(['/', '?', '#', '@']) {
        return None;
    }
    let url = Url::parse(&format!("http://{host}/")).ok()?;
    let host = url.host_str()?;
    Some(host.strip_suffix('.').unwrap_or(host).to_owned())
}

/// What kind of address an IP is, for the SSRF guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    Public,
    Loopback,
    Private,
    LinkLocal,
    /// A cloud provider's instance-metadata service (credentials live there).
    Metadata,
    Unspecified,
    Broadcast,
    Multicast,
    /// Carrier-grade NAT, 100.64.0.0/10.
    SharedCgnat,
    Benchmarking,
    Documentation,
    /// Anything else that is not globally routable unicast.
    Reserved,
}

impl AddressClass {
    pub fn is_public(self) -> bool {
        self == AddressClass::Public
    }

    fn describe(self) -> &'static str {
        match self {
            AddressClass::Public => "public",
            AddressClass::Loopback => "loopback",
            AddressClass::Private => "private",
            AddressClass::LinkLocal => "link-local",
            AddressClass::Metadata => "cloud metadata",
            AddressClass::Unspecified => "unspecified",
            AddressClass::Broadcast => "broadcast",
            AddressClass::Multicast => "multicast",
            AddressClass::SharedCgnat => "carrier-grade NAT",
            AddressClass::Benchmarking => "benchmarking",
            AddressClass::Documentation => "documentation",
            AddressClass::Reserved => "reserved",
        }
    }
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// AWS/GCP/Azure/OpenStack, and Alibaba Cloud (common for shops in China).
const METADATA_V4: [Ipv4Addr; 2] = [
    Ipv4Addr::new(169, 254, 169, 254),
    Ipv4Addr::new(100, 100, 100, 200),
];
/// AWS's IPv6 metadata endpoint, fd00:ec2::254.
const METADATA_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254);

/// Classifies an address; only [`AddressClass::Public`] may be contacted without the
/// tenant's say-so.
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(ip) => classify_v4(ip),
        IpAddr::V6(ip) => classify_v6(ip),
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    if METADATA_V4.contains(&ip) {
        return AddressClass::Metadata;
    }
    let [a, b, c, _] = ip.octets();
    match (a, b, c) {
        _ if ip.is_unspecified() => AddressClass::Unspecified,
        _ if ip.is_broadcast() => AddressClass::Broadcast,
        // "This network": as a destination, Linux treats it like 0.0.0.0 (this host).
        (0, _, _) => AddressClass::Unspecified,
        (10, _, _) => AddressClass::Private,
        (100, b, _) if b & 0xc0 == 64 => AddressClass::SharedCgnat,
        (127, _, _) => AddressClass::Loopback,
        (169, 254, _) => AddressClass::LinkLocal,
        (172, b, _) if b & 0xf0 == 16 => AddressClass::Private,
        (192, 0, 0) => AddressClass::Reserved,
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => AddressClass::Documentation,
        (192, 88, 99) => AddressClass::Reserved,
        (192, 168, _) => AddressClass::Private,
        (198, b, _) if b & 0xfe == 18 => AddressClass::Benchmarking,
        (224..=239, _, _) => AddressClass::Multicast,
        (240.., _, _) => AddressClass::Reserved,
        _ => AddressClass::Public,
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    if ip == METADATA_V6 {
        return AddressClass::Metadata;
    }
    if ip.is_unspecified() {
        return AddressClass::Unspecified;
    }
    if ip.is_loopback() {
        return AddressClass::Loopback;
    }
    let s = ip.segments();
    let embedded = Ipv4Addr::from(((s[6] as u32) << 16) | s[7] as u32);
    match s {
        // IPv4-mapped (::ffff:a.b.c.d) and IPv4-translated (::ffff:0:a.b.c.d): the socket
        // reaches the IPv4 address, so it is judged as one.
        [0, 0, 0, 0, 0, 0xffff, _, _] | [0, 0, 0, 0, 0xffff, 0, _, _] => classify_v4(embedded),
        // NAT64 (64:ff9b::a.b.c.d) reaches the IPv4 address through the translator.
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => classify_v4(embedded),
        // IPv4-compatible (::a.b.c.d) is deprecated; some stacks still route it to IPv4.
        [0, 0, 0, 0, 0, 0, _, _] => not_public(classify_v4(embedded)),
        // 6to4 embeds an IPv4 address in bits 16..48; deprecated, never a shop's API.
        [0x2002, hi, lo, ..] => {
            not_public(classify_v4(Ipv4Addr::from(((hi as u32) << 16) | lo as u32)))
        }
        [a, ..] if a & 0xfe00 == 0xfc00 => AddressClass::Private,
        [a, ..] if a & 0xffc0 == 0xfe80 => AddressClass::LinkLocal,
        // Site-local, deprecated but still private wherever it is used.
        [a, ..] if a & 0xffc0 == 0xfec0 => AddressClass::Private,
        [a, ..] if a & 0xff00 == 0xff00 => AddressClass::Multicast,
        [0x2001, 0x0db8, ..] => AddressClass::Documentation,
        [0x3fff, b, ..] if b & 0xf000 == 0 => AddressClass::Documentation,
        // IETF protocol assignments, Teredo (which tunnels to an IPv4 address) among them.
        [0x2001, b, ..] if b < 0x0200 => AddressClass::Reserved,
        // Only 2000::/3 is global unicast.
        [a, ..] if a & 0xe000 != 0x2000 => AddressClass::Reserved,
        _ => AddressClass::Public,
    }
}

/// For deprecated transition forms: the embedded address's class when it is not public,
/// otherwise reserved.
fn not_public(class: AddressClass) -> AddressClass {
    if class.is_public() {
        AddressClass::Reserved
    } else {
        class
    }
}

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

/// Fails when an address may not be contacted.
fn check_ip(ip: IpAddr) -> Result<(), OutboundError> {
    match classify(ip) {
        AddressClass::Public => Ok(()),
        class => Err(OutboundError::Blocked { ip, class }),
    }
}

/// Resolves names for the guarded client and lets through only names whose every address
/// is public. Refusing on *any* bad address (rather than filtering) matters: a name that
/// mixes public and private addresses is a rebinding setup, not a misconfiguration to work
/// around.
struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|_| boxed(OutboundError::HostNotFound))?
                .collect();
            if addrs.is_empty() {
                return Err(boxed(OutboundError::HostNotFound));
            }
            for addr in &addrs {
                check_ip(addr.ip()).map_err(boxed)?;
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

fn boxed(error: OutboundError) -> Box<dyn StdError + Send + Sync> {
    Box::new(error)
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
        let limit = match request.timeout_ms {
            // The engine always sets one; zero would mean "no answer ever", so cap instead.
            0 => MAX_TIMEOUT,
            ms => Duration::from_millis(u64::from(ms)).min(MAX_TIMEOUT),
        };
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

    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    use axum::extract::Request as AxumRequest;
    use axum::http::header::LOCATION;
    use axum::http::StatusCode as AxumStatus;
    use axum::response::{IntoResponse, Response};
    use axum::routing::{any, get};
    use axum::Router;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    fn v4(text: &str) -> IpAddr {
        IpAddr::V4(text.parse().unwrap())
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn classifies_addresses() {
        use AddressClass::*;
        let table = [
            ("8.8.8.8", Public),
            ("1.1.1.1", Public),
            ("93.184.215.14", Public),
            ("100.63.255.255", Public),
            ("100.128.0.0", Public),
            ("172.15.255.255", Public),
            ("172.32.0.0", Public),
            ("198.17.255.255", Public),
            ("198.20.0.0", Public),
            ("223.255.255.255", Public),
            ("0.0.0.0", Unspecified),
            ("0.1.2.3", Unspecified),
            ("127.0.0.1", Loopback),
            ("127.255.255.254", Loopback),
            ("10.0.0.1", Private),
            ("10.255.255.255", Private),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("192.168.1.1", Private),
            ("169.254.0.1", LinkLocal),
            ("169.254.169.254", Metadata),
            ("100.100.100.200", Metadata),
            ("100.64.0.1", SharedCgnat),
            ("100.127.255.255", SharedCgnat),
            ("198.18.0.1", Benchmarking),
            ("198.19.255.255", Benchmarking),
            ("192.0.2.1", Documentation),
            ("198.51.100.7", Documentation),
            ("203.0.113.9", Documentation),
            ("192.0.0.8", Reserved),
            ("192.88.99.1", Reserved),
            ("224.0.0.1", Multicast),
            ("239.255.255.250", Multicast),
            ("240.0.0.1", Reserved),
            ("255.255.255.255", Broadcast),
            ("2606:4700:4700::1111", Public),
            ("2a00:1450:4001::200e", Public),
            ("::", Unspecified),
            ("::1", Loopback),
            ("::ffff:127.0.0.1", Loopback),
            ("::ffff:7f00:1", Loopback),
            ("::ffff:10.1.2.3", Private),
            ("::ffff:169.254.169.254", Metadata),
            ("::ffff:8.8.8.8", Public),
            ("::ffff:0:127.0.0.1", Loopback),
            ("::127.0.0.1", Loopback),
            ("::10.0.0.1", Private),
            ("::8.8.8.8", Reserved),
            ("64:ff9b::127.0.0.1", Loopback),
            ("64:ff9b::8.8.8.8", Public),
            ("64:ff9b:1::1", Reserved),
            ("2002:7f00:1::", Loopback),
            ("2002:a00:1::1", Private),
            ("2002:808:808::", Reserved),
            ("fc00::1", Private),
            ("fd12:3456::1", Private),
            ("fd00:ec2::254", Metadata),
            ("fe80::1", LinkLocal),
            ("febf::1", LinkLocal),
            ("fec0::1", Private),
            ("ff02::1", Multicast),
            ("2001:db8::1", Documentation),
            ("3fff::1", Documentation),
            ("2001::1", Reserved),
            ("2001:10::1", Reserved),
            ("100::1", Reserved),
            ("4000::1", Reserved),
        ];
        for (address, expected) in table {
            assert_eq!(classify(ip(address)), expected, "{address}");
        }
        assert!(classify(v4("8.8.4.4")).is_public());
    }

    #[test]
    fn policy_matches_hosts_and_ports() {
        let policy = Policy::allowing([
            "127.0.0.1:8080",
            "Shop.Internal.",
            "[::1]:9000",
            "fd00::7",
            "api.example.com:443",
        ]);
        assert!(policy.allows("127.0.0.1", 8080));
        assert!(!policy.allows("127.0.0.1", 8081));
        assert!(policy.allows("shop.internal", 1));
        assert!(policy.allows("shop.internal.", 80));
        assert!(policy.allows("[::1]", 9000));
        assert!(!policy.allows("[::1]", 80));
        assert!(policy.allows("[fd00::7]", 80));
        assert!(policy.allows("api.example.com", 443));
        assert!(!policy.allows("api.example.com", 80));
        assert!(!policy.allows("localhost", 8080));
        assert!(!policy.allows("[::ffff:7f00:1]", 8080));
        assert!(!Policy::default().allows("127.0.0.1", 80));
        // Alternative spellings normalise to the same host.
        assert!(Policy::allowing(["127.1"]).allows("127.0.0.1", 80));
        assert!(!Policy::allowing(["bad host:x"]).allows("bad host", 80));
        assert!(!Policy::allowing([""]).allows("", 80));
    }

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
        let sent = Arc::new(AtomicUsize::new(0));
        let counter = sent.clone();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf).await;
            let head = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n";
            if socket.write_all(head).await.is_err() {
                return;
            }
            let chunk = vec![b'z'; 64 * 1024];
            // Up to 16 MiB; the client must hang up long before.
            for _ in 0..256 {
                let frame = format!("{:x}\r\n", chunk.len());
                let ok = socket.write_all(frame.as_bytes()).await.is_ok()
                    && socket.write_all(&chunk).await.is_ok()
                    && socket.write_all(b"\r\n").await.is_ok();
                if !ok {
                    return;
                }
                counter.fetch_add(chunk.len(), Ordering::SeqCst);
            }
            let _ = socket.write_all(b"0\r\n\r\n").await;
        });
        let http = OutboundHttp::new().unwrap();
        let event = http
            .send(
                &get_request(&format!("http://{addr}/stream")),
                &Policy::allowing([addr.to_string()]),
            )
            .await;
        assert_eq!(failure(&event), "response larger than 1 MB");
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(sent.load(Ordering::SeqCst) < 8 * MAX_RESPONSE_BYTES);
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
