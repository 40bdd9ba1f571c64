//! The agent's home (pinned root key, stored trust bundle), `trust sync` and `trust show`,
//! and the trust store every verifying command loads.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use card_format::trust::{Certificate, MAX_BUNDLE_LEN};
use card_format::{Policy, PublicKey, TrustStore};
use serde::{Deserialize, Serialize};

use crate::cli::{TrustArgs, TrustShowArgs, TrustSyncArgs};
use crate::Class;

const ROOT_FILE: &str = "root.pem";
const BUNDLE_FILE: &str = "trust-bundle.cose";
const META_FILE: &str = "trust-bundle.json";
/// The trust bundle is small (certificates and revocation lists); this bounds a download.
const MAX_DOWNLOAD: u64 = 16 * 1024 * 1024;

/// The agent's home directory.
pub fn home(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d).join("card-agent"));
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(h) => Ok(PathBuf::from(h).join(".local/share/card-agent")),
        None => Err(Class::Usage.err("no home directory: set CARD_AGENT_HOME or --home")),
    }
}

/// What `trust sync` remembers about the stored bundle.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BundleMeta {
    /// The server it came from.
    pub server: String,
    /// The server's ETag for it.
    pub etag: Option<String>,
    /// When it was last confirmed current (Unix seconds).
    pub checked_at: u64,
}

/// Unix seconds now, or the given time.
pub fn now_or(now: Option<u64>) -> anyhow::Result<u64> {
    match now {
        Some(n) => Ok(n),
        None => Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .context("the system clock is before 1970")?
            .as_secs()),
    }
}

/// Trust bundles travel as binary; the test vectors keep them as hex text.
pub fn decode_maybe_hex(raw: Vec<u8>) -> Vec<u8> {
    let text = raw.trim_ascii();
    if !text.is_empty() && text.iter().all(u8::is_ascii_hexdigit) {
        if let Ok(bytes) = hex::decode(text) {
            return bytes;
        }
    }
    raw
}

fn read_root(path: &Path) -> anyhow::Result<PublicKey> {
    let pem = std::fs::read_to_string(path).map_err(|e| {
        Class::Usage.err(format!("cannot read the root key {}: {e}", path.display()))
    })?;
    PublicKey::from_pem(&pem).map_err(|e| {
        Class::Usage.err(format!(
            "the root key {} is not usable: {e}",
            path.display()
        ))
    })
}

/// The trust store a verifying command uses, and the policy from its flags.
///
/// The root key comes from `--root`, else the key pinned in the home; the bundle from
/// `--bundle`, else the synced one, else none (only cards carrying their certificate verify,
/// and every result says revocation was not checked).
///
/// # Errors
/// No root key, unreadable files, a bundle that does not verify (class [`Class::Usage`]).
pub fn load(args: &TrustArgs, home_dir: Option<&Path>) -> anyhow::Result<(TrustStore, Policy)> {
    let policy = Policy {
        bundle_warn_age: args.warn_bundle_age_days * 86_400,
        bundle_max_age: args.max_bundle_age_days.map(|d| d * 86_400),
        ..Policy::default()
    };
    let pinned = home(home_dir).ok().map(|h| h.join(ROOT_FILE));
    let root =
        match (&args.root, &pinned) {
            (Some(path), _) => read_root(path)?,
            (None, Some(path)) if path.exists() => read_root(path)?,
            _ => return Err(Class::Usage.err(
                "no root key: give --root ROOT.pem, or pin one with `card-agent trust sync --root`",
            )),
        };
    let bundle_path = match &args.bundle {
        Some(p) => Some(p.clone()),
        None => home(home_dir)
            .ok()
            .map(|h| h.join(BUNDLE_FILE))
            .filter(|p| p.exists()),
    };
    let Some(path) = bundle_path else {
        return Ok((TrustStore::new(root), policy));
    };
    let raw = std::fs::read(&path).map_err(|e| {
        Class::Usage.err(format!(
            "cannot read the trust bundle {}: {e}",
            path.display()
        ))
    })?;
    let store =
        TrustStore::from_bundle(root, &decode_maybe_hex(raw), MAX_BUNDLE_LEN).map_err(|e| {
            Class::Usage.err(format!(
                "the trust bundle {} is not valid: {e}",
                path.display()
            ))
        })?;
    Ok((store, policy))
}

/// Writes `bytes` to `path` through a temporary file and a rename, so a reader never sees
/// half a file.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_atomic_mode(path, bytes, 0o666)
}

/// [`write_atomic`] for a secret: the file is created readable and writable by its owner
/// only (0600), from its first byte on.
pub(crate) fn write_atomic_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_atomic_mode(path, bytes, 0o600)
}

/// `mode` is the creation mode (the umask still applies).
fn write_atomic_mode(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("tmp");
    // A temporary file left by a crash keeps its old mode when reopened: start afresh.
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)
        .with_context(|| format!("while creating {}", tmp.display()))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("while writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("while replacing {}", path.display()))
}

