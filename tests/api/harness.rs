//! `TestApp`: the real service on a fresh database, spoken to over HTTP like a client.
//!
//! Every test runs on SQLite (a file in a temporary folder) and, when `TEST_DATABASE_URL`
//! names a PostgreSQL server, again on a database of its own created there.

use std::sync::Arc;

use reset_gateway::auth::{Mode, Role, credentials};
use reset_gateway::clock::Clock;
use reset_gateway::config::Config;
use reset_gateway::db::DatabaseUrl;
use reset_gateway::{App, AppState};
use serde_json::{Value, json};

use crate::postgres_database::PostgresDatabase;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running service on its own database.
pub struct TestApp {
    pub base_url: String,
    pub http: reqwest::Client,
    /// The configuration the service runs with.
    pub config: Config,
    /// The service's clock: manual, standing still until a test advances it.
    pub clock: Clock,
    state: Arc<AppState>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
    _postgres: Option<PostgresDatabase>,
}

/// An API credential made for a test.
#[derive(Debug, Clone)]
pub struct Client {
    pub id: String,
    pub secret: Option<String>,
}

impl TestApp {
    /// Starts the service with the default configuration; None when the backend is
    /// PostgreSQL and no server is configured.
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts the service after `adjust` has changed its configuration.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Option<TestApp> {
        let dir = tempfile::tempdir().expect("temporary folder");
        let (url, postgres) = fresh_database(backend, &dir).await?;
        Some(Self::start(Self::test_config(url, adjust), dir, postgres, new_clock()).await)
    }

    /// The configuration tests run with: a free port, and no rate limits (they have tests
    /// of their own; elsewhere they would only get in the way).
    fn test_config(url: DatabaseUrl, adjust: impl FnOnce(&mut Config)) -> Config {
        let mut config = Config::with_database(url);
        config.listen_addr = "127.0.0.1:0".parse().unwrap();
        config.hash_concurrency = 4;
        // The CDN page unless a test installs GraphiQL's files: tests do not depend on
        // whether `scripts/fetch-graphiql.sh` ran in this checkout.
        config.graphiql_assets = "tests/no-graphiql-assets".into();
        config.rate_limit_token = 0;
        config.rate_limit_graphql = 0;
        config.rate_limit_reset_creations = 0;
        config.rate_limit_redemptions = 0;
        config.login_failures_per_account = 0;
        // Deliveries go to receivers on loopback; tests of the refusal set it back.
        config.webhook_allow_private_networks = true;
        adjust(&mut config);
        config
    }

    /// Starts the service on a database of the caller's (which the caller cleans up).
    pub async fn spawn_on(url: DatabaseUrl, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let config = Self::test_config(url, adjust);
        let dir = tempfile::tempdir().expect("temporary folder");
        Self::start(config, dir, None, new_clock()).await
    }

    /// Starts `count` instances at once on one fresh database, so that they race for
    /// its migrations; the first one owns the database.
    pub async fn spawn_together(backend: Backend, count: usize) -> Option<Vec<TestApp>> {
        let dir = tempfile::tempdir().expect("temporary folder");
        let (url, postgres) = fresh_database(backend, &dir).await?;
        let config = Self::test_config(url, |_| {});
        let clock = new_clock();
        let starts = (0..count).map(|_| {
            Self::start(
                config.clone(),
                tempfile::tempdir().unwrap(),
                None,
                clock.clone(),
            )
        });
        let mut apps = futures_util::future::join_all(starts).await;
        apps[0]._postgres = postgres;
        apps[0]._dir = dir;
        Some(apps)
    }

    /// A second instance on this one's database (as a scaled-out deployment runs), on the
    /// same clock.
    pub async fn sibling(&self, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = self.config.clone();
        // A port of its own.
        config.listen_addr.set_port(0);
        adjust(&mut config);
        let dir = tempfile::tempdir().expect("temporary folder");
        Self::start(config, dir, None, self.clock.clone()).await
    }

