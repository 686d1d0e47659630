//! The service under measurement: the real `App` in this process on the system clock, on a
//! fresh database, spoken to over HTTP as a client would.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use reset_gateway::App;
use reset_gateway::auth::{Mode, Role, credentials};
use reset_gateway::config::Config;
use reset_gateway::db::DatabaseUrl;
use serde_json::{Value, json};

/// Which database the service runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The name in the results.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// The running service, with an integration's token.
pub struct Service {
    base_url: String,
    http: reqwest::Client,
    token: String,
    /// The default configuration the service runs with, apart from the benchmark's changes.
    pub config: Config,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl Service {
    /// Starts the service on a fresh database of `backend` (`admin_url`: a PostgreSQL
    /// superuser's URL, for a database of its own) and makes an integration credential.
    pub async fn start(backend: Backend, admin_url: &str) -> anyhow::Result<Service> {
        let dir = tempfile::tempdir()?;
        let (url, postgres) = match backend {
            Backend::Sqlite => (DatabaseUrl::Sqlite(dir.path().join("bench.db")), None),
            Backend::Postgres => {
                let name = format!("rg_whbench_{}", std::process::id());
                admin_sql(
                    admin_url,
                    &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                )
                .await?;
                admin_sql(admin_url, &format!("CREATE DATABASE {name}")).await?;
                let url = with_database(admin_url, &name);
                (
                    url.parse().map_err(anyhow::Error::msg)?,
                    Some((admin_url.to_owned(), name)),
                )
            }
        };
        let mut config = Config::with_database(url);
        config.listen_addr = "127.0.0.1:0".parse()?;
        // The receiver is on loopback.
        config.webhook_allow_private_networks = true;
        // One client sends thousands of mutations: the limits would refuse them.
        config.rate_limit_token = 0;
        config.rate_limit_graphql = 0;
        config.rate_limit_reset_creations = 0;
        config.rate_limit_redemptions = 0;
        config.login_failures_per_account = 0;
        let app = App::build(config.clone()).await?;
        let base_url = format!("http://{}", app.local_addr()?);
        let state = app.state();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run(async {
            let _ = rx.await;
        }));
        let created = credentials::create(
            &mut state.db.conn().await?,
            "webhook bench",
            Role::Integration,
            Mode::Test,
        )
        .await?;
        let secret = created.client_secret.context("an integration's secret")?;
        let http = reqwest::Client::new();
        let answer: Value = http
            .post(format!("{base_url}/oauth/token"))
            .json(&json!({
                "grant_type": "client_credentials",
                "client_id": created.credential.id,
                "client_secret": secrecy::ExposeSecret::expose_secret(&secret),
            }))
            .send()
            .await?
            .json()
            .await?;
        let token = answer["access_token"]
            .as_str()
            .with_context(|| format!("no token: {answer}"))?
            .to_owned();
        Ok(Service {
            base_url,
            http,
            token,
            config,
            shutdown: Some(tx),
            server: Some(server),
            _dir: dir,
            postgres,
        })
    }

    /// Runs a GraphQL document as the integration; an answer with `errors` is an error.
    pub async fn graphql(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
        let answer: Value = self
            .http
            .post(format!("{}/graphql", self.base_url))
            .bearer_auth(&self.token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await?
            .json()
            .await?;
        if !answer["errors"].is_null() {
            bail!("GraphQL errors: {answer}");
        }
        Ok(answer["data"].clone())
    }

    /// Creates a guest customer (the `customers.create` event); returns when its answer
    /// arrived.
    pub async fn create_customer(&self, email: &str) -> anyhow::Result<Instant> {
        self.graphql(
            "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }",
            json!({ "input": { "email": email } }),
        )
        .await?;
        Ok(Instant::now())
    }

    /// Subscribes `url` to `customers.create`; returns the webhook's id.
    pub async fn create_webhook(&self, url: &str) -> anyhow::Result<String> {
        let data = self
            .graphql(
                "mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { id } }",
                json!({ "input": { "name": "bench", "topic": "customers.create", "callbackUrl": url } }),
            )
            .await?;
        Ok(data["createWebhook"]["id"]
            .as_str()
            .context("an id")?
            .to_owned())
    }

    /// Waits until the webhook's circuit is in `state` (`OPEN`, `CLOSED`).
    pub async fn wait_for_circuit(&self, id: &str, state: &str) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let data = self
                .graphql(
                    "query($id: ID!) { webhook(id: $id) { circuitState } }",
                    json!({ "id": id }),
                )
                .await?;
            if data["webhook"]["circuitState"] == state {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("the circuit is not {state}: {data}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Closes the webhook's circuit (`resetCircuit`).
    pub async fn reset_circuit(&self, id: &str) -> anyhow::Result<()> {
        self.graphql(
            "mutation($id: ID!) { updateWebhook(id: $id, input: { resetCircuit: true }) { id } }",
            json!({ "id": id }),
        )
        .await?;
        Ok(())
    }

    /// Stops the service and drops its PostgreSQL database.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await??;
        }
        if let Some((admin_url, name)) = self.postgres.take() {
            admin_sql(
                &admin_url,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )
            .await?;
        }
        Ok(())
    }
}

async fn admin_sql(admin_url: &str, sql: &str) -> anyhow::Result<()> {
    use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
    let mut conn = AsyncPgConnection::establish(admin_url)
        .await
        .with_context(|| format!("BENCH_PG ({admin_url}) is not reachable"))?;
    conn.batch_execute(sql).await?;
    Ok(())
}

/// `url` (a server URL, perhaps with a database and `?parameters`) naming database `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        "" => format!("{base}/{name}"),
        query => format!("{base}/{name}?{query}"),
    }
}
