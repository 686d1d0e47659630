//! Who is calling: the `Authorization: Bearer` header, verified.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

use crate::AppState;
use crate::auth::{Caller, sessions};

/// Reads and verifies the request's bearer token. Only customer tokens cost a database
/// round trip (their session must still be open, young enough, and of the customer's
/// current password version: a password change ends it).
pub async fn identify(state: &AppState, headers: &HeaderMap) -> Caller {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Caller::Anonymous;
    };
    let token = value.to_str().ok().and_then(|v| {
        let (scheme, token) = v.trim().split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    });
    let Some(verified) = token.and_then(|t| state.signer.verify(t)) else {
        return Caller::InvalidToken;
    };
    if state.revocations.is_revoked(&verified.principal) {
        return Caller::InvalidToken;
    }
    if let (Some(session_id), Some(customer_id)) =
        (&verified.session_id, &verified.principal.customer_id)
    {
        let open = match state.db.read().await {
            Ok(mut conn) => {
                sessions::is_open(
                    &mut conn,
                    session_id,
                    customer_id,
                    state.config.session_max_age,
                )
                .await
            }
            Err(e) => Err(e),
        };
        match open {
            Ok(true) => {}
            Ok(false) => return Caller::InvalidToken,
            Err(error) => {
                tracing::error!(%error, "could not check a customer session");
                return Caller::Unverifiable;
            }
        }
    }
    Caller::Authenticated(verified.principal)
}
