//! Rate limits like Commerce Layer's: fixed windows whose counters live in the database,
//! so that every instance on one database shares them.
//!
//! Two ways to count against them:
//! - [`hit`]: one upsert per hit, exact across instances. For the budgets that guard
//!   secrets (token requests, reset creations and redemptions, password logins), where
//!   each hit already costs far more than the upsert.
//! - [`LocalCounters`]: counted in memory and added to the same database counters every
//!   `RATE_LIMIT_SYNC`. For the general GraphQL budget, which guards capacity: checking it
//!   must not cost a database round trip per request.

mod local;

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::schema::rate_limits;
use crate::db::{CachedSqlExt, Conn, DbError, now};
use crate::db_run;

pub use local::LocalCounters;

/// What a budget limits, and how its hits are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `POST /oauth/token` and `POST /oauth/revoke`, per client IP.
    Token,
    /// GraphQL operations, per credential and client IP.
    Graphql,
    /// Reset creations, per customer (whoever creates them).
    ResetCreations,
    /// Reset redemptions by public clients (sales channels, customers), per client IP.
    Redemptions,
    /// Failed password logins, per mode and email (whatever the client IP).
    LoginFailures,
}

impl Scope {
    /// The scope's name in counters and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Token => "token",
            Scope::Graphql => "graphql",
            Scope::ResetCreations => "reset_creations",
            Scope::Redemptions => "redemptions",
            Scope::LoginFailures => "login_failures",
        }
    }

    /// True for the budgets that guard secrets, counted with [`hit`]; false for the one
    /// that guards capacity, counted by [`LocalCounters`].
    pub fn counted_exactly(self) -> bool {
        self != Scope::Graphql
    }
}

/// A budget: so many hits per interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Hits allowed per window (0: no limit).
    pub limit: u32,
    /// The window's length.
    pub interval: Duration,
}

/// The outcome of counting a hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// The budget that was checked.
    pub budget: Budget,
    /// Hits left in this window.
    pub remaining: u32,
    /// False when the hit is over the budget.
    pub allowed: bool,
    /// When the window ends, and its hits with it.
    pub window_ends: NaiveDateTime,
}

impl Verdict {
    /// The verdict once `count` hits are counted in the window that ends at `window_ends`.
    fn after(budget: Budget, window_ends: NaiveDateTime, count: u32) -> Verdict {
        Verdict {
            budget,
            remaining: budget.limit.saturating_sub(count),
            allowed: count <= budget.limit,
            window_ends,
        }
    }

    /// The verdict of a budget without a limit.
    fn unlimited(budget: Budget) -> Verdict {
        Verdict {
            budget,
            remaining: 0,
            allowed: true,
            window_ends: now(),
        }
    }

    /// Whole seconds until the window ends (at least 1): the `Retry-After` of a refusal.
    pub fn retry_after_secs(&self) -> u64 {
        let left = (self.window_ends - now())
            .num_microseconds()
            .unwrap_or(i64::MAX);
        // Rounded up: a client that waits this long finds the window over.
        (left.max(1) as u64).div_ceil(1_000_000)
    }
}

/// One window's counter: its name in the database and when it ends.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Window {
    bucket: String,
    expires_at: NaiveDateTime,
}

/// A window's length in whole seconds, at least one.
fn seconds(interval: Duration) -> i64 {
    i64::try_from(interval.as_secs()).map_or(i64::MAX, |s| s.max(1))
}

impl Window {
    /// The current window of `budget` for `scope` and `subject`.
    fn current(scope: &str, subject: &str, budget: Budget) -> Window {
        let interval = seconds(budget.interval);
        Window::numbered(
            scope,
            subject,
            interval,
            crate::clock::unix_seconds() / interval,
        )
    }

    /// The window of `budget` that ends at `ends` (one a [`Verdict`] was given in).
    fn ending_at(scope: &str, subject: &str, budget: Budget, ends: NaiveDateTime) -> Window {
        let interval = seconds(budget.interval);
        let number = ends.and_utc().timestamp() / interval - 1;
        Window::numbered(scope, subject, interval, number)
    }

    fn numbered(scope: &str, subject: &str, interval: i64, number: i64) -> Window {
        let expires_at = (number.saturating_add(1).checked_mul(interval))
            .and_then(|end| DateTime::from_timestamp(end, 0))
            .map(|t| t.naive_utc())
            .unwrap_or_else(now);
        Window {
            bucket: format!("{scope}:{subject}:{number}"),
            expires_at,
        }
    }

    /// Adds `hits` to the shared counter; returns its new total.
    async fn add(&self, conn: &mut Conn, hits: u32) -> Result<u32, DbError> {
        let hits = hits.min(i32::MAX as u32) as i32;
        let total: i32 = db_run!(conn, |c| {
            diesel::insert_into(rate_limits::table)
                .values((
                    rate_limits::bucket.eq(&self.bucket),
                    rate_limits::hits.eq(hits),
                    rate_limits::expires_at.eq(self.expires_at),
                ))
                .on_conflict(rate_limits::bucket)
                .do_update()
                .set(rate_limits::hits.eq(rate_limits::hits + hits))
                .returning(rate_limits::hits)
                .cached_sql()
                .get_result(c)
                .await
        })?;
        Ok(total.max(0) as u32)
    }
}

/// Counts `hits` against `budget` for `scope` and `subject` (e.g. `token` and a client
/// IP) in the database, exactly. An unlimited budget is never counted.
pub async fn hit(
    conn: &mut Conn,
    scope: &str,
    subject: &str,
    budget: Budget,
    hits: u32,
) -> Result<Verdict, DbError> {
    if budget.limit == 0 {
        return Ok(Verdict::unlimited(budget));
    }
    let window = Window::current(scope, subject, budget);
    let total = window.add(conn, hits).await?;
    Ok(Verdict::after(budget, window.expires_at, total))
}

/// Takes back `hits` that [`hit`] counted in the window of `verdict`: for a budget that
/// counts failures, whose attempts are counted before they run (so that attempts made at
/// once cannot all pass the check) and taken back when they succeed.
pub async fn take_back(
    conn: &mut Conn,
    scope: &str,
    subject: &str,
    verdict: &Verdict,
    hits: u32,
) -> Result<(), DbError> {
    if verdict.budget.limit == 0 {
        return Ok(());
    }
    let window = Window::ending_at(scope, subject, verdict.budget, verdict.window_ends);
    let hits = hits.min(i32::MAX as u32) as i32;
    db_run!(conn, |c| {
        diesel::update(rate_limits::table.find(&window.bucket))
            .set(rate_limits::hits.eq(rate_limits::hits - hits))
            .cached_sql()
            .execute(c)
            .await
    })?;
    Ok(())
}

/// Deletes the counters of windows that have ended.
pub async fn forget_expired(conn: &mut Conn) -> Result<usize, DbError> {
    let current = now();
    Ok(db_run!(conn, |c| {
        diesel::delete(rate_limits::table.filter(rate_limits::expires_at.le(current)))
            .execute(c)
            .await
    })?)
}
