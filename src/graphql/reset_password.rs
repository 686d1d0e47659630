//! The storefront's `resetPassword` fields: the query checks a link before the
//! new-password form is shown, the mutation redeems it. Both call the resets module's
//! one redemption path (`crate::resets::redeem`, `crate::resets::check`), the one
//! `updateCustomerPasswordReset` takes, with their own argument pointers.

use async_graphql::{Context, ID, Object, OutputType, SimpleObject};
use secrecy::SecretString;

use super::error::GraphqlResult;
use super::guards::{Permission, principal, state};
use super::password_slots::{Declared, PasswordSlot};
use super::redemption_fields::RedemptionField;
use super::reset::ResetStatusValue;
use super::scalars::DateTime;
use super::{MutationRoot, QueryRoot};
use crate::auth::password::Password;
use crate::resets::{self, PasswordReset, Redemption, RedemptionInputs};

/// The root fields' name, in both roots.
const FIELD: &str = "resetPassword";

/// What the link of a password reset leads to: only what the holder of its token may
/// know.
#[derive(SimpleObject)]
pub struct ResetPasswordLink {
    /// The reset's id (from the link).
    pub id: ID,
    /// `PENDING` (the new password may be set), `USED` or `EXPIRED`, as of now.
    pub status: ResetStatusValue,
    /// When the token stops working.
    pub expires_at: DateTime,
}

impl From<PasswordReset> for ResetPasswordLink {
    fn from(reset: PasswordReset) -> Self {
        ResetPasswordLink {
            status: reset.status(crate::db::now()).into(),
            expires_at: reset.expires_at.into(),
            id: ID(reset.id),
        }
    }
}

/// The arguments above that carry a password to hash (the mutation's `password`: one per
/// request), and the tokens named beside them that are only compared by digest; checked
/// against the schema at start-up.
pub(super) fn password_slots(declared: &mut Declared) {
    let (query, mutation) = (QueryRoot::type_name(), MutationRoot::type_name());
    declared
        .hashed
        .push(PasswordSlot::argument(&mutation, FIELD, "password"));
    declared.not_hashed.extend([
        PasswordSlot::argument(&query, FIELD, "token"),
        PasswordSlot::argument(&mutation, FIELD, "token"),
    ]);
}

/// Both fields try a reset token: both spend the redemption budget of the client's IP.
pub(super) fn redemption_fields(declared: &mut Vec<RedemptionField>) {
    declared.extend([
        RedemptionField::query(FIELD),
        RedemptionField::mutation(FIELD),
    ]);
}

/// The storefront's check of a reset link.
#[derive(Default)]
pub struct ResetPasswordQuery;

#[Object]
impl ResetPasswordQuery {
    /// Checks a reset link before asking for the new password (any token). With the right
    /// token, the reset's `status` and `expiresAt`. An unknown id or a wrong token gets one
    /// `VALIDATION_ERROR` on `/token` and counts as a wrong redemption does: the fifth
    /// kills the reset. Spends the client address's redemption budget.
    #[graphql(guard = "Permission::CheckResetLink")]
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The reset's id (from the link).")] id: ID,
        #[graphql(desc = "The reset's token (from the link).", secret)] token: String,
    ) -> async_graphql::Result<ResetPasswordLink> {
        let token = SecretString::from(token);
        let pointer = RedemptionInputs::ARGUMENTS.token;
        let reset = resets::check(&state(ctx).db, principal(ctx)?, &id, &token, pointer)
            .await
            .or_graphql()?;
        Ok(reset.into())
    }
}

/// The storefront's redemption of a reset link.
#[derive(Default)]
pub struct ResetPasswordMutation;

#[Object]
impl ResetPasswordMutation {
    /// Sets the customer's new password with a reset's token (any token), exactly as
    /// `updateCustomerPasswordReset` does: once, within the token's lifetime, one password
    /// per request, the customer's sessions ended. A wrong, used or expired token or an
    /// unknown id gets one `VALIDATION_ERROR` on `/token`; a refused password, one on
    /// `/password`. Spends the client address's redemption budget.
    #[graphql(guard = "Permission::RedeemResetLink")]
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The reset's id (from the link).")] id: ID,
        #[graphql(desc = "The reset's token (from the link).", secret)] token: String,
        #[graphql(
            desc = "The customer's new password (8 to 256 characters by default).",
            secret
        )]
        password: String,
    ) -> async_graphql::Result<ResetPasswordLink> {
        let state = state(ctx);
        let (token, password) = (SecretString::from(token), Password::new(password));
        let redemption = Redemption {
            token: &token,
            password: &password,
            inputs: RedemptionInputs::ARGUMENTS,
        };
        let caller = principal(ctx)?;
        let reset = resets::redeem(
            &state.db,
            &state.hasher,
            &state.outbox,
            caller,
            &id,
            redemption,
            None,
        )
        .await
        .or_graphql()?;
        Ok(reset.into())
    }
}
