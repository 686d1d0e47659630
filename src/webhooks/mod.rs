//! Webhooks (DESIGN section 7): Commerce Layer's, signed so that a receiver written for
//! Commerce Layer and one using any Standard Webhooks library both verify every delivery.
//!
//! [`resource`] is the `Webhook` resource (its rules and queries); [`secret`],
//! [`signing`] and [`sealed`] are the cryptography deliveries use; [`delivery`] calls
//! callback URLs.

pub mod delivery;
pub mod resource;
pub mod sealed;
pub mod secret;
pub mod signing;
