//! The `CustomerPasswordReset` type and its root fields. Resolvers parse, call the resets
//! module and map the result; the rules live in `crate::resets`.

use std::sync::Arc;

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use secrecy::SecretString;

use super::customer::CustomerNode;
use super::error::{ApiError, GraphqlResult};
use super::guards::{Permission, principal, state};
use super::loaders::CustomerLoader;
use super::pagination::{self, ListConnection};
use super::password_slots::{Declared, PasswordSlot};
use super::redemption_fields::RedemptionField;
use super::scalars::{DateTime, Json, Mode, ResourceMeta, SortDirection};
use crate::auth::password::Password;
use crate::customers::Customer;
use crate::rate_limits::Scope;
use crate::resets::{self, ListExtras, ListedReset, PasswordReset, ResetError, ResetStatus};

/// A customer password reset: created by an integration for a customer's email, redeemed
/// once with its token and a new password within its lifetime (6 hours by default).
pub struct ResetNode {
    reset: PasswordReset,
    /// The token in clear: only in the answer to `createCustomerPasswordReset`.
    token: Option<SecretString>,
    /// The customer, when the list that read the reset joined it; otherwise the
    /// request's customer loader reads it.
    customer: Option<Arc<Customer>>,
}

impl ResetNode {
    /// A reset as read back (no token).
    pub fn read(reset: PasswordReset) -> ResetNode {
        ResetNode {
            reset,
            token: None,
            customer: None,
        }
    }

    /// A reset as read, with its customer when the read joined it.
    fn listed((reset, customer): ListedReset) -> ResetNode {
        ResetNode {
            reset,
            token: None,
            customer: customer.map(Arc::new),
        }
    }
}

/// Links to the resource.
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct ResourceLinks {
    /// The resource's canonical URL.
    #[graphql(name = "self")]
    pub self_link: String,
}

/// Where a password reset stands.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "CustomerPasswordResetStatus")]
pub enum ResetStatusValue {
    /// The token can still be redeemed.
    Pending,
    /// The password was reset with it.
    Used,
    /// The token expired, was superseded by a newer reset, or was guessed at 5 times.
    Expired,
}

impl From<ResetStatus> for ResetStatusValue {
    fn from(status: ResetStatus) -> Self {
        match status {
            ResetStatus::Pending => ResetStatusValue::Pending,
            ResetStatus::Used => ResetStatusValue::Used,
            ResetStatus::Expired => ResetStatusValue::Expired,
        }
    }
}

/// A customer password reset: created by an integration for a customer's email, redeemed
/// once with its token and a new password within its lifetime (6 hours by default).
#[Object(name = "CustomerPasswordReset", serial)]
impl ResetNode {
    /// Unique identifier (opaque, random): goes in the link sent to the customer.
    async fn id(&self) -> ID {
        ID(self.reset.id.clone())
    }

    /// The email of the customer whose password is reset (integrations only).
    #[graphql(guard = "Permission::ResetCustomerEmail")]
    async fn customer_email(&self) -> &str {
        &self.reset.customer_email
    }

    /// The token to send to the customer. Only in the answer to
    /// `createCustomerPasswordReset` (integrations); null on every later read, since only a
    /// digest of it is stored.
    #[graphql(guard = "Permission::ResetToken")]
    async fn reset_password_token(&self) -> Option<&str> {
        self.token
            .as_ref()
            .map(secrecy::ExposeSecret::expose_secret)
    }

    /// When the password was reset with this reset; null while it is not used.
    async fn reset_password_at(&self) -> Option<DateTime> {
        self.reset.reset_password_at.map(Into::into)
    }

    /// When the token stops working.
    async fn expires_at(&self) -> DateTime {
        self.reset.expires_at.into()
    }

    /// `PENDING`, `USED` or `EXPIRED`, as of now.
    async fn status(&self) -> ResetStatusValue {
        self.reset.status(crate::db::now()).into()
    }

    /// Your own identifier for the reset (integrations only).
    #[graphql(guard = "Permission::ResetReference")]
    async fn reference(&self) -> Option<&str> {
        self.reset.reference.as_deref()
    }

