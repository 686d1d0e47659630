//! Tokens this instance has already verified, kept until they expire: a client sends the
//! same bearer token with every request, and checking an HS256 signature and decoding
//! its claims cost more than the rest of a small query's authentication. Revocations are
//! still checked on every request (the cache only stands for the signature and expiry).

use super::tokens::VerifiedToken;

/// Tokens kept at most (a few hundred bytes each).
const CAPACITY: usize = 4_096;

/// Verified tokens by their text, with their expiry (Unix seconds).
pub struct VerifiedTokens {
    tokens: quick_cache::sync::Cache<Box<str>, (VerifiedToken, i64)>,
}

impl Default for VerifiedTokens {
    fn default() -> Self {
        VerifiedTokens {
            tokens: quick_cache::sync::Cache::new(CAPACITY),
        }
    }
}

impl VerifiedTokens {
    /// The token's verification, if it was verified here and has not expired at `now`.
    pub fn get(&self, token: &str, now: i64) -> Option<VerifiedToken> {
        match self.tokens.get(token) {
            Some((verified, expires)) if now < expires => Some(verified),
            Some(_) => {
                self.tokens.remove(token);
                None
            }
            None => None,
        }
    }

    /// Keeps a verification until `expires`.
    pub fn put(&self, token: &str, verified: VerifiedToken, expires: i64) {
        self.tokens.insert(Box::from(token), (verified, expires));
    }
}
