//! Reset queries, written once for both backends.

use chrono::NaiveDateTime;
use diesel::dsl::case_when;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Timestamp};
use diesel_async::RunQueryDsl;

use super::{MAX_FAILED_ATTEMPTS, PasswordReset, ResetFilter, ResetSort, ResetSortField};
use crate::auth::{Mode, secrets};
use crate::db::json::json_contains;
use crate::db::schema::customer_password_resets as resets;
use crate::db::schema::customers;
use crate::db::{CachedSqlExt, Conn, DbResult};
use crate::db_run;
use crate::listing::{Direction, PageWindow, SortValue, like_pattern};

/// A reset row to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = resets)]
pub struct NewReset {
    /// Opaque random id.
    pub id: String,
    /// `test` or `live`.
    pub mode: String,
    /// The customer.
    pub customer_id: String,
    /// The customer's email when the reset was made.
    pub customer_email: String,
    /// SHA-256 of the token.
    pub token_digest: String,
    /// When the token stops working.
    pub expires_at: NaiveDateTime,
    /// The integrator's identifier.
    pub reference: Option<String>,
    /// Where the reference comes from.
    pub reference_origin: Option<String>,
    /// JSON text of an object.
    pub metadata: String,
    /// Creation time.
    pub created_at: NaiveDateTime,
    /// Last change time.
    pub updated_at: NaiveDateTime,
}

/// Changes to a reset's own attributes (`None`: leave as is).
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = resets)]
pub struct ResetUpdate {
    /// New reference (`Some(None)` clears it).
    pub reference: Option<Option<String>>,
    /// New reference origin (`Some(None)` clears it).
    pub reference_origin: Option<Option<String>>,
    /// New metadata as JSON text.
    pub metadata: Option<String>,
    /// The change time.
    pub updated_at: Option<NaiveDateTime>,
}

macro_rules! filtered {
    ($mode:expr, $filter:expr) => {{
        let filter: &ResetFilter = $filter;
        let mut query = resets::table
            .filter(resets::mode.eq($mode.as_str()))
            .into_boxed();
        if let Some(email) = &filter.customer_email_eq {
            query = query.filter(resets::customer_email.eq(email.trim().to_lowercase()));
        }
        if let Some(part) = &filter.customer_email_cont {
            let pattern = like_pattern(&part.trim().to_lowercase(), true);
            query = query.filter(resets::customer_email.like(pattern).escape('\\'));
        }
        if let Some(id) = &filter.customer_id_eq {
            query = query.filter(resets::customer_id.eq(id));
        }
        if let Some(token) = &filter.reset_password_token_eq {
            query = query.filter(resets::token_digest.eq(secrets::digest(token)));
        }
        query = match filter.reset_password_at_null {
            Some(true) => query.filter(resets::reset_password_at.is_null()),
            Some(false) => query.filter(resets::reset_password_at.is_not_null()),
            None => query,
        };
        if let Some(t) = filter.created_at_gt {
            query = query.filter(resets::created_at.gt(t));
        }
        if let Some(t) = filter.created_at_gteq {
            query = query.filter(resets::created_at.ge(t));
        }
        if let Some(t) = filter.created_at_lt {
            query = query.filter(resets::created_at.lt(t));
        }
        if let Some(t) = filter.created_at_lteq {
            query = query.filter(resets::created_at.le(t));
        }
        if let Some(reference) = &filter.reference_eq {
            query = query.filter(resets::reference.eq(reference));
        }
        if let Some(fragment) = &filter.metadata_jcont {
            let fragment = serde_json::Value::Object(fragment.clone()).to_string();
            query = query.filter(json_contains(resets::metadata, fragment));
        }
        query
    }};
}

/// Orders a filtered query by the sort, ties broken by id in the same direction.
macro_rules! sorted {
    ($query:expr, $sort:expr) => {{
        let sort: ResetSort = $sort;
        let query = $query;
        match sort.field {
            ResetSortField::Id => match sort.direction {
                Direction::Asc => query.order_by(resets::id.asc()),
                Direction::Desc => query.order_by(resets::id.desc()),
            },
            ResetSortField::CreatedAt => match sort.direction {
                Direction::Asc => query
                    .order_by(resets::created_at.asc())
                    .then_order_by(resets::id.asc()),
                Direction::Desc => query
                    .order_by(resets::created_at.desc())
                    .then_order_by(resets::id.desc()),
            },
            ResetSortField::UpdatedAt => match sort.direction {
                Direction::Asc => query
                    .order_by(resets::updated_at.asc())
                    .then_order_by(resets::id.asc()),
                Direction::Desc => query
                    .order_by(resets::updated_at.desc())
                    .then_order_by(resets::id.desc()),
            },
            ResetSortField::Reference => {
                crate::order_nullable!(query, resets::reference, resets::id, sort.direction)
            }
            ResetSortField::ReferenceOrigin => {
                crate::order_nullable!(query, resets::reference_origin, resets::id, sort.direction)
            }
        }
    }};
}

