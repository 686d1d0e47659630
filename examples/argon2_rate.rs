//! The bare argon2id hash rate: the ceiling of `updateCustomerPasswordReset` in
//! `bench/run.sh` (target: the service redeems at 90% of this rate or better).
//!
//! One thread per core (or `--threads N`) hashes in a loop for `--seconds S` (default 5)
//! with the service's parameters (`ARGON2_MEMORY_KIB`, `ARGON2_ITERATIONS`,
//! `ARGON2_PARALLELISM`, defaults 19456 KiB, 2, 1) and the same call the service makes
//! (`hash_password`, which draws a random salt). Prints one JSON line:
//! `{"threads":2,"seconds":5.02,"hashes":430,"rate":85.6,...}`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use argon2::{Algorithm, Argon2, Params, PasswordHasher, Version};

fn env_u32(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> anyhow::Result<()> {
    let mut threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut seconds = 5.0_f64;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_default();
        match flag.as_str() {
            "--threads" => threads = value.parse()?,
            "--seconds" => seconds = value.parse()?,
            _ => anyhow::bail!("unknown flag {flag} (use --threads N --seconds S)"),
        }
    }
    let (m, t, p) = (
        env_u32("ARGON2_MEMORY_KIB", 19_456),
        env_u32("ARGON2_ITERATIONS", 2),
        env_u32("ARGON2_PARALLELISM", 1),
    );
    let params = Params::new(m, t, p, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (params, stop) = (params.clone(), stop.clone());
            std::thread::spawn(move || {
                let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
                let mut hashes = 0_u64;
                while !stop.load(Ordering::Relaxed) {
                    let hash = argon2
                        .hash_password(b"a new password for the benchmark")
                        .map(|h| h.to_string());
                    std::hint::black_box(hash.expect("argon2 failed"));
                    hashes += 1;
                }
                hashes
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs_f64(seconds));
    stop.store(true, Ordering::Relaxed);
    let hashes: u64 = workers.into_iter().map(|w| w.join().unwrap_or(0)).sum();
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{{\"threads\":{threads},\"seconds\":{elapsed:.3},\"hashes\":{hashes},\"rate\":{:.2},\"m_kib\":{m},\"t\":{t},\"p\":{p}}}",
        hashes as f64 / elapsed
    );
    Ok(())
}
