//! A webhook's shared secret: `whsec_` + standard Base64 of 32 random bytes from the OS
//! source.
//!
//! One secret serves two kinds of receiver, each with its own key: a Standard Webhooks
//! library strips `whsec_` and decodes the rest (the HMAC key of `webhook-signature`),
//! while Commerce Layer's recipe keys the HMAC of `X-CommerceLayer-Signature` with the
//! whole string. Parsing refuses anything but that exact form (canonical Base64, a key of
//! 24 to 64 bytes, as the Standard Webhooks specification asks), so that a damaged stored
//! value fails where it is read instead of signing deliveries no receiver can verify.
//! The secret never prints: `Debug` redacts it, and its text is reached only through the
//! methods below.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretSlice, SecretString};

use crate::auth::secrets;

/// What every shared secret starts with (the Standard Webhooks convention).
pub const PREFIX: &str = "whsec_";

/// Random bytes in a generated secret.
const GENERATED_KEY_BYTES: usize = 32;

/// The shortest key accepted, in bytes (Standard Webhooks: 24 to 64).
pub const MIN_KEY_BYTES: usize = 24;

/// The longest key accepted, in bytes.
pub const MAX_KEY_BYTES: usize = 64;

/// A webhook's shared secret. It never prints.
#[derive(Clone)]
pub struct SharedSecret {
    /// The whole `whsec_...` string.
    text: SecretString,
    /// The Base64-decoded part after `whsec_`.
    key: SecretSlice<u8>,
}

/// Why a string is not a shared secret (the messages never quote it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// It does not start with `whsec_`.
    #[error("a webhook secret starts with `whsec_`")]
    MissingPrefix,
    /// What follows `whsec_` is not canonical standard Base64.
    #[error("a webhook secret is standard Base64 after `whsec_`")]
    NotBase64,
    /// The decoded key is shorter than 24 or longer than 64 bytes.
    #[error("a webhook secret's key is 24 to 64 bytes")]
    WrongLength,
}

impl SharedSecret {
    /// A new secret: `whsec_` + Base64 of 32 random bytes from the OS source.
    pub fn generate() -> SharedSecret {
        let key = secrets::random_bytes::<GENERATED_KEY_BYTES>();
        SharedSecret {
            text: SecretString::from(format!("{PREFIX}{}", STANDARD.encode(key))),
            key: SecretSlice::from(key.to_vec()),
        }
    }

    /// Reads a secret back (from storage), refusing anything but the exact form.
    pub fn parse(text: &str) -> Result<SharedSecret, SecretError> {
        let encoded = text
            .strip_prefix(PREFIX)
            .ok_or(SecretError::MissingPrefix)?;
        // Base64 of more than the longest key is refused before decoding anything.
        if encoded.len() > MAX_KEY_BYTES.div_ceil(3) * 4 {
            return Err(SecretError::WrongLength);
        }
        // STANDARD demands canonical padding and zero trailing bits: one text per key.
        let key = SecretSlice::from(
            STANDARD
                .decode(encoded)
                .map_err(|_| SecretError::NotBase64)?,
        );
        if !(MIN_KEY_BYTES..=MAX_KEY_BYTES).contains(&key.expose_secret().len()) {
            return Err(SecretError::WrongLength);
        }
        Ok(SharedSecret {
            text: SecretString::from(text),
            key,
        })
    }

    /// The whole string: what is stored, and shown once in the answer that creates or
    /// rotates it.
    pub fn expose(&self) -> &str {
        self.text.expose_secret()
    }

    /// The HMAC key of `X-CommerceLayer-Signature`: the whole string, as Commerce Layer's
    /// receivers use it.
    pub fn commerce_layer_key(&self) -> &[u8] {
        self.text.expose_secret().as_bytes()
    }

    /// The HMAC key of `webhook-signature`: the decoded bytes after `whsec_`.
    pub fn standard_webhooks_key(&self) -> &[u8] {
        self.key.expose_secret()
    }
}

