//! Who writes what (DESIGN section 4): `reference`, `referenceOrigin` and `metadata` of
//! customers and resets are the integrator's, size-capped; changing a customer's email
//! expires their pending resets.

use serde_json::{Value, json};

use crate::fixtures::{Callers, create_reset, redeem};
use crate::harness::on_both_databases;

const CREATE_CUSTOMER: &str = "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id reference referenceOrigin metadata } }";
const UPDATE_CUSTOMER: &str = "mutation($id: ID!, $input: UpdateCustomerInput!) {
    updateCustomer(id: $id, input: $input) { id email reference referenceOrigin metadata }
}";
const CREATE_RESET: &str = "mutation($input: CreateCustomerPasswordResetInput!) {
    createCustomerPasswordReset(input: $input) { id reference }
}";
const UPDATE_RESET: &str = "mutation($id: ID!, $input: UpdateCustomerPasswordResetInput!) {
    updateCustomerPasswordReset(id: $id, input: $input) { id status }
}";
const CUSTOMER: &str =
    "query($id: ID!) { customer(id: $id) { reference referenceOrigin metadata } }";
const RESET: &str = "query($id: ID!) { customerPasswordReset(id: $id) { status reference referenceOrigin metadata } }";

/// The first error's code, pointer and message.
fn refusal(answer: &Value) -> (&str, &str, &str) {
    let error = &answer["errors"][0];
    (
        error["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error: {answer}")),
        error["extensions"]["pointer"].as_str().unwrap_or(""),
        error["message"].as_str().unwrap_or(""),
    )
}

/// Asserts an `UNAUTHORIZED` refusal that names `field` and points at it.
fn assert_forbidden_field(answer: &Value, field: &str) {
    let (code, pointer, message) = refusal(answer);
    assert_eq!(code, "UNAUTHORIZED", "{answer}");
    assert_eq!(pointer, format!("/input/{field}"), "{answer}");
    assert!(
        message.contains(field),
        "the message names `{field}`: {answer}"
    );
}

/// Asserts a `VALIDATION_ERROR` `too_long` at `/input/{field}`.
fn assert_too_long(answer: &Value, field: &str) {
    let (code, pointer, _) = refusal(answer);
    assert_eq!(code, "VALIDATION_ERROR", "{answer}");
    assert_eq!(pointer, format!("/input/{field}"), "{answer}");
    assert_eq!(
        answer["errors"][0]["extensions"]["error"], "too_long",
        "{answer}"
    );
}

/// Metadata whose JSON text is just over 16 KiB.
fn big_metadata() -> Value {
    json!({ "notes": "x".repeat(16 * 1024) })
}

