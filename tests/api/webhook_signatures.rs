//! How a delivery is signed (DESIGN section 7), checked as an integrator checks it: the
//! reference Standard Webhooks verifier and a plain HMAC for Commerce Layer's header
//! agree on every delivery of every topic; the headers name the topic, the delivery
//! (`webhook-id`, one per event and webhook, kept by retries) and the attempt's time; a
//! rotated secret signs beside the new one for a day, then stops.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::Mac;
use reset_gateway::auth::{Mode, Role};
use serde_json::json;

use crate::fixtures::create_reset;
use crate::harness::{TestApp, on_both_databases};
use crate::receiver::{Received, Receiver, Reply};
use crate::webhook_events::{RESET_PASSWORD, exactly, outbox_ids, recorded};
use crate::webhook_fixtures::webhook;
use reset_gateway::webhooks::topic::TOPIC_NAMES;

const UPDATE_WEBHOOK: &str = "mutation($id: ID!, $input: UpdateWebhookInput!) {
    updateWebhook(id: $id, input: $input) { sharedSecret }
}";

/// The `v1,` signatures of `webhook-signature`.
fn signatures(received: &Received) -> Vec<&str> {
    let header = received.header("webhook-signature").unwrap_or_default();
    header
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .collect()
}

/// True when one of the `v1,` signatures is Base64(HMAC-SHA256(`{id}.{timestamp}.{body}`))
/// keyed with the Base64-decoded part of `secret` after `whsec_`: computed here, without
/// the reference verifier's check of the timestamp against the system clock.
fn signed_by(received: &Received, secret: &str) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    let id = received.header("webhook-id").unwrap_or_default();
    let timestamp = received.header("webhook-timestamp").unwrap_or_default();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(&received.body);
    let expected = STANDARD.encode(mac.finalize().into_bytes());
    signatures(received).contains(&expected.as_str())
}

/// The `webhook-timestamp` of an attempt made now by the service's clock.
fn now_stamp(app: &TestApp) -> String {
    app.clock.now_utc().timestamp().to_string()
}

fn poll_quickly(c: &mut reset_gateway::config::Config) {
    c.webhook_poll_interval = Duration::from_millis(50);
}

