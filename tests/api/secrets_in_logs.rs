//! Secrets never reach the logs: the real binary, logging at debug level in JSON, goes
//! through every flow that handles a secret (a webhook delivering a reset's token
//! included); none of them appears in what it wrote.

use serde_json::{Value, json};

use crate::binary::{Server, credential, sqlite_url};
use crate::eventually::eventually;
use crate::raw::Raw;
use crate::receiver::Receiver;

const OLD_PASSWORD: &str = "sentinel-old-password-4711";
const NEW_PASSWORD: &str = "sentinel-new-password-4712";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_password_token_or_secret_is_ever_logged() {
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite_url(&dir, "logs.db");
    let integration = credential(&database, "integration");
    let shop = credential(&database, "sales_channel");
    let server = Server::start(
        &database,
        &[
            ("RUST_LOG", "debug"),
            ("WEBHOOK_ALLOW_PRIVATE_NETWORKS", "true"),
        ],
    );
    let receiver = Receiver::start().await;
    let base = server.base_url.clone();

    let client_secret = integration["client_secret"].as_str().unwrap().to_owned();
    let token = server.access_token(&json!({
        "grant_type": "client_credentials", "client_id": integration["client_id"], "client_secret": client_secret,
    })).await;
    let shop_token = server
        .access_token(
            &json!({ "grant_type": "client_credentials", "client_id": shop["client_id"] }),
        )
        .await;
    let graphql = |token: String, query: &'static str, variables: Value| {
        let base = base.clone();
        async move {
            Raw::post(format!("{base}/graphql"))
                .bearer(Some(&token))
                .json(&json!({ "query": query, "variables": variables }))
                .send()
                .await
                .body
        }
    };
    let webhook = graphql(token.clone(), "mutation($url: String!) { createWebhook(input: { name: \"mail\", topic: \"customer_password_resets.create\", callbackUrl: $url }) { sharedSecret } }", json!({ "url": receiver.url("/resets") })).await;
    let shared_secret = webhook["data"]["createWebhook"]["sharedSecret"]
        .as_str()
        .unwrap_or_else(|| panic!("no webhook: {webhook}"))
        .to_owned();
    graphql(token.clone(), "mutation($p: String!) { createCustomer(input: { email: \"ada@example.com\", password: $p }) { id } }", json!({ "p": OLD_PASSWORD })).await;
    let login = Raw::post(format!("{base}/oauth/token")).json(&json!({
        "grant_type": "password", "client_id": shop["client_id"], "username": "ada@example.com", "password": OLD_PASSWORD,
    })).send().await.body;
    let refresh_token = login["refresh_token"].as_str().unwrap().to_owned();
    let created = graphql(token.clone(), "mutation { createCustomerPasswordReset(input: { customerEmail: \"ada@example.com\" }) { id resetPasswordToken } }", json!({})).await;
    let reset = &created["data"]["createCustomerPasswordReset"];
    let (id, reset_token) = (
        reset["id"].as_str().unwrap().to_owned(),
        reset["resetPasswordToken"].as_str().unwrap().to_owned(),
    );
    // The create event carries the token to the receiver; then the reset is redeemed.
    receiver
        .wait_for(1, std::time::Duration::from_secs(10))
        .await;
    let redeem = "mutation($id: ID!, $t: String!, $p: String!) { updateCustomerPasswordReset(id: $id, input: { resetPasswordToken: $t, customerPassword: $p }) { status } }";
    graphql(
        shop_token.clone(),
        redeem,
        json!({ "id": id, "t": "wrong-token-sentinel-4713", "p": NEW_PASSWORD }),
    )
    .await;
    let redeemed = graphql(
        shop_token.clone(),
        redeem,
        json!({ "id": id, "t": reset_token, "p": NEW_PASSWORD }),
    )
    .await;
    assert_eq!(
        redeemed["data"]["updateCustomerPasswordReset"]["status"], "USED",
        "{redeemed}"
    );
    let relogin = Raw::post(format!("{base}/oauth/token")).json(&json!({
        "grant_type": "password", "client_id": shop["client_id"], "username": "ada@example.com", "password": NEW_PASSWORD,
    })).send().await.body;
    Raw::post(format!("{base}/oauth/revoke"))
        .json(&json!({ "token": relogin["refresh_token"] }))
        .send()
        .await;
    Raw::post(format!("{base}/oauth/revoke"))
        .header("x-request-id", "the-last-request")
        .json(&json!({ "token": token }))
        .send()
        .await;

    // The log is read from the process's stderr as it comes: once the last request's
    // line and the webhook attempt's are in, everything before them is.
    let log = eventually(async || {
        let log = server.log();
        let entries = || {
            log.lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        };
        let last = entries().any(|entry| {
            entry["span"]["request_id"] == "the-last-request"
                && entry["message"] == "finished processing request"
        });
        let attempt = entries().any(|entry| {
            entry["fields"]["message"] == "webhook attempt" || entry["message"] == "webhook attempt"
        });
        match last && attempt {
            true => Ok(log),
            false => Err(format!(
                "the last request's line and a webhook attempt's in: {log}"
            )),
        }
    })
    .await;
    assert!(
        log.contains("/oauth/token") && log.contains("/graphql"),
        "requests are logged: {log}"
    );
    let secrets = [
        ("client secret", client_secret.as_str()),
        ("integration token", token.as_str()),
        ("sales channel token", shop_token.as_str()),
        ("refresh token", refresh_token.as_str()),
        ("reset token", reset_token.as_str()),
        ("webhook shared secret", shared_secret.as_str()),
        ("wrong reset token", "wrong-token-sentinel-4713"),
        ("old password", OLD_PASSWORD),
        ("new password", NEW_PASSWORD),
    ];
    for (what, secret) in secrets {
        assert!(!log.contains(secret), "the {what} reached the logs");
    }

    // Each webhook attempt has a line too, with its outcome.
    assert!(
        log.lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .any(|entry| entry["fields"]["message"] == "webhook attempt"
                || entry["message"] == "webhook attempt"),
        "a log line for the webhook attempt: {log}"
    );

    // Each GraphQL request has one line saying what it was and how it went.
    let created = log
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|entry| {
            entry["message"] == "graphql request"
                && entry["operation"] == "createCustomerPasswordReset"
        })
        .expect("a log line for the reset creation");
    assert_eq!(created["outcome"], "ok");
    assert_eq!(created["credential"], integration["client_id"]);
    assert!(created["duration_ms"].as_f64().is_some());
    assert!(
        created["span"]["request_id"]
            .as_str()
            .is_some_and(|id| id.len() == 20),
        "{created}"
    );
}
