//! DataLoaders, made per request for the caller's mode (never shared across requests or
//! modes): the customer of each reset, a page of each customer's resets and their
//! counts, each in one query per batch whatever the page size (a page of resets reads at
//! most the page per customer).
//!
//! Their values are shared (`Arc`): a DataLoader hands each caller its own clone of the
//! value, and a list of 25 resets would otherwise copy every string of 25 customers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, Loader};
use chrono::NaiveDateTime;
use futures_util::future::BoxFuture;

use crate::auth::Mode;
use crate::customers::{Customer, queries as customer_queries};
use crate::db::{Db, DbError};
use crate::resets::{PasswordReset, queries as reset_queries};

/// Loads customers by id.
pub struct CustomerLoader {
    db: Db,
    mode: Mode,
}

/// Loads one page of a customer's resets, newest first.
pub struct ResetPagesLoader {
    db: Db,
    mode: Mode,
}

/// Counts a customer's resets (for `totalCount`, only when asked for).
pub struct ResetCountLoader {
    db: Db,
    mode: Mode,
}

/// Where a page of a customer's resets starts: after this creation time and id.
pub type PageStart = Option<(NaiveDateTime, String)>;

/// Which page of whose resets: keys of one batch that share the page arguments are read
/// in one statement; different windows never share one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResetPageKey {
    /// The customer.
    pub customer_id: String,
    /// The creation time and id the page starts after.
    pub after: PageStart,
    /// At most this many resets.
    pub limit: i64,
}

/// The loaders of one request.
pub struct RequestLoaders {
    /// Customers by id.
    pub customers: DataLoader<CustomerLoader>,
    /// Pages of resets by customer.
    pub reset_pages: DataLoader<ResetPagesLoader>,
    /// Reset counts by customer.
    pub reset_counts: DataLoader<ResetCountLoader>,
}

/// The loaders of one request, whose fetches `held` starts (see [`HeldFetches`]).
pub fn for_request(db: &Db, mode: Mode, held: &HeldFetches) -> RequestLoaders {
    RequestLoaders {
        customers: held.batching(CustomerLoader {
            db: db.clone(),
            mode,
        }),
        reset_pages: held.batching(ResetPagesLoader {
            db: db.clone(),
            mode,
        }),
        reset_counts: held.batching(ResetCountLoader {
            db: db.clone(),
            mode,
        }),
    }
}

/// The fetches a request's loaders ask for, held until the request's task has finished
/// the poll that asked for them, then spawned.
///
/// The sibling fields of a list ask for their keys in one poll of the request's task. A
/// fetch spawned at the first key could be taken by another worker thread at once and
/// run with only the keys asked so far, splitting the batch into more statements; a
/// timer (async-graphql's default 1 ms wait) only makes that less likely, and adds its
/// latency to every nested list. Held to the end of the poll, a batch is always whole.
#[derive(Clone, Default)]
pub struct HeldFetches(Arc<Held>);

impl HeldFetches {
    /// A loader that batches the keys of one poll and fetches them without delay.
    pub fn batching<K, L>(&self, loader: L) -> DataLoader<L>
    where
        K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
        L: Loader<K>,
    {
        let held = self.0.clone();
        // Held only when asked for within a poll of `run`: a fetch asked for anywhere else
        // (a task of its own) would wait for a poll that nothing may ever make.
        let hold = move |fetch: BoxFuture<'static, ()>| match POLLING.get() == Arc::as_ptr(&held) {
            true => held.lock().unwrap().push(fetch),
            false => drop(tokio::spawn(fetch)),
        };
        DataLoader::new(loader, hold).delay(Duration::ZERO)
    }

    /// Runs `execution` (the request's), spawning after each of its polls the fetches
    /// that poll asked for.
    pub async fn run<F: Future>(&self, execution: F) -> F::Output {
        let mut execution = std::pin::pin!(execution);
        std::future::poll_fn(|cx| {
            let polling = Polling::enter(&self.0);
            let polled = execution.as_mut().poll(cx);
            drop(polling);
            for fetch in self.0.lock().unwrap().drain(..) {
                tokio::spawn(fetch);
            }
            polled
        })
        .await
    }
}

type Held = Mutex<Vec<BoxFuture<'static, ()>>>;

thread_local! {
    /// The held fetches of the `run` this thread is polling, if any.
    static POLLING: std::cell::Cell<*const Held> = const { std::cell::Cell::new(std::ptr::null()) };
}

/// Marks this thread as polling a `run` until dropped (a panicking poll included).
struct Polling(*const Held);

