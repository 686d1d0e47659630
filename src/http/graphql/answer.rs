//! One GraphQL answer as it is sent: serialized straight from async-graphql's response, so
//! fields keep the order they were asked in (the spec's ordered map), without `data` when
//! the request failed before it ran, and with a code on every error.

use async_graphql::{ServerError, Value as GraphqlValue};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use crate::codes::graphql as code;
use crate::graphql::error::HashQueueFull;

/// An executed request's answer.
pub(super) struct Answer {
    response: async_graphql::Response,
    request_error: bool,
}

impl Answer {
    pub(super) fn new(mut response: async_graphql::Response) -> Answer {
        // A request error (document validation, variable coercion) has no data and no
        // error with a path: the spec leaves `data` out of such answers.
        let request_error = response.data == GraphqlValue::Null
            && !response.errors.is_empty()
            && response.errors.iter().all(|e| e.path.is_empty());
        response.errors.iter_mut().for_each(give_code);
        Answer {
            response,
            request_error,
        }
    }

    /// True when the request failed before execution.
    pub(super) fn is_request_error(&self) -> bool {
        self.request_error
    }

    /// True when a password hash was refused because the hash queue is full: the request
    /// is then answered with 429 and `Retry-After`.
    pub(super) fn hash_queue_full(&self) -> bool {
        self.response
            .errors
            .iter()
            .any(|e| e.source::<HashQueueFull>().is_some())
    }

    /// The code of the first error, if any.
    pub(super) fn first_code(&self) -> Option<&str> {
        let extensions = self.response.errors.first()?.extensions.as_ref()?;
        match extensions.get("code")? {
            GraphqlValue::String(code) => Some(code),
            _ => None,
        }
    }
}

impl Serialize for Answer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let response = &self.response;
        let mut map = serializer.serialize_map(None)?;
        if !self.request_error {
            map.serialize_entry("data", &response.data)?;
        }
        if !response.errors.is_empty() {
            map.serialize_entry("errors", &response.errors)?;
        }
        if !response.extensions.is_empty() {
            map.serialize_entry("extensions", &response.extensions)?;
        }
        map.end()
    }
}

/// Errors that async-graphql raises itself (document validation, variable and argument
/// coercion) carry no code; every error a client sees should.
fn give_code(error: &mut ServerError) {
    let code = if error.path.is_empty() {
        code::VALIDATION_FAILED
    } else {
        code::VALIDATION_ERROR
    };
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_none() {
        extensions.set("code", code);
    }
}

/// One operation's place in a batch's answer: its answer, or why it was refused.
#[derive(serde::Serialize)]
#[serde(untagged)]
pub(super) enum BatchItem {
    Answered(Answer),
    Refused(Value),
}

impl BatchItem {
    /// True when the item's password hash was refused for a full queue.
    pub(super) fn hash_queue_full(&self) -> bool {
        matches!(self, BatchItem::Answered(answer) if answer.hash_queue_full())
    }

    /// The code of the item's first error, if any.
    pub(super) fn first_code(&self) -> Option<&str> {
        match self {
            BatchItem::Answered(answer) => answer.first_code(),
            BatchItem::Refused(body) => body["errors"][0]["extensions"]["code"].as_str(),
        }
    }
}

/// The body of an answer; serializing plain values cannot fail, but if it ever did the
/// client still gets a GraphQL error rather than a broken body.
pub(super) fn to_body(answer: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(answer).unwrap_or_else(|e| {
        tracing::error!(error = %e, "an answer could not be serialized");
        format!(
            r#"{{"errors":[{{"message":"internal server error","extensions":{{"code":"{}"}}}}]}}"#,
            code::INTERNAL_SERVER_ERROR
        )
        .into_bytes()
    })
}

#[cfg(test)]
mod tests {
    use async_graphql::Pos;

    use super::*;
    use crate::graphql::error::ApiError;

    fn answer_with(error: ApiError) -> Answer {
        let mut error = error.into_graphql().into_server_error(Pos::default());
        error.path = vec![async_graphql::PathSegment::Field("createCustomer".into())];
        Answer::new(async_graphql::Response::from_errors(vec![error]))
    }

    #[test]
    fn a_hash_refused_for_a_full_queue_is_told_from_other_errors() {
        let full = answer_with(ApiError::HashQueueFull);
        assert!(full.hash_queue_full());
        assert_eq!(full.first_code(), Some("TOO_MANY_REQUESTS"));
        let body = serde_json::to_value(&full).unwrap();
        assert_eq!(body["errors"][0]["extensions"]["retryAfter"], 1);
        assert!(!answer_with(ApiError::Unauthorized("no")).hash_queue_full());
    }
}
