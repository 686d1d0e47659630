//! GraphQL over HTTP as clients meet it: media types, GET and POST, status codes,
//! persisted queries, batches, the per-request limits, introspection, CORS and GraphiQL.
//! The HTTP layer does not depend on the database, so these run on SQLite.

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reset_gateway::auth::{Mode, Role};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::fixtures::{Callers, create_reset};
use crate::harness::{Backend, TestApp};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

async fn app() -> TestApp {
    TestApp::spawn(Backend::Sqlite).await.unwrap()
}

fn url(app: &TestApp) -> String {
    format!("{}/graphql", app.base_url)
}

/// POSTs a raw JSON body; returns status, content type and parsed body.
async fn post(
    app: &TestApp,
    accept: &str,
    token: Option<&str>,
    body: Value,
) -> (u16, String, Value) {
    let answer = app
        .raw_post("/graphql")
        .accept(accept)
        .bearer(token)
        .json(&body)
        .send()
        .await;
    let content_type = answer.header(CONTENT_TYPE.as_str()).unwrap().to_owned();
    (answer.status, content_type, answer.body)
}

fn code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_answer_has_the_media_type_the_client_accepts() {
    let app = app().await;
    let query = json!({ "query": "{ __typename }" });
    let (status, content_type, body) = post(&app, GRAPHQL_RESPONSE, None, query.clone()).await;
    assert_eq!(
        (status, content_type.as_str()),
        (200, "application/graphql-response+json; charset=utf-8")
    );
    assert_eq!(body["data"]["__typename"], "QueryRoot");
    for accept in ["application/json", "*/*", ""] {
        let (_, content_type, _) = post(&app, accept, None, query.clone()).await;
        assert_eq!(
            content_type, "application/json; charset=utf-8",
            "accept {accept:?}"
        );
    }
    let refused = app
        .http
        .post(url(&app))
        .header(ACCEPT, "text/plain")
        .json(&query)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 406);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_run_over_get_but_mutations_are_refused_with_405() {
    let app = app().await;
    let ok = app
        .http
        .get(url(&app))
        .query(&[("query", "{ __typename }")])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let mutation = app
        .http
        .get(url(&app))
        .query(&[("query", "mutation { deleteCustomer(id: \"x\") }")])
        .send()
        .await
        .unwrap();
    assert_eq!(mutation.status(), 405);
    assert_eq!(mutation.headers()["allow"], "POST");
    let body: Value = mutation.json().await.unwrap();
    insta::assert_json_snapshot!("mutation_over_get", body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_the_right_4xx_and_never_a_5xx() {
    let app = app().await;
    let no_type = app
        .http
        .post(url(&app))
        .body("{\"query\":\"{ __typename }\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(no_type.status(), 415);
    let broken = app
        .http
        .post(url(&app))
        .header(CONTENT_TYPE, "application/json")
        .body("{\"query\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), 400);
    let mut refusals = Vec::new();
    for body in [
        json!({}),
        json!({ "query": 7 }),
        json!({ "query": "{ __typename }", "variables": "x" }),
        json!(42),
    ] {
        let (status, _, answer) = post(&app, GRAPHQL_RESPONSE, None, body.clone()).await;
        assert_eq!(status, 400, "{body}");
        assert!(code(&answer).is_some(), "{answer}");
        refusals.push(json!({ "request": body, "answer": answer }));
    }
    insta::assert_json_snapshot!("malformed_bodies", refusals);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn document_errors_are_400_without_data_for_graphql_response_json_and_200_for_json() {
    let app = app().await;
    let mut refusals = Vec::new();
    for query in [
        "{ nope }",
        "{ unclosed",
        "query($n: Int!) { customers(first: $n) { totalCount } }",
    ] {
        let (status, _, body) = post(&app, GRAPHQL_RESPONSE, None, json!({ "query": query })).await;
        assert_eq!(status, 400, "{query}");
        assert!(body.get("data").is_none(), "{body}");
        assert!(
            code(&body).is_some_and(|c| c.starts_with("GRAPHQL_")),
            "{body}"
        );
        refusals.push(json!({ "query": query, "answer": body }));
        let (status, _, body) =
            post(&app, "application/json", None, json!({ "query": query })).await;
        assert_eq!(status, 200, "{query}");
        assert!(body["errors"].is_array());
    }
    insta::assert_json_snapshot!("document_errors", refusals);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_persisted_query_is_asked_for_once_then_runs_from_its_hash_even_over_get() {
    let app = app().await;
    let query = "{ __typename }";
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256(query) } });
    let (status, _, miss) = post(
        &app,
        GRAPHQL_RESPONSE,
        None,
        json!({ "extensions": extensions }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(miss["errors"][0]["message"], "PersistedQueryNotFound");
    assert_eq!(code(&miss), Some("PERSISTED_QUERY_NOT_FOUND"));
    let (_, _, stored) = post(
        &app,
        GRAPHQL_RESPONSE,
        None,
        json!({ "query": query, "extensions": extensions }),
    )
    .await;
    assert_eq!(stored["data"]["__typename"], "QueryRoot");
    let by_hash = app
        .http
        .get(url(&app))
        .query(&[("extensions", extensions.to_string())])
        .send()
        .await
        .unwrap();
    let by_hash: Value = by_hash.json().await.unwrap();
    assert_eq!(by_hash["data"]["__typename"], "QueryRoot");
    let wrong = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256("{ other }") } });
    let (status, _, _) = post(
        &app,
        GRAPHQL_RESPONSE,
        None,
        json!({ "query": query, "extensions": wrong }),
    )
    .await;
    assert_eq!(status, 400, "a hash that is not the query's is refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_runs_each_operation_and_is_bounded() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.max_batch_size = 3)
        .await
        .unwrap();
    let (status, _, answers) = post(
        &app,
        "application/json",
        None,
        json!([{ "query": "{ __typename }" }, { "query": "{ customers { totalCount } }" }]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(answers[0]["data"]["__typename"], "QueryRoot");
    assert_eq!(
        answers[1]["errors"][0]["extensions"]["code"],
        "INVALID_TOKEN"
    );
    let too_many = Value::Array(vec![json!({ "query": "{ __typename }" }); 4]);
    let (status, _, _) = post(&app, "application/json", None, too_many).await;
    assert_eq!(status, 400);
    let off = TestApp::spawn_with(Backend::Sqlite, |c| c.max_batch_size = 0)
        .await
        .unwrap();
    let (status, _, _) = post(
        &off,
        "application/json",
        None,
        json!([{ "query": "{ __typename }" }]),
    )
    .await;
    assert_eq!(status, 400, "batching can be turned off");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_request_may_reset_at_most_one_password_whether_aliased_or_batched() {
    let app = app().await;
    let who = Callers::new(&app).await;
    let (id, token) = create_reset(&app, &who.integration, "me@example.com").await;
    let redeem = |alias: &str| {
        format!(
            "{alias}: updateCustomerPasswordReset(id: $id, input: {{ resetPasswordToken: $t, customerPassword: \"guess number one\" }}) {{ id }}"
        )
    };
    let aliased = format!(
        "mutation($id: ID!, $t: String!) {{ {} {} }}",
        redeem("a"),
        redeem("b")
    );
    let vars = json!({ "id": id, "t": token });
    let (status, _, body) = post(
        &app,
        GRAPHQL_RESPONSE,
        Some(&who.sales_channel),
        json!({ "query": aliased, "variables": vars }),
    )
    .await;
    assert_eq!(
        (status, code(&body)),
        (400, Some("GRAPHQL_VALIDATION_FAILED"))
    );
    let single = format!("mutation($id: ID!, $t: String!) {{ {} }}", redeem("a"));
    let batch =
        json!([{ "query": single, "variables": vars }, { "query": single, "variables": vars }]);
    let (status, _, answers) = post(&app, GRAPHQL_RESPONSE, Some(&who.sales_channel), batch).await;
    assert_eq!(status, 400, "a batch is one request");
    assert_eq!(
        answers.as_array().map(Vec::len),
        Some(2),
        "one refusal per operation: {answers}"
    );
    assert_eq!(
        answers[1]["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
    let read = app
        .graphql(
            Some(&who.integration),
            "query($id: ID!) { customerPasswordReset(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        read["data"]["customerPasswordReset"]["status"], "PENDING",
        "nothing ran"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_than_fifteen_aliases_are_refused() {
    let app = app().await;
    let fields = |n: usize| {
        (0..n)
            .map(|i| format!("a{i}: __typename"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (_, _, ok) = post(
        &app,
        GRAPHQL_RESPONSE,
        None,
        json!({ "query": format!("{{ {} }}", fields(15)) }),
    )
    .await;
    assert!(ok["errors"].is_null(), "{ok}");
    let (status, _, refused) = post(
        &app,
        GRAPHQL_RESPONSE,
        None,
        json!({ "query": format!("{{ {} }}", fields(16)) }),
    )
    .await;
    assert_eq!(
        (status, code(&refused)),
        (400, Some("GRAPHQL_VALIDATION_FAILED"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_is_for_integrations_and_can_be_turned_off() {
    let app = app().await;
    let introspect = json!({ "query": "{ __schema { queryType { name } } }" });
    let integration = app.token(Role::Integration, Mode::Test).await;
    let shop = app.token(Role::SalesChannel, Mode::Test).await;
    let (_, _, body) = post(
        &app,
        GRAPHQL_RESPONSE,
        Some(&integration),
        introspect.clone(),
    )
    .await;
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "QueryRoot");
    let (status, _, body) = post(&app, GRAPHQL_RESPONSE, Some(&shop), introspect.clone()).await;
    assert_eq!((status, code(&body)), (403, Some("UNAUTHORIZED")));
    let (status, _, body) = post(&app, GRAPHQL_RESPONSE, None, introspect.clone()).await;
    assert_eq!((status, code(&body)), (401, Some("INVALID_TOKEN")));

    let closed = TestApp::spawn_with(Backend::Sqlite, |c| c.introspection = false)
        .await
        .unwrap();
    let integration = closed.token(Role::Integration, Mode::Test).await;
    let (status, _, body) = post(&closed, GRAPHQL_RESPONSE, Some(&integration), introspect).await;
    assert_eq!(status, 400);
    assert!(body.get("data").is_none());
    let typo = json!({ "query": "{ customerz { totalCount } }" });
    let (_, _, body) = post(&closed, GRAPHQL_RESPONSE, Some(&integration), typo).await;
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        !message.contains("Did you mean"),
        "no field suggestions either: {message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_allows_the_configured_origins_and_apollos_headers() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.cors_origins = vec!["https://shop.example".into()]
    })
    .await
    .unwrap();
    let preflight = |origin: &'static str| {
        app.http
            .request(reqwest::Method::OPTIONS, url(&app))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type,apollographql-client-name",
            )
            .send()
    };
    let allowed = preflight("https://shop.example").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    let headers = allowed.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        headers.contains("authorization") && headers.contains("apollographql-client-name"),
        "{headers}"
    );
    let answer = app
        .http
        .post(url(&app))
        .header("origin", "https://shop.example")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    let exposed = answer.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        exposed.contains("x-ratelimit-remaining") && exposed.contains("x-request-id"),
        "{exposed}"
    );
    let other = preflight("https://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_is_served_from_the_service_when_its_files_are_installed() {
    let fallback = app().await;
    let page = |app: &TestApp| app.http.get(url(app)).header(ACCEPT, "text/html").send();
    let html = page(&fallback).await.unwrap().text().await.unwrap();
    assert!(html.contains("graphiql"), "the CDN page as the fallback");

    let assets = tempfile::tempdir().unwrap();
    for file in [
        "react.production.min.js",
        "react-dom.production.min.js",
        "graphiql.min.js",
        "graphiql.min.css",
    ] {
        std::fs::write(assets.path().join(file), format!("/* {file} */")).unwrap();
    }
    let local = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.graphiql_assets = assets.path().to_owned()
    })
    .await
    .unwrap();
    let response = page(&local).await.unwrap();
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("script-src 'self' 'sha256-"), "{policy}");
    let html = response.text().await.unwrap();
    assert!(
        html.contains("/graphiql/graphiql.min.js")
            && !html.contains("unpkg")
            && !html.contains("jsdelivr")
    );
    let script = local
        .http
        .get(format!("{}/graphiql/graphiql.min.js", local.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(
        script.headers()[CONTENT_TYPE],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(script.text().await.unwrap(), "/* graphiql.min.js */");
}

/// The `<script src>` and stylesheet `<link>` tags of a page.
fn external_tags(html: &str) -> Vec<&str> {
    html.split('<')
        .filter(|tag| tag.starts_with("script src=") || tag.starts_with("link rel=\"stylesheet\""))
        .map(|tag| tag.split('>').next().unwrap())
        .collect()
}

/// The page's inline scripts (tags without `src`).
fn inline_scripts(html: &str) -> Vec<&str> {
    html.split("<script>")
        .skip(1)
        .map(|rest| rest.split("</script>").next().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_graphiql_fallback_pins_its_cdn_files_by_hash_and_sends_a_policy() {
    use base64::Engine as _;
    let nothing_installed = tempfile::tempdir().unwrap();
    let fallback = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.graphiql_assets = nothing_installed.path().to_owned()
    })
    .await
    .unwrap();
    let response = fallback
        .http
        .get(url(&fallback))
        .header(ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    let policy = response
        .headers()
        .get("content-security-policy")
        .map(|v| v.to_str().unwrap().to_owned())
        .expect("a Content-Security-Policy header");
    let html = response.text().await.unwrap();
    let tags = external_tags(&html);
    assert_eq!(
        tags.len(),
        4,
        "React, ReactDOM, GraphiQL and its stylesheet: {html}"
    );
    for tag in tags {
        assert!(tag.contains("integrity=\"sha384-"), "{tag}");
        assert!(tag.contains("crossorigin=\"anonymous\""), "{tag}");
        let version = tag
            .split('@')
            .nth(1)
            .and_then(|v| v.split('/').next())
            .unwrap_or("");
        assert!(
            version.split('.').count() == 3 && version.split('.').all(|n| n.parse::<u32>().is_ok()),
            "an exact version: {tag}"
        );
    }
    assert!(policy.contains("default-src 'none'"), "{policy}");
    let scripts = policy
        .split(';')
        .find(|d| d.trim().starts_with("script-src"))
        .unwrap();
    assert!(
        !scripts.contains("unsafe-inline") && !scripts.contains('*'),
        "{policy}"
    );
    assert!(policy.contains("connect-src 'self'") && policy.contains("frame-ancestors 'none'"));
    for script in inline_scripts(&html) {
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script));
        assert!(
            scripts.contains(&format!("'sha256-{hash}'")),
            "the policy allows the page's own inline script: {policy}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_list_fields_in_the_order_the_query_asked_for_them() {
    let app = app().await;
    let who = Callers::new(&app).await;
    let (id, _) = create_reset(&app, &who.integration, "me@example.com").await;
    let query = "query($id: ID!) { customerPasswordReset(id: $id) { status id __typename expiresAt \
                 customerEmail } }";
    let text = app
        .http
        .post(url(&app))
        .bearer_auth(&who.integration)
        .json(&json!({ "query": query, "variables": { "id": id } }))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let position = |key: &str| {
        text.find(&format!("\"{key}\""))
            .unwrap_or_else(|| panic!("{key} is missing from {text}"))
    };
    let asked = [
        "customerPasswordReset",
        "status",
        "id",
        "__typename",
        "expiresAt",
        "customerEmail",
    ];
    let positions: Vec<usize> = asked.iter().map(|key| position(key)).collect();
    assert!(
        positions.windows(2).all(|pair| pair[0] < pair[1]),
        "fields out of the asked order in {text}"
    );
}