impl Polling {
    fn enter(held: &Arc<Held>) -> Polling {
        Polling(POLLING.replace(Arc::as_ptr(held)))
    }
}

impl Drop for Polling {
    fn drop(&mut self) {
        POLLING.set(self.0);
    }
}

impl Loader<String> for CustomerLoader {
    type Value = Arc<Customer>;
    type Error = Arc<DbError>;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Arc<Customer>>, Self::Error> {
        let mut conn = self.db.read().await?;
        let found = customer_queries::find_many(&mut conn, self.mode, ids).await?;
        Ok(found
            .into_iter()
            .map(|c| (c.id.clone(), Arc::new(c)))
            .collect())
    }
}

impl Loader<ResetPageKey> for ResetPagesLoader {
    // An `Arc<Vec<_>>` rather than `Arc<[_]>`: its one reader takes the page back without
    // copying the resets when the loader has let go of it (`Arc::try_unwrap`).
    type Value = Arc<Vec<PasswordReset>>;
    type Error = Arc<DbError>;

    async fn load(
        &self,
        keys: &[ResetPageKey],
    ) -> Result<HashMap<ResetPageKey, Arc<Vec<PasswordReset>>>, Self::Error> {
        let mut windows: HashMap<(&PageStart, i64), Vec<String>> = HashMap::new();
        for key in keys {
            windows
                .entry((&key.after, key.limit))
                .or_default()
                .push(key.customer_id.clone());
        }
        let mut conn = self.db.read().await?;
        let mut pages = HashMap::with_capacity(keys.len());
        for ((after, limit), customer_ids) in windows {
            let resets = reset_queries::page_for_customers(
                &mut conn,
                self.mode,
                &customer_ids,
                after.as_ref(),
                limit,
            )
            .await?;
            let mut by_customer: HashMap<String, Vec<PasswordReset>> = customer_ids
                .into_iter()
                .map(|id| (id, Vec::new()))
                .collect();
            for reset in resets {
                by_customer
                    .entry(reset.customer_id.clone())
                    .or_default()
                    .push(reset);
            }
            for (customer_id, resets) in by_customer {
                let key = ResetPageKey {
                    customer_id,
                    after: after.clone(),
                    limit,
                };
                pages.insert(key, Arc::new(resets));
            }
        }
        Ok(pages)
    }
}

impl Loader<String> for ResetCountLoader {
    type Value = i64;
    type Error = Arc<DbError>;

    async fn load(&self, customer_ids: &[String]) -> Result<HashMap<String, i64>, Self::Error> {
        let mut conn = self.db.read().await?;
        let counts = reset_queries::count_for_customers(&mut conn, self.mode, customer_ids).await?;
        let mut by_customer: HashMap<String, i64> =
            customer_ids.iter().map(|id| (id.clone(), 0)).collect();
        by_customer.extend(counts);
        Ok(by_customer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records the keys of each batch it is asked for.
    #[derive(Clone, Default)]
    struct Recorder(Arc<Mutex<Vec<Vec<u32>>>>);

    impl Loader<u32> for Recorder {
        type Value = u32;
        type Error = ();

        async fn load(&self, keys: &[u32]) -> Result<HashMap<u32, u32>, ()> {
            let mut keys = keys.to_vec();
            keys.sort_unstable();
            self.0.lock().unwrap().push(keys.clone());
            Ok(keys.into_iter().map(|k| (k, k)).collect())
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_keys_of_one_poll_are_fetched_in_one_batch_however_long_the_poll_takes() {
        let held = HeldFetches::default();
        let batches = Recorder::default();
        let loader = held.batching(batches.clone());
        let (first, second) = held
            .run(async {
                futures_util::join!(loader.load_one(1), async {
                    // Time enough for another worker to run a fetch spawned at the first key.
                    std::thread::sleep(Duration::from_millis(100));
                    loader.load_one(2).await
                })
            })
            .await;
        assert_eq!((first, second), (Ok(Some(1)), Ok(Some(2))));
        assert_eq!(*batches.0.lock().unwrap(), [vec![1, 2]]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_loader_used_by_a_task_of_its_own_fetches_without_waiting_for_the_request() {
        let held = HeldFetches::default();
        let loader = Arc::new(held.batching(Recorder::default()));
        let spawned = tokio::spawn(async move { loader.load_one(7).await });
        let found = held
            .run(async { tokio::time::timeout(Duration::from_secs(5), spawned).await })
            .await;
        assert_eq!(found.expect("the fetch never ran").unwrap(), Ok(Some(7)));
    }
}
