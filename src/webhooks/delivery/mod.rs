//! Sending the outbox's deliveries: the HTTP client that calls receivers safely
//! ([`client`]), when failures are retried ([`schedule`]) and the sender that claims,
//! signs, sends and records each attempt ([`sender`]).

pub mod client;
mod schedule;
pub mod sender;

pub use schedule::RetrySchedule;
