//! DataLoaders, made per request for the caller's mode (never shared across requests or
//! modes): the customer of each reset, a page of each customer's resets and their
//! counts, each in one query per batch whatever the page size (a page of resets reads at
//! most the page per customer).
//!
//! Their values are shared (`Arc`): a DataLoader hands each caller its own clone of the
//! value, and a list of 25 resets would otherwise copy every string of 25 customers.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, Loader};
use chrono::NaiveDateTime;

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

/// The loaders of one request.
pub fn for_request(db: &Db, mode: Mode) -> RequestLoaders {
    RequestLoaders {
        customers: batching(CustomerLoader {
            db: db.clone(),
            mode,
        }),
        reset_pages: batching(ResetPagesLoader {
            db: db.clone(),
            mode,
        }),
        reset_counts: batching(ResetCountLoader {
            db: db.clone(),
            mode,
        }),
    }
}

/// A loader that fetches as soon as the request's task yields. No delay: the sibling
/// fields of a list ask for their keys in one poll of that task, before the spawned fetch
/// can run, so the batch is already whole. The default 1 ms wait only added latency (and
/// a timer thread's wake-up) to every nested list; tests/api/statements.rs checks that the
/// batches stay whole.
fn batching<K, L>(loader: L) -> DataLoader<L>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    L: Loader<K>,
{
    DataLoader::new(loader, tokio::spawn).delay(Duration::ZERO)
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
