//! The database goes away and comes back: `/ready` turns 503 within seconds, GraphQL
//! fails fast with INTERNAL_SERVER_ERROR and no database text, `/health` stays 200, and
//! the service recovers by itself with nothing committed lost.
//!
//! The test runs its own PostgreSQL cluster (initdb as the `postgres` user), so that it
//! can stop and start it without touching the server other tests use. It runs where the
//! PostgreSQL half runs (TEST_DATABASE_URL set), as root (CI), with PostgreSQL's binaries.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use reset_gateway::auth::{Mode, Role};
use serde_json::json;

use crate::eventually::eventually_within;
use crate::harness::{TestApp, error_code};
use crate::raw::Raw;

/// A throwaway PostgreSQL cluster on a free port.
struct PrivateCluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
}

impl PrivateCluster {
    /// None when the PostgreSQL half is off; once it is on, a cluster that cannot be made
    /// is a failure, not a skip.
    fn create() -> Option<PrivateCluster> {
        std::env::var("TEST_DATABASE_URL").ok()?;
        Some(
            Self::make()
                .expect("a private PostgreSQL cluster (root, runuser and initdb are needed)"),
        )
    }

    fn make() -> Option<PrivateCluster> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .flatten()
            .map(|e| e.path().join("bin"))
            .find(|b| b.join("initdb").exists())?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let dir = PathBuf::from(format!("/tmp/rg-fault-pg-{port}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).ok()?;
        Command::new("chown")
            .args(["postgres:postgres", dir.to_str()?])
            .status()
            .ok()?
            .success()
            .then_some(())?;
        let cluster = PrivateCluster { bin, dir, port };
        let data = cluster.dir.join("data");
        cluster.as_postgres(
            "initdb",
            &[
                "-D",
                data.to_str()?,
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        )?;
        cluster.start()?;
        Some(cluster)
    }

    fn as_postgres(&self, tool: &str, args: &[&str]) -> Option<()> {
        let program = self.bin.join(tool);
        let status = Command::new("runuser")
            .args(["-u", "postgres", "--", program.to_str()?])
            .args(args)
            .stdout(std::process::Stdio::null())
            .status()
            .ok()?;
        status.success().then_some(())
    }

    fn pg_ctl(&self, action: &str) -> Option<()> {
        let data = self.dir.join("data");
        let log = self.dir.join("log");
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.display()
        );
        let mut args = vec![
            "-D",
            data.to_str()?,
            "-l",
            log.to_str()?,
            "-o",
            &options,
            "-w",
        ];
        if action == "stop" {
            args.extend(["-m", "fast"]);
        }
        args.push(action);
        self.as_postgres("pg_ctl", &args)
    }

    fn start(&self) -> Option<()> {
        self.pg_ctl("start")
    }

    fn stop(&self) -> Option<()> {
        self.pg_ctl("stop")
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = self.stop();
        let _ = std::fs::remove_dir_all(Path::new(&self.dir));
    }
}

async fn status_of(app: &TestApp, path: &str) -> u16 {
    match app.http.get(format!("{}{path}", app.base_url)).send().await {
        Ok(response) => response.status().as_u16(),
        Err(_) => 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_survives_postgres_going_away_and_coming_back() {
    let Some(cluster) = PrivateCluster::create() else {
        return;
    };
    let app = TestApp::spawn_on(cluster.url().parse().unwrap(), |c| {
        c.db_acquire_timeout = Duration::from_secs(1)
    })
    .await;
    let token = app.token(Role::Integration, Mode::Test).await;
    app.customer(&token, "kept@example.com", None).await;

    cluster.stop().expect("the cluster stops");
    eventually_within(Duration::from_secs(5), async || {
        match status_of(&app, "/ready").await {
            503 => Ok(()),
            other => Err(format!(
                "{}: /ready is {other}",
                "/ready did not turn 503 within seconds"
            )),
        }
    })
    .await;
    assert_eq!(
        status_of(&app, "/health").await,
        200,
        "liveness does not depend on the database"
    );
    let asked = Instant::now();
    let answer = app
        .graphql(Some(&token), "{ customers { totalCount } }", json!({}))
        .await;
    assert!(
        asked.elapsed() < Duration::from_secs(3),
        "GraphQL failed fast, not after a hang"
    );
    assert_eq!(error_code(&answer), Some("INTERNAL_SERVER_ERROR"));
    let message = answer["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_lowercase();
    assert!(
        !message.contains("connect")
            && !message.contains("postgres")
            && !message.contains("refused"),
        "{message}"
    );

    cluster.start().expect("the cluster starts again");
    eventually_within(Duration::from_secs(10), async || {
        match status_of(&app, "/ready").await {
            200 => Ok(()),
            other => Err(format!(
                "{}: /ready is {other}",
                "the service did not recover by itself"
            )),
        }
    })
    .await;
    // A pooled connection that died with the server is dropped on its next use.
    let answer = eventually_within(Duration::from_secs(2), async || {
        let answer = app
            .graphql(Some(&token), "{ customers { totalCount } }", json!({}))
            .await;
        match answer["errors"].is_null() {
            true => Ok(answer),
            false => Err(format!("{answer}")),
        }
    })
    .await;
    assert_eq!(
        answer["data"]["customers"]["totalCount"], 1,
        "nothing committed was lost: {answer}"
    );
    app.customer(&token, "after@example.com", None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_survives_its_sqlite_file_becoming_unreadable() {
    use std::os::unix::fs::PermissionsExt;

    use crate::binary::{RunAs, Server};

    let home = tempfile::tempdir().unwrap();
    // Root reads any file: the service runs as `nobody` so that the file can be made
    // unreadable to it.
    let Some(nobody) = RunAs::new("nobody", home.path()) else {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "note: not root: the SQLite fault test is SKIPPED"
        );
        return;
    };
    let file = home.path().join("faults.db");
    let database = format!("sqlite://{}", file.display());
    let integration = crate::binary::credential_as(Some(&nobody), &database, "integration");
    let server = Server::start_as(Some(&nobody), &database, &[("DB_ACQUIRE_TIMEOUT", "1s")]);
    let http = reqwest::Client::new();
    let status = |path: &'static str| {
        let (http, base) = (http.clone(), server.base_url.clone());
        async move {
            http.get(format!("{base}{path}"))
                .send()
                .await
                .map_or(0, |r| r.status().as_u16())
        }
    };
    let grant = json!({
        "grant_type": "client_credentials",
        "client_id": integration["client_id"],
        "client_secret": integration["client_secret"],
    });
    let token = server.access_token(&grant).await;
    let graphql = |query: &'static str| {
        let (base, token) = (server.base_url.clone(), token.clone());
        async move {
            Raw::post(format!("{base}/graphql"))
                .bearer(Some(&token))
                .json(&json!({ "query": query }))
                .send()
                .await
                .body
        }
    };
    graphql("mutation { createCustomer(input: { email: \"kept@example.com\" }) { id } }").await;

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
    eventually_within(Duration::from_secs(5), async || {
        match status("/ready").await {
            503 => Ok(()),
            other => Err(format!(
                "{}: /ready is {other}",
                "/ready did not turn 503 within seconds"
            )),
        }
    })
    .await;
    assert_eq!(status("/health").await, 200);
    let asked = Instant::now();
    let answer = graphql("{ customers { totalCount } }").await;
    assert!(
        asked.elapsed() < Duration::from_secs(3),
        "GraphQL failed fast"
    );
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "INTERNAL_SERVER_ERROR",
        "{answer}"
    );
    let message = answer["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_lowercase();
    assert!(
        !message.contains("permission")
            && !message.contains("sqlite")
            && !message.contains("denied"),
        "{message}"
    );

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    eventually_within(Duration::from_secs(10), async || {
        match status("/ready").await {
            200 => Ok(()),
            other => Err(format!(
                "{}: /ready is {other}",
                "the service did not recover by itself"
            )),
        }
    })
    .await;
    let answer = graphql("{ customers { totalCount } }").await;
    assert_eq!(
        answer["data"]["customers"]["totalCount"], 1,
        "nothing committed was lost: {answer}"
    );
    let answer =
        graphql("mutation { createCustomer(input: { email: \"after@example.com\" }) { id } }")
            .await;
    assert!(answer["errors"].is_null(), "{answer}");
}
