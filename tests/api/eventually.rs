//! Waiting for something to happen, never for time to pass.
//!
//! A test that must see an effect the service produces on its own (a delivery, a log
//! line, a process exiting) asks for it again until it holds, within a deadline: the
//! wait ends as soon as the effect is there, and the deadline only bounds a failure.
//! A test that needs time to pass advances the manual clock (`app.advance`) instead;
//! one that needs to show that nothing more happens waits for a signal that the service
//! has done all it had to do (`TestApp::webhooks_settled`).

use std::time::Duration;

/// How long [`eventually`] waits before it fails.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// How long it waits between two checks.
const EVERY: Duration = Duration::from_millis(20);

/// Runs `check` until it gives `Ok`, and returns that; panics with the last `Err` (what
/// the test saw instead) when [`DEADLINE`] passes first.
pub async fn eventually<T>(check: impl AsyncFnMut() -> Result<T, String>) -> T {
    eventually_within(DEADLINE, check).await
}

/// [`eventually`] with a deadline of the test's own, for effects known to take longer
/// (a slow hash) or that must come sooner (a failure seen "within seconds").
pub async fn eventually_within<T>(
    deadline: Duration,
    mut check: impl AsyncFnMut() -> Result<T, String>,
) -> T {
    let until = tokio::time::Instant::now() + deadline;
    loop {
        match check().await {
            Ok(value) => return value,
            Err(seen) if tokio::time::Instant::now() >= until => {
                panic!("not within {deadline:?}: {seen}")
            }
            Err(_) => tokio::time::sleep(EVERY).await,
        }
    }
}
