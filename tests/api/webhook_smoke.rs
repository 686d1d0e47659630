//! TEMPORARY smoke test of the outbox end to end.

use std::sync::{Arc, Mutex};

use reset_gateway::auth::{Mode, Role};
use serde_json::{Value, json};

use crate::harness::on_both_databases;

async fn receiver() -> (String, Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>>) {
    let got: Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>> = Default::default();
    let sink = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push((headers, body));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

on_both_databases! {
    async fn a_reset_creation_is_delivered_with_its_token(app: TestApp) {
        let (url, got) = receiver().await;
        let token = app.token(Role::Integration, Mode::Test).await;
        let answer = app.graphql(Some(&token), "mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { id sharedSecret } }",
            json!({"input": {"name": "mail", "topic": "customer_password_resets.create", "callbackUrl": url, "includeResources": ["customer"]}})).await;
        assert!(answer["errors"].is_null(), "{answer}");
        app.customer(&token, "ada@example.com", Some("correct horse battery")).await;
        let created = app.graphql(Some(&token), "mutation { createCustomerPasswordReset(input: {customerEmail: \"ada@example.com\"}) { id resetPasswordToken } }", json!({})).await;
        assert!(created["errors"].is_null(), "{created}");
        let started = std::time::Instant::now();
        while got.lock().unwrap().is_empty() && started.elapsed().as_secs() < 5 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let got = got.lock().unwrap();
        assert_eq!(got.len(), 1);
        let body: Value = serde_json::from_str(&got[0].1).unwrap();
        assert_eq!(body["data"]["attributes"]["reset_password_token"], created["data"]["createCustomerPasswordReset"]["resetPasswordToken"]);
        eprintln!("{}ms {}", started.elapsed().as_millis(), body);
    }
}
