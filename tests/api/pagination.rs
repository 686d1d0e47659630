//! Lists: every record exactly once across pages, filters, sort, page-size bounds.

use std::collections::HashSet;
use std::time::Duration;

use reset_gateway::auth::{Mode, Role};
use serde_json::{Value, json};

use crate::harness::on_both_databases;

const PAGE: &str =
    "query($first: Int, $after: String, $filter: CustomerFilter, $sort: CustomerSort) {
    customers(first: $first, after: $after, filter: $filter, sort: $sort) {
        totalCount
        edges { cursor node { id email } }
        pageInfo { hasNextPage hasPreviousPage endCursor }
    }
}";

fn emails(answer: &Value) -> Vec<String> {
    answer["data"]["customers"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no edges: {answer}"))
        .iter()
        .map(|e| e["node"]["email"].as_str().unwrap().to_owned())
        .collect()
}

on_both_databases! {
    async fn paging_through_a_list_returns_every_customer_once(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let mut created = HashSet::new();
        for i in 0..23 {
            let email = format!("c{i:02}@example.com");
            app.customer(&token, &email, None).await;
            created.insert(email);
        }
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        let mut pages = 0;
        loop {
            let answer = app.graphql(Some(&token), PAGE, json!({ "first": 10, "after": after })).await;
            let list = &answer["data"]["customers"];
            assert_eq!(list["totalCount"], 23);
            assert_eq!(list["pageInfo"]["hasPreviousPage"], pages > 0);
            seen.extend(emails(&answer));
            pages += 1;
            if list["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = list["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        }
        assert_eq!(pages, 3);
        assert_eq!(seen.len(), 23, "no customer twice");
        assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), created);
    }

    async fn the_page_size_defaults_to_ten_and_stays_within_one_to_twenty_five(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        for i in 0..12 {
            app.customer(&token, &format!("d{i:02}@example.com"), None).await;
        }
        let default = app.graphql(Some(&token), PAGE, json!({})).await;
        assert_eq!(emails(&default).len(), 10);
        for (first, after) in [(json!(26), Value::Null), (json!(0), Value::Null), (json!(5), json!("bogus"))] {
            let answer = app.graphql(Some(&token), PAGE, json!({ "first": first, "after": after })).await;
            let ext = &answer["errors"][0]["extensions"];
            assert_eq!(ext["code"], "VALIDATION_ERROR", "{answer}");
            let pointer = if after.is_null() { "/first" } else { "/after" };
            assert_eq!(ext["pointer"], pointer);
        }
    }

    async fn filters_narrow_the_list_case_insensitively(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        app.customer(&token, "alice@shop.io", Some("a long enough password")).await;
        app.customer(&token, "bob@shop.io", None).await;
        app.customer(&token, "carol@other.org", None).await;
        app.customer(&token, "under_score@shop.io", None).await;
        let list = |filter: Value| {
            let app = &app;
            let token = token.clone();
            async move {
                let mut found = emails(&app.graphql(Some(&token), PAGE, json!({ "filter": filter })).await);
                found.sort();
                found
            }
        };
        assert_eq!(list(json!({ "emailEq": "ALICE@shop.io" })).await, ["alice@shop.io"]);
        assert_eq!(list(json!({ "emailCont": "SHOP" })).await, ["alice@shop.io", "bob@shop.io", "under_score@shop.io"]);
        assert_eq!(list(json!({ "emailStart": "car" })).await, ["carol@other.org"]);
        assert_eq!(list(json!({ "emailCont": "_" })).await, ["under_score@shop.io"], "wildcards are literal");
        assert_eq!(list(json!({ "hasPasswordEq": true })).await, ["alice@shop.io"]);
        assert_eq!(list(json!({ "hasPasswordEq": false, "emailCont": "shop" })).await, ["bob@shop.io", "under_score@shop.io"]);
    }

    async fn a_sort_orders_the_list(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        for email in ["b@example.com", "c@example.com", "a@example.com"] {
            app.customer(&token, email, None).await;
            app.advance(Duration::from_millis(1));
        }
        let by = |sort: Value| {
            let app = &app;
            let token = token.clone();
            async move { emails(&app.graphql(Some(&token), PAGE, json!({ "sort": sort })).await) }
        };
        assert_eq!(by(json!({ "field": "EMAIL" })).await, ["a@example.com", "b@example.com", "c@example.com"]);
        assert_eq!(by(json!({ "field": "EMAIL", "direction": "DESC" })).await, ["c@example.com", "b@example.com", "a@example.com"]);
        assert_eq!(by(json!({ "field": "CREATED_AT" })).await, ["b@example.com", "c@example.com", "a@example.com"]);
    }
}
