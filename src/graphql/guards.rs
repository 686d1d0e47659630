//! The permission table of DESIGN section 3, as async-graphql guards.
//!
//! [`Permission`] is the table: one row per guarded field, naming the roles whose tokens
//! may call it. Every root field and every object field that only integrations may read
//! carries its row as a guard (`#[graphql(guard = "Permission::Customers")]`), and the
//! start-up checks the rows against the built schema ([`check_table`]): a row whose field
//! was renamed away, or a root field with no row, stops the service instead of leaving a
//! field unguarded. Rules that depend on the record (a customer reaches only themself,
//! the other mode's records are not found) live in the resource modules.

use std::collections::HashSet;
use std::sync::Arc;

use anyhow::bail;
use async_graphql::{Context, Guard};

use super::error::ApiError;
use super::schema_types::SchemaTypes;
use crate::AppState;
use crate::auth::{Caller, Principal, Role};

const INTEGRATION: &[Role] = &[Role::Integration];
const INTEGRATION_OR_SALES_CHANNEL: &[Role] = &[Role::Integration, Role::SalesChannel];
const INTEGRATION_OR_CUSTOMER: &[Role] = &[Role::Integration, Role::Customer];
const ANY_TOKEN: &[Role] = &[Role::Integration, Role::SalesChannel, Role::Customer];

macro_rules! permission_table {
    ($( $(#[doc = $doc:literal])* $row:ident: $field:literal => $roles:ident, )*) => {
        /// A row of the permission table: a guarded field and the roles that may call it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Permission {
            $( $(#[doc = $doc])* $row, )*
        }

        impl Permission {
            /// Every row.
            pub const ALL: &'static [Permission] = &[$(Permission::$row),*];

            /// The field, as `Type.field` in the schema.
            pub const fn field(self) -> &'static str {
                match self {
                    $( Permission::$row => $field, )*
                }
            }

            /// The roles whose tokens may call the field.
            pub const fn roles(self) -> &'static [Role] {
                match self {
                    $( Permission::$row => $roles, )*
                }
            }
        }
    };
}

permission_table! {
    /// One customer: integrations, and a customer token for itself.
    Customer: "QueryRoot.customer" => INTEGRATION_OR_CUSTOMER,
    /// The customer list.
    Customers: "QueryRoot.customers" => INTEGRATION,
    /// Signing a customer up: integrations, and sales channels for storefront sign-up.
    CreateCustomer: "MutationRoot.createCustomer" => INTEGRATION_OR_SALES_CHANNEL,
    /// Changing a customer: integrations, and a customer token for itself (setting a
    /// password is further limited to integrations, in the customers module).
    UpdateCustomer: "MutationRoot.updateCustomer" => INTEGRATION_OR_CUSTOMER,
    /// Deleting a customer: integrations, and a customer token for itself.
    DeleteCustomer: "MutationRoot.deleteCustomer" => INTEGRATION_OR_CUSTOMER,
    /// A customer's resets, nested in `Customer`.
    CustomerPasswordResets: "Customer.passwordResets" => INTEGRATION,
    /// One reset.
    Reset: "QueryRoot.customerPasswordReset" => INTEGRATION,
    /// The reset list.
    Resets: "QueryRoot.customerPasswordResets" => INTEGRATION,
    /// Step 1: creating a reset.
    CreateReset: "MutationRoot.createCustomerPasswordReset" => INTEGRATION,
    /// Step 3: redeeming a reset with its token; every kind of token.
    UpdateReset: "MutationRoot.updateCustomerPasswordReset" => ANY_TOKEN,
    /// Deleting a reset.
    DeleteReset: "MutationRoot.deleteCustomerPasswordReset" => INTEGRATION,
    /// Checking a reset link before showing the form; every kind of token.
    CheckResetLink: "QueryRoot.resetPassword" => ANY_TOKEN,
    /// Redeeming a reset link; every kind of token.
    RedeemResetLink: "MutationRoot.resetPassword" => ANY_TOKEN,
    /// A reset's customer email.
    ResetCustomerEmail: "CustomerPasswordReset.customerEmail" => INTEGRATION,
    /// A reset's token (only in the answer that created it).
    ResetToken: "CustomerPasswordReset.resetPasswordToken" => INTEGRATION,
    /// A reset's `reference`.
    ResetReference: "CustomerPasswordReset.reference" => INTEGRATION,
    /// A reset's `referenceOrigin`.
    ResetReferenceOrigin: "CustomerPasswordReset.referenceOrigin" => INTEGRATION,
    /// A reset's `metadata`.
    ResetMetadata: "CustomerPasswordReset.metadata" => INTEGRATION,
    /// A reset's customer.
    ResetCustomer: "CustomerPasswordReset.customer" => INTEGRATION,
    /// One webhook.
    Webhook: "QueryRoot.webhook" => INTEGRATION,
    /// The webhook list.
    Webhooks: "QueryRoot.webhooks" => INTEGRATION,
    /// Subscribing to events.
    CreateWebhook: "MutationRoot.createWebhook" => INTEGRATION,
    /// Changing a webhook.
    UpdateWebhook: "MutationRoot.updateWebhook" => INTEGRATION,
    /// Sending an event callback again.
    RedeliverEventCallback: "MutationRoot.redeliverEventCallback" => INTEGRATION,
    /// Deleting a webhook.
    DeleteWebhook: "MutationRoot.deleteWebhook" => INTEGRATION,
}

impl Guard for Permission {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let principal = principal(ctx)?;
        if self.roles().contains(&principal.role) {
            Ok(())
        } else {
            Err(ApiError::Unauthorized("this token may not do this").into_graphql())
        }
    }
}

