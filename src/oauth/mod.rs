//! The OAuth 2 grants of `/oauth/token` and `/oauth/revoke`, as Commerce Layer has them:
//! client credentials, password (customers, through a sales channel) and refresh token.
//!
//! This module sits above `auth` and `customers`: it takes what a grant needs (the
//! database, the token signer, the password hasher, the login budget) as a [`Context`]
//! rather than the service's whole state, so that `auth` serves it and never imports
//! the resources or the state above it.

mod errors;
mod grants;
pub mod login_throttle;
mod request;
mod revocation;

use std::time::Duration;

use crate::auth::password::PasswordHasher;
use crate::auth::pauses::LoginPauses;
use crate::auth::revocations::RevocationList;
use crate::auth::sessions::SessionRules;
use crate::auth::tokens::TokenSigner;
use crate::db::Db;
use crate::rate_limits::Budget;

pub use errors::OAuthError;
pub use grants::{TokenAnswer, grant};
pub use request::GrantRequest;
pub use revocation::revoke;

/// Access tokens of integrations live 2 hours.
pub const INTEGRATION_TOKEN_LIFETIME: Duration = Duration::from_secs(2 * 3600);
/// Access tokens of sales channels and customers live 4 hours.
pub const SALES_CHANNEL_TOKEN_LIFETIME: Duration = Duration::from_secs(4 * 3600);
/// Refresh tokens live 2 weeks.
pub const REFRESH_TOKEN_LIFETIME: Duration = Duration::from_secs(14 * 24 * 3600);

/// What the grants and revocations need, borrowed from the service for one request.
pub struct Context<'a> {
    /// The database pool.
    pub db: &'a Db,
    /// Signs and verifies access tokens.
    pub signer: &'a TokenSigner,
    /// Revoked tokens, mirrored in memory.
    pub revocations: &'a RevocationList,
    /// Checks and hashes passwords.
    pub hasher: &'a PasswordHasher,
    /// Where a test may hold a password login.
    pub login_pauses: &'a LoginPauses,
    /// The per-account budget of failed logins.
    pub login_budget: Budget,
    /// How long sessions and their refresh tokens (of [`REFRESH_TOKEN_LIFETIME`]) live.
    pub session_rules: SessionRules,
}
