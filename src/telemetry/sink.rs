//! Where log lines go: an in-memory buffer that a thread of its own writes to stderr every
//! [`FLUSH_EVERY`], so that logging a request costs a copy under a lock, not a system call
//! or a thread wake-up.
//!
//! A writer thread woken per line (tracing-appender's non-blocking writer) costs the
//! service a futex wake, a `sched_yield` and most of a `write` per request, a large part
//! of what logging a small read costs; here a line costs a copy. Lines are never dropped:
//! when the buffer holds more than [`HIGH_WATER`] bytes, the request that filled it writes
//! it out itself.

use std::io::Write;
use std::sync::mpsc::{RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long a line may wait in memory before it is written.
pub const FLUSH_EVERY: Duration = Duration::from_millis(50);
/// Buffered bytes past which the logging thread writes them out itself.
pub const HIGH_WATER: usize = 1 << 20;

struct Shared {
    /// Lines not yet written, in order.
    pending: Mutex<Vec<u8>>,
    /// Held while a batch is taken and written, so batches reach the output in order.
    out: Mutex<Box<dyn Write + Send>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The buffer is plain bytes: a panic while it was held cannot leave it inconsistent.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    /// Takes everything pending and writes it, keeping the order of lines.
    fn write_out(&self) {
        let mut out = lock(&self.out);
        let batch = std::mem::take(&mut *lock(&self.pending));
        if !batch.is_empty() {
            // Nowhere to report a failed write to stderr: the lines are lost, not the service.
            let _ = out.write_all(&batch).and_then(|()| out.flush());
        }
    }
}

/// The `MakeWriter` given to the subscriber: cheap to clone, one buffer behind it.
#[derive(Clone)]
pub struct BatchedStderr {
    shared: Arc<Shared>,
}

/// Writes the last lines and stops the writing thread when dropped.
pub struct FlushGuard {
    shared: Arc<Shared>,
    /// Dropped to tell the writing thread to write what is left and stop.
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// Starts the writing thread; keep the guard for as long as the process logs.
pub fn batched_stderr() -> (BatchedStderr, FlushGuard) {
    batched(Box::new(std::io::stderr()))
}

/// The same over any output.
fn batched(out: Box<dyn Write + Send>) -> (BatchedStderr, FlushGuard) {
    let shared = Arc::new(Shared {
        pending: Mutex::new(Vec::with_capacity(64 * 1024)),
        out: Mutex::new(out),
    });
    let (stop, stopped) = channel::<()>();
    let worker = shared.clone();
    let thread = std::thread::Builder::new()
        .name("log-writer".into())
        .spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(FLUSH_EVERY) {
                worker.write_out();
            }
            worker.write_out();
        })
        .ok();
    let guard = FlushGuard {
        shared: shared.clone(),
        stop: Some(stop),
        thread,
    };
    (BatchedStderr { shared }, guard)
}

impl Drop for FlushGuard {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        // Also covers a thread that could not be started: the lines are still in memory.
        self.shared.write_out();
    }
}

/// One event's line, handed over whole by the subscriber.
pub struct LineWriter<'a> {
    shared: &'a Shared,
}

impl Write for LineWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut pending = lock(&self.shared.pending);
        pending.extend_from_slice(bytes);
        let full = pending.len() > HIGH_WATER;
        drop(pending);
        if full {
            self.shared.write_out();
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BatchedStderr {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> LineWriter<'a> {
        LineWriter {
            shared: &self.shared,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::time::{Duration, Instant};

    use tracing_subscriber::fmt::MakeWriter;

    use super::{HIGH_WATER, batched};
    use crate::telemetry::captured::Captured;

    #[test]
    fn lines_reach_the_output_in_order_without_the_guard_dropping() {
        let out = Captured::default();
        let (sink, _guard) = batched(Box::new(out.clone()));
        for n in 0..100 {
            writeln!(sink.make_writer(), "line {n}").unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while out.text().lines().count() < 100 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let expected: Vec<String> = (0..100).map(|n| format!("line {n}")).collect();
        assert_eq!(out.text().lines().collect::<Vec<_>>(), expected);
    }

    #[test]
    fn dropping_the_guard_writes_every_line_still_waiting() {
        let out = Captured::default();
        let (sink, guard) = batched(Box::new(out.clone()));
        writeln!(sink.make_writer(), "the last words").unwrap();
        drop(guard);
        assert_eq!(out.text(), "the last words\n");
    }

    #[test]
    fn a_full_buffer_is_written_by_the_line_that_filled_it() {
        let out = Captured::default();
        let (sink, guard) = batched(Box::new(out.clone()));
        // Stop the writing thread first: only the logging side can write from here on.
        drop(guard);
        let line = "x".repeat(1023) + "\n";
        for _ in 0..=HIGH_WATER / line.len() {
            sink.make_writer().write_all(line.as_bytes()).unwrap();
        }
        assert!(
            out.text().len() > HIGH_WATER,
            "{} bytes written",
            out.text().len()
        );
    }
}
