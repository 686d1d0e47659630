//! Requests refused before they run, and how answers are written.

use axum::http::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

use super::answer::to_body;

use super::limits;
use super::negotiate::MediaType;
use crate::auth::password::HashError;
use crate::codes::graphql as code;
use crate::graphql::error::HashQueueFull;
use crate::rate_limits::Verdict;

/// A request refused before it runs, with the status for each media type.
pub(super) struct Refusal {
    /// Status with `application/graphql-response+json`.
    pub(super) status: StatusCode,
    /// Status with `application/json` (the spec keeps 200 for document errors there).
    pub(super) legacy_status: StatusCode,
    pub(super) message: String,
    pub(super) code: &'static str,
    pub(super) allow_post_only: bool,
    /// For a refused batch: how many operations it held (the answer repeats the error
    /// for each, as batch clients expect one answer per operation).
    pub(super) batch: Option<usize>,
}

impl Refusal {
    /// A refusal with one status whatever the media type: the request could not be taken
    /// as a GraphQL request at all (its body, method or budget).
    pub(super) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Refusal {
            status,
            legacy_status: status,
            message: message.into(),
            code,
            allow_post_only: false,
            batch: None,
        }
    }

    /// A request error of GraphQL over HTTP (the document, not the request, is at
    /// fault): 400 with `application/graphql-response+json`, 200 with `application/json`.
    /// Every such refusal is built here.
    pub(super) fn request_error(code: &'static str, message: impl Into<String>) -> Self {
        Refusal {
            legacy_status: StatusCode::OK,
            ..Refusal::new(StatusCode::BAD_REQUEST, code, message)
        }
    }

    /// The same refusal with `status` under `application/graphql-response+json`.
    pub(super) fn with_status(self, status: StatusCode) -> Self {
        Refusal { status, ..self }
    }

    /// The request's body or parameters are malformed (400 for both media types).
    pub(super) fn bad_request(message: impl Into<String>) -> Self {
        Refusal::new(StatusCode::BAD_REQUEST, code::BAD_REQUEST, message)
    }

    /// The document could not be parsed, or was not parsed because of how deep it nests.
    pub(super) fn parse_failed(message: impl Into<String>) -> Self {
        Refusal::request_error(code::PARSE_FAILED, message)
    }

    /// The document breaks a rule checked before validation (the schema's own message
    /// where the schema has the same rule).
    pub(super) fn validation_failed(message: impl Into<String>) -> Self {
        Refusal::request_error(code::VALIDATION_FAILED, message)
    }

    /// The body could not be read: too large (413), or cut off (400).
    pub(super) fn unreadable_body(rejection: &axum::extract::rejection::BytesRejection) -> Self {
        let status = rejection.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            Refusal::new(
                status,
                code::PAYLOAD_TOO_LARGE,
                "the request body is too large",
            )
        } else {
            Refusal::bad_request("the request body could not be read")
        }
    }

    pub(super) fn body(&self) -> Value {
        json!({ "errors": [{ "message": self.message, "extensions": { "code": self.code } }] })
    }

    pub(super) fn into_response(self, media: MediaType) -> Response {
        let status = match media {
            MediaType::GraphqlResponseJson => self.status,
            MediaType::Json => self.legacy_status,
        };
        let body = match self.batch {
            Some(count) => Value::Array(vec![self.body(); count]),
            None => self.body(),
        };
        let mut response = respond(media, status, &body);
        if self.allow_post_only {
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("POST"));
        }
        response
    }
}

pub(super) fn too_many_requests(
    media: MediaType,
    verdict: &Verdict,
    batch: Option<usize>,
) -> Response {
    let mut refusal = Refusal::new(
        StatusCode::TOO_MANY_REQUESTS,
        code::TOO_MANY_REQUESTS,
        format!(
            "too many requests: at most {} every {} s",
            verdict.budget.limit,
            verdict.budget.interval.as_secs()
        ),
    );
    refusal.batch = batch;
    let mut response = refusal.into_response(media);
    limits::add_headers(&mut response, Some(verdict));
    response
}

/// Every hash thread is busy and the hash queue is full: the request, which would hash a
/// password, is refused before it runs (429, `Retry-After`).
pub(super) fn hash_queue_full(media: MediaType, batch: Option<usize>) -> Response {
    let mut refusal = Refusal::new(
        StatusCode::TOO_MANY_REQUESTS,
        code::TOO_MANY_REQUESTS,
        HashQueueFull.to_string(),
    );
    refusal.batch = batch;
    let mut response = refusal.into_response(media);
    set_retry_after(&mut response);
    response
}

/// Tells the client when a hash may find room again.
pub(super) fn set_retry_after(response: &mut Response) {
    response.headers_mut().insert(
        RETRY_AFTER,
        HeaderValue::from(HashError::RETRY_AFTER.as_secs()),
    );
}

pub(super) fn one_password_mutation_only() -> Refusal {
    Refusal::validation_failed("a request may set or reset at most one password")
}

pub(super) fn respond(media: MediaType, status: StatusCode, body: &impl Serialize) -> Response {
    let mut response = (status, to_body(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(media.content_type()));
    // Answers depend on the caller's token: no shared cache may keep them.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub(super) fn not_acceptable() -> Response {
    let message = "accept application/graphql-response+json or application/json";
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code::NOT_ACCEPTABLE } }] });
    let mut response = (StatusCode::NOT_ACCEPTABLE, body.to_string()).into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}
