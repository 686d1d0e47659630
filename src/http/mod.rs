//! HTTP: the router, its endpoints and the middleware around them.

mod caller;
mod clock;
mod graphiql;
mod graphql;
mod health;
mod limits;
pub mod nesting;
mod oauth;

use std::sync::Arc;

use axum::Router;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tower::ServiceBuilder;
use tower_http::LatencyUnit;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, OnResponse, TraceLayer};
use tracing::Level;

pub use caller::identify;
pub use graphiql::GraphiqlAssets;
pub use graphql::{ParsedDocuments, PersistedQueries, cost};

use crate::AppState;

/// The span of one request: its id, method and path only. Query strings and headers may
/// carry tokens, so they are never recorded.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path())
}

/// Marks a response whose request has already written its own log line (a GraphQL
/// request's `graphql request` line says more than the access line would).
#[derive(Clone, Copy)]
pub(crate) struct LoggedAlready;

/// tower-http's `finished processing request` line (status, latency), for every request
/// that did not log a line of its own: one line per request.
#[derive(Clone)]
struct AccessLine(DefaultOnResponse);

impl<B> OnResponse<B> for AccessLine {
    fn on_response(
        self,
        response: &axum::http::Response<B>,
        latency: Duration,
        span: &tracing::Span,
    ) {
        if response.extensions().get::<LoggedAlready>().is_none() {
            self.0.on_response(response, latency, span);
        }
    }
}

/// Request ids for requests that come without one: 20 random alphanumerics.
#[derive(Clone, Copy)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&crate::auth::secrets::random_id(20))
            .ok()
            .map(RequestId::new)
    }
}

/// Every route of the service, behind the middleware every request goes through.
///
/// The middleware wraps the routes once, as one service, rather than each route through
/// `Router::layer`: that boxes every layer around every route, and each request would
/// then clone about twenty boxed services.
pub fn router(state: Arc<AppState>) -> Router {
    let routes = Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphiql/{file}", get(graphiql::asset))
        .route("/schema.graphql", get(health::schema))
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/metrics", get(health::metrics))
        .route("/oauth/token", post(oauth::token))
        .route("/oauth/revoke", post(oauth::revoke))
        .with_state(state.clone());
    // Outermost first: the clock is set before anything reads the time, the request id
    // before the span that records it.
    let service = ServiceBuilder::new()
        .option_layer(
            state
                .clock
                .is_manual()
                .then(|| clock::ClockLayer(state.clock.clone())),
        )
        .layer(SetRequestIdLayer::x_request_id(RandomRequestId))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(AccessLine(
                    DefaultOnResponse::new()
                        .level(Level::INFO)
                        .latency_unit(LatencyUnit::Millis),
                )),
        )
        .layer(cors(&state.config.cors_origins))
        .layer(axum::middleware::map_response(explain_timeout))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.config.request_timeout,
        ))
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .service(routes);
    Router::new().fallback_service(service)
}

/// The timeout layer answers 408 with an empty body: say what happened, in JSON.
async fn explain_timeout(response: axum::response::Response) -> axum::response::Response {
    if response.status() != StatusCode::REQUEST_TIMEOUT {
        return response;
    }
    let body = serde_json::json!({
        "errors": [{ "message": "the request took too long", "extensions": { "code": crate::codes::graphql::REQUEST_TIMEOUT } }]
    });
    (StatusCode::REQUEST_TIMEOUT, axum::Json(body)).into_response()
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
        .expose_headers([
            HeaderName::from_static("x-ratelimit-limit"),
            HeaderName::from_static("x-ratelimit-interval"),
            HeaderName::from_static("x-ratelimit-remaining"),
            HeaderName::from_static("x-request-id"),
        ])
        .max_age(Duration::from_secs(3600))
}
