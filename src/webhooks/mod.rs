//! Webhooks (DESIGN section 7): Commerce Layer's, signed so that a receiver written for
//! Commerce Layer and one using any Standard Webhooks library both verify every delivery.

pub mod sealed;
pub mod secret;
pub mod signing;
