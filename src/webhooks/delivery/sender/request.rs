//! One attempt's request: the payload as stored, its token opened, links added, signed
//! with the webhook's secrets, POSTed.

use secrecy::ExposeSecret;

use super::Context;
use crate::clock;
use crate::webhooks::delivery::client::Answer;
use crate::webhooks::outbox::queries::{Claimed, Target};
use crate::webhooks::secret::SharedSecret;
use crate::webhooks::{payload, sealed, signing};

/// Renders, signs and POSTs one attempt; `Err` says why nothing could be sent.
pub(super) async fn post(
    context: &Context,
    delivery: &Claimed,
    target: &Target,
) -> Result<Answer, String> {
    let (body, headers) = signed_request(context, delivery, target)?;
    let mut pairs: Vec<(&str, &str)> = headers.pairs().to_vec();
    pairs.push(("X-CommerceLayer-Topic", &delivery.topic));
    Ok(context
        .client
        .post(&target.callback_url, &pairs, body)
        .await)
}

fn signed_request(
    context: &Context,
    delivery: &Claimed,
    target: &Target,
) -> Result<(Vec<u8>, signing::SignedHeaders), String> {
    let mut document: serde_json::Value =
        serde_json::from_str(&delivery.payload).map_err(|_| "the stored payload is damaged")?;
    if let Some(sealed_token) = &delivery.sealed_token {
        let token = sealed::open(context.outbox.key(), &delivery.id, sealed_token)
            .map_err(|_| "the token could not be opened (was OUTBOX_KEY changed?)")?;
        payload::with_token(&mut document, token.expose_secret());
    }
    payload::with_links(&mut document, &context.settings.public_url);
    let body = serde_json::to_vec(&document).map_err(|_| "the payload could not be written")?;
    let current = SharedSecret::parse(&target.shared_secret)
        .map_err(|_| "the webhook's shared secret is damaged")?;
    let now = clock::now();
    let previous = match (
        &target.previous_shared_secret,
        target.previous_secret_expires_at,
    ) {
        (Some(secret), Some(until)) if until > now => SharedSecret::parse(secret).ok(),
        _ => None,
    };
    let secrets = signing::SigningSecrets {
        current: &current,
        previous: previous.as_ref(),
    };
    let headers = signing::sign(&body, &delivery.id, clock::unix_seconds(), secrets)
        .map_err(|e| e.to_string())?;
    Ok((body, headers))
}
