//! Which key seals the outbox's tokens.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};

use crate::db::{Db, settings};
use crate::webhooks::sealed::{KEY_BYTES, OutboxKey};

/// The `settings` row of the key generated when none is configured.
const GENERATED_KEY_SETTING: &str = "outbox_key";

/// The outbox key: `OUTBOX_KEY` when set; else derived from `TOKEN_SIGNING_KEY` when that
/// is set; else one generated and kept in the database, which every instance on it then
/// shares. The last protects nothing against whoever can read the database (the key lies
/// beside what it seals): production sets one of the first two.
pub async fn outbox_key(
    db: &Db,
    configured: Option<&SecretString>,
    signing_key: Option<&SecretString>,
) -> anyhow::Result<OutboxKey> {
    if let Some(key) = configured {
        return Ok(OutboxKey::parse(key.expose_secret())?);
    }
    if let Some(signing_key) = signing_key {
        return Ok(OutboxKey::derive_from_signing_key(
            signing_key.expose_secret().as_bytes(),
        ));
    }
    let candidate = STANDARD.encode(crate::auth::secrets::random_bytes::<KEY_BYTES>());
    let stored =
        settings::stored_or_insert(&mut db.conn().await?, GENERATED_KEY_SETTING, &candidate)
            .await?;
    Ok(OutboxKey::parse(&stored)?)
}
