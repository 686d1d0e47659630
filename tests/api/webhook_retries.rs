//! Retries (DESIGN section 7): a failed attempt is tried again on the schedule under the
//! same `webhook-id` until a 2xx; after the whole schedule the delivery has failed and
//! can be redelivered; an event older than the retry horizon is failed unsent;
//! redirects, timeouts and refused addresses are failures. What is settled is kept for
//! `WEBHOOK_EVENT_RETENTION`, then forgotten.

use std::time::Duration;

use reset_gateway::auth::{Mode, Role};
use reset_gateway::config::Config;
use serde_json::{Value, json};

use crate::eventually::eventually;
use crate::fixtures::Callers;
use crate::harness::{error_code, on_both_databases};
use crate::receiver::{Receiver, Reply};
use crate::webhook_fixtures::{
    attempts, callbacks, guest, message_ids, quick_polls, read, reset, reset_circuit, stored,
    webhook, with_open_circuit,
};

const REDELIVER: &str =
    "mutation($id: ID!) { redeliverEventCallback(id: $id) { id attempt responseCode } }";

/// A wait of the schedule at its longest (the jitter is ±10%).
fn past(seconds: u64) -> Duration {
    Duration::from_secs(seconds).mul_f64(1.1)
}

const WITHIN: Duration = Duration::from_secs(5);

