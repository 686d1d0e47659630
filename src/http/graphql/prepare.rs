//! From parameters to a request ready to run: persisted query, parsing (after the nesting
//! check), the document's cost with its fragments expanded, the checks made before
//! execution; then execution.

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::Value;

use super::answer::Answer;
use super::apq::{ApqError, Registration};
use super::cost;
use super::document::{self, Analysis};
use super::params::GraphqlParams;
use super::parsed::{Parsed, ParsedDocuments};
use super::refusal::Refusal;
use super::validated::Validation;
use crate::AppState;
use crate::auth::{Caller, Role};
use crate::codes::graphql as code;
use crate::graphql::loaders::HeldFetches;
use crate::http::nesting;

/// A request ready to run.
pub(super) struct Prepared {
    request: async_graphql::Request,
    pub(super) analysis: Analysis,
    validation: Validation,
    /// The fetches of the request's loaders, started as its execution asks.
    fetches: HeldFetches,
}

/// Resolves a persisted query, parses the document and applies the pre-execution rules,
/// each a named check below, in the order a refusal is chosen.
pub(super) fn prepare(
    state: &Arc<AppState>,
    caller: &Caller,
    mut params: GraphqlParams,
    over_get: bool,
) -> Result<Prepared, Refusal> {
    let registration = resolve_persisted_query(state, &mut params)?;
    let Some(query) = params.query.take() else {
        return Err(Refusal::bad_request("`query` is required"));
    };
    check_size(state, &query)?;
    let (parsed, kept) = match state.parsed_documents.get(&query) {
        Some(parsed) => (parsed, true),
        None => (parse(state, &query)?, false),
    };
    // Before anything walks the document again: every later walk (the analysis below,
    // validation, the executor) expands fragments, each spread anew.
    check_cost(state, &parsed, &params.variables)?;
    let analysis = document::analyze(
        &state.password_slots,
        &state.redemption_fields,
        &parsed.document,
        params.operation_name.as_deref(),
        &params.variables,
    )
    .unwrap_or_default();
    check_method(&analysis, over_get)?;
    check_aliases(state, &analysis)?;
    check_introspection(state, caller, &analysis)?;
    // Every check has passed: only now may the request's document take room in memory.
    if !kept {
        state.parsed_documents.keep(&query, parsed.clone());
    }
    if let Some(registration) = registration {
        state.persisted_queries.register(registration, &query);
    }
    let Parsed {
        document,
        validation,
    } = parsed;
    let validation = Validation::of(
        validation,
        params.operation_name.as_deref(),
        &params.variables,
    );
    let mut request = async_graphql::Request::new(query).variables(
        async_graphql::Variables::from_json(Value::Object(params.variables)),
    );
    if let Some(name) = params.operation_name {
        request = request.operation_name(name);
    }
    // Parsed once: the limits above read the same document that runs.
    request.set_parsed_query(document);
    let fetches = HeldFetches::default();
    Ok(Prepared {
        request: with_caller(state, caller, request, &fetches),
        analysis,
        validation,
        fetches,
    })
}

/// Takes the text of a persisted query the request names (or its registration, to make
/// once every check has passed).
fn resolve_persisted_query(
    state: &AppState,
    params: &mut GraphqlParams,
) -> Result<Option<Registration>, Refusal> {
    match state.persisted_queries.resolve(params) {
        Ok(registration) => Ok(registration),
        Err(ApqError::NotFound) => Err(Refusal::new(
            StatusCode::OK,
            code::PERSISTED_QUERY_NOT_FOUND,
            "PersistedQueryNotFound",
        )),
        Err(ApqError::Invalid(why)) => Err(Refusal::bad_request(why)),
    }
}

/// Refuses a document over `MAX_DOCUMENT_BYTES` before parsing it.
fn check_size(state: &AppState, query: &str) -> Result<(), Refusal> {
    let max = state.config.max_document_bytes;
    match query.len() > max {
        true => Err(Refusal::validation_failed(format!(
            "the document is larger than {max} bytes"
        ))),
        false => Ok(()),
    }
}

/// Refuses a mutation sent over GET (405, `Allow: POST`).
fn check_method(analysis: &Analysis, over_get: bool) -> Result<(), Refusal> {
    if over_get && analysis.is_mutation {
        let mut refusal = Refusal::new(
            StatusCode::METHOD_NOT_ALLOWED,
            code::METHOD_NOT_ALLOWED,
            "mutations must be sent with POST",
        );
        refusal.allow_post_only = true;
        return Err(refusal);
    }
    Ok(())
}

