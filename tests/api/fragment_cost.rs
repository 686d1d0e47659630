//! A document's cost is counted with its fragments expanded, before it is validated or
//! run (issue 17, finding 2): fragment bombs, wide fan-outs and fragments under pages are
//! refused at once as too complex, cycles as cycles, and ordinary documents with
//! fragments still run. The attacks go to the real binary: on a build without the count,
//! each held a core for many seconds (the 26-level bomb for minutes), and killing the
//! process is the only way to stop one.
//! The count runs before any database work: these run on SQLite.

use std::time::Duration;

use serde_json::{Value, json};

use crate::binary::{Server, sqlite_url};
use crate::fixtures::{Callers, create_reset};
use crate::harness::{TestApp, error_code, on_both_databases};
use crate::raw::Raw;

/// `operation` with `{}` replaced by a spread of F0; F0 spreads F1 `width` times, F1
/// spreads F2 as often, and so on for `levels` levels, down to `leaf`.
fn explosion(operation: &str, on: &str, width: usize, levels: usize, leaf: &str) -> String {
    let mut text = operation.replace("{}", "...F0");
    for level in 0..levels {
        let spreads = format!("...F{} ", level + 1).repeat(width);
        text.push_str(&format!(" fragment F{level} on {on} {{ {spreads}}}"));
    }
    text.push_str(&format!(" fragment F{levels} on {on} {{ {leaf} }}"));
    text
}

/// Posts `document` anonymously; the status and answer, within a few seconds or not at all.
async fn post(server: &Server, document: &str) -> (u16, Value) {
    let answer = Raw::post(format!("{}/graphql", server.base_url))
        .accept("application/graphql-response+json")
        .json(&json!({ "query": document }))
        .timeout(Duration::from_secs(10))
        .try_send()
        .await
        .unwrap_or_else(|e| panic!("no answer within 10 s: {e}"));
    (answer.status, answer.body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragment_bombs_are_refused_as_too_complex_before_they_run() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&sqlite_url(&dir, "fragments.db"), &[]);
    let attacks = [
        // The document: 26 levels of doubling, about 1 KB.
        explosion("query { {} }", "QueryRoot", 2, 26, "__typename"),
        // Wide: 300 spreads a fragment, three levels.
        explosion("{ {} }", "QueryRoot", 300, 3, "__typename"),
        // Under a page of records.
        explosion(
            "{ customers(first: 25) { edges { node { {} } } } }",
            "Customer",
            2,
            22,
            "id",
        ),
    ];
    for document in attacks {
        assert!(document.len() < 16 * 1024);
        let (status, answer) = post(&server, &document).await;
        assert_eq!(status, 400, "{answer}");
        assert_eq!(error_code(&answer), Some("GRAPHQL_VALIDATION_FAILED"));
        assert_eq!(answer["errors"][0]["message"], "Query is too complex.");
    }
    let cycle =
        "{ ...A } fragment A on QueryRoot { __typename ...B } fragment B on QueryRoot { ...A }";
    let (status, answer) = post(&server, cycle).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(error_code(&answer), Some("GRAPHQL_VALIDATION_FAILED"));
    let message = answer["errors"][0]["message"].as_str().unwrap();
    assert!(message.starts_with("Cannot spread fragment"), "{message}");
    // A chain of fragments nests as deep as it is long, though no bracket does.
    let chain = explosion("{ {} }", "QueryRoot", 1, 100, "__typename");
    let (status, answer) = post(&server, &chain).await;
    assert_eq!(status, 400, "{answer}");
    let message = answer["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("nest deeper than 64 levels"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_document_is_not_kept_with_the_parsed_documents() {
    let app = TestApp::spawn(crate::harness::Backend::Sqlite)
        .await
        .unwrap();
    let bomb = explosion("{ {} }", "QueryRoot", 2, 20, "__typename");
    let answer = (app.http.post(format!("{}/graphql", app.base_url)))
        .json(&json!({ "query": bomb }))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(answer["errors"][0]["message"], "Query is too complex.");
    assert!(app.state().parsed_documents.get(&bomb).is_none());
    let fine = "{ __typename }";
    app.graphql(None, fine, json!({})).await;
    assert!(app.state().parsed_documents.get(fine).is_some());
}

on_both_databases! {
    async fn documents_with_fragments_and_typenames_as_apollo_sends_them_still_run(app: TestApp) {
        let who = Callers::new(&app).await;
        create_reset(&app, &who.integration, "me@example.com").await;
        // Apollo Client adds `__typename` to every selection set; each costs 1 here. This
        // one costs 1,276 of the 2,000 by default.
        let query = "query Everyone($resets: Int) { customers(first: 25) { __typename totalCount \
            edges { __typename cursor node { ...CustomerParts \
            passwordResets(first: $resets) { __typename edges { __typename node { ...ResetParts } } } } } } } \
            fragment CustomerParts on Customer { __typename id email hasPassword } \
            fragment ResetParts on CustomerPasswordReset { __typename id status expiresAt }";
        let answer = app.graphql(Some(&who.integration), query, json!({ "resets": 5 })).await;
        assert!(answer["errors"].is_null(), "{answer}");
        let customers = answer["data"]["customers"]["edges"].as_array().unwrap();
        let me = customers.iter().find(|e| e["node"]["email"] == "me@example.com").unwrap();
        let resets = me["node"]["passwordResets"]["edges"].as_array().unwrap();
        assert_eq!(resets.len(), 1);
        assert_eq!(resets[0]["node"]["status"], "PENDING");
        // Asking for bigger pages of resets passes the limit: refused before it runs.
        let answer = app.graphql(Some(&who.integration), query, json!({ "resets": 25 })).await;
        assert_eq!(error_code(&answer), Some("GRAPHQL_VALIDATION_FAILED"), "{answer}");
        assert_eq!(answer["errors"][0]["message"], "Query is too complex.");
    }
}
