//! A token request's parameters, read into one of the grants.

use std::collections::HashMap;

use secrecy::SecretString;

use super::OAuthError;
use crate::auth::password::Password;

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
