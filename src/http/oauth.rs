//! `POST /oauth/token` and `POST /oauth/revoke`, with JSON or form bodies.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{limits, nesting};
use crate::AppState;
use crate::codes::oauth as code;
use crate::oauth::{self, GrantRequest, OAuthError, REFRESH_TOKEN_LIFETIME};
use crate::rate_limits::Scope;

/// Issues an access token for one of the supported grants, within the per-IP budget.
pub async fn token(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return unreadable_body(rejection),
    };
    let started = Instant::now();
    let ip = limits::client_ip(&state, &headers, peer).to_string();
    let verdict = limits::check(&state, Scope::Token, &ip, 1).await;
    let (mut response, outcome) = match verdict.filter(|v| !v.allowed) {
        Some(_) => {
            let body = json!({
                "error": code::TOO_MANY_REQUESTS,
                "error_description": "too many token requests: try again later",
            });
            let response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
            (no_store(response), code::TOO_MANY_REQUESTS)
        }
        None => {
            let result = async {
                let params = parameters(&headers, &body, state.config.max_nesting)?;
                let request = GrantRequest::from_params(&params)?;
                oauth::grant(&context(&state), request).await
            }
            .await;
            match result {
                Ok(answer) => (
                    no_store((StatusCode::OK, Json(answer)).into_response()),
                    "ok",
                ),
                Err(error) => {
                    if let OAuthError::TooManyRequests { .. } = error {
                        state.metrics.rate_limited(Scope::LoginFailures.name());
                    }
                    let code = error.code();
                    (error_response(error), code)
                }
            }
        }
    };
    limits::add_headers(&mut response, verdict.as_ref());
    state
        .metrics
        .observe("oauth_token", outcome, started.elapsed());
    response
}

/// Revokes a refresh or access token. Always 200 for a well-formed request (RFC 7009),
/// within the token endpoint's per-IP budget: anyone can get a sales-channel token and
/// revoke it, and every revocation is kept (and read by every instance) until the token
/// would have expired.
pub async fn revoke(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return unreadable_body(rejection),
    };
    let ip = limits::client_ip(&state, &headers, peer).to_string();
    let verdict = limits::check(&state, Scope::Token, &ip, 1).await;
    if verdict.is_some_and(|v| !v.allowed) {
        let mut response = too_many_requests("too many token requests and revocations");
        limits::add_headers(&mut response, verdict.as_ref());
        return response;
    }
    let result = async {
        let params = parameters(&headers, &body, state.config.max_nesting)?;
        let token = params
            .get("token")
            .map(|t| t.trim())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| OAuthError::InvalidRequest("`token` is required".into()))?;
        oauth::revoke(&context(&state), token).await
    }
    .await;
    let mut response = match result {
        Ok(()) => no_store((StatusCode::OK, Json(json!({}))).into_response()),
        Err(error) => error_response(error),
    };
    limits::add_headers(&mut response, verdict.as_ref());
    response
}

/// What the grants take from the service's state.
fn context(state: &AppState) -> oauth::Context<'_> {
    oauth::Context {
        db: &state.db,
        signer: &state.signer,
        revocations: &state.revocations,
        hasher: &state.hasher,
        login_pauses: &state.login_pauses,
        login_budget: state.config.budget(Scope::LoginFailures),
        session_rules: state.config.session_rules(REFRESH_TOKEN_LIFETIME),
    }
}

/// 429 with an OAuth error body.
fn too_many_requests(description: &str) -> Response {
    let body = json!({ "error": code::TOO_MANY_REQUESTS, "error_description": description });
    no_store((StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response())
}

/// The request's parameters from a JSON object (nested at most `max_nesting` deep) or a
/// form body, as strings.
fn parameters(
    headers: &HeaderMap,
    body: &[u8],
    max_nesting: usize,
) -> Result<HashMap<String, String>, OAuthError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("application/json") {
        nesting::check_json(body, max_nesting)
            .map_err(|e| OAuthError::InvalidRequest(format!("the body is {e}")))?;
        let value: serde_json::Value = serde_json::from_slice(body)
            .map_err(|_| OAuthError::InvalidRequest("the body is not valid JSON".into()))?;
        let serde_json::Value::Object(object) = value else {
            return Err(OAuthError::InvalidRequest(
                "the body must be a JSON object".into(),
            ));
        };
        Ok(object
            .into_iter()
            .filter_map(|(key, value)| match value {
                serde_json::Value::String(s) => Some((key, s)),
                serde_json::Value::Number(n) => Some((key, n.to_string())),
                serde_json::Value::Bool(b) => Some((key, b.to_string())),
                _ => None,
            })
            .collect())
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
            .map_err(|_| OAuthError::InvalidRequest("the form body is malformed".into()))?;
        Ok(pairs.into_iter().collect())
    } else {
        Err(OAuthError::InvalidRequest(
            "send application/json or application/x-www-form-urlencoded".into(),
        ))
    }
}

fn error_response(error: OAuthError) -> Response {
    let status = match &error {
        OAuthError::InvalidClient => StatusCode::UNAUTHORIZED,
        OAuthError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
        OAuthError::Internal(cause) => {
            tracing::error!(error = format!("{cause:#}"), "token endpoint failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
        _ => StatusCode::BAD_REQUEST,
    };
    let description = match &error {
        OAuthError::Internal(_) => "internal server error".to_owned(),
        other => other.to_string(),
    };
    let retry_after = match &error {
        OAuthError::TooManyRequests { retry_after } => Some(*retry_after),
        _ => None,
    };
    let body = json!({ "error": error.code(), "error_description": description });
    let mut response = no_store((status, Json(body)).into_response());
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// A body that could not be read (too large: 413), as an OAuth error.
fn unreadable_body(rejection: BytesRejection) -> Response {
    let body =
        json!({ "error": code::INVALID_REQUEST, "error_description": rejection.body_text() });
    no_store((rejection.status(), Json(body)).into_response())
}

fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}
