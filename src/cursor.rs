//! Relay cursors that carry the sort key: the list and sort they belong to, the sort
//! field's value and the record's id, as JSON, followed by a truncated HMAC-SHA256 of
//! that JSON, in URL-safe Base64.
//!
//! A cursor is not a secret (it holds what the page already shows), but the service only
//! accepts cursors it made: the tag is keyed with [`CursorKey`], derived per deployment
//! from the token signing key, so a forged or edited cursor fails to verify, and one from
//! another list or order fails its scope check.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::listing::{Keyset, SortKind, SortValue};

/// Bytes of the HMAC-SHA256 tag a cursor keeps: enough that a guess never verifies.
const TAG_BYTES: usize = 16;
/// The HKDF label of the cursor key: a key of its own, never the signing key itself.
const DERIVATION_LABEL: &[u8] = b"reset-gateway pagination cursor key v1";
/// How a time sort value is written (microseconds, as stored).
const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6f";

/// The key that tags cursors.
#[derive(Clone)]
pub struct CursorKey([u8; 32]);

impl CursorKey {
    /// The key derived from the token signing key (HKDF-SHA256, a fixed label).
    pub fn derive_from_signing_key(signing_key: &[u8]) -> CursorKey {
        let mut key = [0u8; 32];
        Hkdf::<Sha256>::new(None, signing_key)
            .expand(DERIVATION_LABEL, &mut key)
            // 32 bytes is far under HKDF-SHA256's limit of 255 * 32.
            .expect("HKDF-SHA256 gives 32 bytes");
        CursorKey(key)
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes a key of any length.
        <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC accepts any key length")
    }

    /// The cursor of `key` in the list and order `scope`.
    pub fn encode(&self, scope: &str, key: &Keyset) -> String {
        let value = match &key.value {
            SortValue::Id => None,
            SortValue::Text(text) => text.clone(),
            SortValue::Time(time) => Some(time.format(TIME_FORMAT).to_string()),
        };
        let payload = Payload {
            scope: scope.to_owned(),
            value,
            id: key.id.clone(),
        };
        // A struct of strings always serialises.
        let mut bytes = serde_json::to_vec(&payload).unwrap_or_default();
        let mut mac = self.mac();
        mac.update(&bytes);
        bytes.extend_from_slice(&mac.finalize().into_bytes()[..TAG_BYTES]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The key a cursor carries, when this service made it for `scope`, whose sort field
    /// holds values of `kind`; none for anything else.
    pub fn decode(&self, cursor: &str, scope: &str, kind: SortKind) -> Option<Keyset> {
        let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
        let split = bytes.len().checked_sub(TAG_BYTES)?;
        let (payload, tag) = bytes.split_at(split);
        let mut mac = self.mac();
        mac.update(payload);
        mac.verify_truncated_left(tag).ok()?;
        let payload: Payload = serde_json::from_slice(payload).ok()?;
        if payload.scope != scope {
            return None;
        }
        let value = match (kind, payload.value) {
            (SortKind::Id, None) => SortValue::Id,
            (SortKind::Text, Some(text)) => SortValue::Text(Some(text)),
            (SortKind::NullableText, text) => SortValue::Text(text),
            (SortKind::Time, Some(time)) => {
                SortValue::Time(NaiveDateTime::parse_from_str(&time, TIME_FORMAT).ok()?)
            }
            _ => return None,
        };
        Some(Keyset {
            value,
            id: payload.id,
        })
    }
}

/// What a cursor says, before its tag.
#[derive(Serialize, Deserialize)]
struct Payload {
    /// `list/field/direction`.
    #[serde(rename = "s")]
    scope: String,
    /// The sort field's value (none when sorted by id, or for a null).
    #[serde(rename = "v")]
    value: Option<String>,
    /// The record's id.
    #[serde(rename = "i")]
    id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> CursorKey {
        CursorKey::derive_from_signing_key(b"a signing key of some length")
    }

    fn keyset(value: SortValue) -> Keyset {
        Keyset {
            value,
            id: "abc".into(),
        }
    }

    #[test]
    fn a_cursor_reads_back_as_its_key_in_its_scope_only() {
        let time = NaiveDateTime::parse_from_str("2026-12-06T10:11:12.345678", TIME_FORMAT)
            .expect("a time");
        for (kind, value) in [
            (SortKind::Id, SortValue::Id),
            (SortKind::Time, SortValue::Time(time)),
            (SortKind::Text, SortValue::Text(Some("x".into()))),
            (SortKind::NullableText, SortValue::Text(None)),
            (SortKind::NullableText, SortValue::Text(Some("y".into()))),
        ] {
            let cursor = key().encode("list/F/asc", &keyset(value.clone()));
            assert_eq!(
                key().decode(&cursor, "list/F/asc", kind),
                Some(keyset(value))
            );
            assert_eq!(key().decode(&cursor, "list/F/desc", kind), None);
        }
    }

    #[test]
    fn an_edited_or_foreign_cursor_is_refused() {
        let cursor = key().encode("list/F/asc", &keyset(SortValue::Text(Some("x".into()))));
        let mut bytes = URL_SAFE_NO_PAD.decode(&cursor).expect("base64");
        bytes[8] ^= 1;
        let edited = URL_SAFE_NO_PAD.encode(&bytes);
        assert_eq!(key().decode(&edited, "list/F/asc", SortKind::Text), None);
        let other = CursorKey::derive_from_signing_key(b"another deployment");
        assert_eq!(other.decode(&cursor, "list/F/asc", SortKind::Text), None);
        assert_eq!(
            key().decode("not-a-cursor", "list/F/asc", SortKind::Text),
            None
        );
        let old = URL_SAFE_NO_PAD.encode("position:4");
        assert_eq!(key().decode(&old, "list/F/asc", SortKind::Text), None);
    }
}
