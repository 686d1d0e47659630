//! The seed's three steps, end to end, and what they change for the customer.

use reset_gateway::auth::{Mode, Role};
use serde_json::json;

use crate::fixtures::{Callers, PASSWORD, create_reset, redeem};
use crate::harness::{error_code, on_both_databases};
use crate::redactions;

const NEW_PASSWORD: &str = "a new and long password";

on_both_databases! {
    async fn the_three_steps_reset_the_password_and_the_new_one_logs_in(app: TestApp) {
        let who = Callers::new(&app).await;
        // 1. An integration creates the reset with the customer's email.
        let created = app
            .graphql(
                Some(&who.integration),
                "mutation { createCustomerPasswordReset(input: { customerEmail: \"Me@Example.com\" }) {
                    id customerEmail resetPasswordToken status resetPasswordAt expiresAt createdAt
                    customer { id } meta { mode } links { self }
                } }",
                json!({}),
            )
            .await;
        let reset = &created["data"]["createCustomerPasswordReset"];
        let id = reset["id"].as_str().unwrap_or_else(|| panic!("{created}"));
        // 2. The token is in the answer, once.
        insta::assert_json_snapshot!("created_reset", created, {
            ".data.createCustomerPasswordReset.id" => redactions::id(),
            ".data.createCustomerPasswordReset.resetPasswordToken" => redactions::token(),
            ".data.createCustomerPasswordReset.createdAt" => redactions::now(&app),
            ".data.createCustomerPasswordReset.expiresAt" => "[in six hours]",
            ".data.createCustomerPasswordReset.customer.id" => redactions::the(who.me.as_str(), "[me]"),
            ".data.createCustomerPasswordReset.links.self" => redactions::link(&app.base_url, &[(id, "[id]")]),
        });
        let created_at = chrono::DateTime::parse_from_rfc3339(reset["createdAt"].as_str().unwrap()).unwrap();
        let expires_at = chrono::DateTime::parse_from_rfc3339(reset["expiresAt"].as_str().unwrap()).unwrap();
        assert_eq!(expires_at - created_at, chrono::Duration::hours(6), "tokens live six hours");
        let token = reset["resetPasswordToken"].as_str().unwrap();
        // 3. A storefront redeems it with the new password.
        let redeemed = redeem(&app, &who.sales_channel, id, token, NEW_PASSWORD).await;
        assert_eq!(redeemed["data"]["updateCustomerPasswordReset"]["status"], "USED", "{redeemed}");
        assert!(redeemed["data"]["updateCustomerPasswordReset"]["resetPasswordAt"].is_string());
        // The customer logs in with the new password; the old one is refused.
        let (status, login) = app.login(&who.sales_channel_client, "me@example.com", NEW_PASSWORD).await;
        assert_eq!(status, 200, "{login}");
        assert_eq!(login["owner_id"], who.me.as_str());
        let (status, _) = app.login(&who.sales_channel_client, "me@example.com", PASSWORD).await;
        assert_eq!(status, 400);
    }

    async fn an_integration_redeeming_with_a_reference_gets_the_used_reset_with_it(app: TestApp) {
        let who = Callers::new(&app).await;
        let (id, token) = create_reset(&app, &who.integration, "me@example.com").await;
        let redeemed = app
            .graphql(
                Some(&who.integration),
                "mutation($id: ID!, $token: String!) {
                    updateCustomerPasswordReset(id: $id, input: {
                        resetPasswordToken: $token, customerPassword: \"a new and long password\",
                        reference: \"crm-42\"
                    }) { id status reference resetPasswordAt }
                }",
                json!({ "id": id, "token": token }),
            )
            .await;
        let reset = &redeemed["data"]["updateCustomerPasswordReset"];
        assert_eq!(reset["status"], "USED", "{redeemed}");
        assert_eq!(reset["reference"], "crm-42", "{redeemed}");
        assert!(reset["resetPasswordAt"].is_string(), "{redeemed}");
    }

    async fn a_reset_ends_the_customers_earlier_tokens(app: TestApp) {
        let who = Callers::new(&app).await;
        let (_, before) = app.login(&who.sales_channel_client, "me@example.com", PASSWORD).await;
        let (id, token) = create_reset(&app, &who.integration, "me@example.com").await;
        let redeemed = redeem(&app, &who.sales_channel, &id, &token, NEW_PASSWORD).await;
        assert!(redeemed["errors"].is_null(), "{redeemed}");
        let me = app
            .graphql(Some(&who.customer), "query($id: ID!) { customer(id: $id) { id } }", json!({ "id": who.me }))
            .await;
        assert_eq!(error_code(&me), Some("INVALID_TOKEN"), "the access token from before died");
        let refresh = before["refresh_token"].as_str().unwrap();
        let (status, _) = app.oauth_form("/oauth/token", &[("grant_type", "refresh_token"), ("refresh_token", refresh)]).await;
        assert_eq!(status, 400, "the refresh token from before died");
    }

    async fn a_guest_claims_an_account_through_a_reset(app: TestApp) {
        let who = Callers::new(&app).await;
        let guest = app.customer(&who.integration, "guest@example.com", None).await;
        let (id, token) = create_reset(&app, &who.integration, "guest@example.com").await;
        let redeemed = redeem(&app, &who.sales_channel, &id, &token, NEW_PASSWORD).await;
        assert_eq!(redeemed["data"]["updateCustomerPasswordReset"]["status"], "USED", "{redeemed}");
        let read = app
            .graphql(Some(&who.integration), "query($id: ID!) { customer(id: $id) { hasPassword } }", json!({ "id": guest }))
            .await;
        assert_eq!(read["data"]["customer"]["hasPassword"], true);
        let (status, _) = app.login(&who.sales_channel_client, "guest@example.com", NEW_PASSWORD).await;
        assert_eq!(status, 200);
    }

    async fn a_reset_for_an_unknown_email_is_a_validation_error(app: TestApp) {
        let integration = app.token(Role::Integration, Mode::Test).await;
        for (email, key) in [("nobody@example.com", "not_found"), ("not an email", "invalid")] {
            let answer = app
                .graphql(
                    Some(&integration),
                    "mutation($e: String!) { createCustomerPasswordReset(input: { customerEmail: $e }) { id } }",
                    json!({ "e": email }),
                )
                .await;
            insta::assert_json_snapshot!(format!("customer_email_{key}"), answer);
        }
    }

    async fn a_customer_token_may_redeem_a_reset_too(app: TestApp) {
        let who = Callers::new(&app).await;
        let (id, token) = create_reset(&app, &who.integration, "other@example.com").await;
        let redeemed = redeem(&app, &who.customer, &id, &token, NEW_PASSWORD).await;
        assert_eq!(redeemed["data"]["updateCustomerPasswordReset"]["status"], "USED", "{redeemed}");
    }

    async fn a_short_new_password_is_refused_and_the_reset_stays_pending(app: TestApp) {
        let who = Callers::new(&app).await;
        let (id, token) = create_reset(&app, &who.integration, "me@example.com").await;
        let answer = redeem(&app, &who.sales_channel, &id, &token, "short").await;
        let ext = &answer["errors"][0]["extensions"];
        assert_eq!((ext["pointer"].as_str(), ext["error"].as_str()), (Some("/input/customerPassword"), Some("too_short")));
        let redeemed = redeem(&app, &who.sales_channel, &id, &token, NEW_PASSWORD).await;
        assert_eq!(redeemed["data"]["updateCustomerPasswordReset"]["status"], "USED");
    }

    async fn deleting_a_customer_deletes_their_resets(app: TestApp) {
        let who = Callers::new(&app).await;
        let (id, _) = create_reset(&app, &who.integration, "other@example.com").await;
        app.graphql(Some(&who.integration), "mutation($id: ID!) { deleteCustomer(id: $id) }", json!({ "id": who.other })).await;
        let read = app
            .graphql(Some(&who.integration), "query($id: ID!) { customerPasswordReset(id: $id) { id } }", json!({ "id": id }))
            .await;
        assert_eq!(error_code(&read), Some("RECORD_NOT_FOUND"));
    }

    async fn deleting_a_reset_answers_its_id_and_it_is_gone(app: TestApp) {
        let who = Callers::new(&app).await;
        let (id, token) = create_reset(&app, &who.integration, "me@example.com").await;
        let delete = "mutation($id: ID!) { deleteCustomerPasswordReset(id: $id) }";
        let deleted = app.graphql(Some(&who.integration), delete, json!({ "id": id })).await;
        assert_eq!(deleted["data"]["deleteCustomerPasswordReset"], json!(id), "{deleted}");
        let read = app
            .graphql(Some(&who.integration), "query($id: ID!) { customerPasswordReset(id: $id) { id } }", json!({ "id": id }))
            .await;
        assert_eq!(error_code(&read), Some("RECORD_NOT_FOUND"), "{read}");
        let again = app.graphql(Some(&who.integration), delete, json!({ "id": id })).await;
        assert_eq!(error_code(&again), Some("RECORD_NOT_FOUND"), "{again}");
        let redeemed = redeem(&app, &who.sales_channel, &id, &token, NEW_PASSWORD).await;
        // Like any token that redeems nothing: a storefront learns no more than that.
        assert_eq!(error_code(&redeemed), Some("VALIDATION_ERROR"), "{redeemed}");
        assert_eq!(redeemed["errors"][0]["extensions"]["pointer"], "/input/resetPasswordToken", "{redeemed}");
    }
}
