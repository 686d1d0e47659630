//! reset-gateway: a GraphQL gateway for Commerce Layer style customer password resets and
//! the customers they touch.
//!
//! [`App`] is the whole service: tests and `main` start it the same way.

pub mod auth;
pub mod background;
pub mod cli;
pub mod clock;
pub mod codes;
pub mod config;
pub mod cursor;
pub mod customers;
pub mod db;
pub mod graphql;
pub mod http;
pub mod integrator_fields;
pub mod listing;
pub mod metrics;
pub mod oauth;
pub mod pending_resets;
pub mod rate_limits;
pub mod resets;
pub mod telemetry;
pub mod webhooks;

// Query modules keep importing the dispatch macro as `crate::db_run`, where
// `#[macro_export]` used to put it; outside the crate it is not reachable.
pub(crate) use db::db_run;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use auth::password::{PasswordHasher, PasswordPolicy};
use auth::revocations::RevocationList;
use auth::tokens::TokenSigner;
use config::Config;
use db::Db;

/// What every request handler shares: built once at start.
pub struct AppState {
    /// The validated configuration.
    pub config: Config,
    /// The database pool.
    pub db: Db,
    /// Signs and verifies access tokens.
    pub signer: TokenSigner,
    /// Revoked tokens and credentials, mirrored in memory.
    pub revocations: RevocationList,
    /// Checks and hashes passwords.
    pub hasher: PasswordHasher,
    /// The GraphQL schema.
    pub schema: graphql::AppSchema,
    /// The same schema, run for documents this instance already validated in full.
    pub prevalidated_schema: graphql::AppSchema,
    /// Apollo persisted queries known to this instance.
    pub persisted_queries: http::PersistedQueries,
    /// Documents already parsed by this instance.
    pub parsed_documents: http::ParsedDocuments,
    /// GraphiQL's files, when installed.
    pub graphiql: Option<http::GraphiqlAssets>,
    /// Prometheus metrics.
    pub metrics: Arc<metrics::Metrics>,
    /// The webhook outbox: the key that seals its tokens, and its sender's wake-up.
    pub outbox: webhooks::outbox::Outbox,
    /// Calls webhook receivers.
    pub callback_client: webhooks::delivery::client::CallbackClient,
    /// GraphQL hits counted in memory, synced to the shared rate-limit counters.
    pub rate_counters: rate_limits::LocalCounters,
    /// The schema's root field names (the metrics' operation labels).
    pub root_fields: std::collections::HashSet<String>,
    /// The clock the time-based rules read (the system's, or a test's manual one).
    pub clock: clock::Clock,
    /// Where a test may hold a password login (never set in production).
    pub login_pauses: auth::pauses::LoginPauses,
    /// Where the schema takes passwords to hash (for the one-hash-per-request rule).
    pub password_slots: graphql::password_slots::PasswordSlots,
    /// The schema's paged fields, whose selection a document's cost multiplies.
    pub paged_fields: std::collections::HashSet<String>,
    /// The root fields that try a reset token (the redemption budget).
    pub redemption_fields: graphql::redemption_fields::RedemptionFields,
}

/// The service, bound to its address and ready to serve.
pub struct App {
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
}

impl App {
    /// Opens the database (running pending migrations), loads the signing key and binds
    /// the listening socket.
    pub async fn build(config: Config) -> anyhow::Result<App> {
        Self::build_with_clock(config, clock::Clock::system()).await
    }

