//! Dedicated threads for argon2, at the lowest nice value.
//!
//! A fixed set of threads (not tokio's blocking pool, which grows to hundreds of threads)
//! keeps argon2's memory bounded: each thread reuses its own block buffer, so at most
//! `workers` buffers of `m` KiB exist. On Linux the threads run at nice 19: a runtime
//! thread that wakes up outweighs a hash thread 68 to 1 and takes its core, and when
//! nothing else runs, hashing still uses every core. `SCHED_IDLE` does worse: with
//! hashing saturating the cores, a read waits longer behind it than at nice 19, as a
//! one-request-at-a-time client sees (docs/performance.md); and under `SCHED_IDLE` a
//! machine busy with other work starves password changes entirely.
//!
//! The queue is bounded: a hash that finds every thread busy and `queue_length` hashes
//! already waiting is refused at once ([`PoolError::Full`]) instead of waiting behind
//! them, so a burst of sign-ups cannot pile up minutes of argon2 work and memory. A job
//! whose caller has gone (its request timed out or its client hung up) is skipped when a
//! thread reaches it: nobody would read the hash.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

type Job = Box<dyn FnOnce() + Send>;

/// Why a job did not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolError {
    /// Every thread is busy and the queue is full: try again shortly.
    Full,
    /// The pool is gone (the service is stopping).
    Stopped,
}

/// What the pool has done since start (for metrics and tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolTotals {
    /// Jobs run to completion.
    pub computed: u64,
    /// Jobs skipped because their caller had gone.
    pub dropped: u64,
    /// Jobs refused because the queue was full.
    pub refused: u64,
}

#[derive(Default)]
struct Counters {
    /// Jobs admitted and not yet taken by a thread.
    queued: AtomicUsize,
    running: AtomicUsize,
    /// Jobs admitted and not yet finished or skipped: the bound applies to this.
    admitted: AtomicUsize,
    computed: AtomicU64,
    dropped: AtomicU64,
    refused: AtomicU64,
}

/// The hash threads and their queue.
pub struct HashPool {
    jobs: Mutex<Sender<Job>>,
    workers: usize,
    /// Most jobs admitted at once: the threads' plus the queue's.
    capacity: usize,
    counters: Arc<Counters>,
}

impl HashPool {
    /// Starts `workers` threads, with room for `queue_length` jobs waiting for one.
    pub fn new(workers: usize, queue_length: usize) -> std::io::Result<HashPool> {
        let workers = workers.max(1);
        let (jobs, receiver) = channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let counters = Arc::new(Counters::default());
        for n in 0..workers {
            let (receiver, counters) = (receiver.clone(), counters.clone());
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || work(&receiver, &counters))?;
        }
        Ok(HashPool {
            jobs: Mutex::new(jobs),
            workers,
            capacity: workers.saturating_add(queue_length),
            counters,
        })
    }

    /// Runs `job` on a hash thread and waits for its result without blocking the runtime.
    /// Refused at once when the queue is full. If the returned future is dropped before a
    /// thread reaches the job, the job does not run.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PoolError> {
        let counters = &self.counters;
        if counters.admitted.fetch_add(1, Ordering::AcqRel) >= self.capacity {
            counters.admitted.fetch_sub(1, Ordering::AcqRel);
            counters.refused.fetch_add(1, Ordering::Relaxed);
            return Err(PoolError::Full);
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        counters.queued.fetch_add(1, Ordering::Relaxed);
        let job_counters = counters.clone();
        let sent = self
            .jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(Box::new(move || {
                if tx.is_closed() {
                    job_counters.dropped.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                let result = job();
                job_counters.computed.fetch_add(1, Ordering::Relaxed);
                let _ = tx.send(result);
            }));
        if sent.is_err() {
            counters.queued.fetch_sub(1, Ordering::Relaxed);
            counters.admitted.fetch_sub(1, Ordering::AcqRel);
            return Err(PoolError::Stopped);
        }
        rx.await.map_err(|_| PoolError::Stopped)
    }

    /// True when a job submitted now would be admitted (it may not be by the time it is
    /// submitted: this only lets a caller refuse early, before doing other work). A false
    /// answer counts as a refusal.
    pub fn has_room(&self) -> bool {
        let room = self.counters.admitted.load(Ordering::Acquire) < self.capacity;
        if !room {
            self.counters.refused.fetch_add(1, Ordering::Relaxed);
        }
        room
    }

    /// Hashes running and waiting, right now.
    pub fn queue(&self) -> (usize, usize) {
        (
            self.counters
                .running
                .load(Ordering::Relaxed)
                .min(self.workers),
            self.counters.queued.load(Ordering::Relaxed),
        )
    }

    /// What the pool has done since start.
    pub fn totals(&self) -> PoolTotals {
        let c = &self.counters;
        PoolTotals {
            computed: c.computed.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
            refused: c.refused.load(Ordering::Relaxed),
        }
    }
}

