//! The permission table of DESIGN section 3, as async-graphql guards.
//!
//! Root fields carry a [`RoleGuard`] naming the roles that may call them; object fields
//! that only integrations may read carry one too. Rules that depend on the record (a
//! customer reaches only themself) live in the resource modules.

use std::sync::Arc;

use async_graphql::{Context, Guard};

use super::error::ApiError;
use crate::AppState;
use crate::auth::{Caller, Principal, Role};

/// Integrations only.
pub const INTEGRATION: &[Role] = &[Role::Integration];
/// Integrations and sales channels.
pub const INTEGRATION_OR_SALES_CHANNEL: &[Role] = &[Role::Integration, Role::SalesChannel];
/// Integrations and customers.
pub const INTEGRATION_OR_CUSTOMER: &[Role] = &[Role::Integration, Role::Customer];
/// Every kind of token.
pub const ANY_TOKEN: &[Role] = &[Role::Integration, Role::SalesChannel, Role::Customer];

/// Lets a field run only for callers with one of these roles.
pub struct RoleGuard {
    roles: &'static [Role],
}

impl RoleGuard {
    /// A guard admitting `roles`.
    pub fn new(roles: &'static [Role]) -> RoleGuard {
        RoleGuard { roles }
    }
}

impl Guard for RoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let principal = principal(ctx)?;
        if self.roles.contains(&principal.role) {
            Ok(())
        } else {
            Err(ApiError::Unauthorized("this token may not do this").into_graphql())
        }
    }
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
