//! Random identifiers and secrets, and the digests under which secrets are stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngExt;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// An opaque random id of `len` alphanumerics from the OS source (Commerce Layer uses 10).
pub fn random_id(len: usize) -> String {
    // One read of the OS source per id (drawing each character apart was one system call
    // per character, on every request's id). Bytes of 248 and above are skipped so that
    // `% 62` stays uniform: 248 = 4 * 62. A read almost always gives more than enough.
    let mut bytes = vec![0u8; len + len / 4 + 4];
    let mut id = String::with_capacity(bytes.len());
    while id.len() < len {
        os_rng().fill(&mut bytes[..]);
        id.extend(
            bytes
                .iter()
                .filter(|&&b| usize::from(b) < ALPHANUMERIC.len() * 4)
                .map(|&b| ALPHANUMERIC[usize::from(b) % ALPHANUMERIC.len()] as char),
        );
    }
    id.truncate(len);
    id
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
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_have_the_asked_length_and_use_every_alphanumeric_evenly() {
        let mut seen = std::collections::HashMap::<char, u32>::new();
        for _ in 0..3_100 {
            let id = random_id(20);
            assert_eq!(id.len(), 20);
            for c in id.chars() {
                assert!(c.is_ascii_alphanumeric(), "{id}");
                *seen.entry(c).or_default() += 1;
            }
        }
        // 62,000 characters: about 1,000 of each; a bias of 1/62 would move some by
        // hundreds, chance alone by a few dozen.
        assert_eq!(seen.len(), 62);
        assert!(seen.values().all(|&n| (800..1200).contains(&n)), "{seen:?}");
    }
}
