//! The real `reset-gateway` binary, run as an operator runs it: its command line, and a
//! server process whose JSON log is captured.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::raw::Raw;

/// Runs the binary with `args` on `database`.
pub fn run(database: &str, args: &[&str]) -> Output {
    command_with_database(database).args(args).output().unwrap()
}

/// The binary as a command on `database`, to be given its arguments.
pub fn command_with_database(database: &str) -> Command {
    let mut command = command(None);
    command.env("DATABASE_URL", database);
    command
}

/// The binary as a command, run as another user when given: directly as that user's
/// process (a wrapper such as `runuser` would outlive a kill and keep the test's output
/// open), from a copy of the binary in that user's folder, since the build folder may
/// be closed to it.
fn command(run_as: Option<&RunAs>) -> Command {
    use std::os::unix::process::CommandExt;
    match run_as {
        None => Command::new(env!("CARGO_BIN_EXE_reset-gateway")),
        Some(run_as) => {
            let mut command = Command::new(&run_as.binary);
            command.uid(run_as.uid).gid(run_as.gid);
            command
        }
    }
}

/// An unprivileged user to run the binary as, with a copy of the binary it can execute.
pub struct RunAs {
    uid: u32,
    gid: u32,
    binary: std::path::PathBuf,
}

impl RunAs {
    /// `user`, owning `home`; None unless this process is root.
    pub fn new(user: &str, home: &std::path::Path) -> Option<RunAs> {
        let id = |args: &[&str]| -> Option<u32> {
            let output = Command::new("id").args(args).output().ok()?;
            String::from_utf8_lossy(&output.stdout).trim().parse().ok()
        };
        if id(&["-u"])? != 0 {
            return None;
        }
        let (uid, gid) = (id(&["-u", user])?, id(&["-g", user])?);
        let binary = home.join("reset-gateway");
        std::fs::copy(env!("CARGO_BIN_EXE_reset-gateway"), &binary).ok()?;
        let owner = format!("{uid}:{gid}");
        let chowned = Command::new("chown")
            .args(["-R", &owner])
            .arg(home)
            .status()
            .ok()?;
        chowned.success().then_some(RunAs { uid, gid, binary })
    }
}

/// Creates a credential of `role` in test mode with the command line; its JSON answer.
pub fn credential(database: &str, role: &str) -> Value {
    credential_as(None, database, role)
}

/// [`credential`], run as `run_as` when given.
pub fn credential_as(run_as: Option<&RunAs>, database: &str, role: &str) -> Value {
    let output = command(run_as)
        .env("DATABASE_URL", database)
        .args([
            "credentials",
            "create",
            "--role",
            role,
            "--mode",
            "test",
            "--name",
            role,
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// A SQLite database URL in `dir`.
pub fn sqlite_url(dir: &tempfile::TempDir, name: &str) -> String {
    format!("sqlite://{}", dir.path().join(name).display())
}

/// The binary serving on a free port, its log captured; killed when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    log: Arc<Mutex<String>>,
}

impl Server {
    /// The value of the unlabelled metric `reset_gateway_{name}` on the binary's `/metrics`.
    pub async fn metric(&self, name: &str) -> u64 {
        let response = reqwest::get(format!("{}/metrics", self.base_url))
            .await
            .unwrap();
        crate::harness::metric_in(&response.text().await.unwrap(), name)
    }

    /// The access token the binary grants for `grant` (an `/oauth/token` request body).
    pub async fn access_token(&self, grant: &Value) -> String {
        let answer = Raw::post(format!("{}/oauth/token", self.base_url))
            .json(grant)
            .send()
            .await
            .body;
        let token = answer["access_token"].as_str();
        token
            .unwrap_or_else(|| panic!("no token: {answer}"))
            .to_owned()
    }

    /// Starts serving `database` with these extra environment variables.
    pub fn start(database: &str, env: &[(&str, &str)]) -> Server {
        Self::start_as(None, database, env)
    }

    /// Starts serving, as another user when given.
    pub fn start_as(run_as: Option<&RunAs>, database: &str, env: &[(&str, &str)]) -> Server {
        let mut child = command(run_as)
            .env("DATABASE_URL", database)
            .envs(env.iter().copied())
            .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (address_tx, address_rx) = std::sync::mpsc::channel();
        let reader = BufReader::new(child.stderr.take().unwrap());
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in reader.lines().map_while(Result::ok) {
                if let Ok(entry) = serde_json::from_str::<Value>(&line)
                    && let Some(address) = entry["address"].as_str()
                {
                    let _ = address_tx.send(address.to_owned());
                }
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let address = address_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the server says where it listens");
        Server {
            child,
            base_url: format!("http://{address}"),
            log,
        }
    }

    /// Everything the server has logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// The server process.
    pub fn process(&mut self) -> &mut Child {
        &mut self.child
    }

    /// The process's exit status once it has exited; panics with `otherwise` (what it
    /// means that it has not) after `within`.
    pub async fn exit_within(&mut self, within: Duration, otherwise: &str) -> ExitStatus {
        let child = &mut self.child;
        crate::eventually::eventually_within(within, async || {
            child
                .try_wait()
                .unwrap()
                .ok_or_else(|| otherwise.to_owned())
        })
        .await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
