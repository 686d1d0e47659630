//! Claiming due deliveries with a lease, each webhook within its share of the slots, and
//! giving back what a stopping sender holds.

use std::collections::HashMap;

use super::Context;
use crate::clock;
use crate::db::DbError;
use crate::webhooks::outbox::queries::{self, Claimed};

/// Claims up to `room` due deliveries, none to a webhook that already has its share in
/// `held`. One claim can bring more of one webhook's deliveries than its share: the extra
/// ones are given back at once (true in the answer when any were).
pub(super) async fn claim(
    context: &Context,
    held: &HashMap<String, String>,
    room: usize,
) -> Result<(Vec<Claimed>, bool), DbError> {
    let share = context.settings.per_webhook();
    let mut in_flight: HashMap<&str, usize> = HashMap::new();
    for webhook in held.values() {
        *in_flight.entry(webhook.as_str()).or_default() += 1;
    }
    let full: Vec<&str> = in_flight
        .iter()
        .filter(|(_, count)| **count >= share)
        .map(|(webhook, _)| *webhook)
        .collect();
    let now = clock::now();
    let mut conn = context.db.conn().await?;
    let claimed = queries::claim(
        &mut conn,
        &context.owner,
        now,
        clock::after(now, context.settings.lease),
        &full,
        room as i64,
    )
    .await?;
    let (mut keep, mut extra) = (Vec::with_capacity(claimed.len()), Vec::new());
    let mut claimed_now: HashMap<String, usize> = HashMap::new();
    for delivery in claimed {
        let before = in_flight.get(delivery.webhook_id.as_str()).copied();
        let count = claimed_now.entry(delivery.webhook_id.clone()).or_default();
        if before.unwrap_or(0) + *count < share {
            *count += 1;
            keep.push(delivery);
        } else {
            extra.push(delivery.id);
        }
    }
    if !extra.is_empty()
        && let Err(error) = queries::release(&mut conn, &context.owner, &extra).await
    {
        // Their leases lapse instead: sent later, never lost.
        tracing::warn!(%error, "webhook deliveries over a webhook's share not given back");
    }
    Ok((keep, !extra.is_empty()))
}

/// Gives the deliveries still held back to the outbox, unsent.
pub(super) async fn give_back(context: &Context, held: HashMap<String, String>) {
    if held.is_empty() {
        return;
    }
    let ids: Vec<String> = held.into_keys().collect();
    let released = match context.db.conn().await {
        Ok(mut conn) => queries::release(&mut conn, &context.owner, &ids).await,
        Err(error) => Err(error),
    };
    match released {
        Ok(count) => tracing::info!(
            count,
            "webhook deliveries in flight given back to the outbox"
        ),
        Err(error) => tracing::warn!(
            %error,
            "webhook deliveries in flight not given back; their leases will lapse"
        ),
    }
}
