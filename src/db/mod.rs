//! The database: one pool over PostgreSQL or SQLite, and the one place that dispatches to
//! the backend.
//!
//! Query code is written once, inside [`db_run!`](crate::db_run), which repeats the body for
//! each backend's connection type so that each is type-checked on its own. Nothing outside
//! this module names a backend.
//!
//! # Documented exceptions to "no PostgreSQL-only SQL"
//!
//! Each is chosen here, in this module, so that query code stays one body:
//! - [`Conn::skip_locked_clause`] and [`Conn::text_position_function`].
//! - JSON containment (`metadataJcont`): [`json::json_contains`] renders
//!   `((metadata)::jsonb @> ($n)::jsonb)` on PostgreSQL, which the expression GIN index
//!   `customer_password_resets_metadata_jsonb` serves, and the Rust `rg_json_contains` on
//!   SQLite. Same answers on both.
//! - Indexes for the list filters, in PostgreSQL's `filter_indexes` migration only (SQLite's
//!   is empty): that GIN index; a `text_pattern_ops` btree on `customers (mode, email)` for
//!   `emailStart` (`LIKE 'prefix%'`, which the plain index serves only under the C
//!   collation); and, when the server offers the `pg_trgm` extension and the migrating
//!   role may create it, trigram GIN indexes on `customers.email` and
//!   `customer_password_resets.customer_email` for `emailCont`, `customerEmailCont` (and
//!   `emailStart`) of three characters or more. Without `pg_trgm` (not installed, or no
//!   privilege) the migration still succeeds: it skips those two indexes with a notice,
//!   the start-up logs that they are missing, and the `...Cont` filters give the same
//!   answers by reading every row of the mode (a sequential scan), slower on large tables.
//!   Installing the extension later and running the statements of that migration's second
//!   `DO` block by hand adds them.

mod cached_sql;
mod connect;
pub mod explain;
mod files;
mod filter_indexes;
pub mod json;
pub mod keyset;
mod migrate;
pub mod schema;
pub mod settings;
mod shared;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use diesel::result::Error as DieselError;
use diesel_async::pooled_connection::deadpool::{Object, Pool as DeadPool};
use diesel_async::{
    AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection, TransactionManager,
};
use futures_util::future::BoxFuture;

pub use cached_sql::{CachedSql, CachedSqlExt};
pub use connect::{DatabaseUrl, PoolOptions};
pub use filter_indexes::TRIGRAM_INDEXES;
pub use migrate::run_migrations;
pub use shared::SharedConn;

/// The PostgreSQL connection: diesel-async's native one.
pub type PgConn = AsyncPgConnection;
/// The SQLite connection: diesel's sync one, run on the blocking pool by diesel-async.
pub type SqliteConn =
    diesel_async::sync_connection_wrapper::SyncConnectionWrapper<diesel::SqliteConnection>;

/// What can go wrong talking to the database. Database calls return `Result<T, DbError>`
/// spelled out, with no alias: mutation testing (docs/testing.md) only recognises a
/// `Result` by its name, and through an alias it could not mutate what a call answers
/// (`Ok(false)`, `Ok(None)`, `Ok(vec![])`).
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No connection could be had in time (the database is down or the pool is exhausted).
    #[error("no database connection available: {0}")]
    Unavailable(String),
    /// A query failed.
    #[error(transparent)]
    Query(#[from] DieselError),
}

impl DbError {
    /// True when the error is a unique-constraint violation (a concurrent insert won).
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            DbError::Query(DieselError::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }
}

#[derive(Clone)]
enum Pool {
    Pg(DeadPool<PgConn>, Option<Arc<shared::SharedReads>>),
    Sqlite(DeadPool<SqliteConn>),
}

/// The shared handle to the database: cheap to clone, one per process.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    statements: Arc<AtomicU64>,
}

/// A connection checked out of the pool. Pass `&mut Conn` to query functions so that
/// they run the same inside or outside a transaction.
// One lives per request, on the stack; boxing the larger variant would allocate on every
// checkout for nothing.
#[expect(
    clippy::large_enum_variant,
    reason = "one lives per request, on the stack"
)]
pub enum Conn {
    /// A PostgreSQL connection.
    Pg(PgHandle),
    /// A SQLite connection.
    Sqlite(Object<SqliteConn>),
}

