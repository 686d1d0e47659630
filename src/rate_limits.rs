//! Rate limits like Commerce Layer's: fixed windows counted in the database, so every
//! instance on one database shares them. One upsert per hit.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::schema::rate_limits;
use crate::db::{Conn, DbResult, now};
use crate::db_run;

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
}

/// Counts `hits` against `budget` for `scope` and `subject` (e.g. `token` and a client
/// IP). An unlimited budget is never counted.
pub async fn hit(
    conn: &mut Conn,
    scope: &str,
    subject: &str,
    budget: Budget,
    hits: u32,
) -> DbResult<Verdict> {
    if budget.limit == 0 {
        return Ok(Verdict {
            budget,
            remaining: 0,
            allowed: true,
        });
    }
    let current = Utc::now();
    let interval = budget.interval.as_secs().max(1) as i64;
    let window = current.timestamp() / interval;
    let expires_at = window_end(window, interval).unwrap_or_else(now);
    let bucket = format!("{scope}:{subject}:{window}");
    let hits = hits.min(i32::MAX as u32) as i32;
    let count: i32 = db_run!(conn, |c| {
        diesel::insert_into(rate_limits::table)
            .values((
                rate_limits::bucket.eq(&bucket),
                rate_limits::hits.eq(hits),
                rate_limits::expires_at.eq(expires_at),
            ))
            .on_conflict(rate_limits::bucket)
            .do_update()
            .set(rate_limits::hits.eq(rate_limits::hits + hits))
            .returning(rate_limits::hits)
            .get_result(c)
            .await
    })?;
    let count = count.max(0) as u32;
    Ok(Verdict {
        budget,
        remaining: budget.limit.saturating_sub(count),
        allowed: count <= budget.limit,
    })
}

fn window_end(window: i64, interval: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp((window + 1) * interval, 0).map(|t| t.naive_utc())
}

/// Deletes the counters of windows that have ended.
pub async fn forget_expired(conn: &mut Conn) -> DbResult<usize> {
    let current = now();
    Ok(db_run!(conn, |c| {
        diesel::delete(rate_limits::table.filter(rate_limits::expires_at.le(current)))
            .execute(c)
            .await
    })?)
}
