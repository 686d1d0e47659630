//! The error policy, in one place.
//!
//! Domain code returns its own error enums; this module is the only place they become
//! GraphQL errors, with Commerce Layer's codes (spelled in [`crate::codes::graphql`]) in
//! `extensions.code`:
//! `INVALID_TOKEN` (missing, malformed, expired or revoked access token), `UNAUTHORIZED`
//! (valid token, action not allowed), `RECORD_NOT_FOUND` (also for records of the other
//! mode, or another customer's), `VALIDATION_ERROR` (with `extensions.pointer` and
//! `extensions.error`), `TOO_MANY_REQUESTS` (with `extensions.retryAfter` in seconds),
//! and `INTERNAL_SERVER_ERROR`, whose message never carries internals: the cause is
//! logged with its chain instead.

use async_graphql::ErrorExtensions;

use crate::auth::password::HashError;
use crate::codes::graphql as code;
use crate::customers::CustomerError;
use crate::db::DbError;
use crate::listing::FieldProblem;
use crate::resets::ResetError;

/// An error as clients see it.
#[derive(Debug)]
pub enum ApiError {
    /// No usable access token.
    InvalidToken(&'static str),
    /// The token may not do this.
    Unauthorized(&'static str),
    /// The token may not write this input field (`extensions.pointer` says which).
    UnauthorizedField(FieldProblem),
    /// No such record for this caller.
    NotFound(&'static str),
    /// An input value was refused.
    Invalid(FieldProblem),
    /// Over a rate budget; `retry_after` seconds until it has room again (in
    /// `extensions.retryAfter`).
    TooManyRequests {
        /// What was over its budget, for the message.
        what: &'static str,
        /// Seconds until the window ends.
        retry_after: u64,
    },
    /// The password hash queue is full: the whole request is refused (429).
    HashQueueFull,
    /// Our fault; the cause is logged, not shown.
    Internal(anyhow::Error),
}

impl ApiError {
    /// The code in `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidToken(_) => code::INVALID_TOKEN,
            ApiError::Unauthorized(_) | ApiError::UnauthorizedField(_) => code::UNAUTHORIZED,
            ApiError::NotFound(_) => code::RECORD_NOT_FOUND,
            ApiError::Invalid(_) => code::VALIDATION_ERROR,
            ApiError::TooManyRequests { .. } | ApiError::HashQueueFull => code::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => code::INTERNAL_SERVER_ERROR,
        }
    }

    /// The GraphQL error sent to the client.
    pub fn into_graphql(self) -> async_graphql::Error {
        let code = self.code();
        let retry_after = match &self {
            ApiError::TooManyRequests { retry_after, .. } => Some(*retry_after),
            ApiError::HashQueueFull => Some(HashError::RETRY_AFTER.as_secs()),
            _ => None,
        };
        let queue_full = matches!(self, ApiError::HashQueueFull);
        let (message, problem) = match self {
            ApiError::InvalidToken(why) | ApiError::Unauthorized(why) => (why.to_owned(), None),
            ApiError::NotFound(what) => (format!("{what} not found"), None),
            ApiError::UnauthorizedField(problem) => (problem.message.clone(), Some(problem)),
            ApiError::Invalid(problem) => (
                format!(
                    "{} {}",
                    problem.pointer.rsplit('/').next().unwrap_or(""),
                    problem.message
                )
                .trim()
                .to_owned(),
                Some(problem),
            ),
            ApiError::TooManyRequests { what, retry_after } => (
                format!("too many requests: {what}; try again in {retry_after} s"),
                None,
            ),
            ApiError::HashQueueFull => (HashQueueFull.to_string(), None),
            ApiError::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "internal error");
                ("internal server error".to_owned(), None)
            }
        };
        let error = match queue_full {
            // The source (never shown) tells the HTTP layer to answer 429.
            true => async_graphql::Error::new_with_source(HashQueueFull),
            false => async_graphql::Error::new(message),
        };
        error.extend_with(|_, ext| {
            ext.set("code", code);
            if let Some(problem) = &problem {
                ext.set("pointer", problem.pointer.as_str());
                ext.set("error", problem.key);
            }
            if let Some(seconds) = retry_after {
                ext.set("retryAfter", seconds);
            }
        })
    }
}

/// The source of a GraphQL error refusing a request because the password hash queue is
/// full: the HTTP layer answers such a request with 429 and `Retry-After`.
#[derive(Debug, Clone, Copy)]
pub struct HashQueueFull;

impl std::fmt::Display for HashQueueFull {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("too many passwords are being hashed: try again shortly")
    }
}

impl From<HashError> for ApiError {
    fn from(e: HashError) -> Self {
        match e {
            HashError::QueueFull => ApiError::HashQueueFull,
            e => ApiError::Internal(e.into()),
        }
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        ApiError::Internal(e.into())
    }
}

impl From<CustomerError> for ApiError {
    fn from(e: CustomerError) -> Self {
        match e {
            CustomerError::NotFound => ApiError::NotFound("customer"),
            CustomerError::Forbidden(why) => ApiError::Unauthorized(why),
            CustomerError::ForbiddenField(problem) => ApiError::UnauthorizedField(problem),
            CustomerError::Invalid(problem) => ApiError::Invalid(problem),
            CustomerError::Db(e) => e.into(),
            CustomerError::Hash(e) => e.into(),
        }
    }
}

impl From<ResetError> for ApiError {
    fn from(e: ResetError) -> Self {
        match e {
            ResetError::NotFound => ApiError::NotFound("customer password reset"),
            ResetError::Forbidden(why) => ApiError::Unauthorized(why),
            ResetError::ForbiddenField(problem) => ApiError::UnauthorizedField(problem),
            ResetError::Invalid(problem) => ApiError::Invalid(problem),
            ResetError::TokenRefused { pointer } => ApiError::Invalid(FieldProblem::new(
                pointer,
                "invalid",
                "is invalid, already used or expired",
            )),
            ResetError::TooManyCreations { retry_after } => ApiError::TooManyRequests {
                what: "this customer was sent the most password resets allowed for now",
                retry_after,
            },
            ResetError::Db(e) => e.into(),
            ResetError::Hash(e) => e.into(),
        }
    }
}

/// Turns a domain result into a GraphQL result through [`ApiError`].
pub trait GraphqlResult<T> {
    /// Maps the error by the policy above.
    fn or_graphql(self) -> async_graphql::Result<T>;
}

impl<T, E: Into<ApiError>> GraphqlResult<T> for Result<T, E> {
    fn or_graphql(self) -> async_graphql::Result<T> {
        self.map_err(|e| e.into().into_graphql())
    }
}
