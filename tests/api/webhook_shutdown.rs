//! Shutdown during a slow delivery loses nothing (DESIGN section 7): the real binary,
//! sent SIGTERM while its receiver is still answering, exits without waiting for it and
//! gives the delivery back to the outbox; another instance then delivers it, under the
//! same `webhook-id`, as its first recorded attempt.

use std::process::Command;
use std::time::Duration;

use reset_gateway::auth::{Mode, Role};
use reset_gateway::db::DatabaseUrl;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::binary::Server;
use crate::harness::{TestApp, on_both_databases};
use crate::raw::Raw;
use crate::receiver::{Receiver, Reply};
use crate::webhook_fixtures::{attempts, callbacks, message_ids, quick_polls, webhook};

/// The database URL as the binary reads it.
fn url_text(url: &DatabaseUrl) -> String {
    match url {
        DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
        DatabaseUrl::Postgres(secret) => secret.expose_secret().to_owned(),
    }
}

on_both_databases! {
    async fn sigterm_during_a_slow_delivery_gives_it_back_and_another_instance_sends_it(backend: Backend) {
        // This instance owns the database; its sender polls too rarely to take part.
        let idle = |c: &mut reset_gateway::config::Config| {
            c.webhook_poll_interval = Duration::from_secs(3600);
        };
        let Some(app) = TestApp::spawn_with(backend, idle).await else {
            return;
        };
        let receiver = Receiver::start().await;
        receiver.answer(Reply::Slow(Duration::from_secs(60)));
        let token = app.token(Role::Integration, Mode::Test).await;
        let (hook, _) = webhook(&app, &token, "customers.create", &receiver.url("/h"), &[]).await;
        let client = app.credential(Role::Integration, Mode::Test).await;

        let mut server = Server::start(
            &url_text(&app.config.database_url),
            &[
                ("WEBHOOK_ALLOW_PRIVATE_NETWORKS", "true"),
                ("WEBHOOK_TIMEOUT", "30s"),
            ],
        );
        let base = server.base_url.clone();
        let body = json!({ "grant_type": "client_credentials", "client_id": client.id, "client_secret": client.secret });
        let binary_token = server.access_token(&body).await;
        let query = "mutation { createCustomer(input: { email: \"ada@example.com\" }) { id } }";
        let created: Value = Raw::post(format!("{base}/graphql"))
            .bearer(Some(&binary_token))
            .json(&json!({ "query": query }))
            .send()
            .await
            .body;
        assert!(created["errors"].is_null(), "{created}");
        receiver.wait_for(1, Duration::from_secs(5)).await;

        let pid = server.process().id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let status = server
            .exit_within(Duration::from_secs(10), "the service waited for the slow receiver")
            .await;
        assert_eq!(status.code(), Some(0), "{}", server.log());
        assert!(server.log().contains("given back"), "{}", server.log());

        // The lease was released, not left to lapse: another instance takes the delivery as
        // soon as it is due on its clock (the binary stamped it with the system clock).
        receiver.answer(Reply::Status(200));
        let other = app.sibling(quick_polls).await;
        app.advance(Duration::from_secs(10));
        let got = receiver.wait_for(2, Duration::from_secs(5)).await;
        let ids = message_ids(&got);
        assert_eq!(ids[1], ids[0], "the same event, under the same webhook-id");
        let made = callbacks(&other, &token, &hook, 1).await;
        assert_eq!(
            attempts(&made),
            vec![(1, json!(200))],
            "the given-back attempt counted none"
        );
    }
}
