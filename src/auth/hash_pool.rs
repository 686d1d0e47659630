//! Dedicated threads for argon2, at the lowest nice value.
//!
//! A fixed set of threads (not tokio's blocking pool, which grows to hundreds of threads)
//! keeps argon2's memory bounded: each thread reuses its own block buffer, so at most
//! `workers` buffers of `m` KiB exist. On Linux the threads run at nice 19: a runtime
//! thread that wakes up outweighs a hash thread 68 to 1 and takes its core, and when
//! nothing else runs, hashing still uses every core. `SCHED_IDLE` (used before) measured
//! worse here: with hashing saturating both cores, a read's p99 was 11.7x its idle p99
//! against 5-7x at nice 19, as seen by a one-request-at-a-time client (README,
//! Performance); and under `SCHED_IDLE` a machine busy with other work starves password
//! changes entirely.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

type Job = Box<dyn FnOnce() + Send>;

/// The hash threads and their queue.
pub struct HashPool {
    jobs: Mutex<Sender<Job>>,
    workers: usize,
    queued: Arc<AtomicUsize>,
    running: Arc<AtomicUsize>,
}

impl HashPool {
    /// Starts `workers` threads.
    pub fn new(workers: usize) -> std::io::Result<HashPool> {
        let workers = workers.max(1);
        let (jobs, receiver) = channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let (queued, running) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        for n in 0..workers {
            let (receiver, queued, running) = (receiver.clone(), queued.clone(), running.clone());
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || work(&receiver, &queued, &running))?;
        }
        Ok(HashPool {
            jobs: Mutex::new(jobs),
            workers,
            queued,
            running,
        })
    }

    /// Runs `job` on a hash thread and waits for its result without blocking the runtime.
    /// None if the pool is gone (the service is stopping).
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.queued.fetch_add(1, Ordering::Relaxed);
        let sent = self
            .jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(Box::new(move || {
                let _ = tx.send(job());
            }));
        if sent.is_err() {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        rx.await.ok()
    }

    /// Hashes running and waiting, right now.
    pub fn queue(&self) -> (usize, usize) {
        (
            self.running.load(Ordering::Relaxed).min(self.workers),
            self.queued.load(Ordering::Relaxed),
        )
    }
}

fn work(receiver: &Mutex<Receiver<Job>>, queued: &AtomicUsize, running: &AtomicUsize) {
    lower_priority();
    loop {
        let job = receiver.lock().unwrap_or_else(|e| e.into_inner()).recv();
        let Ok(job) = job else { return };
        queued.fetch_sub(1, Ordering::Relaxed);
        running.fetch_add(1, Ordering::Relaxed);
        job();
        running.fetch_sub(1, Ordering::Relaxed);
    }
}

// Linux only: there the nice value belongs to the thread (`who = 0` is the calling
// thread); elsewhere setpriority would lower the whole service.
#[cfg(target_os = "linux")]
fn lower_priority() {
    // SAFETY: setpriority takes plain integers.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 19);
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::HashPool;

    fn nice_of_this_thread() -> i32 {
        // SAFETY: getpriority takes plain integers (0: the calling thread on Linux).
        unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }
    }

    #[tokio::test]
    async fn hashes_run_at_the_lowest_priority_and_the_caller_keeps_its_own() {
        let before = nice_of_this_thread();
        let pool = HashPool::new(1).unwrap();
        let nice = pool.run(nice_of_this_thread).await;
        assert_eq!(nice, Some(19));
        assert_eq!(
            nice_of_this_thread(),
            before,
            "the caller's thread keeps its nice value"
        );
    }
}
