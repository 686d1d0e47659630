//! Refresh-token rotation with reuse detection (RFC 9700, section 4.14.2).
//!
//! Each refresh swaps the session's refresh token for a new one and keeps the digest of
//! the old one with the session. A rotated token that comes back means two parties hold
//! the session's tokens (the customer and whoever copied one): the server cannot tell
//! which is the thief, so it ends the whole session, and both must log in again. Two tabs
//! of one browser refreshing with the same token at once are not theft: a second use
//! within [`SessionRules::reuse_grace`] of the rotation is refused and nothing more.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use secrecy::SecretString;

use super::{Session, SessionRules, SessionWithRefresh, oldest_open};
use crate::auth::secrets;
use crate::clock::after;
use crate::db::schema::{customer_session_rotated_tokens as rotated, customer_sessions, customers};
use crate::db::{Conn, Db, DbError, now};
use crate::db_run;

/// What a refresh did.
pub enum Refreshed {
    /// The token was the session's current one: here are the session and its new token.
    Rotated(SessionWithRefresh),
    /// Unknown, expired, of a session past its age or password, or a second use within
    /// the grace: refused, and nothing else changed (a stale session is ended).
    Refused,
    /// A rotated token came back after the grace: the session is ended.
    ReuseDetected {
        /// The session that was ended (for the log; not a secret).
        session_id: String,
    },
}

/// Swaps a live refresh token for a new one, in one transaction: of two concurrent uses of
/// one token, one rotates it and the other finds it rotated.
pub async fn refresh(
    db: &Db,
    refresh_token: &str,
    issued_to: Option<&str>,
    rules: SessionRules,
) -> Result<Refreshed, DbError> {
    let old_digest = secrets::digest(refresh_token);
    let issued_to = issued_to.map(str::to_owned);
    db.transaction(move |conn| {
        async move {
            match rotate(conn, &old_digest, issued_to.as_deref(), rules).await? {
                Some(rotated) => Ok(rotated),
                None => on_unknown_token(conn, &old_digest, rules).await,
            }
        }
        .boxed()
    })
    .await
}

/// Rotates the token when it is the current one of a session still open and, when the
/// request names a client, issued to that client (a session opened under a password that
/// has changed since is ended instead). None when no such session holds it: a token shown
/// by another client is refused before it is rotated, so the rightful client's next
/// refresh is not taken for reuse.
async fn rotate(
    conn: &mut Conn,
    old_digest: &str,
    issued_to: Option<&str>,
    rules: SessionRules,
) -> Result<Option<Refreshed>, DbError> {
    let at = now();
    let new_token = secrets::random_secret();
    let new_digest = secrets::digest(&new_token);
    let oldest = oldest_open(rules.max_age);
    let session: Option<Session> = db_run!(conn, |c| {
        diesel::update(
            customer_sessions::table
                .filter(customer_sessions::refresh_token_digest.eq(old_digest))
                .filter(customer_sessions::refresh_expires_at.gt(at))
                .filter(customer_sessions::created_at.gt(oldest))
                .filter(
                    customer_sessions::credential_id
                        .eq(issued_to.unwrap_or_default())
                        .or(issued_to.is_none().into_sql::<diesel::sql_types::Bool>()),
                ),
        )
        .set((
            customer_sessions::refresh_token_digest.eq(&new_digest),
            customer_sessions::refresh_expires_at.eq(after(at, rules.refresh_lifetime)),
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
        super::end(conn, &session.id).await?;
        return Ok(Some(Refreshed::Refused));
    }
    db_run!(conn, |c| {
        diesel::insert_into(rotated::table)
            .values((
                rotated::digest.eq(old_digest),
                rotated::session_id.eq(&session.id),
                rotated::rotated_at.eq(at),
            ))
            .execute(c)
            .await
    })?;
    Ok(Some(Refreshed::Rotated(SessionWithRefresh {
        session,
        refresh_token: SecretString::from(new_token),
    })))
}

/// A token no session holds now: unknown, expired, or rotated away. Rotated away past
/// the grace, it is reuse and ends its session.
async fn on_unknown_token(
    conn: &mut Conn,
    old_digest: &str,
    rules: SessionRules,
) -> Result<Refreshed, DbError> {
    let found: Option<(String, chrono::NaiveDateTime)> = db_run!(conn, |c| {
        rotated::table
            .find(old_digest)
            .select((rotated::session_id, rotated::rotated_at))
            .first(c)
            .await
            .optional()
    })?;
    match found {
        Some((session_id, rotated_at)) if after(rotated_at, rules.reuse_grace) < now() => {
            super::end(conn, &session_id).await?;
            Ok(Refreshed::ReuseDetected { session_id })
        }
        _ => Ok(Refreshed::Refused),
    }
}
