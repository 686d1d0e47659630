//! On PostgreSQL, a page after a cursor deep in a list reads about as many rows as the
//! first page: the plans of the very statements the list runs, under `EXPLAIN ANALYZE`.
//! Nullable sorts too, on either side of the values' end and across it, however large
//! the table grows.

use chrono::NaiveDateTime;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text, Timestamp};
use reset_gateway::auth::Mode;
use reset_gateway::customers::queries::explain_list;
use reset_gateway::customers::{CustomerFilter, CustomerSort, CustomerSortField};
use reset_gateway::db::explain::rows_touched;
use reset_gateway::listing::{Direction, Keyset, PageWindow, SortValue};
use reset_gateway::resets::queries::explain_list as explain_reset_list;
use reset_gateway::resets::{ResetFilter, ResetSort, ResetSortField};

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
    let read = plan.iter().map(rows_touched).sum();
    assert!(read >= 26, "the page was read: {plan:?}");
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

#[derive(QueryableByName)]
struct NullableKey {
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    value: Option<String>,
    #[diesel(sql_type = Text)]
    id: String,
}

/// A list sorted by one of its nullable fields.
#[derive(Clone, Copy, Debug)]
enum NullableSort {
    Customers(CustomerSortField, Direction),
    Resets(ResetSortField, Direction),
}

impl NullableSort {
    fn table(self) -> &'static str {
        match self {
            NullableSort::Customers(..) => "customers",
            NullableSort::Resets(..) => "customer_password_resets",
        }
    }

    fn column(self) -> &'static str {
        match self {
            NullableSort::Customers(CustomerSortField::Reference, _)
            | NullableSort::Resets(ResetSortField::Reference, _) => "reference",
            _ => "reference_origin",
        }
    }

    fn direction(self) -> Direction {
        match self {
            NullableSort::Customers(_, d) | NullableSort::Resets(_, d) => d,
        }
    }

    /// The documented order, in SQL: nulls last ascending, first descending.
    fn order(self) -> String {
        let column = self.column();
        match self.direction() {
            Direction::Asc => format!("{column} ASC NULLS LAST, id ASC"),
            Direction::Desc => format!("{column} DESC NULLS FIRST, id DESC"),
        }
    }

    /// The rows a page of 25 (+1) after `after` reads, over every statement it runs.
    async fn rows_read(self, app: &TestApp, after: Option<Keyset>) -> u64 {
        let mut conn = app.state().db.conn().await.unwrap();
        let window = PageWindow { after, limit: 26 };
        let plans = match self {
            NullableSort::Customers(field, direction) => explain_list(
                &mut conn,
                Mode::Test,
                &CustomerFilter::default(),
                CustomerSort { field, direction },
                window,
            )
            .await
            .unwrap(),
            NullableSort::Resets(field, direction) => explain_reset_list(
                &mut conn,
                Mode::Test,
                &ResetFilter::default(),
                ResetSort { field, direction },
                window,
            )
            .await
            .unwrap(),
        }
        .expect("plans on PostgreSQL");
        let returned: u64 = plans
            .iter()
            .map(|p| p["Plan"]["Actual Rows"].as_u64().unwrap_or(0))
            .sum();
        assert_eq!(returned, 26, "a full page: {plans:?}");
        plans.iter().map(rows_touched).sum()
    }

    /// The key of the record at `position` in the list's order.
    async fn key_at(self, app: &TestApp, position: i64) -> Keyset {
        let key: Vec<NullableKey> = app
            .pg_rows(&format!(
                "SELECT {} AS value, id FROM {} WHERE mode = 'test' ORDER BY {} \
                 OFFSET {position} LIMIT 1",
                self.column(),
                self.table(),
                self.order()
            ))
            .await;
        let key = &key[0];
        Keyset {
            value: SortValue::Text(key.value.clone()),
            id: key.id.clone(),
        }
    }

    /// How many records come before the part that follows the first: the values
    /// ascending, the nulls descending.
    async fn first_part(self, app: &TestApp) -> i64 {
        let part = match self.direction() {
            Direction::Asc => "IS NOT NULL",
            Direction::Desc => "IS NULL",
        };
        let n: Vec<Count> = app
            .pg_rows(&format!(
                "SELECT count(*) AS n FROM {} WHERE mode = 'test' AND {} {part}",
                self.table(),
                self.column()
            ))
            .await;
        n[0].n
    }
}

