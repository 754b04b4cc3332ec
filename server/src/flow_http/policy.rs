//! What a tenant allows its flows to reach beyond the public internet, and the one place it
//! is read from the tenant's settings.

use reqwest::Url;

use crate::store::{Store, StoreError, Tenant};

/// What a tenant allows beyond the public internet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Hosts the tenant trusts even when they resolve to loopback, private or other non-public
    /// addresses: `host` (any port) or `host:port`; IPv6 as `[::1]` or `[::1]:8080`. Names are
    /// compared as URLs normalise them (case, trailing dot, IDNA, IPv4 spellings).
    pub allowed_hosts: Vec<String>,
}

impl Policy {
    /// The policy the tenant's settings give.
    pub fn of(tenant: &Tenant) -> Policy {
        Policy {
            allowed_hosts: tenant.settings.allowed_hosts.clone(),
        }
    }

    /// The tenant's policy as stored now; a tenant that is gone allows nothing more.
    pub async fn load(store: &Store, tenant_id: &str) -> Result<Policy, StoreError> {
        let tenant = store.get_tenant(tenant_id).await?;
        Ok(tenant.as_ref().map(Policy::of).unwrap_or_default())
    }

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
