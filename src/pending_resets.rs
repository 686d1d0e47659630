//! When a reset is pending (its token can still be redeemed), and ending a customer's
//! pending resets.
//!
//! Three resources share this rule, so it sits below all of them and names none: a new
//! reset or a redemption ends the customer's other pending resets (`crate::resets`), a
//! new email ends those mailed to the old one (`crate::customers`), and the outbox
//! discards a create event, with its token, once its reset is no longer pending
//! ([`crate::webhooks::outbox::queries::forget_tokens`]).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::schema::customer_password_resets as resets;
use crate::db::{CachedSqlExt, Conn, DbError};
use crate::db_run;

/// Wrong tokens a reset survives; the next one kills it.
pub const MAX_FAILED_ATTEMPTS: i32 = 5;

/// Expires the customer's pending resets, but `except`. Returns how many it expired.
pub async fn expire(
    conn: &mut Conn,
    customer_id: &str,
    except: Option<&str>,
    now: NaiveDateTime,
) -> Result<usize, DbError> {
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
