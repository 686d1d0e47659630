//! Integration tests: the real service, on SQLite and PostgreSQL, over HTTP.

mod fixtures;
mod graphql_http;
mod harness;

mod cli;
mod customers;
mod migrations;
mod modes;
mod oauth;
mod pagination;
mod permissions;
mod reset_filters;
mod reset_flow;
mod reset_permissions;
mod reset_tokens;
mod schema;
mod secrets_in_logs;
mod statements;
