//! API credentials: integrations (confidential, with a secret) and sales channels (public).
//! Only a digest of a secret is stored; the secret itself is shown once, at creation.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use secrecy::SecretString;

use super::{Mode, Role, secrets};
use crate::db::schema::api_credentials;
use crate::db::{Conn, DbError, now};
use crate::db_run;

/// A stored API credential.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_credentials)]
pub struct ApiCredential {
    /// The client id.
    pub id: String,
    /// A name for people.
    pub name: String,
    /// `integration` or `sales_channel`.
    pub role: String,
    /// `test` or `live`.
    pub mode: String,
    /// SHA-256 of the client secret; none for public clients.
    pub secret_digest: Option<String>,
    /// When it was created.
    pub created_at: NaiveDateTime,
    /// When it was revoked, if it was.
    pub revoked_at: Option<NaiveDateTime>,
}

impl ApiCredential {
    /// The credential's role, if the stored value is one this build knows.
    pub fn role(&self) -> Option<Role> {
        Role::of_credential(&self.role)
    }

    /// The credential's mode, if the stored value is one this build knows.
    pub fn mode(&self) -> Option<Mode> {
        Mode::parse(&self.mode)
    }

    /// True when the given secret is this credential's (a public client has none to match).
    pub fn secret_matches(&self, secret: &str) -> bool {
        self.secret_digest
            .as_deref()
            .is_some_and(|stored| secrets::digests_match(stored, &secrets::digest(secret)))
    }
}

/// A credential just created, with its secret in clear for the one time it is shown.
pub struct NewCredential {
    /// The stored credential.
    pub credential: ApiCredential,
    /// The client secret (integrations only).
    pub client_secret: Option<SecretString>,
}

/// Creates a credential. Integrations get a secret; sales channels are public clients.
pub async fn create(
    conn: &mut Conn,
    name: &str,
    role: Role,
    mode: Mode,
) -> Result<NewCredential, DbError> {
    let secret = (role == Role::Integration).then(secrets::random_secret);
    let credential = ApiCredential {
        id: secrets::random_id(32),
        name: name.to_owned(),
        role: role.as_str().to_owned(),
        mode: mode.as_str().to_owned(),
        secret_digest: secret.as_deref().map(secrets::digest),
        created_at: now(),
        revoked_at: None,
    };
    db_run!(conn, |c| {
        diesel::insert_into(api_credentials::table)
            .values((
                api_credentials::id.eq(&credential.id),
                api_credentials::name.eq(&credential.name),
                api_credentials::role.eq(&credential.role),
                api_credentials::mode.eq(&credential.mode),
                api_credentials::secret_digest.eq(&credential.secret_digest),
                api_credentials::created_at.eq(credential.created_at),
            ))
            .execute(c)
            .await
    })?;
    Ok(NewCredential {
        credential,
        client_secret: secret.map(SecretString::from),
    })
}

/// Every credential, oldest first.
pub async fn list(conn: &mut Conn) -> Result<Vec<ApiCredential>, DbError> {
    Ok(db_run!(conn, |c| {
        api_credentials::table
            .select(ApiCredential::as_select())
            .order_by((api_credentials::created_at, api_credentials::id))
            .load(c)
            .await
    })?)
}

/// Revokes a credential; its tokens stop working. False when there is no such credential.
pub async fn revoke(conn: &mut Conn, id: &str) -> Result<bool, DbError> {
    let changed = db_run!(conn, |c| {
        diesel::update(
            api_credentials::table
                .find(id)
                .filter(api_credentials::revoked_at.is_null()),
        )
        .set(api_credentials::revoked_at.eq(now()))
        .execute(c)
        .await
    })?;
    Ok(changed == 1)
}

/// The credential with this client id, unless it is revoked.
pub async fn find_active(
    conn: &mut Conn,
    client_id: &str,
) -> Result<Option<ApiCredential>, DbError> {
    Ok(db_run!(conn, |c| {
        api_credentials::table
            .find(client_id)
            .filter(api_credentials::revoked_at.is_null())
            .select(ApiCredential::as_select())
            .first(c)
            .await
            .optional()
    })?)
}

/// Ids of the credentials revoked after `since` (every revoked one without it), for the
/// revocation list.
pub async fn revoked_since(
    conn: &mut Conn,
    since: Option<NaiveDateTime>,
) -> Result<Vec<String>, DbError> {
    Ok(db_run!(conn, |c| {
        let revoked = api_credentials::table
            .filter(api_credentials::revoked_at.is_not_null())
            .select(api_credentials::id)
            .into_boxed();
        match since {
            Some(since) => revoked.filter(api_credentials::revoked_at.gt(since)),
            None => revoked,
        }
        .load(c)
        .await
    })?)
}
