//! Integration tests: the real service, on SQLite and PostgreSQL, over HTTP.

/// Runs `body` with `c` bound to the connection of whichever backend `conn` is: the
/// suite's copy of the service's crate-private `db_run!`, for the few tests that read or
/// write rows the API does not reach.
macro_rules! db_run {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            reset_gateway::db::Conn::Pg($c) => {
                let $c: &mut &reset_gateway::db::PgConn = &mut &**$c;
                $body
            }
            reset_gateway::db::Conn::Sqlite($c) => {
                let $c: &mut reset_gateway::db::SqliteConn = &mut *$c;
                $body
            }
        }
    };
}

mod both_databases;
mod eventually;
mod files;
mod fixtures;
mod graphql_http;
mod harness;
mod postgres_database;
mod raw;
mod receiver;
mod redactions;
mod webhook_fixtures;

mod binary;
mod cli;
mod client_ip;
mod customers;
mod database_faults;
mod deep_nesting;
mod filter_indexes;
mod final_password;
mod fragment_cost;
mod fuzz;
mod fuzz_input;
mod integrator_fields;
mod keyset_cost;
mod keyset_pagination;
mod limits;
mod login_throttle;
mod memory_bounds;
mod migrations;
mod modes;
mod oauth;
mod observability;
mod pagination;
mod password_hashes;
mod passwords;
mod permissions;
mod rate_limits;
mod refresh_tokens;
mod reset_budgets;
mod reset_filters;
mod reset_flow;
mod reset_pages;
mod reset_password_fields;
mod reset_permissions;
mod reset_tokens;
mod schema;
mod secrets_in_logs;
mod shared_reads;
mod shutdown;
mod statements;
mod validation_memo;
mod webhook_client;
mod webhook_events;
mod webhook_metrics;
mod webhook_outbox;
mod webhook_payloads;
mod webhook_retries;
mod webhook_shutdown;
mod webhook_signatures;
mod webhook_subscribers;
mod webhook_tokens;
mod webhook_wakes;
mod webhooks_resource;
