//! Documents validated once: a document that passed every validation rule skips them the
//! next time, with the same answer, when its variables plainly fit their types; failures,
//! and requests with other values, are validated in full every time. The HTTP layer does
//! not depend on the database, so these run on SQLite.

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
    let parsed = app.state().parsed_documents.get(query);
    (parsed.and_then(|parsed| parsed.validation)).is_some_and(|memo| memo.passed(operation_name))
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
async fn a_document_with_variables_is_still_validated_against_values_that_do_not_plainly_fit() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let who = Callers::new(&app).await;
    let (id, _) = create_reset(&app, &who.integration, "me@example.com").await;
    let query = "query($id: ID!, $first: Int!) { customerPasswordReset(id: $id) { customerEmail } \
                 customerPasswordResets(first: $first) { totalCount } }";
    let send = |variables: Value| {
        answer(
            &app,
            &who.integration,
            json!({ "query": query, "variables": variables }),
        )
    };
    let fine = send(json!({ "id": id, "first": 5 })).await;
    assert!(fine.contains("me@example.com"), "{fine}");
    assert!(passed(&app, query, None), "the pass is remembered");
    // Parsed: the two root fields may come back in either order.
    let again = send(json!({ "id": id, "first": 5 })).await;
    assert_eq!(
        serde_json::from_str::<Value>(&fine).unwrap(),
        serde_json::from_str::<Value>(&again).unwrap()
    );
    for wrong in [
        json!({ "id": id, "first": "five" }),
        json!({ "id": true, "first": 5 }),
        json!({ "id": id }),
        json!({ "id": null, "first": 5 }),
    ] {
        let refused: Value = serde_json::from_str(&send(wrong.clone()).await).unwrap();
        assert!(
            refused.get("data").is_none(),
            "a request error for {wrong}: {refused}"
        );
        assert_eq!(
            refused["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
            "{wrong}"
        );
    }
    // An integer is an ID too: validated in full, and answered (no such reset).
    let numeric: Value = serde_json::from_str(&send(json!({ "id": 7, "first": 5 })).await).unwrap();
    assert_eq!(
        numeric["errors"][0]["extensions"]["code"], "RECORD_NOT_FOUND",
        "{numeric}"
    );
}
