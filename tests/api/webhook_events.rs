//! Which changes fire which events (DESIGN section 7): each topic exactly once per
//! committed change, with the resource it is about; never for a refused change.
//!
//! "Exactly once" is checked where an integrator sees it, at a real receiver on loopback:
//! the expected deliveries arrive, and no other once the sender has nothing more to send
//! (`TestApp::webhooks_settled`); and where the service promises it, in the outbox: one
//! row per event and webhook.

use std::collections::HashSet;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use reset_gateway::auth::{Mode, Role};
use reset_gateway::db::schema::webhook_deliveries;
use serde_json::{Value, json};

use crate::eventually::eventually;
use crate::fixtures::{PASSWORD, create_reset, redeem};
use crate::harness::{TestApp, error_code, on_both_databases};
use crate::receiver::{Received, Receiver};
use crate::webhook_fixtures::webhook;

/// The deliveries to `path` once `count` of them have arrived and the sender has nothing
/// more to send; panics when they do not arrive, or more do.
pub async fn exactly(
    app: &TestApp,
    receiver: &Receiver,
    path: &str,
    count: usize,
) -> Vec<Received> {
    let to_path = || -> Vec<Received> {
        let all = receiver.requests().into_iter();
        all.filter(|r| r.path == path).collect()
    };
    eventually(async || match to_path().len() {
        arrived if arrived >= count => Ok(()),
        arrived => Err(format!("{arrived} of {count} deliveries to {path}")),
    })
    .await;
    app.webhooks_settled().await;
    let got = to_path();
    assert_eq!(got.len(), count, "deliveries to {path}: {:?}", ids(&got));
    got
}

/// The `data.id` of each delivery's body.
pub fn ids(got: &[Received]) -> Vec<String> {
    let id = |r: &Received| r.json()["data"]["id"].as_str().unwrap_or("?").to_owned();
    got.iter().map(id).collect()
}

/// The ids of the deliveries the outbox holds for webhook `id`, whatever their state:
/// the `webhook-id` of each.
pub async fn outbox_ids(app: &TestApp, id: &str) -> Vec<String> {
    let mut conn = app.state().db.conn().await.unwrap();
    db_run!(&mut conn, |c| {
        webhook_deliveries::table
            .filter(webhook_deliveries::webhook_id.eq(id))
            .select(webhook_deliveries::id)
            .load::<String>(c)
            .await
    })
    .unwrap()
}

const CALLBACKS: &str = "query($id: ID!) { webhook(id: $id) { lastEventCallbacks {
    id topic callbackUrl responseCode responseMessage attempt createdAt
} } }";

/// Webhook `id`'s `lastEventCallbacks` once it lists `count` attempts; panics when it has
/// not within [`eventually`]'s deadline. A receiver gets the body before the service
/// records the attempt: a test that advances the clock for a retry waits for this first,
/// or the retry would be scheduled from the advanced time.
pub async fn recorded(app: &TestApp, token: &str, id: &str, count: usize) -> Vec<Value> {
    eventually(async || {
        let read = app
            .graphql(Some(token), CALLBACKS, json!({ "id": id }))
            .await;
        let callbacks = read["data"]["webhook"]["lastEventCallbacks"]
            .as_array()
            .cloned();
        callbacks
            .filter(|c| c.len() >= count)
            .ok_or_else(|| format!("{count} callbacks? {read}"))
    })
    .await
}

pub const UPDATE_CUSTOMER: &str = "mutation($id: ID!, $input: UpdateCustomerInput!) {
    updateCustomer(id: $id, input: $input) { id hasPassword }
}";

pub const RESET_PASSWORD: &str = "mutation($id: ID!, $token: String!, $password: String!) {
    resetPassword(id: $id, token: $token, password: $password) { id status }
}";

const DELETE_RESET: &str = "mutation($id: ID!) { deleteCustomerPasswordReset(id: $id) }";

const CREATE_CUSTOMER: &str =
    "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }";

const NEW_PASSWORD: &str = "a new and long password";

fn set(items: impl IntoIterator<Item = impl Into<String>>) -> HashSet<String> {
    items.into_iter().map(Into::into).collect()
}

fn assert_ok(answer: &Value) {
    assert!(answer["errors"].is_null(), "{answer}");
}

