//! Password hashes, the costliest thing a request can ask for: at most one per request
//! wherever the password comes from, none for a change bound to fail, and a bounded
//! queue that refuses at once when full and never computes a hash nobody waits for.

use std::time::Duration;

use reset_gateway::auth::{Mode, Role};
use reset_gateway::config::Config;
use serde_json::{Value, json};

use crate::eventually::eventually_within;
use crate::fixtures::{Callers, PASSWORD};
use crate::harness::{TestApp, on_both_databases};

/// POSTs a body to `/graphql`; the status, the `Retry-After` header and the JSON answer.
async fn post(app: &TestApp, token: Option<&str>, body: Value) -> (u16, Option<String>, Value) {
    let answer = app
        .raw_post("/graphql")
        .accept("application/graphql-response+json")
        .bearer(token)
        .json(&body)
        .send()
        .await;
    let retry_after = answer.header("retry-after").map(str::to_owned);
    (answer.status, retry_after, answer.body)
}

/// Waits until a metric reads `value` (the hash threads report what they do).
async fn until(app: &TestApp, name: &str, value: u64) {
    eventually_within(Duration::from_secs(30), async || {
        match app.metric(name).await {
            seen if seen == value => Ok(()),
            seen => Err(format!("{name} is {seen}, not {value}")),
        }
    })
    .await
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

/// One hash thread, one waiting place, and hashes slow enough (about a second) that a
/// test sees them running and waiting.
fn one_slow_hash_at_a_time(c: &mut Config) {
    c.hash_concurrency = 1;
    c.hash_queue_length = Some(1);
    c.argon2_memory_kib = 128 * 1024;
    c.argon2_iterations = 8;
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

    async fn a_change_bound_to_fail_costs_no_password_hash(app: TestApp) {
        let who = Callers::new(&app).await;
        let guest = app.customer(&who.integration, "guest@example.com", None).await;
        let before = app.metric("password_hashes_computed").await;
        let taken = app
            .graphql(
                Some(&who.sales_channel),
                "mutation($p: String!) { createCustomer(input: { email: \"ME@example.com\", password: $p }) { id } }",
                json!({ "p": "a brand new password" }),
            )
            .await;
        let ext = &taken["errors"][0]["extensions"];
        assert_eq!((ext["pointer"].as_str(), ext["error"].as_str()), (Some("/input/email"), Some("taken")), "{taken}");
        let update = "mutation($id: ID!, $input: UpdateCustomerInput!) { updateCustomer(id: $id, input: $input) { id } }";
        let taken = app
            .graphql(
                Some(&who.integration),
                update,
                json!({ "id": guest, "input": { "email": "other@example.com", "password": "a brand new password" } }),
            )
            .await;
        let ext = &taken["errors"][0]["extensions"];
        assert_eq!((ext["pointer"].as_str(), ext["error"].as_str()), (Some("/input/email"), Some("taken")), "{taken}");
        let already = app
            .graphql(
                Some(&who.integration),
                update,
                json!({ "id": who.me, "input": { "password": "a brand new password" } }),
            )
            .await;
        assert_eq!(already["errors"][0]["extensions"]["error"], "already_set", "{already}");
        assert_eq!(
            app.metric("password_hashes_computed").await,
            before,
            "no argon2 hash for a change that was refused"
        );
        // The same update with a free email does hash, once.
        let done = app
            .graphql(
                Some(&who.integration),
                update,
                json!({ "id": guest, "input": { "email": "free@example.com", "password": "a brand new password" } }),
            )
            .await;
        assert!(done["errors"].is_null(), "{done}");
        assert_eq!(app.metric("password_hashes_computed").await, before + 1);
    }

    async fn a_full_hash_queue_refuses_at_once_with_429(app: TestApp) {
        let slow = app.sibling(one_slow_hash_at_a_time).await;
        let integration = slow.token(Role::Integration, Mode::Test).await;
        let shop = slow.credential(Role::SalesChannel, Mode::Test).await;
        let create = |email: &str| {
            json!({
                "query": "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }",
                "variables": { "i": { "email": email, "password": PASSWORD } },
            })
        };
        let base = slow.base_url.clone();
        let send = |body: Value| {
            let (http, url, token) = (slow.http.clone(), format!("{base}/graphql"), integration.clone());
            tokio::spawn(async move {
                let response = http.post(url).bearer_auth(token).json(&body).send().await.unwrap();
                (response.status().as_u16(), response.json::<Value>().await.unwrap())
            })
        };
        slow.customer(&integration, "taken@example.com", None).await;
        let running = send(create("running@example.com"));
        until(&slow, "password_hashes_running", 1).await;
        let waiting = send(create("waiting@example.com"));
        until(&slow, "password_hashes_waiting", 1).await;

        // Refused before its input is even read: its email is taken too.
        let (status, retry_after, answer) = post(&slow, Some(&integration), create("taken@example.com")).await;
        assert_eq!((status, retry_after.as_deref()), (429, Some("1")), "{answer}");
        assert_eq!(answer["errors"][0]["extensions"]["code"], "TOO_MANY_REQUESTS");
        let login = slow
            .http
            .post(format!("{}/oauth/token", slow.base_url))
            .form(&[("grant_type", "password"), ("client_id", &shop.id), ("username", "someone@example.com"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), 429, "a login needs a hash too");
        assert_eq!(login.headers()["retry-after"], "1");
        let body: Value = login.json().await.unwrap();
        assert_eq!(body["error"], "too_many_requests");
        assert_eq!(slow.metric("password_hashes_refused").await, 2);

        for admitted in [running, waiting] {
            let (status, answer) = admitted.await.unwrap();
            assert_eq!(status, 200, "{answer}");
            assert!(answer["errors"].is_null(), "the admitted ones ran: {answer}");
        }
        assert_eq!(customer_count(&slow, &integration).await, 3);
    }

    async fn a_queued_hash_whose_request_has_gone_is_never_computed(app: TestApp) {
        let slow = app
            .sibling(|c| {
                one_slow_hash_at_a_time(c);
                c.request_timeout = Duration::from_millis(300);
            })
            .await;
        let integration = app.token(Role::Integration, Mode::Test).await;
        let before = slow.metric("password_hashes_computed").await;
        let create = |email: &str| {
            json!({
                "query": "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }",
                "variables": { "i": { "email": email, "password": PASSWORD } },
            })
        };
        let base = slow.base_url.clone();
        let first = {
            let (http, token, body) = (slow.http.clone(), integration.clone(), create("first@example.com"));
            let url = format!("{base}/graphql");
            tokio::spawn(async move { http.post(url).bearer_auth(token).json(&body).send().await.unwrap().status().as_u16() })
        };
        until(&slow, "password_hashes_running", 1).await;
        // Queued behind the running hash, it outlives its request's time limit.
        let (status, _, _) = post(&slow, Some(&integration), create("gone@example.com")).await;
        assert_eq!(status, 408);
        assert_eq!(first.await.unwrap(), 408);
        until(&slow, "password_hashes_running", 0).await;
        until(&slow, "password_hashes_waiting", 0).await;
        assert_eq!(slow.metric("password_hashes_dropped").await, 1);
        assert_eq!(
            slow.metric("password_hashes_computed").await,
            before + 1,
            "only the hash that had started ran"
        );
    }
}
