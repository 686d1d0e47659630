//! No readable token stays in the database (DESIGN section 7): a create event's token is
//! gone once delivered, and a create event whose reset is used or expired before it went
//! out is discarded, never sent, its sealed token erased; a token waiting behind an open
//! circuit is erased once it expires.

use std::time::Duration;

use reset_gateway::auth::{Mode, Role};
use reset_gateway::config::Config;
use reset_gateway::db::DatabaseUrl;

use crate::eventually::eventually;
use crate::fixtures::{PASSWORD, redeem};
use crate::harness::{TestApp, on_both_databases};
use crate::receiver::{Receiver, Reply};
use crate::webhook_fixtures::{
    Stored, callbacks, guest, quick_polls, read, reset, reset_circuit, stored, webhook,
};

const TOPIC: &str = "customer_password_resets.create";

/// The outbox's rows as text, for a search for a token in them.
async fn outbox_text(app: &TestApp) -> String {
    match &app.config.database_url {
        DatabaseUrl::Sqlite(_) => {
            let mut bytes = Vec::new();
            for entry in std::fs::read_dir(database_dir(app)).unwrap().flatten() {
                bytes.extend(std::fs::read(entry.path()).unwrap());
            }
            String::from_utf8_lossy(&bytes).into_owned()
        }
        DatabaseUrl::Postgres(_) => {
            #[derive(diesel::QueryableByName)]
            struct Row {
                #[diesel(sql_type = diesel::sql_types::Text)]
                row: String,
            }
            let rows: Vec<Row> = app
                .pg_rows("SELECT d::text AS row FROM webhook_deliveries d")
                .await;
            rows.into_iter()
                .map(|r| r.row)
                .collect::<Vec<_>>()
                .join("\n")
        }
    }
}

on_both_databases! {
    #[config(quick_polls)]
    async fn no_readable_token_stays_after_delivery(app: TestApp) {
        let receiver = Receiver::start().await;
        let token = app.token(Role::Integration, Mode::Test).await;
        let topic = "customer_password_resets.create";
        let (hook, _) = webhook(&app, &token, topic, &receiver.url("/h"), &[]).await;
        guest(&app, &token, "ada@example.com").await;
        let (_, reset_token) = reset(&app, &token, "ada@example.com").await;
        callbacks(&app, &token, &hook, 1).await;
        let got = receiver.requests();
        assert_eq!(
            got[0].json()["data"]["attributes"]["reset_password_token"],
            reset_token
        );
        let rows = stored(&app).await;
        assert!(rows.iter().all(|r| r.sealed_token.is_none()), "{rows:?}");
        assert!(!outbox_text(&app).await.contains(&reset_token));
    }
}

/// The folder of the SQLite database (with its journal files).
fn database_dir(app: &TestApp) -> std::path::PathBuf {
    match &app.config.database_url {
        DatabaseUrl::Sqlite(path) => path.parent().unwrap().to_owned(),
        _ => panic!("a SQLite database"),
    }
}

/// The outbox's rows once every one of them is settled; panics after [`eventually`]'s
/// deadline (the sweep that erases expired resets' tokens runs every ten polls).
async fn settled(app: &TestApp) -> Vec<Stored> {
    eventually(async || {
        let rows = stored(app).await;
        match rows.iter().all(|r| r.state != "pending") {
            true => Ok(rows),
            false => Err(format!("{rows:?}")),
        }
    })
    .await
}

on_both_databases! {
    #[config(|c: &mut Config| {
        quick_polls(c);
        c.webhook_circuit_threshold = 1;
    })]
    async fn create_events_of_used_or_expired_resets_are_discarded_unsent(app: TestApp) {
        let receiver = Receiver::start().await;
        receiver.answer(Reply::Status(500));
        let token = app.token(Role::Integration, Mode::Test).await;
        let (hook, _) = webhook(&app, &token, TOPIC, &receiver.url("/h"), &[]).await;
        for email in ["a@example.com", "b@example.com", "c@example.com"] {
            app.customer(&token, email, Some(PASSWORD)).await;
        }
        // The first event fails and opens the circuit: the next ones wait.
        let (_, first) = reset(&app, &token, "a@example.com").await;
        callbacks(&app, &token, &hook, 1).await;
        assert_eq!(read(&app, &token, &hook).await["circuitState"], "OPEN");
        let (used, used_token) = reset(&app, &token, "b@example.com").await;
        let (_, expired_token) = reset(&app, &token, "c@example.com").await;
        assert!(stored(&app).await.iter().all(|r| r.sealed_token.is_some()));

        let redeemed = redeem(&app, &token, &used, &used_token, "a brand new password").await;
        assert!(redeemed["errors"].is_null(), "{redeemed}");
        app.advance(Duration::from_secs(6 * 3600));
        receiver.answer(Reply::Status(200));
        // The access token expired in those hours too.
        let token = app.token(Role::Integration, Mode::Test).await;
        reset_circuit(&app, &token, &hook).await;

        let rows = settled(&app).await;
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|r| r.state == "discarded"), "{rows:?}");
        assert!(rows.iter().all(|r| r.sealed_token.is_none()), "{rows:?}");
        let got = receiver.requests();
        assert_eq!(got.len(), 1, "only the first attempt went out");
        let sent = got[0].json()["data"]["attributes"]["reset_password_token"].clone();
        assert_eq!(sent, first);
        let text = outbox_text(&app).await;
        for clear in [&first, &used_token, &expired_token] {
            assert!(!text.contains(clear.as_str()));
        }
    }
}

on_both_databases! {
    // Nothing is sent here (the circuit stays open), so only the sender's periodic sweep
    // can erase the token: it must run again whenever its period has passed on the
    // service's clock, not only at start.
    #[config(|c: &mut Config| {
        quick_polls(c);
        c.webhook_circuit_threshold = 1;
    })]
    async fn a_token_waiting_behind_an_open_circuit_is_erased_once_it_expires(app: TestApp) {
        let receiver = Receiver::start().await;
        receiver.answer(Reply::Status(500));
        let token = app.token(Role::Integration, Mode::Test).await;
        let (hook, _) = webhook(&app, &token, TOPIC, &receiver.url("/h"), &[]).await;
        for email in ["a@example.com", "b@example.com"] {
            app.customer(&token, email, Some(PASSWORD)).await;
        }
        reset(&app, &token, "a@example.com").await;
        callbacks(&app, &token, &hook, 1).await;
        assert_eq!(read(&app, &token, &hook).await["circuitState"], "OPEN");
        let (_, waiting) = reset(&app, &token, "b@example.com").await;
        app.webhooks_settled().await;
        assert!(stored(&app).await.iter().all(|r| r.sealed_token.is_some()), "both wait, sealed");

        app.advance(Duration::from_secs(6 * 3600));
        let rows = eventually(async || {
            let rows = stored(&app).await;
            match rows.iter().all(|r| r.sealed_token.is_none()) {
                true => Ok(rows),
                false => Err(format!("{rows:?}")),
            }
        })
        .await;
        assert_eq!(rows.len(), 2);
        assert_eq!(receiver.requests().len(), 1, "nothing more went out");
        assert!(!outbox_text(&app).await.contains(&waiting));
    }
}
