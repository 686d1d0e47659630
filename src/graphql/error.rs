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
    /// No such record for this caller.
    NotFound(&'static str),
    /// An input value was refused.
    Invalid(FieldProblem),
    /// Our fault; the cause is logged, not shown.
    Internal(anyhow::Error),
}

impl ApiError {
    /// The code in `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidToken(_) => "INVALID_TOKEN",
            ApiError::Unauthorized(_) => "UNAUTHORIZED",
            ApiError::NotFound(_) => "RECORD_NOT_FOUND",
            ApiError::Invalid(_) => "VALIDATION_ERROR",
            ApiError::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The GraphQL error sent to the client.
    pub fn into_graphql(self) -> async_graphql::Error {
        let code = self.code();
        let (message, problem) = match self {
            ApiError::InvalidToken(why) | ApiError::Unauthorized(why) => (why.to_owned(), None),
            ApiError::NotFound(what) => (format!("{what} not found"), None),
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
            ResetError::Invalid(problem) => ApiError::Invalid(problem),
            ResetError::TokenRefused => ApiError::Invalid(FieldProblem::new(
                "/input/resetPasswordToken",
                "invalid",
                "is invalid, already used or expired",
            )),
            ResetError::Db(e) => e.into(),
            ResetError::Hash(e) => ApiError::Internal(e.into()),
        }
    }
}

/// Codes of requests refused before they run (their answers carry no `data`).
pub mod request_codes {
    /// The document is not GraphQL, or is nested too deep to be parsed safely.
    pub const PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
    /// The document breaks a rule of the schema or a limit of the service.
    pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    /// The request itself (its body or parameters) is malformed.
    pub const BAD_REQUEST: &str = "BAD_REQUEST";
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