    /// Where `reference` comes from (integrations only).
    #[graphql(guard = "Permission::ResetReferenceOrigin")]
    async fn reference_origin(&self) -> Option<&str> {
        self.reset.reference_origin.as_deref()
    }

    /// Key-value pairs you attached (integrations only).
    #[graphql(guard = "Permission::ResetMetadata")]
    async fn metadata(&self) -> Json {
        Json(self.reset.metadata())
    }

    /// When the reset was created.
    async fn created_at(&self) -> DateTime {
        self.reset.created_at.into()
    }

    /// When the reset was last changed.
    async fn updated_at(&self) -> DateTime {
        self.reset.updated_at.into()
    }

    /// The customer whose password is reset (integrations only).
    #[graphql(guard = "Permission::ResetCustomer")]
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<CustomerNode> {
        if let Some(customer) = &self.customer {
            return Ok(CustomerNode(customer.clone()));
        }
        let loader = ctx.data_unchecked::<DataLoader<CustomerLoader>>();
        let customer = loader
            .load_one(self.reset.customer_id.clone())
            .await
            .map_err(|e| {
                ApiError::Internal(anyhow::anyhow!("loading a customer: {e}")).into_graphql()
            })?
            .ok_or_else(|| ApiError::NotFound("customer").into_graphql())?;
        Ok(CustomerNode(customer))
    }

    /// Facts about the record: its mode.
    async fn meta(&self) -> ResourceMeta {
        ResourceMeta {
            mode: Mode::from_stored(&self.reset.mode),
        }
    }

    /// Links to the resource.
    async fn links(&self, ctx: &Context<'_>) -> ResourceLinks {
        ResourceLinks {
            self_link: format!(
                "{}/customer_password_resets/{}",
                state(ctx).config.public_url(),
                self.reset.id
            ),
        }
    }
}

/// Filters for the password resets list (Commerce Layer predicate names); all given ones
/// apply.
#[derive(InputObject, Debug, Default)]
pub struct CustomerPasswordResetFilter {
    /// Customer email equals (case-insensitive).
    pub customer_email_eq: Option<String>,
    /// Customer email contains (case-insensitive).
    pub customer_email_cont: Option<String>,
    /// Customer id equals.
    pub customer_id_eq: Option<ID>,
    /// The reset whose token this is (matched by its digest).
    #[graphql(secret)]
    pub reset_password_token_eq: Option<String>,
    /// True: not used yet; false: used.
    pub reset_password_at_null: Option<bool>,
    /// Created after.
    pub created_at_gt: Option<DateTime>,
    /// Created at or after.
    pub created_at_gteq: Option<DateTime>,
    /// Created before.
    pub created_at_lt: Option<DateTime>,
    /// Created at or before.
    pub created_at_lteq: Option<DateTime>,
    /// Reference equals.
    pub reference_eq: Option<String>,
    /// Metadata contains this JSON object.
    pub metadata_jcont: Option<Json>,
}

/// Fields password resets can be sorted by.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerPasswordResetSortField {
    /// Id.
    Id,
    /// Creation time.
    CreatedAt,
    /// Last change time.
    UpdatedAt,
    /// Reference.
    Reference,
    /// Reference origin.
    ReferenceOrigin,
}

/// A sort order for password resets; ties are broken by id. Default: `createdAt`,
/// ascending.
#[derive(InputObject, Debug)]
pub struct CustomerPasswordResetSort {
    /// The field to sort by.
    pub field: CustomerPasswordResetSortField,
    /// The direction.
    #[graphql(default)]
    pub direction: SortDirection,
}

/// The fields of a new password reset.
#[derive(InputObject)]
pub struct CreateCustomerPasswordResetInput {
    /// The email of the customer whose password is to be reset.
    pub customer_email: String,
    /// Your own identifier for the reset (integrations only; at most 255 characters).
    pub reference: Option<String>,
    /// Where `reference` comes from (integrations only; at most 255 characters).
    pub reference_origin: Option<String>,
    /// Key-value pairs to attach, a JSON object (integrations only; at most 16 KiB as JSON).
    pub metadata: Option<Json>,
}

