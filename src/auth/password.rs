//! Passwords: the policy they must meet, and argon2id hashing off the async runtime, on
//! a fixed set of threads that bounds the memory argon2 takes.

use std::sync::Arc;

use argon2::Params;

use super::argon2id;
use super::hash_pool::PoolError;
pub use super::hash_pool::PoolTotals;
use secrecy::{ExposeSecret, SecretString};

/// Longest password accepted, in characters.
pub const MAX_PASSWORD_LENGTH: usize = 256;

/// A plain-text password on its way to being hashed. It never prints.
#[derive(Clone)]
pub struct Password(SecretString);

impl Password {
    /// Wraps a password as received.
    pub fn new(password: impl Into<String>) -> Password {
        Password(SecretString::from(password.into()))
    }

    /// The password's text, for hashing and checks only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password([REDACTED])")
    }
}

/// Why a password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    /// Empty or only spaces.
    Blank,
    /// Shorter than the configured minimum.
    TooShort,
    /// Longer than [`MAX_PASSWORD_LENGTH`].
    TooLong,
    /// Among the most common passwords (NIST SP 800-63B asks to refuse them).
    TooCommon,
}

impl PasswordProblem {
    /// The key clients see in `extensions.error`.
    pub fn key(self) -> &'static str {
        match self {
            PasswordProblem::Blank => "blank",
            PasswordProblem::TooShort => "too_short",
            PasswordProblem::TooLong => "too_long",
            PasswordProblem::TooCommon => "too_common",
        }
    }
}

/// The rules a new password must meet: length only, no composition rules (NIST SP 800-63B).
#[derive(Debug, Clone, Copy)]
pub struct PasswordPolicy {
    /// Shortest password accepted, in characters.
    pub min_length: usize,
}

impl PasswordPolicy {
    /// Checks a new password against the policy.
    pub fn check(&self, password: &Password) -> Result<(), PasswordProblem> {
        let text = password.expose();
        let length = text.chars().count();
        if text.trim().is_empty() {
            Err(PasswordProblem::Blank)
        } else if length < self.min_length {
            Err(PasswordProblem::TooShort)
        } else if length > MAX_PASSWORD_LENGTH {
            Err(PasswordProblem::TooLong)
        } else if is_common(text) {
            Err(PasswordProblem::TooCommon)
        } else {
            Ok(())
        }
    }
}

/// The blocklist, shipped in the binary.
static COMMON_PASSWORDS: std::sync::LazyLock<std::collections::HashSet<&'static str>> =
    std::sync::LazyLock::new(|| {
        include_str!("common-passwords.txt")
            .lines()
            .filter(|line| !line.starts_with('#') && !line.is_empty())
            .collect()
    });

/// True when the password, ignoring case, is one of the most common ones.
fn is_common(password: &str) -> bool {
    COMMON_PASSWORDS.contains(password.to_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        let policy = PasswordPolicy { min_length: 8 };
        for common in ["password", "PassWord1", "12345678", "baseball"] {
            let verdict = policy.check(&Password::new(common));
            assert!(
                verdict == Err(PasswordProblem::TooCommon)
                    || verdict == Err(PasswordProblem::TooShort),
                "{common}"
            );
        }
        assert_eq!(
            policy.check(&Password::new("password")),
            Err(PasswordProblem::TooCommon)
        );
        assert_eq!(
            policy.check(&Password::new("correct horse battery")),
            Ok(())
        );
    }

    #[test]
    fn the_blocklist_holds_no_comment_or_empty_line() {
        // Its comments are in mixed case, which no lowercased lookup meets today; a
        // comment in lower case would otherwise become a refused password.
        let loaded = COMMON_PASSWORDS.iter();
        let stray: Vec<_> = loaded
            .filter(|p| p.starts_with('#') || p.is_empty())
            .collect();
        assert!(stray.is_empty(), "{stray:?}");
        assert!(
            COMMON_PASSWORDS.len() >= 9_000,
            "{}",
            COMMON_PASSWORDS.len()
        );
    }
}

/// Why a password was not hashed or verified.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every hash thread is busy and the queue is full: the caller should try again
    /// shortly (a 429, not a failure).
    #[error("the password hash queue is full")]
    QueueFull,
    /// A reason that is not the caller's (a bug or a dead worker).
    #[error("password hashing failed: {0}")]
    Failed(String),
}