/// Keeps the records after the window's key in the sort's order (see `crate::db::keyset`).
macro_rules! after {
    ($query:expr, $sort:expr, $after:expr) => {{
        let sort: ResetSort = $sort;
        let query = $query;
        match $after {
            None => query,
            Some(key) => match (sort.field, key.value) {
                (ResetSortField::Id, _) => match sort.direction {
                    Direction::Asc => query.filter(resets::id.gt(key.id)),
                    Direction::Desc => query.filter(resets::id.lt(key.id)),
                },
                (ResetSortField::CreatedAt, SortValue::Time(value)) => {
                    crate::after_key!(
                        query,
                        resets::created_at,
                        value,
                        resets::id,
                        key.id,
                        sort.direction
                    )
                }
                (ResetSortField::UpdatedAt, SortValue::Time(value)) => {
                    crate::after_key!(
                        query,
                        resets::updated_at,
                        value,
                        resets::id,
                        key.id,
                        sort.direction
                    )
                }
                (ResetSortField::Reference, SortValue::Text(value)) => {
                    crate::after_nullable_key!(
                        query,
                        resets::reference,
                        value,
                        resets::id,
                        key.id,
                        sort.direction
                    )
                }
                (ResetSortField::ReferenceOrigin, SortValue::Text(value)) => {
                    crate::after_nullable_key!(
                        query,
                        resets::reference_origin,
                        value,
                        resets::id,
                        key.id,
                        sort.direction
                    )
                }
                // A signed cursor's value always fits its sort; a mismatch matches nothing.
                _ => query.filter(false.into_sql::<diesel::sql_types::Bool>()),
            },
        }
    }};
}

/// Inserts a reset and returns it as stored.
pub async fn insert(conn: &mut Conn, reset: &NewReset) -> DbResult<PasswordReset> {
    Ok(db_run!(conn, |c| {
        diesel::insert_into(resets::table)
            .values(reset)
            .returning(PasswordReset::as_returning())
            .get_result(c)
            .await
    })?)
}

/// Expires the customer's pending resets, but `except`. Returns how many it expired.
pub async fn expire_pending(
    conn: &mut Conn,
    customer_id: &str,
    except: Option<&str>,
    now: NaiveDateTime,
) -> DbResult<usize> {
    let except = except.unwrap_or("");
    Ok(db_run!(conn, |c| {
        diesel::update(
            resets::table
                .filter(resets::customer_id.eq(customer_id))
                .filter(resets::id.ne(except))
                .filter(resets::reset_password_at.is_null())
                .filter(resets::expires_at.gt(now)),
        )
        .set((resets::expires_at.eq(now), resets::updated_at.eq(now)))
        .cached_sql()
        .execute(c)
        .await
    })?)
}

/// Locks the customer's row until the transaction ends, so that reset creations for one
/// customer run one after the other. PostgreSQL at READ COMMITTED would otherwise let two
/// creations each expire the older resets without seeing the other's insert, and both
/// stay pending. An update that changes nothing is the row lock both backends take
/// (SQLite's immediate transaction already holds the database). False when there is no
/// such customer.
pub async fn lock_customer(conn: &mut Conn, customer_id: &str) -> DbResult<bool> {
    let locked = db_run!(conn, |c| {
        diesel::update(customers::table.find(customer_id))
            .set(customers::updated_at.eq(customers::updated_at))
            .cached_sql()
            .execute(c)
            .await
    })?;
    Ok(locked == 1)
}

/// One reset of this mode.
pub async fn find(conn: &mut Conn, mode: Mode, id: &str) -> DbResult<Option<PasswordReset>> {
    Ok(db_run!(conn, |c| {
        resets::table
            .find(id)
            .filter(resets::mode.eq(mode.as_str()))
            .select(PasswordReset::as_select())
            .limit(1)
            .cached_sql()
            .get_result(c)
            .await
            .optional()
    })?)
}

/// Every reset of these customers, newest first (for the per-customer data loader).
pub async fn for_customers(
    conn: &mut Conn,
    mode: Mode,
    customer_ids: &[String],
) -> DbResult<Vec<PasswordReset>> {
    Ok(db_run!(conn, |c| {
        resets::table
            .filter(resets::customer_id.eq_any(customer_ids))
            .filter(resets::mode.eq(mode.as_str()))
            .order_by((resets::created_at.desc(), resets::id.desc()))
            .select(PasswordReset::as_select())
            .load(c)
            .await
    })?)
}

/// A page of resets.
pub async fn list(
    conn: &mut Conn,
    mode: Mode,
    filter: &ResetFilter,
    sort: ResetSort,
    window: PageWindow,
) -> DbResult<Vec<PasswordReset>> {
    Ok(db_run!(conn, |c| {
        sorted!(
            after!(filtered!(mode, filter), sort, window.after.clone()),
            sort
        )
        .select(PasswordReset::as_select())
        .limit(window.limit)
        .load(c)
        .await
    })?)
}

