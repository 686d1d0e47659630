//! The OAuth 2 grants of `/oauth/token` and `/oauth/revoke`, as Commerce Layer has them:
//! client credentials, password (customers, through a sales channel) and refresh token.

use std::collections::HashMap;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::credentials::{self, ApiCredential};
use super::login_throttle::LoginThrottle;
use super::password::{HashError, Password};
use super::pauses::LoginStep;
use super::tokens::TokenSubject;
use super::{Mode, Role, sessions};
use crate::AppState;
use crate::customers::Email;
use crate::customers::queries::{self as customer_queries, StoredPassword};
use crate::db::DbError;
use crate::rate_limits::Scope;

/// Access tokens of integrations live 2 hours.
pub const INTEGRATION_TOKEN_LIFETIME: Duration = Duration::from_secs(2 * 3600);
/// Access tokens of sales channels and customers live 4 hours.
pub const SALES_CHANNEL_TOKEN_LIFETIME: Duration = Duration::from_secs(4 * 3600);
/// Refresh tokens live 2 weeks.
pub const REFRESH_TOKEN_LIFETIME: Duration = Duration::from_secs(14 * 24 * 3600);

/// A token request, parsed.
pub enum GrantRequest {
    /// `client_credentials`.
    ClientCredentials {
        /// The client.
        client_id: String,
        /// The secret (integrations).
        client_secret: Option<SecretString>,
    },
    /// `password`: a customer logs in through a sales channel.
    Password {
        /// The sales channel.
        client_id: String,
        /// A secret, if the client sent one (sales channels have none).
        client_secret: Option<SecretString>,
        /// The customer's email.
        username: String,
        /// The customer's password.
        password: Password,
    },
    /// `refresh_token`: a new access token and a new refresh token.
    RefreshToken {
        /// The client, if given; it must be the one the session was opened through.
        client_id: Option<String>,
        /// The refresh token.
        refresh_token: SecretString,
    },
}

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
            OAuthError::InvalidClient => "invalid_client",
            OAuthError::InvalidGrant => "invalid_grant",
            OAuthError::UnauthorizedClient => "unauthorized_client",
            OAuthError::UnsupportedGrantType => "unsupported_grant_type",
            OAuthError::InvalidRequest(_) => "invalid_request",
            OAuthError::TooManyRequests { .. } => "too_many_requests",
            OAuthError::Internal(_) => "server_error",
        }
    }
}

/// A successful token answer. Not `Debug`: it holds tokens.
#[derive(Serialize)]
pub struct TokenAnswer {
    /// The access token (a JWT).
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// What the token reaches: `<role>:<mode>`, e.g. `integration:test`.
    pub scope: String,
    /// When it was issued (Unix seconds).
    pub created_at: i64,
    /// For customers: the refresh token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// For customers: the customer id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    /// For customers: `customer`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_type: Option<&'static str>,
}

impl GrantRequest {
    /// Reads a grant from the request's parameters (JSON or form, already flattened).
    pub fn from_params(params: &HashMap<String, String>) -> Result<GrantRequest, OAuthError> {
        let get = |name: &str| params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        let required = |name: &str| {
            get(name).ok_or_else(|| OAuthError::InvalidRequest(format!("`{name}` is required")))
        };
        let grant_type = required("grant_type")?;
        Ok(match grant_type {
            "client_credentials" => GrantRequest::ClientCredentials {
                client_id: required("client_id")?.to_owned(),
                client_secret: get("client_secret").map(|s| SecretString::from(s.to_owned())),
            },
            "password" => GrantRequest::Password {
                client_id: required("client_id")?.to_owned(),
                client_secret: get("client_secret").map(|s| SecretString::from(s.to_owned())),
                username: required("username")?.to_owned(),
                // Passwords are taken as sent: spaces may be part of them.
                password: Password::new(
                    params
                        .get("password")
                        .filter(|p| !p.is_empty())
                        .ok_or_else(|| OAuthError::InvalidRequest("`password` is required".into()))?
                        .clone(),
                ),
            },
            "refresh_token" => GrantRequest::RefreshToken {
                client_id: get("client_id").map(str::to_owned),
                refresh_token: SecretString::from(required("refresh_token")?.to_owned()),
            },
            _ => return Err(OAuthError::UnsupportedGrantType),
        })
    }
}

