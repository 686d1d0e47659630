//! Shared set-ups of the webhook delivery tests: a webhook to a receiver, its callbacks,
//! the outbox's rows as stored.

use std::time::Duration;

use reset_gateway::config::Config;
use serde_json::{Value, json};

use crate::eventually::eventually;
use crate::harness::TestApp;
use crate::receiver::{Received, Receiver, Reply};

/// Creates a webhook of `topic` to `url` including `include`; returns its id and secret.
pub async fn webhook(
    app: &TestApp,
    token: &str,
    topic: &str,
    url: &str,
    include: &[&str],
) -> (String, String) {
    let answer = app
        .graphql(
            Some(token),
            "mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { id sharedSecret } }",
            json!({ "input": { "name": topic, "topic": topic, "callbackUrl": url, "includeResources": include } }),
        )
        .await;
    let created = &answer["data"]["createWebhook"];
    let id = created["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no webhook: {answer}"));
    (
        id.to_owned(),
        created["sharedSecret"].as_str().unwrap().to_owned(),
    )
}

/// The sender looks for due deliveries every 50 ms, so that a retry made due by
/// advancing the clock goes out at once.
pub fn quick_polls(c: &mut Config) {
    c.webhook_poll_interval = Duration::from_millis(50);
}

/// A `customers.create` webhook to `receiver` whose circuit is open: the receiver now
/// answers 500, and the first guest's event failed once (the test's circuit threshold
/// must be 1). Returns its id.
pub async fn with_open_circuit(app: &TestApp, token: &str, receiver: &Receiver) -> String {
    receiver.answer(Reply::Status(500));
    let (hook, _) = webhook(app, token, "customers.create", &receiver.url("/h"), &[]).await;
    guest(app, token, "first@example.com").await;
    callbacks(app, token, &hook, 1).await;
    let webhook = read(app, token, &hook).await;
    assert_eq!(
        webhook["circuitState"], "OPEN",
        "a threshold of 1: {webhook}"
    );
    hook
}

/// Closes the webhook's circuit (`resetCircuit`), so that what waited behind it goes out.
pub async fn reset_circuit(app: &TestApp, token: &str, id: &str) {
    let answer = app
        .graphql(
            Some(token),
            "mutation($id: ID!) { updateWebhook(id: $id, input: { resetCircuit: true }) { circuitState } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        answer["data"]["updateWebhook"]["circuitState"], "CLOSED",
        "{answer}"
    );
}

/// The webhook as `webhook(id)` reads it: circuit and last event callbacks.
pub async fn read(app: &TestApp, token: &str, id: &str) -> Value {
    let answer = app
        .graphql(
            Some(token),
            "query($id: ID!) { webhook(id: $id) { circuitState circuitFailureCount
                lastEventCallbacks { id topic responseCode responseMessage attempt createdAt } } }",
            json!({ "id": id }),
        )
        .await;
    assert!(answer["errors"].is_null(), "{answer}");
    answer["data"]["webhook"].clone()
}

/// The webhook's last event callbacks, newest first, once there are at least `count`
/// (the attempts are recorded after the receiver answers); panics after
/// [`eventually`]'s deadline.
pub async fn callbacks(app: &TestApp, token: &str, id: &str, count: usize) -> Vec<Value> {
    eventually(async || {
        let webhook = read(app, token, id).await;
        let got = webhook["lastEventCallbacks"].as_array().unwrap().clone();
        match got.len() >= count {
            true => Ok(got),
            false => Err(format!("{} of {count} callbacks: {webhook}", got.len())),
        }
    })
    .await
}

/// `(attempt, responseCode)` of each callback, oldest first.
pub fn attempts(callbacks: &[Value]) -> Vec<(i64, Value)> {
    let mut pairs: Vec<(i64, Value)> = callbacks
        .iter()
        .map(|c| (c["attempt"].as_i64().unwrap(), c["responseCode"].clone()))
        .collect();
    pairs.reverse();
    pairs
}

/// Each request's `webhook-id`.
pub fn message_ids(requests: &[Received]) -> Vec<String> {
    requests
        .iter()
        .map(|r| r.header("webhook-id").expect("a webhook-id").to_owned())
        .collect()
}

/// One `webhook_deliveries` row, as stored.
#[derive(Debug, Clone, diesel::Queryable)]
pub struct Stored {
    pub state: String,
    pub sealed_token: Option<String>,
}

/// Every row of the outbox.
pub async fn stored(app: &TestApp) -> Vec<Stored> {
    use diesel::prelude::*;
    use reset_gateway::db::schema::webhook_deliveries as d;
    let mut conn = app.state().db.conn().await.unwrap();
    db_run!(&mut conn, |c| {
        let query = d::table.select((d::state, d::sealed_token));
        diesel_async::RunQueryDsl::load(query, c).await.unwrap()
    })
}

/// Creates a reset for `email`; returns its id and token.
pub async fn reset(app: &TestApp, token: &str, email: &str) -> (String, String) {
    crate::fixtures::create_reset(app, token, email).await
}

/// Creates a guest customer (no password: no hashing) and returns its id.
pub async fn guest(app: &TestApp, token: &str, email: &str) -> String {
    app.customer(token, email, None).await
}
