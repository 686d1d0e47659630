//! Test and live data never meet: a token of one mode neither sees nor touches the other's.

use reset_gateway::auth::{Mode, Role};
use serde_json::json;

use crate::fixtures::PASSWORD;
use crate::harness::{error_code, on_both_databases};

on_both_databases! {
    async fn a_live_token_does_not_see_or_touch_test_customers(app: TestApp) {
        let test = app.token(Role::Integration, Mode::Test).await;
        let live = app.token(Role::Integration, Mode::Live).await;
        let id = app.customer(&test, "ada@example.com", Some(PASSWORD)).await;
        let read = app.graphql(Some(&live), "query($id: ID!) { customer(id: $id) { id } }", json!({ "id": id })).await;
        assert_eq!(error_code(&read), Some("RECORD_NOT_FOUND"));
        let list = app.graphql(Some(&live), "{ customers { totalCount edges { node { id } } } }", json!({})).await;
        assert_eq!(list["data"]["customers"]["totalCount"], 0);
        let update = app
            .graphql(Some(&live), "mutation($id: ID!) { updateCustomer(id: $id, input: { reference: \"x\" }) { id } }", json!({ "id": id }))
            .await;
        assert_eq!(error_code(&update), Some("RECORD_NOT_FOUND"));
        let delete = app.graphql(Some(&live), "mutation($id: ID!) { deleteCustomer(id: $id) }", json!({ "id": id })).await;
        assert_eq!(error_code(&delete), Some("RECORD_NOT_FOUND"));
        let still = app.graphql(Some(&test), "query($id: ID!) { customer(id: $id) { id } }", json!({ "id": id })).await;
        assert_eq!(still["data"]["customer"]["id"], id.as_str());
    }

    async fn the_same_email_may_exist_once_in_each_mode(app: TestApp) {
        let test = app.token(Role::Integration, Mode::Test).await;
        let live = app.token(Role::Integration, Mode::Live).await;
        let in_test = app.customer(&test, "ada@example.com", Some(PASSWORD)).await;
        let in_live = app.customer(&live, "ada@example.com", Some("another long password")).await;
        assert_ne!(in_test, in_live);
        let live_shop = app.credential(Role::SalesChannel, Mode::Live).await;
        let (status, answer) = app.login(&live_shop, "ada@example.com", "another long password").await;
        assert_eq!(status, 200);
        assert_eq!(answer["owner_id"], in_live.as_str());
        let (status, _) = app.login(&live_shop, "ada@example.com", PASSWORD).await;
        assert_eq!(status, 400, "the test customer's password does not open the live one");
    }
}
