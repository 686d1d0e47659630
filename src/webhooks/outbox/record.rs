//! Writing an event's deliveries, inside the transaction of the change that causes it.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde_json::Value;

use super::{DeliveryState, Outbox};
use crate::auth::{Mode, secrets};
use crate::db::schema::{webhook_deliveries, webhooks};
use crate::db::{CachedSqlExt, Conn, DbError, now};
use crate::db_run;
use crate::webhooks::sealed;
use crate::webhooks::topic::Topic;

/// What an event is about, as the change left it. The resources implement it (a customer,
/// a reset, a deleted reset) and render their own documents, so that the outbox names
/// none of them: the dependency points from the resources to the outbox.
pub trait Subject: Sync {
    /// The id of the resource the event is about.
    fn resource_id(&self) -> &str;

    /// Its JSON:API document ([`crate::webhooks::payload`]), without the resources a
    /// webhook may ask to include.
    fn document(&self) -> Value;

    /// Its document with the `customer` included, for the webhooks that ask for it: read
    /// in the change's transaction, and only when one of them does. None when the subject
    /// has no customer to include (the plain document goes out then).
    fn document_with_customer<'a>(
        &'a self,
        _conn: &'a mut Conn,
        _mode: Mode,
    ) -> BoxFuture<'a, Result<Option<Value>, DbError>> {
        async { Ok(None) }.boxed()
    }

    /// A create event's token in clear (it is sealed, never stored clear).
    fn token(&self) -> Option<&str> {
        None
    }
}

#[derive(Insertable)]
#[diesel(table_name = webhook_deliveries)]
struct NewDelivery {
    id: String,
    webhook_id: String,
    mode: String,
    topic: String,
    resource_id: String,
    payload: String,
    sealed_token: Option<String>,
    state: String,
    next_attempt_at: NaiveDateTime,
    round_started_at: NaiveDateTime,
    created_at: NaiveDateTime,
}

/// A new Standard Webhooks message id: `msg_` and random letters and digits (no `.`,
/// which the signed content uses as its separator).
fn message_id() -> String {
    format!("msg_{}", secrets::random_id(24))
}

/// Writes one delivery of the event per webhook of `topic` in `mode` enabled now, and
/// returns how many. Call it inside the change's transaction, then [`Outbox::wake`] after
/// the commit when it wrote any.
pub async fn record(
    conn: &mut Conn,
    outbox: &Outbox,
    mode: Mode,
    topic: Topic,
    subject: &impl Subject,
) -> Result<usize, DbError> {
    let subscribers: Vec<(String, String)> = db_run!(conn, |c| {
        webhooks::table
            .filter(webhooks::mode.eq(mode.as_str()))
            .filter(webhooks::topic.eq(topic.as_str()))
            .filter(webhooks::disabled_at.is_null())
            .select((webhooks::id, webhooks::include_resources))
            .cached_sql()
            .load(c)
            .await
    })?;
    if subscribers.is_empty() {
        return Ok(0);
    }
    let includes_customer = |resources: &str| {
        serde_json::from_str::<Vec<String>>(resources)
            .is_ok_and(|names| names.iter().any(|name| name == "customer"))
    };
    let with_customer = match subscribers.iter().any(|(_, r)| includes_customer(r)) {
        true => subject.document_with_customer(conn, mode).await?,
        false => None,
    };
    let text = |document: &Value| document.to_string();
    let (plain, with_customer) = (text(&subject.document()), with_customer.as_ref().map(text));
    let token = subject.token().filter(|_| topic.carries_token());
    let at = now();
    let rows: Vec<NewDelivery> = subscribers
        .iter()
        .map(|(webhook_id, resources)| {
            let id = message_id();
            let payload = match (&with_customer, includes_customer(resources)) {
                (Some(with_customer), true) => with_customer.clone(),
                _ => plain.clone(),
            };
            NewDelivery {
                sealed_token: token.map(|token| sealed::seal(outbox.key(), &id, token)),
                id,
                webhook_id: webhook_id.clone(),
                mode: mode.as_str().to_owned(),
                topic: topic.as_str().to_owned(),
                resource_id: subject.resource_id().to_owned(),
                payload,
                state: DeliveryState::Pending.as_str().to_owned(),
                next_attempt_at: at,
                round_started_at: at,
                created_at: at,
            }
        })
        .collect();
    // One statement per webhook: diesel-async's SQLite takes no multi-row insert, and a
    // topic has few webhooks.
    for row in &rows {
        db_run!(conn, |c| {
            diesel::insert_into(webhook_deliveries::table)
                .values(row)
                .execute(c)
                .await
        })?;
    }
    Ok(rows.len())
}
