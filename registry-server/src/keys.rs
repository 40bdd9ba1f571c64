//! The key ceremony, `registry-server keys <command>`, and the key and certificate loaders the
//! server uses at startup.
//!
//! ```text
//! create-root  → root.key.pem (offline) + root.pub.pem (pinned by every verifier)
//! new-key      → issuer.key.pem + issuer.pub.pem      (or hsm-new-key: the key stays in an HSM)
//! certify      → issuer.cert: the root signs the public key, issuer id, region, period, usage
//! show-cert    → checks a certificate against the root and prints it
//! rotate       → new-key + certify in one step, with the instructions for the switch
//! ```
//!
//! Private keys are PKCS#8 PEM files created with mode 0600 in one `open(2)` (never widened,
//! never overwritten), and [`load_private_key`] refuses a key file that group or others may
//! read. Nothing here prints, logs or puts into an error message any private key material or
//! file contents: only paths, key ids (public), and what is wrong. The certificate format and
//! the trust chain belong to `card_format::trust`; PKCS#11 belongs to [`crate::hsm`].
//!
//! Dates on the command line are UTC calendar days: a period from `--not-before 2026-01-01` to
//! `--not-after 2027-12-31` starts at 2026-01-01 00:00:00 and ends at 2027-12-31 23:59:59
//! (inclusive, as the certificate's period is; docs/card-format.md §7.2).

use std::fs::DirBuilder;
use std::io::Write;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context};
use card_format::keys::Es256Signer;
use card_format::model::Date;
use card_format::{Certificate, PublicKey, SoftwareKey, Usage};
use clap::{Args, Subcommand, ValueEnum};

mod files;

pub use files::{load_private_key, read_certificate, read_private_pem, read_public_key};
use files::{write_key_files, write_new_file, write_new_key};

/// Seconds in a day.
const DAY: u64 = 86_400;
/// Largest key file read (a P-256 PKCS#8 PEM is about 240 bytes).
const MAX_KEY_FILE_LEN: u64 = 16 * 1024;
/// Largest certificate file read (hex doubles the 1,024-byte certificate limit).
const MAX_CERT_FILE_LEN: u64 = 64 * 1024;
/// Longest signing period `rotate` accepts, in days (ten years).
const MAX_VALID_DAYS: u64 = 3653;

/// Key-ceremony commands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Generate a P-256 issuing or list-signing key (PKCS#8 PEM, mode 0600) and print its kid.
    ///
    /// Writes the private key to --out with mode 0600 and the public key (SubjectPublicKeyInfo
    /// PEM, mode 0644) beside it: `NAME.key.pem` gets `NAME.pub.pem`, any other PATH gets
    /// `PATH.pub.pem`. Refuses to overwrite either file. Certify the public key with `certify`.
    NewKey(NewKeyArgs),
    /// Generate the ministry root key; it must stay offline.
    ///
    /// Like `new-key`. The root key signs only certificates: keep ROOT.key.pem on offline,
    /// removable media and bring it out only for `certify` and `rotate`. Distribute only the
    /// public key, which every verifier pins.
    CreateRoot(NewKeyArgs),
    /// Certify a public key with the root key, writing the binary certificate to --out.
    ///
    /// The period bounds when the key may sign; cards it signed keep verifying after it ends
    /// (docs/card-format.md §7.8).
    Certify(CertifyArgs),
    /// Verify a certificate (binary or hex) against the root public key and print its fields.
    ShowCert(ShowCertArgs),
    /// Rotate an issuing key: a new key and its certificate, in --out-dir.
    ///
    /// Writes issuer-DATE.key.pem (0600), issuer-DATE.pub.pem and issuer-DATE.cert (DATE is
    /// today, YYYY-MM-DD, UTC), certified from today for --valid-days days. The old certificate
    /// must stay in the trust bundle: cards signed with the old key keep verifying until their
    /// own expiry.
    /// Then restart the server with --issuer-key NEW.key.pem --issuer-cert NEW.cert (or
    /// ISSUER_KEY / ISSUER_CERT) and keep the old certificate registered. A compromised old
    /// key is a different matter: revoke its kid in the trust bundle.
    Rotate(RotateArgs),
    /// Generate a P-256 key pair inside a PKCS#11 token and write its public key.
    ///
    /// The private key is created sensitive and not extractable: it never leaves the HSM.
    /// Certify the written public key with `certify`.
    HsmNewKey(HsmNewKeyArgs),
}

