//! Opening the pool: which backend a URL names, and how each connection is set up.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel_async::pooled_connection::deadpool::Pool as DeadPool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncConnection, SimpleAsyncConnection};
use futures_util::FutureExt;
use secrecy::{ExposeSecret, SecretString};

use super::shared::SharedReads;
use super::{Db, PgConn, Pool, SqliteConn};

/// A parsed `DATABASE_URL`: PostgreSQL or a SQLite file. Any other scheme is refused.
#[derive(Clone)]
pub enum DatabaseUrl {
    /// `postgres://` or `postgresql://`; the URL may hold a password, so it is secret.
    Postgres(SecretString),
    /// `sqlite://path`, `sqlite:path` or a plain file path.
    Sqlite(PathBuf),
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatabaseUrl::Postgres(_) => f.write_str("Postgres([REDACTED])"),
            DatabaseUrl::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
        }
    }
}

impl std::str::FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(SecretString::from(s.to_owned())));
        }
        let path = s
            .strip_prefix("sqlite://")
            .or_else(|| s.strip_prefix("sqlite:"))
            .unwrap_or(s);
        if path.is_empty() {
            return Err("the database URL is empty".into());
        }
        if path.contains("://") {
            return Err("unsupported database URL scheme: use postgres:// or sqlite://".into());
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }
}

/// How the pool is sized and how long a caller waits for a connection.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    /// Most connections kept open.
    pub max_size: usize,
    /// PostgreSQL connections shared by plain reads, beside the pool (0: reads use the
    /// pool too). See [`Db::read`].
    pub shared_reads: usize,
    /// How long to wait for a connection before giving up.
    pub acquire_timeout: Duration,
    /// Longest a single statement may run (PostgreSQL `statement_timeout`; SQLite's busy
    /// timeout bounds the wait for the write lock).
    pub statement_timeout: Duration,
}

impl Db {
    /// Opens the pool for `url`. SQLite's file and folder are created when missing,
    /// readable by this user only (see [`files`](super::files)).
    pub async fn connect(url: &DatabaseUrl, options: &PoolOptions) -> anyhow::Result<Db> {
        let statements = Arc::new(AtomicU64::new(0));
        let pool = match url {
            DatabaseUrl::Postgres(url) => {
                let setup = pg_setup(statements.clone(), options.statement_timeout);
                // Broken connections are detected by the connection itself (a closed
                // socket): no ping per checkout.
                let pool = build_pool(url.expose_secret(), setup, RecyclingMethod::Fast, options)?;
                let shared = (options.shared_reads > 0).then(|| {
                    Arc::new(SharedReads::new(
                        options.shared_reads,
                        url.clone(),
                        statements.clone(),
                        options.statement_timeout,
                        options.acquire_timeout,
                    ))
                });
                Pool::Pg(pool, shared)
            }
            DatabaseUrl::Sqlite(path) => {
                configure_sqlite_library();
                super::files::prepare_sqlite_file(path)?;
                let setup = sqlite_setup(statements.clone(), options.statement_timeout);
                let recycle = sqlite_file_check(path.clone());
                let path = path.to_string_lossy().into_owned();
                Pool::Sqlite(build_pool(&path, setup, recycle, options)?)
            }
        };
        Ok(Db { pool, statements })
    }
}

type Setup<C> = diesel_async::pooled_connection::SetupCallback<C>;

