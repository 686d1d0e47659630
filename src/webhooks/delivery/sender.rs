//! The sender: one per instance, claiming due deliveries from the outbox and sending each
//! attempt, signed, on a task of its own.
//!
//! A slow or dead receiver holds one of [`SenderSettings::concurrency`] slots per attempt
//! for at most the client's timeout, and at most [`SenderSettings::per_webhook`] slots at
//! once: it never holds up the GraphQL API (no request waits for a delivery), other
//! webhooks (the slots it cannot take), or shutdown (attempts in flight are abandoned
//! and their leases given back, so another instance, or this one after a restart, sends
//! them: at least once, never lost).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use futures_util::FutureExt;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::RetrySchedule;
use super::client::{Answer, CallbackClient};
use crate::auth::secrets;
use crate::clock;
use crate::db::{Db, DbError};
use crate::metrics::Metrics;
use crate::webhooks::outbox::Outbox;
use crate::webhooks::outbox::queries::{
    self, Attempted, Claimed, Next, Target, TokenScope, Verdict,
};
use crate::webhooks::topic::Topic;

mod leases;
mod request;
mod sweep;

use leases::{claim, give_back};
use request::post;
use sweep::sweep;

/// How many poll intervals apart, on the service's clock, tokens that can no longer be
/// redeemed are erased, old deliveries pruned and the outbox's depth measured (every 5 s
/// at the default poll).
const SWEEP_EVERY_POLLS: u32 = 10;

/// How the sender works.
#[derive(Debug, Clone)]
pub struct SenderSettings {
    /// The service's public URL (the payloads' links).
    pub public_url: String,
    /// When failed attempts are retried.
    pub schedule: RetrySchedule,
    /// Failures in a row that open a webhook's circuit.
    pub circuit_threshold: i32,
    /// How often to look for deliveries this instance was not woken for.
    pub poll_interval: Duration,
    /// Attempts in flight at once.
    pub concurrency: usize,
    /// How long a claimed delivery stays this sender's (longer than an attempt takes).
    pub lease: Duration,
    /// How long settled deliveries and callbacks are kept.
    pub retention: Duration,
}

impl SenderSettings {
    /// Attempts in flight to one webhook at most: half the slots, so that a webhook whose
    /// receiver hangs, however many events it has waiting, leaves the other half to the
    /// other webhooks.
    pub fn per_webhook(&self) -> usize {
        self.concurrency.div_ceil(2).max(1)
    }
}

/// What every attempt needs.
struct Context {
    db: Db,
    outbox: Outbox,
    client: CallbackClient,
    settings: SenderSettings,
    metrics: Arc<Metrics>,
    owner: String,
}

/// Runs the sender until `stop` turns true, then gives back what it holds.
pub async fn run(
    db: Db,
    outbox: Outbox,
    client: CallbackClient,
    settings: SenderSettings,
    metrics: Arc<Metrics>,
    mut stop: watch::Receiver<bool>,
) {
    let context = Arc::new(Context {
        db,
        outbox,
        client,
        settings,
        metrics,
        owner: format!("sender_{}", secrets::random_id(16)),
    });
    let mut in_flight: JoinSet<String> = JoinSet::new();
    // The deliveries in flight, each with its webhook.
    let mut held: HashMap<String, String> = HashMap::new();
    // The loop's first pass looks at once; the first tick is one period later (an
    // interval's first tick is immediate, which would make a second pass at start).
    let period = context.settings.poll_interval;
    let now = tokio::time::Instant::now();
    let mut poll = tokio::time::interval_at(now.checked_add(period).unwrap_or(now), period);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let sweep_every = context
        .settings
        .poll_interval
        .saturating_mul(SWEEP_EVERY_POLLS);
    // On the service's clock, like the expiries and the retention the sweep applies: a
    // sweep is due once the clock has left the period that began at the last one, ahead
    // or (set back) behind.
    let mut swept: Option<NaiveDateTime> = None;
    while !*stop.borrow() {
        let now = clock::now();
        if swept.is_none_or(|at| !(at..clock::after(at, sweep_every)).contains(&now)) {
            swept = Some(now);
            sweep(&context, now).await;
        }
        let room = context.settings.concurrency.saturating_sub(in_flight.len());
        if room > 0 {
            match claim(&context, &held, room).await {
                Ok((claimed, gave_back)) => {
                    if claimed.is_empty() && !gave_back && in_flight.is_empty() {
                        context.outbox.note_idle_pass();
                    }
                    for delivery in claimed {
                        held.insert(delivery.id.clone(), delivery.webhook_id.clone());
                        let attempt = send(context.clone(), delivery);
                        in_flight.spawn(clock::current().scope(attempt));
                    }
                    if gave_back {
                        // Other webhooks' deliveries may be due behind those: claim again
                        // now (the full webhooks are skipped this time).
                        continue;
                    }
                }
                Err(error) => tracing::warn!(%error, "webhook deliveries not claimed; will retry"),
            }
        }
        tokio::select! {
            changed = stop.changed() => {
                // The service that owned the signal is gone without sending it (its task
                // was dropped): stop as if it had been sent.
                if changed.is_err() {
                    break;
                }
            }
            _ = context.outbox.woken() => {}
            _ = poll.tick() => {}
            Some(done) = in_flight.join_next(), if !in_flight.is_empty() => {
                if let Ok(id) = done {
                    held.remove(&id);
                }
            }
        }
    }
    in_flight.abort_all();
    while let Some(done) = in_flight.join_next().await {
        if let Ok(id) = done {
            held.remove(&id);
        }
    }
    give_back(&context, held).await;
}

