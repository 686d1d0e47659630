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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Mode, Principal, Role};

    fn verified(token_id: &str) -> VerifiedToken {
        VerifiedToken {
            principal: Principal {
                role: Role::Integration,
                mode: Mode::Test,
                credential_id: "client".to_owned(),
                customer_id: None,
                token_id: token_id.to_owned(),
            },
            session_id: None,
        }
    }

    #[test]
    fn a_kept_token_is_found_until_the_second_it_expires() {
        let cache = VerifiedTokens::default();
        cache.put("token", verified("jti"), 100);
        let found = cache.get("token", 99).map(|v| v.principal.token_id);
        assert_eq!(found.as_deref(), Some("jti"));
        assert!(cache.get("token", 100).is_none());
    }

    #[test]
    fn an_expired_token_is_dropped_and_stays_dropped() {
        let cache = VerifiedTokens::default();
        cache.put("token", verified("jti"), 100);
        assert!(cache.get("token", 5_000).is_none());
        assert!(
            cache.get("token", 50).is_none(),
            "the expired entry was removed"
        );
    }

    #[test]
    fn an_unknown_token_is_not_found() {
        let cache = VerifiedTokens::default();
        cache.put("token", verified("jti"), 100);
        assert!(cache.get("other", 1).is_none());
    }
}
