//! The error policy, in one place.
//!
//! Domain code returns its own error enums; this module is the only place they become
//! GraphQL errors, with Commerce Layer's codes in `extensions.code`:
//! `INVALID_TOKEN` (missing, malformed, expired or revoked access token), `UNAUTHORIZED`
//! (valid token, action not allowed), `RECORD_NOT_FOUND` (also for records of the other
//! mode, or another customer's), `VALIDATION_ERROR` (with `extensions.pointer` and
//! `extensions.error`), `TOO_MANY_REQUESTS`, and `INTERNAL_SERVER_ERROR`, whose message
//! never carries internals: the cause is logged with its chain instead.

use async_graphql::ErrorExtensions;

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
    /// Our fault; the cause is logged, not shown.
    Internal(anyhow::Error),
}

impl ApiError {
    /// The code in `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidToken(_) => "INVALID_TOKEN",
            ApiError::Unauthorized(_) | ApiError::UnauthorizedField(_) => "UNAUTHORIZED",
            ApiError::NotFound(_) => "RECORD_NOT_FOUND",
            ApiError::Invalid(_) => "VALIDATION_ERROR",
            ApiError::TooManyRequests { .. } => "TOO_MANY_REQUESTS",
            ApiError::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The GraphQL error sent to the client.
    pub fn into_graphql(self) -> async_graphql::Error {
        let code = self.code();
        let retry_after = match &self {
            ApiError::TooManyRequests { retry_after, .. } => Some(*retry_after),
            _ => None,
        };
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
            ApiError::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "internal error");
                ("internal server error".to_owned(), None)
            }
        };
        async_graphql::Error::new(message).extend_with(|_, ext| {
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
            CustomerError::Hash(e) => ApiError::Internal(e.into()),
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
            ResetError::TokenRefused => ApiError::Invalid(FieldProblem::new(
                "/input/resetPasswordToken",
                "invalid",
                "is invalid, already used or expired",
            )),
            ResetError::TooManyCreations { retry_after } => ApiError::TooManyRequests {
                what: "this customer was sent the most password resets allowed for now",
                retry_after,
            },
            ResetError::Db(e) => e.into(),
            ResetError::Hash(e) => ApiError::Internal(e.into()),
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
