//! Configuration: every setting is a flag and an environment variable (`--help` lists them).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// The oncology patient registry.
#[derive(Debug, Parser)]
#[command(version, about, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// A key-ceremony or admin command; without one, the server runs.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Server settings (when no command is given).
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// Commands besides serving.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve(ServeArgs),
    /// Key ceremony: create the root key, certify issuer and list-signing keys.
    #[command(subcommand)]
    Keys(crate::keys::KeysCommand),
}

/// How the server runs.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Development mode: a SQLite file under var/, the test keys from fixtures/, and a first
    /// admin token written to var/first-admin-token. Refused with a PostgreSQL DATABASE_URL.
    #[arg(long)]
    pub dev: bool,
    /// Database URL: `sqlite:PATH?mode=rwc` (embedded, the default) or `postgres://...`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite:var/registry.sqlite?mode=rwc"
    )]
    pub database_url: String,
    /// PostgreSQL pool size per server instance.
    #[arg(long, env = "DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,
    /// Address to listen on.
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The issuing key (PKCS#8 PEM, mode 0600).
    #[arg(long, env = "ISSUER_KEY")]
    pub issuer_key: Option<PathBuf>,
    /// The issuing key's root-signed certificate (binary or hex).
    #[arg(long, env = "ISSUER_CERT")]
    pub issuer_cert: Option<PathBuf>,
    /// The list-signing key for trust bundles (PKCS#8 PEM, mode 0600).
    #[arg(long, env = "LIST_KEY")]
    pub list_key: Option<PathBuf>,
    /// The list-signing key's root-signed certificate (binary or hex).
    #[arg(long, env = "LIST_CERT")]
    pub list_cert: Option<PathBuf>,
    /// The ministry root public key (PEM): certificates are checked against it at start.
    #[arg(long, env = "ROOT_PUBLIC_KEY")]
    pub root_public_key: Option<PathBuf>,
    /// How long a new card is valid, in days.
    #[arg(long, env = "CARD_VALIDITY_DAYS", default_value_t = 1826)]
    pub card_validity_days: u64,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 256 * 1024)]
    pub max_body_bytes: usize,
    /// Time limit for one request, in seconds.
    #[arg(long, env = "REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// Where the first admin token is written when the registry has no user yet (mode 0600).
    #[arg(
        long,
        env = "FIRST_ADMIN_TOKEN_FILE",
        default_value = "var/first-admin-token"
    )]
    pub first_admin_token_file: PathBuf,
    /// Log format: `text` or `json`.
    #[arg(long, env = "LOG_FORMAT", default_value = "text")]
    pub log_format: String,
}