/// Refuses an operation with more aliases than `MAX_ALIASES`.
fn check_aliases(state: &AppState, analysis: &Analysis) -> Result<(), Refusal> {
    let max = state.config.max_aliases;
    match analysis.aliases > max {
        true => Err(Refusal::validation_failed(format!(
            "at most {max} aliases per operation"
        ))),
        false => Ok(()),
    }
}

/// Refuses introspection when it is turned off, or asked by anyone but an integration
/// (401 without a valid token, 403 with another role's).
fn check_introspection(
    state: &AppState,
    caller: &Caller,
    analysis: &Analysis,
) -> Result<(), Refusal> {
    if !analysis.introspects {
        return Ok(());
    }
    if !state.config.introspection {
        return Err(Refusal::validation_failed("introspection is turned off"));
    }
    if is_integration(caller) {
        return Ok(());
    }
    let (status, code) = match caller {
        Caller::Authenticated(_) => (StatusCode::FORBIDDEN, code::UNAUTHORIZED),
        _ => (StatusCode::UNAUTHORIZED, code::INVALID_TOKEN),
    };
    Err(
        Refusal::request_error(code, "introspection needs an integration token")
            .with_status(status),
    )
}

fn is_integration(caller: &Caller) -> bool {
    matches!(caller, Caller::Authenticated(p) if p.role == Role::Integration)
}

/// Gives the request what its resolvers read: the caller, the state, and for a verified
/// caller the per-request loaders (their fetches held by `fetches`); introspection only
/// for integrations.
fn with_caller(
    state: &Arc<AppState>,
    caller: &Caller,
    mut request: async_graphql::Request,
    fetches: &HeldFetches,
) -> async_graphql::Request {
    if !is_integration(caller) {
        request = request.disable_introspection();
    }
    if let Caller::Authenticated(principal) = caller {
        let loaders = crate::graphql::loaders::for_request(&state.db, principal.mode, fetches);
        let callbacks = crate::graphql::webhook::callbacks_loader(&state.db, fetches);
        request = request
            .data(loaders.customers)
            .data(loaders.reset_pages)
            .data(loaders.reset_counts)
            .data(callbacks);
    }
    request.data(caller.clone()).data(state.clone())
}

/// Parses a document this instance does not keep, once its nesting is known to be within
/// `MAX_NESTING`: the parser and what walks its values recurse once per level.
fn parse(state: &AppState, query: &str) -> Result<Parsed, Refusal> {
    let max_nesting = state.config.max_nesting;
    nesting::check_graphql(query, max_nesting)
        .map_err(|e| Refusal::parse_failed(format!("the document is {e}")))?;
    ParsedDocuments::parse_new(query).map_err(|e| Refusal::parse_failed(e.to_string()))
}

/// Refuses a document whose cost, fragments expanded, is over `MAX_COMPLEXITY` (with the
/// schema's own message), whose selections nest deeper than `MAX_NESTING` through its
/// fragments, or with a fragment cycle or an unused fragment (the schema's messages).
fn check_cost(
    state: &AppState,
    parsed: &Parsed,
    variables: &serde_json::Map<String, Value>,
) -> Result<(), Refusal> {
    let cost = cost::measure(&parsed.document, &state.paged_fields, variables)
        .map_err(|refused| Refusal::validation_failed(refused.to_string()))?;
    let max_nesting = state.config.max_nesting;
    if cost.depth > max_nesting {
        return Err(Refusal::validation_failed(format!(
            "the selections nest deeper than {max_nesting} levels once fragments are expanded"
        )));
    }
    if cost.complexity > state.config.max_complexity as u64 {
        return Err(Refusal::validation_failed("Query is too complex."));
    }
    Ok(())
}

/// Runs a prepared request: on the schema that skips the validation rules when the
/// document is known to pass them (see [`Validation`]), else on the one that applies them
/// all, remembering a pass. Both check the complexity and depth limits.
pub(super) async fn execute(state: &Arc<AppState>, prepared: Prepared) -> Answer {
    let Prepared {
        request,
        validation,
        fetches,
        ..
    } = prepared;
    let Validation::Full(pending) = validation else {
        let execution = state.prevalidated_schema.execute(request);
        return Answer::new(fetches.run(execution).await);
    };
    let answer = Answer::new(fetches.run(state.schema.execute(request)).await);
    // An answer that is not a request error ran, so its document passed validation.
    if let Some(pending) = pending.filter(|_| !answer.is_request_error()) {
        pending.record();
    }
    answer
}