/// The bundle's certificate for the key that signed a card, as bytes, when the bundle has it.
pub fn issuer_certificate<'s>(store: &'s TrustStore, signer: &Certificate) -> Option<&'s [u8]> {
    store
        .bundle()?
        .issuer_certificates
        .iter()
        .find(|c| Certificate::verify(c, store.root()).is_ok_and(|c| c.kid() == signer.kid()))
        .map(Vec::as_slice)
}

/// An HTTP agent for the registry: timeouts, and extra CA certificates when given.
pub fn http_agent(ca_cert: Option<&Path>) -> anyhow::Result<ureq::Agent> {
    let mut config = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .timeout_connect(Some(Duration::from_secs(10)))
        .http_status_as_error(false);
    if let Some(path) = ca_cert {
        let pem = std::fs::read(path)
            .map_err(|e| Class::Usage.err(format!("cannot read {}: {e}", path.display())))?;
        let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&pem)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect();
        if certs.is_empty() {
            return Err(Class::Usage.err(format!("{} holds no certificate", path.display())));
        }
        config = config.tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::new_with_certs(&certs))
                .build(),
        );
    }
    Ok(config.build().new_agent())
}

/// `trust sync`.
///
/// # Errors
/// No root key to pin, a different root already pinned, the registry unreachable or
/// refusing, a bundle that does not verify or is older than the stored one.
pub fn sync(args: &TrustSyncArgs, home_dir: Option<&Path>) -> anyhow::Result<()> {
    let dir = home(home_dir)?;
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("while creating the agent's home {}", dir.display()))?;
    let pinned_path = dir.join(ROOT_FILE);
    let root = match (&args.root, pinned_path.exists()) {
        (Some(given), true) => {
            let given_key = read_root(given)?;
            let pinned = read_root(&pinned_path)?;
            if given_key != pinned {
                return Err(Class::Usage.err(format!(
                    "{} differs from the root key pinned in {}; a root key change is a ministry \
                     decision: remove the pinned key by hand if it is really meant",
                    given.display(),
                    pinned_path.display()
                )));
            }
            pinned
        }
        (None, true) => read_root(&pinned_path)?,
        (Some(given), false) => {
            let key = read_root(given)?;
            let pem = key
                .to_pem()
                .map_err(|e| Class::Usage.err(format!("cannot encode the root key: {e}")))?;
            write_atomic(&pinned_path, pem.as_bytes())?;
            key
        }
        (None, false) => {
            return Err(Class::Usage.err(
                "no root key pinned yet: give --root ROOT.pem (the ministry's public key) once",
            ))
        }
    };
    let meta_path = dir.join(META_FILE);
    let bundle_path = dir.join(BUNDLE_FILE);
    let old_meta: Option<BundleMeta> = std::fs::read(&meta_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let old_store = std::fs::read(&bundle_path)
        .ok()
        .and_then(|b| TrustStore::from_bundle(root.clone(), &b, MAX_BUNDLE_LEN).ok());
    let server = args.server.trim_end_matches('/');
    let url = format!("{server}/api/v1/trust-bundle");
    let agent = http_agent(args.ca_cert.as_deref())?;
    let mut request = agent.get(&url);
    let same_server = old_meta.as_ref().is_some_and(|m| m.server == server);
    if let (Some(etag), true, Some(_)) = (
        old_meta.as_ref().and_then(|m| m.etag.clone()),
        same_server,
        &old_store,
    ) {
        request = request.header("If-None-Match", etag);
    }
    let mut response = request
        .call()
        .map_err(|e| Class::Registry.err(format!("cannot reach the registry at {url}: {e}")))?;
    let status = response.status().as_u16();
    let now = now_or(None)?;
    let (store, changed, etag) = match status {
        304 => {
            let store = old_store.ok_or_else(|| {
                Class::Registry.err("the registry answered 304 but no bundle is stored")
            })?;
            let etag = old_meta.and_then(|m| m.etag);
            (store, false, etag)
        }
        200 => {
            let etag = response
                .headers()
                .get("etag")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let bytes = response
                .body_mut()
                .with_config()
                .limit(MAX_DOWNLOAD)
                .read_to_vec()
                .map_err(|e| Class::Registry.err(format!("while downloading the bundle: {e}")))?;
            let store =
                TrustStore::from_bundle(root.clone(), &bytes, MAX_BUNDLE_LEN).map_err(|e| {
                    Class::Registry.err(format!(
                        "the registry sent a trust bundle that does not verify against the pinned \
                     root key: {e}; the stored bundle is kept"
                    ))
                })?;
            // The bundle never goes back (docs/card-format.md §7.9).
            if let Some(old) = &old_store {
                store.check_replaces(old).map_err(|e| {
                    Class::Registry.err(format!(
                        "the registry sent a bundle that is not newer than the stored one: \
                         {e} [{}]; the stored bundle is kept",
                        e.code()
                    ))
                })?;
            }
            write_atomic(&bundle_path, &bytes)?;
            (store, true, etag)
        }
        other => {
            return Err(Class::Registry.err(format!("the registry answered {other} for {url}")))
        }
    };
    let meta = BundleMeta {
        server: server.to_string(),
        etag,
        checked_at: now,
    };
    let meta_json = serde_json::to_vec_pretty(&meta).context("while encoding the metadata")?;
    write_atomic(&meta_path, &meta_json)?;
    let bundle = store.bundle();
    let summary = serde_json::json!({
        "changed": changed,
        "sequence": bundle.map(|b| b.sequence),
        "issued_at": bundle.map(|b| b.issued_at),
        "issuers": bundle.map_or(0, |b| b.issuer_certificates.len()),
        "revoked_cards": bundle.map_or(0, |b| b.revoked_cards.len()),
    });
    if args.json {
        println!("{summary}");
    } else {
        println!(
            "trust bundle {} (number {}, {} issuers, {} revoked cards) from {server}",
            if changed { "updated" } else { "unchanged" },
            bundle.map_or(0, |b| b.sequence),
            bundle.map_or(0, |b| b.issuer_certificates.len()),
            bundle.map_or(0, |b| b.revoked_cards.len()),
        );
    }
    Ok(())
}

