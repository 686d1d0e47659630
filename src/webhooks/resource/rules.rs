//! The webhook operations and their rules. The role table (integrations only) is held by
//! the GraphQL guards; every operation stays inside the caller's mode.

use futures_util::FutureExt;
use secrecy::SecretString;

use super::queries::{self, NewWebhook, Rotation, WebhookUpdate};
use super::{
    CallbackRules, CircuitState, PREVIOUS_SECRET_LIFETIME, Webhook, WebhookError, WebhookFilter,
    WebhookSort, WithSecret, validate,
};
use crate::auth::{Principal, secrets};
use crate::db::{Db, now};
use crate::integrator_fields::{IntegratorWrites, metadata_text};
use crate::listing::{FieldProblem, Page, PageWindow};
use crate::webhooks::secret::SharedSecret;

/// What a new webhook is made of.
#[derive(Debug, Default)]
pub struct NewWebhookInput {
    /// A name for people.
    pub name: String,
    /// One of [`super::TOPICS`].
    pub topic: String,
    /// Where events go.
    pub callback_url: String,
    /// Related resources to include in payloads.
    pub include_resources: Vec<String>,
    /// The integrator's identifier.
    pub reference: Option<String>,
    /// Where the reference comes from.
    pub reference_origin: Option<String>,
    /// Key-value pairs.
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Changes to a webhook: `None` leaves a field as it is, `Some(None)` clears it; the
/// Boolean triggers act when true.
#[derive(Debug, Default)]
pub struct WebhookChanges {
    /// New name.
    pub name: Option<String>,
    /// New topic.
    pub topic: Option<String>,
    /// New callback URL.
    pub callback_url: Option<String>,
    /// New included resources (replacing the old).
    pub include_resources: Option<Vec<String>>,
    /// Stop deliveries.
    pub disable: bool,
    /// Resume deliveries.
    pub enable: bool,
    /// Close the circuit and forget the failures.
    pub reset_circuit: bool,
    /// Make a new shared secret; the current one signs beside it for a day.
    pub rotate_shared_secret: bool,
    /// New reference.
    pub reference: Option<Option<String>>,
    /// New reference origin.
    pub reference_origin: Option<Option<String>>,
    /// New metadata (replaces the old).
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A new shared secret, as the text stored and shown once (see [`SharedSecret`]).
fn new_shared_secret() -> String {
    SharedSecret::generate().expose().to_owned()
}

fn resources_text(resources: &[String]) -> String {
    serde_json::to_string(resources).unwrap_or_else(|_| "[]".to_owned())
}

/// Creates a webhook in the caller's mode; the answer carries its shared secret, shown
/// this once.
pub async fn create(
    db: &Db,
    caller: &Principal,
    input: NewWebhookInput,
    rules: CallbackRules,
) -> Result<WithSecret, WebhookError> {
    let name = validate::name(&input.name).map_err(WebhookError::Invalid)?;
    let topic = validate::topic(&input.topic).map_err(WebhookError::Invalid)?;
    let callback_url =
        validate::callback_url(&input.callback_url, rules).map_err(WebhookError::Invalid)?;
    let include = validate::known_resources(&input.include_resources)
        .and_then(|include| {
            validate::fits_topic(&topic, &include, "includeResources")?;
            Ok(include)
        })
        .map_err(WebhookError::Invalid)?;
    let metadata = input.metadata.as_ref().map(metadata_text);
    IntegratorWrites::of_new(
        input.reference.as_deref(),
        input.reference_origin.as_deref(),
        metadata.as_deref(),
    )
    .check(caller.role)?;
    let secret = new_shared_secret();
    let created_at = now();
    let row = NewWebhook {
        id: secrets::random_id(10),
        mode: caller.mode.as_str().to_owned(),
        name,
        topic,
        callback_url,
        include_resources: resources_text(&include),
        shared_secret: secret.clone(),
        circuit_state: CircuitState::Closed.as_str().to_owned(),
        reference: input.reference,
        reference_origin: input.reference_origin,
        metadata: metadata.unwrap_or_else(|| metadata_text(&Default::default())),
        created_at,
        updated_at: created_at,
    };
    let mut conn = db.conn().await?;
    let webhook = queries::insert(&mut conn, &row).await?;
    Ok(WithSecret {
        webhook,
        shared_secret: SecretString::from(secret),
    })
}

/// Checks the changes and turns them into the row's update.
fn checked(
    caller: &Principal,
    changes: &WebhookChanges,
    rules: CallbackRules,
) -> Result<WebhookUpdate, WebhookError> {
    if changes.disable && changes.enable {
        return Err(WebhookError::Invalid(FieldProblem::new(
            "/input/enable",
            "invalid",
            "cannot be given with disable",
        )));
    }
    let name = changes.name.as_deref().map(validate::name).transpose();
    let topic = changes.topic.as_deref().map(validate::topic).transpose();
    let url = changes
        .callback_url
        .as_deref()
        .map(|url| validate::callback_url(url, rules))
        .transpose();
    let (name, topic, callback_url) = (
        name.map_err(WebhookError::Invalid)?,
        topic.map_err(WebhookError::Invalid)?,
        url.map_err(WebhookError::Invalid)?,
    );
    // Whether they fit the topic is checked on the row as the update leaves it (see
    // `update`): the topic may be the stored one.
    let include = changes
        .include_resources
        .as_deref()
        .map(validate::known_resources)
        .transpose()
        .map_err(WebhookError::Invalid)?;
    let metadata = changes.metadata.as_ref().map(metadata_text);
    IntegratorWrites {
        reference: changes.reference.as_ref().map(Option::as_deref),
        reference_origin: changes.reference_origin.as_ref().map(Option::as_deref),
        metadata: metadata.as_deref(),
    }
    .check(caller.role)?;
    let at = now();
    let disabled_at = match (changes.disable, changes.enable) {
        (true, _) => Some(Some(at)),
        (_, true) => Some(None),
        _ => None,
    };
    Ok(WebhookUpdate {
        name,
        topic,
        callback_url,
        include_resources: include.map(|r| resources_text(&r)),
        disabled_at,
        circuit_state: changes
            .reset_circuit
            .then(|| CircuitState::Closed.as_str().to_owned()),
        circuit_failure_count: changes.reset_circuit.then_some(0),
        reference: changes.reference.clone(),
        reference_origin: changes.reference_origin.clone(),
        metadata,
        updated_at: Some(at),
    })
}

/// Updates a webhook of the caller's mode. The answer carries the new shared secret when
/// it was rotated, and none otherwise.
pub async fn update(
    db: &Db,
    caller: &Principal,
    id: &str,
    changes: WebhookChanges,
    rules: CallbackRules,
) -> Result<(Webhook, Option<SecretString>), WebhookError> {
    let update = checked(caller, &changes, rules)?;
    let rotation = changes.rotate_shared_secret.then(|| Rotation {
        secret: new_shared_secret(),
        previous_until: now() + PREVIOUS_SECRET_LIFETIME,
    });
    // Who is blamed when the topic and the included resources no longer fit together.
    let blamed = match changes.include_resources.is_some() {
        true => "includeResources",
        false => "topic",
    };
    let (mode, id) = (caller.mode, id.to_owned());
    let secret = rotation
        .as_ref()
        .map(|r| SecretString::from(r.secret.clone()));
    let webhook = db
        .transaction(move |conn| {
            async move {
                let webhook = queries::update(conn, mode, &id, &update, rotation.as_ref())
                    .await?
                    .ok_or(WebhookError::NotFound)?;
                // Checked on the row as this statement left it, under its lock: a
                // concurrent change of the other field cannot slip a mismatch in. A
                // refusal rolls the update back.
                validate::fits_topic(&webhook.topic, &webhook.include_resources(), blamed)
                    .map_err(WebhookError::Invalid)?;
                Ok::<_, WebhookError>(webhook)
            }
            .boxed()
        })
        .await?;
    Ok((webhook, secret))
}

/// One webhook of the caller's mode.
pub async fn find(db: &Db, caller: &Principal, id: &str) -> Result<Webhook, WebhookError> {
    let mut conn = db.read().await?;
    queries::find(&mut conn, caller.mode, id)
        .await?
        .ok_or(WebhookError::NotFound)
}

/// A page of the caller's mode's webhooks, with the total when asked for.
pub async fn list(
    db: &Db,
    caller: &Principal,
    filter: &WebhookFilter,
    sort: WebhookSort,
    window: PageWindow,
    with_total: bool,
) -> Result<(Page<Webhook>, Option<i64>), WebhookError> {
    let mut conn = db.read().await?;
    let items = queries::list(&mut conn, caller.mode, filter, sort, window.probe()).await?;
    let total = match with_total {
        true => Some(queries::count(&mut conn, caller.mode, filter).await?),
        false => None,
    };
    Ok((window.page(items), total))
}

/// Deletes a webhook of the caller's mode, with its event callbacks; returns its id.
pub async fn delete(db: &Db, caller: &Principal, id: &str) -> Result<String, WebhookError> {
    let mut conn = db.conn().await?;
    match queries::delete(&mut conn, caller.mode, id).await? {
        true => Ok(id.to_owned()),
        false => Err(WebhookError::NotFound),
    }
}
