//! When a failed delivery is tried again.

use std::time::Duration;

use rand::RngExt;

use crate::clock;

/// The waits before each retry (Commerce Layer's ten by default). Each wait gets ±10%
/// jitter, so that a receiver that was down is not hit by every waiting event at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(Vec<Duration>);

impl RetrySchedule {
    /// Parses `5s,30s,2m,…` (humantime durations of at most a century, comma-separated;
    /// empty: no retries).
    pub fn parse(text: &str) -> Result<RetrySchedule, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(RetrySchedule(Vec::new()));
        }
        let wait = |text: &str| match humantime::parse_duration(text.trim()) {
            Ok(wait) if wait > clock::MAX_DURATION_SETTING => {
                Err("each wait must be at most 100 years".to_owned())
            }
            Ok(wait) => Ok(wait),
            Err(e) => Err(e.to_string()),
        };
        text.split(',')
            .map(wait)
            .collect::<Result<Vec<_>, _>>()
            .map(RetrySchedule)
    }

    /// The retries in the schedule.
    pub fn retries(&self) -> usize {
        self.0.len()
    }

    /// The wait after failed attempt number `attempt` (from 1), jittered; none after the
    /// last retry.
    pub fn wait_after(&self, attempt: u32) -> Option<Duration> {
        let wait = *self.0.get(attempt.checked_sub(1)? as usize)?;
        let factor = rand::rng().random_range(0.9..=1.1);
        Some(wait.mul_f64(factor))
    }

    /// How long an event may wait in all, every retry at its longest: an event older
    /// than this (its webhook's circuit was open, say) is failed rather than sent late.
    pub fn horizon(&self) -> Duration {
        self.0.iter().sum::<Duration>().mul_f64(1.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_schedule_is_commerce_layers_ten_retries() {
        let schedule = RetrySchedule::parse("5s,30s,2m,5m,15m,30m,1h,2h,5h,10h").unwrap();
        assert_eq!(schedule.retries(), 10);
        assert_eq!(schedule.wait_after(11), None);
        assert_eq!(schedule.wait_after(0), None);
        let horizon = Duration::from_secs(5 + 30 + 120 + 300 + 900 + 1800 + 3600 * 18);
        assert_eq!(schedule.horizon(), horizon.mul_f64(1.1));
    }

    #[test]
    fn a_wait_longer_than_a_century_is_refused_so_no_sum_of_waits_overflows() {
        let longest = RetrySchedule::parse("100y,100y").unwrap();
        assert!(longest.horizon() > longest.wait_after(1).unwrap());
        for schedule in ["101y", "5s,400000000000y,400000000000y"] {
            let refused = RetrySchedule::parse(schedule).unwrap_err();
            assert!(
                refused.contains("at most 100 years"),
                "{schedule}: {refused}"
            );
        }
    }

    #[test]
    fn each_wait_is_jittered_within_ten_percent() {
        let schedule = RetrySchedule::parse("100s, 1h").unwrap();
        for _ in 0..200 {
            let wait = schedule.wait_after(1).unwrap();
            assert!((90.0..=110.0).contains(&wait.as_secs_f64()), "{wait:?}");
        }
        let waits: std::collections::HashSet<_> =
            (0..20).map(|_| schedule.wait_after(2).unwrap()).collect();
        assert!(waits.len() > 1, "the waits vary");
    }

    #[test]
    fn a_bad_schedule_is_refused_and_an_empty_one_means_no_retries() {
        assert!(RetrySchedule::parse("5s,soon").is_err());
        assert_eq!(RetrySchedule::parse("").unwrap().retries(), 0);
    }
}