    /// Moves the service's clock forward: what a test does instead of sleeping for a
    /// time-based rule (a lifetime, a rate-limit window) to pass.
    pub fn advance(&self, by: std::time::Duration) {
        self.clock.advance(by);
    }

    async fn start(
        config: Config,
        dir: tempfile::TempDir,
        postgres: Option<PostgresDatabase>,
        clock: Clock,
    ) -> TestApp {
        let app = App::build_with_clock(config.clone(), clock.clone())
            .await
            .expect("the service starts");
        let base_url = format!("http://{}", app.local_addr().unwrap());
        let config = app.state().config.clone();
        let state = app.state();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run(async {
            let _ = rx.await;
        }));
        TestApp {
            base_url,
            http: reqwest::Client::new(),
            config,
            clock,
            state,
            shutdown: Some(tx),
            server: Some(server),
            _dir: dir,
            _postgres: postgres,
        }
    }

    /// Waits until this instance's webhook sender has attempted, and recorded, every
    /// delivery due on its clock, with none in flight: after it, a check that nothing
    /// more was sent is final, with no quiet period to wait out.
    pub async fn webhooks_settled(&self) {
        let outbox = &self.state.outbox;
        let start = outbox.idle_passes();
        crate::eventually::eventually(async || {
            outbox.wake();
            let passes = outbox.idle_passes() - start;
            match passes >= 2 {
                true => Ok(()),
                false => Err(format!("{passes} idle passes of the webhook sender")),
            }
        })
        .await
    }

    /// The service's shared state (to reach its database in set-up and checks).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Creates an API credential directly (as the `credentials create` command does).
    pub async fn credential(&self, role: Role, mode: Mode) -> Client {
        let mut conn = self.state.db.conn().await.unwrap();
        let created = self
            .clock
            .scope(credentials::create(&mut conn, "test", role, mode))
            .await
            .unwrap();
        Client {
            id: created.credential.id,
            secret: created
                .client_secret
                .map(|s| secrecy::ExposeSecret::expose_secret(&s).to_owned()),
        }
    }

    /// Rows of a SQL query run on one of the service's own PostgreSQL connections, for
    /// checks that only the server can answer (`pg_stat_activity`, prepared statements).
    pub async fn pg_rows<T>(&self, sql: &str) -> Vec<T>
    where
        T: diesel::QueryableByName<diesel::pg::Pg> + Send + 'static,
    {
        let mut conn = self.state.db.conn().await.unwrap();
        let reset_gateway::db::Conn::Pg(conn) = &mut conn else {
            panic!("a PostgreSQL connection")
        };
        diesel_async::RunQueryDsl::load(diesel::sql_query(sql), &mut &**conn)
            .await
            .unwrap()
    }

    /// Runs SQL statements on the service's database, for set-up the API does not offer
    /// (rows out of range, a rule standing in for a database fault). `on_pg` and
    /// `on_sqlite` are the statements in each dialect.
    pub async fn execute_sql(&self, on_pg: &[&str], on_sqlite: &[&str]) {
        let mut conn = self.state.db.conn().await.unwrap();
        let statements = match &conn {
            reset_gateway::db::Conn::Pg(_) => on_pg,
            reset_gateway::db::Conn::Sqlite(_) => on_sqlite,
        };
        for statement in statements {
            let statement = diesel::sql_query(*statement);
            db_run!(&mut conn, |c| {
                diesel_async::RunQueryDsl::execute(statement, c)
                    .await
                    .unwrap()
            });
        }
    }

    /// A raw POST to `path`, for checks of statuses, headers and bodies (see `raw.rs`).
    pub fn raw_post(&self, path: &str) -> crate::raw::Raw {
        let url = format!("{}{path}", self.base_url);
        crate::raw::Raw::with(&self.http, reqwest::Method::POST, url)
    }

    /// A raw GET of `path`.
    pub fn raw_get(&self, path: &str) -> crate::raw::Raw {
        let url = format!("{}{path}", self.base_url);
        crate::raw::Raw::with(&self.http, reqwest::Method::GET, url)
    }

    /// GETs `path` and returns the body as text (`/metrics`, `/schema.graphql`).
    pub async fn get_text(&self, path: &str) -> String {
        let url = format!("{}{path}", self.base_url);
        let response = self.http.get(url).send().await.unwrap();
        response.text().await.unwrap()
    }

    /// The value of the unlabelled metric `reset_gateway_{name}` on `/metrics`.
    pub async fn metric(&self, name: &str) -> u64 {
        metric_in(&self.get_text("/metrics").await, name)
    }

    /// POSTs a JSON body to `/oauth/token` and returns the status and the JSON answer.
    pub async fn oauth_json(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base_url))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// POSTs a form body to an OAuth endpoint.
    pub async fn oauth_form(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base_url))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// A client-credentials access token for a new credential of this role and mode.
    pub async fn token(&self, role: Role, mode: Mode) -> String {
        let client = self.credential(role, mode).await;
        self.client_token(&client).await
    }

    /// A client-credentials access token for `client`.
    pub async fn client_token(&self, client: &Client) -> String {
        let mut body = json!({ "grant_type": "client_credentials", "client_id": client.id });
        if let Some(secret) = &client.secret {
            body["client_secret"] = json!(secret);
        }
        let (status, answer) = self.oauth_json("/oauth/token", body).await;
        assert_eq!(status, 200, "token request failed: {answer}");
        answer["access_token"].as_str().unwrap().to_owned()
    }

    /// Logs a customer in through a sales channel; returns the whole token answer.
    pub async fn login(&self, sales_channel: &Client, email: &str, password: &str) -> (u16, Value) {
        self.oauth_form(
            "/oauth/token",
            &[
                ("grant_type", "password"),
                ("client_id", &sales_channel.id),
                ("username", email),
                ("password", password),
            ],
        )
        .await
    }

    /// Runs a GraphQL document with an optional bearer token; returns the JSON answer.
    pub async fn graphql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.base_url))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert!(
            response.status().is_success(),
            "GraphQL answered {}",
            response.status()
        );
        response.json().await.unwrap()
    }

    /// Creates a customer as an integration of `mode` and returns its id.
    pub async fn customer(
        &self,
        integration_token: &str,
        email: &str,
        password: Option<&str>,
    ) -> String {
        let answer = self
            .graphql(
                Some(integration_token),
                "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }",
                json!({ "input": { "email": email, "password": password } }),
            )
            .await;
        answer["data"]["createCustomer"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("customer not created: {answer}"))
            .to_owned()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// A fresh database on `backend`: a file in `dir` for SQLite, a database of its own on
/// the server for PostgreSQL (None when no server is configured).
async fn fresh_database(
    backend: Backend,
    dir: &tempfile::TempDir,
) -> Option<(DatabaseUrl, Option<PostgresDatabase>)> {
    Some(match backend {
        Backend::Sqlite => (DatabaseUrl::Sqlite(dir.path().join("test.db")), None),
        Backend::Postgres => {
            let database = PostgresDatabase::create().await?;
            (database.url.parse().expect("database URL"), Some(database))
        }
    })
}

/// A manual clock at the current time: it stands still until a test advances it, so that
/// no rule's window ends in the middle of a test by chance.
fn new_clock() -> Clock {
    Clock::manual(chrono::Utc::now())
}

/// The value of the unlabelled metric `reset_gateway_{name}` in a `/metrics` page.
pub fn metric_in(text: &str, name: &str) -> u64 {
    let prefix = format!("reset_gateway_{name} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no metric {name} in:\n{text}"))
}

/// The `extensions.code` of the first error, if any.
pub fn error_code(answer: &Value) -> Option<&str> {
    answer["errors"][0]["extensions"]["code"].as_str()
}

pub(crate) use crate::both_databases::on_both_databases;
