//! The committed `schema.graphql` is the served schema.
//! The schema does not depend on the database: this runs on SQLite.

use crate::harness::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_committed_schema_is_the_served_schema() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let served = app.get_text("/schema.graphql").await;
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert_same_schema(&served, &committed);
}

/// Fails with the first line that differs, and how to bring the file up to date.
fn assert_same_schema(actual: &str, committed: &str) {
    if actual == committed {
        return;
    }
    let line = actual
        .lines()
        .zip(committed.lines())
        .position(|(a, c)| a != c)
        .unwrap_or_else(|| actual.lines().count().min(committed.lines().count()));
    panic!(
        "schema.graphql differs from the served schema at line {}: served {:?}, committed {:?}. \
         Run `cargo run -- schema > schema.graphql`.",
        line + 1,
        actual.lines().nth(line),
        committed.lines().nth(line)
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
    assert_same_schema(&String::from_utf8(output.stdout).unwrap(), &committed);
}

#[test]
fn every_schema_item_has_a_description() {
    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
    let sdl =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    let document = async_graphql::parser::parse_schema(&sdl).unwrap();
    let mut missing = Vec::new();
    for definition in document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let ty = ty.node;
        let name = ty.name.node.to_string();
        if ty.description.is_none() {
            missing.push(name.clone());
        }
        match ty.kind {
            TypeKind::Object(object) => {
                for field in object.fields {
                    let field = field.node;
                    if field.description.is_none() {
                        missing.push(format!("{name}.{}", field.name.node));
                    }
                    for argument in field.arguments {
                        if argument.node.description.is_none() {
                            missing.push(format!(
                                "{name}.{}({})",
                                field.name.node, argument.node.name.node
                            ));
                        }
                    }
                }
            }
            TypeKind::InputObject(input) => {
                for field in input.fields {
                    if field.node.description.is_none() {
                        missing.push(format!("{name}.{}", field.node.name.node));
                    }
                }
            }
            TypeKind::Enum(values) => {
                for value in values.values {
                    if value.node.description.is_none() {
                        missing.push(format!("{name}.{}", value.node.value.node));
                    }
                }
            }
            _ => {}
        }
    }
    assert!(
        missing.is_empty(),
        "schema items without a description: {missing:?}"
    );
}
