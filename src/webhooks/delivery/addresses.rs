//! Which addresses a callback may reach. A webhook's URL is chosen by an integrator, so
//! without this check any integration credential could make the gateway POST into the
//! network it runs in (cloud metadata at 169.254.169.254, an admin port on loopback, a
//! database on 10.x). Only public unicast addresses pass, unless private networks are
//! allowed (local development and tests).
//!
//! The check is made on the addresses DNS returned, and [`CheckedResolver`] hands reqwest
//! only the addresses that passed, so the connection goes to an address that was checked
//! (a second lookup could be answered differently: DNS rebinding). IP-literal URLs never
//! reach a resolver: the client checks them with [`refusal`] before sending.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use ipnet::{Ipv4Net, Ipv6Net};

#[cfg(test)]
mod tests;

/// IPv4 ranges that are not public unicast, with the kind of address each holds; the
/// first match names the kind. IANA's special-purpose registry, less the globally
/// reachable entries.
const V4_RANGES: &[(Ipv4Net, &str)] = &[
    (v4(255, 255, 255, 255, 32), "broadcast"),
    (v4(0, 0, 0, 0, 32), "unspecified"),
    (v4(0, 0, 0, 0, 8), "\"this network\""),
    (v4(10, 0, 0, 0, 8), "private"),
    (v4(100, 64, 0, 0, 10), "shared (carrier-grade NAT)"),
    (v4(127, 0, 0, 0, 8), "loopback"),
    (v4(169, 254, 0, 0, 16), "link-local"),
    (v4(172, 16, 0, 0, 12), "private"),
    (v4(192, 0, 0, 0, 24), "IETF protocol assignment"),
    (v4(192, 0, 2, 0, 24), "documentation"),
    (v4(192, 31, 196, 0, 24), "AS112"),
    (v4(192, 52, 193, 0, 24), "AMT"),
    (v4(192, 88, 99, 0, 24), "6to4 relay anycast"),
    (v4(192, 168, 0, 0, 16), "private"),
    (v4(192, 175, 48, 0, 24), "AS112"),
    (v4(198, 18, 0, 0, 15), "benchmarking"),
    (v4(198, 51, 100, 0, 24), "documentation"),
    (v4(203, 0, 113, 0, 24), "documentation"),
    (v4(224, 0, 0, 0, 4), "multicast"),
    (v4(240, 0, 0, 0, 4), "reserved"),
];

/// IPv6 ranges that are not public unicast. Those that embed an IPv4 address (mapped,
/// compatible, NAT64, 6to4) are judged by that address instead, in [`v6_kind`]; beyond
/// these, anything outside 2000::/3 (the only global unicast block assigned) is refused.
const V6_RANGES: &[(Ipv6Net, &str)] = &[
    (v6([0, 0, 0, 0, 0, 0, 0, 0], 128), "unspecified"),
    (v6([0, 0, 0, 0, 0, 0, 0, 1], 128), "loopback"),
    (v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48), "local-use NAT64"),
    (v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64), "discard-only"),
    (v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32), "documentation"),
    (v6([0x2001, 0x2, 0, 0, 0, 0, 0, 0], 48), "benchmarking"),
    (
        v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23),
        "IETF protocol assignment",
    ),
    (v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20), "documentation"),
    (v6([0x5f00, 0, 0, 0, 0, 0, 0, 0], 16), "segment routing"),
    (v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7), "unique local"),
    (v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10), "link-local"),
    (v6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10), "site-local"),
    (v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8), "multicast"),
];

/// The only IPv6 block IANA assigns global unicast addresses from.
const V6_GLOBAL_UNICAST: Ipv6Net = v6([0x2000, 0, 0, 0, 0, 0, 0, 0], 3);

const fn v4(a: u8, b: u8, c: u8, d: u8, prefix: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), prefix)
}

const fn v6(s: [u16; 8], prefix: u8) -> Ipv6Net {
    let ip = Ipv6Addr::new(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]);
    Ipv6Net::new_assert(ip, prefix)
}

/// The kind of a non-public address (`"loopback"`, `"private"`, ...), or `None` for a
/// public unicast address that a callback may reach.
pub fn non_public_kind(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(ip) => v4_kind(ip),
        IpAddr::V6(ip) => v6_kind(ip),
    }
}

fn v4_kind(ip: Ipv4Addr) -> Option<&'static str> {
    V4_RANGES
        .iter()
        .find(|(net, _)| net.contains(&ip))
        .map(|(_, kind)| *kind)
}

fn v6_kind(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(kind) = V6_RANGES
        .iter()
        .find(|(net, _)| net.contains(&ip))
        .map(|(_, kind)| *kind)
    {
        return Some(kind);
    }
    if let Some(embedded) = embedded_v4(ip) {
        return v4_kind(embedded);
    }
    match V6_GLOBAL_UNICAST.contains(&ip) {
        true => None,
        false => Some("reserved"),
    }
}

/// The IPv4 address an IPv6 one stands for, where traffic to it reaches that IPv4
/// address: IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96), NAT64's well-known
/// prefix (64:ff9b::/96) and 6to4 (2002::/16, the address in bits 16 to 48).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] | [0, 0, 0, 0, 0, 0, _, _] => Some(low),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(low),
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new(
            (hi >> 8) as u8,
            hi as u8,
            (lo >> 8) as u8,
            lo as u8,
        )),
        _ => None,
    }
}

/// Why a callback cannot be called (a refused address, a name that does not resolve):
/// shown as the attempt's response message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreachable(pub String);

impl fmt::Display for Unreachable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unreachable {}

/// The refusal of an address, unless it is public (or private networks are allowed).
pub fn refusal(ip: IpAddr, allow_private_networks: bool) -> Option<Unreachable> {
    if allow_private_networks {
        return None;
    }
    non_public_kind(ip).map(|kind| Unreachable(format!("refused: {ip} is a {kind} address")))
}

/// reqwest's resolver for callbacks: the system's lookup (`getaddrinfo`, through tokio),
/// keeping only the addresses a callback may reach. reqwest connects to what this
/// returns, so the address checked is the address called.
#[derive(Debug, Clone, Copy)]
pub struct CheckedResolver {
    /// Whether non-public addresses are kept too.
    pub allow_private_networks: bool,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = self.allow_private_networks;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // Port 0: reqwest puts the URL's port (or the scheme's) in its place.
            let found: Vec<SocketAddr> = match tokio::net::lookup_host((host.as_str(), 0)).await {
                Ok(found) => found.collect(),
                Err(_) => return Err(Unreachable(format!("could not resolve {host}")).into()),
            };
            let (kept, refused): (Vec<SocketAddr>, Vec<SocketAddr>) = found
                .into_iter()
                .partition(|addr| refusal(addr.ip(), allow).is_none());
            if kept.is_empty() {
                let message = match refused.first().and_then(|a| refusal(a.ip(), allow)) {
                    Some(Unreachable(why)) => format!("{why} ({host} resolves to it)"),
                    None => format!("could not resolve {host}"),
                };
                return Err(Unreachable(message).into());
            }
            let kept: reqwest::dns::Addrs = Box::new(kept.into_iter());
            Ok(kept)
        })
    }
}
