//! Sending the outbox's deliveries: [`client`] POSTs one signed body to one callback URL,
//! refusing addresses that [`addresses`] rules out; [`RetrySchedule`] says when a failed
//! attempt is tried again; [`sender`] claims, signs, sends and records each attempt.

pub mod addresses;
pub mod client;
mod schedule;
pub mod sender;

pub use client::{Answer, CallbackClient, ClientSettings};
pub use schedule::RetrySchedule;
