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
use std::sync::atomic::{AtomicU64, Ordering};

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

/// This instance's handle on the outbox: the key that seals tokens, the signal that
/// wakes its sender after a commit, and how often that sender found nothing to do. Cheap
/// to clone.
#[derive(Clone)]
pub struct Outbox {
    key: OutboxKey,
    wake: Arc<Notify>,
    idle_passes: Arc<AtomicU64>,
}

impl Outbox {
    /// An outbox sealing with `key`.
    pub fn new(key: OutboxKey) -> Outbox {
        Outbox {
            key,
            wake: Arc::new(Notify::new()),
            idle_passes: Arc::new(AtomicU64::new(0)),
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

    /// [`Outbox::wake`], when a change committed `fired` deliveries (none: nothing to send).
    pub fn wake_for(&self, fired: usize) {
        if fired > 0 {
            self.wake();
        }
    }

    /// How many times this instance's sender looked for due deliveries with none in
    /// flight and found none. Two more passes than a reading taken after a commit mean
    /// that every delivery due by then has been attempted and its attempt recorded (the
    /// second pass began after the reading): what a check that nothing more is sent
    /// waits for, instead of waiting for time to pass.
    pub fn idle_passes(&self) -> u64 {
        self.idle_passes.load(Ordering::Acquire)
    }

    /// Counts one pass that found nothing to do (the sender calls it).
    pub(crate) fn note_idle_pass(&self) {
        self.idle_passes.fetch_add(1, Ordering::Release);
    }

    /// Completes at the next [`Outbox::wake`] (or at once if one came since the last
    /// call).
    pub async fn woken(&self) {
        self.wake.notified().await;
    }
}