impl std::fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedSecret([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn whsec(key: &[u8]) -> String {
        format!("{PREFIX}{}", STANDARD.encode(key))
    }

    #[test]
    fn a_generated_secret_is_whsec_and_base64_of_32_random_bytes() {
        let secret = SharedSecret::generate();
        let text = secret.expose();
        let encoded = text.strip_prefix(PREFIX).expect("prefix");
        let key = STANDARD.decode(encoded).expect("standard Base64");
        assert_eq!(key.len(), 32);
        assert_eq!(secret.standard_webhooks_key(), &key[..]);
        assert_ne!(SharedSecret::generate().expose(), text);
    }

    #[test]
    fn a_generated_secret_parses_back_to_the_same_keys() {
        let secret = SharedSecret::generate();
        let parsed = SharedSecret::parse(secret.expose()).expect("parses");
        assert_eq!(parsed.expose(), secret.expose());
        assert_eq!(
            parsed.standard_webhooks_key(),
            secret.standard_webhooks_key()
        );
        assert_eq!(parsed.commerce_layer_key(), secret.commerce_layer_key());
    }

    #[test]
    fn the_commerce_layer_key_is_the_whole_string_and_the_standard_key_the_decoded_part() {
        // The Standard Webhooks specification's example secret.
        let text = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
        let secret = SharedSecret::parse(text).expect("parses");
        assert_eq!(secret.commerce_layer_key(), text.as_bytes());
        assert_eq!(
            secret.standard_webhooks_key(),
            &STANDARD.decode("C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap()[..]
        );
    }

    #[test]
    fn anything_but_the_exact_form_is_refused() {
        let key = [7u8; 32];
        let good = whsec(&key);
        let encoded = STANDARD.encode(key);
        let cases = [
            (String::new(), SecretError::MissingPrefix),
            (encoded.clone(), SecretError::MissingPrefix),
            (format!("WHSEC_{encoded}"), SecretError::MissingPrefix),
            (format!(" {good}"), SecretError::MissingPrefix),
            (PREFIX.to_owned(), SecretError::WrongLength),
            (format!("{good}\n"), SecretError::NotBase64),
            (format!("{good} "), SecretError::NotBase64),
            (
                good.trim_end_matches('=').to_owned(),
                SecretError::NotBase64,
            ),
            (
                format!(
                    "{PREFIX}{}",
                    base64::engine::general_purpose::URL_SAFE.encode([0xfb; 32])
                ),
                SecretError::NotBase64,
            ),
            // Non-canonical: the last character's unused bits are not zero.
            (good.replacen("c=", "d=", 1), SecretError::NotBase64),
            (whsec(&[1; 23]), SecretError::WrongLength),
            (whsec(&[1; 65]), SecretError::WrongLength),
        ];
        for (text, expected) in cases {
            let refused = SharedSecret::parse(&text).err();
            assert_eq!(refused, Some(expected), "{text:?}");
        }
        assert!(SharedSecret::parse(&whsec(&[1; 24])).is_ok());
        assert!(SharedSecret::parse(&whsec(&[1; 64])).is_ok());
    }

    #[test]
    fn debug_never_prints_the_secret() {
        let secret = SharedSecret::generate();
        let printed = format!("{secret:?} {:?}", Some(&secret));
        let encoded = secret.expose().strip_prefix(PREFIX).unwrap();
        assert!(!printed.contains(&encoded[..8]), "{printed}");
        assert!(printed.contains("REDACTED"));
    }

    proptest! {
        /// Whatever parses is exactly `whsec_` + canonical Base64 of 24 to 64 bytes.
        #[test]
        fn whatever_parses_is_canonical(text in "(whsec_)?[A-Za-z0-9+/=_ -]{0,100}") {
            if let Ok(secret) = SharedSecret::parse(&text) {
                let key = secret.standard_webhooks_key();
                prop_assert!((MIN_KEY_BYTES..=MAX_KEY_BYTES).contains(&key.len()));
                prop_assert_eq!(whsec(key), text);
            }
        }

        #[test]
        fn every_valid_key_parses(key in proptest::collection::vec(any::<u8>(), 24..=64)) {
            let secret = SharedSecret::parse(&whsec(&key)).expect("parses");
            prop_assert_eq!(secret.standard_webhooks_key(), &key[..]);
        }
    }
}