/// Arguments of `new-key` and `create-root`.
#[derive(Debug, Args)]
pub struct NewKeyArgs {
    /// Private key file to create (PKCS#8 PEM, mode 0600); must not exist.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
}

/// What a certified key may sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UsageArg {
    /// Patient cards (an issuing site's key).
    Cards,
    /// Trust bundles (the registry's list-signing key).
    Lists,
}

impl UsageArg {
    fn to_usage(self) -> Usage {
        match self {
            UsageArg::Cards => Usage::CARDS,
            UsageArg::Lists => Usage::TRUST_LISTS,
        }
    }
}

/// Arguments of `certify`.
#[derive(Debug, Args)]
pub struct CertifyArgs {
    /// The ministry root private key (PKCS#8 PEM, mode 0600).
    #[arg(long, value_name = "PATH")]
    pub root_key: PathBuf,
    /// The public key to certify (SubjectPublicKeyInfo PEM, e.g. from `new-key`).
    #[arg(long, value_name = "PUB.pem")]
    pub public_key: PathBuf,
    /// Issuer id of the site or role, the cards' `iss`: 1-32 of A-Z a-z 0-9 . _ -
    #[arg(long, value_name = "ID")]
    pub issuer_id: String,
    /// Region of the site: 1-32 of A-Z a-z 0-9 . _ -
    #[arg(long, value_name = "REGION")]
    pub region: String,
    /// What the key may sign.
    #[arg(long, value_enum)]
    pub usage: UsageArg,
    /// First day of the signing period (UTC, from 00:00:00).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub not_before: String,
    /// Last day of the signing period (UTC, until 23:59:59).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub not_after: String,
    /// Certificate file to create (binary); must not exist.
    #[arg(long, value_name = "CERT")]
    pub out: PathBuf,
}

/// Arguments of `show-cert`.
#[derive(Debug, Args)]
pub struct ShowCertArgs {
    /// The ministry root public key (PEM) the certificate must chain to.
    #[arg(long, value_name = "ROOT.pem")]
    pub root_public_key: PathBuf,
    /// The certificate: binary, or hex text (as in fixtures/trust/*.cert.hex).
    #[arg(value_name = "CERT")]
    pub cert: PathBuf,
}

/// Arguments of `rotate`.
#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The ministry root private key (PKCS#8 PEM, mode 0600).
    #[arg(long, value_name = "PATH")]
    pub root_key: PathBuf,
    /// Issuer id of the site, unchanged from the old certificate: 1-32 of A-Z a-z 0-9 . _ -
    #[arg(long, value_name = "ID")]
    pub issuer_id: String,
    /// Region of the site: 1-32 of A-Z a-z 0-9 . _ -
    #[arg(long, value_name = "REGION")]
    pub region: String,
    /// Directory for the new files (created with mode 0700 if missing).
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
    /// Length of the new signing period in days, from today (UTC); 1 to 3653.
    #[arg(long, value_name = "N")]
    pub valid_days: u64,
    /// What the new key may sign.
    #[arg(long, value_enum, default_value = "cards")]
    pub usage: UsageArg,
}

/// Arguments of `hsm-new-key`.
#[derive(Debug, Args)]
pub struct HsmNewKeyArgs {
    /// The PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so.
    #[arg(long, env = "PKCS11_MODULE", value_name = "PATH")]
    pub module: PathBuf,
    /// Label of the token to hold the key.
    #[arg(long, value_name = "LABEL")]
    pub token_label: String,
    /// Label of the new key pair (CKA_LABEL); the server finds the key by it.
    #[arg(long, value_name = "LABEL")]
    pub key_label: String,
    /// The token's user PIN; prefer the environment variable to the flag.
    #[arg(long, env = "HSM_PIN", hide_env_values = true)]
    pub pin: String,
    /// Public key file to create (SubjectPublicKeyInfo PEM); must not exist.
    #[arg(long, value_name = "PUB.pem")]
    pub out_public: PathBuf,
}

/// Runs a key-ceremony command, printing to standard output.
///
/// # Errors
/// Any failure of the command: unreadable or insecure input files, invalid arguments, a file
/// that already exists, a certificate that does not verify. Messages name paths, never
/// contents.
pub fn run(cmd: KeysCommand) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    run_with(cmd, &mut stdout.lock())
}

