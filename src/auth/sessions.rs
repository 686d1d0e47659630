//! Customer sessions: one per login through the password grant. The refresh token rotates
//! inside the session (the old one dies at once); a password change ends every session,
//! which ends the customer's access tokens too.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use secrecy::SecretString;

use super::secrets;
use crate::db::schema::customer_sessions;
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

/// Opens a session for a customer who just proved their password.
pub async fn open(
    conn: &mut Conn,
    customer_id: &str,
    credential_id: &str,
    refresh_lifetime: Duration,
) -> DbResult<SessionWithRefresh> {
    let refresh_token = secrets::random_secret();
    let session = Session {
        id: secrets::random_id(20),
        customer_id: customer_id.to_owned(),
        credential_id: credential_id.to_owned(),
    };
    db_run!(conn, |c| {
        diesel::insert_into(customer_sessions::table)
            .values((
                customer_sessions::id.eq(&session.id),
                customer_sessions::customer_id.eq(&session.customer_id),
                customer_sessions::credential_id.eq(&session.credential_id),
                customer_sessions::refresh_token_digest.eq(secrets::digest(&refresh_token)),
                customer_sessions::refresh_expires_at.eq(expiry(refresh_lifetime)),
                customer_sessions::created_at.eq(now()),
            ))
            .execute(c)
            .await
    })?;
    Ok(SessionWithRefresh {
        session,
        refresh_token: SecretString::from(refresh_token),
    })
}

/// Swaps a live refresh token for a new one in one conditional statement: of two
/// concurrent uses of one token, only one wins. None when the token is unknown, already
/// used or expired.
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
    Ok(session.map(|session| SessionWithRefresh {
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

/// True when the session is still open for that customer.
pub async fn is_open(conn: &mut Conn, session_id: &str, customer_id: &str) -> DbResult<bool> {
    let found: Option<String> = db_run!(conn, |c| {
        customer_sessions::table
            .find(session_id)
            .filter(customer_sessions::customer_id.eq(customer_id))
            .select(customer_sessions::id)
            .first(c)
            .await
            .optional()
    })?;
    Ok(found.is_some())
}