fn build_pool<C>(
    url: &str,
    setup: Setup<C>,
    recycling_method: RecyclingMethod<C>,
    options: &PoolOptions,
) -> anyhow::Result<DeadPool<C>>
where
    C: diesel_async::pooled_connection::PoolableConnection + Send + 'static,
    AsyncDieselConnectionManager<C>: deadpool::managed::Manager<Type = C>,
{
    let mut config = ManagerConfig::default();
    config.recycling_method = recycling_method;
    config.custom_setup = setup;
    let manager = AsyncDieselConnectionManager::<C>::new_with_config(url, config);
    Ok(DeadPool::builder(manager)
        .max_size(options.max_size)
        .wait_timeout(Some(options.acquire_timeout))
        .create_timeout(Some(options.acquire_timeout))
        .recycle_timeout(Some(options.acquire_timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()?)
}

pub(super) fn statement_counter(statements: Arc<AtomicU64>) -> impl Instrumentation {
    move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { .. } = event {
            statements.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn pg_setup(statements: Arc<AtomicU64>, statement_timeout: Duration) -> Setup<PgConn> {
    Box::new(move |url| {
        let counter = statement_counter(statements.clone());
        let url = url.to_owned();
        async move { open_pg(&url, statement_timeout, counter).await }.boxed()
    })
}

/// Opens one PostgreSQL connection with the service's session settings.
async fn open_pg(
    url: &str,
    statement_timeout: Duration,
    instrumentation: impl Instrumentation,
) -> diesel::ConnectionResult<PgConn> {
    let mut conn = PgConn::establish(url).await?;
    configure_pg(&mut conn, statement_timeout).await?;
    conn.set_instrumentation(instrumentation);
    Ok(conn)
}

/// The session settings of every PostgreSQL connection.
pub(super) async fn configure_pg(
    conn: &mut PgConn,
    statement_timeout: Duration,
) -> diesel::ConnectionResult<()> {
    let sql = format!(
        "SET statement_timeout = {}; SET TIME ZONE 'UTC'",
        statement_timeout.as_millis()
    );
    conn.batch_execute(&sql)
        .await
        .map_err(diesel::ConnectionError::CouldntSetupConfiguration)
}

/// A SQLite connection keeps working from its open file and cached pages after the file
/// becomes unreadable; so each checkout makes sure the file still opens and is a SQLite
/// database (one `open` and a 16-byte read). When it is not, the connection is dropped,
/// a new one cannot be made, and requests fail fast until the file is back.
fn sqlite_file_check(path: std::path::PathBuf) -> RecyclingMethod<SqliteConn> {
    RecyclingMethod::CustomFunction(Box::new(move |_| {
        let path = path.clone();
        async move {
            use std::io::Read;
            let mut header = [0u8; 16];
            std::fs::File::open(&path)
                .and_then(|mut file| file.read_exact(&mut header))
                .map_err(|e| diesel::result::Error::QueryBuilderError(Box::new(e)))?;
            if &header != b"SQLite format 3\0" {
                return Err(diesel::result::Error::QueryBuilderError(
                    "not a SQLite database".into(),
                ));
            }
            Ok(())
        }
        .boxed()
    }))
}

/// Process-wide SQLite settings, applied once before the first connection opens (SQLite
/// accepts them only then; later calls are refused and change nothing).
///
/// - Multi-thread mode instead of serialized: diesel never shares a connection between
///   threads at once, so SQLite's per-connection mutex, taken on every call (each column
///   of each row), only cost time.
/// - No memory statistics: they take a global mutex on every SQLite allocation, which
///   the pool's connections on the blocking threads contended for.
#[expect(
    unsafe_code,
    reason = "sqlite3_config is only reachable through its C API"
)]
pub(super) fn configure_sqlite_library() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use libsqlite3_sys::{SQLITE_CONFIG_MEMSTATUS, SQLITE_CONFIG_MULTITHREAD, sqlite3_config};
        // SAFETY: sqlite3_config is called before any connection is opened in this
        // process (or refused with SQLITE_MISUSE, harmlessly), with the argument types
        // these two options document: none, and an int.
        unsafe {
            sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
            sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0 as std::ffi::c_int);
        }
    });
}

fn sqlite_setup(statements: Arc<AtomicU64>, busy_timeout: Duration) -> Setup<SqliteConn> {
    Box::new(move |path| {
        let statements = statements.clone();
        let path = path.to_owned();
        async move {
            let mut conn = SqliteConn::establish(&path).await?;
            let sql = format!(
                "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                busy_timeout.as_millis()
            );
            conn.batch_execute(&sql)
                .await
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            conn.spawn_blocking(super::json::register_on_sqlite)
                .await
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            conn.set_instrumentation(statement_counter(statements));
            Ok(conn)
        }
        .boxed()
    })
}
