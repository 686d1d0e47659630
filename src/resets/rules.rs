//! The reset operations and their rules (DESIGN section 4). The role table itself is held
//! by the GraphQL guards; the integrator's fields are written by integrations only
//! ([`crate::integrator_fields`]).

use std::time::Duration;

use futures_util::FutureExt;
use secrecy::SecretString;

use super::document::{DeletedReset, ResetSubject};
use super::queries::{self, NewReset, ResetUpdate};
use super::redemption::{self, Redemption, RedemptionInputs};
use super::{PasswordReset, ResetError, ResetFilter, ResetSort};
use crate::auth::password::{Password, PasswordHasher};
use crate::auth::{Principal, Role, secrets};
use crate::customers::{Customer, Email, EmailProblem, queries as customer_queries};
use crate::db::{Db, now};
use crate::integrator_fields::{IntegratorWrites, metadata_text};
use crate::listing::{FieldProblem, Page, PageWindow};
use crate::pending_resets;
use crate::rate_limits::{self, Budget, Scope};
use crate::webhooks::outbox::queries::{self as outbox_queries, TokenScope};
use crate::webhooks::outbox::{self, Outbox};
use crate::webhooks::topic::Topic;

/// What a new reset is made of.
#[derive(Debug, Default)]
pub struct NewResetInput {
    /// The email of the customer whose password is to be reset.
    pub customer_email: String,
    /// The integrator's identifier.
    pub reference: Option<String>,
    /// Where the reference comes from.
    pub reference_origin: Option<String>,
    /// Key-value pairs.
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

/// How resets are made: how long their tokens live, and how many one customer may be
/// sent in a window (no email bombing, whoever creates them).
#[derive(Debug, Clone, Copy)]
pub struct CreationRules {
    /// How long a token stays valid.
    pub ttl: Duration,
    /// Resets per customer per window.
    pub per_customer: Budget,
}

/// A reset just created, with its token in clear: the only time it is shown.
pub struct CreatedReset {
    /// The stored reset.
    pub reset: PasswordReset,
    /// The token to send to the customer.
    pub token: SecretString,
}

/// An update: the token and new password redeem the reset; the attributes are for
/// integrations. `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Default)]
pub struct ResetChanges {
    /// The token from the create answer.
    pub reset_password_token: Option<SecretString>,
    /// The new password.
    pub customer_password: Option<Password>,
    /// New reference.
    pub reference: Option<Option<String>>,
    /// New reference origin.
    pub reference_origin: Option<Option<String>>,
    /// New metadata (replaces the old).
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

impl ResetChanges {
    fn touches_attributes(&self) -> bool {
        self.reference.is_some() || self.reference_origin.is_some() || self.metadata.is_some()
    }

