//! HTTP: the router, its endpoints and the middleware around them.

mod caller;
mod graphiql;
mod graphql;
mod health;
mod oauth;

use std::sync::Arc;

use axum::Router;
use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::routing::{get, post};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

pub use caller::identify;
pub use graphiql::GraphiqlAssets;
pub use graphql::PersistedQueries;

use crate::AppState;

/// Largest request body accepted on any route.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The span of one request: method and path only. Query strings and headers may carry
/// tokens, so they are never recorded.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
}

/// Every route of the service.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphiql/{file}", get(graphiql::asset))
        .route("/schema.graphql", get(health::schema))
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/oauth/token", post(oauth::token))
        .route("/oauth/revoke", post(oauth::revoke))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(cors(&state.config.cors_origins))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .with_state(state)
}

/// CORS for the configured origins (`*` for any), with the headers Apollo Client sends.
/// No origins: no CORS headers at all.
fn cors(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .map(|o| o.trim())
        .filter(|o| !o.is_empty())
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    if origins.is_empty() {
        return CorsLayer::new();
    }
    let allow_origin = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins)
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            HeaderName::from_static("apollographql-client-name"),
            HeaderName::from_static("apollographql-client-version"),
            HeaderName::from_static("apollo-require-preflight"),
            HeaderName::from_static("x-apollo-operation-name"),
        ])
        .max_age(Duration::from_secs(3600))
}
