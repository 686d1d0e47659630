//! `/graphql`: POST and GET requests, and GraphiQL for browsers.

use std::sync::Arc;

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::rejection::GraphQLRejection;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::ACCEPT;
use axum::response::{Html, IntoResponse, Response};

use crate::AppState;
use crate::auth::{Caller, Role};

/// Runs a GraphQL request for the caller named by its bearer token.
pub async fn post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> GraphQLResponse {
    execute(state, &headers, request.into_inner()).await
}

/// GraphiQL for browsers; otherwise a query sent in the URL.
pub async fn get(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    request: Result<GraphQLRequest, GraphQLRejection>,
) -> Response {
    let wants_html = headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    match request {
        Ok(request) if !wants_html => execute(state, &headers, request.into_inner())
            .await
            .into_response(),
        _ => Html(GraphiQLSource::build().endpoint("/graphql").finish()).into_response(),
    }
}

async fn execute(
    state: Arc<AppState>,
    headers: &HeaderMap,
    mut request: async_graphql::Request,
) -> GraphQLResponse {
    let caller = crate::http::identify(&state, headers).await;
    let integration = matches!(&caller, Caller::Authenticated(p) if p.role == Role::Integration);
    if let Caller::Authenticated(principal) = &caller {
        let (customers, resets) = crate::graphql::loaders::for_request(&state.db, principal.mode);
        request = request.data(customers).data(resets);
    }
    let mut request = request.data(caller);
    if !integration {
        // Introspection is for codegen and playgrounds, run with integration credentials.
        request = request.disable_introspection();
    }
    let schema = state.schema.clone();
    schema.execute(request.data(state)).await.into()
}
