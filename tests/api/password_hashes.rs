//! Password hashes, the costliest thing a request can ask for: at most one per request
//! wherever the password comes from.

use reset_gateway::auth::{Mode, Role};
use serde_json::{Value, json};

use crate::fixtures::PASSWORD;
use crate::harness::{TestApp, on_both_databases};

/// POSTs a body to `/graphql`; the status, the `Retry-After` header and the JSON answer.
async fn post(app: &TestApp, token: Option<&str>, body: Value) -> (u16, Option<String>, Value) {
    let mut request = app
        .http
        .post(format!("{}/graphql", app.base_url))
        .header("accept", "application/graphql-response+json")
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (
        status,
        retry_after,
        response.json().await.unwrap_or(Value::Null),
    )
}

async fn customer_count(app: &TestApp, integration: &str) -> i64 {
    let answer = app
        .graphql(Some(integration), "{ customers { totalCount } }", json!({}))
        .await;
    answer["data"]["customers"]["totalCount"]
        .as_i64()
        .unwrap_or_else(|| panic!("{answer}"))
}

fn sign_up(alias: &str, input: &str) -> String {
    format!("{alias}: createCustomer(input: {input}) {{ id }}")
}

on_both_databases! {
    async fn one_request_hashes_at_most_one_password_wherever_it_comes_from(app: TestApp) {
        let integration = app.token(Role::Integration, Mode::Test).await;
        let shop = app.token(Role::SalesChannel, Mode::Test).await;
        let refused = [
            // The finding: a variable's default, under aliases, from a public client.
            json!({ "query": format!(
                "mutation($p: String = \"{PASSWORD}\") {{ {} {} }}",
                sign_up("a", "{ email: \"a@example.com\", password: $p }"),
                sign_up("b", "{ email: \"b@example.com\", password: $p }"),
            ) }),
            // A whole input as a variable's default, and inline.
            json!({ "query": format!(
                "mutation($i: CreateCustomerInput = {{ email: \"c@example.com\", password: \"{PASSWORD}\" }}) {{ {} {} }}",
                sign_up("c", "$i"),
                sign_up("d", &format!("{{ email: \"d@example.com\", password: \"{PASSWORD}\" }}")),
            ) }),
            // A whole input as a given variable, twice through named and inline fragments.
            json!({
                "query": format!(
                    "mutation($i: CreateCustomerInput!) {{ ...F ... on MutationRoot {{ {} }} }}
                     fragment F on MutationRoot {{ {} }}",
                    sign_up("e", "$i"),
                    sign_up("f", &format!("{{ email: \"f@example.com\", password: \"{PASSWORD}\" }}")),
                ),
                "variables": { "i": { "email": "e@example.com", "password": PASSWORD } },
            }),
        ];
        for body in refused {
            let (status, _, answer) = post(&app, Some(&shop), body.clone()).await;
            assert_eq!(
                (status, answer["errors"][0]["extensions"]["code"].as_str()),
                (400, Some("GRAPHQL_VALIDATION_FAILED")),
                "{body}: {answer}"
            );
        }
        // A batch is one request: one password each, from variable defaults, is two.
        let one = format!(
            "mutation($p: String = \"{PASSWORD}\") {{ {} }}",
            sign_up("a", "{ email: \"g@example.com\", password: $p }")
        );
        let batch = json!([{ "query": one }, { "query": one.replace("g@", "h@") }]);
        let (status, _, answers) = post(&app, Some(&shop), batch).await;
        assert_eq!(status, 400, "{answers}");
        assert_eq!(answers[1]["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED");
        assert_eq!(customer_count(&app, &integration).await, 0, "nothing ran");
        // One password from a variable's default is one: it runs.
        let (status, _, answer) = post(&app, Some(&shop), json!({ "query": one })).await;
        assert_eq!(status, 200, "{answer}");
        assert!(answer["errors"].is_null(), "{answer}");
        assert_eq!(customer_count(&app, &integration).await, 1);
    }
}
