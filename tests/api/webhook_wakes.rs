//! A committed change wakes the webhook sender: its event goes out without waiting for
//! the sender's next poll (`WEBHOOK_POLL_INTERVAL`, there for retries and other
//! instances' events).

use std::time::Duration;

use reset_gateway::auth::{Mode, Role};
use serde_json::json;

use crate::eventually::eventually;
use crate::fixtures::{create_reset, redeem};
use crate::harness::on_both_databases;
use crate::receiver::Receiver;
use crate::webhook_events::UPDATE_CUSTOMER;
use crate::webhook_fixtures::webhook;
use reset_gateway::webhooks::topic::TOPIC_NAMES;

/// Waits until `count` deliveries of `topic` arrived.
async fn arrived(receiver: &Receiver, topic: &str, count: usize) {
    let path = format!("/{topic}");
    eventually(async || {
        let got = receiver
            .requests()
            .into_iter()
            .filter(|r| r.path == path)
            .count();
        match got >= count {
            true => Ok(()),
            false => Err(format!("{got} of {count} deliveries of {topic}")),
        }
    })
    .await;
}

on_both_databases! {
    // The sender polls once an hour here, so each delivery arrives only if its change
    // woke the sender. Each is awaited before the next change, whose wake would
    // otherwise carry it too.
    #[config(|c| c.webhook_poll_interval = Duration::from_secs(3600))]
    async fn each_committed_change_wakes_the_sender_instead_of_waiting_for_its_poll(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let receiver = Receiver::start().await;
        for topic in TOPIC_NAMES {
            webhook(&app, &token, topic, &receiver.url(&format!("/{topic}")), &[]).await;
        }
        app.customer(&token, "guest@example.com", None).await;
        arrived(&receiver, "customers.create", 1).await;
        let (reset, reset_token) = create_reset(&app, &token, "guest@example.com").await;
        arrived(&receiver, "customer_password_resets.create", 1).await;
        let redeemed = redeem(&app, &token, &reset, &reset_token, "a new and long password").await;
        assert!(redeemed["errors"].is_null(), "{redeemed}");
        arrived(&receiver, "customer_password_resets.reset_password", 1).await;
        arrived(&receiver, "customers.create_password", 1).await;
        let (second, _) = create_reset(&app, &token, "guest@example.com").await;
        arrived(&receiver, "customer_password_resets.create", 2).await;
        let delete = "mutation($id: ID!) { deleteCustomerPasswordReset(id: $id) }";
        app.graphql(Some(&token), delete, json!({ "id": second })).await;
        arrived(&receiver, "customer_password_resets.destroy", 1).await;
        let other = app.customer(&token, "other@example.com", None).await;
        arrived(&receiver, "customers.create", 2).await;
        let input = json!({ "password": "another long password" });
        let updated = app.graphql(Some(&token), UPDATE_CUSTOMER, json!({ "id": other, "input": input })).await;
        assert!(updated["errors"].is_null(), "{updated}");
        arrived(&receiver, "customers.create_password", 2).await;
    }
}
