//! What each setting may be. The same rules are applied twice: by the command line as it
//! reads a flag (so an operator learns at once which flag is wrong), and by
//! [`Config::validate`] when the service starts, for a `Config` built in code (tests,
//! tools embedding the crate) that never went through the command line.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::Config;

pub use crate::clock::MAX_DURATION_SETTING;

/// The highest `MAX_NESTING` accepted: deeper values would again let a request's nesting
/// decide how much stack the parsers and validation rules take.
pub const MAX_NESTING_CEILING: usize = 128;

/// What a duration setting may be. Not zero for the periods of background tasks (a
/// timer of period zero panics and stops the task), nor for timeouts and lifetimes that
/// would end everything at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Range {
    /// From zero to a century.
    UpToACentury,
    /// Longer than zero, up to a century.
    AboveZero,
    /// From zero to [`MAX_STATEMENT_TIMEOUT`].
    StatementTimeout,
}

/// The longest statement timeout: both databases take it as a 32-bit count of
/// milliseconds (PostgreSQL refuses a larger one, SQLite reads it as no wait at all).
pub const MAX_STATEMENT_TIMEOUT: Duration = Duration::from_secs(24 * 24 * 3600);

fn check_duration(d: Duration, range: Range) -> Result<Duration, String> {
    match range {
        Range::StatementTimeout if d > MAX_STATEMENT_TIMEOUT => {
            Err("must be at most 24 days".into())
        }
        _ if d > MAX_DURATION_SETTING => Err("must be at most 100 years".into()),
        Range::AboveZero if d.is_zero() => Err("must be longer than zero".into()),
        _ => Ok(d),
    }
}

fn parse_within(s: &str, range: Range) -> Result<Duration, String> {
    check_duration(
        humantime::parse_duration(s).map_err(|e| e.to_string())?,
        range,
    )
}

pub(super) fn parse_duration(s: &str) -> Result<Duration, String> {
    parse_within(s, Range::UpToACentury)
}

pub(super) fn parse_positive_duration(s: &str) -> Result<Duration, String> {
    parse_within(s, Range::AboveZero)
}

pub(super) fn parse_statement_timeout(s: &str) -> Result<Duration, String> {
    parse_within(s, Range::StatementTimeout)
}

fn check_nesting(n: usize) -> Result<usize, String> {
    match (1..=MAX_NESTING_CEILING).contains(&n) {
        true => Ok(n),
        false => Err(format!(
            "must be a whole number from 1 to {MAX_NESTING_CEILING}"
        )),
    }
}

pub(super) fn parse_nesting(s: &str) -> Result<usize, String> {
    check_nesting(s.parse::<usize>().unwrap_or(0))
}

fn check_secret(s: &str) -> Result<(), String> {
    match s.len() < 32 {
        true => Err("must be at least 32 bytes long".into()),
        false => Ok(()),
    }
}

pub(super) fn parse_secret(s: &str) -> Result<SecretString, String> {
    check_secret(s)?;
    Ok(SecretString::from(s.to_owned()))
}

fn check_outbox_key(s: &str) -> Result<(), String> {
    crate::webhooks::sealed::OutboxKey::parse(s)
        .map(drop)
        .map_err(|e| e.to_string())
}

pub(super) fn parse_outbox_key(s: &str) -> Result<SecretString, String> {
    check_outbox_key(s)?;
    Ok(SecretString::from(s.to_owned()))
}

