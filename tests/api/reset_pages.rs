//! `Customer.passwordResets` costs what its page holds: the loader reads at most the
//! page (and one more) of each customer's resets, however many a customer has, and
//! different windows in one request are never served from one batch.

use diesel::QueryableByName;
use diesel::sql_types::BigInt;
use reset_gateway::auth::{Mode, Role};
use reset_gateway::db::explain::rows_touched;
use reset_gateway::resets::queries::explain_page_for_customers;
use serde_json::json;

use crate::fixtures::create_reset;
use crate::harness::{Backend, TestApp, on_both_databases};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Gives customer `id` `count` more resets, straight in the database (`batch` keeps
/// their ids apart from an earlier call's).
async fn seed_resets(app: &TestApp, id: &str, batch: &str, count: i64) {
    let made: Vec<Count> = app
        .pg_rows(&format!(
            "WITH made AS (
                INSERT INTO customer_password_resets (id, mode, customer_id, customer_email,
                    token_digest, expires_at, metadata, created_at, updated_at)
                SELECT '{id}-{batch}-' || i, 'test', '{id}', 'x@example.com', md5('{id}{batch}' || i),
                       timestamp '2026-01-01', '{{}}',
                       timestamp '2026-01-01' + i * interval '1 second', timestamp '2026-01-01'
                FROM generate_series(1, {count}) i
                RETURNING 1)
             SELECT count(*) AS n FROM made"
        ))
        .await;
    assert_eq!(made[0].n, count);
    let _: Vec<Count> = app.pg_rows("ANALYZE customer_password_resets").await;
}

/// The rows the loader's statement reads for a page of 6 of each of these customers.
async fn rows_read(app: &TestApp, ids: &[String]) -> u64 {
    let mut conn = app.state().db.conn().await.unwrap();
    let plan = explain_page_for_customers(&mut conn, Mode::Test, ids, 6)
        .await
        .unwrap()
        .expect("a plan on PostgreSQL");
    rows_touched(&plan)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_the_reset_pages_read_do_not_grow_with_a_customers_resets() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    let token = app.token(Role::Integration, Mode::Test).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(
            app.customer(&token, &format!("c{n}@example.com"), None)
                .await,
        );
    }
    for id in &ids {
        seed_resets(&app, id, "a", 8).await;
    }
    let few = rows_read(&app, &ids).await;
    seed_resets(&app, &ids[0], "b", 5_000).await;
    let many = rows_read(&app, &ids).await;
    assert!(
        many <= few * 2,
        "with 5,000 more resets on one customer the page read {many} rows, against {few}"
    );
}

const WINDOWS: &str = "query($after: String) { customers(first: 5) { edges { node { email
    one: passwordResets(first: 1) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } }
    three: passwordResets(first: 3) { edges { node { id } } pageInfo { hasNextPage } }
    next: passwordResets(first: 2, after: $after) { edges { node { id } } pageInfo { hasNextPage hasPreviousPage } }
} } } }";

on_both_databases! {
    async fn different_windows_of_one_request_get_their_own_pages(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let mut made = Vec::new();
        for n in 0..2 {
            let email = format!("w{n}@example.com");
            app.customer(&token, &email, None).await;
            let mut ids = Vec::new();
            for _ in 0..4 {
                ids.push(create_reset(&app, &token, &email).await.0);
                app.advance(std::time::Duration::from_secs(1));
            }
            ids.reverse();
            made.push(ids);
        }
        let first = app.graphql(Some(&token), WINDOWS, json!({})).await;
        assert!(first["errors"].is_null(), "{first}");
        let cursor = first["data"]["customers"]["edges"][0]["node"]["one"]["pageInfo"]["endCursor"].clone();
        let answer = app.graphql(Some(&token), WINDOWS, json!({ "after": cursor })).await;
        assert!(answer["errors"].is_null(), "{answer}");
        let ids = |page: &serde_json::Value| -> Vec<String> {
            page["edges"].as_array().unwrap().iter()
                .map(|e| e["node"]["id"].as_str().unwrap().to_owned()).collect()
        };
        let node = &answer["data"]["customers"]["edges"][0]["node"];
        assert_eq!(ids(&node["one"]), made[0][..1], "{node}");
        assert_eq!(node["one"]["totalCount"], 4);
        assert_eq!(node["one"]["pageInfo"]["hasNextPage"], true);
        assert_eq!(ids(&node["three"]), made[0][..3], "{node}");
        assert_eq!(ids(&node["next"]), made[0][1..3], "{node}");
        assert_eq!(node["next"]["pageInfo"]["hasPreviousPage"], true);
        assert_eq!(node["next"]["pageInfo"]["hasNextPage"], true);
        let other = &answer["data"]["customers"]["edges"][1]["node"];
        assert_eq!(ids(&other["three"]), made[1][..3], "{other}");
    }
}
