//! The card agent that runs at a registration desk, a pharmacy or an insurer.
//!
//! So far it verifies card QR text offline against the ministry's root key and, when given
//! one, a trust bundle (issue #4 adds smart cards, printing and trust sync).
//!
//! # Layout
//! - [`cli`]: the command line (clap);
//! - [`verify`]: the `verify` command.
//!
//! Exit codes: 0 every card valid, 1 a card refused, 2 usage, file or reader error.

pub mod cli;
pub mod verify;

use std::process::ExitCode;

/// How a command ended, when it ran to the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything checked out.
    Ok,
    /// At least one card was refused.
    Rejected,
}

impl Outcome {
    /// The process exit code: 0 or 1.
    pub fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Ok => ExitCode::SUCCESS,
            Outcome::Rejected => ExitCode::from(1),
        }
    }
}

/// Runs one command.
///
/// # Errors
/// Usage, file and reader errors (exit code 2).
pub fn run(cli: cli::Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        cli::Command::Verify(args) => verify::run(&args),
    }
}