/// Adds `count` customers (numbered from `from`) with one reset each: a quarter of the
/// references null, a third of the origins; the references out of id order, tied in
/// pairs, the origins a handful of values each tied over thousands of records (a page
/// inside such a run must not read the run before it).
async fn seed_nullable(app: &TestApp, from: i64, count: i64) {
    let to = from + count - 1;
    let _: Vec<Count> = app
        .pg_rows(&format!(
            "WITH made AS (
                INSERT INTO customers (id, mode, email, reference, reference_origin, metadata,
                                       created_at, updated_at)
                SELECT 'seed' || lpad(i::text, 6, '0'), 'test', 'n' || i || '@example.com',
                       CASE WHEN i % 4 = 0 THEN NULL ELSE 'ref-' || md5((i / 2)::text) END,
                       CASE WHEN i % 3 = 0 THEN NULL ELSE 'origin-' || (i % 5) END,
                       '{{}}', timestamp '2026-01-01', timestamp '2026-01-01'
                FROM generate_series({from}, {to}) i
                RETURNING 1)
             SELECT count(*) AS n FROM made"
        ))
        .await;
    let _: Vec<Count> = app
        .pg_rows(&format!(
            "WITH made AS (
                INSERT INTO customer_password_resets (id, mode, customer_id, customer_email,
                    token_digest, expires_at, failed_attempts, reference, reference_origin,
                    metadata, created_at, updated_at)
                SELECT 'rset' || lpad(i::text, 6, '0'), 'test', 'seed' || lpad(i::text, 6, '0'),
                       'n' || i || '@example.com', md5(i::text), timestamp '2026-01-01', 0,
                       CASE WHEN i % 4 = 1 THEN NULL ELSE 'ticket-' || md5((i / 2)::text) END,
                       CASE WHEN i % 3 = 1 THEN NULL ELSE 'src-' || (i % 4) END,
                       '{{}}', timestamp '2026-01-01', timestamp '2026-01-01'
                FROM generate_series({from}, {to}) i
                RETURNING 1)
             SELECT count(*) AS n FROM made"
        ))
        .await;
    let _: Vec<Count> = app.pg_rows("ANALYZE customers").await;
    let _: Vec<Count> = app.pg_rows("ANALYZE customer_password_resets").await;
}

/// The most rows a page of each nullable sort read, wherever it started: a tenth in, half
/// way, nine tenths in, and just before the end of the first part (so that the page runs
/// into the second); with `within_twice_the_first`, each within twice the first page's
/// rows (on a small table PostgreSQL may rightly read the few rows left after a key with
/// a bitmap scan and a sort, which still costs no more than those rows).
async fn deepest_reads(
    app: &TestApp,
    sorts: &[NullableSort],
    size: i64,
    within_twice_the_first: bool,
) -> Vec<u64> {
    let mut most = Vec::new();
    for &sort in sorts {
        let first = sort.rows_read(app, None).await;
        let boundary = sort.first_part(app).await - 10;
        let mut deepest = 0;
        for position in [size / 10, size / 2, size * 9 / 10, boundary] {
            let after = sort.key_at(app, position).await;
            let deep = sort.rows_read(app, Some(after)).await;
            assert!(
                !within_twice_the_first || deep <= first * 2,
                "{sort:?} with {size} records: the page after position {position} read {deep} rows, the first {first}"
            );
            deepest = deepest.max(deep);
        }
        most.push(deepest);
    }
    most
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_a_nullable_sorts_deep_page_reads_as_many_rows_as_the_table_grows() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    let mut sorts = Vec::new();
    for direction in [Direction::Asc, Direction::Desc] {
        sorts.push(NullableSort::Customers(
            CustomerSortField::Reference,
            direction,
        ));
        sorts.push(NullableSort::Customers(
            CustomerSortField::ReferenceOrigin,
            direction,
        ));
        sorts.push(NullableSort::Resets(ResetSortField::Reference, direction));
        sorts.push(NullableSort::Resets(
            ResetSortField::ReferenceOrigin,
            direction,
        ));
    }
    seed_nullable(&app, 1, 1_000).await;
    let small = deepest_reads(&app, &sorts, 1_000, false).await;
    seed_nullable(&app, 1_001, 9_000).await;
    let large = deepest_reads(&app, &sorts, 10_000, true).await;
    for ((sort, small), large) in sorts.iter().zip(small).zip(large) {
        assert!(
            large <= small + 26,
            "{sort:?}: a deep page read {small} rows of 1,000 records, {large} of 10,000"
        );
    }
}
