//! The OAuth error answers of RFC 6749 and RFC 7009.

use crate::auth::password::HashError;
use crate::codes::oauth as code;
use crate::db::DbError;

/// An OAuth error answer.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// Unknown client, wrong secret, revoked credential (401).
    #[error("client authentication failed")]
    InvalidClient,
    /// Wrong username or password, unknown or used refresh token (400).
    #[error("the grant is invalid, expired or revoked")]
    InvalidGrant,
    /// The client may not use this grant (400).
    #[error("this client may not use this grant type")]
    UnauthorizedClient,
    /// A `grant_type` this server does not know (400).
    #[error("unsupported grant type")]
    UnsupportedGrantType,
    /// A parameter is missing or malformed (400).
    #[error("{0}")]
    InvalidRequest(String),
    /// Too many failed logins for this account, or too many passwords waiting to be
    /// hashed: retry in `retry_after` seconds (429, `Retry-After`).
    #[error("too many requests: try again later")]
    TooManyRequests {
        /// Seconds until there is room again.
        retry_after: u64,
    },
    /// Something failed on our side (500).
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<DbError> for OAuthError {
    fn from(e: DbError) -> Self {
        OAuthError::Internal(e.into())
    }
}

impl From<HashError> for OAuthError {
    fn from(e: HashError) -> Self {
        match e {
            // The password was neither accepted nor refused: the client may try again.
            HashError::QueueFull => OAuthError::TooManyRequests {
                retry_after: HashError::RETRY_AFTER.as_secs().max(1),
            },
            e => OAuthError::Internal(e.into()),
        }
    }
}

impl OAuthError {
    /// The `error` code of RFC 6749.
    pub fn code(&self) -> &'static str {
        match self {
            OAuthError::InvalidClient => code::INVALID_CLIENT,
            OAuthError::InvalidGrant => code::INVALID_GRANT,
            OAuthError::UnauthorizedClient => code::UNAUTHORIZED_CLIENT,
            OAuthError::UnsupportedGrantType => code::UNSUPPORTED_GRANT_TYPE,
            OAuthError::InvalidRequest(_) => code::INVALID_REQUEST,
            OAuthError::TooManyRequests { .. } => code::TOO_MANY_REQUESTS,
            OAuthError::Internal(_) => code::SERVER_ERROR,
        }
    }
}