/// An update to a password reset. `resetPasswordToken` with `customerPassword` redeems it;
/// `reference`, `referenceOrigin` and `metadata` are for integrations (left out: unchanged,
/// `null`: cleared).
#[derive(InputObject)]
pub struct UpdateCustomerPasswordResetInput {
    /// The token from the create answer (from the link the customer received).
    #[graphql(secret)]
    pub reset_password_token: Option<String>,
    /// The customer's new password (8 to 256 characters by default).
    #[graphql(secret)]
    pub customer_password: Option<String>,
    /// New reference (integrations only; at most 255 characters).
    pub reference: MaybeUndefined<String>,
    /// New reference origin (integrations only; at most 255 characters).
    pub reference_origin: MaybeUndefined<String>,
    /// New metadata, replacing the old (integrations only; at most 16 KiB as JSON).
    pub metadata: Option<Json>,
}

/// The fields above that carry a password to hash (an argon2 hash for every value given):
/// one password per request is allowed, counted from this list, which the service checks
/// against its schema at start-up. The reset token fields are named like passwords but
/// only compared by digest.
pub(super) fn password_slots(declared: &mut Declared) {
    declared
        .hashed
        .push(PasswordSlot::input_field::<UpdateCustomerPasswordResetInput>("customerPassword"));
    declared.not_hashed.extend([
        PasswordSlot::input_field::<UpdateCustomerPasswordResetInput>("resetPasswordToken"),
        PasswordSlot::input_field::<CustomerPasswordResetFilter>("resetPasswordTokenEq"),
    ]);
}

/// The root field above that tries a reset token (the per-client-IP redemption budget),
/// checked against the schema at start-up.
pub(super) fn redemption_fields(declared: &mut Vec<RedemptionField>) {
    declared.push(RedemptionField::mutation("updateCustomerPasswordReset"));
}

fn filter_from(input: CustomerPasswordResetFilter) -> resets::ResetFilter {
    resets::ResetFilter {
        customer_email_eq: input.customer_email_eq,
        customer_email_cont: input.customer_email_cont,
        customer_id_eq: input.customer_id_eq.map(|id| id.0),
        reset_password_token_eq: input.reset_password_token_eq,
        reset_password_at_null: input.reset_password_at_null,
        created_at_gt: input.created_at_gt.map(DateTime::naive),
        created_at_gteq: input.created_at_gteq.map(DateTime::naive),
        created_at_lt: input.created_at_lt.map(DateTime::naive),
        created_at_lteq: input.created_at_lteq.map(DateTime::naive),
        reference_eq: input.reference_eq,
        metadata_jcont: input.metadata_jcont.map(|m| m.0),
    }
}

fn sort_from(input: Option<CustomerPasswordResetSort>) -> resets::ResetSort {
    use CustomerPasswordResetSortField as F;
    use resets::ResetSortField as D;
    input.map_or_else(resets::ResetSort::default, |s| resets::ResetSort {
        field: match s.field {
            F::Id => D::Id,
            F::CreatedAt => D::CreatedAt,
            F::UpdatedAt => D::UpdatedAt,
            F::Reference => D::Reference,
            F::ReferenceOrigin => D::ReferenceOrigin,
        },
        direction: s.direction.into(),
    })
}

/// Password reset queries.
#[derive(Default)]
pub struct ResetQuery;

