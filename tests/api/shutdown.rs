//! Graceful shutdown: on SIGTERM the service stops accepting, lets in-flight requests
//! finish (here a deliberately slow password reset), then exits 0.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::binary::{Server, credential, sqlite_url};
use crate::eventually::eventually;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_a_slow_reset_finish_then_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite_url(&dir, "shutdown.db");
    let integration = credential(&database, "integration");
    let shop = credential(&database, "sales_channel");
    // About a second per hash, so that the request is surely in flight at SIGTERM.
    let mut server = Server::start(
        &database,
        &[("ARGON2_MEMORY_KIB", "262144"), ("ARGON2_ITERATIONS", "4")],
    );
    let base = server.base_url.clone();
    let http = reqwest::Client::new();
    let integration_token = server
        .access_token(&json!({
            "grant_type": "client_credentials", "client_id": integration["client_id"], "client_secret": integration["client_secret"],
        }))
        .await;
    let shop_token = server
        .access_token(
            &json!({ "grant_type": "client_credentials", "client_id": shop["client_id"] }),
        )
        .await;
    let graphql = |token: String, query: &'static str, variables: Value| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            http.post(format!("{base}/graphql"))
                .bearer_auth(token)
                .json(&json!({ "query": query, "variables": variables }))
                .send()
                .await
        }
    };
    graphql(
        integration_token.clone(),
        "mutation { createCustomer(input: { email: \"guest@example.com\" }) { id } }",
        json!({}),
    )
    .await
    .unwrap();
    let created: Value = graphql(
        integration_token,
        "mutation { createCustomerPasswordReset(input: { customerEmail: \"guest@example.com\" }) { id resetPasswordToken } }",
        json!({}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let reset = &created["data"]["createCustomerPasswordReset"];
    let in_flight = tokio::spawn(graphql(
        shop_token,
        "mutation($id: ID!, $t: String!) { updateCustomerPasswordReset(id: $id, input: { resetPasswordToken: $t, customerPassword: \"a slow new password\" }) { status } }",
        json!({ "id": reset["id"], "t": reset["resetPasswordToken"] }),
    ));
    // SIGTERM once the request is surely in flight: its new password is being hashed.
    eventually(
        async || match server.metric("password_hashes_running").await {
            1 => Ok(()),
            running => Err(format!("{running} hashes running")),
        },
    )
    .await;
    let signalled = Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &server.process().id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());

    let answer: Value = in_flight
        .await
        .unwrap()
        .expect("the in-flight request is answered")
        .json()
        .await
        .unwrap();
    assert_eq!(
        answer["data"]["updateCustomerPasswordReset"]["status"], "USED",
        "{answer}"
    );
    let left = Duration::from_secs(15).saturating_sub(signalled.elapsed());
    let status = server
        .exit_within(left, "the service did not exit after SIGTERM")
        .await;
    assert_eq!(status.code(), Some(0));
    assert!(
        http.get(format!("{base}/health")).send().await.is_err(),
        "nothing listens any more"
    );
}
