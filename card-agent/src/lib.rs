//! The card agent that runs at a registration desk, a pharmacy or an insurer.
//!
//! It writes signed cards to PC/SC smart cards, prints QR cards to PDF, and reads either kind
//! back and verifies it offline against the ministry's root key and the synced trust bundle.
//!
//! # Layout
//! - [`cli`]: the command line (clap);
//! - [`card`]: smart cards: the transport trait, PC/SC readers, the on-card layout;
//! - [`vcard`]: the virtual ISO 7816-4 card (vpcd client and in-process);
//! - [`verify`]: the `verify` command;
//! - [`trust`]: the agent's home, trust sync and show;
//! - [`serve`]: the loopback HTTP bridge between the registry's web pages and the reader.
//!
//! Exit codes are in [`Class`].

pub mod card;
pub mod cli;
pub mod client;
pub mod pharmacy;
pub mod print_cmd;
pub mod serve;
pub mod smartcard;
pub mod trust;
pub mod vcard;
pub mod verify;
pub mod verify_batch;

use std::process::ExitCode;

/// How a command ended, when it ran to the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything checked out.
    Ok,
    /// The command ran to the end, but something failed on the way (a card refused, an
    /// image unreadable); the most serious class decides the exit code.
    Failed(Class),
}

impl Outcome {
    /// The process exit code.
    pub fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Ok => ExitCode::SUCCESS,
            Outcome::Failed(class) => ExitCode::from(class as u8),
        }
    }

    /// The more serious of two outcomes (the higher exit code).
    pub fn worst(self, other: Outcome) -> Outcome {
        match (self, other) {
            (Outcome::Ok, o) | (o, Outcome::Ok) => o,
            (Outcome::Failed(a), Outcome::Failed(b)) => {
                Outcome::Failed(if b as u8 > a as u8 { b } else { a })
            }
        }
    }
}

/// Failure classes, each with its own exit code (0 is success).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[repr(u8)]
pub enum Class {
    /// 1: a card was read and checked, and it is not valid (signature, expiry, revocation,
    /// garbage QR text).
    Refused = 1,
    /// 2: bad usage, or a local file or setting that cannot be used.
    Usage = 2,
    /// 3: the PC/SC service or the reader is not available.
    Reader = 3,
    /// 4: no card in the reader (also when `--wait` runs out).
    NoCard = 4,
    /// 5: the card cannot hold or does not hold a health card: not ISO 7816-4, blank, another
    /// application's card, or foreign data in the health-card file.
    CardUnusable = 5,
    /// 6: the card holds an interrupted write: incomplete, never read as valid.
    Incomplete = 6,
    /// 7: writing failed: the card was removed, is too small, or read back differently.
    WriteFailed = 7,
    /// 8: the registry could not be reached or refused the request.
    Registry = 8,
    /// 9: an image that holds no readable QR code, or that is not an image at all.
    Image = 9,
}

/// An error with its class, so `main` can pick the exit code. Context added around it with
/// `anyhow` keeps the class.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct AgentError {
    /// Which exit code.
    pub class: Class,
    /// What happened, for the person at the desk.
    pub message: String,
}

impl Class {
    /// An error of this class.
    pub fn err(self, message: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(AgentError {
            class: self,
            message: message.into(),
        })
    }
}

/// The exit code for an error: its class's, or 2 when it has none.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    error
        .chain()
        .find_map(|e| e.downcast_ref::<AgentError>())
        .map_or(Class::Usage as u8, |e| e.class as u8)
}

/// Runs one command.
///
/// # Errors
/// Any failure, classified with [`AgentError`] where it has a class.
pub fn run(cli: cli::Cli) -> anyhow::Result<Outcome> {
    let home = cli.home.as_deref();
    match cli.command {
        cli::Command::Readers(args) => smartcard::readers(&args),
        cli::Command::Read(args) => smartcard::read(&args, home),
        cli::Command::Write(args) => smartcard::write(&args, home),
        cli::Command::Print(args) => print_cmd::run(&args, home),
        cli::Command::Dispense(args) => pharmacy::dispense(&args, home),
        cli::Command::Sync(args) => pharmacy::sync(&args, home),
        cli::Command::Verify(args) => verify::run(&args, home),
        cli::Command::VerifyBatch(args) => verify_batch::run(&args, home),
        cli::Command::Trust(cli::TrustCommand::Sync(args)) => {
            trust::sync(&args, home).map(|()| Outcome::Ok)
        }
        cli::Command::Trust(cli::TrustCommand::Show(args)) => {
            trust::show(&args, home).map(|()| Outcome::Ok)
        }
        cli::Command::Serve(args) => serve::run(&args, home).map(|()| Outcome::Ok),
        cli::Command::VirtualCard(args) => vcard::run(&args).map(|()| Outcome::Ok),
    }
}
