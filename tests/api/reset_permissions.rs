//! The permission table (DESIGN section 3) for password resets, row by row, including
//! the fields a storefront may and may not read back.

use serde_json::json;

use crate::fixtures::{Callers, Outcome::Allowed, create_reset, outcome, redeem, refused};
use crate::harness::on_both_databases;

const ONE: &str = "query($id: ID!) { customerPasswordReset(id: $id) { id } }";
const LIST: &str = "{ customerPasswordResets { totalCount } }";
const CREATE: &str =
    "mutation { createCustomerPasswordReset(input: { customerEmail: \"me@example.com\" }) { id } }";
const DELETE: &str = "mutation($id: ID!) { deleteCustomerPasswordReset(id: $id) }";

on_both_databases! {
    async fn reading_resets_is_for_integrations_only(app: TestApp) {
        let who = Callers::new(&app).await;
        let (id, _) = create_reset(&app, &who.integration, "me@example.com").await;
        for (token, expected) in [
            (Some(&who.integration), Allowed),
            (Some(&who.sales_channel), refused("UNAUTHORIZED")),
            (Some(&who.customer), refused("UNAUTHORIZED")),
            (None, refused("INVALID_TOKEN")),
        ] {
            let token = token.map(String::as_str);
            let one = app.graphql(token, ONE, json!({ "id": id })).await;
            assert_eq!(outcome(&one, "customerPasswordReset"), expected);
            let list = app.graphql(token, LIST, json!({})).await;
            assert_eq!(outcome(&list, "customerPasswordResets"), expected);
        }
    }

    async fn a_customers_password_resets_are_for_integrations_only(app: TestApp) {
        let who = Callers::new(&app).await;
        create_reset(&app, &who.integration, "me@example.com").await;
        let query = "query($id: ID!) { customer(id: $id) { passwordResets { totalCount } } }";
        let by_integration = app.graphql(Some(&who.integration), query, json!({ "id": who.me })).await;
        assert_eq!(by_integration["data"]["customer"]["passwordResets"]["totalCount"], 1);
        let by_customer = app.graphql(Some(&who.customer), query, json!({ "id": who.me })).await;
        assert_eq!(by_customer["errors"][0]["extensions"]["code"], "UNAUTHORIZED");
    }

    async fn creating_and_deleting_resets_is_for_integrations_only(app: TestApp) {
        let who = Callers::new(&app).await;
        for (token, expected) in [
            (Some(&who.sales_channel), refused("UNAUTHORIZED")),
            (Some(&who.customer), refused("UNAUTHORIZED")),
            (None, refused("INVALID_TOKEN")),
            (Some(&who.integration), Allowed),
        ] {
            let token = token.map(String::as_str);
            let created = app.graphql(token, CREATE, json!({})).await;
            assert_eq!(outcome(&created, "createCustomerPasswordReset"), expected);
        }
        let (id, _) = create_reset(&app, &who.integration, "me@example.com").await;
        for (token, expected) in [
            (Some(&who.sales_channel), refused("UNAUTHORIZED")),
            (Some(&who.customer), refused("UNAUTHORIZED")),
            (None, refused("INVALID_TOKEN")),
            (Some(&who.integration), Allowed),
        ] {
            let deleted = app.graphql(token.map(String::as_str), DELETE, json!({ "id": id })).await;
            assert_eq!(outcome(&deleted, "deleteCustomerPasswordReset"), expected);
        }
    }

    async fn every_token_may_redeem_but_no_token_may_not(app: TestApp) {
        let who = Callers::new(&app).await;
        let (id, token) = create_reset(&app, &who.integration, "other@example.com").await;
        let mut none = app
            .graphql(
                None,
                "mutation($id: ID!, $t: String!) { updateCustomerPasswordReset(id: $id, input: { resetPasswordToken: $t, customerPassword: \"a new and long password\" }) { id } }",
                json!({ "id": id, "t": token }),
            )
            .await;
        assert_eq!(outcome(&none, "updateCustomerPasswordReset"), refused("INVALID_TOKEN"));
        for caller in [&who.integration, &who.sales_channel, &who.customer] {
            let (id, token) = create_reset(&app, &who.integration, "other@example.com").await;
            none = redeem(&app, caller, &id, &token, "a new and long password").await;
            assert_eq!(outcome(&none, "updateCustomerPasswordReset"), Allowed);
        }
    }

    async fn a_storefront_reads_back_only_what_the_link_already_tells(app: TestApp) {
        let who = Callers::new(&app).await;
        let allowed = "id status resetPasswordAt expiresAt createdAt updatedAt meta { mode }";
        let (id, token) = create_reset(&app, &who.integration, "me@example.com").await;
        let query = format!(
            "mutation($id: ID!, $t: String!) {{ updateCustomerPasswordReset(id: $id, input: {{ resetPasswordToken: $t, customerPassword: \"a new and long password\" }}) {{ {allowed} }} }}"
        );
        let answer = app.graphql(Some(&who.sales_channel), &query, json!({ "id": id, "t": token })).await;
        assert!(answer["errors"].is_null(), "{answer}");
        assert_eq!(answer["data"]["updateCustomerPasswordReset"]["status"], "USED");
        for field in ["customerEmail", "reference", "referenceOrigin", "metadata", "resetPasswordToken", "customer { id }"] {
            let (id, token) = create_reset(&app, &who.integration, "other@example.com").await;
            let query = format!(
                "mutation($id: ID!, $t: String!) {{ updateCustomerPasswordReset(id: $id, input: {{ resetPasswordToken: $t, customerPassword: \"a new and long password\" }}) {{ id {field} }} }}"
            );
            let answer = app.graphql(Some(&who.sales_channel), &query, json!({ "id": id, "t": token })).await;
            assert_eq!(answer["errors"][0]["extensions"]["code"], "UNAUTHORIZED", "{field}: {answer}");
        }
    }

    async fn only_integrations_change_a_resets_reference_and_metadata(app: TestApp) {
        let who = Callers::new(&app).await;
        let (id, _) = create_reset(&app, &who.integration, "me@example.com").await;
        let update = "mutation($id: ID!) { updateCustomerPasswordReset(id: $id, input: { reference: \"CRM-7\", metadata: { by: \"crm\" } }) { reference metadata } }";
        let by_integration = app.graphql(Some(&who.integration), update, json!({ "id": id })).await;
        assert_eq!(by_integration["data"]["updateCustomerPasswordReset"]["reference"], "CRM-7");
        assert_eq!(by_integration["data"]["updateCustomerPasswordReset"]["metadata"], json!({ "by": "crm" }));
        let by_shop = app.graphql(Some(&who.sales_channel), update, json!({ "id": id })).await;
        assert_eq!(by_shop["errors"][0]["extensions"]["code"], "UNAUTHORIZED");
    }

    async fn each_integrators_field_alone_is_refused_to_a_storefront_redeeming_and_nothing_is_redeemed(app: TestApp) {
        let who = Callers::new(&app).await;
        for (field, value) in [("reference", "\"CRM-7\""), ("referenceOrigin", "\"crm\""), ("metadata", "{ tier: \"gold\" }")] {
            for caller in [&who.sales_channel, &who.customer] {
                let (id, token) = create_reset(&app, &who.integration, "me@example.com").await;
                let redeem_with_field = format!(
                    "mutation($id: ID!, $t: String!) {{ updateCustomerPasswordReset(id: $id, input: {{ resetPasswordToken: $t, customerPassword: \"a new and long password\", {field}: {value} }}) {{ id status }} }}"
                );
                let answer = app.graphql(Some(caller), &redeem_with_field, json!({ "id": id, "t": token })).await;
                assert_eq!(answer["errors"][0]["extensions"]["code"], "UNAUTHORIZED", "{field}: {answer}");
                let read = app.graphql(Some(&who.integration), "query($id: ID!) { customerPasswordReset(id: $id) { status reference referenceOrigin metadata } }", json!({ "id": id })).await;
                let reset = &read["data"]["customerPasswordReset"];
                assert_eq!(reset["status"], "PENDING", "{field}: the reset must not be redeemed: {read}");
                assert!(reset["reference"].is_null() && reset["referenceOrigin"].is_null(), "{field}: {read}");
                assert_eq!(reset["metadata"], json!({}), "{field}: {read}");
            }
        }
    }

    async fn a_storefront_sending_neither_token_nor_password_changes_nothing(app: TestApp) {
        let who = Callers::new(&app).await;
        let (id, _) = create_reset(&app, &who.integration, "me@example.com").await;
        let read = "query($id: ID!) { customerPasswordReset(id: $id) { status updatedAt } }";
        let before = app.graphql(Some(&who.integration), read, json!({ "id": id })).await;
        app.advance(std::time::Duration::from_secs(60));
        let empty = "mutation($id: ID!) { updateCustomerPasswordReset(id: $id, input: {}) { id updatedAt } }";
        for caller in [&who.sales_channel, &who.customer] {
            let answer = app.graphql(Some(caller), empty, json!({ "id": id })).await;
            let ext = &answer["errors"][0]["extensions"];
            assert_eq!(ext["code"], "VALIDATION_ERROR", "{answer}");
            assert_eq!(ext["pointer"], "/input/resetPasswordToken", "{answer}");
        }
        let after = app.graphql(Some(&who.integration), read, json!({ "id": id })).await;
        assert_eq!(after, before, "the reset is as it was");
    }

    async fn an_integrations_update_moves_updated_at_even_when_it_changes_nothing_else(app: TestApp) {
        let who = Callers::new(&app).await;
        let (id, _) = create_reset(&app, &who.integration, "me@example.com").await;
        let read = "query($id: ID!) { customerPasswordReset(id: $id) { createdAt updatedAt } }";
        let before = app.graphql(Some(&who.integration), read, json!({ "id": id })).await;
        let created_at = before["data"]["customerPasswordReset"]["createdAt"].clone();
        for input in ["{}", "{ reference: \"CRM-7\" }"] {
            app.advance(std::time::Duration::from_secs(60));
            let update = format!("mutation($id: ID!) {{ updateCustomerPasswordReset(id: $id, input: {input}) {{ updatedAt }} }}");
            let answer = app.graphql(Some(&who.integration), &update, json!({ "id": id })).await;
            let updated_at = answer["data"]["updateCustomerPasswordReset"]["updatedAt"].clone();
            let at = chrono::DateTime::parse_from_rfc3339(updated_at.as_str().unwrap()).unwrap();
            assert_eq!(at.timestamp_micros(), app.clock.now_utc().timestamp_micros(), "{input}: {answer}");
            let read_back = app.graphql(Some(&who.integration), read, json!({ "id": id })).await;
            assert_eq!(read_back["data"]["customerPasswordReset"], json!({ "createdAt": created_at, "updatedAt": updated_at }));
        }
    }

    async fn an_integration_changes_each_integrators_field_alone(app: TestApp) {
        let who = Callers::new(&app).await;
        let (id, _) = create_reset(&app, &who.integration, "me@example.com").await;
        for (field, value, expected) in [
            ("reference", "\"CRM-7\"", json!("CRM-7")),
            ("referenceOrigin", "\"crm\"", json!("crm")),
            ("metadata", "{ tier: \"gold\" }", json!({ "tier": "gold" })),
        ] {
            let update = format!("mutation($id: ID!) {{ updateCustomerPasswordReset(id: $id, input: {{ {field}: {value} }}) {{ {field} }} }}");
            let answer = app.graphql(Some(&who.integration), &update, json!({ "id": id })).await;
            assert_eq!(answer["data"]["updateCustomerPasswordReset"][field], expected, "{answer}");
        }
        let read = app.graphql(Some(&who.integration), "query($id: ID!) { customerPasswordReset(id: $id) { reference referenceOrigin metadata } }", json!({ "id": id })).await;
        assert_eq!(read["data"]["customerPasswordReset"], json!({ "reference": "CRM-7", "referenceOrigin": "crm", "metadata": { "tier": "gold" } }));
    }
}
