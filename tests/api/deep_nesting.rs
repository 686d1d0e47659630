//! Nesting is bounded before anything recurses on it (issue 17, finding 1): documents,
//! `variables` and JSON bodies nested deeper than `MAX_NESTING` are refused with a 400,
//! and the process lives. Run against the real binary: on a build without the bound, the
//! first of these requests overflowed a worker's stack and aborted the whole process.

use std::time::Duration;

use serde_json::{Value, json};

use crate::binary::{Server, sqlite_url};
use crate::raw::Raw;

/// A server of the release or debug binary on a fresh database.
fn serve(env: &[(&str, &str)]) -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&sqlite_url(&dir, "nesting.db"), env);
    (dir, server)
}

fn nested(open: &str, inner: &str, close: &str, levels: usize) -> String {
    format!("{}{inner}{}", open.repeat(levels), close.repeat(levels))
}

/// Sends a request; its status and JSON answer. Panics, with the server's last words,
/// when the server does not answer or has died.
async fn send(server: &mut Server, request: reqwest::RequestBuilder) -> (u16, Value) {
    let answer = Raw::from_builder(request)
        .accept("application/graphql-response+json")
        .timeout(Duration::from_secs(20))
        .try_send()
        .await;
    let alive = server.process().try_wait().unwrap().is_none();
    match answer {
        Ok(answer) if alive => (answer.status, answer.body),
        answer => {
            let log = server.log();
            let tail: Vec<&str> = log.lines().rev().take(4).collect();
            panic!("the service died or did not answer ({answer:?}); its last lines: {tail:?}");
        }
    }
}

fn code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_and_json_nested_too_deep_are_refused_and_the_service_lives() {
    let (_dir, mut server) = serve(&[]);
    let http = reqwest::Client::new();
    let graphql = format!("{}/graphql", server.base_url);
    let lists = |n| format!("{{__typename(x:{})}}", nested("[", "1", "]", n));
    let objects = |n| format!("{{__typename(x:{})}}", nested("{a:", "1", "}", n));
    for document in [objects(300), lists(400), lists(1_500), objects(1_500)] {
        let (status, answer) = send(
            &mut server,
            http.post(&graphql).json(&json!({ "query": document })),
        )
        .await;
        assert_eq!(
            (status, code(&answer)),
            (400, "GRAPHQL_PARSE_FAILED"),
            "{answer}"
        );
        let message = answer["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("nested deeper than 64 levels"),
            "{message}"
        );
    }
    // Over GET, and in a batch.
    let get = http.get(&graphql).query(&[("query", lists(1_500))]);
    let (status, answer) = send(&mut server, get).await;
    assert_eq!(
        (status, code(&answer)),
        (400, "GRAPHQL_PARSE_FAILED"),
        "{answer}"
    );
    let batch = json!([{ "query": "{ __typename }" }, { "query": objects(1_500) }]);
    let (status, answer) = send(&mut server, http.post(&graphql).json(&batch)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer[0]["data"]["__typename"], "QueryRoot");
    assert_eq!(code(&answer[1]), "GRAPHQL_PARSE_FAILED", "{answer}");

    // Variables: just within serde_json's own limit, well past ours.
    let deep_variables = format!(
        r#"{{"query":"query($x: JSON) {{ __typename }}","variables":{{"x":{}}}}}"#,
        nested("[", "1", "]", 120)
    );
    let post = http
        .post(&graphql)
        .header("content-type", "application/json");
    let (status, answer) = send(&mut server, post.body(deep_variables)).await;
    assert_eq!((status, code(&answer)), (400, "BAD_REQUEST"), "{answer}");
    let variables = format!(r#"{{"x":{}}}"#, nested("{\"a\":", "1", "}", 100));
    let get = http
        .get(&graphql)
        .query(&[("query", "{ __typename }"), ("variables", &variables)]);
    let (status, answer) = send(&mut server, get).await;
    assert_eq!((status, code(&answer)), (400, "BAD_REQUEST"), "{answer}");

    // The token endpoints' JSON bodies.
    for path in ["/oauth/token", "/oauth/revoke"] {
        let body = format!(r#"{{"grant_type":{}}}"#, nested("[", "1", "]", 100_000));
        let request = http
            .post(format!("{}{path}", server.base_url))
            .header("content-type", "application/json")
            .body(body);
        let (status, answer) = send(&mut server, request).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some("invalid_request")),
            "{answer}"
        );
    }

    // Up to the limit, documents are parsed (and here fail validation, as they should).
    let document = format!("{{ customer(id: {}) {{ id }} }}", nested("[", "1", "]", 62));
    let (_, answer) = send(
        &mut server,
        http.post(&graphql).json(&json!({ "query": document })),
    )
    .await;
    assert_eq!(code(&answer), "GRAPHQL_VALIDATION_FAILED", "{answer}");
    let health = http
        .get(format!("{}/health", server.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_highest_nesting_limit_still_fits_a_worker_threads_stack() {
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite_url(&dir, "ceiling.db");
    let refused = crate::binary::run(&database, &["--max-nesting", "129", "schema"]);
    assert!(!refused.status.success(), "MAX_NESTING is at most 128");
    let client = crate::binary::credential(&database, "integration");
    let mut server = Server::start(&database, &[("MAX_NESTING", "128")]);
    let http = reqwest::Client::new();
    let token = server
        .access_token(&json!({ "grant_type": "client_credentials", "client_id": client["client_id"], "client_secret": client["client_secret"] }))
        .await;
    let graphql = format!("{}/graphql", server.base_url);
    // The document's selection set and argument list take two of the 128 levels.
    for value in [nested("[", "1", "]", 125), nested("{a:", "1", "}", 125)] {
        let document = format!(
            "{{ customerPasswordResets(filter: {{ metadataJcont: {value} }}) {{ totalCount }} }}"
        );
        let request = http
            .post(&graphql)
            .bearer_auth(&token)
            .json(&json!({ "query": document }));
        let (status, answer) = send(&mut server, request).await;
        assert!(status < 500, "{status} {answer}");
    }
    // The body's object and `variables` take two.
    let body = format!(
        r#"{{"query":"query($m: JSON) {{ customerPasswordResets(filter: {{ metadataJcont: $m }}) {{ totalCount }} }}","variables":{{"m":{}}}}}"#,
        nested("{\"a\":", "1", "}", 126)
    );
    let request = (http.post(&graphql).bearer_auth(&token))
        .header("content-type", "application/json")
        .body(body);
    let (status, answer) = send(&mut server, request).await;
    assert!(status < 500, "{status} {answer}");
}
