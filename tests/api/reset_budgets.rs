//! Reset budgets keyed by what they protect: creations per customer (no email bombing,
//! while a shop creates resets for many customers), redemptions per client IP for public
//! clients; and one pending reset per customer however many are created at once.

use std::time::Duration;

use reset_gateway::auth::{Mode, Role};
use reset_gateway::config::Config;
use serde_json::{Value, json};

use crate::fixtures::{Callers, create_reset};
use crate::harness::{TestApp, error_code, on_both_databases};

/// The rate limits as a deployment has them by default (the harness turns them off).
fn default_limits(c: &mut Config) {
    let defaults = Config::with_database(c.database_url.clone());
    c.rate_limit_token = defaults.rate_limit_token;
    c.rate_limit_graphql = defaults.rate_limit_graphql;
    c.rate_limit_reset_creations = defaults.rate_limit_reset_creations;
    c.rate_limit_reset_creations_interval = defaults.rate_limit_reset_creations_interval;
    c.rate_limit_redemptions = defaults.rate_limit_redemptions;
    c.rate_limit_interval = defaults.rate_limit_interval;
}

const CREATE: &str = "mutation($email: String!) {
    createCustomerPasswordReset(input: { customerEmail: $email }) { id }
}";

/// A redemption with a wrong token, from client address `ip`: the HTTP status and answer.
async fn wrong_token_from(app: &TestApp, token: &str, id: &str, ip: &str) -> (u16, Value) {
    let response = app
        .http
        .post(format!("{}/graphql", app.base_url))
        .bearer_auth(token)
        .header("x-forwarded-for", ip)
        .json(&json!({
            "query": "mutation($id: ID!) {
                updateCustomerPasswordReset(id: $id, input: {
                    resetPasswordToken: \"not the token\", customerPassword: \"a long new password\"
                }) { id }
            }",
            "variables": { "id": id },
        }))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

on_both_databases! {
    async fn one_integration_creates_resets_for_300_customers_within_a_minute(app: TestApp) {
        let setup = app.token(Role::Integration, Mode::Test).await;
        for batch in 0..30 {
            let fields: String = (0..10)
                .map(|n| format!("c{n}: createCustomer(input: {{ email: \"c{}@example.com\" }}) {{ id }} ", batch * 10 + n))
                .collect();
            let answer = app.graphql(Some(&setup), &format!("mutation {{ {fields} }}"), json!({})).await;
            assert!(answer["errors"].is_null(), "{answer}");
        }
        let shop = app.sibling(default_limits).await;
        let integration = shop.token(Role::Integration, Mode::Test).await;
        for n in 0..300 {
            let answer = shop
                .graphql(Some(&integration), CREATE, json!({ "email": format!("c{n}@example.com") }))
                .await;
            assert!(answer["errors"].is_null(), "reset {n}: {answer}");
        }
    }

    async fn a_customer_gets_at_most_the_budget_of_resets_while_other_operations_run(app: TestApp) {
        let who = Callers::new(&app).await;
        let app = app.sibling(|c| c.rate_limit_reset_creations = 2).await;
        for _ in 0..2 {
            create_reset(&app, &who.integration, "me@example.com").await;
        }
        let answer = app
            .graphql(
                Some(&who.integration),
                "mutation {
                    a: createCustomerPasswordReset(input: { customerEmail: \"ME@example.com\" }) { id }
                    b: createCustomerPasswordReset(input: { customerEmail: \"other@example.com\" }) { id }
                }",
                json!({}),
            )
            .await;
        let errors = answer["errors"].as_array().unwrap_or_else(|| panic!("{answer}"));
        assert_eq!(errors.len(), 1, "{answer}");
        assert_eq!(errors[0]["path"], json!(["a"]));
        assert_eq!(errors[0]["extensions"]["code"], "TOO_MANY_REQUESTS");
        let retry_after = errors[0]["extensions"]["retryAfter"].as_u64().unwrap();
        assert!((1..=900).contains(&retry_after), "within the 15-minute window: {retry_after}");
        assert!(answer["data"]["b"]["id"].is_string(), "another customer's reset is made: {answer}");

        app.advance(Duration::from_secs(retry_after - 1));
        let refused = app.graphql(Some(&who.integration), CREATE, json!({ "email": "me@example.com" })).await;
        assert_eq!(error_code(&refused), Some("TOO_MANY_REQUESTS"));
        app.advance(Duration::from_secs(1));
        create_reset(&app, &who.integration, "me@example.com").await;
    }

    async fn redemptions_are_limited_per_client_ip_for_public_clients_only(app: TestApp) {
        let who = Callers::new(&app).await;
        let app = app.sibling(|c| {
            c.rate_limit_redemptions = 3;
            c.client_ip_header = Some("x-forwarded-for".into());
        }).await;
        let (id, _) = create_reset(&app, &who.integration, "me@example.com").await;
        for _ in 0..3 {
            let (status, answer) = wrong_token_from(&app, &who.sales_channel, &id, "10.2.0.1").await;
            assert_eq!((status, error_code(&answer)), (200, Some("VALIDATION_ERROR")), "{answer}");
        }
        for token in [&who.sales_channel, &who.customer] {
            let (status, answer) = wrong_token_from(&app, token, &id, "10.2.0.1").await;
            assert_eq!((status, error_code(&answer)), (429, Some("TOO_MANY_REQUESTS")), "{answer}");
        }
        let (status, answer) = wrong_token_from(&app, &who.sales_channel, &id, "10.2.0.2").await;
        assert_eq!((status, error_code(&answer)), (200, Some("VALIDATION_ERROR")), "another address: {answer}");
        for _ in 0..5 {
            let (status, answer) = wrong_token_from(&app, &who.integration, &id, "10.2.0.1").await;
            assert_eq!((status, error_code(&answer)), (200, Some("VALIDATION_ERROR")), "integrations are not limited: {answer}");
        }
        app.advance(Duration::from_secs(60));
        let (status, _) = wrong_token_from(&app, &who.sales_channel, &id, "10.2.0.1").await;
        assert_eq!(status, 200, "a new window");
    }

    async fn resets_created_at_once_for_one_customer_leave_exactly_one_pending(app: TestApp) {
        let who = Callers::new(&app).await;
        for round in 0..3 {
            // Each round a second later: newest first, its resets fill the page.
            app.advance(Duration::from_secs(1));
            let creations = (0..12).map(|_| {
                app.graphql(Some(&who.integration), CREATE, json!({ "email": "me@example.com" }))
            });
            for answer in futures_util::future::join_all(creations).await {
                assert!(answer["errors"].is_null(), "{answer}");
            }
            let answer = app
                .graphql(
                    Some(&who.integration),
                    "query($id: ID!) { customer(id: $id) {
                        passwordResets(first: 25) { edges { node { status } } totalCount }
                    } }",
                    json!({ "id": who.me }),
                )
                .await;
            let resets = &answer["data"]["customer"]["passwordResets"];
            assert_eq!(resets["totalCount"], 12 * (round + 1), "{answer}");
            // Newest first: the page holds this round's resets.
            let pending = resets["edges"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|edge| edge["node"]["status"] == "PENDING")
                .count();
            assert_eq!(pending, 1, "round {round}: {answer}");
        }
    }
}
