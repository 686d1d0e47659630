//! Lists cost a constant number of SQL statements whatever the page size: the customer of
//! each reset and the resets of each customer come through per-request data loaders.

use std::time::Duration;

use reset_gateway::auth::{Mode, Role};
use serde_json::json;

use crate::fixtures::create_reset;
use crate::harness::{Backend, TestApp};

async fn statements_for(app: &TestApp, token: &str, query: &str) -> u64 {
    let before = app.state().db.statements_sent();
    let answer = app.graphql(Some(token), query, json!({})).await;
    assert!(answer["errors"].is_null(), "{answer}");
    app.state().db.statements_sent() - before
}

async fn list_statements_do_not_grow_with_the_page(backend: Backend) {
    // No background revocation refresh may run during a measurement.
    let Some(app) = TestApp::spawn_with(backend, |c| {
        c.revocation_refresh = Duration::from_secs(3600)
    })
    .await
    else {
        return;
    };
    let token = app.token(Role::Integration, Mode::Test).await;
    for i in 0..20 {
        let email = format!("c{i:02}@example.com");
        app.customer(&token, &email, None).await;
        create_reset(&app, &token, &email).await;
        create_reset(&app, &token, &email).await;
    }
    let mut resets_with_customer = Vec::new();
    let mut customers_with_resets = Vec::new();
    for first in [2, 5, 10, 20] {
        let a = format!(
            "{{ customerPasswordResets(first: {first}) {{ totalCount edges {{ node {{ id customer {{ email }} }} }} }} }}"
        );
        resets_with_customer.push(statements_for(&app, &token, &a).await);
        let b = format!(
            "{{ customers(first: {first}) {{ edges {{ node {{ email passwordResets(first: 5) {{ totalCount edges {{ node {{ id status }} }} }} }} }} }} }}"
        );
        customers_with_resets.push(statements_for(&app, &token, &b).await);
    }
    // (a) the page, its total and one batched load of customers; (b) the page and one
    // batched load of resets.
    for (counts, expected) in [(&resets_with_customer, 3), (&customers_with_resets, 2)] {
        assert!(
            counts.iter().all(|&n| n == expected),
            "expected {expected} statements whatever the page: {counts:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_statements_do_not_grow_with_the_page_on_sqlite() {
    list_statements_do_not_grow_with_the_page(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_statements_do_not_grow_with_the_page_on_postgres() {
    list_statements_do_not_grow_with_the_page(Backend::Postgres).await;
}