/// Grants a token, or says why not.
pub async fn grant(state: &AppState, request: GrantRequest) -> Result<TokenAnswer, OAuthError> {
    match request {
        GrantRequest::ClientCredentials {
            client_id,
            client_secret,
        } => {
            let credential = authenticate_client(state, &client_id, client_secret.as_ref()).await?;
            let (role, mode) = role_and_mode(&credential)?;
            let lifetime = match role {
                Role::Integration => INTEGRATION_TOKEN_LIFETIME,
                _ => SALES_CHANNEL_TOKEN_LIFETIME,
            };
            let subject = TokenSubject {
                role,
                mode,
                credential_id: &credential.id,
                customer_id: None,
                session_id: None,
            };
            answer(state, &subject, lifetime, None)
        }
        GrantRequest::Password {
            client_id,
            client_secret,
            username,
            password,
        } => {
            let credential = authenticate_client(state, &client_id, client_secret.as_ref()).await?;
            let (role, mode) = role_and_mode(&credential)?;
            if role != Role::SalesChannel {
                return Err(OAuthError::UnauthorizedClient);
            }
            let throttle = LoginThrottle::new(&state.db, state.config.budget(Scope::LoginFailures));
            let verified = throttle
                .guard(
                    mode,
                    &username,
                    check_customer_password(state, mode, &username, &password),
                )
                .await?;
            let mut conn = state.db.conn().await?;
            let opened = sessions::open(
                &mut conn,
                &verified.id,
                &credential.id,
                verified.password_version,
                REFRESH_TOKEN_LIFETIME,
            )
            .await?
            // The password changed after it was verified: this login is of the old one.
            .ok_or(OAuthError::InvalidGrant)?;
            customer_answer(state, mode, &opened)
        }
        GrantRequest::RefreshToken {
            client_id,
            refresh_token,
        } => {
            let rules = state.config.session_rules(REFRESH_TOKEN_LIFETIME);
            let rotated =
                match sessions::refresh(&state.db, refresh_token.expose_secret(), rules).await? {
                    sessions::Refreshed::Rotated(rotated) => rotated,
                    sessions::Refreshed::Refused => return Err(OAuthError::InvalidGrant),
                    sessions::Refreshed::ReuseDetected { session_id } => {
                        tracing::warn!(
                            session = %session_id,
                            "a rotated refresh token was used again: session ended"
                        );
                        return Err(OAuthError::InvalidGrant);
                    }
                };
            if client_id.is_some_and(|id| id != rotated.session.credential_id) {
                return Err(OAuthError::InvalidGrant);
            }
            let mut conn = state.db.conn().await?;
            let credential = credentials::find_active(&mut conn, &rotated.session.credential_id)
                .await?
                .ok_or(OAuthError::InvalidGrant)?;
            let (_, mode) = role_and_mode(&credential)?;
            customer_answer(state, mode, &rotated)
        }
    }
}

/// Revokes a refresh token or an access token. Unknown tokens are ignored (RFC 7009).
pub async fn revoke(state: &AppState, token: &str) -> Result<(), OAuthError> {
    let mut conn = state.db.conn().await?;
    if sessions::end_by_refresh_token(&mut conn, token).await? {
        return Ok(());
    }
    if let Some(verified) = state.signer.verify(token) {
        match verified.session_id {
            Some(session_id) => sessions::end(&mut conn, &session_id).await?,
            None => {
                if let Some((jti, exp)) = state.signer.token_id_and_expiry(token) {
                    state.revocations.revoke_token(&mut conn, &jti, exp).await?;
                }
            }
        }
    }
    Ok(())
}