/// `trust show`.
///
/// # Errors
/// No root key pinned or no bundle stored, or a stored bundle that no longer verifies.
pub fn show(args: &TrustShowArgs, home_dir: Option<&Path>) -> anyhow::Result<()> {
    let dir = home(home_dir)?;
    let root_path = dir.join(ROOT_FILE);
    if !root_path.exists() {
        return Err(Class::Usage.err(format!(
            "no root key pinned in {}: run `card-agent trust sync --server URL --root ROOT.pem`",
            dir.display()
        )));
    }
    let root = read_root(&root_path)?;
    let bytes = std::fs::read(dir.join(BUNDLE_FILE)).map_err(|_| {
        Class::Usage.err(format!(
            "no trust bundle stored in {}: run `card-agent trust sync`",
            dir.display()
        ))
    })?;
    let store = TrustStore::from_bundle(root.clone(), &bytes, MAX_BUNDLE_LEN)
        .map_err(|e| Class::Usage.err(format!("the stored trust bundle is not valid: {e}")))?;
    let meta: Option<BundleMeta> = std::fs::read(dir.join(META_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let now = now_or(args.now)?;
    let bundle = store
        .bundle()
        .ok_or_else(|| Class::Usage.err("the stored trust bundle is empty"))?;
    let issuers: Vec<Certificate> = bundle
        .issuer_certificates
        .iter()
        .filter_map(|c| Certificate::verify(c, &root).ok())
        .collect();
    let age_days = now.saturating_sub(bundle.issued_at) / 86_400;
    if args.json {
        let value = serde_json::json!({
            "root_kid": root.kid().to_hex(),
            "sequence": bundle.sequence,
            "issued_at": bundle.issued_at,
            "age_days": age_days,
            "server": meta.as_ref().map(|m| m.server.clone()),
            "checked_at": meta.as_ref().map(|m| m.checked_at),
            "signer": store.bundle_signer().map(|c| c.issuer_id.clone()),
            "issuers": issuers.iter().map(|c| serde_json::json!({
                "issuer": c.issuer_id, "region": c.region, "kid": c.kid().to_hex(),
                "not_before": c.not_before, "not_after": c.not_after,
                "revoked": bundle.is_issuer_revoked(&c.kid()),
            })).collect::<Vec<_>>(),
            "revoked_issuers": bundle.revoked_issuers.iter().map(|k| k.to_hex()).collect::<Vec<_>>(),
            "revoked_cards": bundle.revoked_cards.iter().map(|r| serde_json::json!({
                "serial": r.serial.to_string(), "reason": r.reason.as_str(), "revoked_at": r.revoked_at,
            })).collect::<Vec<_>>(),
            "superseded": bundle.superseded.len(),
        });
        println!("{value}");
        return Ok(());
    }
    println!("root key        {}", root.kid().to_hex());
    println!(
        "bundle          number {}, made {} ({} days ago){}",
        bundle.sequence,
        crate::verify::format_time(bundle.issued_at),
        age_days,
        if age_days >= Policy::default().bundle_warn_age / 86_400 {
            "  OLD: run `card-agent trust sync`"
        } else {
            ""
        }
    );
    if let Some(m) = &meta {
        println!(
            "synced          from {} at {}",
            m.server,
            crate::verify::format_time(m.checked_at)
        );
    }
    if let Some(signer) = store.bundle_signer() {
        println!(
            "signed by       {} ({})",
            signer.issuer_id,
            signer.kid().to_hex()
        );
    }
    println!("issuers         {}", issuers.len());
    for c in &issuers {
        println!(
            "  {:<14} {:<14} {}  {} .. {}{}",
            c.issuer_id,
            c.region,
            c.kid().to_hex(),
            crate::verify::format_time(c.not_before),
            crate::verify::format_time(c.not_after),
            if bundle.is_issuer_revoked(&c.kid()) {
                "  REVOKED"
            } else {
                ""
            }
        );
    }
    println!("revoked issuers {}", bundle.revoked_issuers.len());
    println!("revoked cards   {}", bundle.revoked_cards.len());
    println!("superseded      {}", bundle.superseded.len());
    Ok(())
}
