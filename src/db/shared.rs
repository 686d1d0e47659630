//! Shared read connections (PostgreSQL only): a few connections that many requests use
//! at once for their plain reads, so that reads arriving together travel as one pipeline.
//!
//! A pooled connection serves one request at a time: each statement is a round trip
//! after which the PostgreSQL backend sleeps until that request sends its next one, and
//! under load the backends spend their time being switched in and out (`perf` shows them
//! in `finish_task_switch`). Sent over a shared connection, the
//! reads of concurrent requests queue in the socket: tokio-postgres writes them out
//! together and the backend reads and answers them back to back.
//!
//! Readers fill the first connection before the next one is used (up to
//! `PIPELINE_DEPTH` at once on each), so that reads pipeline at moderate load and
//! spread over more server processes only when one falls behind.
//!
//! Only single statements that cannot wait on a lock go here, which in PostgreSQL means
//! plain `SELECT`s outside a transaction: a shared connection answers in order, so a
//! statement waiting on a row lock would hold up every read queued behind it. Writes and
//! transactions keep a pooled connection of their own.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::AsyncConnection;
use secrecy::{ExposeSecret, SecretString};

use super::{DbError, PgConn};

/// Readers one shared connection takes at once before the next connection is used: a
/// queue of short reads, so that none waits long behind the others.
const PIPELINE_DEPTH: usize = 8;

/// The shared read connections of one process.
pub(super) struct SharedReads {
    slots: Box<[Slot]>,
    url: SecretString,
    statements: Arc<AtomicU64>,
    statement_timeout: Duration,
    connect_timeout: Duration,
}

#[derive(Default)]
struct Slot {
    // Readers holding this slot's connection (or waiting for it to open).
    readers: Arc<AtomicUsize>,
    // A std mutex: held only to clone or replace the handle, never across an await.
    current: Mutex<Option<Live>>,
    // Callers that find the slot empty wait here, so that one of them connects.
    connecting: tokio::sync::Mutex<()>,
}

#[derive(Clone)]
struct Live {
    conn: Arc<PgConn>,
    broken: Arc<AtomicBool>,
}

impl SharedReads {
    /// `count` connections, opened when first used.
    pub(super) fn new(
        count: usize,
        url: SecretString,
        statements: Arc<AtomicU64>,
        statement_timeout: Duration,
        connect_timeout: Duration,
    ) -> SharedReads {
        SharedReads {
            slots: (0..count.max(1)).map(|_| Slot::default()).collect(),
            url,
            statements,
            statement_timeout,
            connect_timeout,
        }
    }

    /// A shared connection, opening it again when it was lost. Waits at most the
    /// acquire timeout in all, as a pooled checkout does, however many readers queue
    /// behind one that is connecting.
    pub(super) async fn get(&self) -> Result<SharedConn, DbError> {
        let slot = self.pick();
        let reader = Reader::enter(&slot.readers);
        let conn = match slot.live() {
            Some(conn) => conn,
            None => tokio::time::timeout(self.connect_timeout, self.reopen(slot))
                .await
                .map_err(|_| DbError::Unavailable("timed out connecting".into()))??,
        };
        Ok(SharedConn {
            conn,
            _reader: reader,
        })
    }

    async fn reopen(&self, slot: &Slot) -> Result<Arc<PgConn>, DbError> {
        let _one_at_a_time = slot.connecting.lock().await;
        if let Some(conn) = slot.live() {
            return Ok(conn);
        }
        let broken = Arc::new(AtomicBool::new(false));
        let conn = self
            .open(broken.clone())
            .await
            .map_err(|e| DbError::Unavailable(e.to_string()))?;
        let conn = Arc::new(conn);
        *slot.lock() = Some(Live {
            conn: conn.clone(),
            broken,
        });
        Ok(conn)
    }

    /// Connections open, and readers holding them.
    pub(super) fn status(&self) -> (usize, usize) {
        let open = self.slots.iter().filter(|s| s.live().is_some()).count();
        let readers = self.slots.iter();
        (
            open,
            readers.map(|s| s.readers.load(Ordering::Relaxed)).sum(),
        )
    }

    /// The first connection with room in its pipeline, else the least busy.
    fn pick(&self) -> &Slot {
        let readers = |slot: &&Slot| slot.readers.load(Ordering::Relaxed);
        self.slots
            .iter()
            .find(|slot| readers(slot) < PIPELINE_DEPTH)
            .or_else(|| self.slots.iter().min_by_key(readers))
            .expect("at least one slot")
    }

    /// Opens a connection whose socket this process drives, so that `broken` is set as
    /// soon as the server closes it (a restart, `pg_terminate_backend`): the next reader
    /// then opens a new one instead of failing on it, as the pool discards a closed
    /// connection before handing it out.
    async fn open(&self, broken: Arc<AtomicBool>) -> diesel::ConnectionResult<PgConn> {
        let (client, connection) =
            tokio_postgres::connect(self.url.expose_secret(), tokio_postgres::NoTls)
                .await
                .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
        let closed = broken.clone();
        tokio::spawn(async move {
            let _ = connection.await;
            closed.store(true, Ordering::Relaxed);
        });
        let mut conn = PgConn::try_from(client).await?;
        super::connect::configure_pg(&mut conn, self.statement_timeout).await?;
        conn.set_instrumentation(self.instrumentation(broken));
        Ok(conn)
    }

    /// Counts statements as the pool's connections do, and marks the connection lost
    /// when a statement could not reach the server (no SQLSTATE: a closed socket).
    fn instrumentation(&self, broken: Arc<AtomicBool>) -> impl Instrumentation {
        let mut count = super::connect::statement_counter(self.statements.clone());
        move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::FinishQuery {
                error: Some(error), ..
            } = &event
                && is_connection_lost(error)
            {
                broken.store(true, Ordering::Relaxed);
            }
            count.on_connection_event(event);
        }
    }
}

/// A shared read connection, held by one reader.
pub struct SharedConn {
    conn: Arc<PgConn>,
    _reader: Reader,
}

impl std::ops::Deref for SharedConn {
    type Target = PgConn;

    fn deref(&self) -> &PgConn {
        &self.conn
    }
}

/// Counts a reader on a slot for as long as it lives.
struct Reader(Arc<AtomicUsize>);

impl Reader {
    fn enter(readers: &Arc<AtomicUsize>) -> Reader {
        readers.fetch_add(1, Ordering::Relaxed);
        Reader(readers.clone())
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Slot {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Live>> {
        self.current.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn live(&self) -> Option<Arc<PgConn>> {
        let mut current = self.lock();
        match &*current {
            Some(live) if !live.broken.load(Ordering::Relaxed) => Some(live.conn.clone()),
            Some(_) => {
                *current = None;
                None
            }
            None => None,
        }
    }
}

fn is_connection_lost(error: &DieselError) -> bool {
    matches!(
        error,
        DieselError::DatabaseError(
            DatabaseErrorKind::UnableToSendCommand | DatabaseErrorKind::ClosedConnection,
            _
        )
    )
}
