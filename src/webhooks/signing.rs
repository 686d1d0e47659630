//! The signature headers of one delivery attempt.
//!
//! Two formats, so that a receiver written for either verifies every delivery unchanged:
//! - Commerce Layer's `X-CommerceLayer-Signature`: Base64(HMAC-SHA256(raw body)), keyed
//!   with the whole shared secret string. It proves who sent the body, not when: a
//!   receiver relying on it alone cannot tell a replay.
//! - Standard Webhooks' `webhook-id`, `webhook-timestamp` and `webhook-signature`: the
//!   HMAC-SHA256 of `{id}.{timestamp}.{body}`, keyed with the decoded secret, as
//!   `v1,<Base64>`. The id (stable across retries of one event to one webhook) lets a
//!   receiver de-duplicate; the timestamp (of this attempt, so that retries pass the
//!   receivers' replay windows) lets it refuse old captures.
//!
//! After a rotation the previous secret also signs for [`PREVIOUS_SECRET_SIGNS_FOR`]: a
//! second `v1,` signature, so that receivers can switch to the new secret without losing
//! a delivery. Commerce Layer's header carries one signature only, under the current
//! secret. Ids are restricted to header-safe characters without `.`, so that no
//! `{id}.{timestamp}` split can be read two ways.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::secret::SharedSecret;

/// Commerce Layer's signature header.
pub const COMMERCE_LAYER_SIGNATURE: &str = "X-CommerceLayer-Signature";
/// Standard Webhooks' message id header.
pub const WEBHOOK_ID: &str = "webhook-id";
/// Standard Webhooks' timestamp header (Unix seconds).
pub const WEBHOOK_TIMESTAMP: &str = "webhook-timestamp";
/// Standard Webhooks' signature header.
pub const WEBHOOK_SIGNATURE: &str = "webhook-signature";

/// How long the previous secret keeps signing after a rotation.
pub const PREVIOUS_SECRET_SIGNS_FOR: Duration = Duration::from_secs(24 * 60 * 60);

/// The longest message id accepted.
pub const MAX_MESSAGE_ID_LENGTH: usize = 255;

/// The secrets that sign one attempt.
#[derive(Debug, Clone, Copy)]
pub struct SigningSecrets<'a> {
    /// The webhook's current secret.
    pub current: &'a SharedSecret,
    /// The secret it had before its last rotation, while that still signs.
    pub previous: Option<&'a SharedSecret>,
}

impl<'a> SigningSecrets<'a> {
    /// The secrets that sign at `now` (Unix seconds): the current one, and the previous
    /// one, rotated away at `rotated_at`, for [`PREVIOUS_SECRET_SIGNS_FOR`] after that.
    pub fn at(
        current: &'a SharedSecret,
        previous: Option<(&'a SharedSecret, i64)>,
        now: i64,
    ) -> SigningSecrets<'a> {
        let grace = PREVIOUS_SECRET_SIGNS_FOR.as_secs() as i64;
        SigningSecrets {
            current,
            previous: previous
                .filter(|&(_, rotated_at)| now < rotated_at.saturating_add(grace))
                .map(|(secret, _)| secret),
        }
    }
}

/// The headers that sign one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    /// `X-CommerceLayer-Signature`.
    pub commerce_layer_signature: String,
    /// `webhook-id`.
    pub webhook_id: String,
    /// `webhook-timestamp`.
    pub webhook_timestamp: String,
    /// `webhook-signature`: one `v1,` signature per secret, space-separated.
    pub webhook_signature: String,
}

impl SignedHeaders {
    /// The headers as (name, value) pairs, to set on the request.
    pub fn pairs(&self) -> [(&'static str, &str); 4] {
        [
            (COMMERCE_LAYER_SIGNATURE, &self.commerce_layer_signature),
            (WEBHOOK_ID, &self.webhook_id),
            (WEBHOOK_TIMESTAMP, &self.webhook_timestamp),
            (WEBHOOK_SIGNATURE, &self.webhook_signature),
        ]
    }
}

/// Why an attempt cannot be signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SigningError {
    /// The message id is empty, too long, or holds a character other than ASCII letters,
    /// digits, `_` and `-`.
    #[error("a webhook message id is 1 to 255 ASCII letters, digits, `_` or `-`")]
    InvalidMessageId,
    /// The timestamp is before 1970.
    #[error("a webhook timestamp is Unix seconds, not negative")]
    InvalidTimestamp,
}

/// Signs one attempt to deliver `body` (the raw bytes sent) as message `message_id`, at
/// `timestamp` (Unix seconds).
pub fn sign(
    body: &[u8],
    message_id: &str,
    timestamp: i64,
    secrets: SigningSecrets<'_>,
) -> Result<SignedHeaders, SigningError> {
    if !is_message_id(message_id) {
        return Err(SigningError::InvalidMessageId);
    }
    if timestamp < 0 {
        return Err(SigningError::InvalidTimestamp);
    }
    let timestamp = timestamp.to_string();
    let signed_prefix = format!("{message_id}.{timestamp}.");
    let webhook_signature = std::iter::once(secrets.current)
        .chain(secrets.previous)
        .map(|secret| {
            let key = secret.standard_webhooks_key();
            format!("v1,{}", hmac_base64(key, &[signed_prefix.as_bytes(), body]))
        })
        .collect::<Vec<_>>()
        .join(" ");
    Ok(SignedHeaders {
        commerce_layer_signature: hmac_base64(secrets.current.commerce_layer_key(), &[body]),
        webhook_id: message_id.to_owned(),
        webhook_timestamp: timestamp,
        webhook_signature,
    })
}

/// 1 to 255 ASCII letters, digits, `_` or `-`: a valid header value with no `.`.
fn is_message_id(id: &str) -> bool {
    (1..=MAX_MESSAGE_ID_LENGTH).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Base64(HMAC-SHA256(parts concatenated, key)).
fn hmac_base64(key: &[u8], parts: &[&[u8]]) -> String {
    // HMAC takes a key of any length: this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part);
    }
    STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests;
