//! Customer queries, written once for both backends.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::{Customer, CustomerFilter, CustomerSort, CustomerSortField};
use crate::auth::Mode;
use crate::db::schema::customers;
use crate::db::{CachedSqlExt, Conn, DbError, now};
use crate::db_run;
use crate::listing::{PageWindow, SortKind, like_pattern};

/// A customer row to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = customers)]
pub struct NewCustomer {
    /// Opaque random id.
    pub id: String,
    /// `test` or `live`.
    pub mode: String,
    /// Normalised email.
    pub email: String,
    /// PHC string, none for a guest.
    pub password_hash: Option<String>,
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

/// Changes to a customer's own fields (`None`: leave as is).
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = customers)]
pub struct CustomerUpdate {
    /// New normalised email.
    pub email: Option<String>,
    /// New reference (`Some(None)` clears it).
    pub reference: Option<Option<String>>,
    /// New reference origin (`Some(None)` clears it).
    pub reference_origin: Option<Option<String>>,
    /// New metadata as JSON text.
    pub metadata: Option<String>,
    /// Always set: the change time.
    pub updated_at: Option<NaiveDateTime>,
}

/// Builds the filtered query for one backend; expanded inside `db_run!` so that each
/// backend infers its own boxed query type.
macro_rules! filtered {
    ($mode:expr, $filter:expr) => {{
        let filter: &CustomerFilter = $filter;
        let mut query = customers::table
            .filter(customers::mode.eq($mode.as_str()))
            .into_boxed();
        if let Some(email) = &filter.email_eq {
            query = query.filter(customers::email.eq(email.trim().to_lowercase()));
        }
        if let Some(part) = &filter.email_cont {
            let pattern = like_pattern(&part.trim().to_lowercase(), true);
            query = query.filter(customers::email.like(pattern).escape('\\'));
        }
        if let Some(start) = &filter.email_start {
            let pattern = like_pattern(&start.trim().to_lowercase(), false);
            query = query.filter(customers::email.like(pattern).escape('\\'));
        }
        if let Some(has_password) = filter.has_password_eq {
            query = if has_password {
                query.filter(customers::password_hash.is_not_null())
            } else {
                query.filter(customers::password_hash.is_null())
            };
        }
        if let Some(reference) = &filter.reference_eq {
            query = query.filter(customers::reference.eq(reference));
        }
        query
    }};
}

/// The customers' sort fields, each with the column it orders by and that column's kind:
/// the one place a customer list's order is stated, handed to `crate::db::keyset::list`'s
/// `$list` macro after its arguments.
macro_rules! sort_columns {
    ($list:ident!($($args:tt)*)) => {
        crate::$list!($($args)*; CustomerSortField, customers::id, {
            Id => Id,
            CreatedAt => Time(customers::created_at),
            UpdatedAt => Time(customers::updated_at),
            Reference => NullableText(customers::reference),
            ReferenceOrigin => NullableText(customers::reference_origin),
            Email => Text(customers::email),
        })
    };
}

/// The kind of value a sort field holds, as `sort_columns!` states it.
pub(super) fn sort_kind(field: CustomerSortField) -> SortKind {
    sort_columns!(keyset_kind!(field))
}

/// One customer of this mode.
pub async fn find(conn: &mut Conn, mode: Mode, id: &str) -> Result<Option<Customer>, DbError> {
    Ok(db_run!(conn, |c| {
        customers::table
            .find(id)
            .filter(customers::mode.eq(mode.as_str()))
            .select(Customer::as_select())
            .limit(1)
            .cached_sql()
            .get_result(c)
            .await
            .optional()
    })?)
}

/// The customers of this mode among `ids`, in no particular order (for data loaders).
pub async fn find_many(
    conn: &mut Conn,
    mode: Mode,
    ids: &[String],
) -> Result<Vec<Customer>, DbError> {
    Ok(db_run!(conn, |c| {
        customers::table
            .filter(customers::id.eq_any(ids))
            .filter(customers::mode.eq(mode.as_str()))
            .select(Customer::as_select())
            .load(c)
            .await
    })?)
}

/// The customer of this mode with this (normalised) email.
pub async fn find_by_email(
    conn: &mut Conn,
    mode: Mode,
    email: &str,
) -> Result<Option<Customer>, DbError> {
    Ok(db_run!(conn, |c| {
        customers::table
            .filter(customers::mode.eq(mode.as_str()))
            .filter(customers::email.eq(email))
            .select(Customer::as_select())
            .limit(1)
            .cached_sql()
            .get_result(c)
            .await
            .optional()
    })?)
}

/// What a login checks a password against.
#[derive(Debug, Clone, Queryable)]
pub struct StoredPassword {
    /// The customer.
    pub id: String,
    /// The PHC string; none for a guest.
    pub password_hash: Option<String>,
    /// Bumped by every password change: a session opens only under the current one.
    pub password_version: i32,
}