/// A PostgreSQL connection: one of the pool's, or a shared read connection.
// Like `Conn`, it lives on the stack for one request; boxing the pooled variant would
// allocate on every checkout.
#[expect(
    clippy::large_enum_variant,
    reason = "one lives per request, on the stack"
)]
pub enum PgHandle {
    /// Checked out of the pool for this caller alone.
    Pooled(Object<PgConn>),
    /// Shared with other readers; see [`Db::read`].
    Shared(shared::SharedConn),
}

impl std::ops::Deref for PgHandle {
    type Target = PgConn;

    fn deref(&self) -> &PgConn {
        match self {
            PgHandle::Pooled(c) => c,
            PgHandle::Shared(c) => c,
        }
    }
}

/// Runs the same query code on whichever backend `conn` is: the one dispatch point.
///
/// `db_run!(conn, |c| expr)` binds `c` to the backend connection and evaluates `expr`
/// once per backend arm, so each arm is type-checked against its own backend. On
/// PostgreSQL `c` is a `&mut &PgConn`: diesel-async runs statements through a shared
/// reference, which is what lets a shared read connection pipeline them.
///
/// Crate-private: code outside the crate reaches the database through domain functions.
macro_rules! db_run {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::Conn::Pg($c) => {
                let $c: &mut &$crate::db::PgConn = &mut &**$c;
                $body
            }
            $crate::db::Conn::Sqlite($c) => {
                let $c: &mut $crate::db::SqliteConn = &mut *$c;
                $body
            }
        }
    };
}
pub(crate) use db_run;

impl Db {
    /// Checks a connection out of the pool, failing after the acquire timeout.
    pub async fn conn(&self) -> Result<Conn, DbError> {
        let unavailable = |e: &dyn std::fmt::Display| DbError::Unavailable(e.to_string());
        Ok(match &self.pool {
            Pool::Pg(p, _) => Conn::Pg(PgHandle::Pooled(
                p.get().await.map_err(|e| unavailable(&e))?,
            )),
            Pool::Sqlite(p) => Conn::Sqlite(p.get().await.map_err(|e| unavailable(&e))?),
        })
    }

    /// A connection for plain reads outside a transaction: statements that take no lock
    /// a writer could hold. On PostgreSQL it is one of the shared read connections
    /// (when configured), which many requests use at once; anything else gets
    /// [`Db::conn`]'s.
    pub async fn read(&self) -> Result<Conn, DbError> {
        match &self.pool {
            Pool::Pg(_, Some(shared)) => Ok(Conn::Pg(PgHandle::Shared(shared.get().await?))),
            _ => self.conn().await,
        }
    }

    /// One round trip to the database, for readiness checks.
    pub async fn ping(&self) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        db_run!(&mut conn, |c| {
            diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>("1"))
                .get_result::<i32>(c)
                .await
        })?;
        Ok(())
    }

    /// Keeps the query planner's statistics current where nothing else does: SQLite has no
    /// autovacuum, and without statistics it reads the resets of 25 customers by scanning
    /// every reset of the mode. `PRAGMA optimize` analyzes only the tables whose size changed
    /// enough since, with a bounded effort. PostgreSQL's autovacuum already does this.
    pub async fn refresh_planner_statistics(&self) -> Result<(), DbError> {
        if let Conn::Sqlite(conn) = &mut self.conn().await? {
            conn.batch_execute("PRAGMA optimize = 0x10002;").await?;
        }
        Ok(())
    }

    /// Runs `work` in one transaction on a connection of its own, as a task of its own: if
    /// the request that asked for it is dropped (client gone, timeout), the transaction
    /// still runs to its commit or rollback, so no connection ever goes back to the pool
    /// inside a transaction (on SQLite, holding the write lock).
    pub async fn transaction<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: for<'c> FnOnce(&'c mut Conn) -> BoxFuture<'c, Result<T, E>> + Send + 'static,
        E: From<DbError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        // The task reads the time by its caller's clock.
        tokio::spawn(crate::clock::current().scope(async move {
            let mut conn = db.conn().await?;
            conn.transaction(work).await
        }))
        .await
        .unwrap_or_else(|e| {
            Err(E::from(DbError::Unavailable(format!(
                "transaction task failed: {e}"
            ))))
        })
    }

    /// How many SQL statements this process has sent so far (for tests and benchmarks).
    pub fn statements_sent(&self) -> u64 {
        AtomicU64::load(&self.statements, Ordering::Relaxed)
    }

    /// The name of the backend in use: `postgres` or `sqlite`.
    pub fn backend_name(&self) -> &'static str {
        match self.pool {
            Pool::Pg(..) => "postgres",
            Pool::Sqlite(_) => "sqlite",
        }
    }

    /// Shared read connections open, and the readers holding them: `(open, readers)`;
    /// `(0, 0)` without them.
    pub fn read_status(&self) -> (usize, usize) {
        match &self.pool {
            Pool::Pg(_, Some(shared)) => shared.status(),
            _ => (0, 0),
        }
    }

    /// Connections in the pool and how many are idle: `(size, available)`.
    pub fn pool_status(&self) -> (usize, usize) {
        let status = match &self.pool {
            Pool::Pg(p, _) => p.status(),
            Pool::Sqlite(p) => p.status(),
        };
        (status.size, status.available)
    }
}

