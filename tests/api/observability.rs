//! What operators see: request ids, and Prometheus metrics for requests, latency, the
//! pool, the password-hash queue and SQL statements.

use reset_gateway::auth::{Mode, Role};
use serde_json::json;

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
