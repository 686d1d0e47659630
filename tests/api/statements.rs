//! Lists cost a constant number of SQL statements whatever the page size: a page of resets
//! reads its customers in its own statement when asked for them, and the resets of each
//! customer come through a per-request data loader. The statements stay prepared.

use std::time::Duration;

use reset_gateway::auth::{Mode, Role};
use reset_gateway::config::Config;
use serde_json::json;

use crate::fixtures::create_reset;
use crate::harness::{Backend, TestApp, on_both_databases};

/// No background work sends a statement during a measurement: no revocation refresh, no
/// webhook sender's poll.
fn quiet(c: &mut Config) {
    c.revocation_refresh = Duration::from_secs(3600);
    c.webhook_poll_interval = Duration::from_secs(3600);
}

/// [`quiet`], on one pooled connection: every statement runs on the connection inspected.
fn quiet_on_one_connection(c: &mut Config) {
    quiet(c);
    c.db_pool_size = Some(1);
}

/// An integration token, after `customers` customers were created with `resets_each`
/// resets each; the resets' ids.
async fn seeded(app: &TestApp, customers: usize, resets_each: usize) -> (String, Vec<String>) {
    let token = app.token(Role::Integration, Mode::Test).await;
    let mut resets = Vec::new();
    for i in 0..customers {
        let email = format!("c{i:02}@example.com");
        app.customer(&token, &email, None).await;
        for _ in 0..resets_each {
            resets.push(create_reset(app, &token, &email).await.0);
        }
    }
    (token, resets)
}

/// The SQL statements one run of `query` sends.
async fn statements_for(app: &TestApp, token: &str, query: &str) -> u64 {
    let before = app.state().db.statements_sent();
    let answer = app.graphql(Some(token), query, json!({})).await;
    assert!(answer["errors"].is_null(), "{answer}");
    app.state().db.statements_sent() - before
}

on_both_databases! {
    #[config(quiet)]
    async fn list_statements_do_not_grow_with_the_page(app: TestApp) {
        let (token, _) = seeded(&app, 20, 2).await;
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
        // (a) the page with its customers joined, and its total; (b) the page, one batched
        // load of the customers' pages of resets and one batched count of them.
        for (counts, expected) in [(&resets_with_customer, 2), (&customers_with_resets, 3)] {
            assert!(
                counts.iter().all(|&n| n == expected),
                "expected {expected} statements whatever the page: {counts:?}"
            );
        }
    }

    #[config(quiet)]
    async fn each_aliased_window_of_a_customers_resets_costs_one_statement_whatever_the_page(app: TestApp) {
        // Windows of different sizes cannot share a load: each costs one batched
        // statement for the whole page (the cost limit bounds how many a document asks).
        let (token, _) = seeded(&app, 12, 3).await;
        let mut counts = Vec::new();
        for first in [5, 12] {
            for windows in 1..=3u64 {
                let aliases: String = (1..=windows)
                    .map(|n| format!("w{n}: passwordResets(first: {n}) {{ edges {{ node {{ id }} }} }} "))
                    .collect();
                let query = format!("{{ customers(first: {first}) {{ edges {{ node {{ id {aliases}}} }} }} }}");
                counts.push((first, windows, statements_for(&app, &token, &query).await));
            }
        }
        let expected: Vec<_> = counts.iter().map(|&(first, windows, _)| (first, windows, 1 + windows)).collect();
        assert_eq!(counts, expected, "(page size, windows, statements)");
    }

    #[config(quiet)]
    async fn a_reset_read_by_id_with_its_customer_costs_one_statement(app: TestApp) {
        let (token, resets) = seeded(&app, 1, 1).await;
        let id = &resets[0];
        let query = format!(
            "{{ customerPasswordReset(id: \"{id}\") {{ id status customer {{ id email }} }} }}"
        );
        assert_eq!(statements_for(&app, &token, &query).await, 1);
        let query = format!("{{ customerPasswordReset(id: \"{id}\") {{ id status }} }}");
        assert_eq!(statements_for(&app, &token, &query).await, 1);
    }

    #[config(quiet)]
    async fn a_redemption_writes_the_integrators_fields_only_when_it_is_given_some(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        // A member: a guest's first redemption also fires `customers.create_password`.
        app.customer(&token, "me@example.com", Some(crate::fixtures::PASSWORD)).await;
        let mut sent = Vec::new();
        for extra in ["", ", reference: \"CRM-7\""] {
            let (id, reset_token) = create_reset(&app, &token, "me@example.com").await;
            let redeem = format!(
                "mutation($id: ID!, $t: String!) {{ updateCustomerPasswordReset(id: $id, input: {{ resetPasswordToken: $t, customerPassword: \"a new and long password\"{extra} }}) {{ status }} }}"
            );
            let before = app.state().db.statements_sent();
            let answer = app.graphql(Some(&token), &redeem, json!({ "id": id, "t": reset_token })).await;
            assert_eq!(answer["data"]["updateCustomerPasswordReset"]["status"], "USED", "{answer}");
            sent.push(app.state().db.statements_sent() - before);
        }
        assert_eq!(sent[1], sent[0] + 1, "one more statement, for the reference alone: {sent:?}");
    }
}

