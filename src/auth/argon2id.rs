//! argon2id computed in one block buffer per thread, kept between hashes, and written as
//! standard PHC strings (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), which any argon2
//! implementation verifies.
//!
//! The argon2 crate's `hash_password` allocates its m KiB afresh for every hash; freed into
//! the allocator's arenas, those buffers make the service's memory grow far past the
//! hashes in flight under load. One buffer per hash thread bounds it to threads × m KiB.

use std::cell::RefCell;

use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use subtle::ConstantTimeEq;

use super::secrets;

const SALT_BYTES: usize = 16;
const HASH_BYTES: usize = 32;

thread_local! {
    static BLOCKS: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

fn compute(
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    BLOCKS.with(|blocks| {
        let mut blocks = blocks.borrow_mut();
        blocks.resize(params.block_count(), Block::default());
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
            .hash_password_into_with_memory(password, salt, out, &mut blocks[..])
    })
}

/// Hashes `password` with a fresh random salt; returns the PHC string.
pub fn hash(params: &Params, password: &[u8]) -> Result<String, argon2::Error> {
    let salt: [u8; SALT_BYTES] = secrets::random_bytes();
    let mut out = [0u8; HASH_BYTES];
    compute(params, password, &salt, &mut out)?;
    Ok(format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(out)
    ))
}

/// Checks `password` against a stored PHC string, with the costs it was made with.
/// None when the string is not an argon2id hash this code can read.
pub fn verify(password: &[u8], stored: &str) -> Option<(bool, Params)> {
    let parsed = PasswordHash::new(stored).ok()?;
    if parsed.algorithm.as_str() != "argon2id" {
        return None;
    }
    let params = Params::try_from(&parsed).ok()?;
    let salt = parsed.salt?;
    let expected = parsed.hash?;
    let expected = expected.as_bytes();
    let mut out = vec![0u8; expected.len()];
    compute(&params, password, salt.as_ref(), &mut out).ok()?;
    // In time independent of where the hashes differ.
    let same = out.as_slice().ct_eq(expected).into();
    Some((same, params))
}

#[cfg(test)]
mod tests {
    use argon2::{PasswordHasher, PasswordVerifier};

    use super::*;

    fn small() -> Params {
        Params::new(1024, 1, 1, None).unwrap()
    }

    #[test]
    fn our_hashes_verify_with_the_argon2_crate_and_theirs_with_ours() {
        let ours = hash(&small(), b"a password").unwrap();
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, small());
        assert!(
            argon
                .verify_password(b"a password", &PasswordHash::new(&ours).unwrap())
                .is_ok()
        );
        let theirs = argon.hash_password(b"another").unwrap().to_string();
        assert_eq!(verify(b"another", &theirs).map(|(ok, _)| ok), Some(true));
        assert_eq!(verify(b"wrong", &theirs).map(|(ok, _)| ok), Some(false));
        assert_eq!(verify(b"x", "not a hash"), None);
    }
}
