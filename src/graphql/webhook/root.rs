//! The webhook root fields, their inputs, and how webhook errors reach clients.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object};

use super::{CircuitStateValue, EventCallbackNode, WebhookNode};
use crate::graphql::customer::maybe;
use crate::graphql::error::{ApiError, GraphqlResult};
use crate::graphql::guards::{Permission, principal, state};
use crate::graphql::pagination::{self, ListConnection};
use crate::graphql::scalars::{Json, SortDirection};
use crate::webhooks::outbox;
use crate::webhooks::resource::{self as webhooks, WebhookError};

impl From<WebhookError> for ApiError {
    fn from(e: WebhookError) -> Self {
        match e {
            WebhookError::NotFound => ApiError::NotFound("webhook"),
            WebhookError::CallbackNotFound => ApiError::NotFound("event callback"),
            WebhookError::ForbiddenField(problem) => ApiError::UnauthorizedField(problem),
            WebhookError::Invalid(problem) => ApiError::Invalid(problem),
            WebhookError::Db(e) => e.into(),
        }
    }
}

/// Filters for the webhooks list (Commerce Layer predicate names); all given ones apply.
#[derive(InputObject, Debug, Default)]
pub struct WebhookFilter {
    /// Topic equals.
    pub topic_eq: Option<String>,
    /// Name equals.
    pub name_eq: Option<String>,
    /// Circuit state equals.
    pub circuit_state_eq: Option<CircuitStateValue>,
    /// True: enabled webhooks; false: disabled ones.
    pub disabled_at_null: Option<bool>,
}

/// Fields webhooks can be sorted by.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookSortField {
    /// Id.
    Id,
    /// Creation time.
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

/// A sort order for webhooks; ties are broken by id. Default: `createdAt`, ascending.
#[derive(InputObject, Debug)]
pub struct WebhookSort {
    /// The field to sort by.
    pub field: WebhookSortField,
    /// The direction.
    #[graphql(default)]
    pub direction: SortDirection,
}

/// The fields of a new webhook.
#[derive(InputObject)]
pub struct CreateWebhookInput {
    /// A name for people (at most 255 characters).
    pub name: String,
    /// The event to receive: `customer_password_resets.create`,
    /// `customer_password_resets.reset_password`, `customer_password_resets.destroy`,
    /// `customers.create` or `customers.create_password`.
    pub topic: String,
    /// Where to POST events: an `http` or `https` URL with a host.
    pub callback_url: String,
    /// Related resources to include in each payload: `customer`, for reset topics.
    #[graphql(default)]
    pub include_resources: Vec<String>,
    /// Your own identifier for the webhook (at most 255 characters).
    pub reference: Option<String>,
    /// Where `reference` comes from (at most 255 characters).
    pub reference_origin: Option<String>,
    /// Key-value pairs to attach, a JSON object (at most 16 KiB as JSON).
    pub metadata: Option<Json>,
}

/// Changes to a webhook; fields left out stay as they are, `null` clears. The Boolean
/// triggers act when true.
#[derive(InputObject)]
pub struct UpdateWebhookInput {
    /// New name.
    pub name: Option<String>,
    /// New topic.
    pub topic: Option<String>,
    /// New callback URL.
    pub callback_url: Option<String>,
    /// New included resources, replacing the old.
    pub include_resources: Option<Vec<String>>,
    /// Stops deliveries (Commerce Layer's `_disable`); not with `enable`.
    pub disable: Option<bool>,
    /// Resumes deliveries (Commerce Layer's `_enable`); not with `disable`.
    pub enable: Option<bool>,
    /// Closes the circuit and forgets the failures (Commerce Layer's `_reset_circuit`):
    /// waiting events go out.
    pub reset_circuit: Option<bool>,
    /// Makes a new shared secret, shown in this answer only; the current one keeps
    /// signing beside it for 24 hours.
    pub rotate_shared_secret: Option<bool>,
    /// New reference (at most 255 characters).
    pub reference: MaybeUndefined<String>,
    /// New reference origin (at most 255 characters).
    pub reference_origin: MaybeUndefined<String>,
    /// New metadata, replacing the old (at most 16 KiB as JSON).
    pub metadata: Option<Json>,
}

fn filter_from(input: WebhookFilter) -> webhooks::WebhookFilter {
    webhooks::WebhookFilter {
        topic_eq: input.topic_eq,
        name_eq: input.name_eq,
        circuit_state_eq: input.circuit_state_eq.map(Into::into),
        disabled_at_null: input.disabled_at_null,
    }
}

fn sort_from(input: Option<WebhookSort>) -> webhooks::WebhookSort {
    use WebhookSortField as F;
    use webhooks::WebhookSortField as D;
    input.map_or_else(webhooks::WebhookSort::default, |s| webhooks::WebhookSort {
        field: match s.field {
            F::Id => D::Id,
            F::CreatedAt => D::CreatedAt,
            F::UpdatedAt => D::UpdatedAt,
            F::Name => D::Name,
            F::Reference => D::Reference,
            F::ReferenceOrigin => D::ReferenceOrigin,
        },
        direction: s.direction.into(),
    })
}

