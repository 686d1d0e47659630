//! Access tokens: JWTs signed with HS256, verified without a database round trip.
//!
//! The signing key comes from configuration, or is generated once and kept in the
//! `settings` table, so every instance on one database signs and verifies alike.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::token_cache::VerifiedTokens;
use super::{Mode, Principal, Role, secrets};
use crate::cursor::CursorKey;
use crate::db::Db;
use crate::db::settings;

const SIGNING_KEY_SETTING: &str = "jwt_signing_key";

/// What an access token says about its holder.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Claims {
    /// The credential id, or the customer id for customer tokens.
    sub: String,
    role: Role,
    mode: Mode,
    /// The credential the token was issued to.
    cid: String,
    /// The customer session, for customer tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
    jti: String,
    iat: i64,
    exp: i64,
}

/// A token just issued.
pub struct IssuedToken {
    /// The encoded JWT.
    pub token: SecretString,
    /// Seconds until it expires.
    pub expires_in: i64,
    /// When it was issued (Unix seconds).
    pub created_at: i64,
}

/// What a token is issued for.
pub struct TokenSubject<'a> {
    /// The holder's role.
    pub role: Role,
    /// The holder's mode.
    pub mode: Mode,
    /// The credential the token is issued to.
    pub credential_id: &'a str,
    /// The customer, for customer tokens.
    pub customer_id: Option<&'a str>,
    /// The customer session, for customer tokens.
    pub session_id: Option<&'a str>,
}

/// Signs and verifies access tokens.
pub struct TokenSigner {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    verified: VerifiedTokens,
    cursor_key: CursorKey,
}

/// A token that verified, with the session it needs checked (customer tokens only).
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    /// The caller.
    pub principal: Principal,
    /// The customer session the token belongs to.
    pub session_id: Option<String>,
}

impl TokenSigner {
    /// The signer for this database: the configured key, or the one kept in the database
    /// (made on first start; concurrent first starts agree on one).
    pub async fn load(db: &Db, configured: Option<&SecretString>) -> anyhow::Result<TokenSigner> {
        let key = match configured {
            Some(key) => key.expose_secret().as_bytes().to_vec(),
            None => {
                let candidate = secrets::random_secret();
                let mut conn = db.conn().await?;
                settings::stored_or_insert(&mut conn, SIGNING_KEY_SETTING, &candidate)
                    .await?
                    .into_bytes()
            }
        };
        Ok(TokenSigner::from_key(&key))
    }

    fn from_key(key: &[u8]) -> TokenSigner {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        // Expiry is checked against the service's clock (crate::clock), not the system's.
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["exp", "sub"]);
        TokenSigner {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            validation,
            verified: VerifiedTokens::default(),
            cursor_key: CursorKey::derive_from_signing_key(key),
        }
    }

    /// The key that tags pagination cursors, derived from the signing key.
    pub fn cursor_key(&self) -> &CursorKey {
        &self.cursor_key
    }

    /// Issues a token for `subject`, valid for `lifetime`.
    pub fn issue(
        &self,
        subject: &TokenSubject<'_>,
        lifetime: Duration,
    ) -> anyhow::Result<IssuedToken> {
        let iat = crate::clock::unix_seconds();
        let expires_in = lifetime.as_secs() as i64;
        let claims = Claims {
            sub: subject
                .customer_id
                .unwrap_or(subject.credential_id)
                .to_owned(),
            role: subject.role,
            mode: subject.mode,
            cid: subject.credential_id.to_owned(),
            sid: subject.session_id.map(str::to_owned),
            jti: secrets::random_id(20),
            iat,
            exp: iat + expires_in,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok(IssuedToken {
            token: SecretString::from(token),
            expires_in,
            created_at: iat,
        })
    }

    /// Verifies a token's signature and expiry. None for anything that is not a valid token.
    pub fn verify(&self, token: &str) -> Option<VerifiedToken> {
        if let Some(verified) = self.verified.get(token, crate::clock::unix_seconds()) {
            return Some(verified);
        }
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()?
            .claims;
        if claims.exp <= crate::clock::unix_seconds() {
            return None;
        }
        let customer_id = (claims.role == Role::Customer).then(|| claims.sub.clone());
        if claims.role == Role::Customer && claims.sid.is_none() {
            return None;
        }
        let verified = VerifiedToken {
            principal: Principal {
                role: claims.role,
                mode: claims.mode,
                credential_id: claims.cid,
                customer_id,
                token_id: claims.jti,
            },
            session_id: claims.sid,
        };
        self.verified.put(token, verified.clone(), claims.exp);
        Some(verified)
    }

    /// Reads a token's id and expiry without trusting it beyond its signature (for revoke).
    pub fn token_id_and_expiry(&self, token: &str) -> Option<(String, i64)> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()?
            .claims;
        Some((claims.jti, claims.exp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn integration() -> TokenSubject<'static> {
        TokenSubject {
            role: Role::Integration,
            mode: Mode::Test,
            credential_id: "credential",
            customer_id: None,
            session_id: None,
        }
    }

    #[tokio::test]
    async fn a_verified_token_is_refused_once_it_expires() {
        let clock = crate::clock::Clock::manual(chrono::Utc::now());
        clock
            .scope(async {
                let signer = TokenSigner::from_key(&[7; 32]);
                let issued = signer
                    .issue(&integration(), Duration::from_secs(60))
                    .unwrap();
                let token = issued.token.expose_secret();
                assert!(signer.verify(token).is_some());
                assert!(signer.verify(token).is_some(), "and again, from the cache");
                clock.advance(Duration::from_secs(59));
                assert!(signer.verify(token).is_some());
                clock.advance(Duration::from_secs(1));
                assert!(signer.verify(token).is_none(), "expired, though cached");
                let fresh = TokenSigner::from_key(&[7; 32]);
                assert!(fresh.verify(token).is_none(), "expired, on a first check");
            })
            .await;
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused_even_after_a_valid_one() {
        let signer = TokenSigner::from_key(&[7; 32]);
        let other = TokenSigner::from_key(&[8; 32]);
        let mine = signer
            .issue(&integration(), Duration::from_secs(60))
            .unwrap();
        let forged = other
            .issue(&integration(), Duration::from_secs(60))
            .unwrap();
        assert!(signer.verify(mine.token.expose_secret()).is_some());
        assert!(signer.verify(forged.token.expose_secret()).is_none());
    }
}
