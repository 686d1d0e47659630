//! Outbox queries, written once for both backends.
//!
//! The statements written as SQL text (the claim, the token sweep) number their
//! parameters `$1`, `$2`, … in order of first appearance: PostgreSQL reads them as
//! positions, and SQLite as names that it numbers in that same order.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};
use diesel_async::RunQueryDsl;

use super::DeliveryState;
use crate::db::schema::{event_callbacks, webhook_deliveries, webhooks};
use crate::db::{CachedSqlExt, Conn, DbError};
use crate::db_run;
use crate::pending_resets::MAX_FAILED_ATTEMPTS;
use crate::webhooks::resource::CircuitState;

/// A delivery claimed for one attempt.
#[derive(Debug, Clone, QueryableByName)]
#[diesel(table_name = webhook_deliveries)]
pub struct Claimed {
    /// The message id (`webhook-id`).
    pub id: String,
    /// The webhook it goes to.
    pub webhook_id: String,
    /// The event's topic.
    pub topic: String,
    /// The reset or customer it is about.
    pub resource_id: String,
    /// The document rendered at commit.
    pub payload: String,
    /// A create event's sealed token.
    pub sealed_token: Option<String>,
    /// Attempts already made.
    pub attempts: i32,
    /// When the event was committed.
    pub created_at: NaiveDateTime,
    /// When this round of attempts began (the commit, or the last redelivery).
    pub round_started_at: NaiveDateTime,
}

/// Leases up to `limit` due deliveries to `owner` until `lease_until`: pending, due by
/// `now`, not leased by a live sender, of an enabled webhook whose circuit is closed and
/// that is not in `skipped` (webhooks this sender already has enough attempts in flight
/// to); the longest-waiting first.
pub async fn claim(
    conn: &mut Conn,
    owner: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    skipped: &[&str],
    limit: i64,
) -> Result<Vec<Claimed>, DbError> {
    // The skipped ids as one bound text, `,id,id,`, searched for `,id,` (ids hold no
    // comma): one statement whatever their number.
    let skipped = format!(",{},", skipped.join(","));
    let position = format!(
        "{}($4, ',' || d.webhook_id || ',')",
        conn.text_position_function()
    );
    let sql = format!(
        "UPDATE webhook_deliveries SET lease_owner = $1, lease_until = $2 \
         WHERE id IN (SELECT d.id FROM webhook_deliveries d \
             WHERE d.state = 'pending' AND d.next_attempt_at <= $3 \
             AND (d.lease_until IS NULL OR d.lease_until < $3) \
             AND {position} = 0 \
             AND d.webhook_id IN (SELECT w.id FROM webhooks w \
                 WHERE w.disabled_at IS NULL AND w.circuit_state = 'closed') \
             ORDER BY d.next_attempt_at LIMIT $5{}) \
         RETURNING id, webhook_id, topic, resource_id, payload, sealed_token, attempts, created_at, \
         round_started_at",
        conn.skip_locked_clause()
    );
    Ok(db_run!(conn, |c| {
        diesel::sql_query(&sql)
            .bind::<Text, _>(owner)
            .bind::<Timestamp, _>(lease_until)
            .bind::<Timestamp, _>(now)
            .bind::<Text, _>(&skipped)
            .bind::<BigInt, _>(limit)
            // Prepared once per connection: the text has one form per backend.
            .cached_sql()
            .load(c)
            .await
    })?)
}

/// Gives claimed deliveries back unsent (a sender stopping): they are due again at once,
/// for any instance, with no attempt counted.
pub async fn release(conn: &mut Conn, owner: &str, ids: &[String]) -> Result<usize, DbError> {
    Ok(db_run!(conn, |c| {
        diesel::update(
            webhook_deliveries::table
                .filter(webhook_deliveries::id.eq_any(ids))
                .filter(webhook_deliveries::lease_owner.eq(owner)),
        )
        .set((
            webhook_deliveries::lease_owner.eq(None::<String>),
            webhook_deliveries::lease_until.eq(None::<NaiveDateTime>),
        ))
        .execute(c)
        .await
    })?)
}

/// What an attempt leaves the delivery as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Done: a 2xx answered.
    Delivered,
    /// Try again at this time.
    RetryAt(NaiveDateTime),
    /// Every attempt failed, or the event outlived the retry horizon.
    Failed,
}

