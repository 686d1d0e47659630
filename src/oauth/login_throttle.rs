//! Password logins throttled per account: failed logins are counted per mode and email,
//! whatever the client IP, so that guessing one customer's password from many addresses
//! meets the same budget (`LOGIN_FAILURES_PER_ACCOUNT` in `LOGIN_FAILURES_INTERVAL`).
//! Past it, the account's logins are refused with `Retry-After` until the window ends: a
//! soft lock that ends by itself and touches no other account.
//!
//! - Emails are counted as customers are found by them (trimmed, lowercased), and unknown
//!   ones exactly like accounts, so the lock says nothing about who has an account. The
//!   counter's name holds a digest of the email, not the email.
//! - An attempt is counted before its password is verified and taken back if it
//!   succeeds: attempts sent at once cannot all pass the check before any failure is
//!   counted, so at most the budget's worth of guesses is ever verified.
//! - A refused attempt verifies nothing: a locked account costs no argon2 work, and its
//!   right password is refused like a wrong one.

use std::future::Future;

use super::OAuthError;
use crate::auth::{Mode, secrets};
use crate::customers::Email;
use crate::db::Db;
use crate::rate_limits::{self, Budget, Scope};

/// The per-account budget of failed logins, on the shared counters.
pub struct LoginThrottle<'a> {
    db: &'a Db,
    budget: Budget,
}

impl<'a> LoginThrottle<'a> {
    /// A throttle counting on `db`'s shared counters against `budget` (0: no limit).
    pub fn new(db: &'a Db, budget: Budget) -> LoginThrottle<'a> {
        LoginThrottle { db, budget }
    }

    /// Runs `login` (which verifies the password) for the account `username` of `mode`,
    /// unless the account is over its budget of failures: then `TooManyRequests`. A login
    /// that fails with `InvalidGrant` stays counted; any other outcome is taken back.
    pub async fn guard<T>(
        &self,
        mode: Mode,
        username: &str,
        login: impl Future<Output = Result<T, OAuthError>>,
    ) -> Result<T, OAuthError> {
        if self.budget.limit == 0 {
            return login.await;
        }
        let scope = Scope::LoginFailures.name();
        let account = account_key(mode, username);
        let verdict = {
            let mut conn = self.db.conn().await?;
            rate_limits::hit(&mut conn, scope, &account, self.budget, 1).await?
        };
        if !verdict.allowed {
            return Err(OAuthError::TooManyRequests {
                retry_after: verdict.retry_after_secs(),
            });
        }
        let outcome = login.await;
        if !matches!(outcome, Err(OAuthError::InvalidGrant)) {
            let taken_back = match self.db.conn().await {
                Ok(mut conn) => {
                    rate_limits::take_back(&mut conn, scope, &account, &verdict, 1).await
                }
                Err(error) => Err(error),
            };
            if let Err(error) = taken_back {
                // The login stands; the account has one failure too many until the window ends.
                tracing::warn!(%error, "a login attempt could not be taken back from its budget");
            }
        }
        outcome
    }
}

/// The counter's subject for an account: the mode and a digest of the email as customers
/// are found by it (or of the trimmed, lowercased text when it is no valid email).
fn account_key(mode: Mode, username: &str) -> String {
    let email = match Email::parse(username) {
        Ok(email) => email.as_str().to_owned(),
        Err(_) => username.trim().to_lowercase(),
    };
    format!("{}:{}", mode.as_str(), secrets::digest(&email))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_email_are_one_account_per_mode() {
        let key = account_key(Mode::Test, "me@example.com");
        assert_eq!(account_key(Mode::Test, "  ME@Example.com "), key);
        assert_ne!(account_key(Mode::Live, "me@example.com"), key);
        assert_ne!(account_key(Mode::Test, "you@example.com"), key);
        assert!(!key.contains("example"), "no email in counter names");
    }
}
