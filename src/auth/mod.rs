//! Who is calling: API credentials, access tokens, customer sessions and passwords.
//!
//! `auth` serves the layers above it and imports none of them: the OAuth grants that
//! join credentials, customers and sessions live in `crate::oauth`.

mod argon2id;
pub mod credentials;
mod hash_pool;
pub mod password;
pub mod pauses;
pub mod revocations;
pub mod secrets;
pub mod sessions;
mod token_cache;
pub mod tokens;

use serde::{Deserialize, Serialize};

/// The environment a credential and every record it touches belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Test data, for development and staging.
    Test,
    /// Live data.
    Live,
}

impl Mode {
    /// The name stored in the database and shown in `meta.mode`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Test => "test",
            Mode::Live => "live",
        }
    }

    /// Reads a stored mode name.
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "test" => Some(Mode::Test),
            "live" => Some(Mode::Live),
            _ => None,
        }
    }
}

/// What kind of caller a token stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A back-office integration (confidential client): may do everything.
    Integration,
    /// A storefront (public client): signs customers up and redeems resets.
    SalesChannel,
    /// A customer logged in through a sales channel.
    Customer,
}

impl Role {
    /// The name stored in the database and used in token scopes.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Integration => "integration",
            Role::SalesChannel => "sales_channel",
            Role::Customer => "customer",
        }
    }

    /// Reads an API credential's stored role. A customer is never a credential (it signs in
    /// through a sales channel), so `customer` is refused like any unknown name.
    pub fn of_credential(s: &str) -> Option<Role> {
        match s {
            "integration" => Some(Role::Integration),
            "sales_channel" => Some(Role::SalesChannel),
            _ => None,
        }
    }
}

/// The verified caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// What the caller may do.
    pub role: Role,
    /// Which records the caller sees.
    pub mode: Mode,
    /// The API credential the token was issued to.
    pub credential_id: String,
    /// For customer tokens, the customer.
    pub customer_id: Option<String>,
    /// The token's own id (for revocation and logs).
    pub token_id: String,
}

impl Principal {
    /// True when this caller is the customer `id`.
    pub fn is_customer(&self, id: &str) -> bool {
        self.role == Role::Customer && self.customer_id.as_deref() == Some(id)
    }
}

/// The outcome of reading a request's `Authorization` header.
#[derive(Debug, Clone)]
pub enum Caller {
    /// No token was sent.
    Anonymous,
    /// A token was sent but is malformed, expired, revoked or of a dead session.
    InvalidToken,
    /// A valid token.
    Authenticated(Principal),
    /// The token could not be checked because the database did not answer.
    Unverifiable,
}
