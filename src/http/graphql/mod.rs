//! `/graphql`, following the GraphQL-over-HTTP spec: POST (one request or a bounded
//! batch) and GET (queries only), `application/graphql-response+json` or
//! `application/json` by `Accept`, Apollo persisted queries; GraphiQL for browsers.

mod apq;
mod document;
mod negotiate;
mod params;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header::{ACCEPT, ALLOW, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use apq::ApqError;
pub use apq::PersistedQueries;
use document::Analysis;
use negotiate::MediaType;
use params::{GraphqlParams, PostBody};

use crate::AppState;
use crate::auth::{Caller, Role};

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
pub async fn post(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
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
    let caller = crate::http::identify(&state, &headers).await;
    match body {
        PostBody::Single(params) => run_one(&state, &caller, media, params, false).await,
        PostBody::Batch(batch) => run_batch(&state, &caller, media, batch).await,
    }
}

/// `GET /graphql`: GraphiQL for a browser, otherwise a query from the URL.
pub async fn get(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
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
    let caller = crate::http::identify(&state, &headers).await;
    run_one(&state, &caller, media, params, true).await
}

async fn run_one(
    state: &Arc<AppState>,
    caller: &Caller,
    media: MediaType,
    params: GraphqlParams,
    over_get: bool,
) -> Response {
    let prepared = match prepare(state, caller, params, over_get) {
        Ok(prepared) => prepared,
        Err(refusal) => return refusal.into_response(media),
    };
    if prepared.analysis.password_mutations > 1 {
        return one_password_mutation_only().into_response(media);
    }
    let (body, request_error) = execute(state, prepared).await;
    let status = match (request_error, media) {
        (true, MediaType::GraphqlResponseJson) => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    respond(media, status, &body)
}

async fn run_batch(
    state: &Arc<AppState>,
    caller: &Caller,
    media: MediaType,
    batch: Vec<GraphqlParams>,
) -> Response {
    let limit = state.config.max_batch_size;
    if batch.is_empty() || batch.len() > limit {
        let message = match limit {
            0 => "batched requests are turned off".to_owned(),
            _ => format!("a batch holds 1 to {limit} requests"),
        };
        return Refusal::bad_request(message).into_response(media);
    }
    let prepared: Vec<Result<Prepared, Refusal>> = batch
        .into_iter()
        .map(|params| prepare(state, caller, params, false))
        .collect();
    let hashing: usize = prepared
        .iter()
        .flatten()
        .map(|p| p.analysis.password_mutations)
        .sum();
    if hashing > 1 {
        // One batch is one request: it may not hash more passwords than one document may.
        return one_password_mutation_only().into_response(media);
    }
    let answers = futures_util::future::join_all(prepared.into_iter().map(|item| async move {
        match item {
            Ok(prepared) => execute(state, prepared).await.0,
            Err(refusal) => refusal.body(),
        }
    }))
    .await;
    respond(media, StatusCode::OK, &Value::Array(answers))
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
