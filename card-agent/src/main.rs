//! `card-agent`: parse the command line, run it, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = card_agent::cli::Cli::parse();
    match card_agent::run(cli) {
        Ok(outcome) => outcome.exit_code(),
        Err(e) => {
            eprintln!("card-agent: {e:#}");
            ExitCode::from(card_agent::exit_code(&e))
        }
    }
}
