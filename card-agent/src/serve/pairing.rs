//! The pairing code: the secret a desk user types once into the registry's page, which the
//! page then sends with every request (`Authorization: Pairing <code>`).
//!
//! 128 random bits from the operating system, lowercase RFC 4648 Base32 without padding (26
//! characters of `a-z2-7`), kept in `<home>/serve-pairing-code` with mode 0600: created on the
//! first start, reused afterwards, replaced by `--new-pairing-code`. The code is shown once on
//! standard error at start and never logged; [`PairingCode`]'s `Debug` hides it.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use anyhow::Context;
use data_encoding::BASE32_NOPAD;
use rand_core::{OsRng, RngCore};

use crate::Class;

/// The file in the agent's home.
pub const FILE: &str = "serve-pairing-code";
/// Characters of a code: 128 bits in Base32.
pub const LEN: usize = 26;

/// A pairing code.
#[derive(Clone, PartialEq, Eq)]
pub struct PairingCode(String);

impl std::fmt::Debug for PairingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PairingCode(..)")
    }
}

/// Where a code came from, for the start-up message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Made now: there was none.
    Created,
    /// Read from the file.
    Reused,
    /// Made now, replacing the one in the file (`--new-pairing-code`).
    Rotated,
}

impl PairingCode {
    /// A new random code.
    pub fn generate() -> PairingCode {
        let mut bits = [0u8; 16];
        OsRng.fill_bytes(&mut bits);
        PairingCode(BASE32_NOPAD.encode(&bits).to_ascii_lowercase())
    }

    /// Parses a stored code (surrounding white space ignored).
    fn parse(text: &str) -> Option<PairingCode> {
        let text = text.trim();
        let well_formed = text.len() == LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b));
        well_formed.then(|| PairingCode(text.to_string()))
    }

    /// The code, to show the desk user once at start.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// Whether `presented` is this code: letter case and surrounding white space are
    /// ignored (a person may type it in capitals), the comparison takes the same time
    /// wherever the first difference is.
    pub fn matches(&self, presented: &str) -> bool {
        let presented = presented.trim().to_ascii_lowercase();
        constant_time_eq(self.0.as_bytes(), presented.as_bytes())
    }

    /// The code in `dir` (the agent's home): the stored one, or a new one stored with mode
    /// 0600 when there is none or `rotate` asks for it.
    ///
    /// # Errors
    /// The directory or file cannot be created or read, the stored file is readable by others
    /// or malformed (class [`Class::Usage`]; `--new-pairing-code` replaces it).
    pub fn load_or_create(dir: &Path, rotate: bool) -> anyhow::Result<(PairingCode, Source)> {
        let path = dir.join(FILE);
        if !rotate {
            if let Some(code) = read(&path)? {
                return Ok((code, Source::Reused));
            }
        }
        let existed = path.exists();
        std::fs::create_dir_all(dir)
            .with_context(|| format!("while creating the agent's home {}", dir.display()))?;
        let code = PairingCode::generate();
        crate::trust::write_atomic_private(&path, format!("{}\n", code.0).as_bytes())?;
        Ok((
            code,
            if existed {
                Source::Rotated
            } else {
                Source::Created
            },
        ))
    }
}

/// The stored code, `None` when there is no file.
fn read(path: &Path) -> anyhow::Result<Option<PairingCode>> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Class::Usage.err(format!("cannot read {}: {e}", path.display()))),
    };
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(Class::Usage.err(format!(
            "{} can be read by other users (mode {:o}), so the pairing code may be known; start \
             with --new-pairing-code to replace it",
            path.display(),
            meta.permissions().mode() & 0o777
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| Class::Usage.err(format!("cannot read {}: {e}", path.display())))?;
    PairingCode::parse(&text).map(Some).ok_or_else(|| {
        Class::Usage.err(format!(
            "{} does not hold a pairing code; start with --new-pairing-code to replace it",
            path.display()
        ))
    })
}

/// Compares two byte strings in time that depends on their length only (every pairing code
/// has the same, public, length).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // Keeps the compiler from turning the fold into an early-exit comparison.
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("card-agent-pairing-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_code_is_26_lowercase_base32_characters_and_codes_differ() {
        let a = PairingCode::generate();
        let b = PairingCode::generate();
        assert_eq!(a.reveal().len(), LEN);
        assert!(PairingCode::parse(a.reveal()).is_some(), "{}", a.reveal());
        assert_ne!(a, b);
        assert_eq!(format!("{a:?}"), "PairingCode(..)");
    }

    #[test]
    fn matches_ignores_case_and_white_space_and_nothing_else() {
        let code = PairingCode::parse("abcdefghijklmnopqrstuvwxyz").unwrap();
        assert!(code.matches("abcdefghijklmnopqrstuvwxyz"));
        assert!(code.matches(" ABCDEFGHIJKLMNOPQRSTUVWXYZ\t"));
        assert!(!code.matches("abcdefghijklmnopqrstuvwxy"));
        assert!(!code.matches("abcdefghijklmnopqrstuvwxyza"));
        assert!(!code.matches("bbcdefghijklmnopqrstuvwxyz"));
        assert!(!code.matches("abcdefghijklmnopqrstuvwxy2"));
        assert!(!code.matches(""));
    }

    #[test]
    fn parse_refuses_what_is_not_a_code() {
        for (i, text) in [
            "",
            "abc",
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            "abcdefghijklmnopqrstuvwxy1",
        ]
        .iter()
        .enumerate()
        {
            assert!(PairingCode::parse(text).is_none(), "case {i}");
        }
    }

    #[test]
    fn the_file_is_created_0600_reused_and_rotated() {
        let dir = temp("file");
        let (first, how) = PairingCode::load_or_create(&dir, false).unwrap();
        assert_eq!(how, Source::Created);
        let mode = std::fs::metadata(dir.join(FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let (again, how) = PairingCode::load_or_create(&dir, false).unwrap();
        assert_eq!((how, &again), (Source::Reused, &first));
        let (rotated, how) = PairingCode::load_or_create(&dir, true).unwrap();
        assert_eq!(how, Source::Rotated);
        assert_ne!(rotated, first);
        let stored = std::fs::read_to_string(dir.join(FILE)).unwrap();
        assert_eq!(stored.trim(), rotated.reveal());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_file_others_can_read_or_garbage_is_refused_until_rotated() {
        let dir = temp("refused");
        let (_, _) = PairingCode::load_or_create(&dir, false).unwrap();
        let path = dir.join(FILE);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = PairingCode::load_or_create(&dir, false).unwrap_err();
        assert!(e.to_string().contains("other users"), "{e}");
        assert!(PairingCode::load_or_create(&dir, true).is_ok());
        std::fs::write(&path, "not a code").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let e = PairingCode::load_or_create(&dir, false).unwrap_err();
        assert!(e.to_string().contains("does not hold"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