fn work(receiver: &Mutex<Receiver<Job>>, counters: &Counters) {
    lower_priority();
    loop {
        let job = receiver.lock().unwrap_or_else(|e| e.into_inner()).recv();
        let Ok(job) = job else { return };
        counters.queued.fetch_sub(1, Ordering::Relaxed);
        counters.running.fetch_add(1, Ordering::Relaxed);
        job();
        counters.running.fetch_sub(1, Ordering::Relaxed);
        counters.admitted.fetch_sub(1, Ordering::AcqRel);
    }
}

// Linux only: there the nice value belongs to the thread (`who = 0` is the calling
// thread); elsewhere setpriority would lower the whole service.
#[cfg(target_os = "linux")]
#[expect(unsafe_code, reason = "setpriority is only reachable through libc")]
fn lower_priority() {
    // SAFETY: setpriority takes plain integers.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 19);
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use super::{HashPool, PoolError, PoolTotals};

    async fn until(what: &str, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_and_a_gone_callers_job_never_runs() {
        let pool = Arc::new(HashPool::new(1, 1).unwrap());
        let (release, held) = std::sync::mpsc::channel::<()>();
        let first = tokio::spawn({
            let pool = pool.clone();
            async move { pool.run(move || held.recv().map(|_| 1)).await }
        });
        until("the first job to run", || pool.queue() == (1, 0)).await;
        let second = tokio::spawn({
            let pool = pool.clone();
            async move { pool.run(|| 2).await }
        });
        until("the second job to wait", || pool.queue() == (1, 1)).await;
        assert_eq!(
            pool.run(|| 3).await,
            Err(PoolError::Full),
            "refused at once"
        );
        second.abort();
        assert!(second.await.unwrap_err().is_cancelled());
        release.send(()).unwrap();
        assert_eq!(first.await.unwrap(), Ok(Ok(1)));
        until("the queue to drain", || pool.queue() == (0, 0)).await;
        let totals = pool.totals();
        assert_eq!(
            totals,
            PoolTotals {
                computed: 1,
                dropped: 1,
                refused: 1
            },
            "the second job was skipped: its caller had gone"
        );
        assert_eq!(pool.run(|| 4).await, Ok(4), "room again");
    }

    #[cfg(target_os = "linux")]
    #[expect(unsafe_code, reason = "getpriority is only reachable through libc")]
    fn nice_of_this_thread() -> i32 {
        // SAFETY: getpriority takes plain integers (0: the calling thread on Linux).
        unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashes_run_at_the_lowest_priority_and_the_caller_keeps_its_own() {
        let before = nice_of_this_thread();
        let pool = HashPool::new(1, 1).unwrap();
        let nice = pool.run(nice_of_this_thread).await;
        assert_eq!(nice, Ok(19));
        assert_eq!(
            nice_of_this_thread(),
            before,
            "the caller's thread keeps its nice value"
        );
    }
}
