//! Integration tests: the real service, on SQLite and PostgreSQL, over HTTP.

mod files;
mod fixtures;
mod graphql_http;
mod harness;

mod binary;
mod cli;
mod client_ip;
mod customers;
mod database_faults;
mod final_password;
mod fuzz;
mod integrator_fields;
mod limits;
mod login_throttle;
mod memory_bounds;
mod migrations;
mod modes;
mod oauth;
mod observability;
mod pagination;
mod passwords;
mod permissions;
mod rate_limits;
mod refresh_tokens;
mod reset_budgets;
mod reset_filters;
mod reset_flow;
mod reset_permissions;
mod reset_tokens;
mod schema;
mod secrets_in_logs;
mod shared_reads;
mod shutdown;
mod statements;
mod validation_memo;
