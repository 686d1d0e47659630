//! HTTP: the router, its endpoints and the middleware around them.

mod caller;
mod graphql;
mod health;
mod oauth;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

pub use caller::identify;

use crate::AppState;

/// Largest request body accepted on any route.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Every route of the service.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/schema.graphql", get(health::schema))
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/oauth/token", post(oauth::token))
        .route("/oauth/revoke", post(oauth::revoke))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
