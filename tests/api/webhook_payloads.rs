//! What a delivery's body says (DESIGN section 7): Commerce Layer's JSON:API document,
//! snake_case attributes, the create event's token equal to the create answer's, the
//! customer `included` exactly when the webhook asks for it, and the resource as the
//! change left it, however late the delivery goes out.

use std::time::Duration;

use chrono::DateTime;
use reset_gateway::auth::{Mode, Role};
use serde_json::{Value, json};

use crate::fixtures::PASSWORD;
use crate::harness::on_both_databases;
use crate::receiver::{Receiver, Reply};
use crate::redactions;
use crate::webhook_events::{UPDATE_CUSTOMER, exactly, outbox_ids, recorded};
use crate::webhook_fixtures::webhook;

const CREATE_RESET: &str = "mutation($input: CreateCustomerPasswordResetInput!) {
    createCustomerPasswordReset(input: $input) { id resetPasswordToken }
}";

const REDEEM_WITH_REFERENCE: &str =
    "mutation($id: ID!, $input: UpdateCustomerPasswordResetInput!) {
    updateCustomerPasswordReset(id: $id, input: $input) { id resetPasswordAt reference }
}";

const CREATE_CUSTOMER: &str =
    "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }";

/// Asserts that every attribute name is snake_case, as Commerce Layer's are.
fn assert_snake_case(resource: &Value) {
    let attributes = resource["attributes"].as_object().expect("attributes");
    for name in attributes.keys() {
        let snake = name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        assert!(snake, "attribute {name} is not snake_case");
    }
}

fn instant(value: &Value) -> DateTime<chrono::FixedOffset> {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a time: {value}"));
    DateTime::parse_from_rfc3339(text).unwrap_or_else(|_| panic!("not RFC 3339: {text}"))
}

fn poll_quickly(c: &mut reset_gateway::config::Config) {
    c.webhook_poll_interval = Duration::from_millis(50);
}