/// One attempt at `delivery`; returns its id when done.
async fn send(context: Arc<Context>, delivery: Claimed) -> String {
    if let Err(error) = try_send(&context, &delivery).await {
        // The lease lapses and the attempt is made again, by this instance or another.
        tracing::warn!(%error, delivery = %delivery.id, "webhook attempt not recorded");
    }
    delivery.id
}

async fn try_send(context: &Context, delivery: &Claimed) -> Result<(), DbError> {
    let topic = Topic::parse(&delivery.topic);
    let mut conn = context.db.conn().await?;
    if topic.is_some_and(Topic::carries_token) {
        // A token that can no longer be redeemed is not sent.
        let scope = TokenScope::Reset(&delivery.resource_id);
        if queries::forget_tokens(&mut conn, scope, clock::now()).await? > 0 {
            context.metrics.delivery(&delivery.topic, "discarded");
            return Ok(());
        }
    }
    let Some(target) = queries::target(&mut conn, &delivery.webhook_id).await? else {
        // The webhook was deleted, and its deliveries with it.
        return Ok(());
    };
    drop(conn);
    let attempt = delivery.attempts + 1;
    let horizon = context.settings.schedule.horizon();
    // An event too old is failed without being sent; one that could not be signed is
    // retried (its key may come back). Neither tells the circuit anything of the receiver.
    let too_old = clock::after(delivery.round_started_at, horizon) < clock::now();
    let (answer, verdict, retry) = match too_old {
        true => (
            unsent("the event is older than the retry horizon"),
            Verdict::NotSent,
            false,
        ),
        false => match post(context, delivery, &target).await {
            Ok(answer) if answer.succeeded() => (answer, Verdict::Took, true),
            Ok(answer) => (answer, Verdict::Failed, true),
            Err(why) => (unsent(&why), Verdict::NotSent, true),
        },
    };
    let at = clock::now();
    let next = match answer.succeeded() {
        true => Next::Delivered,
        false => match context.settings.schedule.wait_after(attempt as u32) {
            Some(wait) if retry => Next::RetryAt(clock::after(at, wait)),
            _ => Next::Failed,
        },
    };
    let outcome = match next {
        Next::Delivered => "delivered",
        Next::RetryAt(_) => "retrying",
        Next::Failed => "failed",
    };
    tracing::info!(
        delivery = %delivery.id,
        webhook = %delivery.webhook_id,
        topic = %delivery.topic,
        resource = %delivery.resource_id,
        attempt,
        response_code = answer.code,
        outcome,
        "webhook attempt"
    );
    let made = Made {
        attempt,
        answer,
        verdict,
        next,
        at,
    };
    record(context, delivery, &target, made).await?;
    context.metrics.delivery(&delivery.topic, outcome);
    if next == Next::Delivered {
        let waited = (at - delivery.created_at).to_std().unwrap_or_default();
        context.metrics.delivered_after(waited);
    }
    Ok(())
}

/// One attempt as made, to record.
struct Made {
    attempt: i32,
    answer: Answer,
    verdict: Verdict,
    next: Next,
    at: NaiveDateTime,
}

/// The answer of an attempt that sent nothing, saying why.
fn unsent(why: &str) -> Answer {
    Answer::none(format!("not sent: {why}"))
}

async fn record(
    context: &Context,
    delivery: &Claimed,
    target: &Target,
    made: Made,
) -> Result<(), DbError> {
    let (id, owner) = (delivery.id.clone(), context.owner.clone());
    let (webhook_id, topic) = (delivery.webhook_id.clone(), delivery.topic.clone());
    let callback_url = target.callback_url.clone();
    let threshold = context.settings.circuit_threshold;
    context
        .db
        .transaction(move |conn| {
            async move {
                let attempted = Attempted {
                    delivery_id: &id,
                    owner: &owner,
                    webhook_id: &webhook_id,
                    topic: &topic,
                    callback_url: &callback_url,
                    response_code: made.answer.code.map(i32::from),
                    response_message: &made.answer.message,
                    attempt: made.attempt,
                    at: made.at,
                    next: made.next,
                    verdict: made.verdict,
                };
                let callback_id = secrets::random_id(10);
                queries::record_attempt(conn, &attempted, &callback_id, threshold).await
            }
            .boxed()
        })
        .await
}
