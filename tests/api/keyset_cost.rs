//! On PostgreSQL, a page after a cursor deep in a list reads about as many rows as the
//! first page: the plan of the very statement the list runs, under `EXPLAIN ANALYZE`.

use chrono::NaiveDateTime;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text, Timestamp};
use reset_gateway::auth::Mode;
use reset_gateway::customers::queries::explain_list;
use reset_gateway::customers::{CustomerFilter, CustomerSort, CustomerSortField};
use reset_gateway::db::explain::rows_touched;
use reset_gateway::listing::{Direction, Keyset, PageWindow, SortValue};

use crate::harness::{Backend, TestApp};

const SEEDED: i64 = 5_000;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Key {
    #[diesel(sql_type = Timestamp)]
    created_at: NaiveDateTime,
    #[diesel(sql_type = Text)]
    email: String,
    #[diesel(sql_type = Text)]
    id: String,
}

/// The rows the page of 25 (and the one more that tells `hasNextPage`) reads.
async fn rows_read(app: &TestApp, sort: CustomerSort, after: Option<Keyset>) -> u64 {
    let mut conn = app.state().db.conn().await.unwrap();
    let window = PageWindow { after, limit: 26 };
    let plan = explain_list(
        &mut conn,
        Mode::Test,
        &CustomerFilter::default(),
        sort,
        window,
    )
    .await
    .unwrap()
    .expect("a plan on PostgreSQL");
    let read = rows_touched(&plan);
    assert!(read >= 26, "the page was read: {plan}");
    read
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_a_page_deep_in_a_list_reads_about_as_many_rows_as_the_first() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    // Creation times tie in pairs, so that the id breaks ties on the way.
    let made: Vec<Count> = app
        .pg_rows(&format!(
            "WITH made AS (
                INSERT INTO customers (id, mode, email, metadata, created_at, updated_at)
                SELECT 'seed' || lpad(i::text, 6, '0'), 'test', 'e' || md5(i::text) || '@example.com',
                       '{{}}', timestamp '2026-01-01' + (i / 2) * interval '1 second',
                       timestamp '2026-01-01'
                FROM generate_series(1, {SEEDED}) i
                RETURNING 1)
             SELECT count(*) AS n FROM made"
        ))
        .await;
    assert_eq!(made[0].n, SEEDED);
    let _: Vec<Count> = app.pg_rows("ANALYZE customers").await;
    for (field, direction, order) in [
        (
            CustomerSortField::CreatedAt,
            Direction::Asc,
            "created_at, id",
        ),
        (
            CustomerSortField::CreatedAt,
            Direction::Desc,
            "created_at DESC, id DESC",
        ),
        (CustomerSortField::Email, Direction::Asc, "email, id"),
    ] {
        let sort = CustomerSort { field, direction };
        let first = rows_read(&app, sort, None).await;
        // Half-way, and nine tenths in (as page 900,000 of 1,000,000): an offset would read
        // every row before the position.
        for position in [SEEDED / 2, SEEDED * 9 / 10] {
            let key: Vec<Key> = app
                .pg_rows(&format!(
                    "SELECT created_at, email, id FROM customers WHERE mode = 'test'
                     ORDER BY {order} OFFSET {position} LIMIT 1"
                ))
                .await;
            let key = &key[0];
            let value = match field {
                CustomerSortField::CreatedAt => SortValue::Time(key.created_at),
                _ => SortValue::Text(Some(key.email.clone())),
            };
            let after = Keyset {
                value,
                id: key.id.clone(),
            };
            let deep = rows_read(&app, sort, Some(after)).await;
            assert!(
                deep <= first * 2,
                "{field:?} {direction:?}: the page after position {position} read {deep} rows, the first {first}"
            );
        }
    }
}
