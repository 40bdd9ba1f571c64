//! Key and certificate files: loading them (size-capped, refusing a private key others may
//! read) and writing new ones (mode 0600 in one `open(2)`, never overwritten).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use card_format::keys::Es256Signer;
use card_format::{PublicKey, SoftwareKey};

use super::{MAX_CERT_FILE_LEN, MAX_KEY_FILE_LEN};

/// Loads a PKCS#8 PEM private key, refusing a file that group or others may read.
///
/// # Errors
/// When the file cannot be opened, is not a regular file, has any of the mode bits 0o077 set
/// (the message says `chmod 600 <path>`), or is not a P-256 PKCS#8 PEM private key.
pub fn load_private_key(path: &Path) -> anyhow::Result<SoftwareKey> {
    let text = read_private_pem(path, "private key")?;
    SoftwareKey::from_pkcs8_pem(&text).map_err(|_| {
        // Names the container it found, never the bytes.
        let hint = if text.contains("BEGIN EC PRIVATE KEY") {
            ": it is a SEC1 key; convert it with `openssl pkcs8 -topk8 -nocrypt`"
        } else if text.contains("BEGIN ENCRYPTED PRIVATE KEY") {
            ": encrypted keys are not supported"
        } else {
            ""
        };
        anyhow!(
            "{} is not a P-256 PKCS#8 private key PEM{hint}",
            path.display()
        )
    })
}

/// Reads the PEM text of a private key file (`what` names it in errors: "private key",
/// "TLS key"), refusing a file that group or others may read, or that is not a regular file.
///
/// # Errors
/// When the file cannot be opened, is not a regular file, has any of the mode bits 0o077 set
/// (the message says `chmod 600 <path>`), is too large or not text.
pub fn read_private_pem(path: &Path, what: &str) -> anyhow::Result<String> {
    let file =
        File::open(path).with_context(|| format!("cannot open {what} {}", path.display()))?;
    // The mode of the file actually opened, not of whatever the path names a moment later.
    let metadata = file
        .metadata()
        .with_context(|| format!("cannot stat {what} {}", path.display()))?;
    if !metadata.is_file() {
        bail!("{what} {} is not a regular file", path.display());
    }
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        bail!(
            "{what} {} is readable by group or others (mode {mode:03o}): \
             run `chmod 600 {}`",
            path.display(),
            path.display()
        );
    }
    read_text(file, path, MAX_KEY_FILE_LEN, what)
}

/// Reads a public key (SubjectPublicKeyInfo PEM, `-----BEGIN PUBLIC KEY-----`).
///
/// # Errors
/// When the file cannot be read or is not a P-256 public key PEM.
pub fn read_public_key(path: &Path) -> anyhow::Result<PublicKey> {
    let file =
        File::open(path).with_context(|| format!("cannot open public key {}", path.display()))?;
    let text = read_text(file, path, MAX_KEY_FILE_LEN, "public key")?;
    PublicKey::from_pem(&text).map_err(|_| {
        let hint = if text.contains("PRIVATE KEY") {
            ": it holds a private key; pass the .pub.pem file"
        } else {
            ""
        };
        anyhow!("{} is not a P-256 public key PEM{hint}", path.display())
    })
}

/// Reads a certificate file: binary (a COSE_Sign1, first byte 0xd2) or hex text, where
/// whitespace and line breaks are ignored. Does not verify it: see [`card_format::Certificate::verify`].
///
/// # Errors
/// When the file cannot be read, is empty or too large, or is neither binary nor hex.
pub fn read_certificate(path: &Path) -> anyhow::Result<Vec<u8>> {
    let file =
        File::open(path).with_context(|| format!("cannot open certificate {}", path.display()))?;
    let bytes = read_capped(file, path, MAX_CERT_FILE_LEN, "certificate")?;
    if bytes.first() == Some(&0xd2) {
        return Ok(bytes);
    }
    let hex: Vec<u8> = bytes
        .into_iter()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if hex.is_empty() {
        bail!("certificate {} is empty", path.display());
    }
    data_encoding::HEXLOWER_PERMISSIVE
        .decode(&hex)
        .map_err(|_| {
            anyhow!(
                "certificate {} is neither binary (COSE_Sign1, first byte d2) nor hex text",
                path.display()
            )
        })
}

pub(super) fn read_capped(
    file: File,
    path: &Path,
    max_len: u64,
    what: &str,
) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    file.take(max_len + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {what} {}", path.display()))?;
    if bytes.len() as u64 > max_len {
        bail!("{what} {} is larger than {max_len} bytes", path.display());
    }
    Ok(bytes)
}

pub(super) fn read_text(
    file: File,
    path: &Path,
    max_len: u64,
    what: &str,
) -> anyhow::Result<String> {
    let bytes = read_capped(file, path, max_len, what)?;
    String::from_utf8(bytes).map_err(|_| anyhow!("{what} {} is not PEM text", path.display()))
}

/// `NAME.key.pem` → `NAME.pub.pem`; any other path gets `.pub.pem` appended.
pub(super) fn public_key_path(private: &Path) -> PathBuf {
    let text = private.as_os_str().to_string_lossy();
    match text.strip_suffix(".key.pem") {
        Some(stem) if !stem.is_empty() && !stem.ends_with('/') => {
            PathBuf::from(format!("{stem}.pub.pem"))
        }
        _ => {
            let mut name = private.as_os_str().to_owned();
            name.push(".pub.pem");
            PathBuf::from(name)
        }
    }
}

/// Creates `path` with `mode` in one open(2) (O_CREAT|O_EXCL), so the file never exists with
/// wider permissions and an existing file is never replaced.
pub(super) fn write_new_file(path: &Path, contents: &[u8], mode: u32) -> anyhow::Result<()> {
    let mut file = match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            bail!(
                "{} already exists: refusing to overwrite it",
                path.display()
            )
        }
        Err(e) => return Err(e).with_context(|| format!("cannot create {}", path.display())),
    };
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Generates a key and writes its files; returns the key and the public key's path.
pub(super) fn write_new_key(private_path: &Path) -> anyhow::Result<(SoftwareKey, PathBuf)> {
    let key = SoftwareKey::generate();
    let public_path = write_key_files(&key, private_path)?;
    Ok((key, public_path))
}

/// Writes the private (0600) and public (0644) key files; returns the public key's path.
pub(super) fn write_key_files(key: &SoftwareKey, private_path: &Path) -> anyhow::Result<PathBuf> {
    let public_path = public_key_path(private_path);
    if public_path.exists() {
        bail!(
            "{} already exists: refusing to overwrite it",
            public_path.display()
        );
    }
    let private_pem = key
        .to_pkcs8_pem()
        .context("cannot encode the private key")?;
    let public_pem = key
        .public_key()
        .to_pem()
        .context("cannot encode the public key")?;
    write_new_file(private_path, private_pem.as_bytes(), 0o600)?;
    if let Err(e) = write_new_file(&public_path, public_pem.as_bytes(), 0o644) {
        // Leave no private key without its public half; this process created the file.
        let _ = std::fs::remove_file(private_path);
        return Err(e);
    }
    Ok(public_path)
}
