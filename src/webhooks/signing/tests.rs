//! The signatures, checked against an independent implementation: the Standard Webhooks
//! reference verifier, and a plain HMAC for Commerce Layer's header.

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use proptest::prelude::*;
use sha2::Sha256;
use standardwebhooks::Webhook;

use super::*;

const BODY: &[u8] = br#"{"data":{"id":"dKeyQsZaBn","type":"customer_password_resets"}}"#;

/// The reference verifier checks the timestamp against the system clock.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn header_map(headers: &SignedHeaders) -> HeaderMap {
    headers
        .pairs()
        .into_iter()
        .map(|(name, value)| {
            (
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).expect("a valid header value"),
            )
        })
        .collect()
}

fn verifies(secret: &SharedSecret, body: &[u8], headers: &SignedHeaders) -> bool {
    Webhook::new(secret.expose())
        .unwrap()
        .verify(body, &header_map(headers))
        .is_ok()
}

fn commerce_layer_signature(secret: &SharedSecret, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()).unwrap();
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

fn only(current: &SharedSecret) -> SigningSecrets<'_> {
    SigningSecrets {
        current,
        previous: None,
    }
}

#[test]
fn the_standard_webhooks_example_signs_as_the_specification_says() {
    let secret = SharedSecret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
    let body = br#"{"email":"test@example.com","username":"test_user"}"#;
    let headers = sign(
        body,
        "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
        1649367553,
        only(&secret),
    );
    let headers = headers.unwrap();
    assert_eq!(
        headers.webhook_signature,
        "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
    );
    assert_eq!(headers.webhook_id, "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk");
    assert_eq!(headers.webhook_timestamp, "1649367553");
}

#[test]
fn every_signature_verifies_with_the_reference_library() {
    let secret = SharedSecret::generate();
    let headers = sign(BODY, "evt_Ab3-x_9", now(), only(&secret)).unwrap();
    assert!(verifies(&secret, BODY, &headers));
    assert_eq!(headers.webhook_signature.split(' ').count(), 1);
}

#[test]
fn after_a_rotation_both_secrets_verify_and_no_other() {
    let current = SharedSecret::generate();
    let previous = SharedSecret::generate();
    let secrets = SigningSecrets {
        current: &current,
        previous: Some(&previous),
    };
    let headers = sign(BODY, "evt1", now(), secrets).unwrap();
    let signatures: Vec<_> = headers.webhook_signature.split(' ').collect();
    assert_eq!(signatures.len(), 2, "{signatures:?}");
    assert!(signatures.iter().all(|s| s.starts_with("v1,")));
    assert!(verifies(&current, BODY, &headers));
    assert!(verifies(&previous, BODY, &headers));
    assert!(!verifies(&SharedSecret::generate(), BODY, &headers));
    // Commerce Layer's header has room for one signature: the current secret's.
    assert_eq!(
        headers.commerce_layer_signature,
        commerce_layer_signature(&current, BODY)
    );
}

#[test]
fn the_previous_secret_signs_for_24_hours_after_the_rotation() {
    let current = SharedSecret::generate();
    let previous = SharedSecret::generate();
    let rotated_at = 1_800_000_000;
    let day = PREVIOUS_SECRET_SIGNS_FOR.as_secs() as i64;
    assert_eq!(day, 86_400);
    let at = |now| SigningSecrets::at(&current, Some((&previous, rotated_at)), now);
    for now in [rotated_at, rotated_at + day - 1] {
        assert!(at(now).previous.is_some(), "{now}");
    }
    for now in [rotated_at + day, rotated_at + 10 * day] {
        assert!(at(now).previous.is_none(), "{now}");
    }
    assert!(
        SigningSecrets::at(&current, None, rotated_at)
            .previous
            .is_none()
    );
    assert!(std::ptr::eq(at(rotated_at).current, &current));
}

#[test]
fn the_commerce_layer_header_is_a_plain_hmac_of_the_body_under_the_whole_secret() {
    let secret = SharedSecret::generate();
    let headers = sign(BODY, "evt1", now(), only(&secret)).unwrap();
    assert_eq!(
        headers.commerce_layer_signature,
        commerce_layer_signature(&secret, BODY)
    );
}

