//! Customer sessions: one per login through the password grant. The refresh token rotates
//! inside the session (the old one dies at once).
//!
//! A session keeps the customer's password version it was opened under: once a password
//! change bumps the customer's, the session is refused everywhere (every request of its
//! access tokens, every refresh), even one that a login in flight managed to open while
//! the change committed. A password change also deletes the customer's sessions, which
//! keeps the table small; the version is what makes the rule hold under races.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};
use diesel_async::RunQueryDsl;
use secrecy::SecretString;

use super::secrets;
use crate::db::schema::{customer_sessions, customers};
use crate::db::{Conn, DbResult, now};
use crate::db_run;

/// A live customer session.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = customer_sessions)]
pub struct Session {
    /// The session id, carried in the customer's access tokens.
    pub id: String,
    /// The customer.
    pub customer_id: String,
    /// The sales channel the customer logged in through.
    pub credential_id: String,
    /// The customer's password version the session was opened under.
    pub password_version: i32,
}

/// A session with its current refresh token in clear.
pub struct SessionWithRefresh {
    /// The session.
    pub session: Session,
    /// The refresh token to hand to the client.
    pub refresh_token: SecretString,
}

fn expiry(lifetime: Duration) -> NaiveDateTime {
    now() + chrono::Duration::from_std(lifetime).unwrap_or(chrono::Duration::zero())
}

/// Opens a session for a customer who just proved their password, under the password
/// version that password had. None when the customer's password has changed since (or
/// the customer is gone): the login must fail. The check and the insert are one
/// statement, so a change that commits first is always seen.
pub async fn open(
    conn: &mut Conn,
    customer_id: &str,
    credential_id: &str,
    password_version: i32,
    refresh_lifetime: Duration,
) -> DbResult<Option<SessionWithRefresh>> {
    let refresh_token = secrets::random_secret();
    let id = secrets::random_id(20);
    let digest = secrets::digest(&refresh_token);
    let created_at = now();
    let refresh_expires_at = expiry(refresh_lifetime);
    let opened = db_run!(conn, |c| {
        let row = customers::table
            .filter(customers::id.eq(customer_id))
            .filter(customers::password_version.eq(password_version))
            .select((
                id.as_str().into_sql::<Text>(),
                customers::id,
                credential_id.into_sql::<Text>(),
                digest.as_str().into_sql::<Text>(),
                refresh_expires_at.into_sql::<Timestamp>(),
                created_at.into_sql::<Timestamp>(),
                customers::password_version,
            ));
        diesel::insert_into(customer_sessions::table)
            .values(row)
            .into_columns((
                customer_sessions::id,
                customer_sessions::customer_id,
                customer_sessions::credential_id,
                customer_sessions::refresh_token_digest,
                customer_sessions::refresh_expires_at,
                customer_sessions::created_at,
                customer_sessions::password_version,
            ))
            .execute(c)
            .await
    })?;
    Ok((opened == 1).then(|| SessionWithRefresh {
        session: Session {
            id,
            customer_id: customer_id.to_owned(),
            credential_id: credential_id.to_owned(),
            password_version,
        },
        refresh_token: SecretString::from(refresh_token),
    }))
}

/// Swaps a live refresh token for a new one in one conditional statement: of two
/// concurrent uses of one token, only one wins. None when the token is unknown, already
/// used or expired, or of a session opened under an earlier password.
pub async fn rotate(
    conn: &mut Conn,
    refresh_token: &str,
    refresh_lifetime: Duration,
) -> DbResult<Option<SessionWithRefresh>> {
    let new_token = secrets::random_secret();
    let old_digest = secrets::digest(refresh_token);
    let session: Option<Session> = db_run!(conn, |c| {
        diesel::update(
            customer_sessions::table
                .filter(customer_sessions::refresh_token_digest.eq(&old_digest))
                .filter(customer_sessions::refresh_expires_at.gt(now())),
        )
        .set((
            customer_sessions::refresh_token_digest.eq(secrets::digest(&new_token)),
            customer_sessions::refresh_expires_at.eq(expiry(refresh_lifetime)),
        ))
        .returning(Session::as_returning())
        .get_result(c)
        .await
        .optional()
    })?;
    let Some(session) = session else {
        return Ok(None);
    };
    let current_version: Option<i32> = db_run!(conn, |c| {
        customers::table
            .find(&session.customer_id)
            .select(customers::password_version)
            .first(c)
            .await
            .optional()
    })?;
    if current_version != Some(session.password_version) {
        // Opened under a password that has changed since: it should not exist.
        end(conn, &session.id).await?;
        return Ok(None);
    }
    Ok(Some(SessionWithRefresh {
        session,
        refresh_token: SecretString::from(new_token),
    }))
}

/// Ends the session a refresh token belongs to. False when there was none.
pub async fn end_by_refresh_token(conn: &mut Conn, refresh_token: &str) -> DbResult<bool> {
    let digest = secrets::digest(refresh_token);
    let ended = db_run!(conn, |c| {
        diesel::delete(
            customer_sessions::table.filter(customer_sessions::refresh_token_digest.eq(&digest)),
        )
        .execute(c)
        .await
    })?;
    Ok(ended > 0)
}

/// Ends one session (its access and refresh tokens stop working).
pub async fn end(conn: &mut Conn, session_id: &str) -> DbResult<()> {
    db_run!(conn, |c| {
        diesel::delete(customer_sessions::table.find(session_id))
            .execute(c)
            .await
    })?;
    Ok(())
}

/// Ends every session of a customer: after a password change, earlier tokens stop working.
pub async fn end_all_for_customer(conn: &mut Conn, customer_id: &str) -> DbResult<()> {
    db_run!(conn, |c| {
        diesel::delete(
            customer_sessions::table.filter(customer_sessions::customer_id.eq(customer_id)),
        )
        .execute(c)
        .await
    })?;
    Ok(())
}

/// True when the session is still open for that customer, under the customer's current
/// password version.
pub async fn is_open(conn: &mut Conn, session_id: &str, customer_id: &str) -> DbResult<bool> {
    let found: Option<String> = db_run!(conn, |c| {
        customer_sessions::table
            .inner_join(customers::table)
            .filter(customer_sessions::id.eq(session_id))
            .filter(customer_sessions::customer_id.eq(customer_id))
            .filter(customer_sessions::password_version.eq(customers::password_version))
            .select(customer_sessions::id)
            .first(c)
            .await
            .optional()
    })?;
    Ok(found.is_some())
}
