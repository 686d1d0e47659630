//! Each row of the permission table (DESIGN section 3) for customers, for each kind of
//! caller: integration, sales channel, customer token, no token.

use serde_json::json;

use crate::fixtures::{Callers, Outcome::Allowed, PASSWORD, outcome, refused};
use crate::harness::on_both_databases;

const CUSTOMER: &str = "query($id: ID!) { customer(id: $id) { id email } }";
const CUSTOMERS: &str = "{ customers { edges { node { id } } } }";
const CREATE: &str =
    "mutation($email: String!) { createCustomer(input: { email: $email }) { id email } }";
const UPDATE: &str = "mutation($id: ID!, $input: UpdateCustomerInput!) { updateCustomer(id: $id, input: $input) { id reference } }";
const DELETE: &str = "mutation($id: ID!) { deleteCustomer(id: $id) }";

on_both_databases! {
    async fn reading_one_customer_follows_the_table(app: TestApp) {
        let who = Callers::new(&app).await;
        let own = json!({ "id": who.me });
        let read = |token: Option<String>, vars: serde_json::Value| {
            let app = &app;
            async move { outcome(&app.graphql(token.as_deref(), CUSTOMER, vars).await, "customer") }
        };
        assert_eq!(read(Some(who.integration.clone()), own.clone()).await, Allowed);
        assert_eq!(read(Some(who.sales_channel.clone()), own.clone()).await, refused("UNAUTHORIZED"));
        assert_eq!(read(Some(who.customer.clone()), own.clone()).await, Allowed);
        assert_eq!(read(Some(who.customer.clone()), json!({ "id": who.other })).await, refused("RECORD_NOT_FOUND"));
        assert_eq!(read(None, own).await, refused("INVALID_TOKEN"));
    }

    async fn listing_customers_is_for_integrations_only(app: TestApp) {
        let who = Callers::new(&app).await;
        let list = |token: Option<String>| {
            let app = &app;
            async move { outcome(&app.graphql(token.as_deref(), CUSTOMERS, json!({})).await, "customers") }
        };
        assert_eq!(list(Some(who.integration.clone())).await, Allowed);
        assert_eq!(list(Some(who.sales_channel.clone())).await, refused("UNAUTHORIZED"));
        assert_eq!(list(Some(who.customer.clone())).await, refused("UNAUTHORIZED"));
        assert_eq!(list(None).await, refused("INVALID_TOKEN"));
    }

    async fn integrations_and_sales_channels_create_customers(app: TestApp) {
        let who = Callers::new(&app).await;
        let create = |token: Option<String>, email: &'static str| {
            let app = &app;
            async move {
                outcome(&app.graphql(token.as_deref(), CREATE, json!({ "email": email })).await, "createCustomer")
            }
        };
        assert_eq!(create(Some(who.integration.clone()), "a@example.com").await, Allowed);
        assert_eq!(create(Some(who.sales_channel.clone()), "b@example.com").await, Allowed);
        assert_eq!(create(Some(who.customer.clone()), "c@example.com").await, refused("UNAUTHORIZED"));
        assert_eq!(create(None, "d@example.com").await, refused("INVALID_TOKEN"));
    }

    async fn a_sales_channel_reads_back_the_customer_it_signed_up(app: TestApp) {
        let who = Callers::new(&app).await;
        let answer = app
            .graphql(Some(&who.sales_channel), CREATE, json!({ "email": "New@Example.com" }))
            .await;
        assert_eq!(answer["data"]["createCustomer"]["email"], "new@example.com");
    }

    async fn updating_a_customer_without_password_follows_the_table(app: TestApp) {
        let who = Callers::new(&app).await;
        let update = |token: Option<String>, id: String| {
            let app = &app;
            async move {
                // The integrator's fields have rules of their own (integrator_fields.rs).
                let vars = json!({ "id": id, "input": { "email": "me@example.com" } });
                outcome(&app.graphql(token.as_deref(), UPDATE, vars).await, "updateCustomer")
            }
        };
        assert_eq!(update(Some(who.integration.clone()), who.me.clone()).await, Allowed);
        assert_eq!(update(Some(who.sales_channel.clone()), who.me.clone()).await, refused("UNAUTHORIZED"));
        assert_eq!(update(Some(who.customer.clone()), who.me.clone()).await, Allowed);
        assert_eq!(update(Some(who.customer.clone()), who.other.clone()).await, refused("RECORD_NOT_FOUND"));
        assert_eq!(update(None, who.me.clone()).await, refused("INVALID_TOKEN"));
    }

    async fn only_integrations_give_a_guest_a_password(app: TestApp) {
        let who = Callers::new(&app).await;
        let guest = app.customer(&who.integration, "guest@example.com", None).await;
        let set_password = |token: Option<String>, id: String| {
            let app = &app;
            async move {
                let vars = json!({ "id": id, "input": { "password": PASSWORD } });
                outcome(&app.graphql(token.as_deref(), UPDATE, vars).await, "updateCustomer")
            }
        };
        assert_eq!(set_password(Some(who.sales_channel.clone()), guest.clone()).await, refused("UNAUTHORIZED"));
        assert_eq!(set_password(Some(who.customer.clone()), who.me.clone()).await, refused("UNAUTHORIZED"));
        assert_eq!(set_password(None, guest.clone()).await, refused("INVALID_TOKEN"));
        assert_eq!(set_password(Some(who.integration.clone()), guest).await, Allowed);
        let (status, _) = app.login(&who.sales_channel_client, "guest@example.com", PASSWORD).await;
        assert_eq!(status, 200, "the guest logs in with the password the integration set");
    }

    async fn deleting_a_customer_follows_the_table(app: TestApp) {
        let who = Callers::new(&app).await;
        let throwaway = app.customer(&who.integration, "gone@example.com", None).await;
        let delete = |token: Option<String>, id: String| {
            let app = &app;
            async move { outcome(&app.graphql(token.as_deref(), DELETE, json!({ "id": id })).await, "deleteCustomer") }
        };
        assert_eq!(delete(Some(who.sales_channel.clone()), who.me.clone()).await, refused("UNAUTHORIZED"));
        assert_eq!(delete(None, who.me.clone()).await, refused("INVALID_TOKEN"));
        assert_eq!(delete(Some(who.customer.clone()), who.other.clone()).await, refused("RECORD_NOT_FOUND"));
        assert_eq!(delete(Some(who.integration.clone()), throwaway).await, Allowed);
        assert_eq!(delete(Some(who.customer.clone()), who.me.clone()).await, Allowed);
        let gone = app.graphql(Some(&who.integration), CUSTOMER, json!({ "id": who.me })).await;
        assert_eq!(outcome(&gone, "customer"), refused("RECORD_NOT_FOUND"));
    }
}