impl HashError {
    /// When to try again after [`HashError::QueueFull`]: the queue holds a few hashes'
    /// work per thread, so it has room again within a second.
    pub const RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(1);
}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verification {
    /// The password is right.
    pub matches: bool,
    /// The stored hash used weaker parameters than today's: hash again and store it.
    pub outdated: bool,
}

/// Hashes and verifies passwords with argon2id on the blocking pool.
#[derive(Clone)]
pub struct PasswordHasher {
    policy: PasswordPolicy,
    params: Params,
    pool: Arc<super::hash_pool::HashPool>,
    /// A hash of nothing in particular, checked when there is no real hash, so that an
    /// unknown user costs the same time as a wrong password.
    dummy_hash: Arc<str>,
}

impl PasswordHasher {
    /// A hasher with this policy and these argon2id costs, computing at most `workers`
    /// hashes at once with at most `queue_length` more waiting.
    pub fn new(
        policy: PasswordPolicy,
        memory_kib: u32,
        iterations: u32,
        lanes: u32,
        workers: usize,
        queue_length: usize,
    ) -> anyhow::Result<Self> {
        let params = Params::new(memory_kib, iterations, lanes, None)
            .map_err(|e| anyhow::anyhow!("invalid argon2 parameters: {e}"))?;
        let dummy_hash = argon2id::hash(&params, b"a password nobody has")
            .map_err(|e| anyhow::anyhow!("argon2 failed: {e}"))?;
        Ok(PasswordHasher {
            policy,
            params,
            pool: Arc::new(super::hash_pool::HashPool::new(workers, queue_length)?),
            dummy_hash: dummy_hash.into(),
        })
    }

    /// Checks a new password against the policy (before any hashing is spent on it).
    pub fn check(&self, password: &Password) -> Result<(), PasswordProblem> {
        self.policy.check(password)
    }

    /// Hashes the password, as a PHC string.
    pub async fn hash(&self, password: &Password) -> Result<String, HashError> {
        let password = password.clone();
        let params = self.params.clone();
        self.run(move || {
            argon2id::hash(&params, password.expose().as_bytes())
                .map_err(|e| HashError::Failed(e.to_string()))
        })
        .await
    }

    /// Checks a password against a stored PHC string; with no stored hash, spends the same
    /// time and answers no.
    pub async fn verify(
        &self,
        password: &Password,
        stored: Option<&str>,
    ) -> Result<Verification, HashError> {
        let password = password.clone();
        let real = stored.is_some();
        let stored: String = stored.unwrap_or(&self.dummy_hash).to_owned();
        let params = self.params.clone();
        self.run(move || {
            let Some((verified, old)) = argon2id::verify(password.expose().as_bytes(), &stored)
            else {
                return Ok(Verification {
                    matches: false,
                    outdated: false,
                });
            };
            // Verify first, then look at `real`: the dummy path must do the same work.
            let matches = real && verified;
            let outdated = old.m_cost() < params.m_cost()
                || old.t_cost() < params.t_cost()
                || old.p_cost() < params.p_cost();
            Ok(Verification { matches, outdated })
        })
        .await
    }

    /// Hashes running and hashes waiting for a worker, right now (for metrics).
    pub fn queue(&self) -> (usize, usize) {
        self.pool.queue()
    }

    /// Hashes (and verifications) computed, skipped and refused since start.
    pub fn totals(&self) -> PoolTotals {
        self.pool.totals()
    }

    /// True when a hash asked for now would find room in the queue: lets a request that
    /// will hash be refused before any of it runs. The hash itself is still refused if
    /// the room is gone by then. A false answer counts as a refused hash.
    pub fn has_room(&self) -> bool {
        self.pool.has_room()
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, HashError> + Send + 'static,
    ) -> Result<T, HashError> {
        match self.pool.run(work).await {
            Ok(result) => result,
            Err(PoolError::Full) => Err(HashError::QueueFull),
            Err(PoolError::Stopped) => {
                Err(HashError::Failed("the hash threads are stopping".into()))
            }
        }
    }
}
