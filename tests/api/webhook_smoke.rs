//! TEMPORARY smoke test of the outbox end to end (replaced by webhook_events).

use std::time::Duration;

use reset_gateway::auth::{Mode, Role};
use serde_json::json;

use crate::harness::on_both_databases;
use crate::receiver::Receiver;

on_both_databases! {
    async fn a_reset_creation_is_delivered_with_its_token(app: TestApp) {
        let receiver = Receiver::start().await;
        let token = app.token(Role::Integration, Mode::Test).await;
        let answer = app.graphql(Some(&token), "mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { id sharedSecret } }",
            json!({"input": {"name": "mail", "topic": "customer_password_resets.create", "callbackUrl": receiver.url("/hook"), "includeResources": ["customer"]}})).await;
        assert!(answer["errors"].is_null(), "{answer}");
        let secret = answer["data"]["createWebhook"]["sharedSecret"].as_str().unwrap().to_owned();
        app.customer(&token, "ada@example.com", Some("correct horse battery")).await;
        let created = app.graphql(Some(&token), "mutation { createCustomerPasswordReset(input: {customerEmail: \"ada@example.com\"}) { id resetPasswordToken } }", json!({})).await;
        assert!(created["errors"].is_null(), "{created}");
        let got = receiver.wait_for(1, Duration::from_secs(5)).await;
        let body = got[0].json();
        assert_eq!(body["data"]["attributes"]["reset_password_token"], created["data"]["createCustomerPasswordReset"]["resetPasswordToken"]);
        assert!(got[0].standard_signature_verifies(&secret));
        assert!(got[0].commerce_layer_signature_verifies(&secret));
    }
}

on_both_databases! {
    #[config(|c: &mut reset_gateway::config::Config| c.webhook_circuit_threshold = 3)]
    async fn the_config_attribute_reaches_the_service(app: TestApp) {
        assert_eq!(app.config.webhook_circuit_threshold, 3);
    }
}
