//! The storefront's `resetPassword` query (check a link) and mutation (redeem it): the
//! rules, budgets and one-hash limit of `updateCustomerPasswordReset`, wrong tokens
//! counted alike by both, and the same permission table.

use std::time::Duration;

use reset_gateway::auth::{Mode, Role};
use serde_json::{Value, json};

use crate::fixtures::{Callers, Outcome::Allowed, create_reset, outcome, refused};
use crate::harness::{TestApp, error_code, on_both_databases};

const NEW_PASSWORD: &str = "a new and long password";

const CHECK: &str = "query($id: ID!, $token: String!) {
    resetPassword(id: $id, token: $token) { id status expiresAt }
}";

const RESET: &str = "mutation($id: ID!, $token: String!, $password: String!) {
    resetPassword(id: $id, token: $token, password: $password) { id status expiresAt }
}";

async fn check(app: &TestApp, caller: &str, id: &str, token: &str) -> Value {
    app.graphql(Some(caller), CHECK, json!({ "id": id, "token": token }))
        .await
}

async fn reset(app: &TestApp, caller: &str, id: &str, token: &str, password: &str) -> Value {
    let variables = json!({ "id": id, "token": token, "password": password });
    app.graphql(Some(caller), RESET, variables).await
}

/// The status the query answers, or a panic with the answer.
fn status(answer: &Value) -> &str {
    answer["data"]["resetPassword"]["status"]
        .as_str()
        .unwrap_or_else(|| panic!("no status: {answer}"))
}

/// The refusal's code, pointer, key and message.
fn refusal(answer: &Value) -> (Option<&str>, Option<&str>, Option<&str>, Option<&str>) {
    let error = &answer["errors"][0];
    let ext = &error["extensions"];
    (
        ext["code"].as_str(),
        ext["pointer"].as_str(),
        ext["error"].as_str(),
        error["message"].as_str(),
    )
}

fn assert_refused_token(answer: &Value) {
    let (code, pointer, key, _) = refusal(answer);
    assert_eq!(
        (code, pointer, key),
        (Some("VALIDATION_ERROR"), Some("/token"), Some("invalid")),
        "{answer}"
    );
    assert!(answer["data"].is_null(), "{answer}");
}

async fn failed_attempts(app: &TestApp, id: &str) -> i32 {
    let mut conn = app.state().db.conn().await.unwrap();
    let stored = reset_gateway::resets::queries::find(&mut conn, Mode::Test, id);
    stored.await.unwrap().unwrap().failed_attempts
}