on_both_databases! {
    #[config(quick_polls)]
    async fn retries_carry_the_same_webhook_id_until_a_2xx_and_then_stop(app: TestApp) {
        let receiver = Receiver::start().await;
        receiver.answer(Reply::Status(500));
        let token = app.token(Role::Integration, Mode::Test).await;
        let (hook, _) = webhook(&app, &token, "customers.create", &receiver.url("/h"), &[]).await;
        guest(&app, &token, "ada@example.com").await;
        receiver.wait_for(1, WITHIN).await;
        // The default schedule starts 5s, 30s, 2m.
        for (made, wait) in [(1, 5), (2, 30)] {
            callbacks(&app, &token, &hook, made).await;
            app.advance(past(wait));
            receiver.wait_for(made + 1, WITHIN).await;
        }
        callbacks(&app, &token, &hook, 3).await;
        receiver.answer(Reply::Status(200));
        app.advance(past(120));
        let got = receiver.wait_for(4, WITHIN).await;
        let ids = message_ids(&got);
        assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
        let stamps: Vec<i64> = got
            .iter()
            .map(|r| r.header("webhook-timestamp").unwrap().parse().unwrap())
            .collect();
        assert!(stamps.windows(2).all(|w| w[1] >= w[0] + 5), "each attempt's own time: {stamps:?}");
        let made = callbacks(&app, &token, &hook, 4).await;
        assert_eq!(
            attempts(&made),
            vec![(1, json!(500)), (2, json!(500)), (3, json!(500)), (4, json!(200))]
        );

        app.advance(Duration::from_secs(24 * 3600));
        app.webhooks_settled().await;
        assert_eq!(receiver.requests().len(), 4, "nothing is sent after a 2xx");
    }

    #[config(|c: &mut Config| {
        quick_polls(c);
        c.webhook_retry_schedule = reset_gateway::webhooks::delivery::RetrySchedule::parse("1s,2s").unwrap();
    })]
    async fn after_the_whole_schedule_fails_the_event_waits_for_a_redelivery_with_the_same_id(app: TestApp) {
        let receiver = Receiver::start().await;
        receiver.answer(Reply::Status(500));
        let token = app.token(Role::Integration, Mode::Test).await;
        let (hook, _) = webhook(&app, &token, "customers.create", &receiver.url("/h"), &[]).await;
        guest(&app, &token, "ada@example.com").await;
        receiver.wait_for(1, WITHIN).await;
        for (made, wait) in [(1, 1), (2, 2)] {
            callbacks(&app, &token, &hook, made).await;
            app.advance(past(wait));
            receiver.wait_for(made + 1, WITHIN).await;
        }
        let made = callbacks(&app, &token, &hook, 3).await;
        assert_eq!(attempts(&made), vec![(1, json!(500)), (2, json!(500)), (3, json!(500))]);

        // Someone notices an hour later, fixes the receiver and sends the event again.
        app.advance(Duration::from_secs(3600));
        app.webhooks_settled().await;
        assert_eq!(receiver.requests().len(), 3, "a failed delivery is not retried");
        receiver.answer(Reply::Status(200));
        let last = made[0]["id"].as_str().unwrap();
        let answer = app.graphql(Some(&token), REDELIVER, json!({ "id": last })).await;
        assert_eq!(answer["data"]["redeliverEventCallback"]["id"], last, "{answer}");
        let got = receiver.wait_for(4, WITHIN).await;
        let ids = message_ids(&got);
        assert_eq!(ids[3], ids[0], "a redelivery keeps the webhook-id");
        let made = callbacks(&app, &token, &hook, 4).await;
        assert_eq!(made[0]["responseCode"], 200, "{made:?}");
        app.webhooks_settled().await;
        assert_eq!(receiver.requests().len(), 4);
    }

    // A schedule of 1 s and 2 s: the horizon is 3.3 s after the commit.
    #[config(|c: &mut Config| {
        quick_polls(c);
        c.webhook_circuit_threshold = 1;
        c.webhook_retry_schedule = reset_gateway::webhooks::delivery::RetrySchedule::parse("1s,2s").unwrap();
    })]
    async fn an_event_that_waited_past_the_retry_horizon_fails_unsent_until_redelivered(app: TestApp) {
        let receiver = Receiver::start().await;
        let token = app.token(Role::Integration, Mode::Test).await;
        let hook = with_open_circuit(&app, &token, &receiver).await;
        guest(&app, &token, "late@example.com").await;

        // The circuit is reset an hour later: both events are older than the horizon.
        app.advance(Duration::from_secs(3600));
        receiver.answer(Reply::Status(200));
        let token = app.token(Role::Integration, Mode::Test).await;
        reset_circuit(&app, &token, &hook).await;
        let made = callbacks(&app, &token, &hook, 3).await;
        let unsent: Vec<&Value> = made.iter().filter(|c| c["responseCode"].is_null()).collect();
        assert_eq!(unsent.len(), 2, "{made:?}");
        for callback in &unsent {
            let message = callback["responseMessage"].as_str().unwrap();
            assert_eq!(message, "not sent: the event is older than the retry horizon");
        }
        // The receiver was not called: its circuit counts nothing against it.
        let webhook = read(&app, &token, &hook).await;
        assert_eq!(webhook["circuitState"], "CLOSED", "{webhook}");
        assert_eq!(webhook["circuitFailureCount"], 0, "{webhook}");
        // Failed, not retried: a day later nothing more was attempted.
        app.advance(Duration::from_secs(24 * 3600));
        app.webhooks_settled().await;
        let token = app.token(Role::Integration, Mode::Test).await;
        assert!(stored(&app).await.iter().all(|r| r.state == "failed"));
        assert_eq!(read(&app, &token, &hook).await["lastEventCallbacks"].as_array().unwrap().len(), 3);
        assert_eq!(receiver.requests().len(), 1, "only the first attempt went out");

        // A redelivery starts the horizon afresh.
        let answer = app.graphql(Some(&token), REDELIVER, json!({ "id": unsent[0]["id"] })).await;
        assert!(answer["errors"].is_null(), "{answer}");
        receiver.wait_for(2, WITHIN).await;
        assert_eq!(callbacks(&app, &token, &hook, 4).await[0]["responseCode"], 200);
    }

    #[config(quick_polls)]
    async fn redelivering_a_delivered_create_event_is_refused_because_its_token_is_gone(app: TestApp) {
        let receiver = Receiver::start().await;
        let who = Callers::new(&app).await;
        let token = &who.integration;
        let topic = "customer_password_resets.create";
        let (hook, _) = webhook(&app, token, topic, &receiver.url("/h"), &[]).await;
        reset(&app, token, "me@example.com").await;
        let made = callbacks(&app, token, &hook, 1).await;
        assert_eq!(made[0]["responseCode"], 200);
        let id = made[0]["id"].as_str().unwrap();

        let answer = app.graphql(Some(token), REDELIVER, json!({ "id": id })).await;
        assert_eq!(error_code(&answer), Some("VALIDATION_ERROR"), "{answer}");
        assert_eq!(answer["errors"][0]["extensions"]["pointer"], "/id", "{answer}");
        let unknown = app.graphql(Some(token), REDELIVER, json!({ "id": "nosuchcallback" })).await;
        assert_eq!(error_code(&unknown), Some("RECORD_NOT_FOUND"), "{unknown}");
        for caller in [&who.sales_channel, &who.customer] {
            let refused = app.graphql(Some(caller), REDELIVER, json!({ "id": id })).await;
            assert_eq!(error_code(&refused), Some("UNAUTHORIZED"), "{refused}");
        }
        app.webhooks_settled().await;
        assert_eq!(receiver.requests().len(), 1, "nothing was sent again");
    }

    #[config(quick_polls)]
    async fn a_redirect_is_a_failure_and_its_location_is_not_called(app: TestApp) {
        let (receiver, elsewhere) = (Receiver::start().await, Receiver::start().await);
        receiver.answer(Reply::Redirect(elsewhere.url("/moved")));
        let token = app.token(Role::Integration, Mode::Test).await;
        let (hook, _) = webhook(&app, &token, "customers.create", &receiver.url("/h"), &[]).await;
        guest(&app, &token, "ada@example.com").await;
        let made = callbacks(&app, &token, &hook, 1).await;
        assert_eq!(made[0]["responseCode"], 302, "{made:?}");
        receiver.answer(Reply::Status(204));
        app.advance(past(5));
        let made = callbacks(&app, &token, &hook, 2).await;
        assert_eq!(attempts(&made), vec![(1, json!(302)), (2, json!(204))]);
        assert_eq!(elsewhere.connections(), 0, "the Location was never called");
    }

    #[config(|c: &mut Config| {
        quick_polls(c);
        c.webhook_timeout = Duration::from_millis(300);
    })]
    async fn a_receiver_slower_than_the_timeout_gets_no_response_code_and_is_retried(app: TestApp) {
        let receiver = Receiver::start().await;
        receiver.answer(Reply::Slow(Duration::from_secs(3)));
        let token = app.token(Role::Integration, Mode::Test).await;
        let (hook, _) = webhook(&app, &token, "customers.create", &receiver.url("/h"), &[]).await;
        guest(&app, &token, "ada@example.com").await;
        let made = callbacks(&app, &token, &hook, 1).await;
        assert_eq!(made[0]["responseCode"], Value::Null, "{made:?}");
        let message = made[0]["responseMessage"].as_str().unwrap();
        assert!(message.contains("timed out"), "{message}");
        receiver.answer(Reply::Status(200));
        app.advance(past(5));
        let made = callbacks(&app, &token, &hook, 2).await;
        assert_eq!(attempts(&made), vec![(1, Value::Null), (2, json!(200))]);
        let ids = message_ids(&receiver.requests());
        assert_eq!(ids, vec![ids[0].clone(), ids[0].clone()]);
    }

    #[config(|c: &mut Config| {
        quick_polls(c);
        c.webhook_allow_private_networks = false;
    })]
    async fn a_private_callback_address_is_refused_by_default_without_a_connection(app: TestApp) {
        let receiver = Receiver::start().await;
        let token = app.token(Role::Integration, Mode::Test).await;
        let (hook, _) = webhook(&app, &token, "customers.create", &receiver.url("/h"), &[]).await;
        guest(&app, &token, "ada@example.com").await;
        let made = callbacks(&app, &token, &hook, 1).await;
        assert_eq!(made[0]["responseCode"], Value::Null, "{made:?}");
        let message = made[0]["responseMessage"].as_str().unwrap();
        assert!(message.contains("refused"), "{message}");
        assert_eq!(receiver.connections(), 0);
    }

    // The sender sweeps every ten polls of its clock (here half a second), and prunes by it.
    #[config(|c: &mut Config| {
        quick_polls(c);
        c.webhook_event_retention = Duration::from_secs(7 * 24 * 3600);
    })]
    async fn settled_deliveries_and_their_callbacks_are_forgotten_once_the_retention_has_passed(app: TestApp) {
        let day = Duration::from_secs(24 * 3600);
        let receiver = Receiver::start().await;
        let token = app.token(Role::Integration, Mode::Test).await;
        let (hook, _) = webhook(&app, &token, "customers.create", &receiver.url("/h"), &[]).await;
        guest(&app, &token, "old@example.com").await;
        callbacks(&app, &token, &hook, 1).await;
        app.advance(5 * day);
        let token = app.token(Role::Integration, Mode::Test).await;
        guest(&app, &token, "new@example.com").await;
        callbacks(&app, &token, &hook, 2).await;
        app.advance(3 * day);
        let token = app.token(Role::Integration, Mode::Test).await;
        let kept = eventually(async || {
            let webhook = read(&app, &token, &hook).await;
            let kept = webhook["lastEventCallbacks"].as_array().unwrap().clone();
            match kept.len() {
                1 => Ok(kept),
                n => Err(format!("{n} callbacks kept: {webhook}")),
            }
        })
        .await;
        let created = |c: &Value| c["createdAt"].as_str().unwrap().to_owned();
        let newest = callbacks(&app, &token, &hook, 1).await;
        assert_eq!(created(&kept[0]), created(&newest[0]), "the 3-day-old one is kept");
        assert_eq!(stored(&app).await.len(), 1, "and only its delivery");
    }
}
