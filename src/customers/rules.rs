//! The customer operations and their rules beyond the role table (which the GraphQL
//! guards hold): customers reach only themselves, a password is set this way only for a
//! guest and only by an integration, emails are unique per mode, the integrator's fields
//! are written by integrations only ([`crate::integrator_fields`]), and a new email
//! expires the customer's pending resets.
//!
//! A password is hashed only once everything else that could refuse the change has been
//! checked (the email is free, the customer is a guest): an argon2 hash is the costliest
//! thing a request can ask for, so a change bound to fail must not get one. The checks
//! are repeated where the change is written (a unique index, a conditional update), so a
//! race between the check and the write still ends in the same refusal.

use futures_util::FutureExt;

use super::queries::{self, CustomerUpdate, NewCustomer};
use super::{Customer, CustomerError, CustomerFilter, CustomerSort, Email};
use crate::auth::password::{Password, PasswordHasher};
use crate::auth::{Mode, Principal, Role, secrets, sessions};
use crate::db::{Db, now};
use crate::integrator_fields::{IntegratorWrites, metadata_text};
use crate::listing::{FieldProblem, Page, PageWindow};
use crate::pending_resets;
use crate::webhooks::outbox::queries::{self as outbox_queries, TokenScope};
use crate::webhooks::outbox::{self, Outbox};
use crate::webhooks::topic::Topic;

