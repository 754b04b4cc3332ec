//! The address a request comes from, as rate limits count it.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;

/// A handler's argument: the client's address, as [`of`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(of(parts)))
    }
}

/// The client's address: the peer's, or, from a proxy on this machine (a loopback peer), the
/// last address of its `X-Forwarded-For`. From anyone else that header could be made up to
/// escape a limit, so it is not believed.
pub fn of(parts: &Parts) -> String {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip());
    from(peer, &parts.headers)
}

fn from(peer: Option<IpAddr>, headers: &HeaderMap) -> String {
    let forwarded = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|list| list.rsplit(',').next())
        .and_then(|last| last.trim().parse::<IpAddr>().ok());
    match (peer, forwarded) {
        (Some(peer), Some(forwarded)) if peer.is_loopback() => forwarded.to_string(),
        (Some(peer), _) => peer.to_string(),
        (None, _) => "unknown".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forwarded_address_is_believed_only_from_a_local_proxy() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7".parse().expect("header"),
        );
        let local: IpAddr = "127.0.0.1".parse().expect("ip");
        let remote: IpAddr = "192.0.2.1".parse().expect("ip");
        assert_eq!(from(Some(local), &headers), "198.51.100.7");
        assert_eq!(from(Some(remote), &headers), "192.0.2.1");
        assert_eq!(from(None, &headers), "unknown");
        assert_eq!(from(Some(local), &HeaderMap::new()), "127.0.0.1");
    }
}
