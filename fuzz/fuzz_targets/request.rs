#![no_main]
//! The request path under a coverage-guided fuzzer: each input, read as the committed
//! corpus is read (`tests/api/fuzz_input.rs`), goes through the service's whole router in
//! this process, on a SQLite database of its own. Oracles: no panic and no abort
//! (libFuzzer reports both, and keeps the input), no 5xx, and no document whose cost
//! analysis visits more nodes than its budget.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, header};
use libfuzzer_sys::fuzz_target;
use reset_gateway::auth::{Mode, Role, credentials};
use reset_gateway::config::Config;
use reset_gateway::db::DatabaseUrl;
use reset_gateway::{App, AppState};
use secrecy::ExposeSecret;
use tower::ServiceExt;

#[path = "../../tests/api/fuzz_input.rs"]
mod fuzz_input;

/// One service for the whole run.
struct Service {
    runtime: tokio::runtime::Runtime,
    state: Arc<AppState>,
    router: axum::Router,
    /// An integration's access token, for inputs that ask for one.
    token: String,
    _dir: tempfile::TempDir,
}

fn service() -> &'static Service {
    static SERVICE: OnceLock<Service> = OnceLock::new();
    SERVICE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::with_database(DatabaseUrl::Sqlite(dir.path().join("fuzz.db")));
        config.listen_addr = "127.0.0.1:0".parse().unwrap();
        // The budgets would refuse nearly every input after the first second.
        config.rate_limit_token = 0;
        config.rate_limit_graphql = 0;
        config.rate_limit_reset_creations = 0;
        config.rate_limit_redemptions = 0;
        config.login_failures_per_account = 0;
        let (state, router, token) = runtime.block_on(async {
            let app = App::build(config).await.expect("the service starts");
            let state = app.state();
            let router = reset_gateway::http::router(state.clone());
            let mut conn = state.db.conn().await.unwrap();
            let created = credentials::create(&mut conn, "fuzz", Role::Integration, Mode::Test)
                .await
                .unwrap();
            let secret = created.client_secret.unwrap();
            let body = serde_json::json!({
                "grant_type": "client_credentials",
                "client_id": created.credential.id,
                "client_secret": secret.expose_secret(),
            });
            let request = Request::post("/oauth/token")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap();
            let response = router.clone().oneshot(with_peer(request)).await.unwrap();
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap();
            let answer: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            let token = answer["access_token"].as_str().unwrap().to_owned();
            (state, router, token)
        });
        Service {
            runtime,
            state,
            router,
            token,
            _dir: dir,
        }
    })
}

/// The peer address the router's handlers read (a served connection sets it).
fn with_peer(mut request: Request<Body>) -> Request<Body> {
    let peer = SocketAddr::from(([127, 0, 0, 1], 40_000));
    request.extensions_mut().insert(ConnectInfo(peer));
    request
}

fuzz_target!(|input: &[u8]| {
    let service = service();
    let request = fuzz_input::read(input);
    let config = &service.state.config;
    for (document, variables) in fuzz_input::documents(&request) {
        let paged = &service.state.paged_fields;
        if let Err(why) = fuzz_input::check_work(&document, &variables, paged, config.max_nesting) {
            panic!("the cost analysis ran away: {why}");
        }
    }
    let mut builder = Request::builder().method(request.method).uri(&request.path);
    if let Some(content_type) = &request.content_type {
        builder = builder.header(header::CONTENT_TYPE, content_type);
    }
    if request.as_integration {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {}", service.token));
    }
    // A path or header no HTTP client could send never reaches the service.
    let Ok(http_request) = builder.body(Body::from(request.body)) else {
        return;
    };
    let response = service
        .runtime
        .block_on(service.router.clone().oneshot(with_peer(http_request)))
        .unwrap();
    let status = response.status();
    assert!(
        !status.is_server_error(),
        "{} {} answered {status}",
        request.method,
        request.path
    );
});