fn run_with(cmd: KeysCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    match cmd {
        KeysCommand::NewKey(args) => {
            let (key, public) = write_new_key(&args.out)?;
            print_new_key(out, &key, &args.out, &public)
        }
        KeysCommand::CreateRoot(args) => {
            let (key, public) = write_new_key(&args.out)?;
            print_new_key(out, &key, &args.out, &public)?;
            writeln!(
                out,
                "note: this is the ministry ROOT key. Keep {} offline (removable media, no \
                 network) and use it only for `certify` and `rotate`; distribute only {}",
                args.out.display(),
                public.display()
            )
            .context("while writing the output")
        }
        KeysCommand::Certify(args) => certify(&args, out),
        KeysCommand::ShowCert(args) => show_cert(&args, out),
        KeysCommand::Rotate(args) => rotate(&args, out),
        KeysCommand::HsmNewKey(args) => hsm_new_key(&args, out),
    }
}

fn print_new_key(
    out: &mut dyn Write,
    key: &SoftwareKey,
    private: &Path,
    public: &Path,
) -> anyhow::Result<()> {
    writeln!(out, "kid:         {}", key.public_key().kid())
        .and_then(|()| writeln!(out, "private key: {} (mode 0600)", private.display()))
        .and_then(|()| writeln!(out, "public key:  {}", public.display()))
        .context("while writing the output")
}

