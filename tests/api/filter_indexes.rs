//! On PostgreSQL the list filters read through indexes (`metadataJcont` through the GIN
//! index on the metadata cast to jsonb, `...Cont` through trigram indexes, `emailStart`
//! through a pattern index), and the migration that makes them succeeds without `pg_trgm`.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::Json;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use reset_gateway::auth::{Mode, Role};
use reset_gateway::db::json::json_contains;
use reset_gateway::db::schema::{customer_password_resets as resets, customers};
use reset_gateway::db::{Conn, DatabaseUrl, PgConn, TRIGRAM_INDEXES};
use reset_gateway::listing::like_pattern;
use serde_json::{Value, json};

use crate::harness::{Backend, TestApp};

/// `EXPLAIN (FORMAT JSON)` of a query, sent with the query's bound parameters as the
/// service sends them (so the planner sees the values, as it does for the list).
struct Explain<Q>(Q);

impl<Q> QueryId for Explain<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q> Query for Explain<Q> {
    type SqlType = Json;
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Explain<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("EXPLAIN (FORMAT JSON) ");
        self.0.walk_ast(out.reborrow())
    }
}

async fn plan<Q>(app: &TestApp, query: Q) -> Value
where
    Q: QueryFragment<Pg> + Send + 'static,
{
    let mut conn = app.state().db.conn().await.unwrap();
    let Conn::Pg(conn) = &mut conn else {
        panic!("a PostgreSQL connection")
    };
    let mut conn: &PgConn = conn;
    Explain(query).get_result::<Value>(&mut conn).await.unwrap()
}

/// The plan's nodes, depth first.
fn nodes(plan: &Value) -> Vec<&Value> {
    let mut found = vec![plan];
    for child in plan["Plans"].as_array().into_iter().flatten() {
        found.extend(nodes(child));
    }
    found
}

/// True when the plan reads `index` by a bitmap index scan.
fn bitmap_scans(plan: &Value, index: &str) -> bool {
    nodes(&plan[0]["Plan"])
        .iter()
        .any(|n| n["Node Type"] == "Bitmap Index Scan" && n["Index Name"] == index)
}

/// True when any node of the plan reads `index`.
fn reads_index(plan: &Value, index: &str) -> bool {
    nodes(&plan[0]["Plan"])
        .iter()
        .any(|n| n["Index Name"] == index)
}

async fn execute(app: &TestApp, sql: &str) {
    let mut conn = app.state().db.conn().await.unwrap();
    let Conn::Pg(conn) = &mut conn else {
        panic!("a PostgreSQL connection")
    };
    let mut conn: &PgConn = conn;
    conn.batch_execute(sql).await.unwrap();
}

/// 3,000 customers `u0000@example.com`... in test mode, each with one reset whose metadata
/// is `{"n": i, "batch": "b<i % 10>"}`; then fresh planner statistics.
async fn seed(app: &TestApp) {
    execute(
        app,
        "INSERT INTO customers (id, mode, email, metadata, created_at, updated_at) \
         SELECT 'cus_' || i, 'test', 'u' || lpad(i::text, 4, '0') || '@example.com', '{}', \
                timestamp '2026-01-01' + i * interval '1 second', timestamp '2026-01-01' \
         FROM generate_series(0, 2999) AS i;
         INSERT INTO customer_password_resets (id, mode, customer_id, customer_email, \
                token_digest, expires_at, metadata, created_at, updated_at) \
         SELECT 'rst_' || i, 'test', 'cus_' || i, 'u' || lpad(i::text, 4, '0') || '@example.com', \
                md5(i::text), timestamp '2027-01-01', \
                json_build_object('n', i, 'batch', 'b' || (i % 10))::text, \
                timestamp '2026-01-01' + i * interval '1 second', timestamp '2026-01-01' \
         FROM generate_series(0, 2999) AS i;",
    )
    .await;
    // VACUUM also moves the rows GIN indexes hold in their pending list (where bulk
    // inserts land) into the index proper, as autovacuum would: the planner counts a
    // pending list as a scan of its own.
    execute(app, "VACUUM ANALYZE customers").await;
    execute(app, "VACUUM ANALYZE customer_password_resets").await;
}

