//! The three measurements, each on a running service with a receiver subscribed to
//! `customers.create`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::receiver::{Arrival, Receiver};
use crate::service::Service;

/// Longest wait for one delivery, or for the last of a burst after the last answer.
const PATIENCE: Duration = Duration::from_secs(120);

/// Latencies of events sent one at a time, in microseconds.
pub struct Latencies {
    /// Receiver arrival minus the moment the mutation's answer arrived. The commit came
    /// before the answer, so this is at most the commit-to-receiver time (and below zero
    /// when the delivery beat the answer to the client).
    pub after_answer: Vec<i64>,
    /// Receiver arrival minus the payload's `created_at`: the service takes that time
    /// inside the transaction, before the commit, so this is at least the
    /// commit-to-receiver time.
    pub after_created_at: Vec<i64>,
}

/// One event at a time: create `{prefix}-{i}@bench.example`, wait for its delivery, then
/// the next.
pub async fn latency(
    service: &Service,
    receiver: &mut Receiver,
    prefix: &str,
    events: usize,
) -> anyhow::Result<Latencies> {
    let mut result = Latencies {
        after_answer: Vec::with_capacity(events),
        after_created_at: Vec::with_capacity(events),
    };
    for i in 0..events {
        let email = format!("{prefix}-{i}@bench.example");
        let answered = service.create_customer(&email).await?;
        let arrival = next_of(receiver, &email).await?;
        result
            .after_answer
            .push(signed_micros(arrival.at, answered));
        if let Some(created_at) = arrival.created_at {
            let micros = (arrival.wall - created_at)
                .num_microseconds()
                .unwrap_or(i64::MAX);
            result.after_created_at.push(micros);
        }
    }
    Ok(result)
}

/// The next arrival for `email`, skipping others (retries of earlier phases' events).
async fn next_of(receiver: &mut Receiver, email: &str) -> anyhow::Result<Arrival> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let arrival = tokio::time::timeout_at(deadline, receiver.arrivals.recv())
            .await
            .with_context(|| format!("no delivery for {email}"))?
            .context("the receiver stopped")?;
        if arrival.email == email {
            return Ok(arrival);
        }
    }
}

fn signed_micros(later: Instant, earlier: Instant) -> i64 {
    match later.checked_duration_since(earlier) {
        Some(d) => d.as_micros() as i64,
        None => -(earlier.duration_since(later).as_micros() as i64),
    }
}

/// What a burst's receiver saw.
pub struct Burst {
    /// Events created.
    pub events: usize,
    /// Mutations answered per second while the clients fired.
    pub created_per_second: f64,
    /// Deliveries per second at the receiver, first arrival to last.
    pub delivered_per_second: f64,
    /// From the moment the deliveries could start (the last answer, or the circuit's
    /// reset) to the last arrival.
    pub last_arrival_after: Duration,
    /// Events never delivered.
    pub lost: usize,
    /// Deliveries beyond the first of a `webhook-id`.
    pub duplicates: usize,
}

/// Creates `events` customers named `{prefix}-{i}@bench.example` from `clients` concurrent
/// clients; returns the mutations answered per second.
pub async fn fire(
    service: &Arc<Service>,
    prefix: &str,
    events: usize,
    clients: usize,
) -> anyhow::Result<f64> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let (service, next, prefix) = (service.clone(), next.clone(), prefix.to_owned());
        tasks.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= events {
                    return anyhow::Ok(());
                }
                service
                    .create_customer(&format!("{prefix}-{i}@bench.example"))
                    .await?;
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(events as f64 / started.elapsed().as_secs_f64())
}

/// Reads the receiver until every event named `{prefix}-…` arrived, plus a settling wait
/// in which duplicates would show; `from` is when deliveries could start.
pub async fn collect(
    receiver: &mut Receiver,
    prefix: &str,
    events: usize,
    from: Instant,
    settle: Duration,
) -> anyhow::Result<Burst> {
    let wanted = format!("{prefix}-");
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut emails: HashSet<String> = HashSet::new();
    let (mut first, mut last) = (None, None);
    let mut deadline = tokio::time::Instant::now() + PATIENCE;
    let mut settling = false;
    loop {
        let arrival = match tokio::time::timeout_at(deadline, receiver.arrivals.recv()).await {
            Ok(Some(arrival)) => arrival,
            Ok(None) => bail!("the receiver stopped"),
            Err(_) => break,
        };
        if !arrival.email.starts_with(&wanted) {
            continue;
        }
        first.get_or_insert(arrival.at);
        last = Some(arrival.at);
        *by_id.entry(arrival.id).or_default() += 1;
        emails.insert(arrival.email);
        if emails.len() == events && !settling {
            settling = true;
            deadline = tokio::time::Instant::now() + settle;
        }
    }
    let (Some(first), Some(last)) = (first, last) else {
        bail!("nothing named {wanted}… arrived");
    };
    let arrivals: usize = by_id.values().sum();
    Ok(Burst {
        events,
        created_per_second: 0.0,
        delivered_per_second: (arrivals.saturating_sub(1)) as f64
            / last
                .duration_since(first)
                .as_secs_f64()
                .max(f64::MIN_POSITIVE),
        last_arrival_after: last.saturating_duration_since(from),
        lost: events - emails.len().min(events),
        duplicates: arrivals - by_id.len(),
    })
}

/// Live: events fired as fast as `clients` clients can, delivered as they commit.
pub async fn live(
    service: &Arc<Service>,
    receiver: &mut Receiver,
    events: usize,
    clients: usize,
) -> anyhow::Result<Burst> {
    receiver.forget_arrived();
    // The receiver is read only after the firing: its channel keeps every arrival with
    // its own time stamp meanwhile.
    let created_per_second = fire(service, "live", events, clients).await?;
    let fired = Instant::now();
    let mut burst = collect(receiver, "live", events, fired, settle(service)).await?;
    burst.created_per_second = created_per_second;
    Ok(burst)
}

/// Drain: the webhook's circuit is opened (the receiver answers 500 to as many events as
/// the threshold), `events` events wait in the outbox, then the receiver answers 200 and
/// `resetCircuit` lets them all go at once.
pub async fn drain(
    service: &Arc<Service>,
    receiver: &mut Receiver,
    webhook: &str,
    events: usize,
    clients: usize,
) -> anyhow::Result<Burst> {
    receiver.answer(500);
    let threshold = usize::from(service.config.webhook_circuit_threshold);
    fire(service, "trip", threshold, clients).await?;
    service.wait_for_circuit(webhook, "OPEN").await?;
    let created_per_second = fire(service, "drain", events, clients).await?;
    // The trips' 500s are still in the receiver's channel: `collect` skips them by name.
    receiver.answer(200);
    service.reset_circuit(webhook).await?;
    let reset = Instant::now();
    let mut burst = collect(receiver, "drain", events, reset, settle(service)).await?;
    burst.created_per_second = created_per_second;
    Ok(burst)
}

/// How long to keep listening after the last event arrived: a few polls, in which a
/// second delivery of the same event would show.
fn settle(service: &Service) -> Duration {
    service.config.webhook_poll_interval * 4 + Duration::from_secs(1)
}
