//! Using a reset's token: redeeming it with a new password, or checking a link before the
//! new password is asked for. Both go through the one conditional statement of
//! [`queries::attempt`], so a wrong token counts the same whichever field sent it, and
//! both answer an unknown id, a wrong token, or a token of a used or expired reset that
//! the caller may not learn about with one [`ResetError::TokenRefused`].

use futures_util::FutureExt;
use secrecy::{ExposeSecret, SecretString};

use super::document::ResetSubject;
use super::queries::{self, Attempt, OnRightToken, ResetUpdate};
use super::{PasswordReset, ResetError};
use crate::auth::password::{Password, PasswordHasher};
use crate::auth::{Principal, secrets, sessions};
use crate::customers::queries as customer_queries;
use crate::db::{Db, now};
use crate::listing::FieldProblem;
use crate::pending_resets;
use crate::webhooks::outbox::queries::{self as outbox_queries, TokenScope};
use crate::webhooks::outbox::{self, Outbox};
use crate::webhooks::topic::Topic;

/// Where the token and the new password were given: the pointers of a redemption's
/// errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RedemptionInputs {
    /// The token's pointer.
    pub token: &'static str,
    /// The new password's pointer.
    pub password: &'static str,
}

impl RedemptionInputs {
    /// `updateCustomerPasswordReset(input: { resetPasswordToken, customerPassword })`.
    pub const UPDATE: RedemptionInputs = RedemptionInputs {
        token: "/input/resetPasswordToken",
        password: "/input/customerPassword",
    };
    /// `resetPassword(token, password)`.
    pub const ARGUMENTS: RedemptionInputs = RedemptionInputs {
        token: "/token",
        password: "/password",
    };
}

/// A token and the new password it is to set.
#[derive(Debug, Clone, Copy)]
pub struct Redemption<'a> {
    /// The token from the link.
    pub token: &'a SecretString,
    /// The new password.
    pub password: &'a Password,
    /// Where they were given.
    pub inputs: RedemptionInputs,
}

/// Redeems a reset: the password changes exactly once, the customer's other pending
/// resets expire and their sessions end. `attributes` (an integration's changes to the
/// reset) are applied in the same transaction. Fires
/// `customer_password_resets.reset_password`, and `customers.create_password` when the
/// customer was a guest; the waiting create events of the customer's resets are
/// discarded with their tokens.
pub async fn redeem(
    db: &Db,
    hasher: &PasswordHasher,
    outbox: &Outbox,
    caller: &Principal,
    id: &str,
    redemption: Redemption<'_>,
    attributes: Option<ResetUpdate>,
) -> Result<PasswordReset, ResetError> {
    let Redemption {
        token,
        password,
        inputs,
    } = redemption;
    hasher.check(password).map_err(|problem| {
        ResetError::Invalid(FieldProblem::new(
            inputs.password,
            problem.key(),
            "does not meet the password rules",
        ))
    })?;
    // Hash before the transaction opens: argon2 must never hold a connection or a lock.
    // Every attempt pays it, so a wrong token costs the same as a right one.
    let hash = hasher.hash(password).await?;
    let digest = secrets::digest(token.expose_secret());
    let (mode, reset_id, events) = (caller.mode, id.to_owned(), outbox.clone());
    let refused = ResetError::TokenRefused {
        pointer: inputs.token,
    };
    let (answer, fired) = db
        .transaction(move |conn| {
            async move {
                let at = now();
                let redeem = OnRightToken::Redeem;
                let attempt = queries::attempt(conn, mode, &reset_id, &digest, at, redeem).await?;
                let reset = match attempt {
                    Attempt::Right(reset) => *reset,
                    // Ok(Err): a counted failure is committed, like a redemption.
                    Attempt::Counted | Attempt::NotPending => return Ok((Err(refused), 0)),
                };
                let customer_id = &reset.customer_id.clone();
                let was_guest = customer_queries::find(conn, mode, customer_id)
                    .await?
                    .is_some_and(|customer| !customer.has_password);
                customer_queries::change_password(conn, customer_id, &hash).await?;
                pending_resets::expire(conn, customer_id, Some(&reset_id), at).await?;
                sessions::end_all_for_customer(conn, customer_id).await?;
                let customer_resets = TokenScope::CustomerResets(customer_id);
                outbox_queries::forget_tokens(conn, customer_resets, at).await?;
                // The answer is the reset as this transaction leaves it: no read after it.
                let reset = match &attributes {
                    Some(attributes) => queries::update(conn, mode, &reset_id, attributes)
                        .await?
                        .ok_or(ResetError::NotFound)?,
                    None => reset,
                };
                let subject = ResetSubject {
                    reset: &reset,
                    token: None,
                };
                let mut fired =
                    outbox::record(conn, &events, mode, Topic::ResetRedeemed, &subject).await?;
                let guest_now = match was_guest {
                    true => customer_queries::find(conn, mode, customer_id).await?,
                    false => None,
                };
                if let Some(customer) = guest_now {
                    let topic = Topic::CustomerPasswordCreated;
                    fired += outbox::record(conn, &events, mode, topic, &customer).await?;
                }
                Ok::<_, ResetError>((Ok(reset), fired))
            }
            .boxed()
        })
        .await?;
    outbox.wake_for(fired);
    answer
}

/// Checks a link: with the right token, the reset as it stands (pending, used or expired:
/// nothing its token's holder could not learn by redeeming it). An unknown id or a wrong
/// token is refused at `pointer` and, on a pending reset, counted as a wrong redemption
/// is: the fifth kills the reset. A reset killed by wrong tokens compares no token again.
pub async fn check(
    db: &Db,
    caller: &Principal,
    id: &str,
    token: &SecretString,
    pointer: &'static str,
) -> Result<PasswordReset, ResetError> {
    let digest = secrets::digest(token.expose_secret());
    let mut conn = db.conn().await?;
    let keep = OnRightToken::Keep;
    let attempt = queries::attempt(&mut conn, caller.mode, id, &digest, now(), keep).await?;
    if let Attempt::Right(reset) = attempt {
        return Ok(*reset);
    }
    // Every refusal runs both statements: a wrong token on a pending reset, an unknown id
    // and a settled reset take the same path, so the work done does not tell them apart
    // beyond what a redemption's does (a counted failure writes its row there too).
    let settled = queries::find_by_token(&mut conn, caller.mode, id, &digest).await?;
    match (attempt, settled) {
        (Attempt::NotPending, Some(reset)) => Ok(reset),
        _ => Err(ResetError::TokenRefused { pointer }),
    }
}