on_both_databases! {
    async fn a_sales_channel_signing_a_customer_up_cannot_set_the_integrators_fields(app: TestApp) {
        let who = Callers::new(&app).await;
        for (field, value) in [
            ("metadata", json!({ "vip": true, "credit_limit": 100000 })),
            ("reference", json!("ERP-1")),
            ("referenceOrigin", json!("erp")),
        ] {
            let mut input = json!({ "email": "new@example.com" });
            input[field] = value;
            let answer = app.graphql(Some(&who.sales_channel), CREATE_CUSTOMER, json!({ "input": input })).await;
            assert_forbidden_field(&answer, field);
        }
        let plain = app
            .graphql(Some(&who.sales_channel), CREATE_CUSTOMER, json!({ "input": { "email": "new@example.com" } }))
            .await;
        assert!(plain["errors"].is_null(), "a plain sign-up still works: {plain}");
        assert_eq!(plain["data"]["createCustomer"]["metadata"], json!({}));
    }

    async fn a_customer_cannot_set_or_clear_their_own_integrators_fields(app: TestApp) {
        let who = Callers::new(&app).await;
        let set = json!({ "reference": "ERP-7", "referenceOrigin": "erp", "metadata": { "tier": "gold" } });
        let by_integration = app
            .graphql(Some(&who.integration), UPDATE_CUSTOMER, json!({ "id": who.me, "input": set }))
            .await;
        assert!(by_integration["errors"].is_null(), "{by_integration}");
        for (field, value) in [
            ("metadata", json!({ "vip": true, "credit_limit": 100000 })),
            ("metadata", json!({})),
            ("reference", json!("mine")),
            ("reference", Value::Null),
            ("referenceOrigin", Value::Null),
        ] {
            let mut input = json!({});
            input[field] = value;
            let answer = app
                .graphql(Some(&who.customer), UPDATE_CUSTOMER, json!({ "id": who.me, "input": input }))
                .await;
            assert_forbidden_field(&answer, field);
        }
        let stored = app.graphql(Some(&who.integration), CUSTOMER, json!({ "id": who.me })).await;
        assert_eq!(stored["data"]["customer"], set, "nothing changed");
        let email = app
            .graphql(Some(&who.customer), UPDATE_CUSTOMER, json!({ "id": who.me, "input": { "email": "me2@example.com" } }))
            .await;
        assert!(email["errors"].is_null(), "a customer still changes their email: {email}");
    }

    async fn only_integrations_change_a_resets_integrators_fields(app: TestApp) {
        let who = Callers::new(&app).await;
        let (id, token) = create_reset(&app, &who.integration, "me@example.com").await;
        for caller in [&who.sales_channel, &who.customer] {
            for field in ["reference", "referenceOrigin", "metadata"] {
                let mut input = json!({ "resetPasswordToken": token, "customerPassword": "a new passphrase" });
                input[field] = if field == "metadata" { json!({ "x": 1 }) } else { Value::Null };
                let answer = app.graphql(Some(caller), UPDATE_RESET, json!({ "id": id, "input": input })).await;
                assert_forbidden_field(&answer, field);
            }
        }
        let reset = app.graphql(Some(&who.integration), RESET, json!({ "id": id })).await;
        assert_eq!(reset["data"]["customerPasswordReset"]["status"], "PENDING", "{reset}");
    }

    async fn the_integrators_fields_are_capped(app: TestApp) {
        let who = Callers::new(&app).await;
        let long = "r".repeat(256);
        let longest = "é".repeat(255);
        for (field, value) in [
            ("reference", json!(long)),
            ("referenceOrigin", json!(long)),
            ("metadata", big_metadata()),
        ] {
            let mut customer = json!({ "email": "capped@example.com" });
            customer[field] = value.clone();
            let created = app.graphql(Some(&who.integration), CREATE_CUSTOMER, json!({ "input": customer })).await;
            assert_too_long(&created, field);
            let mut change = json!({});
            change[field] = value.clone();
            let updated = app
                .graphql(Some(&who.integration), UPDATE_CUSTOMER, json!({ "id": who.me, "input": change }))
                .await;
            assert_too_long(&updated, field);
            let mut reset = json!({ "customerEmail": "me@example.com" });
            reset[field] = value.clone();
            let created = app.graphql(Some(&who.integration), CREATE_RESET, json!({ "input": reset })).await;
            assert_too_long(&created, field);
        }
        let (id, _) = create_reset(&app, &who.integration, "me@example.com").await;
        let updated = app
            .graphql(Some(&who.integration), UPDATE_RESET, json!({ "id": id, "input": { "metadata": big_metadata() } }))
            .await;
        assert_too_long(&updated, "metadata");
        let at_the_cap = json!({
            "email": "capped@example.com",
            "reference": longest,
            "referenceOrigin": longest,
            // `{"notes":"…"}`: exactly 16 KiB of JSON text.
            "metadata": { "notes": "x".repeat(16 * 1024 - r#"{"notes":""}"#.len()) },
        });
        let created = app.graphql(Some(&who.integration), CREATE_CUSTOMER, json!({ "input": at_the_cap })).await;
        assert!(created["errors"].is_null(), "255 characters and 16 KiB are accepted: {created}");
    }

    async fn rows_already_over_a_cap_are_left_as_they_are(app: TestApp) {
        let who = Callers::new(&app).await;
        let long = "o".repeat(300);
        let statement = format!("UPDATE customers SET reference = '{long}' WHERE id = '{}'", who.me);
        app.execute_sql(&[&statement], &[&statement]).await;
        let updated = app
            .graphql(Some(&who.integration), UPDATE_CUSTOMER, json!({ "id": who.me, "input": { "referenceOrigin": "erp" } }))
            .await;
        assert!(updated["errors"].is_null(), "{updated}");
        assert_eq!(updated["data"]["updateCustomer"]["reference"], json!(long));
    }

    async fn changing_a_customers_email_expires_their_pending_resets(app: TestApp) {
        let who = Callers::new(&app).await;
        let (id, token) = create_reset(&app, &who.integration, "me@example.com").await;
        let (other_id, _) = create_reset(&app, &who.integration, "other@example.com").await;
        let changed = app
            .graphql(Some(&who.customer), UPDATE_CUSTOMER, json!({ "id": who.me, "input": { "email": "new-me@example.com" } }))
            .await;
        assert!(changed["errors"].is_null(), "{changed}");
        let reset = app.graphql(Some(&who.integration), RESET, json!({ "id": id })).await;
        assert_eq!(reset["data"]["customerPasswordReset"]["status"], "EXPIRED", "{reset}");
        let redeemed = redeem(&app, &who.sales_channel, &id, &token, "taken over at last").await;
        assert_eq!(refusal(&redeemed).0, "VALIDATION_ERROR", "the old link is dead: {redeemed}");
        let other = app.graphql(Some(&who.integration), RESET, json!({ "id": other_id })).await;
        assert_eq!(other["data"]["customerPasswordReset"]["status"], "PENDING", "other customers' resets stay");
    }
}
