//! `/oauth/token`: the client credentials, password and refresh token grants.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::login_throttle::LoginThrottle;
use super::{
    Context, GrantRequest, INTEGRATION_TOKEN_LIFETIME, OAuthError, REFRESH_TOKEN_LIFETIME,
    SALES_CHANNEL_TOKEN_LIFETIME,
};
use crate::auth::credentials::{self, ApiCredential};
use crate::auth::password::{HashError, Password};
use crate::auth::pauses::LoginStep;
use crate::auth::tokens::TokenSubject;
use crate::auth::{Mode, Role, sessions};
use crate::customers::Email;
use crate::customers::queries::{self as customer_queries, StoredPassword};

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

/// Grants a token, or says why not.
pub async fn grant(cx: &Context<'_>, request: GrantRequest) -> Result<TokenAnswer, OAuthError> {
    match request {
        GrantRequest::ClientCredentials {
            client_id,
            client_secret,
        } => {
            let credential = authenticate_client(cx, &client_id, client_secret.as_ref()).await?;
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
            answer(cx, &subject, lifetime, None)
        }
        GrantRequest::Password {
            client_id,
            client_secret,
            username,
            password,
        } => {
            let credential = authenticate_client(cx, &client_id, client_secret.as_ref()).await?;
            let (role, mode) = role_and_mode(&credential)?;
            if role != Role::SalesChannel {
                return Err(OAuthError::UnauthorizedClient);
            }
            let throttle = LoginThrottle::new(cx.db, cx.login_budget);
            let verified = throttle
                .guard(
                    mode,
                    &username,
                    check_customer_password(cx, mode, &username, &password),
                )
                .await?;
            let mut conn = cx.db.conn().await?;
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
            customer_answer(cx, mode, &opened)
        }
        GrantRequest::RefreshToken {
            client_id,
            refresh_token,
        } => {
            let token = refresh_token.expose_secret();
            let rotated =
                match sessions::refresh(cx.db, token, client_id.as_deref(), cx.session_rules)
                    .await?
                {
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
            let mut conn = cx.db.conn().await?;
            let credential = credentials::find_active(&mut conn, &rotated.session.credential_id)
                .await?
                .ok_or(OAuthError::InvalidGrant)?;
            let (_, mode) = role_and_mode(&credential)?;
            customer_answer(cx, mode, &rotated)
        }
    }
}

async fn authenticate_client(
    cx: &Context<'_>,
    client_id: &str,
    secret: Option<&SecretString>,
) -> Result<ApiCredential, OAuthError> {
    let mut conn = cx.db.conn().await?;
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
    cx: &Context<'_>,
    mode: Mode,
    username: &str,
    password: &Password,
) -> Result<StoredPassword, OAuthError> {
    let email = Email::parse(username).ok();
    let found = match &email {
        Some(email) => {
            let mut conn = cx.db.conn().await?;
            customer_queries::find_credentials(&mut conn, mode, email.as_str()).await?
        }
        None => None,
    };
    let stored_hash = found.as_ref().and_then(|f| f.password_hash.as_deref());
    let verification = cx.hasher.verify(password, stored_hash).await?;
    let (Some(found), true) = (found, verification.matches) else {
        return Err(OAuthError::InvalidGrant);
    };
    cx.login_pauses.reached(LoginStep::PasswordVerified).await;
    if let (true, Some(verified)) = (verification.outdated, found.password_hash.as_deref()) {
        // The argon2 costs have grown since this hash was made: store a stronger one, but
        // only over the hash just verified (a password change may have committed since).
        let hash = match cx.hasher.hash(password).await {
            Ok(hash) => Some(hash),
            // The password was right: a full queue only puts the rehash off to a later
            // login.
            Err(HashError::QueueFull) => None,
            Err(e) => return Err(e.into()),
        };
        if let Some(hash) = hash {
            let mut conn = cx.db.conn().await?;
            customer_queries::replace_verified_hash(&mut conn, &found.id, verified, &hash).await?;
        }
    }
    cx.login_pauses.reached(LoginStep::OpeningSession).await;
    Ok(found)
}

fn customer_answer(
    cx: &Context<'_>,
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
        SALES_CHANNEL_TOKEN_LIFETIME.min(opened.session.remaining(cx.session_rules.max_age));
    let mut answer = answer(
        cx,
        &subject,
        lifetime,
        Some(opened.refresh_token.expose_secret().to_owned()),
    )?;
    answer.owner_id = Some(opened.session.customer_id.clone());
    answer.owner_type = Some("customer");
    Ok(answer)
}

fn answer(
    cx: &Context<'_>,
    subject: &TokenSubject<'_>,
    lifetime: Duration,
    refresh_token: Option<String>,
) -> Result<TokenAnswer, OAuthError> {
    let issued = cx.signer.issue(subject, lifetime)?;
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
