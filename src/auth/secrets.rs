//! Random identifiers and secrets, and the digests under which secrets are stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngExt;
use sha2::{Digest, Sha256};

const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// An opaque random id of `len` alphanumerics from the OS source (Commerce Layer uses 10).
pub fn random_id(len: usize) -> String {
    let mut rng = os_rng();
    (0..len)
        .map(|_| ALPHANUMERIC[rng.random_range(0..ALPHANUMERIC.len())] as char)
        .collect()
}

/// A secret of 32 random bytes as URL-safe text (43 characters).
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    os_rng().fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `N` random bytes from the OS source.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    os_rng().fill(&mut bytes);
    bytes
}

/// The operating system's random source. It does not fail on the platforms this runs on;
/// if it ever did, no secret could be made safely, so failing loudly is right.
fn os_rng() -> impl rand::CryptoRng {
    rand::rand_core::UnwrapErr(rand::rngs::SysRng)
}

/// The SHA-256 digest of a secret, as lowercase hex: what the database keeps.
pub fn digest(secret: &str) -> String {
    let hash = Sha256::digest(secret.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two digests in time independent of where they differ.
pub fn digests_match(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