/// Checks an issuer id or region: 1 to 32 characters from A-Z a-z 0-9 . _ -
fn check_name(flag: &str, value: &str) -> anyhow::Result<()> {
    if value.is_empty() || value.len() > 32 {
        bail!(
            "{flag} must be 1 to 32 characters, got {}",
            value.chars().count()
        );
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if let Some(c) = value.chars().find(|c| !allowed(*c)) {
        bail!("{flag} may contain only A-Z a-z 0-9 . _ - (found {c:?})");
    }
    Ok(())
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` flag value.
fn parse_day(flag: &str, text: &str) -> anyhow::Result<u64> {
    let date = Date::parse(flag, text)
        .map_err(|_| anyhow!("{flag}: expected a date as YYYY-MM-DD, got {text:?}"))?;
    u64::try_from(date.0).map_err(|_| anyhow!("{flag}: {text} is before 1970-01-01"))
}

/// Signs a certificate after checking the arguments, and verifies the result against the root.
fn issue_certificate(root: &SoftwareKey, certificate: &Certificate) -> anyhow::Result<Vec<u8>> {
    check_name("--issuer-id", &certificate.issuer_id)?;
    check_name("--region", &certificate.region)?;
    if certificate.not_after < certificate.not_before {
        bail!("--not-after is before --not-before");
    }
    if certificate.kid() == root.public_key().kid() {
        bail!("refusing to certify the root key itself: certify an issuer or list-signing key");
    }
    let bytes = certificate
        .sign(root)
        .context("cannot sign the certificate")?;
    Certificate::verify(&bytes, root.public_key())
        .context("the new certificate does not verify against the root")?;
    Ok(bytes)
}

fn certify(args: &CertifyArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let not_before = parse_day("--not-before", &args.not_before)?;
    let not_after = parse_day("--not-after", &args.not_after)?;
    if not_after < not_before {
        bail!(
            "--not-after {} is before --not-before {}",
            args.not_after,
            args.not_before
        );
    }
    let public_key = read_public_key(&args.public_key)?;
    let root = load_private_key(&args.root_key)?;
    let certificate = Certificate {
        public_key,
        issuer_id: args.issuer_id.clone(),
        region: args.region.clone(),
        not_before: not_before * DAY,
        not_after: not_after * DAY + DAY - 1,
        usage: args.usage.to_usage(),
    };
    let bytes = issue_certificate(&root, &certificate)?;
    write_new_file(&args.out, &bytes, 0o644)?;
    writeln!(
        out,
        "certificate: {} ({} bytes)",
        args.out.display(),
        bytes.len()
    )
    .map_err(anyhow::Error::from)
    .and_then(|()| print_certificate(out, &certificate, root.public_key()))
    .context("while writing the output")
}

fn show_cert(args: &ShowCertArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let root = read_public_key(&args.root_public_key)?;
    let bytes = read_certificate(&args.cert)?;
    let certificate = Certificate::verify(&bytes, &root).with_context(|| {
        format!(
            "certificate {} does not verify against root key {}",
            args.cert.display(),
            root.kid()
        )
    })?;
    writeln!(
        out,
        "certificate: {} ({} bytes), signed by the root",
        args.cert.display(),
        bytes.len()
    )
    .map_err(anyhow::Error::from)
    .and_then(|()| print_certificate(out, &certificate, &root))?;
    let now = unix_now()?;
    let status = if now < certificate.not_before {
        "not yet valid: the key may not sign yet"
    } else if now > certificate.not_after {
        "period ended: the key may no longer sign; its cards keep verifying until they expire"
    } else {
        "valid now: the key may sign"
    };
    writeln!(out, "status:      {status}").context("while writing the output")
}

fn print_certificate(
    out: &mut dyn Write,
    certificate: &Certificate,
    root: &PublicKey,
) -> anyhow::Result<()> {
    let usage = match certificate.usage {
        Usage::CARDS => "cards".to_owned(),
        Usage::TRUST_LISTS => "trust lists".to_owned(),
        Usage(3) => "cards, trust lists".to_owned(),
        Usage(other) => format!("unknown bits {other:#04x}"),
    };
    let key = data_encoding::HEXLOWER.encode(&certificate.public_key.to_compressed());
    writeln!(out, "kid:         {}", certificate.kid())?;
    writeln!(out, "public key:  {key}")?;
    writeln!(out, "issuer id:   {}", certificate.issuer_id)?;
    writeln!(out, "region:      {}", certificate.region)?;
    writeln!(out, "usage:       {usage}")?;
    writeln!(out, "not before:  {}", format_time(certificate.not_before))?;
    writeln!(out, "not after:   {}", format_time(certificate.not_after))?;
    writeln!(out, "root kid:    {}", root.kid())?;
    Ok(())
}

fn rotate(args: &RotateArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    check_name("--issuer-id", &args.issuer_id)?;
    check_name("--region", &args.region)?;
    if !(1..=MAX_VALID_DAYS).contains(&args.valid_days) {
        bail!(
            "--valid-days must be 1 to {MAX_VALID_DAYS}, got {}",
            args.valid_days
        );
    }
    let root = load_private_key(&args.root_key)?;
    let today = unix_now()? / DAY;
    let date = Date::from_unix_seconds(today * DAY);
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&args.out_dir)
        .with_context(|| format!("cannot create directory {}", args.out_dir.display()))?;
    let key_path = args.out_dir.join(format!("issuer-{date}.key.pem"));
    let cert_path = args.out_dir.join(format!("issuer-{date}.cert"));
    if cert_path.exists() {
        bail!(
            "{} already exists: refusing to overwrite it",
            cert_path.display()
        );
    }
    let key = SoftwareKey::generate();
    let certificate = Certificate {
        public_key: key.public_key().clone(),
        issuer_id: args.issuer_id.clone(),
        region: args.region.clone(),
        not_before: today * DAY,
        not_after: (today + args.valid_days) * DAY - 1,
        usage: args.usage.to_usage(),
    };
    let bytes = issue_certificate(&root, &certificate)?;
    let public_path = write_key_files(&key, &key_path)?;
    write_new_file(&cert_path, &bytes, 0o644)?;
    print_new_key(out, &key, &key_path, &public_path)?;
    writeln!(
        out,
        "certificate: {} ({} bytes)",
        cert_path.display(),
        bytes.len()
    )?;
    print_certificate(out, &certificate, root.public_key())?;
    writeln!(
        out,
        "\nnext steps:\n\
         1. keep the OLD certificate registered (in the trust bundle): cards signed with the \
         old key keep verifying until their own expiry;\n\
         2. restart the server with --issuer-key {key} --issuer-cert {cert} \
         (or ISSUER_KEY={key} ISSUER_CERT={cert}); keep the old certificate registered;\n\
         3. only if the old key was compromised: revoke its kid in the trust bundle.",
        key = key_path.display(),
        cert = cert_path.display()
    )
    .context("while writing the output")
}

fn hsm_new_key(args: &HsmNewKeyArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    if args.out_public.exists() {
        bail!(
            "{} already exists: refusing to overwrite it",
            args.out_public.display()
        );
    }
    let public =
        crate::hsm::generate_in_hsm(&args.module, &args.token_label, &args.pin, &args.key_label)?;
    let pem = public.to_pem().context("cannot encode the public key")?;
    write_new_file(&args.out_public, pem.as_bytes(), 0o644)?;
    writeln!(out, "kid:         {}", public.kid())?;
    writeln!(
        out,
        "key label:   {} (in token {})",
        args.key_label, args.token_label
    )?;
    writeln!(out, "public key:  {}", args.out_public.display())?;
    writeln!(
        out,
        "the private key was generated inside the HSM and cannot leave it"
    )
    .context("while writing the output")
}

fn unix_now() -> anyhow::Result<u64> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .context("the system clock is before 1970")
}

/// `YYYY-MM-DD HH:MM:SS UTC` (Unix seconds also shown).
fn format_time(seconds: u64) -> String {
    let date = Date::from_unix_seconds(seconds);
    let time = seconds % DAY;
    format!(
        "{date} {:02}:{:02}:{:02} UTC ({seconds})",
        time / 3600,
        time % 3600 / 60,
        time % 60
    )
}

#[cfg(test)]
mod tests {
    use super::files::public_key_path;
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    use clap::Parser;

    /// The command line as the server's `keys` subcommand sees it.
    #[derive(Debug, Parser)]
    struct Cli {
        #[command(subcommand)]
        command: KeysCommand,
    }

    /// Runs `keys <args>` and returns what it printed.
    fn keys(args: &[&str]) -> anyhow::Result<String> {
        let cli = Cli::try_parse_from(std::iter::once("keys").chain(args.iter().copied()))?;
        let mut out = Vec::new();
        run_with(cli.command, &mut out)?;
        Ok(String::from_utf8(out)?)
    }

    fn path(dir: &tempfile::TempDir, name: &str) -> String {
        dir.path().join(name).display().to_string()
    }

    fn mode(path: &str) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures")
            .join(name)
    }

    /// A root key and a certified issuer key in `dir`; returns (root, root.pub, issuer.pub).
    fn root_and_issuer(dir: &tempfile::TempDir) -> (String, String, String) {
        let root = path(dir, "root.key.pem");
        keys(&["create-root", "--out", &root]).unwrap();
        keys(&["new-key", "--out", &path(dir, "issuer.key.pem")]).unwrap();
        (root, path(dir, "root.pub.pem"), path(dir, "issuer.pub.pem"))
    }

    #[test]
    fn new_key_writes_0600_and_refuses_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let key = path(&dir, "issuer.key.pem");
        let printed = keys(&["new-key", "--out", &key]).unwrap();
        assert_eq!(mode(&key), 0o600);
        let public = read_public_key(&dir.path().join("issuer.pub.pem")).unwrap();
        let loaded = load_private_key(Path::new(&key)).unwrap();
        assert_eq!(loaded.public_key(), &public);
        assert!(printed.contains(&public.kid().to_hex()), "{printed}");
        assert!(!printed.contains("PRIVATE"), "{printed}");

        let before = std::fs::read(&key).unwrap();
        let again = keys(&["new-key", "--out", &key]).unwrap_err();
        assert!(format!("{again:#}").contains("already exists"), "{again:#}");
        assert_eq!(std::fs::read(&key).unwrap(), before);
    }

    #[test]
    fn new_key_names_the_public_key_beside_it() {
        assert_eq!(
            public_key_path(Path::new("a/x.key.pem")),
            Path::new("a/x.pub.pem")
        );
        assert_eq!(
            public_key_path(Path::new("a/x.pem")),
            Path::new("a/x.pem.pub.pem")
        );
        assert_eq!(
            public_key_path(Path::new("a/.key.pem")),
            Path::new("a/.key.pem.pub.pem")
        );
    }

    #[test]
    fn load_private_key_refuses_group_readable_file_with_chmod_hint() {
        let dir = tempfile::tempdir().unwrap();
        let key = path(&dir, "issuer.key.pem");
        keys(&["new-key", "--out", &key]).unwrap();
        for (i, bad) in [0o644, 0o640, 0o604, 0o660].into_iter().enumerate() {
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(bad)).unwrap();
            let err = load_private_key(Path::new(&key)).unwrap_err();
            let shown = format!("{err:#}");
            assert!(
                shown.contains(&format!("chmod 600 {key}")),
                "case {i}: {shown}"
            );
            assert!(!shown.contains("BEGIN"), "case {i}: {shown}");
        }
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o400)).unwrap();
        load_private_key(Path::new(&key)).unwrap();
    }

    #[test]
    fn load_private_key_never_shows_contents() {
        let dir = tempfile::tempdir().unwrap();
        let secret = "-----BEGIN EC PRIVATE KEY-----\nc2VjcmV0LWtleS1ieXRlcw==\n";
        let key = path(&dir, "sec1.pem");
        write_new_file(Path::new(&key), secret.as_bytes(), 0o600).unwrap();
        let shown = format!("{:#}", load_private_key(Path::new(&key)).unwrap_err());
        assert!(shown.contains("openssl pkcs8 -topk8"), "{shown}");
        assert!(!shown.contains("c2VjcmV0"), "{shown}");
        let shown = format!("{:#}", read_public_key(Path::new(&key)).unwrap_err());
        assert!(
            shown.contains("holds a private key") && !shown.contains("c2VjcmV0"),
            "{shown}"
        );
    }

    #[test]
    fn certify_then_show_cert_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let (root, root_pub, issuer_pub) = root_and_issuer(&dir);
        let cert = path(&dir, "issuer.cert");
        let printed = keys(&[
            "certify",
            "--root-key",
            &root,
            "--public-key",
            &issuer_pub,
            "--issuer-id",
            "LY-BEN-PED",
            "--region",
            "east",
            "--usage",
            "cards",
            "--not-before",
            "2026-01-01",
            "--not-after",
            "2027-12-31",
            "--out",
            &cert,
        ])
        .unwrap();
        let kid = read_public_key(Path::new(&issuer_pub))
            .unwrap()
            .kid()
            .to_hex();
        assert!(printed.contains(&kid), "{printed}");

        let bytes = read_certificate(Path::new(&cert)).unwrap();
        let root_key = read_public_key(Path::new(&root_pub)).unwrap();
        let certificate = Certificate::verify(&bytes, &root_key).unwrap();
        assert_eq!(certificate.not_before, 1_767_225_600); // 2026-01-01T00:00:00Z
        assert_eq!(certificate.not_after, 1_830_297_599); // 2027-12-31T23:59:59Z
        assert_eq!(certificate.usage, Usage::CARDS);

        // show-cert takes the binary file and the same bytes as hex.
        let hex = path(&dir, "issuer.cert.hex");
        let text = data_encoding::HEXLOWER.encode(&bytes);
        std::fs::write(&hex, format!("{}\n{}\n", &text[..40], &text[40..])).unwrap();
        for file in [&cert, &hex] {
            let shown = keys(&["show-cert", "--root-public-key", &root_pub, file]).unwrap();
            for expected in [
                kid.as_str(),
                "LY-BEN-PED",
                "east",
                "cards",
                "2026-01-01 00:00:00",
            ] {
                assert!(shown.contains(expected), "{expected} in {shown}");
            }
        }

        // Another root does not vouch for it.
        let other = path(&dir, "other.key.pem");
        keys(&["create-root", "--out", &other]).unwrap();
        let other_pub = path(&dir, "other.pub.pem");
        let err = keys(&["show-cert", "--root-public-key", &other_pub, &cert]).unwrap_err();
        assert!(format!("{err:#}").contains("does not verify"), "{err:#}");
    }

    #[test]
    fn certify_refuses_bad_input() {
        let dir = tempfile::tempdir().unwrap();
        let (root, root_pub, issuer_pub) = root_and_issuer(&dir);
        let cert = path(&dir, "x.cert");
        let cases: [(&str, &str, &str, &str, &str, &str); 8] = [
            // issuer id, region, not before, not after, public key, expected message
            (
                "LY-BEN-PED",
                "east",
                "2026-13-01",
                "2027-01-01",
                &issuer_pub,
                "--not-before",
            ),
            (
                "LY-BEN-PED",
                "east",
                "2026-01-01",
                "31/12/2027",
                &issuer_pub,
                "--not-after",
            ),
            (
                "LY-BEN-PED",
                "east",
                "2027-01-01",
                "2026-01-01",
                &issuer_pub,
                "is before",
            ),
            (
                "",
                "east",
                "2026-01-01",
                "2027-01-01",
                &issuer_pub,
                "--issuer-id must be 1 to 32",
            ),
            (
                "LY BEN",
                "east",
                "2026-01-01",
                "2027-01-01",
                &issuer_pub,
                "may contain only",
            ),
            (
                "LY-BEN-PED",
                &"e".repeat(33),
                "2026-01-01",
                "2027-01-01",
                &issuer_pub,
                "--region",
            ),
            (
                "LY-BEN-PED",
                "east",
                "2026-01-01",
                "2027-01-01",
                &root_pub,
                "root key itself",
            ),
            (
                "LY-BEN-PED",
                "east",
                "2026-01-01",
                "2027-01-01",
                &root,
                "holds a private key",
            ),
        ];
        for (i, (issuer, region, from, to, public, expected)) in cases.iter().enumerate() {
            let err = keys(&[
                "certify",
                "--root-key",
                &root,
                "--public-key",
                public,
                "--issuer-id",
                issuer,
                "--region",
                region,
                "--usage",
                "lists",
                "--not-before",
                from,
                "--not-after",
                to,
                "--out",
                &cert,
            ])
            .unwrap_err();
            assert!(format!("{err:#}").contains(expected), "case {i}: {err:#}");
            assert!(!Path::new(&cert).exists(), "case {i}");
        }
    }

    #[test]
    fn rotate_makes_a_new_certified_key() {
        let dir = tempfile::tempdir().unwrap();
        let (root, root_pub, old_pub) = root_and_issuer(&dir);
        let old_kid = read_public_key(Path::new(&old_pub)).unwrap().kid();
        let out_dir = path(&dir, "rotated");
        let rotate = |days: &str| {
            keys(&[
                "rotate",
                "--root-key",
                &root,
                "--issuer-id",
                "LY-BEN-PED",
                "--region",
                "east",
                "--out-dir",
                &out_dir,
                "--valid-days",
                days,
            ])
        };
        let printed = rotate("365").unwrap();
        assert!(
            printed.contains("keep the OLD certificate registered"),
            "{printed}"
        );
        assert!(printed.contains("--issuer-key"), "{printed}");

        let today = Date::from_unix_seconds(unix_now().unwrap());
        let stem = Path::new(&out_dir).join(format!("issuer-{today}"));
        let key_path = stem.with_extension("key.pem");
        assert_eq!(mode(&key_path.display().to_string()), 0o600);
        let key = load_private_key(&key_path).unwrap();
        let public = read_public_key(&stem.with_extension("pub.pem")).unwrap();
        assert_eq!(key.public_key(), &public);
        let bytes = read_certificate(&stem.with_extension("cert")).unwrap();
        let root_key = read_public_key(Path::new(&root_pub)).unwrap();
        let certificate = Certificate::verify(&bytes, &root_key).unwrap();
        assert_eq!(certificate.kid(), public.kid());
        assert_ne!(certificate.kid(), old_kid);
        assert_eq!(certificate.issuer_id, "LY-BEN-PED");
        assert_eq!(
            certificate.not_after - certificate.not_before,
            365 * DAY - 1
        );
        assert!(certificate.is_valid_at(unix_now().unwrap()));

        // A second rotation the same day would overwrite: refused.
        let err = rotate("365").unwrap_err();
        assert!(format!("{err:#}").contains("already exists"), "{err:#}");
        let err = rotate("0").unwrap_err();
        assert!(format!("{err:#}").contains("--valid-days"), "{err:#}");
    }

    #[test]
    fn read_certificate_accepts_fixture_hex() {
        let root = read_public_key(&fixture("keys/root.pub.pem")).unwrap();
        let bytes = read_certificate(&fixture("trust/issuer-benghazi.cert.hex")).unwrap();
        let certificate = Certificate::verify(&bytes, &root).unwrap();
        assert_eq!(certificate.issuer_id, "LY-BEN-PED");
        let issuer = read_public_key(&fixture("keys/issuer-benghazi.pub.pem")).unwrap();
        assert_eq!(certificate.public_key, issuer);
    }

    #[test]
    fn read_certificate_refuses_other_text() {
        let dir = tempfile::tempdir().unwrap();
        for (i, contents) in ["", "  \n", "not hex at all", "abc"]
            .into_iter()
            .enumerate()
        {
            let file = dir.path().join(format!("{i}.cert"));
            std::fs::write(&file, contents).unwrap();
            let err = read_certificate(&file).unwrap_err();
            assert!(
                format!("{err:#}").contains("certificate"),
                "case {i}: {err:#}"
            );
        }
    }

    #[test]
    fn help_documents_every_command() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
        let mut command = Cli::command();
        let rotate = command
            .find_subcommand_mut("rotate")
            .unwrap()
            .render_long_help();
        assert!(
            rotate
                .to_string()
                .contains("keep the old certificate registered"),
            "{rotate}"
        );
    }
}