/// What a new customer is made of.
#[derive(Debug, Default)]
pub struct NewCustomerInput {
    /// Email address (required).
    pub email: String,
    /// Password; none makes a guest.
    pub password: Option<Password>,
    /// The integrator's identifier.
    pub reference: Option<String>,
    /// Where the reference comes from.
    pub reference_origin: Option<String>,
    /// Key-value pairs.
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Changes to a customer: `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Default)]
pub struct CustomerChanges {
    /// New email address.
    pub email: Option<String>,
    /// A password for a guest.
    pub password: Option<Password>,
    /// New reference.
    pub reference: Option<Option<String>>,
    /// New reference origin.
    pub reference_origin: Option<Option<String>>,
    /// New metadata (replaces the old).
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

fn parse_email(raw: &str) -> Result<Email, CustomerError> {
    Email::parse(raw).map_err(|problem| {
        let message = match problem {
            super::EmailProblem::Blank => "can't be blank",
            super::EmailProblem::Invalid => "is not a valid email address",
        };
        CustomerError::Invalid(FieldProblem::new("/input/email", problem.key(), message))
    })
}

fn email_taken() -> CustomerError {
    CustomerError::Invalid(FieldProblem::new(
        "/input/email",
        "taken",
        "has already been taken",
    ))
}

fn check_new_password(hasher: &PasswordHasher, password: &Password) -> Result<(), CustomerError> {
    hasher.check(password).map_err(|problem| {
        CustomerError::Invalid(FieldProblem::new(
            "/input/password",
            problem.key(),
            "does not meet the password rules",
        ))
    })
}

fn password_already_set() -> CustomerError {
    CustomerError::Invalid(FieldProblem::new(
        "/input/password",
        "already_set",
        "this customer already has a password: use a password reset",
    ))
}

/// Refuses an email that another customer of the mode (other than `except`) holds.
async fn check_email_free(
    db: &Db,
    mode: Mode,
    email: &Email,
    except: Option<&str>,
) -> Result<(), CustomerError> {
    let mut conn = db.read().await?;
    match queries::find_by_email(&mut conn, mode, email.as_str()).await? {
        Some(holder) if Some(holder.id.as_str()) != except => Err(email_taken()),
        _ => Ok(()),
    }
}

/// Creates a customer in the caller's mode (a guest when no password is given). Fires
/// `customers.create`.
pub async fn create(
    db: &Db,
    hasher: &PasswordHasher,
    outbox: &Outbox,
    caller: &Principal,
    input: NewCustomerInput,
) -> Result<Customer, CustomerError> {
    let metadata = input.metadata.as_ref().map(metadata_text);
    IntegratorWrites::of_new(
        input.reference.as_deref(),
        input.reference_origin.as_deref(),
        metadata.as_deref(),
    )
    .check(caller.role)?;
    let email = parse_email(&input.email)?;
    let password_hash = match &input.password {
        Some(password) => {
            check_new_password(hasher, password)?;
            check_email_free(db, caller.mode, &email, None).await?;
            Some(hasher.hash(password).await?)
        }
        None => None,
    };
    let created_at = now();
    let row = NewCustomer {
        id: secrets::random_id(10),
        mode: caller.mode.as_str().to_owned(),
        email: email.as_str().to_owned(),
        password_hash,
        reference: input.reference,
        reference_origin: input.reference_origin,
        metadata: metadata.unwrap_or_else(|| metadata_text(&Default::default())),
        created_at,
        updated_at: created_at,
    };
    let (mode, events) = (caller.mode, outbox.clone());
    let (customer, fired) = db
        .transaction(move |conn| {
            async move {
                let customer = queries::insert(conn, &row).await.map_err(|e| match e {
                    e if e.is_unique_violation() => email_taken(),
                    e => e.into(),
                })?;
                let fired =
                    outbox::record(conn, &events, mode, Topic::CustomerCreated, &customer).await?;
                Ok::<_, CustomerError>((customer, fired))
            }
            .boxed()
        })
        .await?;
    outbox.wake_for(fired);
    Ok(customer)
}

/// The customer `id`, if the caller may see it: integrations see their whole mode, a
/// customer only themself.
pub async fn find_visible(
    db: &Db,
    caller: &Principal,
    id: &str,
) -> Result<Customer, CustomerError> {
    if caller.role == Role::Customer && !caller.is_customer(id) {
        return Err(CustomerError::NotFound);
    }
    let mut conn = db.read().await?;
    queries::find(&mut conn, caller.mode, id)
        .await?
        .ok_or(CustomerError::NotFound)
}

/// A page of the caller's mode's customers, with the total when asked for.
pub async fn list(
    db: &Db,
    caller: &Principal,
    filter: &CustomerFilter,
    sort: CustomerSort,
    window: PageWindow,
    with_total: bool,
) -> Result<(Page<Customer>, Option<i64>), CustomerError> {
    let mut conn = db.read().await?;
    let items = queries::list(&mut conn, caller.mode, filter, sort, window.probe()).await?;
    let total = match with_total {
        true => Some(queries::count(&mut conn, caller.mode, filter).await?),
        false => None,
    };
    Ok((window.page(items), total))
}

/// Changes a customer. A customer may change only themself and never the password this
/// way; an integration may give a guest a password, but never replace one (which fires
/// `customers.create_password`).
pub async fn update(
    db: &Db,
    hasher: &PasswordHasher,
    outbox: &Outbox,
    caller: &Principal,
    id: &str,
    changes: CustomerChanges,
) -> Result<Customer, CustomerError> {
    if caller.role == Role::Customer && !caller.is_customer(id) {
        return Err(CustomerError::NotFound);
    }
    if changes.password.is_some() && caller.role != Role::Integration {
        return Err(CustomerError::Forbidden(
            "only integrations may set a password",
        ));
    }
    let metadata = changes.metadata.as_ref().map(metadata_text);
    IntegratorWrites {
        reference: changes.reference.as_ref().map(Option::as_deref),
        reference_origin: changes.reference_origin.as_ref().map(Option::as_deref),
        metadata: metadata.as_deref(),
    }
    .check(caller.role)?;
    let email = changes.email.as_deref().map(parse_email).transpose()?;
    // Hash before any transaction opens: argon2 must not hold a connection or a lock.
    let password_hash = match &changes.password {
        Some(password) => {
            check_new_password(hasher, password)?;
            check_guest(db, caller.mode, id).await?;
            if let Some(email) = &email {
                check_email_free(db, caller.mode, email, Some(id)).await?;
            }
            Some(hasher.hash(password).await?)
        }
        None => None,
    };
    let update = CustomerUpdate {
        email: email.map(|e| e.as_str().to_owned()),
        reference: changes.reference,
        reference_origin: changes.reference_origin,
        metadata,
        updated_at: Some(now()),
    };
    let (mode, events) = (caller.mode, outbox.clone());
    let id = id.to_owned();
    let (customer, fired) = db
        .transaction(move |conn| {
            async move {
                let old_email = match &update.email {
                    Some(_) => queries::find(conn, mode, &id).await?.map(|c| c.email),
                    None => None,
                };
                let updated = queries::update(conn, mode, &id, &update)
                    .await
                    .map_err(|e| match e {
                        e if e.is_unique_violation() => email_taken(),
                        e => CustomerError::from(e),
                    })?
                    .ok_or(CustomerError::NotFound)?;
                if old_email.is_some_and(|old| old != updated.email) {
                    // A reset mailed to the old address must not take over the account.
                    pending_resets::expire(conn, &id, None, now()).await?;
                    outbox_queries::forget_tokens(conn, TokenScope::CustomerResets(&id), now())
                        .await?;
                }
                let Some(hash) = password_hash else {
                    return Ok((updated, 0));
                };
                if !queries::set_password_if_unset(conn, &id, &hash).await? {
                    return Err(password_already_set());
                }
                sessions::end_all_for_customer(conn, &id).await?;
                let customer = queries::find(conn, mode, &id).await?.unwrap_or(updated);
                let topic = Topic::CustomerPasswordCreated;
                let fired = outbox::record(conn, &events, mode, topic, &customer).await?;
                Ok((customer, fired))
            }
            .boxed()
        })
        .await?;
    outbox.wake_for(fired);
    Ok(customer)
}

/// Refuses a password for customer `id` unless it exists and is a guest.
async fn check_guest(db: &Db, mode: Mode, id: &str) -> Result<(), CustomerError> {
    let mut conn = db.read().await?;
    match queries::find(&mut conn, mode, id).await? {
        None => Err(CustomerError::NotFound),
        Some(customer) if customer.has_password => Err(password_already_set()),
        Some(_) => Ok(()),
    }
}

/// Deletes a customer (an integration, or the customer themself) and returns its id.
pub async fn delete(db: &Db, caller: &Principal, id: &str) -> Result<String, CustomerError> {
    if caller.role == Role::Customer && !caller.is_customer(id) {
        return Err(CustomerError::NotFound);
    }
    let mut conn = db.conn().await?;
    match queries::delete(&mut conn, caller.mode, id).await? {
        true => {
            // Its resets went with it: their waiting create events go too, with their
            // tokens.
            outbox_queries::forget_tokens(&mut conn, TokenScope::All, now()).await?;
            Ok(id.to_owned())
        }
        false => Err(CustomerError::NotFound),
    }
}
