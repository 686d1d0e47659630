//! The `reset-gateway` binary: parse the command line, start logging, run.

use clap::Parser;
use reset_gateway::cli::{self, Cli};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let logs = reset_gateway::telemetry::init(cli.config.log_format);
    let result = cli::run(cli).await;
    // Every queued log line is written before the process says how it ended.
    drop(logs);
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
