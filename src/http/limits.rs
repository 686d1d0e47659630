//! The client's IP (from a trusted proxy's header when configured) and the rate-limit
//! check with its `X-Ratelimit-*` headers.

use std::net::{IpAddr, SocketAddr};

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::Response;

use crate::AppState;
use crate::rate_limits::{self, Scope, Verdict};

/// The client's IP: the last address of the configured proxy header, else the peer.
pub fn client_ip(state: &AppState, headers: &HeaderMap, peer: SocketAddr) -> IpAddr {
    state
        .config
        .client_ip_header
        .as_deref()
        .and_then(|name| headers.get(name))
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.rsplit(',').next())
        .and_then(|last| last.trim().parse().ok())
        .unwrap_or_else(|| peer.ip())
}

/// Counts `hits` against the scope's budget: in the database for the scopes counted
/// exactly, else in this instance's memory (synced in the background). None when the
/// budget is unlimited, or when the database cannot count (the limit then fails open: it
/// must not take the service down with it).
pub async fn check(state: &AppState, scope: Scope, subject: &str, hits: u32) -> Option<Verdict> {
    let budget = state.config.budget(scope);
    if budget.limit == 0 {
        return None;
    }
    let verdict = if scope.counted_exactly() {
        let counted = match state.db.conn().await {
            Ok(mut conn) => rate_limits::hit(&mut conn, scope.name(), subject, budget, hits).await,
            Err(e) => Err(e),
        };
        match counted {
            Ok(verdict) => verdict,
            Err(error) => {
                tracing::warn!(%error, scope = scope.name(), "rate limit not counted");
                return None;
            }
        }
    } else {
        state.rate_counters.hit(scope.name(), subject, budget, hits)
    };
    if !verdict.allowed {
        state.metrics.rate_limited(scope.name());
    }
    Some(verdict)
}

/// Adds the `X-Ratelimit-*` headers of the tightest verdict.
pub fn add_headers(response: &mut Response, verdict: Option<&Verdict>) {
    let Some(verdict) = verdict else { return };
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: u64| {
        headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
    };
    set("x-ratelimit-limit", u64::from(verdict.budget.limit));
    set("x-ratelimit-interval", verdict.budget.interval.as_secs());
    set("x-ratelimit-remaining", u64::from(verdict.remaining));
}