    /// The attribute changes, once `role` is known to be allowed to make them.
    fn attribute_update(&self, role: Role) -> Result<ResetUpdate, ResetError> {
        let metadata = self.metadata.as_ref().map(metadata_text);
        IntegratorWrites {
            reference: self.reference.as_ref().map(Option::as_deref),
            reference_origin: self.reference_origin.as_ref().map(Option::as_deref),
            metadata: metadata.as_deref(),
        }
        .check(role)?;
        Ok(ResetUpdate {
            reference: self.reference.clone(),
            reference_origin: self.reference_origin.clone(),
            metadata,
            updated_at: Some(now()),
        })
    }
}

fn customer_not_found() -> ResetError {
    ResetError::Invalid(FieldProblem::new(
        "/input/customerEmail",
        "not_found",
        "belongs to no customer",
    ))
}

fn blank(pointer: &str) -> ResetError {
    ResetError::Invalid(FieldProblem::new(pointer, "blank", "can't be blank"))
}

/// Creates a reset for the customer with this email and expires their older pending ones,
/// within the customer's budget of resets. Fires `customer_password_resets.create`.
pub async fn create(
    db: &Db,
    outbox: &Outbox,
    rules: CreationRules,
    caller: &Principal,
    input: NewResetInput,
) -> Result<CreatedReset, ResetError> {
    let email = Email::parse(&input.customer_email).map_err(|problem| {
        let message = match problem {
            EmailProblem::Blank => "can't be blank",
            EmailProblem::Invalid => "is not a valid email address",
        };
        ResetError::Invalid(FieldProblem::new(
            "/input/customerEmail",
            problem.key(),
            message,
        ))
    })?;
    let metadata = input.metadata.as_ref().map(metadata_text);
    IntegratorWrites::of_new(
        input.reference.as_deref(),
        input.reference_origin.as_deref(),
        metadata.as_deref(),
    )
    .check(caller.role)?;
    let mut conn = db.conn().await?;
    let customer = customer_queries::find_by_email(&mut conn, caller.mode, email.as_str())
        .await?
        .ok_or_else(customer_not_found)?;
    let scope = Scope::ResetCreations.name();
    let verdict = rate_limits::hit(&mut conn, scope, &customer.id, rules.per_customer, 1).await?;
    if !verdict.allowed {
        return Err(ResetError::TooManyCreations {
            retry_after: verdict.retry_after_secs(),
        });
    }
    let token = secrets::random_secret();
    let created_at = now();
    let row = NewReset {
        id: secrets::random_id(10),
        mode: caller.mode.as_str().to_owned(),
        customer_id: customer.id.clone(),
        customer_email: customer.email,
        token_digest: secrets::digest(&token),
        expires_at: crate::clock::after(created_at, rules.ttl),
        reference: input.reference,
        reference_origin: input.reference_origin,
        metadata: metadata.unwrap_or_else(|| metadata_text(&Default::default())),
        created_at,
        updated_at: created_at,
    };
    drop(conn);
    let (mode, events, sealed_token) = (caller.mode, outbox.clone(), token.clone());
    let (reset, fired) = db
        .transaction(move |conn| {
            async move {
                // One creation at a time per customer, so that each sees the reset the
                // one before it inserted, and expires it.
                if !queries::lock_customer(conn, &row.customer_id).await? {
                    return Err(customer_not_found());
                }
                pending_resets::expire(conn, &row.customer_id, None, created_at).await?;
                let customer_resets = TokenScope::CustomerResets(&row.customer_id);
                outbox_queries::forget_tokens(conn, customer_resets, created_at).await?;
                let reset = queries::insert(conn, &row).await?;
                let subject = ResetSubject {
                    reset: &reset,
                    token: Some(&sealed_token),
                };
                let fired =
                    outbox::record(conn, &events, mode, Topic::ResetCreated, &subject).await?;
                Ok::<_, ResetError>((reset, fired))
            }
            .boxed()
        })
        .await?;
    outbox.wake_for(fired);
    Ok(CreatedReset {
        reset,
        token: SecretString::from(token),
    })
}

/// Updates a reset. With a token and a new password, redeems it: the password changes
/// exactly once, the customer's other pending resets expire and their tokens stop.
pub async fn update(
    db: &Db,
    hasher: &PasswordHasher,
    outbox: &Outbox,
    caller: &Principal,
    id: &str,
    changes: ResetChanges,
) -> Result<PasswordReset, ResetError> {
    let integration = caller.role == Role::Integration;
    let attributes = changes
        .touches_attributes()
        .then(|| changes.attribute_update(caller.role))
        .transpose()?;
    match (&changes.reset_password_token, &changes.customer_password) {
        (None, None) if integration => {
            let mut conn = db.conn().await?;
            let attributes = attributes.unwrap_or_else(|| ResetUpdate {
                updated_at: Some(now()),
                ..Default::default()
            });
            queries::update(&mut conn, caller.mode, id, &attributes)
                .await?
                .ok_or(ResetError::NotFound)
        }
        (None, _) => Err(blank(RedemptionInputs::UPDATE.token)),
        (Some(_), None) => Err(blank(RedemptionInputs::UPDATE.password)),
        (Some(token), Some(password)) => {
            let redemption = Redemption {
                token,
                password,
                inputs: RedemptionInputs::UPDATE,
            };
            redemption::redeem(db, hasher, outbox, caller, id, redemption, attributes).await
        }
    }
}

/// One reset of the caller's mode, with its customer (read in the same statement) when
/// `with_customer`.
pub async fn find(
    db: &Db,
    caller: &Principal,
    id: &str,
    with_customer: bool,
) -> Result<ListedReset, ResetError> {
    let mut conn = db.read().await?;
    let found = match with_customer {
        true => queries::find_with_customer(&mut conn, caller.mode, id)
            .await?
            .map(|(reset, customer)| (reset, Some(customer))),
        false => queries::find(&mut conn, caller.mode, id)
            .await?
            .map(|reset| (reset, None)),
    };
    found.ok_or(ResetError::NotFound)
}

/// What a list reads besides its page, each only when the client asked for it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListExtras {
    /// The number of matching resets across all pages.
    pub total: bool,
    /// Each reset's customer, joined in the page's own statement.
    pub customers: bool,
}

/// A reset as a read found it, with its customer when the read joined it.
pub type ListedReset = (PasswordReset, Option<Customer>);

/// A page of the caller's mode's resets, with the customers and the total when asked for.
pub async fn list(
    db: &Db,
    caller: &Principal,
    filter: &ResetFilter,
    sort: ResetSort,
    window: PageWindow,
    extras: ListExtras,
) -> Result<(Page<ListedReset>, Option<i64>), ResetError> {
    let mut conn = db.read().await?;
    let probe = window.probe();
    let items: Vec<ListedReset> = match extras.customers {
        true => queries::list_with_customers(&mut conn, caller.mode, filter, sort, probe)
            .await?
            .into_iter()
            .map(|(reset, customer)| (reset, Some(customer)))
            .collect(),
        false => queries::list(&mut conn, caller.mode, filter, sort, probe)
            .await?
            .into_iter()
            .map(|reset| (reset, None))
            .collect(),
    };
    let total = match extras.total {
        true => Some(queries::count(&mut conn, caller.mode, filter).await?),
        false => None,
    };
    Ok((window.page(items), total))
}

/// Deletes a reset and returns its id. Fires `customer_password_resets.destroy`; a
/// create event of it still waiting is discarded with its token.
pub async fn delete(
    db: &Db,
    outbox: &Outbox,
    caller: &Principal,
    id: &str,
) -> Result<String, ResetError> {
    let (mode, events, id) = (caller.mode, outbox.clone(), id.to_owned());
    let (id, fired) = db
        .transaction(move |conn| {
            async move {
                if !queries::delete(conn, mode, &id).await? {
                    return Err(ResetError::NotFound);
                }
                outbox_queries::forget_tokens(conn, TokenScope::Reset(&id), now()).await?;
                let subject = DeletedReset { id: &id, mode };
                let fired =
                    outbox::record(conn, &events, mode, Topic::ResetDeleted, &subject).await?;
                Ok((id, fired))
            }
            .boxed()
        })
        .await?;
    outbox.wake_for(fired);
    Ok(id)
}
