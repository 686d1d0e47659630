//! Reset tokens: single use, expiry, superseding, guessing limits, one error for all.

use std::time::Duration;

use reset_gateway::auth::{Mode, Role};
use serde_json::{Value, json};

use crate::fixtures::{Callers, create_reset, redeem};
use crate::harness::{TestApp, on_both_databases};

const NEW_PASSWORD: &str = "a new and long password";

/// The error a refused token gets: always the same, whatever the reason.
fn refused_token(answer: &Value) -> (Option<&str>, Option<&str>, Option<&str>, Option<&str>) {
    let error = &answer["errors"][0];
    let ext = &error["extensions"];
    (
        ext["code"].as_str(),
        ext["pointer"].as_str(),
        ext["error"].as_str(),
        error["message"].as_str(),
    )
}

async fn status_of(app: &TestApp, integration: &str, id: &str) -> Value {
    let read = app
        .graphql(
            Some(integration),
            "query($id: ID!) { customerPasswordReset(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    read["data"]["customerPasswordReset"]["status"].clone()
}

on_both_databases! {
    async fn a_used_wrong_or_unknown_token_gets_one_and_the_same_error(app: TestApp) {
        let who = Callers::new(&app).await;
        let (id, token) = create_reset(&app, &who.integration, "me@example.com").await;
        let wrong = redeem(&app, &who.sales_channel, &id, "not-the-token", NEW_PASSWORD).await;
        let unknown = redeem(&app, &who.sales_channel, "NoSuchId00", &token, NEW_PASSWORD).await;
        assert!(redeem(&app, &who.sales_channel, &id, &token, NEW_PASSWORD).await["errors"].is_null());
        let reused = redeem(&app, &who.sales_channel, &id, &token, "yet another password").await;
        let expected = (Some("VALIDATION_ERROR"), Some("/input/resetPasswordToken"), Some("invalid"));
        for answer in [&wrong, &unknown, &reused] {
            let (code, pointer, key, _) = refused_token(answer);
            assert_eq!((code, pointer, key), expected, "{answer}");
        }
        assert_eq!(refused_token(&wrong), refused_token(&unknown));
        assert_eq!(refused_token(&wrong).3, refused_token(&reused).3, "the message does not tell which");
        insta::assert_json_snapshot!("refused_tokens", json!({ "wrong": wrong, "unknown": unknown, "reused": reused }));
        let (status, _) = app.login(&who.sales_channel_client, "me@example.com", "yet another password").await;
        assert_eq!(status, 400, "the reused token changed nothing");
    }

    async fn the_token_is_shown_once_and_never_read_back(app: TestApp) {
        let who = Callers::new(&app).await;
        let (id, token) = create_reset(&app, &who.integration, "me@example.com").await;
        let one = app
            .graphql(Some(&who.integration), "query($id: ID!) { customerPasswordReset(id: $id) { resetPasswordToken } }", json!({ "id": id }))
            .await;
        assert_eq!(one["data"]["customerPasswordReset"]["resetPasswordToken"], Value::Null);
        let list = app
            .graphql(Some(&who.integration), "{ customerPasswordResets { edges { node { resetPasswordToken } } } }", json!({}))
            .await;
        assert_eq!(list["data"]["customerPasswordResets"]["edges"][0]["node"]["resetPasswordToken"], Value::Null);
        let found = app
            .graphql(
                Some(&who.integration),
                "query($t: String!) { customerPasswordResets(filter: { resetPasswordTokenEq: $t }) { totalCount edges { node { id } } } }",
                json!({ "t": token }),
            )
            .await;
        assert_eq!(found["data"]["customerPasswordResets"]["totalCount"], 1, "found by the token's digest");
        assert_eq!(found["data"]["customerPasswordResets"]["edges"][0]["node"]["id"], id.as_str());
    }

    async fn a_newer_reset_expires_the_older_one(app: TestApp) {
        let who = Callers::new(&app).await;
        let (older, older_token) = create_reset(&app, &who.integration, "me@example.com").await;
        let (newer, newer_token) = create_reset(&app, &who.integration, "me@example.com").await;
        assert_eq!(status_of(&app, &who.integration, &older).await, "EXPIRED");
        let answer = redeem(&app, &who.sales_channel, &older, &older_token, NEW_PASSWORD).await;
        assert_eq!(refused_token(&answer).0, Some("VALIDATION_ERROR"));
        let answer = redeem(&app, &who.sales_channel, &newer, &newer_token, NEW_PASSWORD).await;
        assert_eq!(answer["data"]["updateCustomerPasswordReset"]["status"], "USED");
    }

    async fn five_wrong_tokens_kill_a_reset(app: TestApp) {
        let who = Callers::new(&app).await;
        let (id, token) = create_reset(&app, &who.integration, "me@example.com").await;
        for guess in 0..4 {
            redeem(&app, &who.sales_channel, &id, &format!("guess-{guess}"), NEW_PASSWORD).await;
        }
        assert_eq!(status_of(&app, &who.integration, &id).await, "PENDING", "four wrong guesses are survived");
        redeem(&app, &who.sales_channel, &id, "guess-5", NEW_PASSWORD).await;
        assert_eq!(status_of(&app, &who.integration, &id).await, "EXPIRED");
        let answer = redeem(&app, &who.sales_channel, &id, &token, NEW_PASSWORD).await;
        assert_eq!(refused_token(&answer).0, Some("VALIDATION_ERROR"), "even the right token is refused now");
    }

    async fn wrong_tokens_sent_together_are_counted_one_by_one_and_never_past_five(app: TestApp) {
        use reset_gateway::auth::Mode;
        let who = Callers::new(&app).await;
        let (id, token) = create_reset(&app, &who.integration, "me@example.com").await;
        let guesses = (0..12).map(|guess| {
            let (app, sales_channel, id) = (&app, &who.sales_channel, &id);
            async move { redeem(app, sales_channel, id, &format!("guess-{guess}"), NEW_PASSWORD).await }
        });
        for answer in futures_util::future::join_all(guesses).await {
            assert_eq!(refused_token(&answer).0, Some("VALIDATION_ERROR"), "{answer}");
        }
        let mut conn = app.state().db.conn().await.unwrap();
        let stored = reset_gateway::resets::queries::find(&mut conn, Mode::Test, &id).await.unwrap().unwrap();
        assert_eq!(stored.failed_attempts, 5, "a guess is compared only while fewer than five have failed");
        assert_eq!(status_of(&app, &who.integration, &id).await, "EXPIRED");
        let answer = redeem(&app, &who.sales_channel, &id, &token, NEW_PASSWORD).await;
        assert_eq!(refused_token(&answer).0, Some("VALIDATION_ERROR"), "the right token comes too late");
    }

    async fn sixteen_simultaneous_redemptions_change_the_password_once(app: TestApp) {
        let who = Callers::new(&app).await;
        let (id, token) = create_reset(&app, &who.integration, "me@example.com").await;
        let attempts = (0..16).map(|i| {
            let (app, sales_channel, id, token) = (&app, &who.sales_channel, &id, &token);
            async move {
                let password = format!("racing password {i:02}");
                let answer = redeem(app, sales_channel, id, token, &password).await;
                (password, answer["errors"].is_null())
            }
        });
        let results = futures_util::future::join_all(attempts).await;
        let winners: Vec<&String> = results.iter().filter(|(_, won)| *won).map(|(p, _)| p).collect();
        assert_eq!(winners.len(), 1, "exactly one redemption succeeds");
        for (password, _) in &results {
            let (status, _) = app.login(&who.sales_channel_client, "me@example.com", password).await;
            assert_eq!(status == 200, password == winners[0], "only the winner's password works: {password}");
        }
    }

    async fn other_mode_tokens_can_neither_read_nor_redeem_a_reset(app: TestApp) {
        use reset_gateway::auth::{Mode, Role};
        let who = Callers::new(&app).await;
        let (id, token) = create_reset(&app, &who.integration, "me@example.com").await;
        let live = app.token(Role::Integration, Mode::Live).await;
        let live_shop = app.token(Role::SalesChannel, Mode::Live).await;
        let read = app
            .graphql(Some(&live), "query($id: ID!) { customerPasswordReset(id: $id) { id } }", json!({ "id": id }))
            .await;
        assert_eq!(read["errors"][0]["extensions"]["code"], "RECORD_NOT_FOUND");
        let list = app.graphql(Some(&live), "{ customerPasswordResets { totalCount } }", json!({})).await;
        assert_eq!(list["data"]["customerPasswordResets"]["totalCount"], 0);
        let answer = redeem(&app, &live_shop, &id, &token, NEW_PASSWORD).await;
        assert_eq!(refused_token(&answer).2, Some("invalid"));
        assert_eq!(status_of(&app, &who.integration, &id).await, "PENDING");
    }
}

on_both_databases! {
    async fn a_token_is_refused_six_hours_after_its_reset_was_created(app: TestApp) {
        let who = Callers::new(&app).await;
        let (id, token) = create_reset(&app, &who.integration, "me@example.com").await;
        app.advance(Duration::from_secs(6 * 3600 - 1));
        // The access tokens of the set-up have expired by now: fresh ones.
        let integration = app.token(Role::Integration, Mode::Test).await;
        assert_eq!(status_of(&app, &integration, &id).await, "PENDING");
        app.advance(Duration::from_secs(1));
        assert_eq!(status_of(&app, &integration, &id).await, "EXPIRED");
        let sales_channel = app.client_token(&who.sales_channel_client).await;
        let answer = redeem(&app, &sales_channel, &id, &token, NEW_PASSWORD).await;
        assert_eq!(refused_token(&answer).2, Some("invalid"), "{answer}");
    }
}
