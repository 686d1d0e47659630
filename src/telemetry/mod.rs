//! Logging: human-readable or JSON lines, filtered by `RUST_LOG` (default `info`).
//!
//! Lines are written to standard error by a thread of their own (tracing-appender), in
//! batches: a request only formats its line and queues it, instead of making a system
//! call under the stderr lock (most of the cost of `{ __typename }` in the benchmark).
//! The queue never drops a line: when it is full, the logging request waits.

use std::io::BufWriter;

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global log subscriber. Call once, at start, and keep the guard: dropping
/// it writes the lines still queued.
pub fn init(format: LogFormat) -> WorkerGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("log-writer")
        // The writer thread flushes the buffer each time the queue is empty.
        .finish(BufWriter::new(std::io::stderr()));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    guard
}
