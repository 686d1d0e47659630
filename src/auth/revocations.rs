//! Revoked access tokens and credentials, mirrored in memory so that verifying a token
//! needs no database round trip.

use std::collections::{HashMap, HashSet};
use std::sync::RwLock;
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::{Principal, credentials};
use crate::db::schema::revoked_tokens;
use crate::db::{Conn, DbError, now};
use crate::db_run;

/// Tokens revoked before their expiry and revoked credentials, mirrored in memory so that
/// verifying a token needs no database round trip. Every instance refreshes it from the
/// database every few seconds, and at once for its own revocations.
///
/// A refresh reads only what was revoked since the previous one: anyone can get a
/// sales-channel token and revoke it, so the list can be long, and every instance reads
/// it every few seconds. Each row says when it was revoked (by the revoking instance's
/// clock), and a refresh reads back from its previous start less an overlap longer than
/// a revocation may take to commit plus the clocks' disagreement between instances, so a
/// row committed late, or stamped by a clock behind this one, is still read. The first
/// refresh reads everything. Revocations are forgotten, here and in the database, once
/// the token would have expired anyway.
pub struct RevocationList {
    state: RwLock<Revoked>,
    overlap: Duration,
}

#[derive(Default)]
struct Revoked {
    /// Revoked token ids, with when each token expires.
    tokens: HashMap<String, NaiveDateTime>,
    credentials: HashSet<String>,
    /// When the last refresh started: everything revoked before it, less the overlap, is
    /// known.
    refreshed_at: Option<NaiveDateTime>,
}

/// The `revoked_at` of rows written by instances that predate the column (its default).
const UNSTAMPED: NaiveDateTime = chrono::DateTime::UNIX_EPOCH.naive_utc();

/// How far instances' clocks may disagree, beside the time a revocation takes to commit.
const CLOCK_SKEW: Duration = Duration::from_secs(30);

impl RevocationList {
    /// An empty list, for a database whose statements may take up to `statement_timeout`
    /// (a revocation may commit that long after it was stamped).
    pub fn new(statement_timeout: Duration) -> RevocationList {
        let overlap = statement_timeout.saturating_add(CLOCK_SKEW);
        RevocationList {
            state: RwLock::new(Revoked::default()),
            overlap,
        }
    }

    /// True when the token or its credential has been revoked.
    pub fn is_revoked(&self, principal: &Principal) -> bool {
        let state = self.read();
        state.tokens.contains_key(&principal.token_id)
            || state.credentials.contains(&principal.credential_id)
    }

    /// True when the access token with this id is held as revoked here.
    pub fn holds_token(&self, jti: &str) -> bool {
        self.read().tokens.contains_key(jti)
    }

    /// Records the revocation of an access token (until it would have expired anyway).
    pub async fn revoke_token(&self, conn: &mut Conn, jti: &str, exp: i64) -> Result<(), DbError> {
        let expires_at = chrono::DateTime::from_timestamp(exp, 0)
            .map(|t| t.naive_utc())
            .unwrap_or_else(now);
        let revoked_at = now();
        db_run!(conn, |c| {
            diesel::insert_into(revoked_tokens::table)
                .values((
                    revoked_tokens::jti.eq(jti),
                    revoked_tokens::expires_at.eq(expires_at),
                    revoked_tokens::revoked_at.eq(revoked_at),
                ))
                .on_conflict_do_nothing()
                .execute(c)
                .await
        })?;
        self.write().tokens.insert(jti.to_owned(), expires_at);
        Ok(())
    }

    /// Reads the revocations made since the last refresh (all of them the first time)
    /// and forgets those whose tokens have expired. Returns how many rows it read.
    pub async fn refresh(&self, conn: &mut Conn) -> Result<usize, DbError> {
        let started = now();
        let since = self
            .read()
            .refreshed_at
            .map(|at| crate::clock::before(at, self.overlap));
        let tokens: Vec<(String, NaiveDateTime)> = db_run!(conn, |c| {
            diesel::delete(revoked_tokens::table.filter(revoked_tokens::expires_at.le(started)))
                .execute(c)
                .await?;
            let recent = revoked_tokens::table
                .filter(revoked_tokens::expires_at.gt(started))
                .select((revoked_tokens::jti, revoked_tokens::expires_at))
                .into_boxed();
            match since {
                // Rows stamped with the epoch come from instances older than the
                // `revoked_at` column (during a rolling upgrade): read until they expire.
                Some(since) => recent.filter(
                    revoked_tokens::revoked_at
                        .gt(since)
                        .or(revoked_tokens::revoked_at.eq(UNSTAMPED)),
                ),
                None => recent,
            }
            .load(c)
            .await
        })?;
        let credentials = credentials::revoked_since(conn, since).await?;
        let read = tokens.len() + credentials.len();
        let mut state = self.write();
        state.tokens.extend(tokens);
        state.tokens.retain(|_, expires_at| *expires_at > started);
        state.credentials.extend(credentials);
        state.refreshed_at = Some(started);
        Ok(read)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Revoked> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Revoked> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }
}