on_both_databases! {
    async fn the_right_token_tells_the_links_status_and_expiry(app: TestApp) {
        let who = Callers::new(&app).await;
        let (id, token) = create_reset(&app, &who.integration, "me@example.com").await;
        let answer = check(&app, &who.sales_channel, &id, &token).await;
        assert_eq!(status(&answer), "PENDING");
        assert_eq!(answer["data"]["resetPassword"]["id"], id.as_str());
        let read = app
            .graphql(
                Some(&who.integration),
                "query($id: ID!) { customerPasswordReset(id: $id) { expiresAt updatedAt } }",
                json!({ "id": id }),
            )
            .await;
        let stored = &read["data"]["customerPasswordReset"];
        assert_eq!(answer["data"]["resetPassword"]["expiresAt"], stored["expiresAt"]);
        assert_eq!(failed_attempts(&app, &id).await, 0, "a right token is no failure");
        assert!(reset(&app, &who.sales_channel, &id, &token, NEW_PASSWORD).await["errors"].is_null());
        assert_eq!(status(&check(&app, &who.sales_channel, &id, &token).await), "USED");

        let (id, token) = create_reset(&app, &who.integration, "other@example.com").await;
        app.advance(Duration::from_secs(6 * 3600));
        // The set-up's access tokens have expired by now.
        let sales_channel = app.client_token(&who.sales_channel_client).await;
        assert_eq!(status(&check(&app, &sales_channel, &id, &token).await), "EXPIRED");
    }

    async fn a_wrong_token_or_an_unknown_id_gets_one_answer_and_counts(app: TestApp) {
        let who = Callers::new(&app).await;
        let (id, token) = create_reset(&app, &who.integration, "me@example.com").await;
        let wrong = check(&app, &who.sales_channel, &id, "not-the-token").await;
        let unknown = check(&app, &who.sales_channel, "NoSuchId00", &token).await;
        assert_refused_token(&wrong);
        assert_refused_token(&unknown);
        assert_eq!(refusal(&wrong), refusal(&unknown), "an unknown id answers as a wrong token");
        assert_eq!(failed_attempts(&app, &id).await, 1, "the wrong token was counted");
        let (used, used_token) = create_reset(&app, &who.integration, "other@example.com").await;
        assert!(reset(&app, &who.sales_channel, &used, &used_token, NEW_PASSWORD).await["errors"].is_null());
        let wrong_on_used = check(&app, &who.sales_channel, &used, "not-the-token").await;
        assert_eq!(refusal(&wrong_on_used), refusal(&wrong), "nothing tells a used reset");
    }

    async fn the_fifth_wrong_token_kills_the_reset_whichever_field_tried_it(app: TestApp) {
        let who = Callers::new(&app).await;
        // Wrong tokens through the query, then the mutation sees the reset dead.
        let (id, token) = create_reset(&app, &who.integration, "me@example.com").await;
        for guess in 0..4 {
            assert_refused_token(&check(&app, &who.sales_channel, &id, &format!("guess-{guess}")).await);
        }
        assert_eq!(status(&check(&app, &who.sales_channel, &id, &token).await), "PENDING");
        assert_refused_token(&check(&app, &who.sales_channel, &id, "guess-5").await);
        assert_eq!(failed_attempts(&app, &id).await, 5);
        assert_refused_token(&reset(&app, &who.sales_channel, &id, &token, NEW_PASSWORD).await);
        assert_refused_token(&check(&app, &who.sales_channel, &id, &token).await);
        assert_eq!(failed_attempts(&app, &id).await, 5, "a dead reset compares no token");
        let (status_code, _) = app.login(&who.sales_channel_client, "me@example.com", NEW_PASSWORD).await;
        assert_eq!(status_code, 400, "the password did not change");

        // Wrong tokens through the mutation, then the query sees the reset dead.
        let (id, token) = create_reset(&app, &who.integration, "other@example.com").await;
        for guess in 0..5 {
            let answer = reset(&app, &who.sales_channel, &id, &format!("guess-{guess}"), NEW_PASSWORD).await;
            assert_refused_token(&answer);
        }
        assert_refused_token(&check(&app, &who.sales_channel, &id, &token).await);
    }

    async fn the_mutation_redeems_once_and_the_old_password_stops(app: TestApp) {
        let who = Callers::new(&app).await;
        let (id, token) = create_reset(&app, &who.integration, "me@example.com").await;
        let answer = reset(&app, &who.sales_channel, &id, &token, NEW_PASSWORD).await;
        assert!(answer["errors"].is_null(), "{answer}");
        assert_eq!(answer["data"]["resetPassword"]["id"], id.as_str());
        assert_eq!(status(&answer), "USED");
        let (new, _) = app.login(&who.sales_channel_client, "me@example.com", NEW_PASSWORD).await;
        assert_eq!(new, 200, "the new password logs in");
        let (old, _) = app.login(&who.sales_channel_client, "me@example.com", crate::fixtures::PASSWORD).await;
        assert_eq!(old, 400, "the old one does not");
        let again = reset(&app, &who.sales_channel, &id, &token, "yet another password").await;
        assert_refused_token(&again);
        let (status_code, _) = app.login(&who.sales_channel_client, "me@example.com", "yet another password").await;
        assert_eq!(status_code, 400, "the used token changed nothing");
    }

    async fn the_mutation_applies_the_password_rules_at_its_own_pointer(app: TestApp) {
        let who = Callers::new(&app).await;
        let (id, token) = create_reset(&app, &who.integration, "me@example.com").await;
        let answer = reset(&app, &who.sales_channel, &id, &token, "short").await;
        let (code, pointer, key, _) = refusal(&answer);
        assert_eq!((code, pointer, key), (Some("VALIDATION_ERROR"), Some("/password"), Some("too_short")), "{answer}");
        assert_eq!(status(&check(&app, &who.sales_channel, &id, &token).await), "PENDING");
    }

    async fn two_resets_in_one_request_are_refused_as_two_hashes(app: TestApp) {
        let who = Callers::new(&app).await;
        let (first, first_token) = create_reset(&app, &who.integration, "me@example.com").await;
        let (second, second_token) = create_reset(&app, &who.integration, "other@example.com").await;
        let answer = app
            .graphql(
                Some(&who.sales_channel),
                "mutation($a: ID!, $ta: String!, $b: ID!, $tb: String!, $p: String!) {
                    a: resetPassword(id: $a, token: $ta, password: $p) { id }
                    b: resetPassword(id: $b, token: $tb, password: $p) { id }
                }",
                json!({ "a": first, "ta": first_token, "b": second, "tb": second_token, "p": NEW_PASSWORD }),
            )
            .await;
        assert_eq!(error_code(&answer), Some("GRAPHQL_VALIDATION_FAILED"), "{answer}");
        let message = answer["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("at most one password"), "refused as two hashes: {answer}");
        assert_eq!(status(&check(&app, &who.sales_channel, &first, &first_token).await), "PENDING");
        assert_eq!(status(&check(&app, &who.sales_channel, &second, &second_token).await), "PENDING");
    }

    async fn both_fields_spend_the_redemption_budget_of_the_client_ip(app: TestApp) {
        let who = Callers::new(&app).await;
        let app = app.sibling(|c| c.rate_limit_redemptions = 3).await;
        let (id, token) = create_reset(&app, &who.integration, "me@example.com").await;
        let post = |query: &'static str, variables: Value| {
            let request = app
                .http
                .post(format!("{}/graphql", app.base_url))
                .bearer_auth(&who.sales_channel)
                .json(&json!({ "query": query, "variables": variables }));
            async move {
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                (status, response.json::<Value>().await.unwrap())
            }
        };
        let checked = json!({ "id": id, "token": "not-the-token" });
        let redeemed = json!({ "id": id, "token": "not-the-token", "password": NEW_PASSWORD });
        for (query, variables) in [(CHECK, &checked), (RESET, &redeemed), (CHECK, &checked)] {
            let (status, answer) = post(query, variables.clone()).await;
            assert_eq!((status, error_code(&answer)), (200, Some("VALIDATION_ERROR")), "{answer}");
        }
        for (query, variables) in [(CHECK, &checked), (RESET, &redeemed)] {
            let (status, answer) = post(query, variables.clone()).await;
            assert_eq!((status, error_code(&answer)), (429, Some("TOO_MANY_REQUESTS")), "{answer}");
        }
        assert_eq!(failed_attempts(&app, &id).await, 3, "refused requests compared nothing");
        let by_integration = check(&app, &who.integration, &id, &token).await;
        assert_eq!(status(&by_integration), "PENDING", "integrations are not limited");
    }

    async fn every_token_may_check_and_reset_but_no_token_may_not(app: TestApp) {
        let who = Callers::new(&app).await;
        let (id, token) = create_reset(&app, &who.integration, "other@example.com").await;
        let variables = json!({ "id": id, "token": token, "password": NEW_PASSWORD });
        for query in [CHECK, RESET] {
            let answer = app.graphql(None, query, variables.clone()).await;
            assert_eq!(outcome(&answer, "resetPassword"), refused("INVALID_TOKEN"), "{answer}");
        }
        for caller in [&who.integration, &who.sales_channel, &who.customer] {
            let (id, token) = create_reset(&app, &who.integration, "other@example.com").await;
            let checked = check(&app, caller, &id, &token).await;
            assert_eq!(outcome(&checked, "resetPassword"), Allowed, "{checked}");
            let answer = reset(&app, caller, &id, &token, NEW_PASSWORD).await;
            assert_eq!(outcome(&answer, "resetPassword"), Allowed, "{answer}");
        }
        let live_shop = app.token(Role::SalesChannel, Mode::Live).await;
        let (id, token) = create_reset(&app, &who.integration, "other@example.com").await;
        assert_refused_token(&check(&app, &live_shop, &id, &token).await);
        assert_refused_token(&reset(&app, &live_shop, &id, &token, NEW_PASSWORD).await);
    }
}
