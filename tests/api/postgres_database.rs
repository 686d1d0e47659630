//! A database of its own for each PostgreSQL test, on the server `TEST_DATABASE_URL` names.

use std::io::Write as _;
use std::sync::Once;

/// A database of its own on the PostgreSQL server named by `TEST_DATABASE_URL`, dropped
/// when the test ends.
pub struct PostgresDatabase {
    admin_url: String,
    name: String,
    /// The URL of the database.
    pub url: String,
}

impl PostgresDatabase {
    /// A new database, or None (said once on stderr) when `TEST_DATABASE_URL` is not set.
    pub async fn create() -> Option<PostgresDatabase> {
        let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
            static SAID: Once = Once::new();
            SAID.call_once(|| {
                // Written past the test harness's capture, so that a plain `cargo test`
                // says what it did not run.
                let _ = writeln!(
                    std::io::stderr(),
                    "\nnote: TEST_DATABASE_URL is not set: the PostgreSQL half of the tests is SKIPPED\n"
                );
            });
            return None;
        };
        let name = format!(
            "rg_test_{}",
            reset_gateway::auth::secrets::random_id(12).to_lowercase()
        );
        admin_sql(&admin_url, &format!("CREATE DATABASE {name}")).await;
        let url = with_database(&admin_url, &name);
        Some(PostgresDatabase {
            admin_url,
            name,
            url,
        })
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Drop runs outside async code: a small runtime of its own does the work.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(admin_sql(&admin_url, &sql));
        })
        .join();
    }
}

async fn admin_sql(admin_url: &str, sql: &str) {
    use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
    let mut conn = AsyncPgConnection::establish(admin_url)
        .await
        .expect("TEST_DATABASE_URL names a reachable PostgreSQL server");
    conn.batch_execute(sql).await.expect("admin statement");
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].rfind('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{base}/{name}{query}")
}