/// One attempt's outcome, to record.
#[derive(Debug, Clone)]
pub struct Attempted<'a> {
    /// The delivery.
    pub delivery_id: &'a str,
    /// Who holds its lease.
    pub owner: &'a str,
    /// Its webhook.
    pub webhook_id: &'a str,
    /// Its topic.
    pub topic: &'a str,
    /// Where it was sent.
    pub callback_url: &'a str,
    /// The status received, if an answer came.
    pub response_code: Option<i32>,
    /// A short account of the answer.
    pub response_message: &'a str,
    /// This attempt's number, from 1.
    pub attempt: i32,
    /// When it was made.
    pub at: NaiveDateTime,
    /// What comes next.
    pub next: Next,
    /// What the attempt tells the webhook's circuit.
    pub verdict: Verdict,
}

/// What an attempt tells its webhook's circuit, which counts what the receiver did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The receiver took the event: the failures in a row start again from zero.
    Took,
    /// The send failed (an error status, no answer, an address refused): one more
    /// failure in a row.
    Failed,
    /// Nothing was sent (the event was too old, or could not be signed): the receiver
    /// did nothing, and the circuit stays as it is.
    NotSent,
}

/// Records an attempt: its event callback, the delivery's next state (only while `owner`
/// still holds it) and the webhook's circuit, which opens at `circuit_threshold` failures
/// in a row. Run it in one transaction. Returns the new callback's id.
pub async fn record_attempt(
    conn: &mut Conn,
    attempted: &Attempted<'_>,
    callback_id: &str,
    circuit_threshold: i32,
) -> Result<(), DbError> {
    let a = attempted;
    let (state, next_at, settled_at) = match a.next {
        Next::Delivered => (DeliveryState::Delivered, a.at, Some(a.at)),
        Next::RetryAt(at) => (DeliveryState::Pending, at, None),
        Next::Failed => (DeliveryState::Failed, a.at, Some(a.at)),
    };
    let settled = settled_at.is_some();
    db_run!(conn, |c| {
        let delivery = webhook_deliveries::table
            .filter(webhook_deliveries::id.eq(a.delivery_id))
            .filter(webhook_deliveries::lease_owner.eq(a.owner));
        if settled {
            // A settled delivery keeps no token.
            diesel::update(delivery)
                .set(webhook_deliveries::sealed_token.eq(None::<String>))
                .execute(c)
                .await?;
        }
        diesel::update(delivery)
            .set((
                webhook_deliveries::state.eq(state.as_str()),
                webhook_deliveries::attempts.eq(a.attempt),
                webhook_deliveries::next_attempt_at.eq(next_at),
                webhook_deliveries::settled_at.eq(settled_at),
                webhook_deliveries::lease_owner.eq(None::<String>),
                webhook_deliveries::lease_until.eq(None::<NaiveDateTime>),
            ))
            .execute(c)
            .await?;
        diesel::insert_into(event_callbacks::table)
            .values((
                event_callbacks::id.eq(callback_id),
                event_callbacks::webhook_id.eq(a.webhook_id),
                event_callbacks::topic.eq(a.topic),
                event_callbacks::callback_url.eq(a.callback_url),
                event_callbacks::response_code.eq(a.response_code),
                event_callbacks::response_message.eq(a.response_message),
                event_callbacks::attempt.eq(a.attempt),
                event_callbacks::created_at.eq(a.at),
                event_callbacks::delivery_id.eq(a.delivery_id),
            ))
            .execute(c)
            .await?;
        let webhook = webhooks::table.find(a.webhook_id);
        match a.verdict {
            Verdict::Failed => {
                diesel::update(webhook)
                    .set(webhooks::circuit_failure_count.eq(webhooks::circuit_failure_count + 1))
                    .execute(c)
                    .await?;
                let full = webhook.filter(webhooks::circuit_failure_count.ge(circuit_threshold));
                diesel::update(full)
                    .set(webhooks::circuit_state.eq(CircuitState::Open.as_str()))
                    .execute(c)
                    .await?;
            }
            Verdict::Took => {
                diesel::update(webhook.filter(webhooks::circuit_failure_count.ne(0)))
                    .set(webhooks::circuit_failure_count.eq(0))
                    .execute(c)
                    .await?;
            }
            Verdict::NotSent => {}
        }
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(())
}

/// Which create events' tokens [`forget_tokens`] looks at.
#[derive(Debug, Clone, Copy)]
pub enum TokenScope<'a> {
    /// Every one (the periodic sweep).
    All,
    /// Those of one reset.
    Reset(&'a str),
    /// Those of one customer's resets.
    CustomerResets(&'a str),
}

/// Erases the sealed token of every create event, in `scope`, whose reset is no longer
/// pending at `now` (used, expired, killed by wrong tokens, or deleted), and discards
/// those deliveries: a token that can no longer be redeemed is not sent. Returns how many.
pub async fn forget_tokens(
    conn: &mut Conn,
    scope: TokenScope<'_>,
    now: NaiveDateTime,
) -> Result<usize, DbError> {
    let (scope_sql, scope_id) = match scope {
        // Bound as a null that the text tests, so that every form takes four parameters.
        TokenScope::All => (" AND $4 IS NULL", None),
        TokenScope::Reset(id) => (" AND resource_id = $4", Some(id)),
        TokenScope::CustomerResets(id) => (
            " AND resource_id IN (SELECT id FROM customer_password_resets WHERE customer_id = $4)",
            Some(id),
        ),
    };
    let sql = format!(
        "UPDATE webhook_deliveries SET sealed_token = NULL, state = $1, settled_at = $2 \
         WHERE sealed_token IS NOT NULL AND NOT EXISTS (SELECT 1 FROM customer_password_resets r \
             WHERE r.id = webhook_deliveries.resource_id AND r.reset_password_at IS NULL \
             AND r.expires_at > $2 AND r.failed_attempts < $3){scope_sql}"
    );
    let discarded = DeliveryState::Discarded.as_str();
    Ok(db_run!(conn, |c| {
        diesel::sql_query(&sql)
            .bind::<Text, _>(discarded)
            .bind::<Timestamp, _>(now)
            .bind::<Integer, _>(MAX_FAILED_ATTEMPTS)
            .bind::<Nullable<Text>, _>(scope_id)
            // Prepared once per connection: one text per scope.
            .cached_sql()
            .execute(c)
            .await
    })?)
}

/// Deletes the deliveries settled before `before` and the event callbacks made before it.
pub async fn prune(conn: &mut Conn, before: NaiveDateTime) -> Result<(), DbError> {
    db_run!(conn, |c| {
        diesel::delete(event_callbacks::table.filter(event_callbacks::created_at.lt(before)))
            .execute(c)
            .await?;
        diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::settled_at.lt(before)))
            .execute(c)
            .await
    })?;
    Ok(())
}

/// How the outbox stands, for the metrics.
#[derive(Debug, Clone, Copy, Default)]
pub struct Depth {
    /// Deliveries waiting.
    pub pending: i64,
    /// When the longest-waiting one was committed.
    pub oldest: Option<NaiveDateTime>,
    /// Webhooks whose circuit is open.
    pub open_circuits: i64,
}

/// Reads [`Depth`].
pub async fn depth(conn: &mut Conn) -> Result<Depth, DbError> {
    let pending = DeliveryState::Pending.as_str();
    let open = CircuitState::Open.as_str();
    let ((count, oldest), open_circuits) = db_run!(conn, |c| {
        let waiting = webhook_deliveries::table
            .filter(webhook_deliveries::state.eq(pending))
            .select((
                diesel::dsl::count_star(),
                diesel::dsl::min(webhook_deliveries::created_at),
            ))
            .first::<(i64, Option<NaiveDateTime>)>(c)
            .await?;
        let open = webhooks::table
            .filter(webhooks::circuit_state.eq(open))
            .count()
            .get_result::<i64>(c)
            .await?;
        Ok::<_, diesel::result::Error>((waiting, open))
    })?;
    Ok(Depth {
        pending: count,
        oldest,
        open_circuits,
    })
}

/// Where and with what a webhook's deliveries are sent.
#[derive(Debug, Clone, Queryable)]
pub struct Target {
    /// The callback URL.
    pub callback_url: String,
    /// The current shared secret.
    pub shared_secret: String,
    /// The secret before the last rotation.
    pub previous_shared_secret: Option<String>,
    /// When that one stops signing.
    pub previous_secret_expires_at: Option<NaiveDateTime>,
}

/// The webhook's [`Target`]; none when it was deleted.
pub async fn target(conn: &mut Conn, webhook_id: &str) -> Result<Option<Target>, DbError> {
    Ok(db_run!(conn, |c| {
        webhooks::table
            .find(webhook_id)
            .select((
                webhooks::callback_url,
                webhooks::shared_secret,
                webhooks::previous_shared_secret,
                webhooks::previous_secret_expires_at,
            ))
            .first(c)
            .await
            .optional()
    })?)
}
