//! The `reset-gateway` binary: parse the command line, start logging, run.

use clap::Parser;
use reset_gateway::cli::{self, Cli};

// async-graphql boxes a future per resolved field, and glibc's malloc spends a large share
// of a request's CPU on them (consolidating its fast bins on every allocation of 1 KiB or
// more); jemalloc's per-thread caches serve such small allocations cheaply, without more
// peak memory (docs/architecture.md, crate choices).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let logs = reset_gateway::telemetry::init(cli.config.log_format);
    let result = cli::run(cli).await;
    // Every queued log line is written before the process says how it ended.
    drop(logs);
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
