//! Logging: human-readable or JSON lines, filtered by `RUST_LOG` (default `info`). Text
//! is coloured at a terminal, and written by [`plain`] everywhere else.
//!
//! Lines are written to standard error in batches, by a thread of their own (see
//! [`sink`]): a request only formats its line and appends it to a buffer.

#[cfg(test)]
mod captured;
mod plain;
mod sink;

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

pub use sink::FlushGuard;

use crate::config::LogFormat;

/// Installs the global log subscriber. Call once, at start, and keep the guard: dropping
/// it writes the lines still waiting.
pub fn init(format: LogFormat) -> FlushGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = sink::batched_stderr();
    let colour = wants_colour(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").is_some(),
    );
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(colour);
    let _ = match (format, colour) {
        (LogFormat::Text, true) => builder.try_init(),
        (LogFormat::Text, false) => builder
            .event_format(plain::PlainLine)
            .fmt_fields(plain::PlainFields)
            .try_init(),
        (LogFormat::Json, _) => builder.json().flatten_event(true).try_init(),
    };
    guard
}

/// Colour codes only for a person at a terminal: a log file or collector would keep them
/// as escape sequences. `NO_COLOR` (no-color.org) turns them off everywhere.
fn wants_colour(stderr_is_terminal: bool, no_color_set: bool) -> bool {
    stderr_is_terminal && !no_color_set
}

#[cfg(test)]
mod tests {
    use super::wants_colour;

    #[test]
    fn log_lines_are_coloured_only_on_a_terminal_without_no_color() {
        assert!(wants_colour(true, false));
        assert!(
            !wants_colour(false, false),
            "a file or pipe gets plain text"
        );
        assert!(!wants_colour(true, true), "NO_COLOR wins over a terminal");
    }
}