async fn listed(app: &TestApp, token: &str, list: &str, filter: Value, field: &str) -> Vec<String> {
    let query = format!(
        "query($filter: {}Filter) {{ {list}(filter: $filter, first: 25) {{ edges {{ node {{ {field} }} }} }} }}",
        if list == "customers" {
            "Customer"
        } else {
            "CustomerPasswordReset"
        }
    );
    let answer = app
        .graphql(Some(token), &query, json!({ "filter": filter }))
        .await;
    answer["data"][list]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no list: {answer}"))
        .iter()
        .map(|e| e["node"][field].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_the_metadata_and_email_filters_read_through_their_indexes() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    assert!(
        app.state()
            .db
            .missing_trigram_indexes()
            .await
            .unwrap()
            .is_empty(),
        "this server offers pg_trgm, so the migration made the trigram indexes"
    );
    seed(&app).await;
    let token = app.token(Role::Integration, Mode::Test).await;

    // The answers, through the service.
    let resets = |filter| listed(&app, &token, "customerPasswordResets", filter, "id");
    assert_eq!(
        resets(json!({ "metadataJcont": { "n": 1234 } })).await,
        ["rst_1234"]
    );
    assert_eq!(
        resets(json!({ "metadataJcont": { "n": 1234, "batch": "b5" } })).await,
        Vec::<String>::new()
    );
    assert_eq!(
        resets(json!({ "customerEmailCont": "U1234@" })).await,
        ["rst_1234"]
    );
    let customers = |filter| listed(&app, &token, "customers", filter, "email");
    assert_eq!(
        customers(json!({ "emailCont": "1234@exa" })).await,
        ["u1234@example.com"]
    );
    assert_eq!(
        customers(json!({ "emailStart": "u123" })).await,
        (1230..1240)
            .map(|i| format!("u{i}@example.com"))
            .collect::<Vec<_>>()
    );

    // The plans of the list's first page (mode, the filter, the default order, one row
    // more than the page), with the predicates the service builds.
    let first_page = |q: resets::BoxedQuery<'static, Pg>| {
        q.filter(resets::mode.eq("test"))
            .order_by((resets::created_at.asc(), resets::id.asc()))
            .select(resets::id)
            .limit(26)
    };
    let jcont = first_page(
        resets::table
            .filter(json_contains(
                resets::metadata,
                json!({ "n": 1234 }).to_string(),
            ))
            .into_boxed(),
    );
    let plan_jcont = plan(&app, jcont).await;
    assert!(
        bitmap_scans(&plan_jcont, "customer_password_resets_metadata_jsonb"),
        "{plan_jcont}"
    );
    let cont = first_page(
        resets::table
            .filter(
                resets::customer_email
                    .like(like_pattern("u1234@", true))
                    .escape('\\'),
            )
            .into_boxed(),
    );
    let plan_cont = plan(&app, cont).await;
    assert!(
        bitmap_scans(&plan_cont, "customer_password_resets_customer_email_trgm"),
        "{plan_cont}"
    );
    let customers_page = |pattern: String| {
        customers::table
            .filter(customers::mode.eq("test"))
            .filter(customers::email.like(pattern).escape('\\'))
            .order_by((customers::created_at.asc(), customers::id.asc()))
            .select(customers::id)
            .limit(26)
    };
    let plan_email_cont = plan(&app, customers_page(like_pattern("1234@exa", true))).await;
    assert!(
        bitmap_scans(&plan_email_cont, "customers_email_trgm"),
        "{plan_email_cont}"
    );
    let plan_email_start = plan(&app, customers_page(like_pattern("u123", false))).await;
    assert!(
        reads_index(&plan_email_start, "customers_mode_email_pattern")
            || reads_index(&plan_email_start, "customers_email_trgm"),
        "{plan_email_start}"
    );
}

/// A role and a database of its own, dropped when the test ends.
struct Unprivileged {
    admin_url: String,
    role: String,
    database: String,
}

impl Drop for Unprivileged {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let database = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.database);
        let role = format!("DROP ROLE IF EXISTS {}", self.role);
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(admin(&admin_url, &database));
            runtime.block_on(admin(&admin_url, &role));
        })
        .join();
    }
}

async fn admin(url: &str, sql: &str) {
    let mut conn = AsyncPgConnection::establish(url).await.unwrap();
    conn.batch_execute(sql).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_privilege_to_create_pg_trgm_the_service_still_migrates_and_filters() {
    let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
        return;
    };
    let suffix = reset_gateway::auth::secrets::random_id(10).to_lowercase();
    let guard = Unprivileged {
        admin_url: admin_url.clone(),
        role: format!("rg_notrgm_{suffix}"),
        database: format!("rg_test_notrgm_{suffix}"),
    };
    // A role that may create tables in the public schema but, lacking CREATE on the
    // database, may not create even a trusted extension: `CREATE EXTENSION pg_trgm`
    // fails with a real privilege error.
    admin(&admin_url, &format!("CREATE ROLE {} LOGIN", guard.role)).await;
    admin(&admin_url, &format!("CREATE DATABASE {}", guard.database)).await;
    let mut url = reqwest::Url::parse(&admin_url).unwrap();
    url.set_path(&guard.database);
    admin(
        url.as_str(),
        &format!("GRANT CREATE ON SCHEMA public TO {};", guard.role),
    )
    .await;
    url.set_username(&guard.role).unwrap();
    url.set_password(None).unwrap();
    let app = TestApp::spawn_on(url.as_str().parse::<DatabaseUrl>().unwrap(), |_| {}).await;

    assert_eq!(
        app.state().db.missing_trigram_indexes().await.unwrap(),
        TRIGRAM_INDEXES,
        "the migration went on without them"
    );
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let present: Vec<String> = app
        .pg_rows::<Name>(
            "SELECT extname::text AS name FROM pg_extension WHERE extname = 'pg_trgm' \
             UNION ALL SELECT indexname::text FROM pg_indexes \
             WHERE indexname IN ('customer_password_resets_metadata_jsonb', 'customers_mode_email_pattern')",
        )
        .await
        .into_iter()
        .map(|n| n.name)
        .collect();
    assert_eq!(
        present.len(),
        2,
        "no pg_trgm, but the other filter indexes: {present:?}"
    );
    // The filters still answer, by reading the rows.
    let token = app.token(Role::Integration, Mode::Test).await;
    app.customer(&token, "someone@example.com", None).await;
    app.customer(&token, "other@example.com", None).await;
    let found = listed(
        &app,
        &token,
        "customers",
        json!({ "emailCont": "eone@" }),
        "email",
    )
    .await;
    assert_eq!(found, ["someone@example.com"]);
    drop(app);
    drop(guard);
}
