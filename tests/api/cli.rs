//! The command line as an operator uses it: credentials made by the binary work over HTTP.
//! The binary and the test share a SQLite file the test names; the commands' database
//! code is the service's own, tested on both databases elsewhere.

use serde_json::{Value, json};
use wait_timeout::ChildExt;

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

/// The binary's exit and what it wrote on stderr, or None when it still runs after 10 s
/// (it was killed).
fn exit_of(database: &str, args: &[&str]) -> Option<(std::process::ExitStatus, String)> {
    let mut child = crate::binary::command_with_database(database)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    match child
        .wait_timeout(std::time::Duration::from_secs(10))
        .unwrap()
    {
        Some(status) => {
            let mut stderr = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
            Some((status, stderr))
        }
        None => {
            child.kill().unwrap();
            child.wait().unwrap();
            None
        }
    }
}

#[test]
fn a_zero_period_for_a_background_task_or_a_zero_request_timeout_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite_url(&dir, "zero.db");
    for flag in [
        "--revocation-refresh",
        "--rate-limit-sync",
        "--request-timeout",
    ] {
        let exit = exit_of(&database, &["--listen", "127.0.0.1:0", flag, "0s", "serve"]);
        let (status, stderr) = exit.unwrap_or_else(|| panic!("{flag} 0s: the service started"));
        assert!(!status.success(), "{flag}");
        assert!(
            stderr.contains("must be longer than zero"),
            "{flag}: {stderr}"
        );
    }
}

/// Both databases take the statement timeout as a 32-bit count of milliseconds: PostgreSQL
/// refused every connection beyond it, and SQLite silently waited for no lock at all.
#[test]
fn a_statement_timeout_beyond_what_the_databases_hold_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite_url(&dir, "timeout.db");
    let exit = exit_of(
        &database,
        &[
            "--listen",
            "127.0.0.1:0",
            "--db-statement-timeout",
            "30d",
            "serve",
        ],
    );
    let (status, stderr) = exit.expect("--db-statement-timeout 30d: the service started");
    assert!(!status.success());
    assert!(stderr.contains("must be at most 24 days"), "{stderr}");
}
