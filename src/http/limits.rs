//! The client's IP (from a trusted proxy's header when configured) and the rate-limit
//! check with its `X-Ratelimit-*` headers.

use std::net::{IpAddr, SocketAddr};

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::Response;

use crate::AppState;
use crate::rate_limits::{self, Budget, Verdict};

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

/// Counts `hits` against a budget in the database, exactly. None when the budget is
/// unlimited, or when the database cannot count (the limit then fails open: it must not
/// take the service down with it).
pub async fn check(
    state: &AppState,
    scope: &str,
    subject: &str,
    budget: Budget,
    hits: u32,
) -> Option<Verdict> {
    if budget.limit == 0 {
        return None;
    }
    let counted = match state.db.conn().await {
        Ok(mut conn) => rate_limits::hit(&mut conn, scope, subject, budget, hits).await,
        Err(e) => Err(e),
    };
    match counted {
        Ok(verdict) => Some(recorded(state, scope, verdict)),
        Err(error) => {
            tracing::warn!(%error, scope, "rate limit not counted");
            None
        }
    }
}

/// Counts `hits` against a budget in this instance's memory (synced to the shared
/// counters in the background). None when the budget is unlimited.
pub fn check_local(
    state: &AppState,
    scope: &str,
    subject: &str,
    budget: Budget,
    hits: u32,
) -> Option<Verdict> {
    if budget.limit == 0 {
        return None;
    }
    let verdict = state.rate_counters.hit(scope, subject, budget, hits);
    Some(recorded(state, scope, verdict))
}

/// Counts a refusal in the metrics.
fn recorded(state: &AppState, scope: &str, verdict: Verdict) -> Verdict {
    if !verdict.allowed {
        state.metrics.rate_limited(scope);
    }
    verdict
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
