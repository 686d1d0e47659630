//! The webhook benchmark of issue 18: delivery latency and the outbox's throughput, on
//! SQLite and on PostgreSQL, with the real service in this process and a real HTTP
//! receiver on loopback (`bench/webhooks.sh` runs it; bench/README.md says what each
//! figure means).
//!
//! Per backend, on a fresh database and the default configuration (apart from rate
//! limits off and `WEBHOOK_ALLOW_PRIVATE_NETWORKS=true` for the loopback receiver), with
//! one webhook on `customers.create`:
//!
//! 1. latency: `--latency-events` guest customers created one at a time, each delivery
//!    awaited before the next; arrival minus the mutation's answer (a lower bound on
//!    commit-to-receiver: the commit came before the answer) and arrival minus the
//!    payload's `created_at` (an upper bound: it is taken before the commit);
//! 2. live throughput: `--burst-events` customers created by `--clients` concurrent
//!    clients; deliveries per second at the receiver, first arrival to last;
//! 3. drain: the circuit is opened (the receiver answers 500 to as many events as
//!    `WEBHOOK_CIRCUIT_THRESHOLD`), `--burst-events` events wait in the outbox, then
//!    `resetCircuit` lets them go: how fast a full outbox empties.
//!
//! Bursts check that every event arrived and that no `webhook-id` arrived twice. All of
//! it `--runs` times (3), each on fresh databases: the report gives every run and the
//! median of each figure.
//!
//! ```sh
//! cargo run --release --example webhook_bench -- --out bench/webhook-results.md
//! ```

mod phases;
mod receiver;
mod report;
mod service;

use std::sync::Arc;

use anyhow::Context;

use receiver::Receiver;
use service::{Backend, Service};

#[derive(clap::Parser)]
#[command(about = "Webhook delivery latency and outbox throughput, on SQLite and PostgreSQL")]
struct Args {
    /// Events sent one at a time for the latency figures.
    #[arg(long, default_value_t = 200)]
    latency_events: usize,
    /// Events in each burst (live and drain).
    #[arg(long, default_value_t = 2000)]
    burst_events: usize,
    /// Runs, each on fresh databases; the report gives the median of each figure.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Concurrent clients firing a burst.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// The backends to measure.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Backend::Sqlite, Backend::Postgres])]
    backends: Vec<Backend>,
    /// A PostgreSQL server's URL, as a user who may create a database (a database in it
    /// is replaced by the benchmark's own; `?parameters` are kept).
    #[arg(
        long,
        env = "BENCH_PG",
        default_value = "postgres://postgres@127.0.0.1:5432"
    )]
    postgres: String,
    /// Where to write the results table (markdown).
    #[arg(long)]
    out: Option<std::path::PathBuf>,
}

/// Events sent before measuring: the first connections, statements and pages.
const WARM_UP_EVENTS: usize = 20;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = <Args as clap::Parser>::parse();
    let load_at_start = report::load_average();
    let mut rows = Vec::new();
    for run in 1..=args.runs {
        for &backend in &args.backends {
            eprintln!("run {run}, {}: starting", backend.name());
            rows.push(measure(backend, run, &args).await?);
        }
    }
    let text = report::markdown(&args_line(&args), &load_at_start, &rows);
    print!("{text}");
    if let Some(out) = &args.out {
        std::fs::write(out, &text)?;
        eprintln!("written to {}", out.display());
    }
    Ok(())
}

async fn measure(backend: Backend, run: usize, args: &Args) -> anyhow::Result<report::Row> {
    let service = Arc::new(Service::start(backend, &args.postgres).await?);
    let mut receiver = Receiver::start().await?;
    let webhook = service.create_webhook(&receiver.url()).await?;
    phases::latency(&service, &mut receiver, "warm-up", WARM_UP_EVENTS).await?;
    eprintln!(
        "{}: latency, {} events",
        backend.name(),
        args.latency_events
    );
    let latency = phases::latency(&service, &mut receiver, "latency", args.latency_events).await?;
    eprintln!(
        "{}: live burst, {} events",
        backend.name(),
        args.burst_events
    );
    let live = phases::live(&service, &mut receiver, args.burst_events, args.clients).await?;
    eprintln!("{}: drain, {} events", backend.name(), args.burst_events);
    let drain = phases::drain(
        &service,
        &mut receiver,
        &webhook,
        args.burst_events,
        args.clients,
    )
    .await?;
    drop(receiver);
    Arc::into_inner(service)
        .context("a client still holds the service")?
        .stop()
        .await?;
    Ok(report::Row {
        backend: backend.name(),
        run,
        latency,
        live,
        drain,
    })
}

fn args_line(args: &Args) -> String {
    format!(
        "--runs {} --latency-events {} --burst-events {} --clients {}",
        args.runs, args.latency_events, args.burst_events, args.clients
    )
}