#[Object]
impl ResetQuery {
    /// One password reset by id (integrations only).
    #[graphql(guard = "Permission::Reset")]
    async fn customer_password_reset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The reset's id.")] id: ID,
    ) -> async_graphql::Result<ResetNode> {
        let with_customer = ctx.look_ahead().field("customer").exists();
        let found = resets::find(&state(ctx).db, principal(ctx)?, &id, with_customer)
            .await
            .or_graphql()?;
        Ok(ResetNode::listed(found))
    }

    /// The password resets of the caller's mode, a page at a time (integrations only).
    #[graphql(
        guard = "Permission::Resets",
        complexity = "first.unwrap_or(10).max(1) as usize * child_complexity"
    )]
    async fn customer_password_resets(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only resets matching every given predicate.")] filter: Option<
            CustomerPasswordResetFilter,
        >,
        #[graphql(desc = "Sort order (default: `createdAt` ascending).")] sort: Option<
            CustomerPasswordResetSort,
        >,
        #[graphql(desc = "Page size: 1 to 25, default 10.")] first: Option<i32>,
        #[graphql(desc = "Return records after this cursor.")] after: Option<String>,
    ) -> async_graphql::Result<ListConnection<ResetNode>> {
        let sort = sort_from(sort);
        let state = state(ctx);
        let cursors = state.signer.cursor_key();
        let scope = sort.scope();
        let window = pagination::window(cursors, first, after.as_deref(), "", &scope, sort.kind())
            .or_graphql()?;
        let filter = filter_from(filter.unwrap_or_default());
        let selection = ctx.look_ahead();
        let extras = ListExtras {
            total: selection.field("totalCount").exists(),
            customers: selection
                .field("edges")
                .field("node")
                .field("customer")
                .exists(),
        };
        let (page, total) = resets::list(&state.db, principal(ctx)?, &filter, sort, window, extras)
            .await
            .or_graphql()?;
        Ok(pagination::connection(
            Arc::from(scope.as_str()),
            page,
            total,
            |(reset, _)| sort.key(reset),
            ResetNode::listed,
        ))
    }
}

/// Password reset mutations.
#[derive(Default)]
pub struct ResetMutation;

#[Object]
impl ResetMutation {
    /// Step 1: creates a password reset for the customer with this email (integrations
    /// only). The answer carries `resetPasswordToken`, shown this once. The customer's
    /// older pending resets expire. Each customer may be sent a few resets per window
    /// (`RATE_LIMIT_RESET_CREATIONS`); past that, `TOO_MANY_REQUESTS` with
    /// `extensions.retryAfter` (seconds).
    #[graphql(guard = "Permission::CreateReset")]
    async fn create_customer_password_reset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new reset's fields.")] input: CreateCustomerPasswordResetInput,
    ) -> async_graphql::Result<ResetNode> {
        let state = state(ctx);
        let input = resets::NewResetInput {
            customer_email: input.customer_email,
            reference: input.reference,
            reference_origin: input.reference_origin,
            metadata: input.metadata.map(|m| m.0),
        };
        let rules = resets::CreationRules {
            ttl: state.config.reset_token_ttl,
            per_customer: state.config.budget(Scope::ResetCreations),
        };
        let created = resets::create(&state.db, &state.outbox, rules, principal(ctx)?, input)
            .await
            .inspect_err(|error| {
                if let ResetError::TooManyCreations { .. } = error {
                    state.metrics.rate_limited(Scope::ResetCreations.name());
                }
            })
            .or_graphql()?;
        Ok(ResetNode {
            reset: created.reset,
            token: Some(created.token),
            customer: None,
        })
    }

    /// Step 3: redeems a reset with its token and the new password (any token: a
    /// storefront does this for the customer). A wrong, used or expired token, or an
    /// unknown id, all give one `VALIDATION_ERROR` on `/input/resetPasswordToken`.
    #[graphql(guard = "Permission::UpdateReset")]
    async fn update_customer_password_reset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The reset's id.")] id: ID,
        #[graphql(desc = "The token and new password, or the attributes to change.")]
        input: UpdateCustomerPasswordResetInput,
    ) -> async_graphql::Result<ResetNode> {
        let state = state(ctx);
        let changes = resets::ResetChanges {
            reset_password_token: input.reset_password_token.map(SecretString::from),
            customer_password: input.customer_password.map(Password::new),
            reference: super::customer::maybe(input.reference),
            reference_origin: super::customer::maybe(input.reference_origin),
            metadata: input.metadata.map(|m| m.0),
        };
        let reset = resets::update(
            &state.db,
            &state.hasher,
            &state.outbox,
            principal(ctx)?,
            &id,
            changes,
        )
        .await
        .or_graphql()?;
        Ok(ResetNode::read(reset))
    }

    /// Deletes a password reset (integrations only); returns the deleted id.
    #[graphql(guard = "Permission::DeleteReset")]
    async fn delete_customer_password_reset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The reset's id.")] id: ID,
    ) -> async_graphql::Result<ID> {
        let state = state(ctx);
        let deleted = resets::delete(&state.db, &state.outbox, principal(ctx)?, &id)
            .await
            .or_graphql()?;
        Ok(ID(deleted))
    }
}
