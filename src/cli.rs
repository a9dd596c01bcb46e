//! Command line: `tienda [serve]` runs the shop; `tienda admin grant EMAIL
//! [--role staff]` makes an account an admin (or staff) on the configured store; `tienda check-config`,
//! `tienda backup PATH` and `tienda restore PATH` are the operator's tools.

mod check;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::app::Application;
use crate::config::{LogFormat, Settings};
use crate::domain::accounts::Role;

/// The parsed command line.
#[derive(Parser)]
#[command(name = "tienda", version, about = "A self-hosted shop in one binary")]
pub struct Cli {
    /// Options every subcommand takes.
    #[command(flatten)]
    pub common: Common,
    /// What to do; `serve` when left out.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Where the configuration comes from.
#[derive(Args, Clone)]
pub struct Common {
    /// Configuration file.
    #[arg(
        long,
        global = true,
        env = "TIENDA_CONFIG",
        default_value = "config/tienda.toml"
    )]
    pub config: PathBuf,
    /// Profile in the file (development, production…); default TIENDA_PROFILE or development.
    #[arg(long, global = true)]
    pub profile: Option<String>,
}

/// The subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Run the shop (the default).
    Serve,
    /// Account administration on the configured store (also while it serves).
    Admin {
        /// What to change.
        #[command(subcommand)]
        action: AdminAction,
    },
    /// Check the configuration (and theme) without starting; exits 1 naming the wrong key.
    CheckConfig,
    /// Copy the SQLite store into a new file while the shop serves, and verify the copy.
    Backup {
        /// The file to write; it must not exist yet.
        path: PathBuf,
    },
    /// Replace the SQLite store with a verified backup; refused while a server holds the store.
    Restore {
        /// The backup file to restore.
        path: PathBuf,
    },
}

/// Role changes `tienda admin` can make.
#[derive(Subcommand)]
pub enum AdminAction {
    /// Give the account with this email a role: admin unless `--role` says
    /// otherwise.
    Grant {
        /// Email of the account.
        email: String,
        /// `admin` (everything) or `staff` (chat, orders, customers).
        #[arg(long, default_value = "admin", value_parser = parse_granted_role)]
        role: Role,
    },
    /// Make a staff member or admin a customer again.
    Revoke {
        /// Email of the account.
        email: String,
    },
}

/// A role `tienda admin grant` gives: `admin` or `staff` (`revoke` makes a
/// customer).
fn parse_granted_role(text: &str) -> Result<Role, String> {
    match Role::parse(text) {
        Some(role @ (Role::Admin | Role::Staff)) => Ok(role),
        _ => Err(format!(
            "`{text}` is not a role to grant: use `admin` or `staff`"
        )),
    }
}

fn init_logging(settings: &Settings) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&settings.log.level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()));
    let _ = match settings.log.format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// Runs the command line; the process exit code follows the result.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(&cli.common.config, cli.common.profile.as_deref())?;
    let command = cli.command.unwrap_or(Command::Serve);
    if !matches!(command, Command::CheckConfig) {
        init_logging(&settings);
    }
    let url = settings.store.url.expose().to_owned();
    let url = url.as_str();
    match command {
        Command::CheckConfig => {
            // Loading the settings already checked the file and its keys.
            println!("{}", check::check_config(&settings)?);
            Ok(())
        }
        Command::Backup { path } => {
            let summary = crate::store::backup::backup(url, &path).await?;
            println!("backup written and verified: {summary}");
            Ok(())
        }
        Command::Restore { path } => {
            let summary = crate::store::backup::restore(url, &path).await?;
            println!("store restored and verified: {summary}");
            Ok(())
        }
        Command::Serve => {
            Application::build(settings)
                .await?
                .run_until_stopped()
                .await
        }
        Command::Admin { action } => {
            let store = crate::store::open_beside_server(url, settings.store.pool_size).await?;
            let (email, role) = match &action {
                AdminAction::Grant { email, role } => (email, *role),
                AdminAction::Revoke { email } => (email, Role::Customer),
            };
            let email = email.trim().to_ascii_lowercase();
            let found = store.set_role(&email, role).await?;
            store.close().await;
            if !found {
                anyhow::bail!("no account has the email {email}");
            }
            println!("{email} is now {}", role.as_str());
            Ok(())
        }
    }
}
