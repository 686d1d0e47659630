//! Webhooks for tests that deliver: one call makes a webhook of a topic to a URL.

use serde_json::json;

use crate::harness::TestApp;

/// Creates a webhook of `topic` to `url`, including `include`, as the integration whose
/// token is `token`; returns its id and its shared secret (shown this once).
pub async fn webhook(
    app: &TestApp,
    token: &str,
    topic: &str,
    url: &str,
    include: &[&str],
) -> (String, String) {
    let answer = app
        .graphql(
            Some(token),
            "mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { id sharedSecret } }",
            json!({ "input": { "name": topic, "topic": topic, "callbackUrl": url, "includeResources": include } }),
        )
        .await;
    let created = &answer["data"]["createWebhook"];
    let id = created["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no webhook: {answer}"));
    let secret = created["sharedSecret"].as_str().unwrap();
    (id.to_owned(), secret.to_owned())
}
