//! The committed `schema.graphql` is the served schema.

use crate::harness::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_committed_schema_is_the_served_schema() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let served = app
        .http
        .get(format!("{}/schema.graphql", app.base_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert!(
        served == committed,
        "schema.graphql differs from the served schema: run `cargo run -- schema > schema.graphql`"
    );
}

#[test]
fn the_schema_command_prints_the_committed_schema() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_reset-gateway"))
        .arg("schema")
        .output()
        .unwrap();
    assert!(output.status.success());
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert_eq!(String::from_utf8(output.stdout).unwrap(), committed);
}
