//! The command line as an operator uses it: credentials made by the binary work over HTTP.
//! The binary and the test share a SQLite file the test names; the commands' database
//! code is the service's own, tested on both databases elsewhere.

use serde_json::{Value, json};

use crate::binary::{run, sqlite_url};
use crate::harness::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_made_by_the_command_line_get_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite_url(&dir, "cli.db");
    let created = run(
        &database,
        &[
            "credentials",
            "create",
            "--role",
            "integration",
            "--mode",
            "live",
            "--name",
            "erp",
            "--json",
        ],
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let printed: Value = serde_json::from_slice(&created.stdout).unwrap();
    let (id, secret) = (
        printed["client_id"].as_str().unwrap(),
        printed["client_secret"].as_str().unwrap(),
    );

    let listed = String::from_utf8(run(&database, &["credentials", "list"]).stdout).unwrap();
    assert!(listed.contains(id) && listed.contains("integration") && listed.contains("live"));
    assert!(!listed.contains(secret), "the list never shows a secret");

    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.database_url = database.parse().unwrap()
    })
    .await
    .unwrap();
    let body =
        json!({ "grant_type": "client_credentials", "client_id": id, "client_secret": secret });
    let (status, answer) = app.oauth_json("/oauth/token", body.clone()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["scope"], "integration:live");

    let revoked = run(&database, &["credentials", "revoke", id]);
    assert!(revoked.status.success());
    let (status, _) = app.oauth_json("/oauth/token", body).await;
    assert_eq!(status, 401, "a revoked credential gets no token");
}

#[test]
fn a_sales_channel_has_no_secret_and_unknown_database_schemes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite_url(&dir, "cli.db");
    let created = run(
        &database,
        &[
            "credentials",
            "create",
            "--role",
            "sales_channel",
            "--mode",
            "test",
            "--name",
            "shop",
            "--json",
        ],
    );
    let printed: Value = serde_json::from_slice(&created.stdout).unwrap();
    assert!(printed["client_secret"].is_null());
    let refused = run("mysql://localhost/db", &["migrate"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("unsupported database URL scheme"));
}
