use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use proptest::prelude::*;
use secrecy::ExposeSecret;

use super::*;

const TOKEN: &str = "q1Jx8mV3c0tqZ2Y0bE5hR2xXb2hKc0RqV0xvM2Z5d2s";

fn key() -> OutboxKey {
    OutboxKey::from_bytes(&secrets::random_bytes::<32>()).unwrap()
}

#[test]
fn a_sealed_secret_opens_to_itself_for_its_event() {
    let key = key();
    let sealed = seal(&key, "evt1", TOKEN);
    assert!(sealed.starts_with("v1."), "{sealed}");
    assert!(!sealed.contains(TOKEN));
    let opened = open(&key, "evt1", &sealed).expect("opens");
    assert_eq!(opened.expose_secret(), TOKEN);
    let empty = seal(&key, "evt1", "");
    assert_eq!(open(&key, "evt1", &empty).unwrap().expose_secret(), "");
}

#[test]
fn two_seals_of_one_value_differ() {
    let key = key();
    let (a, b) = (seal(&key, "evt1", TOKEN), seal(&key, "evt1", TOKEN));
    assert_ne!(a, b);
    assert_eq!(open(&key, "evt1", &a).unwrap().expose_secret(), TOKEN);
    assert_eq!(open(&key, "evt1", &b).unwrap().expose_secret(), TOKEN);
}

#[test]
fn a_wrong_key_does_not_open() {
    let sealed = seal(&key(), "evt1", TOKEN);
    assert_eq!(
        open(&key(), "evt1", &sealed).err(),
        Some(OpenError::Unauthentic)
    );
}

#[test]
fn a_value_moved_to_another_event_does_not_open() {
    let key = key();
    let sealed = seal(&key, "evt1", TOKEN);
    for other in ["evt2", "evt", "evt1 ", ""] {
        assert_eq!(
            open(&key, other, &sealed).err(),
            Some(OpenError::Unauthentic),
            "{other:?}"
        );
    }
}

#[test]
fn every_flipped_bit_fails_to_open() {
    let key = key();
    let sealed = seal(&key, "evt1", TOKEN);
    let bytes = URL_SAFE_NO_PAD.decode(&sealed[3..]).unwrap();
    for bit in 0..bytes.len() * 8 {
        let mut flipped = bytes.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        let text = format!("v1.{}", URL_SAFE_NO_PAD.encode(&flipped));
        assert_eq!(
            open(&key, "evt1", &text).err(),
            Some(OpenError::Unauthentic),
            "bit {bit}"
        );
    }
}

#[test]
fn what_is_not_a_sealed_value_is_malformed() {
    let key = key();
    let sealed = seal(&key, "evt1", TOKEN);
    let short = format!("v1.{}", URL_SAFE_NO_PAD.encode([0u8; 39]));
    for text in [
        "",
        "v1.",
        TOKEN,
        &sealed[3..],
        &format!("v2.{}", &sealed[3..]),
        &format!("{sealed}!"),
        &short,
    ] {
        assert_eq!(
            open(&key, "evt1", text).err(),
            Some(OpenError::Malformed),
            "{text:?}"
        );
    }
    // Shortened: the tag no longer matches.
    assert!(open(&key, "evt1", &sealed[..sealed.len() - 2]).is_err());
}

#[test]
fn a_configured_key_is_base64_of_32_bytes() {
    let bytes = secrets::random_bytes::<32>();
    let key = OutboxKey::parse(&STANDARD.encode(bytes)).expect("parses");
    let sealed = seal(&key, "evt1", TOKEN);
    let same = OutboxKey::from_bytes(&bytes).unwrap();
    assert_eq!(open(&same, "evt1", &sealed).unwrap().expose_secret(), TOKEN);
    assert_eq!(
        OutboxKey::parse(&STANDARD.encode([1u8; 31])).err(),
        Some(KeyError::WrongLength)
    );
    assert_eq!(
        OutboxKey::parse(&STANDARD.encode([1u8; 33])).err(),
        Some(KeyError::WrongLength)
    );
    assert_eq!(OutboxKey::parse("").err(), Some(KeyError::WrongLength));
    assert_eq!(
        OutboxKey::parse("not base64 at all!").err(),
        Some(KeyError::NotBase64)
    );
    assert_eq!(
        OutboxKey::from_bytes(&[1u8; 16]).err(),
        Some(KeyError::WrongLength)
    );
}

#[test]
fn the_derived_key_is_hkdf_sha256_of_the_signing_key_and_not_the_signing_key() {
    let signing_key = [b'k'; 40];
    let derived = OutboxKey::derive_from_signing_key(&signing_key);
    // HKDF-SHA256 (RFC 5869), no salt, info = the label, computed apart (Python's hmac):
    // pinned, because a change would make every value sealed under it unreadable.
    let expected = STANDARD
        .decode("+/WGKQHFvWwterbl1e8Zn13D0ngVGNtRPPnMUfZOxWs=")
        .unwrap();
    assert_eq!(derived.0.expose_secret(), &expected[..]);
    let sealed = seal(&derived, "evt1", TOKEN);
    let again = OutboxKey::derive_from_signing_key(&signing_key);
    assert_eq!(
        open(&again, "evt1", &sealed).unwrap().expose_secret(),
        TOKEN
    );
    let raw = OutboxKey::from_bytes(&signing_key[..32]).unwrap();
    assert!(open(&raw, "evt1", &sealed).is_err());
    let other = OutboxKey::derive_from_signing_key(&[b'j'; 40]);
    assert!(open(&other, "evt1", &sealed).is_err());
}

#[test]
fn debug_never_prints_the_key() {
    let bytes = [0xabu8; 32];
    let key = OutboxKey::from_bytes(&bytes).unwrap();
    let printed = format!("{key:?}");
    assert!(
        !printed.contains("171") && !printed.to_lowercase().contains("ab"),
        "{printed}"
    );
    assert!(printed.contains("REDACTED"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Nothing opens but the value sealed, and nothing panics.
    #[test]
    fn arbitrary_text_never_opens_and_never_panics(text in "(v1\\.)?[A-Za-z0-9_-]{0,120}") {
        prop_assert!(open(&key(), "evt1", &text).is_err());
    }

    #[test]
    fn any_secret_and_event_round_trip(secret in ".{0,200}", event in ".{0,40}") {
        let key = key();
        let sealed = seal(&key, &event, &secret);
        let opened = open(&key, &event, &sealed).unwrap();
        prop_assert_eq!(opened.expose_secret(), secret.as_str());
    }
}
