//! The card agent that runs at a registration desk, a pharmacy or an insurer.
//!
//! It writes signed cards to PC/SC smart cards, prints QR cards to PDF, and reads either kind
//! back and verifies it offline against the ministry's root key and the synced trust bundle.
//!
//! # Layout
//! - [`cli`]: the command line (clap);
//! - [`card`]: smart cards: the transport trait, PC/SC readers, the on-card layout;
//! - [`vcard`]: the virtual ISO 7816-4 card (vpcd client and in-process);
//! - [`print`](mod@print): PDF rendering of cards;
//! - [`verify`]: the `verify` command;
//! - [`trust`]: the agent's home, trust sync and show.
//!
//! Exit codes are in [`Class`].

pub mod card;
pub mod cli;
pub mod print;
pub mod vcard;
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
            Outcome::Rejected => ExitCode::from(Class::Refused as u8),
        }
    }
}

/// Failure classes, each with its own exit code (0 is success).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    match cli.command {
        cli::Command::Verify(args) => verify::run(&args),
        cli::Command::VirtualCard(args) => vcard::run(&args).map(|()| Outcome::Ok),
        _ => Err(Class::Usage.err("not built yet")),
    }
}
