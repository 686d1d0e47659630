//! Redactions for the snapshots of whole answers (`tests/api/snapshots/`).
//!
//! Each replaces a value that changes from run to run (an id, a time, a token, a secret,
//! a port) with a fixed placeholder, after checking it: its shape, or that it equals the
//! value the test knows. A redaction hides the value, never a bug.
//!
//! ```ignore
//! insta::assert_json_snapshot!("created_customer", customer, {
//!     ".id" => redactions::id(),
//!     ".createdAt" => redactions::now(&app),
//! });
//! ```

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, SubsecRound, Utc};
use insta::internals::{Content, Redaction};

use crate::harness::TestApp;

/// The text of a redacted value; panics when it is not text.
fn text(value: &Content, what: &str) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{what} is not text: {value:?}"))
        .to_owned()
}

/// A record id: 10 ASCII letters and digits.
pub fn id() -> Redaction {
    insta::dynamic_redaction(|value, path| {
        let id = text(&value, "an id");
        let alphanumeric = id.chars().all(|c| c.is_ascii_alphanumeric());
        assert!(id.len() == 10 && alphanumeric, "{path}: not an id: {id}");
        "[id]"
    })
}

/// A value the test knows (the id of the customer it made, the token of the create
/// answer): shown as `placeholder` in the snapshot, checked equal here.
pub fn the(expected: impl Into<String>, placeholder: &'static str) -> Redaction {
    let expected = expected.into();
    insta::dynamic_redaction(move |value, path| {
        assert_eq!(text(&value, placeholder), expected, "{path}");
        placeholder
    })
}

/// A time written by the service in this test, whose clock stands still: RFC 3339, in
/// UTC (`Z`), at the clock's instant to the microsecond (what both databases keep).
pub fn now(app: &TestApp) -> Redaction {
    let now = app.clock.now_utc().trunc_subsecs(6);
    insta::dynamic_redaction(move |value, path| {
        let written = text(&value, "a time");
        assert!(written.ends_with('Z'), "{path}: not UTC: {written}");
        let parsed = DateTime::parse_from_rfc3339(&written)
            .unwrap_or_else(|_| panic!("{path}: not RFC 3339: {written}"));
        assert_eq!(
            parsed.with_timezone(&Utc),
            now,
            "{path}: not the clock's time"
        );
        "[now]"
    })
}

/// The `created_at` of an OAuth token answer: the clock's second, in Unix time.
pub fn unix_now(app: &TestApp) -> Redaction {
    let now = app.clock.now_utc().timestamp();
    insta::dynamic_redaction(move |value, path| {
        assert_eq!(value.as_i64(), Some(now), "{path}: not the clock's second");
        "[now]"
    })
}

/// A one-time token (reset token, refresh token): 32 random bytes or more as URL-safe
/// Base64 without padding.
pub fn token() -> Redaction {
    insta::dynamic_redaction(|value, path| {
        let token = text(&value, "a token");
        let bytes = URL_SAFE_NO_PAD
            .decode(&token)
            .unwrap_or_else(|_| panic!("{path}: not URL-safe Base64: {token}"));
        assert!(bytes.len() >= 32, "{path}: {} bytes only", bytes.len());
        "[token]"
    })
}

/// An access token: a JWT (three URL-safe Base64 parts, the first two JSON).
pub fn jwt() -> Redaction {
    insta::dynamic_redaction(|value, path| {
        let jwt = text(&value, "a JWT");
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3, "{path}: not a JWT: {jwt}");
        for part in &parts[..2] {
            let json = URL_SAFE_NO_PAD
                .decode(part)
                .unwrap_or_else(|_| panic!("{path}: not Base64: {part}"));
            serde_json::from_slice::<serde_json::Value>(&json)
                .unwrap_or_else(|_| panic!("{path}: not JSON: {part}"));
        }
        "[jwt]"
    })
}

/// A webhook's shared secret: `whsec_` and the Base64 of 24 random bytes or more.
pub fn shared_secret() -> Redaction {
    insta::dynamic_redaction(|value, path| {
        let secret = text(&value, "a secret");
        let encoded = secret
            .strip_prefix("whsec_")
            .unwrap_or_else(|| panic!("{path}: no whsec_ prefix: {secret}"));
        let bytes = STANDARD
            .decode(encoded)
            .unwrap_or_else(|_| panic!("{path}: not Base64: {secret}"));
        assert!(bytes.len() >= 24, "{path}: {} bytes only", bytes.len());
        "[whsec]"
    })
}

/// A signature header's value: `prefix` and the Base64 of an HMAC-SHA256 (32 bytes);
/// whether it verifies is checked by the tests of `webhook_signatures.rs`.
pub fn signature(prefix: &'static str) -> Redaction {
    insta::dynamic_redaction(move |value, path| {
        let header = text(&value, "a signature");
        let encoded = header
            .strip_prefix(prefix)
            .unwrap_or_else(|| panic!("{path}: no {prefix:?} prefix: {header}"));
        let bytes = STANDARD
            .decode(encoded)
            .unwrap_or_else(|_| panic!("{path}: not Base64: {header}"));
        assert_eq!(bytes.len(), 32, "{path}: not an HMAC-SHA256: {header}");
        "[signature]"
    })
}

/// A link to a resource (`links.self`): `base` (which holds the test's port), then a path
/// in which each known id is replaced by its placeholder.
pub fn link(base: &str, known: &[(&str, &'static str)]) -> Redaction {
    let base = base.to_owned();
    let known: Vec<(String, &str)> = known.iter().map(|(id, p)| ((*id).to_owned(), *p)).collect();
    insta::dynamic_redaction(move |value, path| {
        let url = text(&value, "a URL");
        let rest = url
            .strip_prefix(&base)
            .unwrap_or_else(|| panic!("{path}: not on {base}: {url}"));
        let shown = known
            .iter()
            .fold(rest.to_owned(), |shown, (id, placeholder)| {
                shown.replace(id, placeholder)
            });
        format!("[base]{shown}")
    })
}