on_both_databases! {
    async fn every_delivery_of_every_topic_verifies_both_ways_and_names_its_topic(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let receiver = Receiver::start().await;
        let mut secrets = HashMap::new();
        for topic in TOPIC_NAMES {
            let path = format!("/{topic}");
            secrets.insert(path.clone(), webhook(&app, &token, topic, &receiver.url(&path), &[]).await.1);
        }
        // A guest created, sent a link, redeeming it; a second link, deleted. Each link is
        // delivered before it is used: a link used first is not sent at all.
        app.customer(&token, "guest@example.com", None).await;
        let (first, first_token) = create_reset(&app, &token, "guest@example.com").await;
        receiver.wait_for(2, Duration::from_secs(10)).await;
        let variables = json!({ "id": first, "token": first_token, "password": "a new and long password" });
        let redeemed = app.graphql(Some(&token), RESET_PASSWORD, variables).await;
        assert!(redeemed["errors"].is_null(), "{redeemed}");
        let (second, _) = create_reset(&app, &token, "guest@example.com").await;
        receiver.wait_for(5, Duration::from_secs(10)).await;
        let deleted = app.graphql(Some(&token), "mutation($id: ID!) { deleteCustomerPasswordReset(id: $id) }", json!({ "id": second })).await;
        assert!(deleted["errors"].is_null(), "{deleted}");

        let got = receiver.wait_for(6, Duration::from_secs(10)).await;
        app.webhooks_settled().await;
        assert_eq!(receiver.requests().len(), 6);
        let mut message_ids = HashSet::new();
        for delivery in &got {
            let secret = &secrets[&delivery.path];
            let topic = &delivery.path[1..];
            assert_eq!(delivery.method, "POST");
            assert_eq!(delivery.header("content-type"), Some("application/json"));
            assert_eq!(delivery.header("x-commercelayer-topic"), Some(topic));
            assert!(delivery.standard_signature_verifies(secret), "{topic}");
            assert!(delivery.commerce_layer_signature_verifies(secret), "{topic}");
            assert!(signed_by(delivery, secret), "{topic}");
            assert_eq!(signatures(delivery).len(), 1, "{topic}");
            let other = secrets.values().find(|s| *s != secret).unwrap();
            assert!(!delivery.standard_signature_verifies(other), "{topic}");
            assert!(!delivery.commerce_layer_signature_verifies(other), "{topic}");
            let id = delivery.header("webhook-id").unwrap();
            assert!(id.starts_with("msg_") && id.len() > 4, "{id}");
            message_ids.insert(id.to_owned());
            assert_eq!(delivery.header("webhook-timestamp"), Some(now_stamp(&app).as_str()));
        }
        assert_eq!(message_ids.len(), 6, "one webhook-id per delivery");
    }

    async fn one_event_to_two_webhooks_has_a_webhook_id_and_a_signature_for_each(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let receiver = Receiver::start().await;
        let (hook_a, first) = webhook(&app, &token, "customers.create", &receiver.url("/a"), &[]).await;
        let (hook_b, second) = webhook(&app, &token, "customers.create", &receiver.url("/b"), &[]).await;
        app.customer(&token, "ada@example.com", None).await;
        let a = exactly(&app, &receiver, "/a", 1).await.remove(0);
        let b = exactly(&app, &receiver, "/b", 1).await.remove(0);
        assert_eq!(a.json(), b.json(), "one event");
        assert_ne!(a.header("webhook-id"), b.header("webhook-id"));
        // The id is the delivery's, of this event to this webhook.
        assert_eq!(outbox_ids(&app, &hook_a).await, [a.header("webhook-id").unwrap()]);
        assert_eq!(outbox_ids(&app, &hook_b).await, [b.header("webhook-id").unwrap()]);
        assert!(a.standard_signature_verifies(&first) && !a.standard_signature_verifies(&second));
        assert!(b.standard_signature_verifies(&second) && !b.standard_signature_verifies(&first));
        assert!(a.commerce_layer_signature_verifies(&first) && !a.commerce_layer_signature_verifies(&second));
        assert!(b.commerce_layer_signature_verifies(&second) && !b.commerce_layer_signature_verifies(&first));
    }

    #[config(poll_quickly)]
    async fn a_retry_keeps_its_webhook_id_and_is_stamped_with_its_own_time(app: TestApp) {
        // What the temporary smoke test checked: #[config] reaches the service.
        assert_eq!(app.config.webhook_poll_interval, Duration::from_millis(50));
        let token = app.token(Role::Integration, Mode::Test).await;
        let receiver = Receiver::start().await;
        receiver.answer(Reply::Status(500));
        let (id, secret) = webhook(&app, &token, "customers.create", &receiver.url("/c"), &[]).await;
        app.customer(&token, "ada@example.com", None).await;
        let first = receiver.wait_for(1, Duration::from_secs(10)).await.remove(0);
        recorded(&app, &token, &id, 1).await;
        assert_eq!(first.header("webhook-timestamp"), Some(now_stamp(&app).as_str()));
        receiver.answer(Reply::Status(200));
        app.advance(Duration::from_secs(90));
        let retry = receiver.wait_for(2, Duration::from_secs(10)).await.remove(1);
        assert_eq!(retry.header("webhook-id"), first.header("webhook-id"));
        assert_eq!(retry.body, first.body);
        assert_eq!(retry.header("webhook-timestamp"), Some(now_stamp(&app).as_str()));
        let stamp = |r: &Received| r.header("webhook-timestamp").unwrap().parse::<i64>().unwrap();
        assert_eq!(stamp(&retry) - stamp(&first), 90);
        assert!(retry.standard_signature_verifies(&secret) && signed_by(&retry, &secret));
        assert!(retry.commerce_layer_signature_verifies(&secret));
    }

    async fn after_a_rotation_both_secrets_sign_for_a_day_and_then_only_the_new_one(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let receiver = Receiver::start().await;
        let (id, old) = webhook(&app, &token, "customers.create", &receiver.url("/c"), &[]).await;
        let variables = json!({ "id": id, "input": { "rotateSharedSecret": true } });
        let rotated = app.graphql(Some(&token), UPDATE_WEBHOOK, variables).await;
        let new = rotated["data"]["updateWebhook"]["sharedSecret"].as_str().unwrap_or_else(|| panic!("{rotated}")).to_owned();
        app.customer(&token, "first@example.com", None).await;
        let during = exactly(&app, &receiver, "/c", 1).await.remove(0);
        assert_eq!(signatures(&during).len(), 2, "{:?}", during.header("webhook-signature"));
        assert!(during.standard_signature_verifies(&new) && signed_by(&during, &new));
        assert!(during.standard_signature_verifies(&old) && signed_by(&during, &old));
        assert!(during.commerce_layer_signature_verifies(&new), "Commerce Layer's header: the new secret");
        assert!(!during.commerce_layer_signature_verifies(&old));

        // Exactly a day later: the old secret signed until this instant, not at it.
        app.advance(Duration::from_secs(24 * 60 * 60));
        let token = app.token(Role::Integration, Mode::Test).await;
        app.customer(&token, "second@example.com", None).await;
        let after = exactly(&app, &receiver, "/c", 2).await.remove(1);
        assert_eq!(signatures(&after).len(), 1, "{:?}", after.header("webhook-signature"));
        assert!(signed_by(&after, &new));
        assert!(!signed_by(&after, &old));
        assert!(after.commerce_layer_signature_verifies(&new));
    }
}
