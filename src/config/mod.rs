//! Typed configuration: every setting is a flag and an environment variable, read once at
//! start and validated. Secrets are wrapped so they never print.

use std::net::SocketAddr;
use std::time::Duration;

use secrecy::SecretString;

use crate::db::{DatabaseUrl, PoolOptions};

mod checks;

pub use checks::{MAX_DURATION_SETTING, MAX_NESTING_CEILING, MAX_STATEMENT_TIMEOUT};
use checks::{
    parse_duration, parse_nesting, parse_outbox_key, parse_positive_duration, parse_secret,
    parse_statement_timeout,
};

/// How the service is configured. `reset-gateway --help` lists every setting.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// `postgres://...` for PostgreSQL, or a SQLite file (`sqlite://path` or a path).
    #[arg(
        long,
        env = "DATABASE_URL",
        global = true,
        hide_env_values = true,
        default_value = "sqlite://data/reset-gateway.db"
    )]
    pub database_url: DatabaseUrl,

    /// Address and port to serve on.
    #[arg(
        long = "listen",
        env = "LISTEN_ADDR",
        global = true,
        default_value = "127.0.0.1:4000"
    )]
    pub listen_addr: SocketAddr,

    /// The URL clients reach the service at, for `links.self` (default: from `--listen`).
    #[arg(long, env = "PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// How long a password reset token stays valid (`6h`, `30m`, `2s`).
    #[arg(long, env = "RESET_TOKEN_TTL", global = true, default_value = "6h",
          value_parser = parse_duration)]
    pub reset_token_ttl: Duration,

    /// Key that signs access tokens (at least 32 bytes). When unset, a key is generated
    /// once and kept in the database, so every instance on one database agrees.
    #[arg(long, env = "TOKEN_SIGNING_KEY", global = true, hide_env_values = true,
          value_parser = parse_secret)]
    pub token_signing_key: Option<SecretString>,

    /// Argon2id memory cost in KiB (OWASP: 19456).
    #[arg(
        long,
        env = "ARGON2_MEMORY_KIB",
        global = true,
        default_value_t = 19_456
    )]
    pub argon2_memory_kib: u32,

    /// Argon2id iterations (OWASP: 2).
    #[arg(long, env = "ARGON2_ITERATIONS", global = true, default_value_t = 2)]
    pub argon2_iterations: u32,

    /// Argon2id lanes (OWASP: 1).
    #[arg(long, env = "ARGON2_PARALLELISM", global = true, default_value_t = 1)]
    pub argon2_parallelism: u32,

    /// Password hashes computed at once (0: one per CPU core). Bounds argon2's memory.
    #[arg(long, env = "HASH_CONCURRENCY", global = true, default_value_t = 0)]
    pub hash_concurrency: usize,

    /// Password hashes that may wait for a hash thread (default: 4 per hash thread).
    /// Beyond them a password change, sign-up or login is refused at once with 429 and
    /// `Retry-After` instead of queueing behind minutes of argon2 work.
    #[arg(long, env = "HASH_QUEUE_LENGTH", global = true)]
    pub hash_queue_length: Option<usize>,

    /// Shortest password accepted.
    #[arg(long, env = "MIN_PASSWORD_LENGTH", global = true, default_value_t = 8)]
    pub min_password_length: usize,

    /// Most database connections kept open (default: 10 on PostgreSQL; on SQLite two per
    /// CPU core, at least 4).
    #[arg(long, env = "DB_POOL_SIZE", global = true)]
    pub db_pool_size: Option<usize>,

    /// PostgreSQL connections that plain reads share, pipelined, beside the pool (0: reads
    /// check out pooled connections like everything else).
    #[arg(long, env = "DB_READ_CONNECTIONS", global = true, default_value_t = 2)]
    pub db_read_connections: usize,

    /// How long a request waits for a database connection.
    #[arg(long, env = "DB_ACQUIRE_TIMEOUT", global = true, default_value = "5s",
          value_parser = parse_duration)]
    pub db_acquire_timeout: Duration,

    /// Longest a single SQL statement may run (SQLite: longest wait for the write lock).
    #[arg(long, env = "DB_STATEMENT_TIMEOUT", global = true, default_value = "10s",
          value_parser = parse_statement_timeout)]
    pub db_statement_timeout: Duration,

    /// How often each instance re-reads token and credential revocations made elsewhere.
    #[arg(long, env = "REVOCATION_REFRESH", global = true, default_value = "5s",
          value_parser = parse_positive_duration)]
    pub revocation_refresh: Duration,

    /// Longest a customer session lasts from its login (`30d`, `12h`): refreshes do not
    /// extend it, and its access and refresh tokens stop then.
    #[arg(long, env = "SESSION_MAX_AGE", global = true, default_value = "30d",
          value_parser = parse_positive_duration)]
    pub session_max_age: Duration,

    /// How long after a refresh token is rotated a second use of it is only refused (two
    /// tabs refreshing at once); a use after that is reuse of a copied token, and ends the
    /// whole session (RFC 9700).
    #[arg(long, env = "REFRESH_REUSE_GRACE", global = true, default_value = "5s",
          value_parser = parse_duration)]
    pub refresh_reuse_grace: Duration,

    /// Token requests and revocations per interval and client IP, at `/oauth/token` and
    /// `/oauth/revoke` together (0: no limit).
    #[arg(long, env = "RATE_LIMIT_TOKEN", global = true, default_value_t = 30)]
    pub rate_limit_token: u32,

    /// GraphQL operations per interval, per credential and client IP (0: no limit).
    #[arg(long, env = "RATE_LIMIT_GRAPHQL", global = true, default_value_t = 600)]
    pub rate_limit_graphql: u32,

    /// Password resets created per customer in `RATE_LIMIT_RESET_CREATIONS_INTERVAL`,
    /// whoever creates them: no customer can be sent reset emails in a stream (0: no limit).
    #[arg(
        long,
        env = "RATE_LIMIT_RESET_CREATIONS",
        global = true,
        default_value_t = 5
    )]
    pub rate_limit_reset_creations: u32,

    /// The window of `RATE_LIMIT_RESET_CREATIONS`.
    #[arg(long, env = "RATE_LIMIT_RESET_CREATIONS_INTERVAL", global = true,
          default_value = "15m", value_parser = parse_duration)]
    pub rate_limit_reset_creations_interval: Duration,

    /// Reset redemptions per interval and client IP by sales channels and customer tokens
    /// (integrations are not limited by it; each reset still dies after 5 wrong tokens).
    /// 0: no limit.
    #[arg(
        long,
        env = "RATE_LIMIT_REDEMPTIONS",
        global = true,
        default_value_t = 30
    )]
    pub rate_limit_redemptions: u32,

    /// The rate-limit window of the token, GraphQL and redemption budgets.
    #[arg(long, env = "RATE_LIMIT_INTERVAL", global = true, default_value = "60s",
          value_parser = parse_duration)]
    pub rate_limit_interval: Duration,

    /// How often each instance adds the GraphQL hits it counted in memory to the shared
    /// counters (and learns the other instances' hits).
    #[arg(long, env = "RATE_LIMIT_SYNC", global = true, default_value = "500ms",
          value_parser = parse_positive_duration)]
    pub rate_limit_sync: Duration,

    /// Failed password logins per account (mode and email, whatever the client IP) in
    /// `LOGIN_FAILURES_INTERVAL`; past it, that account's logins get 429 until the window
    /// ends (0: no limit).
    #[arg(
        long,
        env = "LOGIN_FAILURES_PER_ACCOUNT",
        global = true,
        default_value_t = 10
    )]
    pub login_failures_per_account: u32,

    /// The window of `LOGIN_FAILURES_PER_ACCOUNT`.
    #[arg(long, env = "LOGIN_FAILURES_INTERVAL", global = true, default_value = "15m",
          value_parser = parse_duration)]
    pub login_failures_interval: Duration,

    /// Header holding the client IP, set by trusted proxies in front of the service (e.g.
    /// `X-Forwarded-For`): every line and comma-separated entry is read, and the address
    /// `CLIENT_IP_TRUSTED_HOPS` from the right is the client's. Unset: the TCP peer address.
    #[arg(long, env = "CLIENT_IP_HEADER", global = true)]
    pub client_ip_header: Option<String>,

    /// Proxies in front of the service that each append an address to `CLIENT_IP_HEADER`
    /// (1: one load balancer). With too few entries, or an entry that is not an IP address
    /// where the client's should be, the TCP peer address is used.
    #[arg(long, env = "CLIENT_IP_TRUSTED_HOPS", global = true, default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub client_ip_trusted_hops: u16,

    /// Origins allowed by CORS, comma separated (`*` for any; empty: no CORS headers).
    #[arg(long, env = "CORS_ORIGINS", global = true, value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// Deepest selection accepted (graphql-js's standard introspection query, which
    /// GraphiQL and codegen send, is 15 deep).
    #[arg(long, env = "MAX_DEPTH", global = true, default_value_t = 16)]
    pub max_depth: usize,

    /// Highest query cost accepted: each field costs 1 (`__typename` too), and a list
    /// costs its page size times its selection; counted with fragments expanded, before
    /// the document is validated or run.
    #[arg(long, env = "MAX_COMPLEXITY", global = true, default_value_t = 2_000)]
    pub max_complexity: usize,

    /// Deepest nesting of brackets accepted in a GraphQL document (selection sets, lists,
    /// input objects, arguments), in JSON bodies and in `variables` and `extensions`, and
    /// of selection sets once fragments are expanded. Checked before anything parses the
    /// text; at most 128, so that what recurses on it always fits a thread's stack.
    #[arg(long, env = "MAX_NESTING", global = true, default_value_t = 64,
          value_parser = parse_nesting)]
    pub max_nesting: usize,

    /// Largest GraphQL document accepted, in bytes.
    #[arg(long, env = "MAX_DOCUMENT_BYTES", global = true, default_value_t = 16 * 1024)]
    pub max_document_bytes: usize,

    /// Largest request body accepted on any route, in bytes (413 beyond).
    #[arg(long, env = "MAX_BODY_BYTES", global = true, default_value_t = 256 * 1024)]
    pub max_body_bytes: usize,

    /// Longest a request may take (408 beyond).
    #[arg(long, env = "REQUEST_TIMEOUT", global = true, default_value = "30s",
          value_parser = parse_positive_duration)]
    pub request_timeout: Duration,

    /// Most operations in one batched POST (0 turns batching off).
    #[arg(long, env = "MAX_BATCH_SIZE", global = true, default_value_t = 10)]
    pub max_batch_size: usize,

    /// Most aliased fields in one operation.
    #[arg(long, env = "MAX_ALIASES", global = true, default_value_t = 15)]
    pub max_aliases: usize,

    /// Folder holding GraphiQL's files (`scripts/fetch-graphiql.sh` fills it); without
    /// them, GraphiQL loads from a CDN (exact versions, pinned by their integrity hashes).
    #[arg(
        long,
        env = "GRAPHIQL_ASSETS",
        global = true,
        default_value = "vendor/graphiql"
    )]
    pub graphiql_assets: std::path::PathBuf,

    /// Whether integration credentials may introspect the schema.
    #[arg(long, env = "INTROSPECTION", global = true, default_value_t = true,
          action = clap::ArgAction::Set)]
    pub introspection: bool,

    /// Longest a webhook delivery attempt may take, from connecting to the answer's
    /// status (`5s`); beyond it the attempt fails and is retried.
    #[arg(long, env = "WEBHOOK_TIMEOUT", global = true, default_value = "5s",
          value_parser = parse_positive_duration)]
    pub webhook_timeout: Duration,

    /// Whether webhook callbacks may reach loopback, private, link-local and other
    /// non-public addresses (local development and tests only: it lets an integrator's
    /// URL reach the gateway's own network).
    #[arg(long, env = "WEBHOOK_ALLOW_PRIVATE_NETWORKS", global = true, default_value_t = false,
          action = clap::ArgAction::Set)]
    pub webhook_allow_private_networks: bool,

    /// Whether webhook callbacks must be `https`: `http` URLs are refused when a webhook
    /// is created or changed, and when one would be called.
    #[arg(long, env = "WEBHOOK_HTTPS_ONLY", global = true, default_value_t = false,
          action = clap::ArgAction::Set)]
    pub webhook_https_only: bool,

    /// Log format: `text` for people, `json` for log pipelines.
    #[arg(long, env = "LOG_FORMAT", global = true, default_value = "text")]
    pub log_format: LogFormat,

    /// The key that seals reset tokens waiting in the webhook outbox: 32 bytes as
    /// standard Base64 (`openssl rand -base64 32`). Unset: derived from
    /// TOKEN_SIGNING_KEY when that is set, else generated and kept in the database (which
    /// protects nothing against whoever can read the database: production sets a key).
    #[arg(long, env = "OUTBOX_KEY", global = true, hide_env_values = true,
          value_parser = parse_outbox_key)]
    pub outbox_key: Option<SecretString>,

    /// The waits before each retry of a failed webhook delivery, comma-separated; each
    /// gets ±10% jitter. After the last, the delivery has failed (it can be redelivered).
    #[arg(long, env = "WEBHOOK_RETRY_SCHEDULE", global = true,
          default_value = "5s,30s,2m,5m,15m,30m,1h,2h,5h,10h",
          value_parser = crate::webhooks::delivery::RetrySchedule::parse)]
    pub webhook_retry_schedule: crate::webhooks::delivery::RetrySchedule,

    /// Failed deliveries in a row after which a webhook's circuit opens: nothing more is
    /// sent to it until `resetCircuit` (its events wait).
    #[arg(long, env = "WEBHOOK_CIRCUIT_THRESHOLD", global = true, default_value_t = 30,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub webhook_circuit_threshold: u16,

    /// How often the webhook sender looks for deliveries committed by other instances or
    /// falling due (this instance's own commits wake it at once).
    #[arg(long, env = "WEBHOOK_POLL_INTERVAL", global = true, default_value = "500ms",
          value_parser = parse_positive_duration)]
    pub webhook_poll_interval: Duration,

    /// Webhook deliveries one instance sends at once; one webhook gets at most half of
    /// them, so that a hanging receiver leaves the rest to the others.
    #[arg(long, env = "WEBHOOK_CONCURRENCY", global = true, default_value_t = 16,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub webhook_concurrency: u16,

    /// How long settled deliveries and event callbacks are kept (for redelivery and
    /// `lastEventCallbacks`).
    #[arg(long, env = "WEBHOOK_EVENT_RETENTION", global = true, default_value = "30d",
          value_parser = parse_positive_duration)]
    pub webhook_event_retention: Duration,
}

