//! `/graphql`, following the GraphQL-over-HTTP spec: POST (one request or a bounded
//! batch) and GET (queries only), `application/graphql-response+json` or
//! `application/json` by `Accept`, Apollo persisted queries; GraphiQL for browsers.

mod apq;
mod document;
mod negotiate;
mod params;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::header::{ACCEPT, ALLOW, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use apq::ApqError;
pub use apq::PersistedQueries;
use document::Analysis;
use negotiate::MediaType;
use params::{GraphqlParams, PostBody};

use super::limits;
use crate::AppState;
use crate::auth::{Caller, Role};
use crate::rate_limits::Verdict;

/// Who is asking, from where: what rate limits and logs key on.
struct Client {
    caller: Caller,
    /// `credential-id|ip`, or `anonymous|ip`.
    rate_subject: String,
}

impl Client {
    async fn identify(state: &AppState, headers: &HeaderMap, peer: SocketAddr) -> Client {
        let caller = crate::http::identify(state, headers).await;
        let ip = limits::client_ip(state, headers, peer);
        let who = match &caller {
            Caller::Authenticated(p) => p.credential_id.as_str(),
            _ => "anonymous",
        };
        Client {
            rate_subject: format!("{who}|{ip}"),
            caller,
        }
    }

    fn credential(&self) -> &str {
        match &self.caller {
            Caller::Authenticated(p) => &p.credential_id,
            _ => "",
        }
    }
}

/// What one request was and how it ended, for the log line and the metrics.
struct Outcome {
    operation: String,
    outcome: String,
}

impl Outcome {
    fn new(operation: impl Into<String>, outcome: impl Into<String>) -> Self {
        Outcome {
            operation: operation.into(),
            outcome: outcome.into(),
        }
    }

    /// `ok`, or the code of the first error in a GraphQL answer.
    fn of_answer(operation: impl Into<String>, body: &Value) -> Self {
        let first = match body {
            Value::Array(items) => items
                .iter()
                .find_map(|b| b["errors"][0]["extensions"]["code"].as_str()),
            body => body["errors"][0]["extensions"]["code"].as_str(),
        };
        Outcome::new(operation, first.unwrap_or("ok"))
    }
}

/// Logs a finished GraphQL request and records its metrics.
fn finish(
    state: &AppState,
    client: &Client,
    started: Instant,
    outcome: Outcome,
    response: Response,
) -> Response {
    let elapsed = started.elapsed();
    state
        .metrics
        .observe(&outcome.operation, &outcome.outcome, elapsed);
    tracing::info!(
        operation = %outcome.operation,
        outcome = %outcome.outcome,
        duration_ms = elapsed.as_secs_f64() * 1000.0,
        credential = client.credential(),
        status = response.status().as_u16(),
        "graphql request"
    );
    response
}

/// A request refused before it runs, with the status for each media type.
struct Refusal {
    /// Status with `application/graphql-response+json`.
    status: StatusCode,
    /// Status with `application/json` (the spec keeps 200 for document errors there).
    legacy_status: StatusCode,
    message: String,
    code: &'static str,
    allow_post_only: bool,
}

impl Refusal {
    fn new(
        status: StatusCode,
        legacy_status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Refusal {
            status,
            legacy_status,
            message: message.into(),
            code,
            allow_post_only: false,
        }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            message,
        )
    }

    fn body(&self) -> Value {
        json!({ "errors": [{ "message": self.message, "extensions": { "code": self.code } }] })
    }

    fn into_response(self, media: MediaType) -> Response {
        let status = match media {
            MediaType::GraphqlResponseJson => self.status,
            MediaType::Json => self.legacy_status,
        };
        let mut response = respond(media, status, &self.body());
        if self.allow_post_only {
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("POST"));
        }
        response
    }
}

/// A request ready to run.
struct Prepared {
    request: async_graphql::Request,
    analysis: Analysis,
}

