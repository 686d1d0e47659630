//! Bad input never gets a 5xx or a panic, and no document makes the cost analysis work
//! past its budget: random GraphQL documents (issue 17's hostile shapes among them),
//! variables, JSON and form bodies and headers, thrown at `/graphql` and `/oauth/token`
//! of one running service, after the committed corpus in `tests/fuzz-corpus/` (read by
//! `fuzz_input`, as the coverage-guided fuzzer of `scripts/fuzz.sh` reads it). proptest keeps any input
//! that fails in `tests/api/fuzz.proptest-regressions`, replayed first on later runs.
//! The inputs are refused or answered by the HTTP and GraphQL layers, so one service on
//! SQLite serves them all (a second run on PostgreSQL would double the time, not the reach).

use std::sync::OnceLock;

use proptest::prelude::*;
use reset_gateway::auth::{Mode, Role};
use serde_json::Value;

use crate::fuzz_input;
use crate::harness::{Backend, TestApp};

/// One service and one runtime for every case.
struct Target {
    runtime: tokio::runtime::Runtime,
    app: TestApp,
    token: String,
}

fn target() -> &'static Target {
    static TARGET: OnceLock<Target> = OnceLock::new();
    TARGET.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (app, token) = runtime.block_on(async {
            let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
            let token = app.token(Role::Integration, Mode::Test).await;
            app.customer(&token, "fuzz@example.com", None).await;
            (app, token)
        });
        Target {
            runtime,
            app,
            token,
        }
    })
}

/// Sends a raw request; returns the status (the test fails on a 5xx or a dead server).
fn send(
    path: &str,
    content_type: Option<&str>,
    accept: Option<&str>,
    authorization: Option<&str>,
    body: Vec<u8>,
) -> u16 {
    send_as("POST", path, content_type, accept, authorization, body)
}

fn send_as(
    method: &str,
    path: &str,
    content_type: Option<&str>,
    accept: Option<&str>,
    authorization: Option<&str>,
    body: Vec<u8>,
) -> u16 {
    let target = target();
    target.runtime.block_on(async {
        let mut request = match method {
            "GET" => target.app.raw_get(path),
            _ => target.app.raw_post(path).body(body),
        };
        for (name, value) in [
            ("content-type", content_type),
            ("accept", accept),
            ("authorization", authorization),
        ] {
            if let Some(value) = value {
                request = request.header(name, value);
            }
        }
        let status = match request.try_send().await {
            Ok(answer) => answer.status,
            // reqwest refuses some header bytes itself: nothing reached the service.
            Err(e) if e.is_builder() => 400,
            Err(e) => panic!("the service did not answer: {e}"),
        };
        let alive = target.app.raw_get("/health").try_send().await;
        assert!(alive.is_ok_and(|a| a.status == 200), "the service died");
        status
    })
}

/// The work oracle on a document sent to the service.
fn check_work(document: &str, variables: &serde_json::Map<String, Value>) -> Result<(), String> {
    let app = &target().app;
    let paged = &app.state().paged_fields;
    fuzz_input::check_work(document, variables, paged, app.config.max_nesting)
}

#[test]
fn the_committed_corpus_gets_no_5xx_and_no_runaway_analysis() {
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz-corpus");
    let mut replayed = 0;
    for entry in std::fs::read_dir(corpus).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "README.md" {
            continue;
        }
        let request = fuzz_input::read(&std::fs::read(entry.path()).unwrap());
        for (document, variables) in fuzz_input::documents(&request) {
            if let Err(why) = check_work(&document, &variables) {
                panic!("{name}: {why}");
            }
        }
        let authorization = request
            .as_integration
            .then(|| format!("Bearer {}", target().token));
        let status = send_as(
            request.method,
            &request.path,
            request.content_type.as_deref(),
            None,
            authorization.as_deref(),
            request.body,
        );
        assert!(status < 500, "{name} got {status}");
        replayed += 1;
    }
    assert!(replayed >= 30, "the corpus was read");
}

/// GraphQL-ish text: real tokens of the schema and the language, shuffled.
fn document() -> impl Strategy<Value = String> {
    let words = prop::sample::select(vec![
        "{",
        "}",
        "(",
        ")",
        ":",
        "$x",
        "...",
        "query",
        "mutation",
        "fragment f on QueryRoot",
        "customers",
        "customer",
        "id",
        "email",
        "edges",
        "node",
        "first:",
        "after:",
        "25",
        "-1",
        "\"x\"",
        "null",
        "[",
        "]",
        "__schema",
        "__type",
        "__typename",
        "passwordResets",
        "customerPasswordResets",
        "createCustomer",
        "updateCustomerPasswordReset",
        "input:",
        "a:",
        "@skip(if: true)",
        "\u{0}",
        "#",
        ",",
        "\\u0000",
    ]);
    prop_oneof![
        prop::collection::vec(words, 0..40).prop_map(|w| w.join(" ")),
        ".{0,200}"
    ]
}