#[test]
fn a_tampered_body_id_or_timestamp_or_a_wrong_secret_fails() {
    let secret = SharedSecret::generate();
    let headers = sign(BODY, "evt1", now(), only(&secret)).unwrap();
    let tampered = BODY
        .to_vec()
        .into_iter()
        .map(|b| if b == b'Z' { b'Y' } else { b })
        .collect::<Vec<_>>();
    assert!(!verifies(&secret, &tampered, &headers));
    assert_ne!(
        headers.commerce_layer_signature,
        commerce_layer_signature(&secret, &tampered)
    );
    let wrong = SharedSecret::generate();
    assert!(!verifies(&wrong, BODY, &headers));
    assert_ne!(
        headers.commerce_layer_signature,
        commerce_layer_signature(&wrong, BODY)
    );
    let other_id = SignedHeaders {
        webhook_id: "evt2".into(),
        ..headers.clone()
    };
    assert!(!verifies(&secret, BODY, &other_id));
    let other_time = SignedHeaders {
        webhook_timestamp: (now() - 1).to_string(),
        ..headers
    };
    assert!(!verifies(&secret, BODY, &other_time));
}

#[test]
fn message_ids_that_could_break_a_header_or_the_signed_text_are_refused() {
    let secret = SharedSecret::generate();
    let long = "a".repeat(MAX_MESSAGE_ID_LENGTH + 1);
    for id in [
        "",
        "a.b",
        "a b",
        "a\r\nX-Evil: 1",
        "é",
        "a,b",
        long.as_str(),
    ] {
        assert_eq!(
            sign(BODY, id, now(), only(&secret)),
            Err(SigningError::InvalidMessageId),
            "{id:?}"
        );
    }
    let longest = "a".repeat(MAX_MESSAGE_ID_LENGTH);
    assert!(sign(BODY, &longest, now(), only(&secret)).is_ok());
}

#[test]
fn timestamps_from_the_epoch_on_are_signed_and_earlier_ones_refused() {
    let secret = SharedSecret::generate();
    let epoch = sign(BODY, "evt1", 0, only(&secret)).expect("1970 is a time");
    assert_eq!(epoch.webhook_timestamp, "0");
    // The reference verifier refuses a 1970 timestamp as stale: its signer checks instead.
    let reference = Webhook::new(secret.expose()).unwrap();
    assert_eq!(
        epoch.webhook_signature,
        reference.sign("evt1", 0, BODY).unwrap()
    );
    assert_eq!(
        sign(BODY, "evt1", -1, only(&secret)),
        Err(SigningError::InvalidTimestamp)
    );
}

#[test]
fn a_body_that_is_not_utf8_is_signed_as_its_raw_bytes() {
    let secret = SharedSecret::generate();
    let body = [0xff, 0x00, 0xfe];
    let headers = sign(&body, "evt1", 42, only(&secret)).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.standard_webhooks_key()).unwrap();
    mac.update(b"evt1.42.");
    mac.update(&body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    assert_eq!(headers.webhook_signature, expected);
    assert_eq!(
        headers.commerce_layer_signature,
        commerce_layer_signature(&secret, &body)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any body, any valid id, one or two secrets: the reference library verifies.
    #[test]
    fn any_delivery_verifies_with_the_reference_library(
        body in ".{0,200}",
        id in "[A-Za-z0-9_-]{1,40}",
        rotated in any::<bool>(),
    ) {
        let current = SharedSecret::generate();
        let previous = SharedSecret::generate();
        let secrets = SigningSecrets { current: &current, previous: rotated.then_some(&previous) };
        let headers = sign(body.as_bytes(), &id, now(), secrets).unwrap();
        prop_assert!(verifies(&current, body.as_bytes(), &headers));
        prop_assert_eq!(verifies(&previous, body.as_bytes(), &headers), rotated);
        prop_assert_eq!(
            &headers.commerce_layer_signature,
            &commerce_layer_signature(&current, body.as_bytes())
        );
    }
}
