//! On PostgreSQL, plain reads share a few connections (`DB_READ_CONNECTIONS`) beside the
//! pool, so that reads arriving together are pipelined on them.

use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use reset_gateway::auth::{Mode, Role};
use serde_json::json;

use crate::eventually::eventually;
use crate::fixtures::create_reset;
use crate::harness::{Backend, TestApp};

const FIND: &str = "query($id: ID!) { customerPasswordReset(id: $id) { id status } }";

/// The server processes of the test's database whose last statement read a reset by id.
async fn backends_that_read_a_reset(app: &TestApp) -> Vec<i32> {
    #[derive(QueryableByName)]
    struct Backend {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pid: i32,
    }
    let rows: Vec<Backend> = app
        .pg_rows(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
             AND pid <> pg_backend_pid() \
             AND query LIKE 'SELECT %FROM \"customer_password_resets\" WHERE%'",
        )
        .await;
    rows.into_iter().map(|row| row.pid).collect()
}

async fn app_with_one_read_connection() -> Option<(TestApp, String, String)> {
    let app = TestApp::spawn_with(Backend::Postgres, |c| {
        c.db_read_connections = 1;
        c.db_pool_size = Some(10);
    })
    .await?;
    let token = app.token(Role::Integration, Mode::Test).await;
    app.customer(&token, "me@example.com", None).await;
    let (id, _) = create_reset(&app, &token, "me@example.com").await;
    Some((app, token, id))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reads_sent_together_all_travel_on_the_one_configured_read_connection() {
    let Some((app, token, id)) = app_with_one_read_connection().await else {
        return;
    };
    let reads = (0..24).map(|_| app.graphql(Some(&token), FIND, json!({ "id": id })));
    for answer in futures_util::future::join_all(reads).await {
        assert_eq!(
            answer["data"]["customerPasswordReset"]["id"], id,
            "{answer}"
        );
    }
    let readers = backends_that_read_a_reset(&app).await;
    assert_eq!(readers.len(), 1, "server processes that read: {readers:?}");
    let metrics = app.get_text("/metrics").await;
    for line in [
        "reset_gateway_db_read_connections 1\n",
        "reset_gateway_db_reads_in_flight 0\n",
    ] {
        assert!(metrics.contains(line), "{line:?} in:\n{metrics}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_connection_the_server_closed_is_replaced_before_the_next_read() {
    let Some((app, token, id)) = app_with_one_read_connection().await else {
        return;
    };
    let answer = app.graphql(Some(&token), FIND, json!({ "id": id })).await;
    assert_eq!(
        answer["data"]["customerPasswordReset"]["id"], id,
        "{answer}"
    );
    let [reader] = backends_that_read_a_reset(&app).await[..] else {
        panic!("one read connection")
    };
    let mut conn = app.state().db.conn().await.unwrap();
    db_run!(&mut conn, |c| {
        diesel::sql_query(format!("SELECT pg_terminate_backend({reader})"))
            .execute(c)
            .await
    })
    .unwrap();
    drop(conn);
    // The server closes the socket; the service's end sees it at once, but not
    // synchronously with the statement above: then it counts no open read connection.
    eventually(async || match app.metric("db_read_connections").await {
        0 => Ok(()),
        open => Err(format!("{open} read connections still open")),
    })
    .await;

    let answer = app.graphql(Some(&token), FIND, json!({ "id": id })).await;
    assert_eq!(
        answer["data"]["customerPasswordReset"]["id"], id,
        "{answer}"
    );
    let now = backends_that_read_a_reset(&app).await;
    assert!(
        now.len() == 1 && now[0] != reader,
        "a new read connection, not {reader}: {now:?}"
    );
}
