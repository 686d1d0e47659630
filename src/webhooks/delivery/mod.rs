//! Delivering webhook events: [`client`] POSTs one signed body to one callback URL,
//! refusing addresses that [`addresses`] rules out.

pub mod addresses;
pub mod client;

pub use client::{Answer, CallbackClient, ClientSettings};