on_both_databases! {
    async fn creating_a_customer_fires_customers_create_once_with_the_customer(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let receiver = Receiver::start().await;
        let (hook, _) = webhook(&app, &token, "customers.create", &receiver.url("/c"), &[]).await;
        let guest = app.customer(&token, "guest@example.com", None).await;
        let member = app.customer(&token, "member@example.com", Some(PASSWORD)).await;
        let got = exactly(&app, &receiver, "/c", 2).await;
        assert_eq!(set(ids(&got)), set([guest.clone(), member]));
        let guest_body = got.iter().map(Received::json).find(|b| b["data"]["id"] == guest.as_str()).unwrap();
        let data = &guest_body["data"];
        assert_eq!(data["type"], "customers");
        assert_eq!(data["attributes"]["email"], "guest@example.com");
        assert_eq!(data["attributes"]["has_password"], false);
        assert_eq!(data["meta"]["mode"], "test");
        assert_eq!(data["links"]["self"], format!("{}/api/customers/{guest}", app.base_url));
        assert_eq!(outbox_ids(&app, &hook).await.len(), 2);
    }

    async fn a_guest_given_a_password_by_an_update_fires_customers_create_password_once(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let receiver = Receiver::start().await;
        webhook(&app, &token, "customers.create_password", &receiver.url("/p"), &[]).await;
        let guest = app.customer(&token, "guest@example.com", None).await;
        app.customer(&token, "member@example.com", Some(PASSWORD)).await;
        let input = json!({ "password": NEW_PASSWORD, "reference": "CRM-1" });
        let updated = app.graphql(Some(&token), UPDATE_CUSTOMER, json!({ "id": guest, "input": input })).await;
        assert_eq!(updated["data"]["updateCustomer"]["hasPassword"], true, "{updated}");
        let got = exactly(&app, &receiver, "/p", 1).await;
        let data = &got[0].json()["data"];
        assert_eq!(data["id"], guest.as_str());
        assert_eq!(data["attributes"]["has_password"], true);
        assert_eq!(data["attributes"]["reference"], "CRM-1", "as the update left it");
    }

    async fn a_guest_who_redeems_a_reset_fires_create_password_and_a_member_does_not(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let receiver = Receiver::start().await;
        webhook(&app, &token, "customers.create_password", &receiver.url("/p"), &[]).await;
        webhook(&app, &token, "customer_password_resets.reset_password", &receiver.url("/r"), &[]).await;
        let guest = app.customer(&token, "guest@example.com", None).await;
        app.customer(&token, "member@example.com", Some(PASSWORD)).await;
        let (guest_reset, guest_token) = create_reset(&app, &token, "guest@example.com").await;
        assert_ok(&redeem(&app, &token, &guest_reset, &guest_token, NEW_PASSWORD).await);
        let (member_reset, member_token) = create_reset(&app, &token, "member@example.com").await;
        assert_ok(&redeem(&app, &token, &member_reset, &member_token, NEW_PASSWORD).await);
        let redeemed = exactly(&app, &receiver, "/r", 2).await;
        assert_eq!(set(ids(&redeemed)), set([guest_reset, member_reset]));
        let passwords = exactly(&app, &receiver, "/p", 1).await;
        assert_eq!(ids(&passwords), [guest]);
        assert_eq!(passwords[0].json()["data"]["attributes"]["has_password"], true);
    }

    async fn creating_a_reset_fires_once_with_the_token_of_the_answer(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let receiver = Receiver::start().await;
        let topic = "customer_password_resets.create";
        let (hook, _) = webhook(&app, &token, topic, &receiver.url("/new"), &[]).await;
        app.customer(&token, "ada@example.com", Some(PASSWORD)).await;
        let (id, reset_token) = create_reset(&app, &token, "ada@example.com").await;
        let got = exactly(&app, &receiver, "/new", 1).await;
        let data = &got[0].json()["data"];
        assert_eq!(data["id"], id.as_str());
        assert_eq!(data["attributes"]["reset_password_token"], reset_token.as_str());
        assert_eq!(outbox_ids(&app, &hook).await.len(), 1);
    }

    async fn both_redemption_mutations_fire_reset_password_once_each(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let receiver = Receiver::start().await;
        let topic = "customer_password_resets.reset_password";
        webhook(&app, &token, topic, &receiver.url("/r"), &[]).await;
        app.customer(&token, "ada@example.com", Some(PASSWORD)).await;
        let (by_update, first) = create_reset(&app, &token, "ada@example.com").await;
        assert_ok(&redeem(&app, &token, &by_update, &first, NEW_PASSWORD).await);
        let (by_mutation, second) = create_reset(&app, &token, "ada@example.com").await;
        let variables = json!({ "id": by_mutation, "token": second, "password": "another long password" });
        assert_ok(&app.graphql(Some(&token), RESET_PASSWORD, variables).await);
        let got = exactly(&app, &receiver, "/r", 2).await;
        assert_eq!(set(ids(&got)), set([by_update, by_mutation]));
        for delivery in &got {
            let attributes = &delivery.json()["data"]["attributes"];
            assert!(attributes["reset_password_at"].is_string(), "{attributes}");
            assert!(attributes.get("reset_password_token").is_none(), "{attributes}");
        }
    }

    async fn deleting_a_reset_fires_destroy_once_with_only_its_id(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let receiver = Receiver::start().await;
        let topic = "customer_password_resets.destroy";
        webhook(&app, &token, topic, &receiver.url("/gone"), &["customer"]).await;
        app.customer(&token, "ada@example.com", Some(PASSWORD)).await;
        let (id, _) = create_reset(&app, &token, "ada@example.com").await;
        let deleted = app.graphql(Some(&token), DELETE_RESET, json!({ "id": id })).await;
        assert_eq!(deleted["data"]["deleteCustomerPasswordReset"], id.as_str(), "{deleted}");
        let body = exactly(&app, &receiver, "/gone", 1).await[0].json();
        let data = &body["data"];
        assert_eq!(data["id"], id.as_str());
        assert_eq!(data["type"], "customer_password_resets");
        assert_eq!(data["meta"]["mode"], "test");
        for absent in ["attributes", "relationships"] {
            assert!(data.get(absent).is_none(), "{body}");
        }
        assert!(body.get("included").is_none(), "{body}");
    }

    async fn refused_customer_changes_send_nothing(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let receiver = Receiver::start().await;
        let (created, _) = webhook(&app, &token, "customers.create", &receiver.url("/c"), &[]).await;
        let (passwords, _) = webhook(&app, &token, "customers.create_password", &receiver.url("/p"), &[]).await;
        let member = app.customer(&token, "member@example.com", Some(PASSWORD)).await;
        let guest = app.customer(&token, "guest@example.com", None).await;
        for password in [None, Some(PASSWORD)] {
            let input = json!({ "email": "member@example.com", "password": password });
            let taken = app.graphql(Some(&token), CREATE_CUSTOMER, json!({ "input": input })).await;
            assert_eq!(error_code(&taken), Some("VALIDATION_ERROR"), "{taken}");
        }
        for (id, password) in [(&member, NEW_PASSWORD), (&guest, "short")] {
            let input = json!({ "password": password });
            let refused = app.graphql(Some(&token), UPDATE_CUSTOMER, json!({ "id": id, "input": input })).await;
            assert!(error_code(&refused).is_some(), "{refused}");
        }
        assert_eq!(set(ids(&exactly(&app, &receiver, "/c", 2).await)), set([member, guest]));
        exactly(&app, &receiver, "/p", 0).await;
        assert_eq!(outbox_ids(&app, &created).await.len(), 2);
        assert_eq!(outbox_ids(&app, &passwords).await.len(), 0);
    }

    async fn refused_reset_changes_send_nothing(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let receiver = Receiver::start().await;
        let mut hooks = Vec::new();
        for topic in ["customer_password_resets.create", "customer_password_resets.reset_password",
            "customer_password_resets.destroy", "customers.create_password"] {
            hooks.push(webhook(&app, &token, topic, &receiver.url(&format!("/{topic}")), &[]).await.0);
        }
        app.customer(&token, "guest@example.com", None).await;
        let unknown = app
            .graphql(Some(&token), "mutation { createCustomerPasswordReset(input: { customerEmail: \"nobody@example.com\" }) { id } }", json!({}))
            .await;
        assert!(error_code(&unknown).is_some(), "{unknown}");
        let (id, reset_token) = create_reset(&app, &token, "guest@example.com").await;
        let wrong_token = redeem(&app, &token, &id, "not-the-token", NEW_PASSWORD).await;
        assert_eq!(error_code(&wrong_token), Some("VALIDATION_ERROR"), "{wrong_token}");
        let weak_password = redeem(&app, &token, &id, &reset_token, "short").await;
        assert_eq!(error_code(&weak_password), Some("VALIDATION_ERROR"), "{weak_password}");
        let variables = json!({ "id": id, "token": "not-the-token", "password": NEW_PASSWORD });
        let wrong_by_mutation = app.graphql(Some(&token), RESET_PASSWORD, variables).await;
        assert_eq!(error_code(&wrong_by_mutation), Some("VALIDATION_ERROR"), "{wrong_by_mutation}");
        let no_such = app.graphql(Some(&token), DELETE_RESET, json!({ "id": "nosuchid00" })).await;
        assert!(error_code(&no_such).is_some(), "{no_such}");
        assert_eq!(ids(&exactly(&app, &receiver, "/customer_password_resets.create", 1).await), [id]);
        for topic in ["reset_password", "destroy"] {
            exactly(&app, &receiver, &format!("/customer_password_resets.{topic}"), 0).await;
        }
        exactly(&app, &receiver, "/customers.create_password", 0).await;
        let rows = [1, 0, 0, 0];
        for (hook, expected) in hooks.iter().zip(rows) {
            assert_eq!(outbox_ids(&app, hook).await.len(), expected);
        }
    }
}
