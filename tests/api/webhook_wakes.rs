//! A committed change wakes the webhook sender: its event goes out without waiting for
//! the sender's next poll (`WEBHOOK_POLL_INTERVAL`, there for retries and other
//! instances' events). And only then: an idle sender does not look for deliveries again
//! and again. A pass counts as idle only when nothing is in flight.

use std::time::Duration;

use reset_gateway::auth::{Mode, Role};
use serde_json::json;

use crate::eventually::eventually;
use crate::fixtures::{create_reset, redeem};
use crate::harness::on_both_databases;
use crate::receiver::{Receiver, Reply};
use crate::webhook_events::UPDATE_CUSTOMER;
use crate::webhook_fixtures::{guest, quick_polls, read, webhook};
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

    // Nothing commits a delivery here (no webhook listens), so after its first poll at
    // start the sender must not look again: a sender that did would spin, a database
    // query after another, for as long as the service runs.
    #[config(|c| c.webhook_poll_interval = Duration::from_secs(3600))]
    async fn an_idle_sender_looks_for_deliveries_only_when_woken_or_polled(app: TestApp) {
        let outbox = &app.state().outbox;
        eventually(async || match outbox.idle_passes() {
            0 => Err("the first poll has not run".to_owned()),
            _ => Ok(()),
        })
        .await;
        let before = outbox.idle_passes();
        let token = app.token(Role::Integration, Mode::Test).await;
        for n in 0..10 {
            app.customer(&token, &format!("guest{n}@example.com"), None).await;
        }
        assert_eq!(outbox.idle_passes(), before, "changes that fire no delivery wake nothing");
        outbox.wake();
        eventually(async || match outbox.idle_passes() - before {
            0 => Err("the wake was not heard".to_owned()),
            _ => Ok(()),
        })
        .await;
        app.customer(&token, "one-more@example.com", None).await;
        assert_eq!(outbox.idle_passes(), before + 1, "one wake, one pass");
    }

    // A pass with an attempt in flight is not idle, whatever it claimed: the tests'
    // "nothing more was sent" (`webhooks_settled`, two idle passes) is final only if so.
    #[config(quick_polls)]
    async fn the_sender_counts_no_idle_pass_while_an_attempt_is_in_flight(app: TestApp) {
        let receiver = Receiver::start().await;
        receiver.answer(Reply::Slow(Duration::from_millis(500)));
        let token = app.token(Role::Integration, Mode::Test).await;
        let (hook, _) = webhook(&app, &token, "customers.create", &receiver.url("/h"), &[]).await;
        guest(&app, &token, "slow@example.com").await;
        receiver.wait_for(1, Duration::from_secs(5)).await;
        app.webhooks_settled().await;
        let recorded = read(&app, &token, &hook).await["lastEventCallbacks"].clone();
        assert_eq!(recorded.as_array().map(Vec::len), Some(1), "settled, so recorded: {recorded}");
    }
}
