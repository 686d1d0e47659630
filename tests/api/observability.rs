//! What operators see: request ids, and Prometheus metrics for requests, latency, the
//! pool, the password-hash queue and SQL statements.
//! Request ids and metrics are kept by the HTTP layer whatever the database: these run on
//! SQLite (the statement counts on both databases are in `statements`).

use reset_gateway::auth::{Mode, Role};
use serde_json::json;

use crate::eventually::eventually;
use crate::harness::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_by_operation_and_outcome() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let token = app.token(Role::Integration, Mode::Test).await;
    app.graphql(Some(&token), "{ customers { totalCount } }", json!({}))
        .await;
    app.graphql(None, "{ customers { totalCount } }", json!({}))
        .await;
    let response = app
        .http
        .get(format!("{}/metrics", app.base_url))
        .send()
        .await
        .unwrap();
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let metrics = response.text().await.unwrap();
    for expected in [
        "reset_gateway_requests_total{operation=\"customers\",outcome=\"ok\"} 1",
        "reset_gateway_requests_total{operation=\"customers\",outcome=\"INVALID_TOKEN\"} 1",
        "reset_gateway_requests_total{operation=\"oauth_token\",outcome=\"ok\"} 1",
        "reset_gateway_request_duration_seconds_count{operation=\"customers\"} 2",
        "reset_gateway_db_pool_connections ",
        "reset_gateway_password_hashes_waiting 0",
        "reset_gateway_db_statements ",
    ] {
        assert!(
            metrics.contains(expected),
            "missing {expected:?} in:\n{metrics}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_a_request_id_and_a_given_one_is_kept() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let fresh = app
        .http
        .get(format!("{}/health", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.headers()["x-request-id"].len(), 20);
    let kept = app
        .http
        .get(format!("{}/health", app.base_url))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(kept.headers()["x-request-id"], "trace-me-42");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_request_writes_exactly_one_log_line() {
    let dir = tempfile::tempdir().unwrap();
    let server = crate::binary::Server::start(&crate::binary::sqlite_url(&dir, "lines.db"), &[]);
    let http = reqwest::Client::new();
    let send = |id: &'static str, path: &'static str, body: Option<&'static str>| {
        let request = match body {
            Some(body) => http
                .post(format!("{}{path}", server.base_url))
                .header("content-type", "application/json")
                .body(body),
            None => http.get(format!("{}{path}", server.base_url)),
        };
        request.header("x-request-id", id).send()
    };
    send(
        "line-graphql",
        "/graphql",
        Some(r#"{"query":"{ __typename }"}"#),
    )
    .await
    .unwrap();
    send("line-health", "/health", None).await.unwrap();
    send("line-refused", "/graphql", Some("not json"))
        .await
        .unwrap();

    let lines_of = |id: &str| -> Vec<serde_json::Value> {
        server
            .log()
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|entry| entry["span"]["request_id"] == id)
            .collect()
    };
    eventually(async || match lines_of("line-refused").is_empty() {
        true => Err(format!("no line of the last request in:\n{}", server.log())),
        false => Ok(()),
    })
    .await;
    let graphql = lines_of("line-graphql");
    assert_eq!(graphql.len(), 1, "{graphql:?}");
    assert_eq!(graphql[0]["message"], "graphql request");
    assert_eq!(graphql[0]["status"], 200);
    let health = lines_of("line-health");
    assert_eq!(health.len(), 1, "{health:?}");
    assert_eq!(health[0]["message"], "finished processing request");
    let refused = lines_of("line-refused");
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0]["status"], 400, "{refused:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_webhook_attempt_is_logged_with_the_record_it_is_about() {
    let dir = tempfile::tempdir().unwrap();
    let database = crate::binary::sqlite_url(&dir, "attempts.db");
    let integration = crate::binary::credential(&database, "integration");
    let server =
        crate::binary::Server::start(&database, &[("WEBHOOK_ALLOW_PRIVATE_NETWORKS", "true")]);
    let receiver = crate::receiver::Receiver::start().await;
    let token = server
        .access_token(&json!({
            "grant_type": "client_credentials",
            "client_id": integration["client_id"],
            "client_secret": integration["client_secret"],
        }))
        .await;
    let graphql = async |query: &str, variables: serde_json::Value| {
        crate::raw::Raw::post(format!("{}/graphql", server.base_url))
            .bearer(Some(&token))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .body
    };
    for topic in ["customers.create", "customer_password_resets.destroy"] {
        let webhook = graphql(
            "mutation($topic: String!, $url: String!) { createWebhook(input: { name: \"crm\", topic: $topic, callbackUrl: $url }) { id } }",
            json!({ "topic": topic, "url": receiver.url("/events") }),
        )
        .await;
        assert!(
            webhook["data"]["createWebhook"]["id"].is_string(),
            "{webhook}"
        );
    }
    let created = graphql(
        "mutation { createCustomer(input: { email: \"ada@example.com\" }) { id } }",
        json!({}),
    )
    .await;
    let customer = created["data"]["createCustomer"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    let reset = graphql("mutation { createCustomerPasswordReset(input: { customerEmail: \"ada@example.com\" }) { id } }", json!({})).await;
    let reset = reset["data"]["createCustomerPasswordReset"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{reset}"))
        .to_owned();
    let deleted = graphql(
        "mutation($id: ID!) { deleteCustomerPasswordReset(id: $id) }",
        json!({ "id": reset }),
    )
    .await;
    assert_eq!(
        deleted["data"]["deleteCustomerPasswordReset"],
        json!(reset),
        "{deleted}"
    );

    let attempts = eventually(async || {
        let log = server.log();
        let attempts: Vec<serde_json::Value> = log
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|entry| entry["message"] == "webhook attempt")
            .collect();
        match attempts.len() {
            2 => Ok(attempts),
            _ => Err(format!("not two webhook attempts in:\n{log}")),
        }
    })
    .await;
    let about = |topic: &str| {
        let attempt = attempts
            .iter()
            .find(|a| a["topic"] == topic)
            .unwrap_or_else(|| panic!("{topic}: {attempts:?}"));
        assert_eq!(attempt["outcome"], "delivered", "{attempt}");
        attempt["resource"].clone()
    };
    assert_eq!(about("customers.create"), json!(customer));
    assert_eq!(about("customer_password_resets.destroy"), json!(reset));
}
