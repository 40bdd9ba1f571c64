//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Writes, reads, prints and verifies oncology health cards; verification works offline.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// Where the agent keeps its state (the synced trust bundle, the pinned root key).
    /// Default: `$CARD_AGENT_HOME`, else `$XDG_DATA_HOME/card-agent`, else
    /// `~/.local/share/card-agent`.
    #[arg(long, global = true, env = "CARD_AGENT_HOME")]
    pub home: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the PC/SC readers and whether each holds a card.
    Readers(ReadersArgs),
    /// Read the card in a reader, verify it offline and show the summary.
    Read(ReadArgs),
    /// Write a signed card to the smart card in a reader, then read it back and verify it.
    Write(WriteArgs),
    /// Render cards to a printable PDF: ID-1 cards (front and back), or A4 sheets of cards.
    Print(PrintArgs),
    /// Verify card QR text given as arguments, one card per line on standard input (as a
    /// USB QR scanner types it), or QR codes in PNG/JPEG images.
    Verify(VerifyArgs),
    /// Pharmacy: read a card (smart card, QR text or image), verify it offline, show its
    /// authorised medicines with what was dispensed, and record a dispensing (queued locally
    /// when the registry cannot be reached).
    Dispense(DispenseArgs),
    /// Pharmacy: send the dispensings queued while offline to the registry.
    Sync(SyncArgs),
    /// Verify an insurer's file of claims (CSV or JSON Lines: claim id, and QR text or card
    /// serial) and write a report: valid, invalid with the reason, revoked, superseded.
    VerifyBatch(VerifyBatchArgs),
    /// Fetch, check and show the trust bundle.
    #[command(subcommand)]
    Trust(TrustCommand),
    /// Serve the registry's web pages on this computer: a loopback-only HTTP bridge through
    /// which the page writes and reads the smart card in the desk's reader.
    Serve(ServeArgs),
    /// Run a virtual ISO 7816-4 card in the vpcd reader of a local pcscd (training, demos and
    /// tests without a physical reader).
    VirtualCard(VirtualCardArgs),
}

/// The trust material a verification uses.
#[derive(Debug, Clone, Args)]
pub struct TrustArgs {
    /// The ministry root public key (PEM) that every card must chain to. Default: the key
    /// pinned by `trust sync` in the agent's home.
    #[arg(long, env = "CARD_AGENT_ROOT_KEY")]
    pub root: Option<PathBuf>,
    /// A trust bundle (binary or hex) with issuer certificates and revocations. Default: the
    /// bundle stored by `trust sync`, if any.
    #[arg(long, env = "CARD_AGENT_TRUST_BUNDLE")]
    pub bundle: Option<PathBuf>,
    /// Verify as of this Unix time instead of now (for reproducing a result).
    #[arg(long)]
    pub now: Option<u64>,
    /// Warn on every card while the trust bundle is older than this many days (the card still
    /// verifies).
    #[arg(long, default_value_t = 7)]
    pub warn_bundle_age_days: u64,
    /// Refuse every card while the trust bundle is older than this many days. Default: an old
    /// bundle only warns, so an offline site keeps working.
    #[arg(long)]
    pub max_bundle_age_days: Option<u64>,
}

