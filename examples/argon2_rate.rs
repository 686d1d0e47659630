//! The bare argon2id hash rate: the ceiling of `updateCustomerPasswordReset` in
//! `bench/run.sh` (target: the service redeems at 90% of this rate or better).
//!
//! One thread per core (or `--threads N`) hashes in a loop for `--seconds S` (default 5)
//! with the service's parameters (`ARGON2_MEMORY_KIB`, `ARGON2_ITERATIONS`,
//! `ARGON2_PARALLELISM`, defaults 19456 KiB, 2, 1), by default with argon2's
//! `hash_password` (a random salt, argon2's memory allocated afresh each time). Prints one
//! JSON line, with the process's peak RSS:
//! `{"threads":2,"seconds":5.02,"hashes":430,"rate":85.6,...,"vm_hwm_kib":430000}`.
//!
//! `--reuse-memory` gives each thread one block buffer, allocated once and reused
//! (`hash_password_into_with_memory`): how the service's hash threads hash, so this is
//! the ceiling `bench/run.sh` holds (e) to; the default is kept for comparison.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use argon2::{Algorithm, Argon2, Block, Params, PasswordHasher, Version};

fn env_u32(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> anyhow::Result<()> {
    let mut threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut seconds = 5.0_f64;
    let mut reuse_memory = false;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--threads" => threads = args.next().unwrap_or_default().parse()?,
            "--seconds" => seconds = args.next().unwrap_or_default().parse()?,
            "--reuse-memory" => reuse_memory = true,
            _ => anyhow::bail!("unknown flag {flag} (--threads N --seconds S --reuse-memory)"),
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
                let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
                let mut blocks = match reuse_memory {
                    true => vec![Block::new(); params.block_count()],
                    false => Vec::new(),
                };
                let mut hashes = 0_u64;
                while !stop.load(Ordering::Relaxed) {
                    let password = b"a new password for the benchmark";
                    if reuse_memory {
                        let salt = (hashes as u128).to_le_bytes();
                        let mut out = [0u8; 32];
                        argon2
                            .hash_password_into_with_memory(password, &salt, &mut out, &mut blocks)
                            .expect("argon2 failed");
                        std::hint::black_box(out);
                    } else {
                        let hash = argon2.hash_password(password).map(|h| h.to_string());
                        std::hint::black_box(hash.expect("argon2 failed"));
                    }
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
    let hwm = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmHWM:"))?.to_owned();
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .unwrap_or(0);
    println!(
        "{{\"threads\":{threads},\"seconds\":{elapsed:.3},\"hashes\":{hashes},\"rate\":{:.2},\"m_kib\":{m},\"t\":{t},\"p\":{p},\"reuse_memory\":{reuse_memory},\"vm_hwm_kib\":{hwm}}}",
        hashes as f64 / elapsed
    );
    Ok(())
}
