//! From parameters to a request ready to run: persisted query, parsing (after the nesting
//! check), the document's cost with its fragments expanded, the checks made before
//! execution; then execution.

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::Value;

use super::answer::Answer;
use super::apq::ApqError;
use super::cost;
use super::document::{self, Analysis};
use super::params::GraphqlParams;
use super::parsed::{Parsed, ParsedDocuments};
use super::refusal::Refusal;
use super::validated::Validation;
use crate::AppState;
use crate::auth::{Caller, Role};
use crate::http::nesting;

/// A request ready to run.
pub(super) struct Prepared {
    request: async_graphql::Request,
    pub(super) analysis: Analysis,
    validation: Validation,
}

/// Resolves a persisted query, parses the document and applies the pre-execution rules.
pub(super) fn prepare(
    state: &Arc<AppState>,
    caller: &Caller,
    mut params: GraphqlParams,
    over_get: bool,
) -> Result<Prepared, Refusal> {
    let registration = match state.persisted_queries.resolve(&mut params) {
        Ok(registration) => registration,
        Err(ApqError::NotFound) => {
            return Err(Refusal::new(
                StatusCode::OK,
                StatusCode::OK,
                "PERSISTED_QUERY_NOT_FOUND",
                "PersistedQueryNotFound",
            ));
        }
        Err(ApqError::Invalid(why)) => return Err(Refusal::bad_request(why)),
    };
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
    if !integration {
        request = request.disable_introspection();
    }
    if let Caller::Authenticated(principal) = caller {
        let loaders = crate::graphql::loaders::for_request(&state.db, principal.mode);
        let callbacks = crate::graphql::webhook::callbacks_loader(&state.db);
        request = request
            .data(loaders.customers)
            .data(loaders.reset_pages)
            .data(loaders.reset_counts)
            .data(callbacks);
    }
    Ok(Prepared {
        request: request.data(caller.clone()).data(state.clone()),
        analysis,
        validation,
    })
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
        ..
    } = prepared;
    let Validation::Full(pending) = validation else {
        return Answer::new(state.prevalidated_schema.execute(request).await);
    };
    let answer = Answer::new(state.schema.execute(request).await);
    // An answer that is not a request error ran, so its document passed validation.
    if let Some(pending) = pending.filter(|_| !answer.is_request_error()) {
        pending.record();
    }
    answer
}
