//! One fuzz input as a request, and the oracle on the documents it carries: shared by the
//! corpus replay of `cargo test` (`tests/api/fuzz.rs`) and the coverage-guided fuzzer
//! (`fuzz/fuzz_targets/request.rs`, which includes this file), so that both read the
//! committed corpus (`tests/fuzz-corpus/`) the same way.
//!
//! An input is a request line, a newline, then the body. The request line is
//! `METHOD PATH [CONTENT-TYPE|-] [integration]`, read leniently so that whatever a
//! fuzzer makes of it is still a request: `GET` or else POST; `/oauth/token`,
//! `/oauth/revoke`, or else `/graphql` (with the query string the path carries); `-`
//! for no content type; `integration` to send an integration's bearer token.

#![allow(
    dead_code,
    reason = "included by two crates, each using part of it: an expect would fail in one"
)]

use std::collections::HashSet;

use reset_gateway::http::cost::{self, VISITS_PER_BYTE};
use reset_gateway::http::nesting;
use serde_json::{Map, Value};

/// A request read from a fuzz input.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The path, with a query string for GET.
    pub path: String,
    pub content_type: Option<String>,
    /// True when it is sent with an integration's token.
    pub as_integration: bool,
    pub body: Vec<u8>,
}

/// Reads an input (any bytes).
pub fn read(input: &[u8]) -> Request {
    let split = input
        .iter()
        .position(|b| *b == b'\n')
        .unwrap_or(input.len());
    let line = String::from_utf8_lossy(&input[..split]);
    let body = input.get(split + 1..).unwrap_or_default().to_vec();
    let mut words = line.split_ascii_whitespace();
    let method = match words.next() {
        Some(m) if m.eq_ignore_ascii_case("GET") => "GET",
        _ => "POST",
    };
    let target = words.next().unwrap_or("/graphql");
    let path = if target.starts_with("/oauth/token") {
        "/oauth/token".to_owned()
    } else if target.starts_with("/oauth/revoke") {
        "/oauth/revoke".to_owned()
    } else {
        match target.split_once('?') {
            Some((_, query)) => format!("/graphql?{query}"),
            None => "/graphql".to_owned(),
        }
    };
    let content_type = match words.next() {
        Some("-") => None,
        Some(content_type) => Some(content_type.to_owned()),
        None if method == "GET" => None,
        None => Some("application/json".to_owned()),
    };
    Request {
        method,
        path,
        content_type,
        as_integration: words.next() == Some("integration"),
        body,
    }
}

/// The GraphQL documents a request carries, each with its variables.
pub fn documents(request: &Request) -> Vec<(String, Map<String, Value>)> {
    let Some(query) = request.path.strip_prefix("/graphql") else {
        return Vec::new();
    };
    let objects: Vec<Map<String, Value>> = if request.method == "GET" {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(query.trim_start_matches('?')).unwrap_or_default();
        let mut object = Map::new();
        for (key, value) in pairs {
            let value = match key.as_str() {
                "variables" => serde_json::from_str(&value).unwrap_or(Value::Null),
                _ => Value::String(value),
            };
            object.insert(key, value);
        }
        vec![object]
    } else {
        match serde_json::from_slice(&request.body) {
            Ok(Value::Object(object)) => vec![object],
            Ok(Value::Array(items)) => (items.into_iter())
                .filter_map(|item| match item {
                    Value::Object(object) => Some(object),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    };
    (objects.into_iter())
        .filter_map(|mut object| {
            let Some(Value::String(document)) = object.remove("query") else {
                return None;
            };
            let variables = match object.remove("variables") {
                Some(Value::Object(variables)) => variables,
                _ => Map::new(),
            };
            Some((document, variables))
        })
        .collect()
}

/// The work oracle: Err when the cost analysis of a document that the service would
/// analyse (it nests within `max_nesting` and parses) visits more nodes than its budget,
/// [`VISITS_PER_BYTE`] per byte of its text.
pub fn check_work(
    document: &str,
    variables: &Map<String, Value>,
    paged: &HashSet<String>,
    max_nesting: usize,
) -> Result<(), String> {
    if nesting::check_graphql(document, max_nesting).is_err() {
        return Ok(());
    }
    let Ok(parsed) = async_graphql::parser::parse_query(document) else {
        return Ok(());
    };
    match cost::measure(&parsed, paged, variables) {
        Ok(cost) if cost.visited > VISITS_PER_BYTE * document.len() => Err(format!(
            "{} nodes visited for a document of {} bytes",
            cost.visited,
            document.len()
        )),
        _ => Ok(()),
    }
}