/// Default hashes waiting per hash thread: a full queue is a few hashes' work per thread,
/// so a burst a few times the threads wide still passes while a flood is refused.
const HASH_QUEUE_PER_THREAD: usize = 4;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The settings as a command line of their own (the binary's adds its subcommands).
#[derive(clap::Parser)]
struct Flags {
    #[command(flatten)]
    config: Config,
}

impl Config {
    /// The configuration from defaults alone, with `database_url` set: a starting point
    /// for tests and tools that build a `Config` in code.
    pub fn with_database(database_url: DatabaseUrl) -> Config {
        use clap::Parser;
        // Built-in defaults (and whatever the environment sets), then the given database.
        let mut config = Flags::parse_from(["reset-gateway"]).config;
        config.database_url = database_url;
        config
    }

    /// The base URL of resource links, without a trailing slash.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.listen_addr),
        }
    }

    /// The configured budget of a rate-limit scope.
    pub fn budget(&self, scope: crate::rate_limits::Scope) -> crate::rate_limits::Budget {
        use crate::rate_limits::Scope;
        let (limit, interval) = match scope {
            Scope::Token => (self.rate_limit_token, self.rate_limit_interval),
            Scope::Graphql => (self.rate_limit_graphql, self.rate_limit_interval),
            Scope::Redemptions => (self.rate_limit_redemptions, self.rate_limit_interval),
            Scope::ResetCreations => (
                self.rate_limit_reset_creations,
                self.rate_limit_reset_creations_interval,
            ),
            Scope::LoginFailures => (
                self.login_failures_per_account,
                self.login_failures_interval,
            ),
        };
        crate::rate_limits::Budget { limit, interval }
    }

    /// How long customer sessions and their refresh tokens live, with refresh tokens of
    /// `refresh_lifetime`.
    pub fn session_rules(&self, refresh_lifetime: Duration) -> crate::auth::sessions::SessionRules {
        crate::auth::sessions::SessionRules {
            refresh_lifetime,
            max_age: self.session_max_age,
            reuse_grace: self.refresh_reuse_grace,
        }
    }

    /// How webhook callbacks are called.
    pub fn webhook_client_settings(&self) -> crate::webhooks::delivery::ClientSettings {
        crate::webhooks::delivery::ClientSettings {
            timeout: self.webhook_timeout,
            allow_private_networks: self.webhook_allow_private_networks,
            https_only: self.webhook_https_only,
        }
    }

    /// What webhook callback URLs must be, checked when a webhook is created or changed.
    pub fn webhook_callback_rules(&self) -> crate::webhooks::resource::CallbackRules {
        crate::webhooks::resource::CallbackRules {
            https_only: self.webhook_https_only,
        }
    }

    /// The pool settings derived from this configuration.
    pub fn pool_options(&self) -> PoolOptions {
        PoolOptions {
            max_size: self.db_pool_size().max(1),
            shared_reads: self.db_read_connections,
            acquire_timeout: self.db_acquire_timeout,
            statement_timeout: self.db_statement_timeout,
        }
    }

    /// Most database connections kept open: the configured number, or the backend's
    /// default. SQLite runs every statement on this process's own cores and each of its
    /// connections keeps its own page cache and prepared statements, so connections
    /// beyond two per core add memory, not throughput; a PostgreSQL connection's work
    /// runs in the server, and waits on the network.
    pub fn db_pool_size(&self) -> usize {
        match (self.db_pool_size, &self.database_url) {
            (Some(n), _) => n,
            (None, DatabaseUrl::Postgres(_)) => 10,
            (None, DatabaseUrl::Sqlite(_)) => {
                let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
                (2 * cores).max(4)
            }
        }
    }

    /// Hashes computed at once: the configured value, or one per core.
    pub fn hash_workers(&self) -> usize {
        match self.hash_concurrency {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        }
    }

    /// How the webhook sender works.
    pub fn webhook_sender_settings(&self) -> crate::webhooks::delivery::sender::SenderSettings {
        crate::webhooks::delivery::sender::SenderSettings {
            public_url: self.public_url(),
            schedule: self.webhook_retry_schedule.clone(),
            circuit_threshold: i32::from(self.webhook_circuit_threshold),
            poll_interval: self.webhook_poll_interval,
            concurrency: usize::from(self.webhook_concurrency),
            // Longer than any attempt can take, so that a live sender keeps what it holds.
            lease: self.webhook_timeout.saturating_add(Duration::from_secs(60)),
            retention: self.webhook_event_retention,
        }
    }

    /// Hashes that may wait for a hash thread: the configured value, or 4 per thread.
    pub fn hash_queue_length(&self) -> usize {
        self.hash_queue_length
            .unwrap_or_else(|| HASH_QUEUE_PER_THREAD * self.hash_workers())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite() -> Config {
        Config::with_database(DatabaseUrl::Sqlite("data/test.db".into()))
    }

    #[test]
    fn a_sqlite_pool_has_two_connections_per_core_and_at_least_four() {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        assert_eq!(sqlite().pool_options().max_size, (2 * cores).max(4));
    }

    #[test]
    fn a_postgres_pool_has_ten_connections() {
        let url = DatabaseUrl::Postgres("postgres://localhost/test".to_owned().into());
        assert_eq!(Config::with_database(url).pool_options().max_size, 10);
    }

    #[test]
    fn a_configured_pool_size_wins_over_the_backends_default() {
        let mut config = sqlite();
        config.db_pool_size = Some(7);
        assert_eq!(config.pool_options().max_size, 7);
    }
}
