//! The transactional outbox of webhook deliveries (DESIGN section 7).
//!
//! A change that fires an event calls [`record`] inside its own transaction: one row per
//! webhook of that topic and mode enabled at that moment, with the payload rendered as
//! the change left the resource. A rolled-back or refused change therefore has no event,
//! and a committed one always has its deliveries, whatever happens to the process next.
//! After the commit the caller wakes this instance's sender ([`Outbox::wake`]); other
//! instances find the rows on their next poll. Senders claim rows with a lease
//! ([`queries::claim`]), so two instances never send one attempt twice.
//!
//! A create event's token is sealed ([`crate::webhooks::sealed`]) under the outbox key
//! and erased once the delivery is settled or the reset stops being pending
//! ([`queries::forget_tokens`]): no readable token stays in the database.

mod key;
pub mod queries;
mod record;
mod redeliver;

use std::sync::Arc;

use tokio::sync::Notify;

pub use key::outbox_key;
pub use record::{Subject, record};
pub use redeliver::redeliver;

use crate::webhooks::sealed::OutboxKey;

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Waiting for its next attempt.
    Pending,
    /// A 2xx answered it.
    Delivered,
    /// Every attempt of the schedule failed.
    Failed,
    /// A create event whose reset stopped being pending before it went out.
    Discarded,
}

impl DeliveryState {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
            DeliveryState::Discarded => "discarded",
        }
    }
}

/// This instance's handle on the outbox: the key that seals tokens, and the signal that
/// wakes its sender after a commit. Cheap to clone.
#[derive(Clone)]
pub struct Outbox {
    key: OutboxKey,
    wake: Arc<Notify>,
}

impl Outbox {
    /// An outbox sealing with `key`.
    pub fn new(key: OutboxKey) -> Outbox {
        Outbox {
            key,
            wake: Arc::new(Notify::new()),
        }
    }

    /// The key that seals and opens tokens.
    pub fn key(&self) -> &OutboxKey {
        &self.key
    }

    /// Tells this instance's sender that deliveries were committed. Called after the
    /// commit, never inside the transaction: a sender woken earlier would not see them.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Completes at the next [`Outbox::wake`] (or at once if one came since the last
    /// call).
    pub async fn woken(&self) {
        self.wake.notified().await;
    }
}