/// `POST /graphql`: one request, or a batch of at most `MAX_BATCH_SIZE`.
pub async fn post(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let Some(media) = negotiate::negotiate(header(&headers, ACCEPT.as_str())) else {
        return not_acceptable();
    };
    let content_type = header(&headers, CONTENT_TYPE.as_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let is_json = content_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim() == "application/json");
    let charset_ok = content_type.split(';').skip(1).all(|p| {
        p.trim()
            .strip_prefix("charset=")
            .is_none_or(|c| c.trim_matches('"').eq_ignore_ascii_case("utf-8"))
    });
    if !is_json || !charset_ok {
        return Refusal::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "send the request as application/json (UTF-8)",
        )
        .into_response(media);
    }
    let body = match params::from_body(&body) {
        Ok(body) => body,
        Err(message) => return Refusal::bad_request(message).into_response(media),
    };
    let client = Client::identify(&state, &headers, peer).await;
    let (response, outcome) = match body {
        PostBody::Single(params) => run_one(&state, &client, media, params, false).await,
        PostBody::Batch(batch) => run_batch(&state, &client, media, batch).await,
    };
    finish(&state, &client, started, outcome, response)
}

/// `GET /graphql`: GraphiQL for a browser, otherwise a query from the URL.
pub async fn get(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let started = Instant::now();
    let query = query.unwrap_or_default();
    let accept = header(&headers, ACCEPT.as_str()).unwrap_or("");
    if accept.contains("text/html")
        && !query
            .split('&')
            .any(|p| p.starts_with("query=") || p.starts_with("extensions="))
    {
        return super::graphiql::page(&state).into_response();
    }
    let Some(media) = negotiate::negotiate(Some(accept)) else {
        return not_acceptable();
    };
    let params = match params::from_query_string(&query) {
        Ok(params) => params,
        Err(message) => return Refusal::bad_request(message).into_response(media),
    };
    let client = Client::identify(&state, &headers, peer).await;
    let (response, outcome) = run_one(&state, &client, media, params, true).await;
    finish(&state, &client, started, outcome, response)
}

