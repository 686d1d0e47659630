//! Embedded migrations, one tree per backend, run on start and by `reset-gateway migrate`.

use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel_async::AsyncConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use secrecy::ExposeSecret;

use super::{DatabaseUrl, PgConn};

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// A fixed key for the PostgreSQL advisory lock that serialises migrations when several
/// instances start at once.
const MIGRATION_LOCK_KEY: i64 = 0x7265_7365_7467_7721;

/// Applies the pending migrations on their own connection and returns how many ran.
pub async fn run_migrations(url: &DatabaseUrl) -> anyhow::Result<usize> {
    match url {
        DatabaseUrl::Postgres(url) => {
            let conn = PgConn::establish(url.expose_secret()).await?;
            // The harness is synchronous: it runs on the blocking pool, which can still
            // drive the async connection through the wrapper.
            tokio::task::spawn_blocking(move || {
                let mut conn: AsyncConnectionWrapper<PgConn> = conn.into();
                conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))?;
                let ran = conn.run_pending_migrations(POSTGRES).map(|v| v.len());
                conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))?;
                ran.map_err(|e| anyhow::anyhow!("migrations failed: {e}"))
            })
            .await?
        }
        DatabaseUrl::Sqlite(path) => {
            super::files::prepare_sqlite_file(path)?;
            let lock_path = path.with_extension("migrate-lock");
            let path = path.to_string_lossy().into_owned();
            tokio::task::spawn_blocking(move || {
                // SQLite has no advisory lock: an exclusive lock on a file beside the
                // database serialises instances that start at once.
                let lock = super::files::open_private(&lock_path)?;
                lock.lock()?;
                super::connect::configure_sqlite_library();
                let mut conn = diesel::SqliteConnection::establish(&path)?;
                conn.batch_execute("PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL;")?;
                conn.run_pending_migrations(SQLITE)
                    .map(|v| v.len())
                    .map_err(|e| anyhow::anyhow!("migrations failed: {e}"))
            })
            .await?
        }
    }
}
