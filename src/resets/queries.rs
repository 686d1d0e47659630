//! Reset queries, written once for both backends.

use chrono::NaiveDateTime;
use diesel::dsl::case_when;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamp};
use diesel_async::RunQueryDsl;

use super::{PasswordReset, ResetFilter, ResetSort, ResetSortField};
use crate::auth::{Mode, secrets};
use crate::customers::Customer;
use crate::db::json::json_contains;
use crate::db::schema::customer_password_resets as resets;
use crate::db::schema::customers;
use crate::db::{CachedSqlExt, Conn, DbError};
use crate::db_run;
use crate::listing::{PageWindow, SortKind, like_pattern};
use crate::pending_resets::MAX_FAILED_ATTEMPTS;

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

/// The resets of a mode that match a filter, read from `$source` (the resets table, or
/// the resets joined with their customers).
macro_rules! filtered {
    ($mode:expr, $filter:expr) => {
        filtered!(resets::table, $mode, $filter)
    };
    ($source:expr, $mode:expr, $filter:expr) => {{
        let filter: &ResetFilter = $filter;
        let mut query = $source.filter(resets::mode.eq($mode.as_str())).into_boxed();
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

/// The resets' sort fields, each with the column it orders by and that column's kind:
/// the one place a reset list's order is stated, handed to `crate::db::keyset::list`'s
/// `$list` macro after its arguments.
macro_rules! sort_columns {
    ($list:ident!($($args:tt)*)) => {
        crate::$list!($($args)*; ResetSortField, resets::id, {
            Id => Id,
            CreatedAt => Time(resets::created_at),
            UpdatedAt => Time(resets::updated_at),
            Reference => NullableText(resets::reference),
            ReferenceOrigin => NullableText(resets::reference_origin),
        })
    };
}

/// The kind of value a sort field holds, as `sort_columns!` states it.
pub(super) fn sort_kind(field: ResetSortField) -> SortKind {
    sort_columns!(keyset_kind!(field))
}

/// Inserts a reset and returns it as stored.
pub async fn insert(conn: &mut Conn, reset: &NewReset) -> Result<PasswordReset, DbError> {
    Ok(db_run!(conn, |c| {
        diesel::insert_into(resets::table)
            .values(reset)
            .returning(PasswordReset::as_returning())
            .get_result(c)
            .await
    })?)
}

/// Locks the customer's row until the transaction ends, so that reset creations for one
/// customer run one after the other. PostgreSQL at READ COMMITTED would otherwise let two
/// creations each expire the older resets without seeing the other's insert, and both
/// stay pending. An update that changes nothing is the row lock both backends take
/// (SQLite's immediate transaction already holds the database). False when there is no
/// such customer.
pub async fn lock_customer(conn: &mut Conn, customer_id: &str) -> Result<bool, DbError> {
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
pub async fn find(conn: &mut Conn, mode: Mode, id: &str) -> Result<Option<PasswordReset>, DbError> {
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

/// The columns of [`PasswordReset`], as [`page_for_customers`]'s SQL text names them.
const RESET_COLUMNS: &str = "id, mode, customer_id, customer_email, expires_at, \
    reset_password_at, failed_attempts, reference, reference_origin, metadata, created_at, \
    updated_at";

/// [`page_for_customers`]'s SQL text: one bounded branch per customer, joined by
/// `UNION ALL`, each branch a subquery (SQLite allows `ORDER BY` and `LIMIT` in a
/// compound's members only so; PostgreSQL needs its alias). Parameters are numbered in
/// order of first appearance, which both databases read alike (see
/// `crate::webhooks::outbox::queries`).
fn page_for_customers_sql(customers: usize, after: bool) -> String {
    let mut next = 0;
    let mut param = || {
        next += 1;
        format!("${next}")
    };
    let branches: Vec<String> = (0..customers)
        .map(|n| {
            let (customer, mode) = (param(), param());
            let after = match after {
                true => {
                    let (before, at, id) = (param(), param(), param());
                    format!(" AND (created_at < {before} OR (created_at = {at} AND id < {id}))")
                }
                false => String::new(),
            };
            let limit = param();
            format!(
                "SELECT {RESET_COLUMNS} FROM (SELECT {RESET_COLUMNS} FROM customer_password_resets \
                 WHERE customer_id = {customer} AND mode = {mode}{after} \
                 ORDER BY created_at DESC, id DESC LIMIT {limit}) AS page{n}"
            )
        })
        .collect();
    // No ORDER BY over the whole: SQLite would sort each branch again in a temporary
    // B-tree of its own to merge them, most of the statement's time and memory; the few
    // rows are put in order in Rust instead.
    branches.join(" UNION ALL ")
}

/// [`page_for_customers`]'s statement with its parameters bound (a macro, so that each
/// backend's arm and [`explain_page_for_customers`] build the very same one).
macro_rules! page_for_customers_query {
    ($mode:expr, $customer_ids:expr, $after:expr, $limit:expr) => {{
        let sql = page_for_customers_sql($customer_ids.len(), $after.is_some());
        let mut query = diesel::sql_query(sql).into_boxed();
        for customer_id in $customer_ids {
            query = query
                .bind::<Text, _>(customer_id.clone())
                .bind::<Text, _>($mode.as_str());
            if let Some((time, id)) = $after {
                query = query
                    .bind::<Timestamp, _>(*time)
                    .bind::<Timestamp, _>(*time)
                    .bind::<Text, _>(id.clone());
            }
            query = query.bind::<BigInt, _>($limit);
        }
        query
    }};
}

/// One page of each of these customers' resets, newest first (creation time, then id,
/// descending): at most `limit` per
/// customer, after `after` (creation time and id) when given, in one statement that reads
/// no more than that per customer (one bounded branch each, served by the
/// `(customer_id, created_at)` index), however many resets a customer has. Both
/// databases run it (SQLite has no `LATERAL`; a window function would still read every
/// row; `id IN (…) OR id IN (…)` made PostgreSQL scan the table).
pub async fn page_for_customers(
    conn: &mut Conn,
    mode: Mode,
    customer_ids: &[String],
    after: Option<&(NaiveDateTime, String)>,
    limit: i64,
) -> Result<Vec<PasswordReset>, DbError> {
    if customer_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut page: Vec<PasswordReset> = db_run!(conn, |c| {
        // Kept prepared: planning 25 branches afresh cost PostgreSQL more than running
        // them. Its text takes one form per number of customers and cursor presence.
        page_for_customers_query!(mode, customer_ids, after, limit)
            .cached_sql()
            .load(c)
            .await
    })?;
    page.sort_unstable_by(|a, b| (&b.created_at, &b.id).cmp(&(&a.created_at, &a.id)));
    Ok(page)
}

/// [`page_for_customers`]'s statement under `EXPLAIN (ANALYZE, FORMAT JSON)` on
/// PostgreSQL, its plan as JSON (none on SQLite): how a test sees the rows it reads.
pub async fn explain_page_for_customers(
    conn: &mut Conn,
    mode: Mode,
    customer_ids: &[String],
    limit: i64,
) -> Result<Option<serde_json::Value>, DbError> {
    let Conn::Pg(c) = conn else {
        return Ok(None);
    };
    let c: &mut &crate::db::PgConn = &mut &**c;
    let sql = format!(
        "EXPLAIN (ANALYZE, FORMAT JSON) {}",
        page_for_customers_sql(customer_ids.len(), false)
    );
    let mut query = diesel::sql_query(sql).into_boxed();
    for customer_id in customer_ids {
        query = query
            .bind::<Text, _>(customer_id.clone())
            .bind::<Text, _>(mode.as_str())
            .bind::<BigInt, _>(limit);
    }
    #[derive(QueryableByName)]
    struct Plan {
        #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
        plan: String,
    }
    let plan: Plan = query.get_result(c).await?;
    let plan: serde_json::Value = serde_json::from_str(&plan.plan).unwrap_or_default();
    Ok(Some(plan[0].clone()))
}

/// How many resets each of these customers has (those with none are left out).
pub async fn count_for_customers(
    conn: &mut Conn,
    mode: Mode,
    customer_ids: &[String],
) -> Result<Vec<(String, i64)>, DbError> {
    Ok(db_run!(conn, |c| {
        resets::table
            .filter(resets::customer_id.eq_any(customer_ids))
            .filter(resets::mode.eq(mode.as_str()))
            .group_by(resets::customer_id)
            .select((resets::customer_id, diesel::dsl::count_star()))
            .load(c)
            .await
    })?)
}

/// A page of resets: one statement, and a second when a nullable sort's page runs past
/// the part of the order its cursor stands in (see `crate::db::keyset`).
pub async fn list(
    conn: &mut Conn,
    mode: Mode,
    filter: &ResetFilter,
    sort: ResetSort,
    window: PageWindow,
) -> Result<Vec<PasswordReset>, DbError> {
    Ok(sort_columns!(keyset_page!(
        conn,
        filtered!(resets::table, mode, filter),
        PasswordReset::as_select(),
        sort,
        &window
    )))
}

/// A page of resets, each with its customer joined in the same statement: the list's
/// page when the client asked for the customers too.
pub async fn list_with_customers(
    conn: &mut Conn,
    mode: Mode,
    filter: &ResetFilter,
    sort: ResetSort,
    window: PageWindow,
) -> Result<Vec<(PasswordReset, Customer)>, DbError> {
    Ok(sort_columns!(keyset_page!(
        conn,
        filtered!(resets::table.inner_join(customers::table), mode, filter),
        (PasswordReset::as_select(), Customer::as_select()),
        sort,
        &window
    )))
}

/// [`list`]'s statements run under `EXPLAIN (ANALYZE, FORMAT JSON)` on PostgreSQL, their
/// plans as JSON, one per statement the page ran (none on SQLite): how a test sees the
/// rows a page reads. Built by the same macros as [`list`], so they are the same
/// statements.
pub async fn explain_list(
    conn: &mut Conn,
    mode: Mode,
    filter: &ResetFilter,
    sort: ResetSort,
    window: PageWindow,
) -> Result<Option<Vec<serde_json::Value>>, DbError> {
    Ok(sort_columns!(keyset_explain!(
        conn,
        filtered!(mode, filter),
        PasswordReset::as_select(),
        sort,
        &window
    )))
}

/// A reset of the mode by id with its customer, in one statement.
pub async fn find_with_customer(
    conn: &mut Conn,
    mode: Mode,
    id: &str,
) -> Result<Option<(PasswordReset, Customer)>, DbError> {
    Ok(db_run!(conn, |c| {
        resets::table
            .inner_join(customers::table)
            .filter(resets::id.eq(id))
            .filter(resets::mode.eq(mode.as_str()))
            .select((PasswordReset::as_select(), Customer::as_select()))
            .limit(1)
            .cached_sql()
            .get_result(c)
            .await
            .optional()
    })?)
}

/// How many resets match.
pub async fn count(conn: &mut Conn, mode: Mode, filter: &ResetFilter) -> Result<i64, DbError> {
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
) -> Result<Attempt, DbError> {
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
) -> Result<Option<PasswordReset>, DbError> {
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
) -> Result<Option<PasswordReset>, DbError> {
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
pub async fn delete(conn: &mut Conn, mode: Mode, id: &str) -> Result<bool, DbError> {
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