#[derive(diesel::QueryableByName)]
struct Prepared {
    #[diesel(sql_type = diesel::sql_types::Text)]
    statement: String,
}

// Prepared statements are PostgreSQL's to inspect: the tests below run there only.
const PREPARED: &str = "SELECT statement FROM pg_prepared_statements";

/// The statements PostgreSQL holds prepared for the service's one pooled connection.
async fn prepared_on_the_connection(app: &TestApp) -> Vec<String> {
    let rows: Vec<Prepared> = app.pg_rows(PREPARED).await;
    rows.into_iter().map(|row| row.statement).collect()
}

/// The statements PostgreSQL holds prepared for the connection that plain reads share
/// (at this load, always the first one), after `query` ran `runs` times.
async fn prepared_after(app: &TestApp, token: &str, query: &str, runs: usize) -> Vec<String> {
    for _ in 0..runs {
        let answer = app.graphql(Some(token), query, json!({})).await;
        assert!(answer["errors"].is_null(), "{answer}");
    }
    let mut conn = app.state().db.read().await.unwrap();
    let reset_gateway::db::Conn::Pg(conn) = &mut conn else {
        panic!("a PostgreSQL connection")
    };
    let rows: Vec<Prepared> =
        diesel_async::RunQueryDsl::load(diesel::sql_query(PREPARED), &mut &**conn)
            .await
            .unwrap();
    rows.into_iter().map(|row| row.statement).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redemptions_writes_stay_prepared_instead_of_being_parsed_on_every_request() {
    let Some(app) = TestApp::spawn_with(Backend::Postgres, |c| {
        quiet_on_one_connection(c);
        c.rate_limit_redemptions = 1000;
    })
    .await
    else {
        return;
    };
    let (_, resets) = seeded(&app, 1, 1).await;
    let id = &resets[0];
    let sales_channel = app.token(Role::SalesChannel, Mode::Test).await;
    let wrong_token = |n: usize| format!("not the token {n}");
    for n in 0..3 {
        let answer = crate::fixtures::redeem(
            &app,
            &sales_channel,
            id,
            &wrong_token(n),
            "a long new password",
        )
        .await;
        assert!(!answer["errors"].is_null(), "{answer}");
    }
    let prepared = prepared_on_the_connection(&app).await;
    let kept = |start: &str| prepared.iter().filter(|s| s.starts_with(start)).count();
    let attempt = "UPDATE \"customer_password_resets\" SET \"reset_password_at\" = CASE";
    assert_eq!(kept(attempt), 1, "the attempt, once: {prepared:#?}");
    assert_eq!(
        kept("INSERT INTO \"rate_limits\""),
        1,
        "the redemption budget, once: {prepared:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_customers_pages_of_resets_stay_prepared_instead_of_being_planned_on_every_request() {
    let Some(app) = TestApp::spawn_with(Backend::Postgres, quiet_on_one_connection).await else {
        return;
    };
    let (token, _) = seeded(&app, 3, 1).await;
    let query = "{ customers(first: 3) { edges { node { passwordResets(first: 5) { edges { node { id } } } } } } }";
    let prepared = prepared_after(&app, &token, query, 3).await;
    let pages = prepared
        .iter()
        .filter(|s| s.contains(" UNION ALL "))
        .count();
    assert_eq!(
        pages, 1,
        "the statement of three customers' pages, once: {prepared:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_resets_with_their_customers_stays_prepared_instead_of_being_planned_on_every_request()
 {
    let Some(app) = TestApp::spawn_with(Backend::Postgres, quiet_on_one_connection).await else {
        return;
    };
    let (token, _) = seeded(&app, 3, 1).await;
    let query = "{ customerPasswordResets(first: 2) { edges { node { id customer { email } } } } }";
    let prepared = prepared_after(&app, &token, query, 3).await;
    let pages = prepared
        .iter()
        .filter(|s| s.contains("INNER JOIN \"customers\""))
        .count();
    assert_eq!(
        pages, 1,
        "the page joined with its customers, once: {prepared:#?}"
    );
}
