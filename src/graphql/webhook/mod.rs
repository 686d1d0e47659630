//! The `Webhook` and `EventCallback` types and the webhook root fields (integrations
//! only). Resolvers parse, call the webhook module and map the result; the rules live in
//! `crate::webhooks::resource`.

mod root;

pub use root::{WebhookMutation, WebhookQuery};

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Enum, ID, Object};
use secrecy::{ExposeSecret, SecretString};

use super::error::ApiError;
use super::loaders::HeldFetches;
use super::scalars::{DateTime, Json, Mode, ResourceMeta};
use crate::db::{Db, DbError};
use crate::webhooks::resource::{self as webhooks, CircuitState, EventCallback, Webhook};

/// A subscription of an integration to one topic of its mode: each event of that topic
/// is sent to `callbackUrl`, signed with the shared secret.
pub struct WebhookNode {
    webhook: Webhook,
    /// The shared secret in clear: only in the answer that creates or rotates it.
    secret: Option<SecretString>,
}

impl WebhookNode {
    /// A webhook as read back (no secret).
    pub fn read(webhook: Webhook) -> WebhookNode {
        WebhookNode {
            webhook,
            secret: None,
        }
    }
}

/// Whether a webhook's deliveries go out.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "WebhookCircuitState")]
pub enum CircuitStateValue {
    /// Deliveries go out.
    Closed,
    /// Too many deliveries failed in a row: nothing is sent (events wait) until
    /// `resetCircuit`.
    Open,
}

impl From<CircuitState> for CircuitStateValue {
    fn from(state: CircuitState) -> Self {
        match state {
            CircuitState::Closed => CircuitStateValue::Closed,
            CircuitState::Open => CircuitStateValue::Open,
        }
    }
}

impl From<CircuitStateValue> for CircuitState {
    fn from(state: CircuitStateValue) -> Self {
        match state {
            CircuitStateValue::Closed => CircuitState::Closed,
            CircuitStateValue::Open => CircuitState::Open,
        }
    }
}

/// A subscription of an integration to one topic of its mode: each event of that topic
/// is sent to `callbackUrl`, signed with the shared secret.
#[Object(name = "Webhook", serial)]
impl WebhookNode {
    /// Unique identifier (opaque, random).
    async fn id(&self) -> ID {
        ID(self.webhook.id.clone())
    }

    /// A name for people.
    async fn name(&self) -> &str {
        &self.webhook.name
    }

    /// The event it receives, such as `customer_password_resets.create`.
    async fn topic(&self) -> &str {
        &self.webhook.topic
    }

    /// Where events are POSTed.
    async fn callback_url(&self) -> &str {
        &self.webhook.callback_url
    }

    /// Related resources included in each payload (`customer`, for reset topics).
    async fn include_resources(&self) -> Vec<String> {
        self.webhook.include_resources()
    }

    /// The secret that signs deliveries (`whsec_` + Base64 of 32 random bytes). Only in
    /// the answer to `createWebhook` and to `updateWebhook` with `rotateSharedSecret`;
    /// null on every other read: keep it when you get it.
    async fn shared_secret(&self) -> Option<&str> {
        self.secret.as_ref().map(ExposeSecret::expose_secret)
    }

    /// When the webhook was disabled; null while it is enabled.
    async fn disabled_at(&self) -> Option<DateTime> {
        self.webhook.disabled_at.map(Into::into)
    }

    /// `CLOSED` while deliveries go out, `OPEN` after too many failures in a row.
    async fn circuit_state(&self) -> CircuitStateValue {
        self.webhook.circuit_state().into()
    }

    /// Failed deliveries in a row.
    async fn circuit_failure_count(&self) -> i32 {
        self.webhook.circuit_failure_count
    }

    /// The last 10 delivery attempts, newest first.
    async fn last_event_callbacks(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<EventCallbackNode>> {
        let loader = ctx.data_unchecked::<DataLoader<EventCallbackLoader>>();
        let callbacks = loader
            .load_one(self.webhook.id.clone())
            .await
            .map_err(|e| {
                ApiError::Internal(anyhow::anyhow!("loading event callbacks: {e}")).into_graphql()
            })?
            .unwrap_or_default();
        Ok(callbacks.iter().cloned().map(EventCallbackNode).collect())
    }

    /// Your own identifier for the webhook.
    async fn reference(&self) -> Option<&str> {
        self.webhook.reference.as_deref()
    }

    /// Where `reference` comes from.
    async fn reference_origin(&self) -> Option<&str> {
        self.webhook.reference_origin.as_deref()
    }

    /// Key-value pairs you attached.
    async fn metadata(&self) -> Json {
        Json(self.webhook.metadata())
    }

    /// When the webhook was created.
    async fn created_at(&self) -> DateTime {
        self.webhook.created_at.into()
    }

    /// When the webhook was last changed.
    async fn updated_at(&self) -> DateTime {
        self.webhook.updated_at.into()
    }

    /// Facts about the record: its mode.
    async fn meta(&self) -> ResourceMeta {
        ResourceMeta {
            mode: Mode::from_stored(&self.webhook.mode),
        }
    }
}

/// One delivery attempt of an event to a webhook.
pub struct EventCallbackNode(pub EventCallback);

/// One delivery attempt of an event to a webhook.
#[Object(name = "EventCallback", serial)]
impl EventCallbackNode {
    /// Unique identifier (opaque, random).
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    /// The event's topic.
    async fn topic(&self) -> &str {
        &self.0.topic
    }

    /// Where the event was sent.
    async fn callback_url(&self) -> &str {
        &self.0.callback_url
    }

    /// The HTTP status the receiver answered; null when no answer came (a timeout, a
    /// refused address).
    async fn response_code(&self) -> Option<i32> {
        self.0.response_code
    }

    /// A short account of the answer, or of why none came.
    async fn response_message(&self) -> &str {
        &self.0.response_message
    }

    /// Which attempt this was, from 1.
    async fn attempt(&self) -> i32 {
        self.0.attempt
    }

    /// When the attempt was made.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
}

/// Loads the last event callbacks of webhooks by webhook id (one connection per batch).
pub struct EventCallbackLoader {
    db: Db,
}

/// The event callback loader of one request. Webhooks reach it only once their mode was
/// checked, so it needs no mode of its own.
pub fn callbacks_loader(db: &Db, held: &HeldFetches) -> DataLoader<EventCallbackLoader> {
    held.batching(EventCallbackLoader { db: db.clone() })
}

impl Loader<String> for EventCallbackLoader {
    type Value = Arc<[EventCallback]>;
    type Error = Arc<DbError>;

    async fn load(
        &self,
        webhook_ids: &[String],
    ) -> Result<HashMap<String, Arc<[EventCallback]>>, Self::Error> {
        let mut conn = self.db.read().await?;
        let callbacks = webhooks::queries::last_callbacks(&mut conn, webhook_ids).await?;
        let mut by_webhook: HashMap<String, Vec<EventCallback>> = webhook_ids
            .iter()
            .map(|id| (id.clone(), Vec::new()))
            .collect();
        for callback in callbacks {
            by_webhook
                .entry(callback.webhook_id.clone())
                .or_default()
                .push(callback);
        }
        Ok(by_webhook
            .into_iter()
            .map(|(id, callbacks)| (id, Arc::from(callbacks)))
            .collect())
    }
}
