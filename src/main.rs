//! The `reset-gateway` binary: parse the command line, start logging, run.

use clap::Parser;
use reset_gateway::cli::{self, Cli};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    reset_gateway::telemetry::init(cli.config.log_format);
    match cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