/// The id, password hash and password version of the customer with this email, for
/// logging in.
pub async fn find_credentials(
    conn: &mut Conn,
    mode: Mode,
    email: &str,
) -> Result<Option<StoredPassword>, DbError> {
    Ok(db_run!(conn, |c| {
        customers::table
            .filter(customers::mode.eq(mode.as_str()))
            .filter(customers::email.eq(email))
            .select((
                customers::id,
                customers::password_hash,
                customers::password_version,
            ))
            .first(c)
            .await
            .optional()
    })?)
}

/// A page of customers: one statement, and a second when a nullable sort's page runs past
/// the part of the order its cursor stands in (see `crate::db::keyset`).
pub async fn list(
    conn: &mut Conn,
    mode: Mode,
    filter: &CustomerFilter,
    sort: CustomerSort,
    window: PageWindow,
) -> Result<Vec<Customer>, DbError> {
    Ok(sort_columns!(keyset_page!(
        conn,
        filtered!(mode, filter),
        Customer::as_select(),
        sort,
        &window
    )))
}

/// How many customers match.
pub async fn count(conn: &mut Conn, mode: Mode, filter: &CustomerFilter) -> Result<i64, DbError> {
    Ok(db_run!(conn, |c| {
        filtered!(mode, filter).count().get_result(c).await
    })?)
}

/// Inserts a customer and returns it as stored.
pub async fn insert(conn: &mut Conn, customer: &NewCustomer) -> Result<Customer, DbError> {
    Ok(db_run!(conn, |c| {
        diesel::insert_into(customers::table)
            .values(customer)
            .returning(Customer::as_returning())
            .get_result(c)
            .await
    })?)
}

/// Applies field changes; None when there is no such customer in this mode.
pub async fn update(
    conn: &mut Conn,
    mode: Mode,
    id: &str,
    changes: &CustomerUpdate,
) -> Result<Option<Customer>, DbError> {
    Ok(db_run!(conn, |c| {
        diesel::update(
            customers::table
                .find(id)
                .filter(customers::mode.eq(mode.as_str())),
        )
        .set(changes)
        .returning(Customer::as_returning())
        .get_result(c)
        .await
        .optional()
    })?)
}

/// Gives a guest a password (a password change: the version moves on). False when the
/// customer already has one (or is gone).
pub async fn set_password_if_unset(conn: &mut Conn, id: &str, hash: &str) -> Result<bool, DbError> {
    let changed = db_run!(conn, |c| {
        diesel::update(
            customers::table
                .find(id)
                .filter(customers::password_hash.is_null()),
        )
        .set((
            customers::password_hash.eq(hash),
            customers::password_version.eq(customers::password_version + 1),
            customers::updated_at.eq(now()),
        ))
        .execute(c)
        .await
    })?;
    Ok(changed == 1)
}

/// Changes a customer's password (a redeemed reset): the new hash, and the next password
/// version, which ends every session opened under an earlier one.
pub async fn change_password(conn: &mut Conn, id: &str, hash: &str) -> Result<(), DbError> {
    db_run!(conn, |c| {
        diesel::update(customers::table.find(id))
            .set((
                customers::password_hash.eq(hash),
                customers::password_version.eq(customers::password_version + 1),
                customers::updated_at.eq(now()),
            ))
            .cached_sql()
            .execute(c)
            .await
    })?;
    Ok(())
}

/// Replaces the hash a login just verified with a stronger one of the same password (a
/// rehash: not a password change, so the version stays). A compare-and-swap on the
/// verified hash: when a password change committed since, the stored hash differs (each
/// has its own salt) and the rehash, a copy of the old password, is dropped.
pub async fn replace_verified_hash(
    conn: &mut Conn,
    id: &str,
    verified: &str,
    stronger: &str,
) -> Result<(), DbError> {
    db_run!(conn, |c| {
        diesel::update(
            customers::table
                .find(id)
                .filter(customers::password_hash.eq(verified)),
        )
        .set(customers::password_hash.eq(stronger))
        .execute(c)
        .await
    })?;
    Ok(())
}

/// Deletes a customer of this mode. False when there was none.
pub async fn delete(conn: &mut Conn, mode: Mode, id: &str) -> Result<bool, DbError> {
    let deleted = db_run!(conn, |c| {
        diesel::delete(
            customers::table
                .find(id)
                .filter(customers::mode.eq(mode.as_str())),
        )
        .execute(c)
        .await
    })?;
    Ok(deleted == 1)
}

/// [`list`]'s statements run under `EXPLAIN (ANALYZE, FORMAT JSON)` on PostgreSQL, their
/// plans as JSON, one per statement the page ran (none on SQLite): how a test sees the
/// rows a page reads. Built by the same macros as [`list`], so they are the same
/// statements.
pub async fn explain_list(
    conn: &mut Conn,
    mode: Mode,
    filter: &CustomerFilter,
    sort: CustomerSort,
    window: PageWindow,
) -> Result<Option<Vec<serde_json::Value>>, DbError> {
    Ok(sort_columns!(keyset_explain!(
        conn,
        filtered!(mode, filter),
        Customer::as_select(),
        sort,
        &window
    )))
}
