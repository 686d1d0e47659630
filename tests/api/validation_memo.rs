//! Documents validated once: a document that declares no variables and passed every
//! validation rule skips them the next time, with the same answer; failures and documents
//! with variables are validated in full every time. The HTTP layer does not depend on the
//! database, so these run on SQLite.

use serde_json::{Value, json};

use crate::fixtures::{Callers, create_reset};
use crate::harness::{Backend, TestApp};

/// The raw answer to a POST of `body`, with the integration's token.
async fn answer(app: &TestApp, token: &str, body: Value) -> String {
    app.http
        .post(format!("{}/graphql", app.base_url))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

fn passed(app: &TestApp, query: &str, operation_name: Option<&str>) -> bool {
    let parsed = app.state().parsed_documents.parse(query).unwrap();
    parsed
        .validation
        .is_some_and(|memo| memo.passed(operation_name))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_that_passed_validation_gets_the_same_answer_without_the_rules_again() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let who = Callers::new(&app).await;
    create_reset(&app, &who.integration, "me@example.com").await;
    // A list with a DataLoader field below it; then the same document refused at its root
    // field (a sales channel may not list resets): an error in the answer, not in the
    // document.
    let query = "query Page { customerPasswordResets(first: 5) { totalCount edges { cursor \
                 node { id status customer { email } } } } }";
    let body = json!({ "query": query, "operationName": "Page" });
    let first = answer(&app, &who.integration, body.clone()).await;
    assert!(first.contains("me@example.com"), "{first}");
    assert!(passed(&app, query, Some("Page")), "the pass is remembered");
    assert!(!passed(&app, query, None), "for that operation name only");
    let again = answer(&app, &who.integration, body.clone()).await;
    assert_eq!(first, again);

    let refused = answer(&app, &who.sales_channel, body).await;
    assert!(refused.contains("\"errors\""), "{refused}");
    assert_eq!(
        refused,
        answer(
            &app,
            &who.sales_channel,
            json!({ "query": query, "operationName": "Page" })
        )
        .await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_that_failed_validation_fails_the_same_way_every_time() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let who = Callers::new(&app).await;
    for query in [
        "{ customerPasswordResets(first: 5) { edges { node { nope } } } }",
        "{ customerPasswordResets(first: \"five\") { totalCount } }",
    ] {
        let first = answer(&app, &who.integration, json!({ "query": query })).await;
        let answer_json: Value = serde_json::from_str(&first).unwrap();
        assert_eq!(
            answer_json["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
            "{first}"
        );
        assert!(!passed(&app, query, None));
        assert_eq!(
            first,
            answer(&app, &who.integration, json!({ "query": query })).await
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_with_variables_is_validated_against_each_requests_values() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let who = Callers::new(&app).await;
    let query = "query($first: Int!) { customerPasswordResets(first: $first) { totalCount } }";
    let fine = answer(
        &app,
        &who.integration,
        json!({ "query": query, "variables": { "first": 5 } }),
    )
    .await;
    assert!(fine.contains("totalCount"), "{fine}");
    let wrong: Value = serde_json::from_str(
        &answer(
            &app,
            &who.integration,
            json!({ "query": query, "variables": { "first": "five" } }),
        )
        .await,
    )
    .unwrap();
    assert!(wrong.get("data").is_none(), "a request error: {wrong}");
    assert_eq!(
        wrong["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
    assert!(!passed(&app, query, None));
}
