//! The `Customer` type and its root fields. Resolvers parse, call the customers module and
//! map the result; the rules live in `crate::customers`.

use std::sync::{Arc, LazyLock};

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object};

use super::error::{ApiError, GraphqlResult};
use super::guards::{Permission, principal, state};
use super::loaders::{ResetCountLoader, ResetPageKey, ResetPagesLoader};
use super::pagination::{self, ListConnection};
use super::password_slots::{Declared, PasswordSlot};
use super::reset::ResetNode;
use super::scalars::{DateTime, Json, Mode, ResourceMeta, SortDirection};
use crate::auth::password::Password;
use crate::customers::{self, Customer};
use crate::listing::{Direction, Keyset, SortValue};
use crate::resets::{ResetSort, ResetSortField};

/// A customer of the store: a guest until a password is set, then able to log in.
pub struct CustomerNode(pub Arc<Customer>);

/// A customer of the store: a guest until a password is set, then able to log in.
#[Object(name = "Customer", serial)]
impl CustomerNode {
    /// Unique identifier (opaque, random).
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    /// Email address, lowercased.
    async fn email(&self) -> &str {
        &self.0.email
    }

    /// True when the customer has a password; false for a guest.
    async fn has_password(&self) -> bool {
        self.0.has_password
    }

    /// The customer's status; `PROSPECT` until orders exist in this service.
    async fn status(&self) -> CustomerStatus {
        CustomerStatus::Prospect
    }

    /// Your own identifier for the customer (ERP, CRM, ...).
    async fn reference(&self) -> Option<&str> {
        self.0.reference.as_deref()
    }

    /// Where `reference` comes from.
    async fn reference_origin(&self) -> Option<&str> {
        self.0.reference_origin.as_deref()
    }

    /// Key-value pairs you attached to the customer.
    async fn metadata(&self) -> Json {
        Json(self.0.metadata())
    }

    /// When the customer was created.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    /// When the customer was last changed.
    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.into()
    }

    /// Facts about the record: its mode.
    async fn meta(&self) -> ResourceMeta {
        ResourceMeta {
            mode: Mode::from_stored(&self.0.mode),
        }
    }

    /// The customer's password resets, most recent first (integrations only).
    #[graphql(
        guard = "Permission::CustomerPasswordResets",
        complexity = "first.unwrap_or(10).max(1) as usize * child_complexity"
    )]
    async fn password_resets(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size: 1 to 25, default 10.")] first: Option<i32>,
        #[graphql(desc = "Return records after this cursor.")] after: Option<String>,
    ) -> async_graphql::Result<ListConnection<ResetNode>> {
        let cursors = state(ctx).signer.cursor_key();
        let scope: &str = &NESTED_SCOPE;
        let window = pagination::window(
            cursors,
            first,
            after.as_deref(),
            "/passwordResets",
            scope,
            NESTED_SORT.kind(),
        )
        .or_graphql()?;
        let after = match &window.after {
            Some(Keyset {
                value: SortValue::Time(time),
                id,
            }) => Some((*time, id.clone())),
            _ => None,
        };
        let key = ResetPageKey {
            customer_id: self.0.id.clone(),
            after,
            limit: window.probe().limit,
        };
        let loading = |e: Arc<crate::db::DbError>| {
            ApiError::Internal(anyhow::anyhow!("loading resets: {e}")).into_graphql()
        };
        let pages = ctx.data_unchecked::<DataLoader<ResetPagesLoader>>();
        let items = pages
            .load_one(key)
            .await
            .map_err(loading)?
            .map(|page| Arc::try_unwrap(page).unwrap_or_else(|shared| shared.as_ref().clone()))
            .unwrap_or_default();
        let total = match ctx.look_ahead().field("totalCount").exists() {
            true => {
                let counts = ctx.data_unchecked::<DataLoader<ResetCountLoader>>();
                let count = counts.load_one(self.0.id.clone()).await.map_err(loading)?;
                Some(count.unwrap_or_default())
            }
            false => None,
        };
        Ok(pagination::connection(
            NESTED_SCOPE.clone(),
            window.page(items),
            total,
            |r| NESTED_SORT.key(r),
            ResetNode::read,
        ))
    }
}

