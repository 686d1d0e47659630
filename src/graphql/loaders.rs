//! DataLoaders, made per request for the caller's mode (never shared across requests or
//! modes): the customer of each reset, and the resets of each customer, each in one query
//! per batch whatever the page size.
//!
//! Their values are shared (`Arc`): a DataLoader hands each caller its own clone of the
//! value, and a list of 25 resets would otherwise copy every string of 25 customers.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, Loader};

use crate::auth::Mode;
use crate::customers::{Customer, queries as customer_queries};
use crate::db::{Db, DbError};
use crate::resets::{PasswordReset, queries as reset_queries};

/// Loads customers by id.
pub struct CustomerLoader {
    db: Db,
    mode: Mode,
}

/// Loads every reset of a customer, newest first.
pub struct ResetsByCustomerLoader {
    db: Db,
    mode: Mode,
}

/// The loaders of one request.
pub fn for_request(
    db: &Db,
    mode: Mode,
) -> (
    DataLoader<CustomerLoader>,
    DataLoader<ResetsByCustomerLoader>,
) {
    (
        batching(CustomerLoader {
            db: db.clone(),
            mode,
        }),
        batching(ResetsByCustomerLoader {
            db: db.clone(),
            mode,
        }),
    )
}

/// A loader that fetches as soon as the request's task yields. No delay: the sibling
/// fields of a list ask for their keys in one poll of that task, before the spawned fetch
/// can run, so the batch is already whole. The default 1 ms wait only added latency (and
/// a timer thread's wake-up) to every nested list; tests/api/statements.rs checks that the
/// batches stay whole.
fn batching<L: Loader<String>>(loader: L) -> DataLoader<L> {
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

impl Loader<String> for ResetsByCustomerLoader {
    type Value = Arc<[PasswordReset]>;
    type Error = Arc<DbError>;

    async fn load(
        &self,
        customer_ids: &[String],
    ) -> Result<HashMap<String, Arc<[PasswordReset]>>, Self::Error> {
        let mut conn = self.db.read().await?;
        let resets = reset_queries::for_customers(&mut conn, self.mode, customer_ids).await?;
        let mut by_customer: HashMap<String, Vec<PasswordReset>> = customer_ids
            .iter()
            .map(|id| (id.clone(), Vec::new()))
            .collect();
        for reset in resets {
            by_customer
                .entry(reset.customer_id.clone())
                .or_default()
                .push(reset);
        }
        Ok(by_customer
            .into_iter()
            .map(|(id, resets)| (id, Arc::from(resets)))
            .collect())
    }
}