impl Config {
    /// Each duration setting by its flag, with its value and what it may be.
    pub(super) fn durations(&self) -> [(&'static str, Duration, Range); 14] {
        use Range::{AboveZero, StatementTimeout, UpToACentury};
        [
            ("reset-token-ttl", self.reset_token_ttl, UpToACentury),
            ("db-acquire-timeout", self.db_acquire_timeout, UpToACentury),
            (
                "db-statement-timeout",
                self.db_statement_timeout,
                StatementTimeout,
            ),
            ("revocation-refresh", self.revocation_refresh, AboveZero),
            ("session-max-age", self.session_max_age, AboveZero),
            (
                "refresh-reuse-grace",
                self.refresh_reuse_grace,
                UpToACentury,
            ),
            (
                "rate-limit-reset-creations-interval",
                self.rate_limit_reset_creations_interval,
                UpToACentury,
            ),
            (
                "rate-limit-interval",
                self.rate_limit_interval,
                UpToACentury,
            ),
            ("rate-limit-sync", self.rate_limit_sync, AboveZero),
            (
                "login-failures-interval",
                self.login_failures_interval,
                UpToACentury,
            ),
            ("request-timeout", self.request_timeout, AboveZero),
            ("webhook-timeout", self.webhook_timeout, AboveZero),
            (
                "webhook-poll-interval",
                self.webhook_poll_interval,
                AboveZero,
            ),
            (
                "webhook-event-retention",
                self.webhook_event_retention,
                AboveZero,
            ),
        ]
    }

    /// Each count that must be at least 1, by its flag, with its value.
    pub(super) fn counts(&self) -> [(&'static str, u16); 3] {
        [
            ("client-ip-trusted-hops", self.client_ip_trusted_hops),
            ("webhook-circuit-threshold", self.webhook_circuit_threshold),
            ("webhook-concurrency", self.webhook_concurrency),
        ]
    }

    /// Holds this configuration to the rules the command line applies to each flag; an
    /// error names every flag whose value breaks them.
    pub fn validate(&self) -> anyhow::Result<()> {
        let mut problems: Vec<String> = Vec::new();
        let mut check = |flag: &str, verdict: Result<(), String>| {
            if let Err(e) = verdict {
                problems.push(format!("--{flag} {e}"));
            }
        };
        for (flag, value, range) in self.durations() {
            check(flag, check_duration(value, range).map(drop));
        }
        for (flag, value) in self.counts() {
            check(
                flag,
                (value >= 1)
                    .then_some(())
                    .ok_or("must be at least 1".into()),
            );
        }
        check("max-nesting", check_nesting(self.max_nesting).map(drop));
        if let Some(key) = &self.token_signing_key {
            check("token-signing-key", check_secret(key.expose_secret()));
        }
        if let Some(key) = &self.outbox_key {
            check("outbox-key", check_outbox_key(key.expose_secret()));
        }
        match problems.is_empty() {
            true => Ok(()),
            false => anyhow::bail!("invalid configuration: {}", problems.join("; ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;
    use crate::config::Flags;
    use crate::db::DatabaseUrl;

    fn defaults() -> Config {
        Config::with_database(DatabaseUrl::Sqlite("data/test.db".into()))
    }

    /// The flags the command line reads, with their defaults.
    fn flags_with_defaults() -> Vec<(String, String)> {
        Flags::command()
            .get_arguments()
            .filter_map(|arg| {
                let default = arg
                    .get_default_values()
                    .first()?
                    .to_string_lossy()
                    .into_owned();
                Some((arg.get_long()?.to_owned(), default))
            })
            .collect()
    }

    fn command_line_refuses(flag: &str, value: &str) -> bool {
        Flags::try_parse_from(["x", &format!("--{flag}"), value]).is_err()
    }

    #[test]
    fn the_duration_list_names_every_flag_whose_default_is_a_duration() {
        // A bare number ("0") parses as a duration too: a duration has a unit.
        let is_duration =
            |d: &str| d.contains(char::is_alphabetic) && humantime::parse_duration(d).is_ok();
        let mut from_flags: Vec<String> = flags_with_defaults()
            .into_iter()
            .filter_map(|(flag, default)| is_duration(&default).then_some(flag))
            .collect();
        let mut listed: Vec<String> = defaults()
            .durations()
            .iter()
            .map(|d| d.0.to_owned())
            .collect();
        from_flags.sort();
        listed.sort();
        assert_eq!(from_flags, listed);
    }

    #[test]
    fn every_duration_setting_takes_its_longest_and_refuses_longer_on_both_paths() {
        for (flag, _, range) in defaults().durations() {
            let (longest, longer, refusal) = match range {
                Range::StatementTimeout => ("24d", "25d", "must be at most 24 days"),
                _ => ("100y", "101y", "must be at most 100 years"),
            };
            assert!(!command_line_refuses(flag, longest), "--{flag} {longest}");
            let refused = Flags::try_parse_from(["x", &format!("--{flag}"), longer]);
            let refused = refused.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(refused.contains(refusal), "--{flag}: {refused}");
        }
        let mut config = defaults();
        config.session_max_age = MAX_DURATION_SETTING;
        config.db_statement_timeout = MAX_STATEMENT_TIMEOUT;
        config.validate().unwrap();
        config.session_max_age = MAX_DURATION_SETTING + Duration::from_secs(1);
        config.db_statement_timeout = MAX_STATEMENT_TIMEOUT + Duration::from_millis(1);
        let refused = config.validate().unwrap_err().to_string();
        for problem in [
            "--session-max-age must be at most 100 years",
            "--db-statement-timeout must be at most 24 days",
        ] {
            assert!(refused.contains(problem), "{problem} in {refused}");
        }
    }

    #[test]
    fn the_command_line_and_validate_refuse_zero_for_the_same_settings() {
        let config = defaults();
        let numbers = flags_with_defaults().into_iter().filter(|(_, default)| {
            default.starts_with(|c: char| c.is_ascii_digit()) && !default.contains(['.', ':', ','])
        });
        let mut refused_by_flags: Vec<String> = numbers
            .filter(|(flag, default)| {
                let zero = match default.contains(char::is_alphabetic) {
                    true => "0s",
                    false => "0",
                };
                command_line_refuses(flag, zero)
            })
            .map(|(flag, _)| flag)
            .collect();
        let positive_durations = config
            .durations()
            .into_iter()
            .filter(|d| d.2 == Range::AboveZero)
            .map(|d| d.0);
        let counts = config.counts().into_iter().map(|c| c.0);
        let mut refused_by_validate: Vec<String> = positive_durations
            .chain(counts)
            .chain(["max-nesting"])
            .map(str::to_owned)
            .collect();
        refused_by_flags.sort();
        refused_by_validate.sort();
        assert_eq!(refused_by_flags, refused_by_validate);
    }

    #[test]
    fn a_configuration_built_in_code_is_held_to_the_command_lines_rules() {
        defaults().validate().unwrap();
        let mut config = defaults();
        config.revocation_refresh = Duration::ZERO;
        config.rate_limit_sync = Duration::ZERO;
        config.webhook_concurrency = 0;
        config.max_nesting = MAX_NESTING_CEILING + 1;
        config.token_signing_key = Some(SecretString::from("short"));
        config.outbox_key = Some(SecretString::from("not a key"));
        let refused = config.validate().unwrap_err().to_string();
        for flag in [
            "--revocation-refresh must be longer than zero",
            "--rate-limit-sync must be longer than zero",
            "--webhook-concurrency must be at least 1",
            "--max-nesting must be a whole number from 1 to 128",
            "--token-signing-key must be at least 32 bytes long",
            "--outbox-key",
        ] {
            assert!(refused.contains(flag), "{flag} in {refused}");
        }
    }
}