/// The shapes of issue 17's attacks, at random sizes: nested lists and objects,
/// fragments spread many times a level, chains of fragments, in and out of pages.
fn hostile_document() -> impl Strategy<Value = String> {
    let nesting = (1..400usize, any::<bool>()).prop_map(|(levels, lists)| {
        let (open, close) = if lists { ("[", "]") } else { ("{a:", "}") };
        format!(
            "{{ __typename(x: {}1{}) }}",
            open.repeat(levels),
            close.repeat(levels)
        )
    });
    let fragments = (1..300usize, 1..40usize, 0..3usize).prop_map(|(width, levels, place)| {
        let (operation, on, leaf) = match place {
            0 => ("{ ...F0 }", "QueryRoot", "__typename"),
            1 => (
                "{ customers(first: 25) { edges { node { ...F0 } } } }",
                "Customer",
                "id",
            ),
            _ => (
                "{ ... on QueryRoot { ...F0 } }",
                "QueryRoot",
                "... on QueryRoot { __typename }",
            ),
        };
        let mut text = operation.to_owned();
        for level in 0..levels {
            let spreads = format!("...F{} ", level + 1).repeat(width);
            text.push_str(&format!(" fragment F{level} on {on} {{ {spreads}}}"));
        }
        text.push_str(&format!(" fragment F{levels} on {on} {{ {leaf} }}"));
        text
    });
    prop_oneof![nesting, fragments]
        .prop_filter("within the document size limit", |d| d.len() <= 16 * 1024)
}

/// Any JSON value, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,30}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z_]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn header_value() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        Just("application/json".to_owned()),
        Just("application/graphql-response+json".to_owned()),
        Just("application/x-www-form-urlencoded".to_owned()),
        Just("text/html;q=0.1, */*;q=0".to_owned()),
        "[ -~]{0,40}",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: Some(Box::new(
        proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"))), ..ProptestConfig::default() })]

    #[test]
    fn random_graphql_requests_get_no_5xx(
        query in document(),
        variables in json_value(),
        operation in prop::option::of(".{0,12}"),
        wrap_in_batch in any::<bool>(),
        accept in header_value(),
        with_token in any::<bool>(),
    ) {
        let mut request = serde_json::json!({ "query": query, "variables": variables, "operationName": operation });
        if wrap_in_batch {
            request = serde_json::json!([request]);
        }
        let authorization = with_token.then(|| format!("Bearer {}", target().token));
        let status = send("/graphql", Some("application/json"), accept.as_deref(), authorization.as_deref(), request.to_string().into_bytes());
        prop_assert!(status < 500, "status {}", status);
        let variables = variables.as_object().cloned().unwrap_or_default();
        prop_assert!(check_work(&query, &variables).is_ok(), "{:?}", check_work(&query, &variables));
    }

    #[test]
    fn hostile_documents_get_no_5xx_and_no_runaway_analysis(document in hostile_document()) {
        let body = serde_json::json!({ "query": document }).to_string().into_bytes();
        let status = send("/graphql", Some("application/json"), None, None, body);
        prop_assert!(status < 500, "status {}", status);
        let work = check_work(&document, &serde_json::Map::new());
        prop_assert!(work.is_ok(), "{:?}", work);
    }

    #[test]
    fn random_bodies_and_headers_get_no_5xx(
        body in prop_oneof![json_value().prop_map(|v| v.to_string().into_bytes()), prop::collection::vec(any::<u8>(), 0..300)],
        content_type in header_value(),
        accept in header_value(),
        authorization in prop::option::of("(Bearer )?[ -~]{0,60}"),
        to_token_endpoint in any::<bool>(),
    ) {
        let path = if to_token_endpoint { "/oauth/token" } else { "/graphql" };
        let status = send(path, content_type.as_deref(), accept.as_deref(), authorization.as_deref(), body);
        prop_assert!(status < 500, "status {}", status);
    }

    #[test]
    fn random_token_forms_get_no_5xx(
        fields in prop::collection::vec((
            prop::sample::select(vec!["grant_type", "client_id", "client_secret", "username", "password", "refresh_token", "token"]),
            prop_oneof![
                prop::sample::select(vec!["client_credentials", "password", "refresh_token", ""]).prop_map(str::to_owned),
                ".{0,40}",
            ],
        ), 0..6),
        as_json in any::<bool>(),
    ) {
        let (content_type, body) = if as_json {
            let object: serde_json::Map<String, Value> = fields.iter().map(|(k, v)| (k.to_string(), Value::String(v.clone()))).collect();
            ("application/json", Value::Object(object).to_string())
        } else {
            ("application/x-www-form-urlencoded", serde_urlencoded::to_string(&fields).unwrap_or_default())
        };
        let status = send("/oauth/token", Some(content_type), None, None, body.into_bytes());
        prop_assert!(status < 500, "status {}", status);
    }
}
