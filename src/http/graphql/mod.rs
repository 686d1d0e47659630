//! `/graphql`, following the GraphQL-over-HTTP spec: POST (one request or a bounded
//! batch) and GET (queries only), `application/graphql-response+json` or
//! `application/json` by `Accept`, Apollo persisted queries; GraphiQL for browsers.

mod answer;
mod apq;
pub mod cost;
mod document;
mod negotiate;
mod params;
mod parsed;
mod prepare;
mod refusal;
mod run;
mod validated;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

pub use apq::PersistedQueries;
use params::PostBody;
pub use parsed::ParsedDocuments;
use refusal::{Refusal, not_acceptable};
use run::{refuse, run_batch, run_one};

use super::limits;
use crate::AppState;
use crate::auth::Caller;

/// Who is asking, from where: what rate limits and logs key on.
struct Client {
    caller: Caller,
    /// `credential-id|ip`, or `anonymous|ip`.
    rate_subject: String,
    /// The client's IP (the redemption budget's subject).
    ip: IpAddr,
}

impl Client {
    async fn identify(state: &AppState, headers: &HeaderMap, peer: SocketAddr) -> Client {
        let caller = crate::http::identify(state, headers).await;
        let ip = limits::client_ip(state, headers, peer);
        let who = match &caller {
            Caller::Authenticated(p) => p.credential_id.as_str(),
            _ => "anonymous",
        };
        Client {
            rate_subject: format!("{who}|{ip}"),
            caller,
            ip,
        }
    }

    fn credential(&self) -> &str {
        match &self.caller {
            Caller::Authenticated(p) => &p.credential_id,
            _ => "",
        }
    }
}

/// What one request was and how it ended, for the log line and the metrics.
struct Outcome {
    operation: String,
    outcome: String,
}

impl Outcome {
    fn new(operation: impl Into<String>, outcome: impl Into<String>) -> Self {
        Outcome {
            operation: operation.into(),
            outcome: outcome.into(),
        }
    }
}

/// Logs a finished GraphQL request (its only line) and records its metrics.
fn finish(
    state: &AppState,
    client: &Client,
    started: Instant,
    outcome: Outcome,
    mut response: Response,
) -> Response {
    let elapsed = started.elapsed();
    state
        .metrics
        .observe(&outcome.operation, &outcome.outcome, elapsed);
    tracing::info!(
        operation = %outcome.operation,
        outcome = %outcome.outcome,
        duration_ms = elapsed.as_secs_f64() * 1000.0,
        credential = client.credential(),
        status = response.status().as_u16(),
        "graphql request"
    );
    response.extensions_mut().insert(super::LoggedAlready);
    response
}

/// `POST /graphql`: one request, or a batch of at most `MAX_BATCH_SIZE`.
pub async fn post(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let started = Instant::now();
    let Some(media) = negotiate::negotiate(header(&headers, ACCEPT.as_str())) else {
        return not_acceptable();
    };
    let content_type = header(&headers, CONTENT_TYPE.as_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let is_json = content_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim() == "application/json");
    let charset_ok = content_type.split(';').skip(1).all(|p| {
        p.trim()
            .strip_prefix("charset=")
            .is_none_or(|c| c.trim_matches('"').eq_ignore_ascii_case("utf-8"))
    });
    // Identified first: a request refused for its body still counts against the budget.
    let client = Client::identify(&state, &headers, peer).await;
    let body = if !is_json || !charset_ok {
        Err(Refusal::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            crate::codes::graphql::UNSUPPORTED_MEDIA_TYPE,
            "send the request as application/json (UTF-8)",
        ))
    } else {
        body.map_err(|rejection| Refusal::unreadable_body(&rejection))
            .and_then(|body| {
                params::from_body(&body, state.config.max_nesting).map_err(Refusal::bad_request)
            })
    };
    let (response, outcome) = match body {
        Ok(PostBody::Single(params)) => run_one(&state, &client, media, params, false).await,
        Ok(PostBody::Batch(batch)) => run_batch(&state, &client, media, batch).await,
        Err(refusal) => refuse(&state, &client, media, refusal, 1, "invalid").await,
    };
    finish(&state, &client, started, outcome, response)
}

/// `GET /graphql`: GraphiQL for a browser, otherwise a query from the URL.
pub async fn get(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let started = Instant::now();
    let query = query.unwrap_or_default();
    let accept = header(&headers, ACCEPT.as_str()).unwrap_or("");
    if accept.contains("text/html")
        && !query
            .split('&')
            .any(|p| p.starts_with("query=") || p.starts_with("extensions="))
    {
        return super::graphiql::page(&state).into_response();
    }
    let Some(media) = negotiate::negotiate(Some(accept)) else {
        return not_acceptable();
    };
    let client = Client::identify(&state, &headers, peer).await;
    let (response, outcome) = match params::from_query_string(&query, state.config.max_nesting) {
        Ok(params) => run_one(&state, &client, media, params, true).await,
        Err(message) => {
            let refusal = Refusal::bad_request(message);
            refuse(&state, &client, media, refusal, 1, "invalid").await
        }
    };
    finish(&state, &client, started, outcome, response)
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}
