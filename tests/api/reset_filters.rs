//! The reset list's filters and sort give the same answers on both databases.

use std::time::Duration;

use serde_json::{Value, json};

use crate::fixtures::{Callers, create_reset, redeem};
use crate::harness::on_both_databases;

const LIST: &str = "query($filter: CustomerPasswordResetFilter, $sort: CustomerPasswordResetSort) {
    customerPasswordResets(filter: $filter, sort: $sort, first: 25) { totalCount edges { node { id } } }
}";

fn ids(answer: &Value) -> Vec<String> {
    answer["data"]["customerPasswordResets"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no list: {answer}"))
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

on_both_databases! {
    async fn reset_filters_select_the_same_records_on_both_databases(app: TestApp) {
        let who = Callers::new(&app).await;
        let tagged = app
            .graphql(
                Some(&who.integration),
                "mutation { createCustomerPasswordReset(input: { customerEmail: \"me@example.com\", reference: \"R-1\",
                    metadata: { tags: [\"a\", \"b\"], source: { app: \"web\" } } }) { id createdAt } }",
                json!({}),
            )
            .await;
        let tagged_id = tagged["data"]["createCustomerPasswordReset"]["id"].as_str().unwrap().to_owned();
        let tagged_at = tagged["data"]["createCustomerPasswordReset"]["createdAt"].as_str().unwrap().to_owned();
        app.advance(Duration::from_millis(1));
        let (used, token) = create_reset(&app, &who.integration, "other@example.com").await;
        redeem(&app, &who.sales_channel, &used, &token, "a new and long password").await;
        let list = |filter: Value| {
            let (app, token) = (&app, who.integration.clone());
            async move { ids(&app.graphql(Some(&token), LIST, json!({ "filter": filter })).await) }
        };
        assert_eq!(list(json!({ "metadataJcont": { "tags": ["b"] } })).await, [tagged_id.as_str()]);
        assert_eq!(list(json!({ "metadataJcont": { "source": { "app": "web" } } })).await, [tagged_id.as_str()]);
        assert!(list(json!({ "metadataJcont": { "tags": "b" } })).await.is_empty(), "PostgreSQL's @> semantics");
        assert!(list(json!({ "metadataJcont": { "source": { "app": "ios" } } })).await.is_empty());
        assert_eq!(list(json!({ "customerEmailCont": "OTHER" })).await, [used.as_str()]);
        assert_eq!(list(json!({ "customerEmailEq": "Me@Example.com" })).await, [tagged_id.as_str()]);
        assert_eq!(list(json!({ "customerIdEq": who.other })).await, [used.as_str()]);
        assert_eq!(list(json!({ "resetPasswordAtNull": false })).await, [used.as_str()]);
        assert_eq!(list(json!({ "resetPasswordAtNull": true })).await, [tagged_id.as_str()]);
        assert_eq!(list(json!({ "referenceEq": "R-1" })).await, [tagged_id.as_str()]);
        assert_eq!(list(json!({ "createdAtGt": tagged_at })).await, [used.as_str()]);
        assert_eq!(list(json!({ "createdAtLteq": tagged_at })).await, [tagged_id.as_str()]);
        let newest_first = app
            .graphql(Some(&who.integration), LIST, json!({ "sort": { "field": "CREATED_AT", "direction": "DESC" } }))
            .await;
        assert_eq!(ids(&newest_first), [used, tagged_id]);
    }
}
