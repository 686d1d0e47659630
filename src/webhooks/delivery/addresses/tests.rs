use super::*;

/// Addresses a callback may not reach, with the kind each is reported as.
const REFUSED: &[(&str, &str)] = &[
    // IPv4
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "\"this network\""),
    ("10.0.0.1", "private"),
    ("10.255.255.255", "private"),
    ("100.64.0.1", "shared (carrier-grade NAT)"),
    ("100.127.255.254", "shared (carrier-grade NAT)"),
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("169.254.169.254", "link-local"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.0.0.8", "IETF protocol assignment"),
    ("192.0.2.10", "documentation"),
    ("192.88.99.1", "6to4 relay anycast"),
    ("192.168.1.1", "private"),
    ("198.18.0.1", "benchmarking"),
    ("198.19.255.255", "benchmarking"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"),
    ("224.0.0.251", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.254", "reserved"),
    ("255.255.255.255", "broadcast"),
    // IPv6
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("fe80::1", "link-local"),
    ("febf:ffff::1", "link-local"),
    ("fec0::1", "site-local"),
    ("fc00::1", "unique local"),
    ("fd12:3456::1", "unique local"),
    ("ff02::1", "multicast"),
    ("ff0e::1", "multicast"),
    ("2001:db8::1", "documentation"),
    ("3fff::1", "documentation"),
    ("2001:2::1", "benchmarking"),
    ("2001::1", "IETF protocol assignment"),
    ("100::1", "discard-only"),
    ("64:ff9b:1::1", "local-use NAT64"),
    ("5f00::1", "segment routing"),
    ("4000::1", "reserved"),
    ("e000::1", "reserved"),
    // IPv6 standing for a non-public IPv4 address
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:10.1.2.3", "private"),
    ("::ffff:169.254.169.254", "link-local"),
    ("::ffff:0.0.0.0", "unspecified"),
    ("::127.0.0.1", "loopback"),
    ("::192.168.0.1", "private"),
    ("::0.0.0.2", "\"this network\""),
    ("64:ff9b::127.0.0.1", "loopback"),
    ("64:ff9b::10.0.0.1", "private"),
    ("64:ff9b::a9fe:a9fe", "link-local"),
    ("2002:7f00:1::", "loopback"),
    ("2002:c0a8:101::1", "private"),
    ("2002:a9fe:a9fe::", "link-local"),
    // Each octet of the embedded address counts: 192.0.2.0/24 is documentation, while
    // 192.0.0.0/24 (a third octet lost) is an IETF assignment and 192.0.1.0/24 public.
    ("::ffff:192.0.2.10", "documentation"),
    ("64:ff9b::192.0.2.10", "documentation"),
    ("2002:c000:20a::", "documentation"),
];

/// Public unicast addresses, which a callback may reach.
const ALLOWED: &[&str] = &[
    "1.1.1.1",
    "8.8.8.8",
    "9.255.255.255",
    "11.0.0.1",
    "100.63.255.255",
    "100.128.0.1",
    "126.255.255.255",
    "128.0.0.1",
    "169.253.255.255",
    "172.15.255.255",
    "172.32.0.1",
    "192.0.1.1",
    "192.167.255.255",
    "192.169.0.1",
    "198.17.255.255",
    "198.20.0.1",
    "223.255.255.255",
    "2606:4700:4700::1111",
    "2a00:1450:4001::200e",
    "2001:4860:4860::8888",
    "3ffe::1",
    "::ffff:8.8.8.8",
    "64:ff9b::8.8.8.8",
    "2002:808:808::1",
    "::ffff:192.0.1.1",
    "2002:c000:101::1",
];

#[test]
fn non_public_addresses_are_named_by_kind() {
    for (text, kind) in REFUSED {
        let ip: IpAddr = text.parse().expect(text);
        assert_eq!(non_public_kind(ip), Some(*kind), "{text}");
    }
}

#[test]
fn public_unicast_addresses_pass() {
    for text in ALLOWED {
        let ip: IpAddr = text.parse().expect(text);
        assert_eq!(non_public_kind(ip), None, "{text}");
    }
}

#[test]
fn a_refusal_names_the_address_and_its_kind() {
    let ip: IpAddr = "10.0.0.1".parse().unwrap();
    assert_eq!(
        refusal(ip, false),
        Some(Unreachable("refused: 10.0.0.1 is a private address".into()))
    );
    let ip: IpAddr = "::ffff:169.254.169.254".parse().unwrap();
    assert_eq!(
        refusal(ip, false).unwrap().0,
        "refused: ::ffff:169.254.169.254 is a link-local address"
    );
}

#[test]
fn allowing_private_networks_lets_every_address_through() {
    for (text, _) in REFUSED {
        assert_eq!(refusal(text.parse().unwrap(), true), None, "{text}");
    }
}

#[test]
fn the_resolver_keeps_nothing_for_a_name_of_loopback_only() {
    use reqwest::dns::Resolve;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let resolver = CheckedResolver {
        allow_private_networks: false,
    };
    let refused = runtime
        .block_on(resolver.resolve("localhost".parse().unwrap()))
        .err()
        .expect("localhost refused");
    let message = refused.to_string();
    assert!(message.starts_with("refused: "), "{message}");
    assert!(message.contains("loopback"), "{message}");
    assert!(message.ends_with("(localhost resolves to it)"), "{message}");

    let allowing = CheckedResolver {
        allow_private_networks: true,
    };
    let found: Vec<SocketAddr> = runtime
        .block_on(allowing.resolve("localhost".parse().unwrap()))
        .expect("localhost allowed")
        .collect();
    assert!(found.iter().all(|a| a.ip().is_loopback()), "{found:?}");
    assert!(!found.is_empty());
}
