//! Raw HTTP requests, for tests that check what the wire carries (a status, a header, a
//! body that is not a GraphQL answer) rather than a GraphQL answer: the one way the suite
//! builds them, against a `TestApp` (`app.raw_post(path)`) or the real binary
//! (`Raw::post(url)`).

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::Value;

/// A request being built; `send` it to get an [`Answer`].
pub struct Raw {
    request: reqwest::RequestBuilder,
}

/// What the service answered.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    /// The body as JSON, or `Value::Null` when it is not JSON.
    pub body: Value,
}

impl Raw {
    /// A POST to `url` on a client of its own.
    pub fn post(url: impl AsRef<str>) -> Raw {
        Raw::with(&reqwest::Client::new(), reqwest::Method::POST, url)
    }

    /// A request of `method` to `url` on `http` (a test's client, whose connections it
    /// reuses).
    pub fn with(http: &reqwest::Client, method: reqwest::Method, url: impl AsRef<str>) -> Raw {
        Raw {
            request: http.request(method, url.as_ref()),
        }
    }

    /// A request built with reqwest's own builder, for what this one does not cover (a
    /// query string).
    pub fn from_builder(request: reqwest::RequestBuilder) -> Raw {
        Raw { request }
    }

    /// An `Authorization: Bearer` header, when there is a token.
    pub fn bearer(self, token: Option<&str>) -> Raw {
        match token {
            Some(token) => self.map(|r| r.bearer_auth(token)),
            None => self,
        }
    }

    /// A header, as given (reqwest refuses some bytes itself: see [`Raw::try_send`]).
    pub fn header(self, name: &str, value: &str) -> Raw {
        self.map(|r| r.header(name, value))
    }

    /// `Accept: media_type`.
    pub fn accept(self, media_type: &str) -> Raw {
        self.header("accept", media_type)
    }

    /// A JSON body (and its content type).
    pub fn json(self, body: &Value) -> Raw {
        self.map(|r| r.json(body))
    }

    /// A form body (and its content type).
    pub fn form(self, form: &[(&str, &str)]) -> Raw {
        self.map(|r| r.form(form))
    }

    /// A body as given, with no content type added.
    pub fn body(self, body: impl Into<reqwest::Body>) -> Raw {
        self.map(|r| r.body(body))
    }

    /// How long to wait for the whole answer.
    pub fn timeout(self, timeout: Duration) -> Raw {
        self.map(|r| r.timeout(timeout))
    }

    fn map(self, f: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder) -> Raw {
        Raw {
            request: f(self.request),
        }
    }

    /// Sends the request; panics when no answer comes.
    pub async fn send(self) -> Answer {
        self.try_send()
            .await
            .unwrap_or_else(|e| panic!("no answer: {e}"))
    }

    /// Sends the request; an error when it could not be built or no answer came.
    pub async fn try_send(self) -> reqwest::Result<Answer> {
        let response = self.request.send().await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.json().await.unwrap_or(Value::Null);
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}

impl Answer {
    /// A header's value as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}
