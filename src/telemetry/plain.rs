//! The text log line without colours, written directly.
//!
//! tracing-subscriber's `Full` format writes the same line, but routes every part of it
//! (timestamp, level, each field name and `=`) through an ANSI style even when colours
//! are off, which with its field visitor is a visible part of a one-row read's work. The
//! layout here is the same, byte for byte (a test compares them):
//!
//! `2026-12-01T10:19:31.588097Z  INFO request{request_id=… method=POST path=/graphql}: reset_gateway::http::graphql: graphql request operation=… status=200`

use std::fmt::{self, Write};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The event line: timestamp, level, span scope, target, fields.
pub struct PlainLine;

impl<S, N> FormatEvent<S, N> for PlainLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        if SystemTime.format_time(&mut writer).is_err() {
            writer.write_str("<unknown time>")?;
        }
        let meta = event.metadata();
        writer.write_str(match *meta.level() {
            Level::TRACE => " TRACE ",
            Level::DEBUG => " DEBUG ",
            Level::INFO => "  INFO ",
            Level::WARN => "  WARN ",
            Level::ERROR => " ERROR ",
        })?;
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                writer.write_str(span.metadata().name())?;
                let extensions = span.extensions();
                if let Some(fields) = extensions.get::<FormattedFields<N>>()
                    && !fields.is_empty()
                {
                    writer.write_char('{')?;
                    writer.write_str(fields)?;
                    writer.write_char('}')?;
                }
                writer.write_char(':')?;
            }
            writer.write_char(' ')?;
        }
        writer.write_str(meta.target())?;
        writer.write_str(": ")?;
        ctx.format_fields(writer.by_ref(), event)?;
        writer.write_char('\n')
    }
}

/// Fields as `name=value` pairs, the message first and bare.
pub struct PlainFields;

impl<'w> FormatFields<'w> for PlainFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'w>, fields: R) -> fmt::Result {
        let mut visitor = PlainVisitor {
            writer,
            first: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

struct PlainVisitor<'w> {
    writer: Writer<'w>,
    first: bool,
    result: fmt::Result,
}

impl PlainVisitor<'_> {
    fn separate(&mut self) -> fmt::Result {
        if std::mem::take(&mut self.first) {
            Ok(())
        } else {
            self.writer.write_char(' ')
        }
    }

    fn write_message(&mut self, message: fmt::Arguments<'_>) -> fmt::Result {
        self.separate()?;
        // A message may quote what a client sent: escape control characters such as
        // ESC, so that no line can drive the terminal that displays it.
        let mut escaped = EscapeControls(&mut self.writer);
        escaped.write_fmt(message)
    }

    fn write_field(&mut self, name: &str, value: &dyn fmt::Debug) -> fmt::Result {
        self.separate()?;
        let name = name.strip_prefix("r#").unwrap_or(name);
        write!(self.writer, "{name}={value:?}")
    }
}

impl Visit for PlainVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if self.result.is_ok() {
            self.result = match field.name() {
                "message" => self.write_message(format_args!("{value}")),
                name => self.write_field(name, &value),
            };
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        // As tracing-subscriber writes it: `error=outer error.sources=[cause, its cause]`.
        let mut text = value.to_string();
        if let Some(first) = value.source() {
            let _ = write!(text, " {}.sources=[{first}", field.name());
            let mut source = first.source();
            while let Some(cause) = source {
                let _ = write!(text, ", {cause}");
                source = cause.source();
            }
            text.push(']');
        }
        self.record_debug(field, &format_args!("{text}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.result.is_ok() {
            self.result = match field.name() {
                "message" => self.write_message(format_args!("{value:?}")),
                name => self.write_field(name, value),
            };
        }
    }
}

/// Writes control characters (other than tab) as `\u{…}` escapes.
struct EscapeControls<'a, W: Write>(&'a mut W);

impl<W: Write> Write for EscapeControls<'_, W> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let mut rest = text;
        while let Some(at) = rest.find(|c: char| c.is_control() && c != '\t') {
            self.0.write_str(&rest[..at])?;
            let control = rest[at..].chars().next().unwrap_or_default();
            write!(self.0, "{}", control.escape_unicode())?;
            rest = &rest[at + control.len_utf8()..];
        }
        self.0.write_str(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::captured::Captured;

    /// The lines written, each without its timestamp (everything up to its `Z`).
    fn lines_without_time(out: &Captured) -> Vec<String> {
        out.text()
            .lines()
            .map(|line| line.split_once('Z').expect("a timestamp").1.to_owned())
            .collect()
    }

    fn log_some_lines() {
        let span = tracing::info_span!("request", request_id = %"a1b2", method = %"POST", path = %"/graphql");
        let _entered = span.enter();
        tracing::info!(
            operation = %"query ResetById",
            outcome = %"ok",
            duration_ms = 0.25,
            credential = "cred-1",
            status = 200_u16,
            "graphql request"
        );
        let inner = tracing::warn_span!("inner");
        let _inner = inner.enter();
        let error = std::io::Error::other("the database went away");
        tracing::warn!(
            error = &error as &dyn std::error::Error,
            r#type = 3,
            "no rows"
        );
        let failed = Failed(std::io::Error::other("the disk is full"));
        tracing::error!(error = &failed as &dyn std::error::Error, "plain message");
    }

    /// An error with a cause.
    #[derive(Debug)]
    struct Failed(std::io::Error);

    impl std::fmt::Display for Failed {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("the write failed")
        }
    }

    impl std::error::Error for Failed {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn plain_lines_are_what_tracing_subscribers_full_format_writes_without_colours() {
        let ours = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(ours.clone())
            .with_ansi(false)
            .event_format(PlainLine)
            .fmt_fields(PlainFields)
            .finish();
        tracing::subscriber::with_default(subscriber, log_some_lines);

        let theirs = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(theirs.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, log_some_lines);

        let ours = lines_without_time(&ours);
        assert_eq!(ours.len(), 3);
        assert!(
            ours[2]
                .ends_with("plain message error=the write failed error.sources=[the disk is full]"),
            "{}",
            ours[2]
        );
        assert_eq!(ours, lines_without_time(&theirs));
        assert!(ours[0].starts_with("  INFO request{request_id=a1b2 method=POST path=/graphql}: "));
    }

    #[test]
    fn a_message_cannot_carry_terminal_escapes() {
        let mut out = String::new();
        EscapeControls(&mut out)
            .write_str("a\u{1b}[31mred\ttab\n")
            .unwrap();
        assert_eq!(out, "a\\u{1b}[31mred\ttab\\u{a}");
    }
}