    /// As [`App::build`], with the time read from `clock` (tests advance a manual one).
    pub async fn build_with_clock(config: Config, clock: clock::Clock) -> anyhow::Result<App> {
        config.validate()?;
        db::run_migrations(&config.database_url).await?;
        let db = Db::connect(&config.database_url, &config.pool_options()).await?;
        if let Err(error) = db.refresh_planner_statistics().await {
            tracing::warn!(%error, "planner statistics not refreshed");
        }
        match db.missing_trigram_indexes().await {
            Ok(missing) if !missing.is_empty() => tracing::warn!(
                ?missing,
                "no trigram indexes (pg_trgm unavailable when migrating): the ...Cont \
                 filters answer right but read every row of the mode"
            ),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "trigram indexes not checked"),
        }
        let signer = TokenSigner::load(&db, config.token_signing_key.as_ref()).await?;
        let outbox_key = webhooks::outbox::outbox_key(
            &db,
            config.outbox_key.as_ref(),
            config.token_signing_key.as_ref(),
        )
        .await?;
        let callback_client =
            webhooks::delivery::CallbackClient::new(config.webhook_client_settings())?;
        let revocations = RevocationList::new(config.db_statement_timeout);
        revocations.refresh(&mut db.conn().await?).await?;
        let hasher = PasswordHasher::new(
            PasswordPolicy {
                min_length: config.min_password_length,
            },
            config.argon2_memory_kib,
            config.argon2_iterations,
            config.argon2_parallelism,
            config.hash_workers(),
            config.hash_queue_length(),
        )?;
        let schema = graphql::build_schema(&config);
        let prevalidated_schema = graphql::build_prevalidated_schema(&config);
        let graphiql = http::GraphiqlAssets::load(&config.graphiql_assets);
        let types = graphql::schema_types::SchemaTypes::of(&schema)?;
        let root_fields = graphql::root_fields(&types);
        // A password slot the schema lost (renamed, removed), or a password input nobody
        // declared, stops the start: the rule would otherwise miss it without a word.
        let password_slots = graphql::password_slots::PasswordSlots::of_schema(&types)?;
        let paged_fields = graphql::paged_fields(&types);
        // Likewise for the fields that spend the redemption budget.
        let redemption_fields = graphql::redemption_fields::RedemptionFields::of_schema(&types)?;
        // And for the permission table: no row for a lost field, no root field without a row.
        graphql::guards::check_table(&types)?;
        let listener = tokio::net::TcpListener::bind(config.listen_addr).await?;
        // The address actually bound: with port 0 the system picks the port, and the links
        // in answers and webhook payloads (`Config::public_url`) must name it.
        let mut config = config;
        config.listen_addr = listener.local_addr()?;
        let state = Arc::new(AppState {
            config,
            db,
            signer,
            revocations,
            hasher,
            schema,
            prevalidated_schema,
            persisted_queries: http::PersistedQueries::default(),
            parsed_documents: http::ParsedDocuments::default(),
            graphiql,
            metrics: Arc::new(metrics::Metrics::default()),
            outbox: webhooks::outbox::Outbox::new(outbox_key),
            callback_client,
            rate_counters: rate_limits::LocalCounters::default(),
            root_fields,
            clock,
            login_pauses: auth::pauses::LoginPauses::default(),
            password_slots,
            paged_fields,
            redemption_fields,
        });
        Ok(App { listener, state })
    }

    /// The address the service listens on (useful with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The shared state (for tests that need the database behind the service).
    pub fn state(&self) -> Arc<AppState> {
        self.state.clone()
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let clock = &self.state.clock;
        let mut tasks = background::Tasks::default();
        let housekeeping = tasks.spawn(
            "housekeeping",
            clock.scope(housekeeping(self.state.clone())),
        );
        let rate_sync = tasks.spawn(
            "rate-limit sync",
            clock.scope(sync_rate_limits(self.state.clone())),
        );
        let (stop_sender, stopped) = tokio::sync::watch::channel(false);
        let sender_settings = self.state.config.webhook_sender_settings();
        let sender = tasks.spawn(
            "webhook sender",
            clock.scope(webhooks::delivery::sender::run(
                self.state.db.clone(),
                self.state.outbox.clone(),
                self.state.callback_client.clone(),
                sender_settings,
                self.state.metrics.clone(),
                stopped,
            )),
        );
        let router = http::router(self.state.clone());
        let (failed, failure) = tokio::sync::oneshot::channel();
        let served = axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            tokio::select! {
                () = shutdown => {}
                why = tasks.first_stopped() => {
                    tracing::error!(%why, "a background task stopped: shutting down");
                    let _ = failed.send(why);
                }
            }
            // Deliveries stop with the listener: those in flight go back to the outbox.
            let _ = stop_sender.send(true);
        })
        .await;
        let _ = sender.await;
        housekeeping.abort();
        rate_sync.abort();
        // The hits counted since the last sync still belong to the shared budget.
        if let Err(error) = clock.scope(sync_rate_limits_once(&self.state)).await {
            tracing::warn!(%error, "rate-limit hits not synced at shutdown");
        }
        served?;
        match failure.await {
            Ok(why) => Err(anyhow::anyhow!("stopped because {why}")),
            Err(_) => Ok(()),
        }
    }
}

/// How often the planner statistics are refreshed (SQLite's advice: every few hours, and
/// at start).
const PLANNER_STATISTICS_EVERY: Duration = Duration::from_secs(3600);

/// Every few seconds: re-reads revocations made by other instances and forgets the
/// rate-limit windows and customer sessions that have ended. Every hour: refreshes the
/// planner statistics.
async fn housekeeping(state: Arc<AppState>) {
    let mut tick = tokio::time::interval(state.config.revocation_refresh);
    let mut statistics_refreshed = Instant::now();
    // The list was read at start: the first refresh is one period later.
    tick.tick().await;
    loop {
        tick.tick().await;
        if statistics_refreshed.elapsed() >= PLANNER_STATISTICS_EVERY {
            statistics_refreshed = Instant::now();
            if let Err(error) = state.db.refresh_planner_statistics().await {
                tracing::warn!(%error, "planner statistics not refreshed; will retry");
            }
        }
        let done = match state.db.conn().await {
            Ok(mut conn) => match state.revocations.refresh(&mut conn).await {
                Ok(_) => rate_limits::forget_expired(&mut conn).await.map(drop),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        if let Err(error) = done {
            tracing::warn!(%error, "housekeeping failed; will retry");
        }
        if let Err(error) = forget_ended_sessions(&state).await {
            tracing::warn!(%error, "ended sessions not forgotten; will retry");
        }
    }
}

/// Deletes the customer sessions that are over, with their rotated refresh tokens' digests.
async fn forget_ended_sessions(state: &AppState) -> Result<(), db::DbError> {
    let mut conn = state.db.conn().await?;
    auth::sessions::forget_ended(&mut conn, state.config.session_max_age).await
}

/// Every `RATE_LIMIT_SYNC`: adds the GraphQL hits counted in memory to the shared
/// counters.
async fn sync_rate_limits(state: Arc<AppState>) {
    let mut tick = tokio::time::interval(state.config.rate_limit_sync);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(error) = sync_rate_limits_once(&state).await {
            tracing::warn!(%error, "rate-limit hits not synced; will retry");
        }
    }
}

async fn sync_rate_limits_once(state: &AppState) -> Result<(), db::DbError> {
    let mut conn = state.db.conn().await?;
    state.rate_counters.sync(&mut conn).await
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM: the signal to stop accepting and drain.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