/// The list and order of `Customer.passwordResets`, which its cursors are made for.
static NESTED_SCOPE: LazyLock<Arc<str>> = LazyLock::new(|| {
    Arc::from(crate::listing::scope(
        "customer.passwordResets",
        &NESTED_SORT.field,
        NESTED_SORT.direction,
    ))
});

/// The order of `Customer.passwordResets`: newest first.
const NESTED_SORT: ResetSort = ResetSort {
    field: ResetSortField::CreatedAt,
    direction: Direction::Desc,
};

/// Where a customer stands commercially.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerStatus {
    /// No order placed yet.
    Prospect,
    /// One order placed.
    Acquired,
    /// More than one order placed.
    Repeat,
}

/// Filters for the customers list (Commerce Layer predicate names); all given ones apply.
#[derive(InputObject, Debug, Default)]
pub struct CustomerFilter {
    /// Email equals (case-insensitive).
    pub email_eq: Option<String>,
    /// Email contains (case-insensitive).
    pub email_cont: Option<String>,
    /// Email starts with (case-insensitive).
    pub email_start: Option<String>,
    /// True for customers with a password, false for guests.
    pub has_password_eq: Option<bool>,
    /// Reference equals.
    pub reference_eq: Option<String>,
}

/// Fields customers can be sorted by.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerSortField {
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
    /// Email.
    Email,
}

/// A sort order for customers; ties are broken by id. Default: `createdAt`, ascending.
#[derive(InputObject, Debug)]
pub struct CustomerSort {
    /// The field to sort by.
    pub field: CustomerSortField,
    /// The direction.
    #[graphql(default)]
    pub direction: SortDirection,
}

/// The fields of a new customer.
#[derive(InputObject)]
pub struct CreateCustomerInput {
    /// Email address; unique in the mode, compared case-insensitively.
    pub email: String,
    /// Password; leave it out to create a guest.
    #[graphql(secret)]
    pub password: Option<String>,
    /// Your own identifier for the customer (integrations only; at most 255 characters).
    pub reference: Option<String>,
    /// Where `reference` comes from (integrations only; at most 255 characters).
    pub reference_origin: Option<String>,
    /// Key-value pairs to attach, a JSON object (integrations only; at most 16 KiB as JSON).
    pub metadata: Option<Json>,
}

/// Changes to a customer; fields left out stay as they are, `null` clears.
#[derive(InputObject)]
pub struct UpdateCustomerInput {
    /// New email address.
    pub email: Option<String>,
    /// A password for a guest (integrations only). A customer who has a password changes
    /// it through a password reset.
    #[graphql(secret)]
    pub password: Option<String>,
    /// New reference (integrations only; at most 255 characters).
    pub reference: MaybeUndefined<String>,
    /// New reference origin (integrations only; at most 255 characters).
    pub reference_origin: MaybeUndefined<String>,
    /// New metadata, replacing the old (integrations only; at most 16 KiB as JSON).
    pub metadata: Option<Json>,
}

/// The fields above that carry a password to hash (an argon2 hash for every value given):
/// one password per request is allowed, counted from this list, which the service checks
/// against its schema at start-up.
pub(super) fn password_slots(declared: &mut Declared) {
    declared.hashed.extend([
        PasswordSlot::input_field::<CreateCustomerInput>("password"),
        PasswordSlot::input_field::<UpdateCustomerInput>("password"),
    ]);
}

/// Reads an optional, clearable input: left out, `null`, or a value.
pub(super) fn maybe(value: MaybeUndefined<String>) -> Option<Option<String>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

/// Customer queries.
#[derive(Default)]
pub struct CustomerQuery;

