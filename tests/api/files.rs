//! Files the service writes: the SQLite database (which holds the token signing key when
//! none is configured) and its `-wal` and `-shm` companions are readable by the
//! service's user only, in a folder of its own when the service creates it.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde_json::json;

use crate::binary::{Server, credential};
use crate::raw::Raw;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn companion(file: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

/// A token request: a write (the credential's lookup and the rate-limit counter).
async fn write_something(server: &Server, client_id: &str, secret: &str) {
    let grant = json!({ "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret });
    let answer = Raw::post(format!("{}/oauth/token", server.base_url))
        .json(&grant)
        .send()
        .await
        .body;
    assert!(answer["access_token"].is_string(), "{answer}");
    let create = "mutation { createCustomer(input: { email: \"files@example.com\" }) { id } }";
    let created = Raw::post(format!("{}/graphql", server.base_url))
        .bearer(answer["access_token"].as_str())
        .json(&json!({ "query": create }))
        .send()
        .await
        .body;
    assert!(created["errors"].is_null(), "{created}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_sqlite_database_and_its_companions_are_readable_by_the_owner_only() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("data").join("nested").join("gateway.db");
    let database = format!("sqlite://{}", file.display());
    let integration = credential(&database, "integration");
    let server = Server::start(&database, &[]);
    write_something(
        &server,
        integration["client_id"].as_str().unwrap(),
        integration["client_secret"].as_str().unwrap(),
    )
    .await;
    assert_eq!(mode(&file), 0o600, "the database");
    assert_eq!(mode(&companion(&file, "-wal")), 0o600, "its -wal");
    assert_eq!(mode(&companion(&file, "-shm")), 0o600, "its -shm");
    assert_eq!(
        mode(&home.path().join("data")),
        0o700,
        "the folder it created"
    );
    assert_eq!(mode(&home.path().join("data/nested")), 0o700);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn looser_modes_of_an_existing_database_are_tightened_at_start() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("old.db");
    let database = format!("sqlite://{}", file.display());
    let integration = credential(&database, "integration");
    let server = Server::start(&database, &[]);
    write_something(
        &server,
        integration["client_id"].as_str().unwrap(),
        integration["client_secret"].as_str().unwrap(),
    )
    .await;
    // Killed: its -wal and -shm stay behind, as after a crash.
    drop(server);
    let files = [
        file.clone(),
        companion(&file, "-wal"),
        companion(&file, "-shm"),
    ];
    for path in &files {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let server = Server::start(&database, &[]);
    for path in &files {
        assert_eq!(mode(path), 0o600, "{} tightened", path.display());
    }
    let log = server.log();
    let said = log
        .lines()
        .filter(|line| line.contains("permissions tightened"))
        .count();
    assert!(said >= 1, "a log line says so: {log}");
}
