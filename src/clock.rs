//! The service's clock: the system's, or a manual one that tests advance.
//!
//! Time-based rules (token and session lifetimes, rate-limit windows, login locks, reset
//! expiry) read the time through [`now`]. A service built with a manual clock runs each
//! request, and its background tasks, inside [`Clock::scope`], so that a test moves time
//! forward with [`Clock::advance`] instead of sleeping for it. Without a scope (the
//! system clock, or code outside a request) [`now`] is the system's time.
//!
//! The clock travels as a task-local rather than as an argument: the rules that read
//! the time sit deep in domain functions that take only a connection, and a clock
//! argument threaded through all of them would exist for tests alone.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Timelike, Utc};

tokio::task_local! {
    static CURRENT: Clock;
}

/// Where the service reads the time from.
#[derive(Clone, Default)]
pub struct Clock {
    /// None: the system clock. Some: a manual time, in microseconds since the epoch.
    manual: Option<Arc<AtomicI64>>,
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.manual {
            None => f.write_str("Clock::System"),
            Some(_) => write!(f, "Clock::Manual({})", self.now()),
        }
    }
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock { manual: None }
    }

    /// A clock that stands still at `start` until [`Clock::advance`] moves it.
    pub fn manual(start: DateTime<Utc>) -> Clock {
        Clock {
            manual: Some(Arc::new(AtomicI64::new(start.timestamp_micros()))),
        }
    }

    /// True for a manual clock.
    pub fn is_manual(&self) -> bool {
        self.manual.is_some()
    }

    /// Moves a manual clock forward (a system clock ignores it).
    pub fn advance(&self, by: Duration) {
        if let Some(micros) = &self.manual {
            let by = i64::try_from(by.as_micros()).unwrap_or(i64::MAX);
            micros.fetch_add(by, Ordering::SeqCst);
        }
    }

    /// This clock's time, in UTC.
    pub fn now_utc(&self) -> DateTime<Utc> {
        match &self.manual {
            None => Utc::now(),
            Some(micros) => DateTime::from_timestamp_micros(micros.load(Ordering::SeqCst))
                .unwrap_or_else(Utc::now),
        }
    }

    /// This clock's time as the database keeps it: UTC, truncated to microseconds.
    pub fn now(&self) -> NaiveDateTime {
        truncate_to_micros(self.now_utc().naive_utc())
    }

    /// Runs `future` with this clock as the one [`now`] reads. A system clock adds
    /// nothing: `now` already falls back to it.
    pub fn scope<F: Future>(&self, future: F) -> impl Future<Output = F::Output> + use<F> {
        let clock = self.clone();
        async move {
            match clock.manual {
                None => future.await,
                Some(_) => CURRENT.scope(clock, future).await,
            }
        }
    }
}

/// The clock of the request or task that asks: what a task it spawns must carry along
/// (see [`Clock::scope`]) for its rules to read the same time.
pub fn current() -> Clock {
    CURRENT.try_with(Clock::clone).unwrap_or_default()
}

/// The current time in UTC, by the clock of the request or task that asks.
pub fn now_utc() -> DateTime<Utc> {
    CURRENT
        .try_with(Clock::now_utc)
        .unwrap_or_else(|_| Utc::now())
}

/// The current time as the database keeps it: UTC, truncated to microseconds (SQLite
/// would keep nanoseconds, PostgreSQL does not).
pub fn now() -> NaiveDateTime {
    truncate_to_micros(now_utc().naive_utc())
}

/// The current time in whole seconds since the epoch (token claims, rate-limit windows).
pub fn unix_seconds() -> i64 {
    now_utc().timestamp()
}

/// The longest any configured duration may be: a century (humantime's `100y`). Longer
/// ones reach past the timestamps the databases hold (PostgreSQL's begin in 4713 BC) once
/// added to or taken from now, and sums of them overflow; an operator's "never" is `100y`.
pub const MAX_DURATION_SETTING: std::time::Duration =
    std::time::Duration::from_secs(100 * 31_557_600);

/// A configured duration as chrono's, for arithmetic on timestamps. Every setting is at
/// most [`MAX_DURATION_SETTING`], which chrono holds; a longer one saturates.
fn span(d: std::time::Duration) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(d).unwrap_or(chrono::TimeDelta::MAX)
}

/// `at` plus a configured duration. Saturates at the latest timestamp chrono holds rather
/// than panic, so no caller relies on the duration having been validated.
pub fn after(at: NaiveDateTime, d: Duration) -> NaiveDateTime {
    at.checked_add_signed(span(d)).unwrap_or(NaiveDateTime::MAX)
}

/// `at` minus a configured duration, never earlier than the epoch: nothing this service
/// stamps is older, and both databases hold it (chrono's earliest is beyond PostgreSQL's).
pub fn before(at: NaiveDateTime, d: Duration) -> NaiveDateTime {
    let epoch = DateTime::UNIX_EPOCH.naive_utc();
    at.checked_sub_signed(span(d))
        .map_or(epoch, |t| t.max(epoch))
}

/// Truncates a timestamp to microseconds, the precision both backends keep.
pub fn truncate_to_micros(t: NaiveDateTime) -> NaiveDateTime {
    let nanos = t.nanosecond() / 1_000 * 1_000;
    t.with_nanosecond(nanos).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_manual_clock_moves_only_when_advanced_and_only_inside_its_scope() {
        // Far ahead of the system clock, so that the two cannot be mistaken.
        let start = DateTime::from_timestamp(4_102_444_800, 0).unwrap();
        let clock = Clock::manual(start);
        clock
            .scope(async {
                assert_eq!(now_utc(), start);
                clock.advance(Duration::from_secs(900));
                assert_eq!(unix_seconds(), 4_102_445_700);
            })
            .await;
        assert!(now_utc() < start, "outside the scope, the system's time");
    }

    #[test]
    fn timestamp_arithmetic_on_a_duration_saturates_instead_of_panicking() {
        let at = DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc();
        let hour = Duration::from_secs(3600);
        assert_eq!((after(at, hour) - at).num_seconds(), 3600);
        assert_eq!((at - before(at, hour)).num_seconds(), 3600);
        assert_eq!(after(at, Duration::MAX), NaiveDateTime::MAX);
        let epoch = DateTime::UNIX_EPOCH.naive_utc();
        assert_eq!(before(at, Duration::MAX), epoch, "never before 1970");
        assert_eq!(before(at, MAX_DURATION_SETTING), epoch);
    }
}