async fn run_one(
    state: &Arc<AppState>,
    client: &Client,
    media: MediaType,
    params: GraphqlParams,
    over_get: bool,
) -> (Response, Outcome) {
    let prepared = match prepare(state, &client.caller, params, over_get) {
        Ok(prepared) => prepared,
        Err(refusal) => {
            let outcome = Outcome::new("invalid", refusal.code);
            return (refusal.into_response(media), outcome);
        }
    };
    let operation = operation_label(state, &prepared.analysis);
    if prepared.analysis.password_mutations > 1 {
        let refusal = one_password_mutation_only();
        let outcome = Outcome::new(operation, refusal.code);
        return (refusal.into_response(media), outcome);
    }
    let verdict = match rate_limit(state, client, 1, prepared.analysis.reset_mutations).await {
        Ok(verdict) => verdict,
        Err(verdict) => {
            return (
                too_many_requests(media, &verdict),
                Outcome::new(operation, "TOO_MANY_REQUESTS"),
            );
        }
    };
    let (body, request_error) = execute(state, prepared).await;
    let status = match (request_error, media) {
        (true, MediaType::GraphqlResponseJson) => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    let mut response = respond(media, status, &body);
    limits::add_headers(&mut response, verdict.as_ref());
    (response, Outcome::of_answer(operation, &body))
}

async fn run_batch(
    state: &Arc<AppState>,
    client: &Client,
    media: MediaType,
    batch: Vec<GraphqlParams>,
) -> (Response, Outcome) {
    let limit = state.config.max_batch_size;
    if batch.is_empty() || batch.len() > limit {
        let message = match limit {
            0 => "batched requests are turned off".to_owned(),
            _ => format!("a batch holds 1 to {limit} requests"),
        };
        return (
            Refusal::bad_request(message).into_response(media),
            Outcome::new("batch", "BAD_REQUEST"),
        );
    }
    let operations = batch.len() as u32;
    let prepared: Vec<Result<Prepared, Refusal>> = batch
        .into_iter()
        .map(|params| prepare(state, &client.caller, params, false))
        .collect();
    let analyses = || prepared.iter().flatten().map(|p| &p.analysis);
    if analyses().map(|a| a.password_mutations).sum::<usize>() > 1 {
        // One batch is one request: it may not hash more passwords than one document may.
        let refusal = one_password_mutation_only();
        let outcome = Outcome::new("batch", refusal.code);
        return (refusal.into_response(media), outcome);
    }
    let resets = analyses().map(|a| a.reset_mutations).sum();
    let verdict = match rate_limit(state, client, operations, resets).await {
        Ok(verdict) => verdict,
        Err(verdict) => {
            return (
                too_many_requests(media, &verdict),
                Outcome::new("batch", "TOO_MANY_REQUESTS"),
            );
        }
    };
    let answers = futures_util::future::join_all(prepared.into_iter().map(|item| async move {
        match item {
            Ok(prepared) => execute(state, prepared).await.0,
            Err(refusal) => refusal.body(),
        }
    }))
    .await;
    let body = Value::Array(answers);
    let mut response = respond(media, StatusCode::OK, &body);
    limits::add_headers(&mut response, verdict.as_ref());
    (response, Outcome::of_answer("batch", &body))
}

/// Counts the request against the GraphQL budget and, for reset creations and
/// redemptions, the tighter reset budget. Err with the verdict that refused it.
async fn rate_limit(
    state: &AppState,
    client: &Client,
    operations: u32,
    reset_mutations: usize,
) -> Result<Option<Verdict>, Verdict> {
    let config = &state.config;
    let general = limits::check(
        state,
        "graphql",
        &client.rate_subject,
        config.budget(config.rate_limit_graphql),
        operations,
    )
    .await;
    if let Some(verdict) = general.filter(|v| !v.allowed) {
        return Err(verdict);
    }
    if reset_mutations == 0 {
        return Ok(general);
    }
    let resets = limits::check(
        state,
        "resets",
        &client.rate_subject,
        config.budget(config.rate_limit_resets),
        reset_mutations as u32,
    )
    .await;
    match resets {
        Some(verdict) if !verdict.allowed => Err(verdict),
        Some(verdict) => Ok(Some(verdict)),
        None => Ok(general),
    }
}

fn too_many_requests(media: MediaType, verdict: &Verdict) -> Response {
    let refusal = Refusal::new(
        StatusCode::TOO_MANY_REQUESTS,
        StatusCode::TOO_MANY_REQUESTS,
        "TOO_MANY_REQUESTS",
        format!(
            "too many requests: at most {} every {} s",
            verdict.budget.limit,
            verdict.budget.interval.as_secs()
        ),
    );
    let mut response = refusal.into_response(media);
    limits::add_headers(&mut response, Some(verdict));
    response
}

/// The metrics label of an operation: its first root field when the schema has it (so
/// clients cannot grow the label set), else `other`.
fn operation_label(state: &AppState, analysis: &Analysis) -> String {
    match &analysis.first_root_field {
        Some(field) if state.root_fields.contains(field) => field.clone(),
        _ => "other".to_owned(),
    }
}

fn one_password_mutation_only() -> Refusal {
    Refusal::new(
        StatusCode::BAD_REQUEST,
        StatusCode::OK,
        "GRAPHQL_VALIDATION_FAILED",
        "a request may set or reset at most one password",
    )
}

/// Resolves a persisted query, parses the document and applies the pre-execution rules.
fn prepare(
    state: &Arc<AppState>,
    caller: &Caller,
    mut params: GraphqlParams,
    over_get: bool,
) -> Result<Prepared, Refusal> {
    match state.persisted_queries.resolve(&mut params) {
        Ok(()) => {}
        Err(ApqError::NotFound) => {
            return Err(Refusal::new(
                StatusCode::OK,
                StatusCode::OK,
                "PERSISTED_QUERY_NOT_FOUND",
                "PersistedQueryNotFound",
            ));
        }
        Err(ApqError::Invalid(why)) => return Err(Refusal::bad_request(why)),
    }
    let Some(query) = params.query else {
        return Err(Refusal::bad_request("`query` is required"));
    };
    if query.len() > state.config.max_document_bytes {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            StatusCode::OK,
            "GRAPHQL_VALIDATION_FAILED",
            format!(
                "the document is larger than {} bytes",
                state.config.max_document_bytes
            ),
        ));
    }
    let document = async_graphql::parser::parse_query(&query).map_err(|e| {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            StatusCode::OK,
            "GRAPHQL_PARSE_FAILED",
            e.to_string(),
        )
    })?;
    let analysis = document::analyze(
        &document,
        params.operation_name.as_deref(),
        &params.variables,
    )
    .unwrap_or_default();
    if over_get && analysis.is_mutation {
        let mut refusal = Refusal::new(
            StatusCode::METHOD_NOT_ALLOWED,
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "mutations must be sent with POST",
        );
        refusal.allow_post_only = true;
        return Err(refusal);
    }
    if analysis.aliases > state.config.max_aliases {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            StatusCode::OK,
            "GRAPHQL_VALIDATION_FAILED",
            format!("at most {} aliases per operation", state.config.max_aliases),
        ));
    }
    let integration = matches!(caller, Caller::Authenticated(p) if p.role == Role::Integration);
    if analysis.introspects {
        if !state.config.introspection {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                StatusCode::OK,
                "GRAPHQL_VALIDATION_FAILED",
                "introspection is turned off",
            ));
        }
        if !integration {
            let (status, code) = match caller {
                Caller::Authenticated(_) => (StatusCode::FORBIDDEN, "UNAUTHORIZED"),
                _ => (StatusCode::UNAUTHORIZED, "INVALID_TOKEN"),
            };
            return Err(Refusal::new(
                status,
                StatusCode::OK,
                code,
                "introspection needs an integration token",
            ));
        }
    }
    let mut request = async_graphql::Request::new(query).variables(
        async_graphql::Variables::from_json(Value::Object(params.variables)),
    );
    if let Some(name) = params.operation_name {
        request = request.operation_name(name);
    }
    if !integration {
        request = request.disable_introspection();
    }
    if let Caller::Authenticated(principal) = caller {
        let (customers, resets) = crate::graphql::loaders::for_request(&state.db, principal.mode);
        request = request.data(customers).data(resets);
    }
    Ok(Prepared {
        request: request.data(caller.clone()).data(state.clone()),
        analysis,
    })
}