/// Checks the table against the built schema's types: every row names a field of the
/// schema, and every root field has a row.
pub fn check_table(types: &SchemaTypes) -> anyhow::Result<()> {
    check_table_against(types, Permission::ALL.iter().map(|p| p.field()))
}

fn check_table_against<'r>(
    types: &SchemaTypes,
    rows: impl Iterator<Item = &'r str>,
) -> anyhow::Result<()> {
    let rows: HashSet<&str> = rows.collect();
    let fields: HashSet<String> = (types.all_fields())
        .map(|(ty, field)| format!("{ty}.{}", field.name.node))
        .collect();
    if let Some(row) = rows.iter().find(|row| !fields.contains(**row)) {
        bail!(
            "permission row {row} is not a field of the schema: update the table in src/graphql/guards.rs"
        );
    }
    let root_fields = types.roots().flat_map(|root| {
        (types.fields_of(root)).map(move |field| format!("{root}.{}", field.name.node))
    });
    for field in root_fields {
        if !rows.contains(field.as_str()) {
            bail!(
                "root field {field} has no permission row: add one to src/graphql/guards.rs and guard the field with it"
            );
        }
    }
    Ok(())
}

/// The verified caller of this request, or `INVALID_TOKEN`.
pub fn principal<'c>(ctx: &Context<'c>) -> async_graphql::Result<&'c Principal> {
    match ctx.data_opt::<Caller>() {
        Some(Caller::Authenticated(principal)) => Ok(principal),
        Some(Caller::InvalidToken) => Err(ApiError::InvalidToken(
            "the access token is invalid, expired or revoked",
        )
        .into_graphql()),
        Some(Caller::Unverifiable) => Err(ApiError::Internal(anyhow::anyhow!(
            "the customer session could not be checked"
        ))
        .into_graphql()),
        Some(Caller::Anonymous) | None => {
            Err(ApiError::InvalidToken("an access token is required").into_graphql())
        }
    }
}

/// The shared service state.
pub fn state<'c>(ctx: &Context<'c>) -> &'c Arc<AppState> {
    ctx.data_unchecked::<Arc<AppState>>()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDL: &str = "type QueryRoot { a: Int }
        type MutationRoot { b: Int }
        type Thing { c: Int }
        schema { query: QueryRoot mutation: MutationRoot }";

    fn types(sdl: &str) -> SchemaTypes {
        SchemaTypes::read(sdl).unwrap()
    }

    #[test]
    fn a_table_with_a_row_for_every_root_field_passes() {
        let rows = ["QueryRoot.a", "MutationRoot.b", "Thing.c"];
        assert!(check_table_against(&types(SDL), rows.into_iter()).is_ok());
    }

    #[test]
    fn a_root_field_without_a_row_stops_the_start() {
        let error = check_table_against(&types(SDL), ["QueryRoot.a"].into_iter()).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("MutationRoot.b has no permission row")
        );
    }

    #[test]
    fn a_row_for_a_field_the_schema_lost_stops_the_start() {
        let rows = ["QueryRoot.a", "MutationRoot.b", "Thing.gone"];
        let error = check_table_against(&types(SDL), rows.into_iter()).unwrap_err();
        assert!(error.to_string().contains("Thing.gone is not a field"));
    }

    #[test]
    fn the_served_schema_matches_the_table() {
        let sdl = include_str!("../../schema.graphql");
        let rows = Permission::ALL.iter().map(|p| p.field());
        check_table_against(&types(sdl), rows).unwrap();
    }
}
