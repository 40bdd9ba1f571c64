//! The registry's signing keys: the issuing key (cards) and the list-signing key (trust
//! bundles), each with its root-signed certificate, checked against the ministry root at
//! start-up. Loaded once; never logged, never served. The root private key is never here.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use card_format::keys::Es256Signer;
use card_format::{Certificate, PublicKey, Usage};

use crate::keys;

/// A signer the server can share between request tasks.
pub type SharedSigner = Box<dyn Es256Signer + Send + Sync>;

/// The issuing and list-signing keys.
pub struct Signing {
    /// Signs cards.
    pub issuer: SharedSigner,
    /// The issuing key's certificate, as published.
    pub issuer_certificate: Vec<u8>,
    /// The issuing key's certificate, parsed: its issuer id is every card's `iss`.
    pub issuer_info: Certificate,
    /// Signs trust bundles.
    pub list: SharedSigner,
    /// The list-signing key's certificate, carried in every bundle.
    pub list_certificate: Vec<u8>,
    /// The ministry root public key.
    pub root: PublicKey,
}

impl std::fmt::Debug for Signing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signing")
            .field("issuer_kid", &self.issuer.public_key().kid())
            .field("list_kid", &self.list.public_key().kid())
            .finish_non_exhaustive()
    }
}

/// Where the keys and certificates are.
#[derive(Debug, Clone)]
pub struct KeyFiles {
    /// Issuing key, PKCS#8 PEM, mode 0600 (None when the key is in an HSM).
    pub issuer_key: Option<PathBuf>,
    /// Its certificate.
    pub issuer_cert: PathBuf,
    /// List-signing key, PKCS#8 PEM, mode 0600.
    pub list_key: PathBuf,
    /// Its certificate.
    pub list_cert: PathBuf,
    /// The ministry root public key, PEM.
    pub root_public_key: PathBuf,
}

impl KeyFiles {
    /// The test keys of `fixtures/` (for `--dev`), copied to `dir` with mode 0600 since git
    /// does not keep file modes.
    ///
    /// # Errors
    /// The fixtures are missing or `dir` cannot be written.
    pub fn dev(repo: &Path, dir: &Path) -> anyhow::Result<KeyFiles> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("while creating {}", dir.display()))?;
        let copy_private = |name: &str| -> anyhow::Result<PathBuf> {
            let from = repo.join("fixtures/keys").join(name);
            let to = dir.join(name);
            let pem = std::fs::read(&from)
                .with_context(|| format!("while reading the test key {}", from.display()))?;
            write_private(&to, &pem)?;
            Ok(to)
        };
        Ok(KeyFiles {
            issuer_key: Some(copy_private("issuer-benghazi.key.pem")?),
            list_key: copy_private("list-signer.key.pem")?,
            issuer_cert: repo.join("fixtures/trust/issuer-benghazi.cert.hex"),
            list_cert: repo.join("fixtures/trust/list-signer.cert.hex"),
            root_public_key: repo.join("fixtures/keys/root.pub.pem"),
        })
    }
}

/// Writes `bytes` to `path` with mode 0600 (also when the file existed with another mode).
/// A symbolic link at `path` is refused, not followed (`O_NOFOLLOW`): whoever could plant one
/// would otherwise have the secret written wherever it points.
///
/// # Errors
/// The file cannot be written, or `path` is a symbolic link.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    let mut file = options.open(path).map_err(|e| {
        if e.raw_os_error() == Some(libc::ELOOP) {
            anyhow::anyhow!("{} is a symbolic link: refused", path.display())
        } else {
            anyhow::Error::new(e).context(format!("while writing {}", path.display()))
        }
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(bytes)
        .with_context(|| format!("while writing {}", path.display()))
}

impl Signing {
    /// Loads the software keys and certificates and checks them.
    ///
    /// # Errors
    /// Unreadable files, a key file readable by others, or certificates that do not match.
    pub fn load(files: &KeyFiles) -> anyhow::Result<Signing> {
        let path = files
            .issuer_key
            .as_ref()
            .context("--issuer-key is required (or --issuer-hsm-module)")?;
        Signing::load_with(Box::new(keys::load_private_key(path)?), files)
    }

    /// Loads the list-signing key and the certificates, with `issuer` signing cards (a
    /// software key or an HSM).
    ///
    /// # Errors
    /// As [`Signing::load`].
    pub fn load_with(issuer: SharedSigner, files: &KeyFiles) -> anyhow::Result<Signing> {
        let list = keys::load_private_key(&files.list_key)?;
        Signing::new(
            issuer,
            keys::read_certificate(&files.issuer_cert)?,
            Box::new(list),
            keys::read_certificate(&files.list_cert)?,
            keys::read_public_key(&files.root_public_key)?,
        )
    }

    /// Checks that each certificate chains to `root`, certifies its key and permits its use.
    ///
    /// # Errors
    /// A certificate that does not verify, names another key or another use.
    pub fn new(
        issuer: SharedSigner,
        issuer_certificate: Vec<u8>,
        list: SharedSigner,
        list_certificate: Vec<u8>,
        root: PublicKey,
    ) -> anyhow::Result<Signing> {
        let issuer_info = Certificate::verify(&issuer_certificate, &root)
            .context("the issuer certificate does not verify against the root key")?;
        if issuer_info.public_key != *issuer.public_key()
            || !issuer_info.usage.permits(Usage::CARDS)
        {
            bail!("the issuer certificate is not for this issuing key, or does not permit cards");
        }
        let list_info = Certificate::verify(&list_certificate, &root)
            .context("the list-signer certificate does not verify against the root key")?;
        if list_info.public_key != *list.public_key()
            || !list_info.usage.permits(Usage::TRUST_LISTS)
        {
            bail!(
                "the list-signer certificate is not for this key, or does not permit trust lists"
            );
        }
        Ok(Signing {
            issuer,
            issuer_certificate,
            issuer_info,
            list,
            list_certificate,
            root,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::write_private;

    /// The first admin's token file is written through `write_private`: a symbolic link
    /// planted at its path is refused and what it points at is left as it was.
    #[cfg(unix)]
    #[test]
    fn a_secret_is_not_written_through_a_symbolic_link() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere");
        std::fs::write(&elsewhere, "kept").unwrap();
        let link = dir.path().join("first-admin-token");
        std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
        let e = write_private(&link, b"secret\n").unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e:#}");
        assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "kept");

        let plain = dir.path().join("token");
        write_private(&plain, b"secret\n").unwrap();
        let mode = std::fs::metadata(&plain).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
