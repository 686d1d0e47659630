//! Secrets sealed at rest in the outbox.
//!
//! A `customer_password_resets.create` delivery carries the reset token in clear (the
//! receiver builds the email link from it), so the outbox must hold the token until the
//! event is delivered. Sealed, it is of no use to whoever reads the database, a backup or
//! a replica without the key.
//!
//! XChaCha20-Poly1305 (RFC 8439 with a 24-byte nonce): authenticated, so a changed byte
//! fails to open rather than opening to another token; a fresh random nonce per seal, so
//! no counter has to be shared between instances and two seals of one value differ, with
//! no practical chance of a repeated nonce at 24 bytes. The event id is the associated
//! data: a sealed value copied to another event's row does not open there. Stored as text
//! (the same on both databases): `v1.` + URL-safe Base64 of nonce, ciphertext and tag; the
//! version leaves room for another format or a key rotation later.
//!
//! The key is the configured outbox key (32 bytes, as standard Base64), or one derived
//! from the token signing key with HKDF-SHA256 under a label of its own: the signing key
//! itself never keys two algorithms, and the derived key reveals nothing of it.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use sha2::Sha256;

use crate::auth::secrets;

/// Bytes in an outbox key.
pub const KEY_BYTES: usize = 32;

/// Bytes in a nonce (XChaCha20-Poly1305).
const NONCE_BYTES: usize = 24;

/// Bytes in an authentication tag.
const TAG_BYTES: usize = 16;

/// What a sealed value's text starts with: its format.
const VERSION: &str = "v1.";

/// The HKDF label of the key derived from the token signing key. Changing it makes every
/// value sealed under the derived key unreadable.
const DERIVATION_LABEL: &[u8] = b"reset-gateway webhook outbox key v1";

/// The key that seals and opens the outbox's secrets. It never prints.
#[derive(Clone)]
pub struct OutboxKey(SecretSlice<u8>);

/// Why an outbox key is refused (the messages never quote it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not standard Base64.
    #[error("an outbox key is standard Base64 (`openssl rand -base64 32`)")]
    NotBase64,
    /// Not 32 bytes.
    #[error("an outbox key is 32 bytes")]
    WrongLength,
}

/// Why a sealed value does not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Not a sealed value of a known format.
    #[error("not a sealed value")]
    Malformed,
    /// Sealed under another key or for another event, or altered.
    #[error("the sealed value does not open with this key for this event")]
    Unauthentic,
}

impl OutboxKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<OutboxKey, KeyError> {
        if bytes.len() != KEY_BYTES {
            return Err(KeyError::WrongLength);
        }
        Ok(OutboxKey(SecretSlice::from(bytes.to_vec())))
    }

    /// A key from its configured text: standard Base64 of 32 bytes.
    pub fn parse(text: &str) -> Result<OutboxKey, KeyError> {
        // Base64 of 32 bytes is 44 characters: anything longer is refused undecoded.
        if text.len() > KEY_BYTES.div_ceil(3) * 4 {
            return Err(KeyError::WrongLength);
        }
        let bytes = SecretSlice::from(STANDARD.decode(text).map_err(|_| KeyError::NotBase64)?);
        if bytes.expose_secret().len() != KEY_BYTES {
            return Err(KeyError::WrongLength);
        }
        Ok(OutboxKey(bytes))
    }

    /// The key derived from the token signing key (HKDF-SHA256, a fixed label): a key of
    /// its own, never the signing key itself.
    pub fn derive_from_signing_key(signing_key: &[u8]) -> OutboxKey {
        let mut key = vec![0u8; KEY_BYTES];
        Hkdf::<Sha256>::new(None, signing_key)
            .expand(DERIVATION_LABEL, &mut key)
            // 32 bytes is far under HKDF-SHA256's limit of 255 * 32.
            .expect("HKDF-SHA256 gives 32 bytes");
        OutboxKey(SecretSlice::from(key))
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        // Every constructor holds the key to 32 bytes.
        XChaCha20Poly1305::new_from_slice(self.0.expose_secret()).expect("a 32-byte key")
    }
}

impl std::fmt::Debug for OutboxKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OutboxKey([REDACTED])")
    }
}

/// Seals `secret` for the outbox row of event `event_id`.
pub fn seal(key: &OutboxKey, event_id: &str, secret: &str) -> String {
    let nonce = secrets::random_bytes::<NONCE_BYTES>();
    let payload = Payload {
        msg: secret.as_bytes(),
        aad: event_id.as_bytes(),
    };
    let ciphertext = key
        .cipher()
        .encrypt(&XNonce::from(nonce), payload)
        // Encryption fails only for a message over XChaCha20's 256 GiB.
        .expect("XChaCha20-Poly1305 seals a secret");
    let mut sealed = Vec::with_capacity(NONCE_BYTES + ciphertext.len());
    sealed.extend_from_slice(&nonce);
    sealed.extend_from_slice(&ciphertext);
    format!("{VERSION}{}", URL_SAFE_NO_PAD.encode(sealed))
}

/// Opens a value sealed by [`seal`] for event `event_id`.
pub fn open(key: &OutboxKey, event_id: &str, sealed: &str) -> Result<SecretString, OpenError> {
    let encoded = sealed.strip_prefix(VERSION).ok_or(OpenError::Malformed)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| OpenError::Malformed)?;
    if bytes.len() < NONCE_BYTES + TAG_BYTES {
        return Err(OpenError::Malformed);
    }
    let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
    let nonce = XNonce::try_from(nonce).map_err(|_| OpenError::Malformed)?;
    let payload = Payload {
        msg: ciphertext,
        aad: event_id.as_bytes(),
    };
    let plain = key
        .cipher()
        .decrypt(&nonce, payload)
        .map_err(|_| OpenError::Unauthentic)?;
    // Only what was sealed opens, and `seal` takes text: not UTF-8 cannot happen.
    let plain = String::from_utf8(plain).map_err(|_| OpenError::Unauthentic)?;
    Ok(SecretString::from(plain))
}

#[cfg(test)]
mod tests;
