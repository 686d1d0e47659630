//! The client's IP (from a trusted proxy's header when configured) and the rate-limit
//! check with its `X-Ratelimit-*` headers.

use std::net::{IpAddr, SocketAddr};

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::Response;

use crate::AppState;
use crate::rate_limits::{self, Scope, Verdict};

/// The client's IP: from the configured proxy header when it holds a usable address
/// (see [`forwarded_client`]), else the peer's.
pub fn client_ip(state: &AppState, headers: &HeaderMap, peer: SocketAddr) -> IpAddr {
    state
        .config
        .client_ip_header
        .as_deref()
        .and_then(|name| {
            forwarded_client(
                headers.get_all(name).iter(),
                state.config.client_ip_trusted_hops.into(),
            )
        })
        .unwrap_or_else(|| peer.ip())
}

/// The address `trusted_hops` from the right among every comma-separated entry of every
/// line of a proxy header, in order. Each trusted proxy appends the address it saw (to
/// the last line or as a line of its own), so the entries left of that one are the
/// client's to choose and are never read. None when there are too few entries or that one
/// is not an IP address (optionally with a port): the caller then uses the peer address,
/// which at worst puts clients behind one proxy in one budget, and never lets a client
/// pick the budget it is counted in.
fn forwarded_client<'h>(
    lines: impl Iterator<Item = &'h HeaderValue>,
    trusted_hops: usize,
) -> Option<IpAddr> {
    let lines: Vec<&str> = lines
        .map(|line| line.to_str().ok())
        .collect::<Option<_>>()?;
    let entry = lines
        .iter()
        .rev()
        .flat_map(|line| line.rsplit(','))
        .nth(trusted_hops.checked_sub(1)?)?
        .trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|a| a.ip()))
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

/// Adds the `X-Ratelimit-*` headers of the tightest verdict, and `Retry-After` when it
/// refused the request.
pub fn add_headers(response: &mut Response, verdict: Option<&Verdict>) {
    let Some(verdict) = verdict else { return };
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: u64| {
        headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
    };
    set("x-ratelimit-limit", u64::from(verdict.budget.limit));
    set("x-ratelimit-interval", verdict.budget.interval.as_secs());
    set("x-ratelimit-remaining", u64::from(verdict.remaining));
    if !verdict.allowed {
        set("retry-after", verdict.retry_after_secs());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(lines: &[&str], hops: usize) -> Option<IpAddr> {
        let values: Vec<HeaderValue> = lines
            .iter()
            .map(|l| HeaderValue::from_str(l).unwrap())
            .collect();
        forwarded_client(values.iter(), hops)
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn the_address_trusted_hops_from_the_right_is_read_across_lines_and_entries() {
        assert_eq!(client(&["1.1.1.1", "10.0.0.1"], 1), ip("10.0.0.1"));
        assert_eq!(
            client(&["1.1.1.1, 2.2.2.2", " 10.0.0.1 "], 1),
            ip("10.0.0.1")
        );
        assert_eq!(
            client(&["1.1.1.1", "10.0.0.1, 172.16.0.1"], 2),
            ip("10.0.0.1")
        );
        assert_eq!(client(&["10.0.0.1", "172.16.0.1"], 2), ip("10.0.0.1"));
        assert_eq!(client(&["2001:db8::1"], 1), ip("2001:db8::1"));
        assert_eq!(client(&["10.0.0.1:4711"], 1), ip("10.0.0.1"));
        assert_eq!(client(&["[2001:db8::1]:4711"], 1), ip("2001:db8::1"));
    }

    #[test]
    fn too_few_entries_or_a_bad_one_give_nothing() {
        assert_eq!(client(&[], 1), None);
        assert_eq!(client(&["10.0.0.1"], 2), None);
        assert_eq!(client(&["10.0.0.1", "unknown"], 1), None);
        assert_eq!(client(&["10.0.0.1,"], 1), None);
        assert_eq!(client(&["10.0.0.1, 10.0.0.2"], 0), None);
    }
}
