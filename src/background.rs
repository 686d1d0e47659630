//! The service's background tasks: housekeeping, the rate-limit sync and the webhook
//! sender. The service is not whole without each of them (without housekeeping,
//! revocations made on other instances never reach this one), so a task that stops by
//! itself while the service runs, a panic say, stops the service with an error naming it,
//! for its supervisor to restart, instead of letting it serve on without that task.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Spawns the background tasks and reports the first that stops by itself.
pub struct Tasks {
    stopped: mpsc::UnboundedSender<String>,
    reports: mpsc::UnboundedReceiver<String>,
}

impl Default for Tasks {
    fn default() -> Self {
        let (stopped, reports) = mpsc::unbounded_channel();
        Tasks { stopped, reports }
    }
}

impl Tasks {
    /// Spawns `task`, whose ending (returning or panicking) is reported under `name`. A task
    /// aborted through its handle is not reported: that is the service stopping it.
    pub fn spawn<F>(&self, name: &'static str, task: F) -> JoinHandle<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let stopped = self.stopped.clone();
        tokio::spawn(async move {
            let why = match AssertUnwindSafe(task).catch_unwind().await {
                Ok(()) => format!("the {name} task ended"),
                Err(panic) => format!("the {name} task panicked: {}", panic_message(&*panic)),
            };
            // No one listens once the service is stopping: the report no longer matters.
            let _ = stopped.send(why);
        })
    }

    /// The first report of a task that stopped by itself; waits for ever if none does.
    pub async fn first_stopped(&mut self) -> String {
        match self.reports.recv().await {
            Some(why) => why,
            // Unreachable while `self` holds a sender; waiting is the honest answer.
            None => std::future::pending().await,
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
        (Some(message), _) => message,
        (None, Some(message)) => message,
        (None, None) => "(no message)",
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_task_that_panics_is_reported_with_its_name_and_message() {
        let mut tasks = Tasks::default();
        let _forever = tasks.spawn("quiet", std::future::pending());
        let _broken = tasks.spawn("housekeeping", async { panic!("period must be non-zero") });
        let report = tokio::time::timeout(Duration::from_secs(5), tasks.first_stopped()).await;
        assert_eq!(
            report.as_deref(),
            Ok("the housekeeping task panicked: period must be non-zero")
        );
    }

    #[tokio::test]
    async fn a_task_aborted_by_the_service_is_not_reported_and_one_that_returns_is() {
        let mut tasks = Tasks::default();
        let aborted = tasks.spawn("aborted", std::future::pending());
        aborted.abort();
        assert!(aborted.await.unwrap_err().is_cancelled());
        assert!(
            tasks.reports.try_recv().is_err(),
            "an aborted task was reported"
        );
        let _ended = tasks.spawn("sender", async {});
        let report = tokio::time::timeout(Duration::from_secs(5), tasks.first_stopped()).await;
        assert_eq!(report.as_deref(), Ok("the sender task ended"));
    }
}