on_both_databases! {
    async fn a_reset_payload_is_json_api_with_the_customer_included_only_when_asked(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let receiver = Receiver::start().await;
        let topic = "customer_password_resets.create";
        let (plain_hook, plain_secret) = webhook(&app, &token, topic, &receiver.url("/plain"), &[]).await;
        webhook(&app, &token, topic, &receiver.url("/with"), &["customer"]).await;
        let customer = app.customer(&token, "ada@example.com", Some(PASSWORD)).await;
        let input = json!({ "customerEmail": "ada@example.com", "reference": "MAIL-7",
            "referenceOrigin": "crm", "metadata": { "campaign": "winter" } });
        let created = app.graphql(Some(&token), CREATE_RESET, json!({ "input": input })).await;
        let reset = &created["data"]["createCustomerPasswordReset"];
        let id = reset["id"].as_str().unwrap_or_else(|| panic!("{created}"));
        let plain = exactly(&app, &receiver, "/plain", 1).await[0].json();
        let with = exactly(&app, &receiver, "/with", 1).await[0].json();
        let data = &plain["data"];
        let delivery = receiver.requests().into_iter().find(|r| r.path == "/plain").expect("the delivery");
        let reset_token = reset["resetPasswordToken"].as_str().unwrap();
        let ids = [(id, "[reset id]"), (customer.as_str(), "[customer id]")];
        let link = || redactions::link(&app.base_url, &ids);
        let stamp = app.clock.now_utc().timestamp().to_string();
        let message_id = outbox_ids(&app, &plain_hook).await.remove(0);
        let host = receiver.addr().to_string();
        let length = delivery.body.len().to_string();
        let agent = concat!("reset-gateway-webhooks/", env!("CARGO_PKG_VERSION"));
        assert!(delivery.standard_signature_verifies(&plain_secret), "signed with the webhook's secret");
        // The delivery as the receiver gets it: the JSON:API document (the token as in the
        // create answer, times as the change left them), the Standard Webhooks headers
        // and Commerce Layer's.
        insta::assert_json_snapshot!("reset_delivery", delivery.as_json(), {
            ".headers.host" => redactions::the(host, "[receiver]"),
            ".headers[\"user-agent\"]" => redactions::the(agent, "reset-gateway-webhooks/[version]"),
            ".headers[\"content-length\"]" => redactions::the(length, "[length]"),
            ".headers[\"webhook-id\"]" => redactions::the(message_id, "[msg_ id of the outbox]"),
            ".headers[\"webhook-timestamp\"]" => redactions::the(stamp, "[now]"),
            ".headers[\"webhook-signature\"]" => redactions::signature("v1,"),
            ".headers[\"x-commercelayer-signature\"]" => redactions::signature(""),
            ".body.data.id" => redactions::the(id, "[reset id]"),
            ".body.data.attributes.reset_password_token" => redactions::the(reset_token, "[token of the create answer]"),
            ".body.data.attributes.created_at" => redactions::now(&app),
            ".body.data.attributes.updated_at" => redactions::now(&app),
            ".body.data.links.self" => link(),
            ".body.data.relationships.customer.data.id" => redactions::the(customer.as_str(), "[customer id]"),
            ".body.data.relationships.customer.links.self" => link(),
            ".body.data.relationships.customer.links.related" => link(),
        });
        assert_snake_case(data);

        assert_eq!(with["data"], plain["data"], "the same resource, with its customer beside it");
        insta::assert_json_snapshot!("included_customer", with["included"], {
            "[].id" => redactions::the(customer.as_str(), "[customer id]"),
            "[].attributes.created_at" => redactions::now(&app),
            "[].attributes.updated_at" => redactions::now(&app),
            "[].links.self" => link(),
        });
        assert_snake_case(&with["included"][0]);
    }

    async fn a_redemption_payload_shows_the_reset_and_customer_as_it_left_them(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let receiver = Receiver::start().await;
        let topic = "customer_password_resets.reset_password";
        webhook(&app, &token, topic, &receiver.url("/r"), &["customer"]).await;
        let guest = app.customer(&token, "guest@example.com", None).await;
        let (id, reset_token) =
            crate::fixtures::create_reset(&app, &token, "guest@example.com").await;
        let input = json!({ "resetPasswordToken": reset_token,
            "customerPassword": "a new and long password", "reference": "CASE-9" });
        let redeemed = app
            .graphql(Some(&token), REDEEM_WITH_REFERENCE, json!({ "id": id, "input": input }))
            .await;
        let answer = &redeemed["data"]["updateCustomerPasswordReset"];
        assert_eq!(answer["reference"], "CASE-9", "{redeemed}");
        let body = exactly(&app, &receiver, "/r", 1).await[0].json();
        let attributes = &body["data"]["attributes"];
        assert_eq!(attributes["reference"], "CASE-9", "set in the same update");
        assert_eq!(instant(&attributes["reset_password_at"]), instant(&answer["resetPasswordAt"]));
        assert_eq!(attributes["updated_at"], attributes["reset_password_at"], "{body}");
        assert!(attributes.get("reset_password_token").is_none(), "{body}");
        assert_eq!(body["included"][0]["id"], guest.as_str());
        assert_eq!(body["included"][0]["attributes"]["has_password"], true, "{body}");
    }

    #[config(poll_quickly)]
    async fn a_retry_shows_the_resource_as_the_change_left_it_not_as_it_is_now(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let receiver = Receiver::start().await;
        receiver.answer(Reply::Status(500));
        let (hook, _) = webhook(&app, &token, "customers.create", &receiver.url("/c"), &[]).await;
        let input = json!({ "email": "ada@example.com", "reference": "BEFORE" });
        let created = app.graphql(Some(&token), CREATE_CUSTOMER, json!({ "input": input })).await;
        let id = created["data"]["createCustomer"]["id"].as_str().unwrap_or_else(|| panic!("{created}"));
        recorded(&app, &token, &hook, 1).await;
        let input = json!({ "reference": "AFTER" });
        let updated = app.graphql(Some(&token), UPDATE_CUSTOMER, json!({ "id": id, "input": input })).await;
        assert!(updated["errors"].is_null(), "{updated}");
        receiver.answer(Reply::Status(200));
        app.advance(Duration::from_secs(60));
        let got = exactly(&app, &receiver, "/c", 2).await;
        assert_eq!(got[1].header("webhook-id"), got[0].header("webhook-id"), "a retry");
        assert_eq!(got[1].json()["data"]["attributes"]["reference"], "BEFORE");
        assert_eq!(got[1].json()["data"], got[0].json()["data"]);
    }
}
