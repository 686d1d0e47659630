//! Who receives an event (DESIGN section 7): the webhooks of its topic and mode enabled at
//! its commit, and no other; and what a webhook then shows of the attempt.

use std::time::Duration;

use reset_gateway::auth::{Mode, Role};
use serde_json::{Value, json};

use crate::fixtures::{PASSWORD, create_reset};
use crate::harness::{TestApp, on_both_databases};
use crate::receiver::{Receiver, Reply};
use crate::webhook_events::{exactly, ids, outbox_ids, recorded};
use crate::webhook_fixtures::webhook;

const UPDATE_WEBHOOK: &str = "mutation($id: ID!, $input: UpdateWebhookInput!) {
    updateWebhook(id: $id, input: $input) { id disabledAt }
}";

const DELETE_WEBHOOK: &str = "mutation($id: ID!) { deleteWebhook(id: $id) }";

async fn update_webhook(app: &TestApp, token: &str, id: &str, input: Value) {
    let variables = json!({ "id": id, "input": input });
    let answer = app.graphql(Some(token), UPDATE_WEBHOOK, variables).await;
    assert!(answer["errors"].is_null(), "{answer}");
}

async fn delete_webhook(app: &TestApp, token: &str, id: &str) {
    let answer = app
        .graphql(Some(token), DELETE_WEBHOOK, json!({ "id": id }))
        .await;
    assert_eq!(answer["data"]["deleteWebhook"], id, "{answer}");
}

fn poll_quickly(c: &mut reset_gateway::config::Config) {
    c.webhook_poll_interval = Duration::from_millis(50);
}

on_both_databases! {
    async fn a_disabled_webhook_receives_nothing_not_even_once_enabled_again(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let receiver = Receiver::start().await;
        let (off, _) = webhook(&app, &token, "customers.create", &receiver.url("/off"), &[]).await;
        webhook(&app, &token, "customers.create", &receiver.url("/on"), &[]).await;
        update_webhook(&app, &token, &off, json!({ "disable": true })).await;
        let while_disabled = app.customer(&token, "a@example.com", None).await;
        update_webhook(&app, &token, &off, json!({ "enable": true })).await;
        let once_enabled = app.customer(&token, "b@example.com", None).await;
        let on = ids(&exactly(&app, &receiver, "/on", 2).await);
        assert!(on.contains(&while_disabled) && on.contains(&once_enabled), "{on:?}");
        assert_eq!(ids(&exactly(&app, &receiver, "/off", 1).await), [once_enabled]);
        assert_eq!(outbox_ids(&app, &off).await.len(), 1);
    }

    async fn a_deleted_webhook_receives_nothing(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let receiver = Receiver::start().await;
        let (gone, _) = webhook(&app, &token, "customers.create", &receiver.url("/gone"), &[]).await;
        webhook(&app, &token, "customers.create", &receiver.url("/kept"), &[]).await;
        delete_webhook(&app, &token, &gone).await;
        app.customer(&token, "a@example.com", None).await;
        exactly(&app, &receiver, "/kept", 1).await;
        exactly(&app, &receiver, "/gone", 0).await;
        assert_eq!(outbox_ids(&app, &gone).await.len(), 0);
    }

    #[config(poll_quickly)]
    async fn a_webhook_deleted_while_its_event_waits_for_a_retry_receives_nothing_more(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let (failing, kept) = (Receiver::start().await, Receiver::start().await);
        failing.answer(Reply::Status(500));
        kept.answer(Reply::Status(500));
        let (gone, _) = webhook(&app, &token, "customers.create", &failing.url("/gone"), &[]).await;
        let (other, _) = webhook(&app, &token, "customers.create", &kept.url("/kept"), &[]).await;
        app.customer(&token, "a@example.com", None).await;
        recorded(&app, &token, &gone, 1).await;
        recorded(&app, &token, &other, 1).await;
        delete_webhook(&app, &token, &gone).await;
        app.advance(Duration::from_secs(60));
        // The other webhook's retry arrives: retries were due.
        kept.wait_for(2, Duration::from_secs(10)).await;
        app.webhooks_settled().await;
        assert_eq!(failing.requests().len(), 1);
        assert_eq!(outbox_ids(&app, &gone).await.len(), 0);
    }

    async fn a_webhook_of_another_topic_receives_nothing(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let receiver = Receiver::start().await;
        let resets = "customer_password_resets.create";
        let (other, _) = webhook(&app, &token, resets, &receiver.url("/resets"), &[]).await;
        webhook(&app, &token, "customers.create", &receiver.url("/customers"), &[]).await;
        app.customer(&token, "a@example.com", Some(PASSWORD)).await;
        exactly(&app, &receiver, "/customers", 1).await;
        exactly(&app, &receiver, "/resets", 0).await;
        assert_eq!(outbox_ids(&app, &other).await.len(), 0);
        let (reset, _) = create_reset(&app, &token, "a@example.com").await;
        let got = exactly(&app, &receiver, "/resets", 1).await;
        assert_eq!(ids(&got), [reset]);
        assert_eq!(got[0].header("x-commercelayer-topic"), Some(resets));
    }

    async fn test_mode_webhooks_never_see_live_events_nor_live_ones_test_events(app: TestApp) {
        let test = app.token(Role::Integration, Mode::Test).await;
        let live = app.token(Role::Integration, Mode::Live).await;
        let receiver = Receiver::start().await;
        for (token, mode) in [(&test, "test"), (&live, "live")] {
            for topic in ["customers.create", "customer_password_resets.create"] {
                webhook(&app, token, topic, &receiver.url(&format!("/{mode}/{topic}")), &[]).await;
            }
        }
        let live_customer = app.customer(&live, "ada@example.com", Some(PASSWORD)).await;
        let (live_reset, _) = create_reset(&app, &live, "ada@example.com").await;
        let test_customer = app.customer(&test, "ada@example.com", Some(PASSWORD)).await;
        let (test_reset, _) = create_reset(&app, &test, "ada@example.com").await;
        for (mode, customer, reset) in
            [("test", test_customer, test_reset), ("live", live_customer, live_reset)]
        {
            let customers = exactly(&app, &receiver, &format!("/{mode}/customers.create"), 1).await;
            assert_eq!(ids(&customers), [customer]);
            assert_eq!(customers[0].json()["data"]["meta"]["mode"], mode);
            let resets = exactly(&app, &receiver, &format!("/{mode}/customer_password_resets.create"), 1).await;
            assert_eq!(ids(&resets), [reset]);
            assert_eq!(resets[0].json()["data"]["meta"]["mode"], mode);
        }
    }

    async fn last_event_callbacks_shows_the_attempt_once_delivered(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let receiver = Receiver::start().await;
        let url = receiver.url("/c");
        let (hook, _) = webhook(&app, &token, "customers.create", &url, &[]).await;
        app.customer(&token, "a@example.com", None).await;
        receiver.wait_for(1, Duration::from_secs(10)).await;
        let callbacks = recorded(&app, &token, &hook, 1).await;
        assert_eq!(callbacks.len(), 1, "{callbacks:?}");
        let callback = &callbacks[0];
        assert_eq!(callback["responseCode"], 200);
        assert_eq!(callback["attempt"], 1);
        assert_eq!(callback["callbackUrl"], url.as_str());
        assert_eq!(callback["topic"], "customers.create");
        let at = chrono::DateTime::parse_from_rfc3339(callback["createdAt"].as_str().unwrap()).unwrap();
        assert_eq!(at.timestamp(), app.clock.now_utc().timestamp(), "the service's time of the attempt");
    }
}
