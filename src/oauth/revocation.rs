//! `/oauth/revoke`: ends the session of a refresh or access token, or revokes the token.

use super::{Context, OAuthError};
use crate::auth::sessions;

/// Revokes a refresh token or an access token. Unknown tokens are ignored (RFC 7009).
pub async fn revoke(cx: &Context<'_>, token: &str) -> Result<(), OAuthError> {
    let mut conn = cx.db.conn().await?;
    if sessions::end_by_refresh_token(&mut conn, token).await? {
        return Ok(());
    }
    if let Some(verified) = cx.signer.verify(token) {
        match verified.session_id {
            Some(session_id) => sessions::end(&mut conn, &session_id).await?,
            None => {
                if let Some((jti, exp)) = cx.signer.token_id_and_expiry(token) {
                    cx.revocations.revoke_token(&mut conn, &jti, exp).await?;
                }
            }
        }
    }
    Ok(())
}
