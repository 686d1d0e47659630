//! Integration tests: the real service, on SQLite and PostgreSQL, over HTTP.

mod fixtures;
mod harness;

mod cli;
mod customers;
mod migrations;
mod modes;
mod oauth;
mod pagination;
mod permissions;
mod schema;
