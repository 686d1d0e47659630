//! Dedicated threads for argon2, at the lowest scheduling priority.
//!
//! A fixed set of threads (not tokio's blocking pool, which grows to hundreds of threads)
//! keeps argon2's memory bounded: each thread reuses its own block buffer, so at most
//! `workers` buffers of `m` KiB exist. On Linux the threads run under `SCHED_IDLE`: when
//! hashing saturates the cores, any request-handling thread that wakes up takes a core
//! from a hash at once (a nice value only shares the cores in proportion, which left
//! reads waiting for a scheduler slice: 3x their idle p99 in the benchmark). When nothing
//! else runs, hashing still uses every core.

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

#[cfg(target_os = "linux")]
fn lower_priority() {
    // The policy belongs to the thread: `pid = 0` is the calling thread. SCHED_IDLE needs
    // no privilege; should it be refused, fall back to the lowest nice value.
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: both calls take plain integers and a pointer to a live local.
    unsafe {
        if libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) != 0 {
            libc::setpriority(libc::PRIO_PROCESS, 0, 19);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::HashPool;

    #[tokio::test]
    async fn hashes_run_only_when_no_other_thread_wants_the_core() {
        let pool = HashPool::new(1).unwrap();
        // SAFETY: sched_getscheduler takes a plain integer (0: the calling thread).
        let policy = pool.run(|| unsafe { libc::sched_getscheduler(0) }).await;
        assert_eq!(policy, Some(libc::SCHED_IDLE));
        // SAFETY: as above.
        let here = unsafe { libc::sched_getscheduler(0) };
        assert_eq!(
            here,
            libc::SCHED_OTHER,
            "the caller's thread keeps its policy"
        );
    }
}
