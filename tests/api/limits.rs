//! Request limits: each refusal is a clear GraphQL error or a 413/408, never a 5xx.
//! The limits sit in the HTTP layer, before the database: these run on SQLite.

use std::time::Duration;

use reset_gateway::auth::{Mode, Role};
use serde_json::{Value, json};

use crate::harness::{Backend, TestApp};

async fn post_graphql(app: &TestApp, token: Option<&str>, body: String) -> (u16, Value) {
    let answer = app
        .raw_post("/graphql")
        .header("content-type", "application/json")
        .accept("application/graphql-response+json")
        .bearer(token)
        .body(body)
        .send()
        .await;
    (answer.status, answer.body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_gets_413_on_every_route() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.max_body_bytes = 1024)
        .await
        .unwrap();
    let big = json!({ "query": format!("{{ __typename }} # {}", "x".repeat(2048)) }).to_string();
    let (status, body) = post_graphql(&app, None, big.clone()).await;
    assert_eq!(status, 413);
    assert_eq!(body["errors"][0]["extensions"]["code"], "PAYLOAD_TOO_LARGE");
    let token = app
        .http
        .post(format!("{}/oauth/token", app.base_url))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 413);
    let body: Value = token.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_over_the_time_limit_gets_408() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.request_timeout = Duration::from_millis(50);
        // A deliberately slow hash: about half a second.
        c.argon2_memory_kib = 128 * 1024;
        c.argon2_iterations = 4;
    })
    .await
    .unwrap();
    let token = app.token(Role::Integration, Mode::Test).await;
    let body = json!({ "query": "mutation { createCustomer(input: { email: \"slow@example.com\", password: \"a slow password\" }) { id } }" });
    let (status, body) = post_graphql(&app, Some(&token), body.to_string()).await;
    assert_eq!(status, 408);
    assert_eq!(body["errors"][0]["extensions"]["code"], "REQUEST_TIMEOUT");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_costly_or_oversized_documents_are_refused_before_they_run() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.max_document_bytes = 2048)
        .await
        .unwrap();
    let token = app.token(Role::Integration, Mode::Test).await;
    let nested = |levels: usize| {
        let mut query = String::from("id");
        for _ in 0..levels {
            query = format!(
                "customer {{ passwordResets(first: 1) {{ edges {{ node {{ {query} }} }} }} }}"
            );
        }
        format!("{{ customerPasswordResets(first: 1) {{ edges {{ node {{ {query} }} }} }} }}")
    };
    let (status, body) = post_graphql(
        &app,
        Some(&token),
        json!({ "query": nested(4) }).to_string(),
    )
    .await;
    assert_eq!(status, 400, "too deep: {body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nested too deep"),
        "{body}"
    );

    let costly = "{ customers(first: 25) { edges { node { passwordResets(first: 25) { edges { node { id status createdAt } } } } } } }";
    let (status, body) =
        post_graphql(&app, Some(&token), json!({ "query": costly }).to_string()).await;
    assert_eq!(status, 400, "too costly: {body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("complex"),
        "{body}"
    );

    let long = format!("{{ __typename }} # {}", "x".repeat(3000));
    let (status, body) =
        post_graphql(&app, Some(&token), json!({ "query": long }).to_string()).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
}
