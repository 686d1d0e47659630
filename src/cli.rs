//! The command line: `serve` (default), `migrate`, `credentials`, `schema`.

use clap::{Parser, Subcommand, ValueEnum};
use secrecy::ExposeSecret;

use crate::auth::{Mode, Role, credentials};
use crate::config::Config;
use crate::db::{Db, run_migrations};
use crate::{App, graphql};

/// A GraphQL gateway for customer password resets and the customers they touch.
#[derive(Debug, Parser)]
#[command(name = "reset-gateway", version, about)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Settings (flags or environment variables).
    #[command(flatten)]
    pub config: Config,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve HTTP (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage API credentials.
    Credentials {
        /// The action.
        #[command(subcommand)]
        action: CredentialsCommand,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
}

/// Credential actions.
#[derive(Debug, Subcommand)]
pub enum CredentialsCommand {
    /// Create a credential; prints its client id (and, for integrations, the secret, once).
    Create {
        /// Integration (back office, with a secret) or sales channel (storefront, public).
        #[arg(long)]
        role: CredentialRole,
        /// Test or live.
        #[arg(long)]
        mode: Mode,
        /// A name for people.
        #[arg(long)]
        name: String,
        /// Print `{"client_id": ..., "client_secret": ...}` for scripts.
        #[arg(long)]
        json: bool,
    },
    /// List credentials (never their secrets).
    List,
    /// Revoke a credential: its tokens stop working within seconds on every instance.
    Revoke {
        /// The client id.
        id: String,
    },
}

/// Roles a credential can have (customers log in; they have no credential).
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CredentialRole {
    /// A back-office integration.
    Integration,
    /// A storefront.
    #[value(name = "sales_channel")]
    SalesChannel,
}

/// Runs the command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = App::build(config).await?;
            tracing::info!(address = %app.local_addr()?, "reset-gateway is listening");
            app.run(crate::shutdown_signal()).await
        }
        Command::Migrate => {
            let ran = run_migrations(&config.database_url).await?;
            println!("{ran} migration(s) applied");
            Ok(())
        }
        Command::Schema => {
            print!("{}", graphql::sdl(&graphql::build_schema(&config)));
            Ok(())
        }
        Command::Credentials { action } => {
            run_migrations(&config.database_url).await?;
            let db = Db::connect(&config.database_url, &config.pool_options()).await?;
            let mut conn = db.conn().await?;
            credentials_command(&mut conn, action).await
        }
    }
}

async fn credentials_command(
    conn: &mut crate::db::Conn,
    action: CredentialsCommand,
) -> anyhow::Result<()> {
    match action {
        CredentialsCommand::Create {
            role,
            mode,
            name,
            json,
        } => {
            let role = match role {
                CredentialRole::Integration => Role::Integration,
                CredentialRole::SalesChannel => Role::SalesChannel,
            };
            let created = credentials::create(conn, &name, role, mode).await?;
            let secret = created.client_secret.as_ref().map(|s| s.expose_secret());
            if json {
                let out = serde_json::json!({ "client_id": created.credential.id, "client_secret": secret });
                println!("{out}");
            } else {
                println!("client_id:     {}", created.credential.id);
                match secret {
                    Some(secret) => println!("client_secret: {secret}\n(shown once: store it now)"),
                    None => println!("(a sales channel is a public client: it has no secret)"),
                }
            }
        }
        CredentialsCommand::List => {
            for c in credentials::list(conn).await? {
                let state = if c.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                println!("{}\t{}\t{}\t{}\t{}", c.id, c.role, c.mode, state, c.name);
            }
        }
        CredentialsCommand::Revoke { id } => {
            if !credentials::revoke(conn, &id).await? {
                anyhow::bail!("no active credential with id {id}");
            }
            println!("revoked {id}");
        }
    }
    Ok(())
}