async fn authenticate_client(
    state: &AppState,
    client_id: &str,
    secret: Option<&SecretString>,
) -> Result<ApiCredential, OAuthError> {
    let mut conn = state.db.conn().await?;
    let credential = credentials::find_active(&mut conn, client_id)
        .await?
        .ok_or(OAuthError::InvalidClient)?;
    let confidential = credential.secret_digest.is_some();
    if confidential && !secret.is_some_and(|s| credential.secret_matches(s.expose_secret())) {
        return Err(OAuthError::InvalidClient);
    }
    Ok(credential)
}

fn role_and_mode(credential: &ApiCredential) -> Result<(Role, Mode), OAuthError> {
    match (credential.role(), credential.mode()) {
        (Some(role), Some(mode)) => Ok((role, mode)),
        _ => Err(OAuthError::Internal(anyhow::anyhow!(
            "credential {} has an unknown role or mode",
            credential.id
        ))),
    }
}

/// The customer and the password version verified, when the password is right. Unknown
/// emails, guests and wrong passwords all cost one argon2 verification and give the same
/// answer.
async fn check_customer_password(
    state: &AppState,
    mode: Mode,
    username: &str,
    password: &Password,
) -> Result<StoredPassword, OAuthError> {
    let email = Email::parse(username).ok();
    let found = match &email {
        Some(email) => {
            let mut conn = state.db.conn().await?;
            customer_queries::find_credentials(&mut conn, mode, email.as_str()).await?
        }
        None => None,
    };
    let stored_hash = found.as_ref().and_then(|f| f.password_hash.as_deref());
    let verification = state.hasher.verify(password, stored_hash).await?;
    let (Some(found), true) = (found, verification.matches) else {
        return Err(OAuthError::InvalidGrant);
    };
    state
        .login_pauses
        .reached(LoginStep::PasswordVerified)
        .await;
    if let (true, Some(verified)) = (verification.outdated, found.password_hash.as_deref()) {
        // The argon2 costs have grown since this hash was made: store a stronger one, but
        // only over the hash just verified (a password change may have committed since).
        let hash = match state.hasher.hash(password).await {
            Ok(hash) => Some(hash),
            // The password was right: a full queue only puts the rehash off to a later
            // login.
            Err(HashError::QueueFull) => None,
            Err(e) => return Err(e.into()),
        };
        if let Some(hash) = hash {
            let mut conn = state.db.conn().await?;
            customer_queries::replace_verified_hash(&mut conn, &found.id, verified, &hash).await?;
        }
    }
    state.login_pauses.reached(LoginStep::OpeningSession).await;
    Ok(found)
}

fn customer_answer(
    state: &AppState,
    mode: Mode,
    opened: &sessions::SessionWithRefresh,
) -> Result<TokenAnswer, OAuthError> {
    let subject = TokenSubject {
        role: Role::Customer,
        mode,
        credential_id: &opened.session.credential_id,
        customer_id: Some(&opened.session.customer_id),
        session_id: Some(&opened.session.id),
    };
    // No access token outlives its session.
    let lifetime =
        SALES_CHANNEL_TOKEN_LIFETIME.min(opened.session.remaining(state.config.session_max_age));
    let mut answer = answer(
        state,
        &subject,
        lifetime,
        Some(opened.refresh_token.expose_secret().to_owned()),
    )?;
    answer.owner_id = Some(opened.session.customer_id.clone());
    answer.owner_type = Some("customer");
    Ok(answer)
}

fn answer(
    state: &AppState,
    subject: &TokenSubject<'_>,
    lifetime: Duration,
    refresh_token: Option<String>,
) -> Result<TokenAnswer, OAuthError> {
    let issued = state.signer.issue(subject, lifetime)?;
    Ok(TokenAnswer {
        access_token: issued.token.expose_secret().to_owned(),
        token_type: "bearer",
        expires_in: issued.expires_in,
        scope: format!("{}:{}", subject.role.as_str(), subject.mode.as_str()),
        created_at: issued.created_at,
        refresh_token,
        owner_id: None,
        owner_type: None,
    })
}
