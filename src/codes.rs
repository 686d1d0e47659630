//! Every error code a client reads, in one place: GraphQL's `extensions.code` (Commerce
//! Layer's codes, and GraphQL over HTTP's request errors) and the `error` of the OAuth
//! endpoints (RFC 6749 and RFC 7009).
//!
//! Clients branch on these strings, so they are part of the contract: nothing else in the
//! service spells one out. Which error gets which code is decided where errors become
//! answers: `graphql::error` for errors of a running operation, `http::graphql::refusal`
//! for requests refused before they run, `oauth::OAuthError` for the token endpoints.

/// The codes of `extensions.code` in GraphQL answers.
pub mod graphql {
    /// A missing, malformed, expired or revoked access token.
    pub const INVALID_TOKEN: &str = "INVALID_TOKEN";
    /// A valid token that may not do this.
    pub const UNAUTHORIZED: &str = "UNAUTHORIZED";
    /// No such record for this caller (also records of the other mode, or another
    /// customer's).
    pub const RECORD_NOT_FOUND: &str = "RECORD_NOT_FOUND";
    /// An input value was refused (with `extensions.pointer` and `extensions.error`).
    pub const VALIDATION_ERROR: &str = "VALIDATION_ERROR";
    /// Over a rate budget, or the password hash queue is full (with
    /// `extensions.retryAfter` or `Retry-After`).
    pub const TOO_MANY_REQUESTS: &str = "TOO_MANY_REQUESTS";
    /// Our fault; the message never carries internals.
    pub const INTERNAL_SERVER_ERROR: &str = "INTERNAL_SERVER_ERROR";
    /// The document is not GraphQL, or is nested too deep to be parsed safely.
    pub const PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
    /// The document breaks a rule of the schema or a limit of the service.
    pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    /// The request itself (its body or parameters) is malformed.
    pub const BAD_REQUEST: &str = "BAD_REQUEST";
    /// An Apollo persisted query this instance does not know: the client sends the text.
    pub const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";
    /// A mutation sent over GET.
    pub const METHOD_NOT_ALLOWED: &str = "METHOD_NOT_ALLOWED";
    /// A body over `MAX_BODY_BYTES`.
    pub const PAYLOAD_TOO_LARGE: &str = "PAYLOAD_TOO_LARGE";
    /// A body that is not JSON in UTF-8.
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "UNSUPPORTED_MEDIA_TYPE";
    /// An `Accept` header naming no media type the service answers in.
    pub const NOT_ACCEPTABLE: &str = "NOT_ACCEPTABLE";
    /// A request that ran past `REQUEST_TIMEOUT`.
    pub const REQUEST_TIMEOUT: &str = "REQUEST_TIMEOUT";
}

/// The `error` codes of `/oauth/token` and `/oauth/revoke`.
pub mod oauth {
    /// Unknown client, wrong secret, revoked credential.
    pub const INVALID_CLIENT: &str = "invalid_client";
    /// Wrong username or password, unknown or used refresh token.
    pub const INVALID_GRANT: &str = "invalid_grant";
    /// The client may not use this grant.
    pub const UNAUTHORIZED_CLIENT: &str = "unauthorized_client";
    /// A `grant_type` this server does not know.
    pub const UNSUPPORTED_GRANT_TYPE: &str = "unsupported_grant_type";
    /// A parameter or the body is missing or malformed.
    pub const INVALID_REQUEST: &str = "invalid_request";
    /// Over the per-IP or per-account budget, or the hash queue is full.
    pub const TOO_MANY_REQUESTS: &str = "too_many_requests";
    /// Something failed on our side.
    pub const SERVER_ERROR: &str = "server_error";
}