/// How many resets match.
pub async fn count(conn: &mut Conn, mode: Mode, filter: &ResetFilter) -> DbResult<i64> {
    Ok(db_run!(conn, |c| filtered!(mode, filter)
        .count()
        .get_result(c)
        .await)?)
}

/// What a right token does to a pending reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnRightToken {
    /// Marks it used: a redemption.
    Redeem,
    /// Leaves it as it is: a check of a link before the new password is asked for.
    Keep,
}

/// What one attempt did to a pending reset.
#[derive(Debug, Clone)]
pub enum Attempt {
    /// The token was right: the reset as the statement left it (used, for a redemption).
    Right(Box<PasswordReset>),
    /// The token was wrong, and counted against the reset.
    Counted,
    /// No pending reset of this id in this mode (unknown, used, expired, or out of
    /// guesses): nothing changed.
    NotPending,
}

/// One attempt at a reset, in one conditional statement: on a pending reset, the right
/// token marks it used when `on_right` says so (which makes a token single-use) and a
/// wrong one counts a failed attempt. Checking and counting in the same statement is what
/// bounds the guesses: under the row lock, attempts that arrive together are counted one
/// by one, and none is compared once [`MAX_FAILED_ATTEMPTS`] have failed. A redemption
/// and a check of a link are this same statement, so their wrong tokens count alike.
pub async fn attempt(
    conn: &mut Conn,
    mode: Mode,
    id: &str,
    token_digest: &str,
    now: NaiveDateTime,
    on_right: OnRightToken,
) -> DbResult<Attempt> {
    let right = || resets::token_digest.eq(token_digest);
    // A bound parameter rather than two statements: one prepared statement serves both.
    let redeem = on_right == OnRightToken::Redeem;
    let redeemed = || right().and(redeem.into_sql::<Bool>());
    let outcome: Option<(PasswordReset, bool)> =
        db_run!(conn, |c| {
            diesel::update(
                resets::table
                    .find(id)
                    .filter(resets::mode.eq(mode.as_str()))
                    .filter(resets::reset_password_at.is_null())
                    .filter(resets::expires_at.gt(now))
                    .filter(resets::failed_attempts.lt(MAX_FAILED_ATTEMPTS)),
            )
            .set((
                resets::reset_password_at.eq(case_when(
                    redeemed(),
                    now.into_sql::<Nullable<Timestamp>>(),
                )
                .otherwise(resets::reset_password_at)),
                resets::failed_attempts.eq(case_when(right(), resets::failed_attempts)
                    .otherwise(resets::failed_attempts + 1)),
                resets::updated_at.eq(case_when(redeemed(), now.into_sql::<Timestamp>())
                    .otherwise(resets::updated_at)),
            ))
            .returning((PasswordReset::as_returning(), right()))
            .cached_sql()
            .get_result(c)
            .await
            .optional()
        })?;
    Ok(match outcome {
        Some((reset, true)) => Attempt::Right(Box::new(reset)),
        Some((_, false)) => Attempt::Counted,
        None => Attempt::NotPending,
    })
}

/// The reset of this id and mode whose token has this digest, unless wrong tokens have
/// killed it (a dead reset compares no token, as [`attempt`] does not): how a check tells
/// the holder of the token that their link was used or has expired.
pub async fn find_by_token(
    conn: &mut Conn,
    mode: Mode,
    id: &str,
    token_digest: &str,
) -> DbResult<Option<PasswordReset>> {
    Ok(db_run!(conn, |c| {
        resets::table
            .find(id)
            .filter(resets::mode.eq(mode.as_str()))
            .filter(resets::token_digest.eq(token_digest))
            .filter(resets::failed_attempts.lt(MAX_FAILED_ATTEMPTS))
            .select(PasswordReset::as_select())
            .limit(1)
            .cached_sql()
            .get_result(c)
            .await
            .optional()
    })?)
}

/// Applies attribute changes; None when there is no such reset in this mode.
pub async fn update(
    conn: &mut Conn,
    mode: Mode,
    id: &str,
    changes: &ResetUpdate,
) -> DbResult<Option<PasswordReset>> {
    Ok(db_run!(conn, |c| {
        diesel::update(
            resets::table
                .find(id)
                .filter(resets::mode.eq(mode.as_str())),
        )
        .set(changes)
        .returning(PasswordReset::as_returning())
        .get_result(c)
        .await
        .optional()
    })?)
}

/// Deletes a reset of this mode. False when there was none.
pub async fn delete(conn: &mut Conn, mode: Mode, id: &str) -> DbResult<bool> {
    let deleted = db_run!(conn, |c| {
        diesel::delete(
            resets::table
                .find(id)
                .filter(resets::mode.eq(mode.as_str())),
        )
        .execute(c)
        .await
    })?;
    Ok(deleted == 1)
}
