//! The two migration trees build the same tables, columns and nullability.

use std::collections::BTreeMap;

use diesel::QueryableByName;
use diesel::sql_types::{Bool, Text};
use reset_gateway::db::{DatabaseUrl, run_migrations};

use crate::harness::{Backend, TestApp, on_both_databases};

/// table -> column -> nullable
type Shape = BTreeMap<String, BTreeMap<String, bool>>;

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Bool)]
    nullable: bool,
}

fn shape(columns: Vec<Column>) -> Shape {
    let mut shape = Shape::new();
    for c in columns {
        shape
            .entry(c.table_name)
            .or_default()
            .insert(c.column_name, c.nullable);
    }
    shape.remove("__diesel_schema_migrations");
    shape
}

async fn sqlite_shape() -> Shape {
    use diesel::Connection as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shape.db");
    run_migrations(&DatabaseUrl::Sqlite(path.clone()))
        .await
        .unwrap();
    let mut conn = diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    let query = diesel::sql_query(
        "SELECT m.name AS table_name, p.name AS column_name, p.\"notnull\" = 0 AS nullable \
         FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
    );
    shape(diesel::RunQueryDsl::load(query, &mut conn).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_migration_trees_build_the_same_tables() {
    let sqlite = sqlite_shape().await;
    assert!(
        sqlite.contains_key("customers"),
        "the SQLite tree creates the tables"
    );
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    let columns: Vec<Column> = app
        .pg_rows(
            "SELECT table_name::text AS table_name, column_name::text AS column_name, \
             is_nullable = 'YES' AS nullable FROM information_schema.columns WHERE table_schema = 'public'",
        )
        .await;
    let postgres = shape(columns);
    assert_eq!(
        sqlite, postgres,
        "migrations/sqlite and migrations/postgres disagree"
    );
}

on_both_databases! {
    async fn instances_started_together_migrate_once_and_share_the_signing_key(backend: Backend) {
        let Some(apps) = TestApp::spawn_together(backend, 4).await else {
            return;
        };
        // All four migrated the same database at once; a token from one works on the others:
        // they agree on the signing key kept in the database.
        let token = apps[0]
            .token(
                reset_gateway::auth::Role::Integration,
                reset_gateway::auth::Mode::Test,
            )
            .await;
        for app in &apps {
            let answer = app
                .graphql(
                    Some(&token),
                    "{ customers { totalCount } }",
                    serde_json::json!({}),
                )
                .await;
            assert_eq!(answer["data"]["customers"]["totalCount"], 0, "{answer}");
        }
    }
}

#[test]
fn the_migrate_command_applies_pending_migrations_once() {
    let dir = tempfile::tempdir().unwrap();
    let database = crate::binary::sqlite_url(&dir, "migrate.db");
    let first = crate::binary::run(&database, &["migrate"]);
    assert!(first.status.success());
    let applied: usize = String::from_utf8_lossy(&first.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(applied >= 3, "every migration ran: {applied}");
    let again = crate::binary::run(&database, &["migrate"]);
    assert!(String::from_utf8_lossy(&again.stdout).starts_with("0 migration"));
}