/// Webhook queries.
#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// One webhook by id (integrations only).
    #[graphql(guard = "Permission::Webhook")]
    async fn webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The webhook's id.")] id: ID,
    ) -> async_graphql::Result<WebhookNode> {
        let webhook = webhooks::find(&state(ctx).db, principal(ctx)?, &id)
            .await
            .or_graphql()?;
        Ok(WebhookNode::read(webhook))
    }

    /// The webhooks of the caller's mode, a page at a time (integrations only).
    #[graphql(
        guard = "Permission::Webhooks",
        complexity = "first.unwrap_or(10).max(1) as usize * child_complexity"
    )]
    async fn webhooks(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only webhooks matching every given predicate.")] filter: Option<
            WebhookFilter,
        >,
        #[graphql(desc = "Sort order (default: `createdAt` ascending).")] sort: Option<WebhookSort>,
        #[graphql(desc = "Page size: 1 to 25, default 10.")] first: Option<i32>,
        #[graphql(desc = "Return records after this cursor.")] after: Option<String>,
    ) -> async_graphql::Result<ListConnection<WebhookNode>> {
        let sort = sort_from(sort);
        let state = state(ctx);
        let cursors = state.signer.cursor_key();
        let scope = sort.scope();
        let window = pagination::window(cursors, first, after.as_deref(), "", &scope, sort.kind())
            .or_graphql()?;
        let filter = filter_from(filter.unwrap_or_default());
        let with_total = ctx.look_ahead().field("totalCount").exists();
        let (page, total) = webhooks::list(
            &state.db,
            principal(ctx)?,
            &filter,
            sort,
            window,
            with_total,
        )
        .await
        .or_graphql()?;
        Ok(pagination::connection(
            Arc::from(scope.as_str()),
            page,
            total,
            |r| sort.key(r),
            WebhookNode::read,
        ))
    }
}

/// Webhook mutations.
#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Creates a webhook in the caller's mode (integrations only). The answer carries
    /// `sharedSecret`, shown this once.
    #[graphql(guard = "Permission::CreateWebhook")]
    async fn create_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new webhook's fields.")] input: CreateWebhookInput,
    ) -> async_graphql::Result<WebhookNode> {
        let input = webhooks::NewWebhookInput {
            name: input.name,
            topic: input.topic,
            callback_url: input.callback_url,
            include_resources: input.include_resources,
            reference: input.reference,
            reference_origin: input.reference_origin,
            metadata: input.metadata.map(|m| m.0),
        };
        let state = state(ctx);
        let rules = state.config.webhook_callback_rules();
        let created = webhooks::create(&state.db, principal(ctx)?, input, rules)
            .await
            .or_graphql()?;
        Ok(WebhookNode {
            webhook: created.webhook,
            secret: Some(created.shared_secret),
        })
    }

    /// Changes a webhook (integrations only): its fields, and the triggers `disable`,
    /// `enable`, `resetCircuit` and `rotateSharedSecret` (whose answer carries the new
    /// `sharedSecret`, shown this once).
    #[graphql(guard = "Permission::UpdateWebhook")]
    async fn update_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The webhook's id.")] id: ID,
        #[graphql(desc = "The fields to change and the triggers to pull.")]
        input: UpdateWebhookInput,
    ) -> async_graphql::Result<WebhookNode> {
        let changes = webhooks::WebhookChanges {
            name: input.name,
            topic: input.topic,
            callback_url: input.callback_url,
            include_resources: input.include_resources,
            disable: input.disable.unwrap_or(false),
            enable: input.enable.unwrap_or(false),
            reset_circuit: input.reset_circuit.unwrap_or(false),
            rotate_shared_secret: input.rotate_shared_secret.unwrap_or(false),
            reference: maybe(input.reference),
            reference_origin: maybe(input.reference_origin),
            metadata: input.metadata.map(|m| m.0),
        };
        let state = state(ctx);
        let rules = state.config.webhook_callback_rules();
        let (webhook, secret) = webhooks::update(&state.db, principal(ctx)?, &id, changes, rules)
            .await
            .or_graphql()?;
        Ok(WebhookNode { webhook, secret })
    }

    /// Sends the event of this delivery attempt to its webhook again (integrations
    /// only), under the same `webhook-id` and with a fresh retry schedule; answers the
    /// attempt given. A `customer_password_resets.create` event whose token is no longer
    /// kept (delivered, failed, used or expired) is a `VALIDATION_ERROR` on `/id`: create
    /// a new reset instead.
    #[graphql(guard = "Permission::RedeliverEventCallback")]
    async fn redeliver_event_callback(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The event callback's id.")] id: ID,
    ) -> async_graphql::Result<EventCallbackNode> {
        let state = state(ctx);
        let callback = outbox::redeliver(&state.db, &state.outbox, principal(ctx)?, &id)
            .await
            .or_graphql()?;
        Ok(EventCallbackNode(callback))
    }

    /// Deletes a webhook with its event callbacks (integrations only); returns the
    /// deleted id.
    #[graphql(guard = "Permission::DeleteWebhook")]
    async fn delete_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The webhook's id.")] id: ID,
    ) -> async_graphql::Result<ID> {
        let deleted = webhooks::delete(&state(ctx).db, principal(ctx)?, &id)
            .await
            .or_graphql()?;
        Ok(ID(deleted))
    }
}
