//! Configuration: every setting is a flag and an environment variable (`--help` lists them).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    Serve(Box<ServeArgs>),
    /// Key ceremony: create the root key, certify issuer and list-signing keys.
    #[command(subcommand)]
    Keys(crate::keys::KeysCommand),
    /// Set a user's web desk password, read from standard input (one line).
    SetPassword(SetPasswordArgs),
    /// Run the record checks over every stored tumour and list those that fail, by facility
    /// (for records entered before the checks, or after a table update).
    Recheck(RecheckArgs),
    /// Run the duplicate-patient search for every record and queue the candidate pairs for
    /// review (`/desk/duplicates`); prints how many records and pairs.
    Duplicates(RecheckArgs),
    /// Import population denominators from a CSV file (area,year,sex,age_group,population);
    /// each year in the file replaces that year's figures. A file with any error changes
    /// nothing and its errors are listed by line and column.
    Population(PopulationArgs),
    /// Write every primary tumour in the CanReg5 layout (tab-separated, pseudonymous keys,
    /// no names or national identifiers) to a new file, readable by its owner only; prints
    /// how many tumours and patients.
    ExportCanreg(ExportArgs),
    /// Write a backup of the registry to a new file of mode 0600: SQLite's consistent copy
    /// of the live database, or `pg_dump --format=custom` of PostgreSQL; prints its size and
    /// SHA-256. Instances keep serving meanwhile.
    Backup(BackupArgs),
    /// Import existing records (patients and their tumours) from a CSV, tab-separated or
    /// XLSX file in the registry's template or a CanReg5 export: each row checked as at the
    /// desk; `--dry-run` reports and writes nothing; re-running the same file changes
    /// nothing. Prints a count per outcome, and every row not imported.
    Import(ImportArgs),
    /// Load a backup into a database that holds no registry, verify its audit chain (a
    /// broken chain undoes the restore), digest every table and move the trust bundle's
    /// sequence past every bundle published since the backup; prints what it restored.
    Restore(RestoreArgs),
}

/// The database a command works on: `--database-url`, as for serving.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArg {
    /// Database URL, as for serving.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite:var/registry.sqlite?mode=rwc"
    )]
    pub database_url: String,
}

/// `registry-server backup --out F`
#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    /// The backup file to create (refused if it exists).
    #[arg(long)]
    pub out: std::path::PathBuf,
    /// The database.
    #[command(flatten)]
    pub db: DatabaseArg,
    /// PostgreSQL: the registry's schema, when it is not the connection's default (the
    /// backup then holds that schema only).
    #[arg(long)]
    pub pg_schema: Option<String>,
}

/// `registry-server restore --from F --bundle-sequence-seen N`
#[derive(Debug, Clone, Args)]
pub struct RestoreArgs {
    /// The backup file.
    #[arg(long)]
    pub from: std::path::PathBuf,
    /// Where to restore: a SQLite file that does not exist yet, or a PostgreSQL database
    /// (or schema) that holds no tables.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite:var/registry.sqlite?mode=rwc"
    )]
    pub database_url: String,
    /// PostgreSQL: the schema the backup was taken of (`backup --pg-schema`).
    #[arg(long)]
    pub pg_schema: Option<String>,
    /// The highest trust-bundle sequence published before the restore: what
    /// `GET /api/v1/trust-bundle` last served, or the highest that any card-agent holds
    /// (`card-agent trust show`). The restored registry publishes the next one, so no
    /// agent refuses its bundles and no sequence number names two bundles. 0 if none.
    #[arg(long)]
    pub bundle_sequence_seen: i64,
    /// One JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `registry-server import --source S --user U FILE`
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The file: CSV, tab-separated text or XLSX (its first sheet).
    pub file: std::path::PathBuf,
    /// The source's name (`benghazi-canreg5`): the file's keys are unique within it, and a
    /// re-run of the file must give the same name.
    #[arg(long)]
    pub source: String,
    /// The registrar who imports (a username): the records are theirs, as at the desk.
    #[arg(long)]
    pub user: String,
    /// Check and report every row; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Confirm, as the importing registrar, the record checks that ask a person to confirm
    /// (after reading them in a dry run); without it those rows are held back.
    #[arg(long)]
    pub confirm_checks: bool,
    /// The layout, when the header does not tell it: `template` or `canreg5`.
    #[arg(long)]
    pub layout: Option<crate::domain::import::layout::Layout>,
    /// Write the report of every row to this new CSV file (line, record, outcome, patient,
    /// problems, checks, primary, duplicates).
    #[arg(long)]
    pub report: Option<std::path::PathBuf>,
    /// Print the summary as one JSON document.
    #[arg(long)]
    pub json: bool,
    /// The database.
    #[command(flatten)]
    pub db: DatabaseArg,
}

/// `registry-server export-canreg --out F`
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// The file to create (refused if it exists).
    #[arg(long)]
    pub out: std::path::PathBuf,
    /// The database.
    #[command(flatten)]
    pub db: DatabaseArg,
}