/// Runs a prepared request; the flag is true when it failed before execution (a
/// validation error: no data and no error with a path).
async fn execute(state: &Arc<AppState>, prepared: Prepared) -> (Value, bool) {
    let response = state.schema.execute(prepared.request).await;
    let request_error = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    let mut body = serde_json::to_value(&response)
        .unwrap_or_else(|_| json!({ "errors": [{ "message": "internal server error" }] }));
    if let Value::Object(map) = &mut body {
        if request_error {
            map.remove("data");
        }
        if let Some(Value::Array(errors)) = map.get_mut("errors") {
            errors.iter_mut().for_each(give_code);
        }
    }
    (body, request_error)
}

/// Errors that async-graphql raises itself (document validation, variable and argument
/// coercion) carry no code; every error a client sees should.
fn give_code(error: &mut Value) {
    let Value::Object(error) = error else { return };
    let has_path = error.get("path").is_some_and(|p| !p.is_null());
    let extensions = error.entry("extensions").or_insert_with(|| json!({}));
    if let Value::Object(extensions) = extensions
        && !extensions.contains_key("code")
    {
        let code = if has_path {
            "VALIDATION_ERROR"
        } else {
            "GRAPHQL_VALIDATION_FAILED"
        };
        extensions.insert("code".into(), Value::String(code.into()));
    }
}

fn respond(media: MediaType, status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(media.content_type()));
    // Answers depend on the caller's token: no shared cache may keep them.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn not_acceptable() -> Response {
    let body = json!({ "errors": [{ "message": "accept application/graphql-response+json or application/json", "extensions": { "code": "NOT_ACCEPTABLE" } }] });
    let mut response = (StatusCode::NOT_ACCEPTABLE, body.to_string()).into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}
