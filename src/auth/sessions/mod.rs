//! Customer sessions: one per login through the password grant.
//!
//! A session lasts at most [`SessionRules::max_age`] from its login, whatever its
//! refreshes. It keeps the customer's password version it was opened under: once a
//! password change bumps the customer's, the session is refused everywhere (every request
//! of its access tokens, every refresh), even one that a login in flight managed to open
//! while the change committed. A password change also deletes the customer's sessions,
//! which keeps the table small; the version is what makes the rule hold under races.
//! The refresh token rotates inside the session, with reuse detection ([`rotation`]).

mod rotation;

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};
use diesel_async::RunQueryDsl;
use secrecy::SecretString;

pub use rotation::{Refreshed, refresh};

use super::secrets;
use crate::db::schema::{customer_sessions, customers};
use crate::db::{Conn, DbError, now};
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
    /// When the customer logged in: the session ends [`SessionRules::max_age`] later.
    pub created_at: NaiveDateTime,
    /// The customer's password version the session was opened under.
    pub password_version: i32,
}

impl Session {
    /// How long the session has left to live under `max_age` (zero once it is over).
    pub fn remaining(&self, max_age: Duration) -> Duration {
        let end = crate::clock::after(self.created_at, max_age);
        (end - now()).to_std().unwrap_or(Duration::ZERO)
    }
}

/// A session with its current refresh token in clear.
pub struct SessionWithRefresh {
    /// The session.
    pub session: Session,
    /// The refresh token to hand to the client.
    pub refresh_token: SecretString,
}

/// How long sessions and their refresh tokens live, and how reuse is told from a race.
#[derive(Debug, Clone, Copy)]
pub struct SessionRules {
    /// A refresh token's lifetime from its issue.
    pub refresh_lifetime: Duration,
    /// A session's absolute lifetime from its login, which refreshes do not extend.
    pub max_age: Duration,
    /// How long after a refresh token was rotated a second use of it is only refused
    /// (two tabs refreshing at once); later, it is reuse and ends the session.
    pub reuse_grace: Duration,
}

/// The earliest login time of a session still open now.
fn oldest_open(max_age: Duration) -> NaiveDateTime {
    crate::clock::before(now(), max_age)
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
) -> Result<Option<SessionWithRefresh>, DbError> {
    let refresh_token = secrets::random_secret();
    let id = secrets::random_id(20);
    let digest = secrets::digest(&refresh_token);
    let created_at = now();
    let refresh_expires_at = crate::clock::after(created_at, refresh_lifetime);
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
            created_at,
            password_version,
        },
        refresh_token: SecretString::from(refresh_token),
    }))
}

/// Ends the session a refresh token belongs to. False when there was none.
pub async fn end_by_refresh_token(conn: &mut Conn, refresh_token: &str) -> Result<bool, DbError> {
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

/// Ends one session (its access and refresh tokens stop working; the digests of its
/// rotated refresh tokens go with it).
pub async fn end(conn: &mut Conn, session_id: &str) -> Result<(), DbError> {
    db_run!(conn, |c| {
        diesel::delete(customer_sessions::table.find(session_id))
            .execute(c)
            .await
    })?;
    Ok(())
}

/// Ends every session of a customer: after a password change, earlier tokens stop working.
pub async fn end_all_for_customer(conn: &mut Conn, customer_id: &str) -> Result<(), DbError> {
    db_run!(conn, |c| {
        diesel::delete(
            customer_sessions::table.filter(customer_sessions::customer_id.eq(customer_id)),
        )
        .execute(c)
        .await
    })?;
    Ok(())
}

/// True when the session is still open for that customer: not ended, younger than
/// `max_age`, and opened under the customer's current password version.
pub async fn is_open(
    conn: &mut Conn,
    session_id: &str,
    customer_id: &str,
    max_age: Duration,
) -> Result<bool, DbError> {
    let oldest = oldest_open(max_age);
    let found: Option<String> = db_run!(conn, |c| {
        customer_sessions::table
            .inner_join(customers::table)
            .filter(customer_sessions::id.eq(session_id))
            .filter(customer_sessions::customer_id.eq(customer_id))
            .filter(customer_sessions::created_at.gt(oldest))
            .filter(customer_sessions::password_version.eq(customers::password_version))
            .select(customer_sessions::id)
            .first(c)
            .await
            .optional()
    })?;
    Ok(found.is_some())
}

/// Deletes the sessions that are over (refresh token expired, or past `max_age`), with
/// the digests of their rotated refresh tokens: what bounds both tables. Their access
/// tokens have expired too: none outlives its session's refresh token or age.
pub async fn forget_ended(conn: &mut Conn, max_age: Duration) -> Result<(), DbError> {
    let (current, oldest) = (now(), oldest_open(max_age));
    db_run!(conn, |c| {
        diesel::delete(
            customer_sessions::table.filter(customer_sessions::refresh_expires_at.le(current)),
        )
        .execute(c)
        .await
    })?;
    db_run!(conn, |c| {
        diesel::delete(customer_sessions::table.filter(customer_sessions::created_at.le(oldest)))
            .execute(c)
            .await
    })?;
    Ok(())
}
