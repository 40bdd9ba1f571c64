//! registry-server: parse the configuration, set up logging, run.

use std::process::ExitCode;

use clap::Parser;
use registry_server::config::{Cli, Command};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Keys(cmd)) => registry_server::keys::run(cmd),
        Some(Command::Serve(args)) => registry_server::app::serve(*args).await,
        Some(Command::SetPassword(args)) => registry_server::app::set_password(args).await,
        Some(Command::Recheck(args)) => registry_server::app::recheck(args).await,
        Some(Command::Duplicates(args)) => registry_server::app::duplicates(args).await,
        Some(Command::Population(args)) => registry_server::app::population(args).await,
        Some(Command::ExportCanreg(args)) => registry_server::app::export_canreg(args).await,
        Some(Command::Import(args)) => registry_server::import::command(args).await,
        Some(Command::Backup(args)) => registry_server::app::backup(args).await,
        Some(Command::Restore(args)) => registry_server::app::restore(args).await,
        None => registry_server::app::serve(cli.serve).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("registry-server: {e:#}");
            ExitCode::from(2)
        }
    }
}
