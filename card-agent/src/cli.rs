//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Reads and verifies oncology health cards offline.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Verify card QR text given as arguments, or one card per line on standard input
    /// (as a USB QR scanner types it).
    Verify(VerifyArgs),
}

/// Arguments of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// QR texts to verify; without any, lines are read from standard input.
    pub texts: Vec<String>,
    /// The ministry root public key (PEM) that every card must chain to.
    #[arg(long, env = "CARD_AGENT_ROOT_KEY")]
    pub root: PathBuf,
    /// A trust bundle (binary or hex) with issuer certificates and revocations.
    #[arg(long, env = "CARD_AGENT_TRUST_BUNDLE")]
    pub bundle: Option<PathBuf>,
    /// Verify as of this Unix time instead of now (for reproducing a result).
    #[arg(long)]
    pub now: Option<u64>,
    /// Refuse every card while the trust bundle is older than this many days (default: only
    /// warn, so an offline site keeps working).
    #[arg(long)]
    pub max_bundle_age_days: Option<u64>,
    /// One JSON object per card instead of text.
    #[arg(long)]
    pub json: bool,
}