impl Conn {
    /// Runs `work` inside one transaction (on SQLite, `BEGIN IMMEDIATE`, so concurrent
    /// writers queue on the busy timeout instead of failing at commit). Requests use
    /// [`Db::transaction`], which also survives the request being dropped; tools that own
    /// their connection (the benchmark's seeder) may use this one.
    pub async fn transaction<T, E, F>(&mut self, work: F) -> Result<T, E>
    where
        F: for<'c> FnOnce(&'c mut Conn) -> BoxFuture<'c, Result<T, E>> + Send,
        E: From<DbError> + Send,
        T: Send,
    {
        self.begin().await.map_err(|e| E::from(e.into()))?;
        match work(self).await {
            Ok(value) => {
                self.commit().await.map_err(|e| E::from(e.into()))?;
                Ok(value)
            }
            Err(error) => {
                // The caller's error is the one worth reporting; a failed rollback leaves
                // the connection marked broken, and the pool discards it.
                let _ = self.rollback().await;
                Err(error)
            }
        }
    }

    async fn begin(&mut self) -> Result<(), DieselError> {
        match self {
            Conn::Pg(c) => {
                let c = c.own()?;
                <PgConn as AsyncConnection>::TransactionManager::begin_transaction(c).await
            }
            Conn::Sqlite(c) => {
                let c: &mut SqliteConn = c;
                c.spawn_blocking(|c| {
                    diesel::connection::AnsiTransactionManager::begin_transaction_sql(
                        c,
                        "BEGIN IMMEDIATE",
                    )
                })
                .await
            }
        }
    }

    async fn commit(&mut self) -> Result<(), DieselError> {
        match self {
            Conn::Pg(c) => commit_on(c.own()?).await,
            Conn::Sqlite(c) => commit_on(&mut **c).await,
        }
    }

    async fn rollback(&mut self) -> Result<(), DieselError> {
        match self {
            Conn::Pg(c) => rollback_on(c.own()?).await,
            Conn::Sqlite(c) => rollback_on(&mut **c).await,
        }
    }
}

impl PgHandle {
    /// The connection for a transaction, which only a pooled one may hold.
    fn own(&mut self) -> Result<&mut PgConn, DieselError> {
        match self {
            PgHandle::Pooled(c) => Ok(c),
            PgHandle::Shared(_) => Err(DieselError::QueryBuilderError(
                "a transaction needs a pooled connection (Db::conn), not a shared one".into(),
            )),
        }
    }
}

async fn commit_on<C: AsyncConnection>(c: &mut C) -> Result<(), DieselError> {
    C::TransactionManager::commit_transaction(c).await
}

async fn rollback_on<C: AsyncConnection>(c: &mut C) -> Result<(), DieselError> {
    C::TransactionManager::rollback_transaction(c).await
}

pub use crate::clock::{now, truncate_to_micros};

impl Conn {
    /// What makes a row-claiming `SELECT` skip the rows other transactions hold:
    /// PostgreSQL's `FOR UPDATE SKIP LOCKED`, so that several senders claim different rows
    /// at once; nothing on SQLite, where a writing statement holds the whole database and
    /// claims run one after the other anyway. A documented exception to one SQL text for
    /// both backends, chosen here, where the backends are named.
    pub fn skip_locked_clause(&self) -> &'static str {
        match self {
            Conn::Pg(_) => " FOR UPDATE SKIP LOCKED",
            Conn::Sqlite(_) => "",
        }
    }

    /// The name of the function `f(text, part)` giving where `part` first occurs in
    /// `text` (from 1; 0 when it does not): PostgreSQL's `strpos`, SQLite's `instr`. The
    /// same kind of exception as [`Conn::skip_locked_clause`].
    pub fn text_position_function(&self) -> &'static str {
        match self {
            Conn::Pg(_) => "strpos",
            Conn::Sqlite(_) => "instr",
        }
    }
}
