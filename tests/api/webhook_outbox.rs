//! The outbox's promises (DESIGN section 7): the circuit opens at the threshold and its
//! events wait for `resetCircuit`; a hanging receiver holds up neither the API nor other
//! webhooks; two instances deliver everything exactly once between them.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use reset_gateway::auth::{Mode, Role};
use reset_gateway::config::Config;
use serde_json::json;

use crate::harness::on_both_databases;
use crate::receiver::{Receiver, Reply};
use crate::webhook_fixtures::{
    callbacks, guest, message_ids, quick_polls, read, reset, reset_circuit, webhook,
    with_open_circuit,
};

const WITHIN: Duration = Duration::from_secs(5);

on_both_databases! {
    #[config(|c: &mut Config| {
        quick_polls(c);
        c.webhook_circuit_threshold = 3;
    })]
    async fn the_circuit_opens_at_the_threshold_and_reset_circuit_sends_what_waited(app: TestApp) {
        let receiver = Receiver::start().await;
        receiver.answer(Reply::Status(500));
        let token = app.token(Role::Integration, Mode::Test).await;
        let (hook, _) = webhook(&app, &token, "customers.create", &receiver.url("/h"), &[]).await;
        for n in 0..3 {
            guest(&app, &token, &format!("c{n}@example.com")).await;
        }
        callbacks(&app, &token, &hook, 3).await;
        let webhook = read(&app, &token, &hook).await;
        assert_eq!(webhook["circuitState"], "OPEN", "{webhook}");
        assert_eq!(webhook["circuitFailureCount"], 3, "{webhook}");

        guest(&app, &token, "waiting@example.com").await;
        app.advance(Duration::from_secs(60));
        app.webhooks_settled().await;
        assert_eq!(receiver.requests().len(), 3, "nothing is sent while the circuit is open");

        receiver.answer(Reply::Status(200));
        reset_circuit(&app, &token, &hook).await;
        let got = receiver.wait_for(7, WITHIN).await;
        let sent_again: HashSet<String> = message_ids(&got[3..]).into_iter().collect();
        assert_eq!(sent_again.len(), 4, "the three retries and the waiting event");
        assert!(message_ids(&got[..3]).iter().all(|id| sent_again.contains(id)));
        let webhook = read(&app, &token, &hook).await;
        assert_eq!(webhook["circuitFailureCount"], 0, "{webhook}");
    }

    #[config(quick_polls)]
    async fn a_hanging_receiver_holds_up_neither_the_api_nor_other_webhooks(app: TestApp) {
        let (hanging, healthy) = (Receiver::start().await, Receiver::start().await);
        hanging.answer(Reply::Slow(Duration::from_secs(30)));
        let token = app.token(Role::Integration, Mode::Test).await;
        webhook(&app, &token, "customers.create", &hanging.url("/h"), &[]).await;
        let topic = "customer_password_resets.create";
        webhook(&app, &token, topic, &healthy.url("/h"), &[]).await;
        // More events for the hanging receiver than the sender has slots.
        let slots = usize::from(app.config.webhook_concurrency);
        for n in 0..slots + 4 {
            guest(&app, &token, &format!("c{n}@example.com")).await;
        }
        // It holds half the slots (rounded up) at once, and no more.
        let half = slots.div_ceil(2);
        hanging.wait_for(half, WITHIN).await;

        let started = Instant::now();
        reset(&app, &token, "c0@example.com").await;
        healthy.wait_for(1, Duration::from_secs(2)).await;
        let answered = Instant::now();
        app.graphql(Some(&token), "{ webhooks { totalCount } }", json!({})).await;
        assert!(answered.elapsed() < Duration::from_secs(1), "the API answers at once");
        assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
        assert_eq!(hanging.requests().len(), half, "the hanging webhook's share of the slots");
    }

    // The events wait behind an open circuit, so that the sender finds them all at once
    // when it closes: one claim brings more than the webhook's share, and gives the rest
    // back.
    #[config(|c: &mut Config| {
        quick_polls(c);
        c.webhook_circuit_threshold = 1;
    })]
    async fn events_waiting_for_one_webhook_are_sent_only_up_to_its_share_of_the_slots(app: TestApp) {
        let (hanging, healthy) = (Receiver::start().await, Receiver::start().await);
        let token = app.token(Role::Integration, Mode::Test).await;
        let hook = with_open_circuit(&app, &token, &hanging).await;
        let slots = usize::from(app.config.webhook_concurrency);
        for n in 0..slots {
            guest(&app, &token, &format!("c{n}@example.com")).await;
        }
        hanging.answer(Reply::Slow(Duration::from_secs(30)));
        reset_circuit(&app, &token, &hook).await;
        let half = slots.div_ceil(2);
        hanging.wait_for(1 + half, WITHIN).await;

        // Another webhook's event goes out after that claim: the sender had its chance.
        let topic = "customer_password_resets.create";
        webhook(&app, &token, topic, &healthy.url("/h"), &[]).await;
        reset(&app, &token, "c0@example.com").await;
        healthy.wait_for(1, WITHIN).await;
        assert_eq!(hanging.requests().len(), 1 + half, "the first attempt, then half the slots");
    }

    #[config(quick_polls)]
    async fn two_instances_deliver_a_hundred_events_with_no_duplicate_and_no_loss(app: TestApp) {
        let receiver = Receiver::start().await;
        let other = app.sibling(quick_polls).await;
        let token = app.token(Role::Integration, Mode::Test).await;
        webhook(&app, &token, "customers.create", &receiver.url("/h"), &[]).await;
        let creations = (0..100).map(|n| {
            let (instance, token) = (if n % 2 == 0 { &app } else { &other }, &token);
            async move { guest(instance, token, &format!("c{n}@example.com")).await }
        });
        let customers: HashSet<String> =
            futures_util::future::join_all(creations).await.into_iter().collect();
        assert_eq!(customers.len(), 100);

        receiver.wait_for(100, Duration::from_secs(20)).await;
        // Each instance has attempted everything due, and recorded it.
        app.webhooks_settled().await;
        other.webhooks_settled().await;
        let requests = receiver.requests();
        assert_eq!(requests.len(), 100, "no event twice");
        let ids: HashSet<String> = message_ids(&requests).into_iter().collect();
        assert_eq!(ids.len(), 100, "no duplicate webhook-id");
        let delivered: HashSet<String> = requests
            .iter()
            .map(|r| r.json()["data"]["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(delivered, customers, "no loss");
    }
}
