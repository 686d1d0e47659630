//! Webhooks (DESIGN section 7): an integration's subscription to one topic of its mode,
//! with the shared secret that signs deliveries. This module is the resource (its model,
//! queries and rules); [`crate::webhooks::outbox`] and [`crate::webhooks::delivery`]
//! send its events.
//!
//! The shared secret is stored so that deliveries can be signed, but [`Webhook`], what
//! reads load, does not carry it: it leaves the service only in the answer that creates
//! or rotates it ([`WithSecret`]), as a reset's token does.

pub mod queries;
mod rules;
mod validate;

use chrono::NaiveDateTime;
use diesel::prelude::*;

pub use rules::{NewWebhookInput, WebhookChanges, create, delete, find, list, update};
pub use validate::{CallbackRules, INCLUDABLE, MAX_CALLBACK_URL_CHARS, MAX_NAME_CHARS, TOPICS};

use crate::db::DbError;
use crate::db::schema::{event_callbacks, webhooks};
use crate::listing::{Direction, FieldProblem, Keyset, SortKind, SortValue};

/// How long a rotated-away secret still signs, beside the new one: receivers have a day
/// to switch.
pub const PREVIOUS_SECRET_LIFETIME: chrono::Duration = chrono::Duration::hours(24);

/// How many event callbacks `lastEventCallbacks` lists.
pub const LAST_EVENT_CALLBACKS: i64 = 10;

/// A stored webhook, without its secrets.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhooks)]
pub struct Webhook {
    /// Opaque random id.
    pub id: String,
    /// `test` or `live`.
    pub mode: String,
    /// A name for people.
    pub name: String,
    /// The event it receives, such as `customer_password_resets.create`.
    pub topic: String,
    /// Where events are sent.
    pub callback_url: String,
    /// Related resources included in payloads, as a JSON array of names.
    pub include_resources: String,
    /// When it was disabled; none while enabled.
    pub disabled_at: Option<NaiveDateTime>,
    /// `closed` (deliveries go out) or `open` (too many failures in a row).
    pub circuit_state: String,
    /// Failed deliveries in a row.
    pub circuit_failure_count: i32,
    /// The integrator's identifier.
    pub reference: Option<String>,
    /// Where the reference comes from.
    pub reference_origin: Option<String>,
    /// Key-value pairs, as JSON text.
    pub metadata: String,
    /// Creation time.
    pub created_at: NaiveDateTime,
    /// Last change time.
    pub updated_at: NaiveDateTime,
}

impl Webhook {
    /// The included resources' names.
    pub fn include_resources(&self) -> Vec<String> {
        serde_json::from_str(&self.include_resources).unwrap_or_default()
    }

    /// The metadata as a JSON object.
    pub fn metadata(&self) -> serde_json::Map<String, serde_json::Value> {
        serde_json::from_str(&self.metadata).unwrap_or_default()
    }

    /// The circuit's state.
    pub fn circuit_state(&self) -> CircuitState {
        CircuitState::parse(&self.circuit_state)
    }
}

/// A webhook with its current shared secret in clear: the answer to a creation or a
/// rotation, the only times the secret is shown.
pub struct WithSecret {
    /// The webhook.
    pub webhook: Webhook,
    /// `whsec_` + Base64 of 32 random bytes.
    pub shared_secret: secrecy::SecretString,
}

/// One delivery attempt of an event to a webhook.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = event_callbacks)]
pub struct EventCallback {
    /// Opaque random id.
    pub id: String,
    /// The webhook it was sent to.
    pub webhook_id: String,
    /// The event's topic.
    pub topic: String,
    /// Where it was sent.
    pub callback_url: String,
    /// The HTTP status received; none when no answer came.
    pub response_code: Option<i32>,
    /// A short account of the answer, or of why none came.
    pub response_message: String,
    /// Which attempt this was, from 1.
    pub attempt: i32,
    /// When it was made.
    pub created_at: NaiveDateTime,
    /// The delivery (event and webhook) it was an attempt of; none once pruned.
    pub delivery_id: Option<String>,
}

/// Whether deliveries go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircuitState {
    /// Deliveries go out.
    Closed,
    /// Too many failures in a row: nothing is sent until the circuit is reset.
    Open,
}

impl CircuitState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CircuitState::Closed => "closed",
            CircuitState::Open => "open",
        }
    }

    /// The state of a stored name (anything but `open` is closed).
    pub fn parse(stored: &str) -> CircuitState {
        match stored {
            "open" => CircuitState::Open,
            _ => CircuitState::Closed,
        }
    }
}

/// What webhooks can be filtered on (Commerce Layer's predicate names).
#[derive(Debug, Clone, Default)]
pub struct WebhookFilter {
    /// Topic equals.
    pub topic_eq: Option<String>,
    /// Name equals.
    pub name_eq: Option<String>,
    /// Circuit state equals.
    pub circuit_state_eq: Option<CircuitState>,
    /// True: enabled; false: disabled.
    pub disabled_at_null: Option<bool>,
}

/// What webhooks can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WebhookSortField {
    /// Id.
    Id,
    /// Creation time (the default).
    #[default]
    CreatedAt,
    /// Last change time.
    UpdatedAt,
    /// Name.
    Name,
    /// Reference.
    Reference,
    /// Reference origin.
    ReferenceOrigin,
}

/// A sort order for webhook lists; ties are broken by id.
#[derive(Debug, Clone, Copy, Default)]
pub struct WebhookSort {
    /// The field.
    pub field: WebhookSortField,
    /// The direction.
    pub direction: Direction,
}

impl WebhookSort {
    /// The list and sort a cursor of this order belongs to: a cursor is valid only here.
    pub fn scope(&self) -> String {
        crate::listing::scope("webhooks", &self.field, self.direction)
    }

    /// The kind of value the sort field holds.
    pub fn kind(&self) -> SortKind {
        queries::sort_kind(self.field)
    }

    /// Where `record` stands in this order.
    pub fn key(&self, record: &Webhook) -> Keyset {
        let value = match self.field {
            WebhookSortField::Id => SortValue::Id,
            WebhookSortField::CreatedAt => SortValue::Time(record.created_at),
            WebhookSortField::UpdatedAt => SortValue::Time(record.updated_at),
            WebhookSortField::Name => SortValue::Text(Some(record.name.clone())),
            WebhookSortField::Reference => SortValue::Text(record.reference.clone()),
            WebhookSortField::ReferenceOrigin => SortValue::Text(record.reference_origin.clone()),
        };
        Keyset {
            value,
            id: record.id.clone(),
        }
    }
}

/// Why a webhook operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// No such webhook in the caller's mode.
    #[error("webhook not found")]
    NotFound,
    /// No such event callback in the caller's mode.
    #[error("event callback not found")]
    CallbackNotFound,
    /// The caller may not write this field.
    #[error("not allowed to write {}", .0.pointer)]
    ForbiddenField(FieldProblem),
    /// An input value was refused.
    #[error("invalid input at {}: {}", .0.pointer, .0.key)]
    Invalid(FieldProblem),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<crate::integrator_fields::WriteRefused> for WebhookError {
    fn from(refused: crate::integrator_fields::WriteRefused) -> Self {
        use crate::integrator_fields::WriteRefused;
        match refused {
            WriteRefused::Forbidden(problem) => WebhookError::ForbiddenField(problem),
            WriteRefused::Invalid(problem) => WebhookError::Invalid(problem),
        }
    }
}
