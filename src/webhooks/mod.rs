//! Webhooks (DESIGN section 7): Commerce Layer's, signed so that a receiver written for
//! Commerce Layer and one using any Standard Webhooks library both verify every delivery.
//!
//! [`resource`] is the `Webhook` resource (its rules and queries); [`topic`] and
//! [`payload`] are what events are called and what they carry; [`outbox`] holds the
//! deliveries written in each change's transaction and [`delivery`] sends them;
//! [`secret`], [`signing`] and [`sealed`] are the cryptography deliveries use.

pub mod delivery;
pub mod outbox;
pub mod payload;
pub mod resource;
pub mod sealed;
pub mod secret;
pub mod signing;
pub mod topic;
