//! Writing an event's deliveries, inside the transaction of the change that causes it.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::Value;

use super::{DeliveryState, Outbox};
use crate::auth::{Mode, secrets};
use crate::customers::{Customer, queries as customer_queries};
use crate::db::schema::{webhook_deliveries, webhooks};
use crate::db::{CachedSqlExt, Conn, DbResult, now};
use crate::db_run;
use crate::resets::PasswordReset;
use crate::webhooks::topic::Topic;
use crate::webhooks::{payload, sealed};

/// What an event is about, as the change left it.
pub enum Subject<'a> {
    /// A reset; `token` in clear for a create event (it is sealed, never stored clear).
    Reset {
        /// The reset.
        reset: &'a PasswordReset,
        /// Its token, for `customer_password_resets.create`.
        token: Option<&'a str>,
    },
    /// A reset that was deleted.
    DeletedReset {
        /// Its id.
        id: &'a str,
    },
    /// A customer.
    Customer(&'a Customer),
}

impl Subject<'_> {
    fn resource_id(&self) -> &str {
        match self {
            Subject::Reset { reset, .. } => &reset.id,
            Subject::DeletedReset { id } => id,
            Subject::Customer(customer) => &customer.id,
        }
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
    subject: Subject<'_>,
) -> DbResult<usize> {
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
    let (plain, with_customer) = match &subject {
        Subject::Reset { reset, .. } => {
            let customer = match subscribers.iter().any(|(_, r)| includes_customer(r)) {
                true => customer_queries::find(conn, mode, &reset.customer_id).await?,
                false => None,
            };
            let with_customer = customer
                .as_ref()
                .map(|customer| payload::reset_document(reset, Some(customer)));
            (payload::reset_document(reset, None), with_customer)
        }
        Subject::DeletedReset { id } => (payload::deleted_reset_document(id, mode.as_str()), None),
        Subject::Customer(customer) => (payload::customer_document(customer), None),
    };
    let text = |document: &Value| document.to_string();
    let (plain, with_customer) = (text(&plain), with_customer.as_ref().map(text));
    let token = match &subject {
        Subject::Reset { token, .. } if topic.carries_token() => *token,
        _ => None,
    };
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