/// Arguments of `readers`.
#[derive(Debug, Args)]
pub struct ReadersArgs {
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Which reader to use.
#[derive(Debug, Clone, Args)]
pub struct ReaderArgs {
    /// The reader's name, or a part of it. Default: the only reader holding a card (or the
    /// only reader).
    #[arg(long, env = "CARD_AGENT_READER")]
    pub reader: Option<String>,
    /// Wait for a card to be inserted, at most this many seconds (`--wait` alone: 60).
    #[arg(long, num_args = 0..=1, default_missing_value = "60")]
    pub wait: Option<u64>,
}

/// Arguments of `read`.
#[derive(Debug, Args)]
pub struct ReadArgs {
    #[command(flatten)]
    pub reader: ReaderArgs,
    #[command(flatten)]
    pub trust: TrustArgs,
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Where a card to write or print comes from.
#[derive(Debug, Clone, Args)]
pub struct SourceArgs {
    /// The registry's base URL, to fetch cards by serial (`--serial`).
    #[arg(long, env = "CARD_AGENT_SERVER")]
    pub server: Option<String>,
    /// A file holding the registrar's API token, for `--serial`.
    #[arg(long, env = "CARD_AGENT_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// A PEM file of extra CA certificates to trust for an HTTPS registry.
    #[arg(long, env = "CARD_AGENT_CA_CERT")]
    pub ca_cert: Option<PathBuf>,
}

/// Arguments of `write`.
#[derive(Debug, Args)]
pub struct WriteArgs {
    /// The card to write: a file with the signed card (COSE binary, hex, or QR text).
    #[arg(long, conflicts_with = "serial", required_unless_present = "serial")]
    pub file: Option<PathBuf>,
    /// The card to write: its serial at the registry (`--server`, `--token-file`).
    #[arg(long)]
    pub serial: Option<String>,
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub reader: ReaderArgs,
    #[command(flatten)]
    pub trust: TrustArgs,
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Page layout of `print`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PrintLayout {
    /// One ID-1 page (85.60 x 53.98 mm) per side: front, then back, for each card (card
    /// printers).
    Card,
    /// A4 sheets holding several cards, fronts then backs arranged for duplex printing.
    Sheet,
}

impl From<PrintLayout> for card_print::Layout {
    fn from(layout: PrintLayout) -> card_print::Layout {
        match layout {
            PrintLayout::Card => card_print::Layout::Card,
            PrintLayout::Sheet => card_print::Layout::Sheet,
        }
    }
}

/// Arguments of `print`.
#[derive(Debug, Args)]
pub struct PrintArgs {
    /// Files holding signed cards: COSE binary, hex, or QR text (one card per line).
    pub inputs: Vec<PathBuf>,
    /// Cards to print by serial, fetched from the registry (`--server`, `--token-file`).
    #[arg(long)]
    pub serial: Vec<String>,
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub trust: TrustArgs,
    /// The PDF to write.
    #[arg(long, short)]
    pub output: PathBuf,
    /// Page layout.
    #[arg(long, value_enum, default_value_t = PrintLayout::Card)]
    pub layout: PrintLayout,
    /// Put the issuer certificate in the QR code too, so the printed card verifies with the
    /// root key alone (a denser code: version 23 instead of 20 for a typical card).
    #[arg(long)]
    pub qr_certificate: bool,
}

/// Arguments of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// QR texts to verify; without any (and without `--image`), lines are read from standard
    /// input.
    pub texts: Vec<String>,
    /// PNG or JPEG images, each holding a card's QR code.
    #[arg(long)]
    pub image: Vec<PathBuf>,
    #[command(flatten)]
    pub trust: TrustArgs,
    /// One JSON object per card instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `dispense`.
#[derive(Debug, Args)]
pub struct DispenseArgs {
    /// The card's QR text (`-`: one line from standard input, as a USB scanner types it).
    /// Default: the smart card in the reader.
    #[arg(long, conflicts_with = "image")]
    pub qr: Option<String>,
    /// A PNG or JPEG image of the card's QR code.
    #[arg(long)]
    pub image: Option<PathBuf>,
    #[command(flatten)]
    pub reader: ReaderArgs,
    /// The authorisation id (as shown for the medicine) to dispense; without it the card's
    /// medicines are only shown.
    #[arg(long)]
    pub medicine: Option<u64>,
    /// Quantity handed out. Default: the quantity authorised per dispensing.
    #[arg(long, requires = "medicine")]
    pub quantity: Option<u32>,
    /// Do not try the registry: record the dispensing in the local queue only.
    #[arg(long)]
    pub offline: bool,
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub trust: TrustArgs,
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// File formats of `verify-batch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BatchFormat {
    /// Comma-separated values with a header row: `claim_id` and `qr` and/or `card_serial`.
    Csv,
    /// One JSON object per line: `{"claim_id": .., "qr": ..}` or `{.., "card_serial": ..}`.
    Jsonl,
}

/// Arguments of `verify-batch`.
#[derive(Debug, Args)]
pub struct VerifyBatchArgs {
    /// The claims file (`-` for standard input).
    pub input: PathBuf,
    /// Where to write the report (default: standard output).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Format of the claims file. Default: from its extension (`.jsonl`/`.ndjson`, else CSV).
    #[arg(long, value_enum)]
    pub format: Option<BatchFormat>,
    /// Format of the report. Default: the input's.
    #[arg(long, value_enum)]
    pub report_format: Option<BatchFormat>,
    /// Worker threads. Default: one per CPU core.
    #[arg(long)]
    pub jobs: Option<usize>,
    #[command(flatten)]
    pub trust: TrustArgs,
}

/// `trust` subcommands.
#[derive(Debug, Subcommand)]
pub enum TrustCommand {
    /// Fetch the trust bundle from the registry (only when it changed), verify it against the
    /// pinned root key and store it in the agent's home.
    Sync(TrustSyncArgs),
    /// Show the stored trust bundle: its age, issuers and revocations.
    Show(TrustShowArgs),
}

/// Arguments of `trust sync`.
#[derive(Debug, Args)]
pub struct TrustSyncArgs {
    /// The registry's base URL.
    #[arg(long, env = "CARD_AGENT_SERVER")]
    pub server: String,
    /// The ministry root public key (PEM) to pin. Needed on the first sync; later syncs use
    /// the pinned key and refuse a different one.
    #[arg(long, env = "CARD_AGENT_ROOT_KEY")]
    pub root: Option<PathBuf>,
    /// A PEM file of extra CA certificates to trust for an HTTPS registry.
    #[arg(long, env = "CARD_AGENT_CA_CERT")]
    pub ca_cert: Option<PathBuf>,
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `trust show`.
#[derive(Debug, Args)]
pub struct TrustShowArgs {
    /// Show the age as of this Unix time instead of now.
    #[arg(long)]
    pub now: Option<u64>,
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `virtual-card`.
#[derive(Debug, Clone, Args)]
pub struct VirtualCardArgs {
    /// The vpcd driver's address (pcscd's "Virtual PCD 00 00" listens on port 35963,
    /// "Virtual PCD 00 01" on 35964).
    #[arg(long, default_value = "127.0.0.1:35963")]
    pub vpcd: String,
    /// Keep the card's contents in this file, so they survive removal and insertion.
    #[arg(long)]
    pub image: Option<PathBuf>,
    /// The card's memory for files, in bytes (a real card's EEPROM is finite).
    #[arg(long, default_value_t = 32 * 1024)]
    pub capacity: usize,
    /// Pull the card out when this command APDU arrives (1 = the first), after applying it
    /// or not (`--remove-applies`): to test interrupted writes.
    #[arg(long)]
    pub remove_at: Option<u64>,
    /// With `--remove-at`: the APDU that arrives at removal is stored but never answered, as
    /// on a real card whose write completed just before the contacts broke.
    #[arg(long)]
    pub remove_applies: bool,
    /// What kind of card to emulate.
    #[arg(long, value_enum, default_value_t = VirtualCardProfile::Iso)]
    pub profile: VirtualCardProfile,
}

/// Kinds of virtual card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VirtualCardProfile {
    /// A blank ISO 7816-4 card with an empty master file.
    Iso,
    /// An ISO 7816-4 card that already holds another application's files and data.
    Foreign,
    /// A card that speaks no ISO 7816-4 (a memory or proprietary card): every command is
    /// refused with "class not supported".
    NonIso,
}

/// Arguments of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// The registry's origin, the only web origin allowed to call the agent: scheme, host and
    /// port, e.g. `https://registry.example` (plain `http://` only for a registry on this
    /// computer, e.g. `http://127.0.0.1:8080`).
    #[arg(long, env = "CARD_AGENT_SERVE_ORIGIN")]
    pub origin: String,
    /// The port on 127.0.0.1 to listen on (0: any free port, printed on start).
    #[arg(long, default_value_t = 47311, env = "CARD_AGENT_SERVE_PORT")]
    pub port: u16,
    /// The reader's name, or a part of it. Default: the only reader holding a card (or the
    /// only reader).
    #[arg(long, env = "CARD_AGENT_READER")]
    pub reader: Option<String>,
    /// Replace the pairing code with a new one (every page paired before must be paired
    /// again).
    #[arg(long)]
    pub new_pairing_code: bool,
    #[command(flatten)]
    pub trust: TrustArgs,
}
