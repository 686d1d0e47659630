//! Logging: human-readable or JSON lines, filtered by `RUST_LOG` (default `info`).
//!
//! Lines are written to standard error in batches, by a thread of their own (see
//! [`sink`]): a request only formats its line and appends it to a buffer.

mod sink;

use tracing_subscriber::EnvFilter;

pub use sink::FlushGuard;

use crate::config::LogFormat;

/// Installs the global log subscriber. Call once, at start, and keep the guard: dropping
/// it writes the lines still waiting.
pub fn init(format: LogFormat) -> FlushGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = sink::batched_stderr();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    guard
}
