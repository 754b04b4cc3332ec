//! Which addresses a flow may reach without the tenant's say-so, and the DNS resolver that
//! holds the guarded client to that: only public unicast addresses pass.

use std::error::Error as StdError;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::client::OutboundError;

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
/// Fails when an address may not be contacted.
pub(super) fn check_ip(ip: IpAddr) -> Result<(), OutboundError> {
    match classify(ip) {
        AddressClass::Public => Ok(()),
        class => Err(OutboundError::Blocked { ip, class }),
    }
}

/// Resolves names for the guarded client and lets through only names whose every address
/// is public. Refusing on *any* bad address (rather than filtering) matters: a name that
/// mixes public and private addresses is a rebinding setup, not a misconfiguration to work
/// around.
pub(super) struct GuardedResolver;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