/// `registry-server population --file F`
#[derive(Debug, Clone, Args)]
pub struct PopulationArgs {
    /// The CSV file (registry-server/data/population/sample.csv shows the layout).
    #[arg(long)]
    pub file: std::path::PathBuf,
    /// The database.
    #[command(flatten)]
    pub db: DatabaseArg,
}

/// `registry-server recheck [--json]`, `registry-server duplicates [--json]`
#[derive(Debug, Clone, Args)]
pub struct RecheckArgs {
    /// The database.
    #[command(flatten)]
    pub db: DatabaseArg,
    /// One JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `registry-server set-password --username U < password`
#[derive(Debug, Clone, Args)]
pub struct SetPasswordArgs {
    /// The user's login name.
    #[arg(long)]
    pub username: String,
    /// The database.
    #[command(flatten)]
    pub db: DatabaseArg,
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
    /// The issuing key (PKCS#8 PEM, mode 0600). Not used with `--issuer-hsm-module`.
    #[arg(long, env = "ISSUER_KEY")]
    pub issuer_key: Option<PathBuf>,
    /// PKCS#11 module holding the issuing key (e.g. /usr/lib/softhsm/libsofthsm2.so): the
    /// key never leaves the HSM. Needs `--issuer-hsm-token`, `--issuer-hsm-key` and the PIN in
    /// the environment variable ISSUER_HSM_PIN (never a flag: flags show in process lists).
    #[arg(long, env = "ISSUER_HSM_MODULE", requires_all = ["issuer_hsm_token", "issuer_hsm_key"])]
    pub issuer_hsm_module: Option<PathBuf>,
    /// Label of the HSM token holding the issuing key.
    #[arg(long, env = "ISSUER_HSM_TOKEN")]
    pub issuer_hsm_token: Option<String>,
    /// Label of the issuing key in the HSM (`registry-server keys hsm-new-key --key-label`).
    #[arg(long, env = "ISSUER_HSM_KEY")]
    pub issuer_hsm_key: Option<String>,
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
    /// How long a new API token works, in days (an admin revokes one sooner).
    #[arg(long, env = "TOKEN_LIFETIME_DAYS", default_value_t = 90,
          value_parser = clap::value_parser!(u64).range(1..=3660))]
    pub token_lifetime_days: u64,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 256 * 1024)]
    pub max_body_bytes: usize,
    /// Time limit for one request, in seconds.
    #[arg(long, env = "REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// Time a client gets to send a request's headers, in seconds; a connection that has
    /// not sent them whole by then is closed.
    #[arg(long, env = "HEADER_READ_TIMEOUT_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_read_timeout_secs: u64,
    /// Where the first admin token is written when the registry has no user yet (mode 0600).
    #[arg(
        long,
        env = "FIRST_ADMIN_TOKEN_FILE",
        default_value = "var/first-admin-token"
    )]
    pub first_admin_token_file: PathBuf,
    /// Log format: `text` for people, `json` for one JSON object per line. Logs carry the
    /// method, route template, status and latency of each request, never its path as called,
    /// query string, body or token.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Serve HTTPS with this certificate chain (PEM, leaf first); needs `--tls-key`.
    ///
    /// Without `--tls-cert`/`--tls-key` the server speaks plain HTTP and must sit behind a
    /// TLS-terminating reverse proxy (nginx, HAProxy, Caddy, a cloud load balancer) on the
    /// same host or a private network: bind it to `127.0.0.1` or a private address, never to
    /// a public one. The proxy should forward the `Authorization` header untouched, keep
    /// request bodies within `--max-body-bytes` (5 MB for `/desk/pharmacy/photo`), and use a
    /// timeout above `--request-timeout-secs`. The server reads no `X-Forwarded-*` header
    /// unless `--desk-client-address-header` names one. Served directly, TLS is rustls with its safe
    /// defaults (TLS 1.2 and 1.3, HTTP/1.1); the certificate is read at start, so restart the
    /// server to renew it. The one use of the client's address is the web desk's sign-in rate
    /// limit (see `--desk-client-address-header`).
    #[arg(long, env = "TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of `--tls-cert` (PEM: PKCS#8, PKCS#1 or SEC1; keep it mode 0600).
    #[arg(long, env = "TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Behind a reverse proxy: the request header holding the client's address (e.g.
    /// `X-Forwarded-For`; its first address is used), for the web desk's sign-in limit of 20
    /// failures per address in 15 minutes. Without it the connection's peer address counts,
    /// which behind a proxy is the proxy's. Set it only when the proxy overwrites the header.
    #[arg(long, env = "DESK_CLIENT_ADDRESS_HEADER")]
    pub desk_client_address_header: Option<String>,
    /// The regimen table of the demand forecast: a CSV file in the layout of the built-in
    /// `registry-server/data/regimens.csv` (whose figures are samples, not a protocol). The
    /// whole file is checked at start; a bad line stops the server, naming it.
    #[arg(long, env = "REGIMENS")]
    pub regimens: Option<PathBuf>,
}

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line (`timestamp`, `level`, `fields`, `target`, `span`, `spans`).
    Json,
}
