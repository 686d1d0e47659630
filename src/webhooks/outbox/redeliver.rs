//! Sending an event again: `redeliverEventCallback`.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;

use super::{DeliveryState, Outbox};
use crate::auth::Principal;
use crate::db::schema::{event_callbacks, webhook_deliveries, webhooks};
use crate::db::{Db, DbError, now};
use crate::db_run;
use crate::listing::FieldProblem;
use crate::webhooks::resource::{EventCallback, WebhookError};
use crate::webhooks::topic::Topic;

/// Queues the event of event callback `id` (of the caller's mode) again for its webhook,
/// under the same `webhook-id`, with a fresh retry schedule, and answers that callback.
/// A create event whose token is gone (delivered, failed, or its reset no longer pending)
/// cannot be sent again: a new reset is the way to send a new link.
pub async fn redeliver(
    db: &Db,
    outbox: &Outbox,
    caller: &Principal,
    id: &str,
) -> Result<EventCallback, WebhookError> {
    let (mode, id) = (caller.mode, id.to_owned());
    let callback = db
        .transaction(move |conn| {
            async move {
                let callback: Option<EventCallback> = db_run!(conn, |c| {
                    event_callbacks::table
                        .inner_join(webhooks::table)
                        .filter(event_callbacks::id.eq(&id))
                        .filter(webhooks::mode.eq(mode.as_str()))
                        .select(EventCallback::as_select())
                        .first(c)
                        .await
                        .optional()
                })
                .map_err(DbError::from)?;
                let callback = callback.ok_or(WebhookError::CallbackNotFound)?;
                let delivery_id = callback.delivery_id.clone().unwrap_or_default();
                let delivery: Option<(Option<String>, String)> = match &callback.delivery_id {
                    Some(delivery_id) => db_run!(conn, |c| {
                        webhook_deliveries::table
                            .find(delivery_id)
                            .select((webhook_deliveries::sealed_token, webhook_deliveries::topic))
                            .first(c)
                            .await
                            .optional()
                    })
                    .map_err(DbError::from)?,
                    None => None,
                };
                let Some((sealed_token, topic)) = delivery else {
                    return Err(refused("gone", "its event is no longer kept"));
                };
                let carries_token = Topic::parse(&topic).is_some_and(Topic::carries_token);
                if carries_token && sealed_token.is_none() {
                    return Err(refused(
                        "token_gone",
                        "its reset's token is no longer kept (delivered, failed, used or \
                         expired): create a new reset instead",
                    ));
                }
                let at = now();
                db_run!(conn, |c| {
                    diesel::update(webhook_deliveries::table.find(&delivery_id))
                        .set((
                            webhook_deliveries::state.eq(DeliveryState::Pending.as_str()),
                            webhook_deliveries::attempts.eq(0),
                            webhook_deliveries::next_attempt_at.eq(at),
                            webhook_deliveries::settled_at.eq(None::<chrono::NaiveDateTime>),
                            // The retry horizon (and the outbox's age) count from the
                            // redelivery: an event redelivered days after it failed is
                            // sent, not failed at once as too old.
                            webhook_deliveries::created_at.eq(at),
                        ))
                        .execute(c)
                        .await
                })
                .map_err(DbError::from)?;
                Ok(callback)
            }
            .boxed()
        })
        .await?;
    outbox.wake();
    Ok(callback)
}

fn refused(key: &'static str, message: &str) -> WebhookError {
    WebhookError::Invalid(FieldProblem::new("/id", key, message))
}