#[Object]
impl CustomerQuery {
    /// One customer by id: integrations see any customer of their mode, a customer only
    /// themself.
    #[graphql(guard = "Permission::Customer")]
    async fn customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer's id.")] id: ID,
    ) -> async_graphql::Result<CustomerNode> {
        let customer = customers::find_visible(&state(ctx).db, principal(ctx)?, &id)
            .await
            .or_graphql()?;
        Ok(CustomerNode(Arc::new(customer)))
    }

    /// The customers of the caller's mode, a page at a time (integrations only).
    #[graphql(
        guard = "Permission::Customers",
        complexity = "first.unwrap_or(10).max(1) as usize * child_complexity"
    )]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only customers matching every given predicate.")] filter: Option<
            CustomerFilter,
        >,
        #[graphql(desc = "Sort order (default: `createdAt` ascending).")] sort: Option<
            CustomerSort,
        >,
        #[graphql(desc = "Page size: 1 to 25, default 10.")] first: Option<i32>,
        #[graphql(desc = "Return records after this cursor.")] after: Option<String>,
    ) -> async_graphql::Result<ListConnection<CustomerNode>> {
        let filter = filter.unwrap_or_default();
        let filter = customers::CustomerFilter {
            email_eq: filter.email_eq,
            email_cont: filter.email_cont,
            email_start: filter.email_start,
            has_password_eq: filter.has_password_eq,
            reference_eq: filter.reference_eq,
        };
        let sort = sort.map_or_else(customers::CustomerSort::default, |s| {
            customers::CustomerSort {
                field: match s.field {
                    CustomerSortField::Id => customers::CustomerSortField::Id,
                    CustomerSortField::CreatedAt => customers::CustomerSortField::CreatedAt,
                    CustomerSortField::UpdatedAt => customers::CustomerSortField::UpdatedAt,
                    CustomerSortField::Reference => customers::CustomerSortField::Reference,
                    CustomerSortField::ReferenceOrigin => {
                        customers::CustomerSortField::ReferenceOrigin
                    }
                    CustomerSortField::Email => customers::CustomerSortField::Email,
                },
                direction: s.direction.into(),
            }
        });
        let state = state(ctx);
        let cursors = state.signer.cursor_key();
        let scope = sort.scope();
        let window = pagination::window(cursors, first, after.as_deref(), "", &scope, sort.kind())
            .or_graphql()?;
        let with_total = ctx.look_ahead().field("totalCount").exists();
        let (page, total) = customers::list(
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
            |c| sort.key(c),
            |c| CustomerNode(Arc::new(c)),
        ))
    }
}

/// Customer mutations.
#[derive(Default)]
pub struct CustomerMutation;

#[Object]
impl CustomerMutation {
    /// Creates a customer in the caller's mode: integrations, and sales channels signing a
    /// customer up. Without a password the customer is a guest.
    #[graphql(guard = "Permission::CreateCustomer")]
    async fn create_customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new customer's fields.")] input: CreateCustomerInput,
    ) -> async_graphql::Result<CustomerNode> {
        let state = state(ctx);
        let input = customers::NewCustomerInput {
            email: input.email,
            password: input.password.map(Password::new),
            reference: input.reference,
            reference_origin: input.reference_origin,
            metadata: input.metadata.map(|m| m.0),
        };
        let customer = customers::create(
            &state.db,
            &state.hasher,
            &state.outbox,
            principal(ctx)?,
            input,
        )
        .await
        .or_graphql()?;
        Ok(CustomerNode(Arc::new(customer)))
    }

    /// Changes a customer: integrations any of their mode, a customer themself. Only an
    /// integration may give a guest a password; an existing password is never replaced
    /// this way. A new email expires the customer's pending password resets.
    #[graphql(guard = "Permission::UpdateCustomer")]
    async fn update_customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer's id.")] id: ID,
        #[graphql(desc = "The fields to change.")] input: UpdateCustomerInput,
    ) -> async_graphql::Result<CustomerNode> {
        let state = state(ctx);
        let changes = customers::CustomerChanges {
            email: input.email,
            password: input.password.map(Password::new),
            reference: maybe(input.reference),
            reference_origin: maybe(input.reference_origin),
            metadata: input.metadata.map(|m| m.0),
        };
        let customer = customers::update(
            &state.db,
            &state.hasher,
            &state.outbox,
            principal(ctx)?,
            &id,
            changes,
        )
        .await
        .or_graphql()?;
        Ok(CustomerNode(Arc::new(customer)))
    }

    /// Deletes a customer (integrations, or the customer themself) with their password
    /// resets and sessions; returns the deleted id.
    #[graphql(guard = "Permission::DeleteCustomer")]
    async fn delete_customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer's id.")] id: ID,
    ) -> async_graphql::Result<ID> {
        let deleted = customers::delete(&state(ctx).db, principal(ctx)?, &id)
            .await
            .or_graphql()?;
        Ok(ID(deleted))
    }
}
