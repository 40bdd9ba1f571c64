//! Signing with a key held in a hardware security module, through PKCS#11.
//!
//! [`HsmSigner`] implements [`card_format::keys::Es256Signer`] over a PKCS#11 module (a real
//! HSM, or SoftHSM2 in tests) with the `cryptoki` crate. It owns the session and the handle of
//! one private key; card formatting and hashing stay in `card_format`, which hands the signer the
//! SHA-256 digest of the COSE `Sig_structure` (RFC 9052 §4.4).
//!
//! PKCS#11 calls (PKCS#11 v2.40 base specification, §5):
//! - `C_Initialize` (§5.4) once per module per process, with `CKF_OS_LOCKING_OK`: contexts are
//!   kept for the life of the process, so opening a second signer on the same module does not
//!   initialise it twice;
//! - `C_GetSlotList`, `C_GetTokenInfo` (§5.5) to find the token by label (slot ids are not
//!   stable: SoftHSM2 gives a random one);
//! - `C_OpenSession` (§5.6), `C_Login` (§5.6) as the normal user;
//! - `C_FindObjectsInit`/`C_FindObjects`/`C_FindObjectsFinal` (§5.7) for `CKO_PRIVATE_KEY` and
//!   `CKO_PUBLIC_KEY` with the given `CKA_LABEL`, and `C_GetAttributeValue` for `CKA_EC_POINT`;
//! - `C_SignInit`/`C_Sign` (§5.11) with `CKM_ECDSA` over the 32-byte digest: the module hashes
//!   nothing, and SoftHSM2 does not offer `CKM_ECDSA_SHA256`. The result is the 64-byte r‖s;
//! - [`generate_in_hsm`] adds `C_GenerateKeyPair` (§5.14) with `CKM_EC_KEY_PAIR_GEN`.
//!
//! The private key is generated inside the module with `CKA_SENSITIVE` and without
//! `CKA_EXTRACTABLE`: the HSM never releases it, and this module never asks for it. Only the
//! public key (`CKA_EC_POINT`) is read.
//!
//! Thread safety: a PKCS#11 session handles one operation at a time (`C_SignInit` then
//! `C_Sign`), and `cryptoki::session::Session` is `Send` but not `Sync`. The server shares one
//! [`HsmSigner`] between request handlers, so the session sits in a [`std::sync::Mutex`] and each
//! signature takes the lock; a signature takes about 0.2 ms on SoftHSM2.
//!
//! PKCS#11 login state belongs to the application and the token, not the session: while one
//! signer is logged in, another [`HsmSigner::open`] on the same token in this process is logged
//! in too (`CKR_USER_ALREADY_LOGGED_IN` is accepted).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{anyhow, bail, Context};
use card_format::keys::Es256Signer;
use card_format::PublicKey;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as Pkcs11Error, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;

/// DER of the object identifier of P-256 (prime256v1, 1.2.840.10045.3.1.7; RFC 5480 §2.1.1.1),
/// the `CKA_EC_PARAMS` of the generated key.
const P256_EC_PARAMS: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// One initialised context per module path, kept for the life of the process: `C_Initialize`
/// may be called only once until `C_Finalize`, and dropping a context does not finalise it.
static CONTEXTS: Mutex<Vec<(PathBuf, Pkcs11)>> = Mutex::new(Vec::new());

/// An ES256 signer whose P-256 private key stays inside a PKCS#11 token.
///
/// Its `Debug` shows the key label and kid, never the PIN.
pub struct HsmSigner {
    /// The logged-in session; PKCS#11 runs one operation per session at a time.
    session: Mutex<Session>,
    /// Handle of the private key inside `session`.
    private_key: ObjectHandle,
    /// The public half, read from the token's public key object.
    public_key: PublicKey,
    /// `CKA_LABEL` of the key pair, for messages.
    key_label: String,
}

impl std::fmt::Debug for HsmSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "HsmSigner(label {:?}, kid {})",
            self.key_label,
            self.public_key.kid()
        )
    }
}

impl HsmSigner {
    /// Opens a session on the token labelled `token_label` in the PKCS#11 `module`, logs in
    /// with `pin`, and finds the key pair labelled `key_label`.
    ///
    /// Before returning it signs one test digest and verifies the result with the public key
    /// read from the token, so a public key object that does not belong to the private key is
    /// caught at startup rather than on the first card.
    ///
    /// # Errors
    /// When the module cannot be loaded or initialised, no token or several tokens carry the
    /// label, the login fails (wrong PIN, locked PIN), there is not exactly one private and one
    /// public key with the label, the public key is not a P-256 point, or the test signature
    /// does not verify. Messages never contain the PIN.
    pub fn open(
        module: &Path,
        token_label: &str,
        pin: &str,
        key_label: &str,
    ) -> anyhow::Result<HsmSigner> {
        let session = login(module, token_label, pin, false)?;
        let private_key =
            find_one(&session, ObjectClass::PRIVATE_KEY, key_label).with_context(|| {
                format!("while looking for the private key in token {token_label:?}")
            })?;
        let public_handle =
            find_one(&session, ObjectClass::PUBLIC_KEY, key_label).with_context(|| {
                format!("while looking for the public key in token {token_label:?}")
            })?;
        let public_key = read_public_key(&session, public_handle)
            .with_context(|| format!("while reading the public key {key_label:?}"))?;
        let signer = HsmSigner {
            session: Mutex::new(session),
            private_key,
            public_key,
            key_label: key_label.to_owned(),
        };
        signer.self_test()?;
        Ok(signer)
    }

    /// The key pair's `CKA_LABEL`.
    pub fn key_label(&self) -> &str {
        &self.key_label
    }

    fn self_test(&self) -> anyhow::Result<()> {
        let message = b"registry-server hsm self-test";
        let digest = sha256(message);
        let signature = self
            .sign_digest(&digest)
            .with_context(|| format!("while test-signing with key {:?}", self.key_label))?;
        if !self.public_key.verify_es256(message, &signature) {
            bail!(
                "the public key labelled {:?} does not match the private key with that label",
                self.key_label
            );
        }
        Ok(())
    }
}

impl Es256Signer for HsmSigner {
    fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    fn sign_digest(&self, digest: &[u8; 32]) -> card_format::Result<[u8; 64]> {
        let session = self
            .session
            .lock()
            .map_err(|_| card_format::Error::Signing("hsm session lock poisoned".into()))?;
        let signature = session
            .sign(&Mechanism::Ecdsa, self.private_key, digest)
            .map_err(|e| card_format::Error::Signing(format!("pkcs#11 C_Sign failed: {e}")))?;
        <[u8; 64]>::try_from(signature.as_slice()).map_err(|_| {
            card_format::Error::Signing(format!(
                "pkcs#11 C_Sign returned {} bytes, expected 64 (r||s)",
                signature.len()
            ))
        })
    }
}

/// Generates a P-256 key pair inside the token and returns its public key.
///
/// Both objects are token objects labelled `key_label`, with `CKA_ID` set to the kid. The
/// private key is `CKA_SENSITIVE`, not `CKA_EXTRACTABLE`, and may only sign (`CKA_SIGN`); the
/// module never releases it. Certify the returned key with `registry-server keys certify`.
///
/// # Errors
/// When the token cannot be opened or logged into (see [`HsmSigner::open`]), a key with that
/// label already exists, or the module refuses the generation.
pub fn generate_in_hsm(
    module: &Path,
    token_label: &str,
    pin: &str,
    key_label: &str,
) -> anyhow::Result<PublicKey> {
    if key_label.is_empty() {
        bail!("the key label must not be empty");
    }
    let session = login(module, token_label, pin, true)?;
    let existing = session
        .find_objects(&[Attribute::Label(key_label.as_bytes().to_vec())])
        .context("pkcs#11 C_FindObjects failed")?;
    if !existing.is_empty() {
        bail!("token {token_label:?} already holds an object labelled {key_label:?}");
    }
    let label = Attribute::Label(key_label.as_bytes().to_vec());
    let public_template = [
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::KeyType(KeyType::EC),
        Attribute::Verify(true),
        Attribute::EcParams(P256_EC_PARAMS.to_vec()),
        label.clone(),
    ];
    let private_template = [
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::KeyType(KeyType::EC),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Sign(true),
        label,
    ];
    let (public_handle, private_handle) = session
        .generate_key_pair(
            &Mechanism::EccKeyPairGen,
            &public_template,
            &private_template,
        )
        .with_context(|| format!("pkcs#11 C_GenerateKeyPair failed in token {token_label:?}"))?;
    let public_key = read_public_key(&session, public_handle)
        .with_context(|| format!("while reading the new public key {key_label:?}"))?;
    // CKA_ID = kid lets operators find the pair with pkcs11-tool --id as well as by label.
    let id = [Attribute::Id(public_key.kid().0.to_vec())];
    for handle in [public_handle, private_handle] {
        session
            .update_attributes(handle, &id)
            .context("pkcs#11 C_SetAttributeValue (CKA_ID) failed")?;
    }
    Ok(public_key)
}

/// The process-wide initialised context for `module`.
fn context(module: &Path) -> anyhow::Result<Pkcs11> {
    let mut contexts = CONTEXTS
        .lock()
        .map_err(|_| anyhow!("pkcs#11 context registry lock poisoned"))?;
    if let Some((_, pkcs11)) = contexts.iter().find(|(path, _)| path == module) {
        return Ok(pkcs11.clone());
    }
    let pkcs11 = Pkcs11::new(module)
        .with_context(|| format!("cannot load the PKCS#11 module {}", module.display()))?;
    match pkcs11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        // Another copy of the module (loaded under a different path) initialised it already.
        Ok(()) | Err(Pkcs11Error::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => {
            return Err(e)
                .with_context(|| format!("pkcs#11 C_Initialize failed for {}", module.display()))
        }
    }
    contexts.push((module.to_path_buf(), pkcs11.clone()));
    Ok(pkcs11)
}

/// Opens a session on the token labelled `token_label` and logs in as the user.
fn login(module: &Path, token_label: &str, pin: &str, read_write: bool) -> anyhow::Result<Session> {
    let pkcs11 = context(module)?;
    let slots = pkcs11
        .get_slots_with_token()
        .context("pkcs#11 C_GetSlotList failed")?;
    let mut found = Vec::new();
    let mut labels = Vec::new();
    for slot in slots {
        let info = pkcs11
            .get_token_info(slot)
            .context("pkcs#11 C_GetTokenInfo failed")?;
        let label = info.label().trim_end().to_owned();
        if label == token_label {
            found.push(slot);
        }
        labels.push(label);
    }
    let slot = match found.as_slice() {
        [slot] => *slot,
        [] => bail!(
            "no token labelled {token_label:?} in {} (tokens: {labels:?})",
            module.display()
        ),
        _ => bail!(
            "{} tokens are labelled {token_label:?}: labels must be unique",
            found.len()
        ),
    };
    let session = if read_write {
        pkcs11.open_rw_session(slot)
    } else {
        pkcs11.open_ro_session(slot)
    }
    .with_context(|| format!("pkcs#11 C_OpenSession failed on token {token_label:?}"))?;
    match session.login(UserType::User, Some(&AuthPin::from(pin))) {
        Ok(()) | Err(Pkcs11Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(session),
        Err(Pkcs11Error::Pkcs11(RvError::PinIncorrect, _)) => {
            bail!("pkcs#11 C_Login refused: wrong PIN for token {token_label:?}")
        }
        Err(Pkcs11Error::Pkcs11(RvError::PinLocked, _)) => {
            bail!("pkcs#11 C_Login refused: the user PIN of token {token_label:?} is locked")
        }
        Err(e) => {
            Err(e).with_context(|| format!("pkcs#11 C_Login failed on token {token_label:?}"))
        }
    }
}

/// The one object of `class` labelled `label`.
fn find_one(session: &Session, class: ObjectClass, label: &str) -> anyhow::Result<ObjectHandle> {
    let template = [
        Attribute::Class(class),
        Attribute::KeyType(KeyType::EC),
        Attribute::Label(label.as_bytes().to_vec()),
    ];
    let handles = session
        .find_objects(&template)
        .context("pkcs#11 C_FindObjects failed")?;
    match handles.as_slice() {
        [handle] => Ok(*handle),
        [] => bail!("no EC {class} labelled {label:?}"),
        _ => bail!(
            "{} EC {class} objects are labelled {label:?}",
            handles.len()
        ),
    }
}

/// Reads `CKA_EC_POINT` of a public key object as a [`PublicKey`].
fn read_public_key(session: &Session, handle: ObjectHandle) -> anyhow::Result<PublicKey> {
    let attributes = session
        .get_attributes(handle, &[AttributeType::EcPoint])
        .context("pkcs#11 C_GetAttributeValue (CKA_EC_POINT) failed")?;
    let point = attributes
        .into_iter()
        .find_map(|attribute| match attribute {
            Attribute::EcPoint(point) => Some(point),
            _ => None,
        })
        .ok_or_else(|| anyhow!("the public key object has no CKA_EC_POINT"))?;
    PublicKey::from_sec1(unwrap_ec_point(&point)).context("CKA_EC_POINT is not a P-256 point")
}

/// The SEC1 point inside `CKA_EC_POINT`.
///
/// PKCS#11 v2.40 §2.3.3 makes it "DER-encoding of ANSI X9.62 ECPoint value Q", an OCTET STRING
/// (`04 41 04 <x> <y>` for P-256). A few older modules return the bare point; when the bytes
/// are not exactly one OCTET STRING they are taken as the bare point, and `from_sec1` decides.
fn unwrap_ec_point(der: &[u8]) -> &[u8] {
    let (len, header) = match der {
        [0x04, len @ 0..=0x7f, ..] => (usize::from(*len), 2),
        [0x04, 0x81, len, ..] => (usize::from(*len), 3),
        _ => return der,
    };
    match der.get(header..) {
        Some(content) if content.len() == len => content,
        _ => der,
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    use card_format::model::{
        BloodGroup, CardPayload, CardSummary, Date, IdType, Patient, PatientId, Sex,
    };
    use card_format::{sign_card, CardSerial, Certificate, Policy, SoftwareKey, TrustStore, Usage};

    const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

    #[test]
    fn unwrap_ec_point_handles_der_and_bare_points() {
        let mut point = vec![0x04];
        point.extend([0xab; 64]);
        let mut der = vec![0x04, 0x41];
        der.extend(&point);
        assert_eq!(unwrap_ec_point(&der), point.as_slice());
        assert_eq!(unwrap_ec_point(&point), point.as_slice());
        let mut long_form = vec![0x04, 0x81, 0x41];
        long_form.extend(&point);
        assert_eq!(unwrap_ec_point(&long_form), point.as_slice());
        assert_eq!(unwrap_ec_point(&[]), &[] as &[u8]);
    }

    #[test]
    fn hsm_signer_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<HsmSigner>();
    }

    fn payload() -> CardPayload {
        CardPayload {
            issuer: "LY-HSM-TEST".into(),
            issued_at: 1_760_000_000,
            expires_at: 1_860_000_000,
            serial: CardSerial::random(),
            summary: CardSummary {
                patient: Patient {
                    id: PatientId {
                        kind: IdType::National,
                        value: "119870123456".into(),
                    },
                    name_ar: vec!["سالم".into(), "علي".into()],
                    name_latin: vec!["Salem".into(), "Ali".into()],
                    sex: Sex::Male,
                    birth_date: Date::parse("birth_date", "2015-03-02").unwrap(),
                    blood_group: Some(BloodGroup::OPos),
                },
                tumours: vec![],
                treatments: vec![],
                medicines: vec![],
                allergies: vec![],
                insurance: None,
            },
        }
    }

    /// A fresh SoftHSM2 token directory with one token labelled "test" (SO PIN 1234, user PIN
    /// 5678); `None` when softhsm2 is not installed.
    fn softhsm_token(dir: &Path) -> Option<()> {
        let installed = Path::new(MODULE).exists()
            && std::process::Command::new("softhsm2-util")
                .arg("--version")
                .output()
                .is_ok();
        if !installed {
            return None;
        }
        let tokens = dir.join("tokens");
        std::fs::create_dir(&tokens).unwrap();
        let conf = dir.join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n\
                 slots.removable = false\n",
                tokens.display()
            ),
        )
        .unwrap();
        // SoftHSM2 reads its configuration in C_Initialize: process-global, so every HSM test
        // lives in the one test function below. Other tests reach the environment only through
        // std, which serialises set_var against its own reads.
        std::env::set_var("SOFTHSM2_CONF", &conf);
        let output = std::process::Command::new("softhsm2-util")
            .args(["--init-token", "--free", "--label", "test"])
            .args(["--so-pin", "1234", "--pin", "5678"])
            .env("SOFTHSM2_CONF", &conf)
            .output()
            .unwrap();
        assert!(output.status.success(), "softhsm2-util: {output:?}");
        Some(())
    }

    #[test]
    fn hsm_signer_signs_cards_with_softhsm2() {
        let dir = tempfile::tempdir().unwrap();
        if softhsm_token(dir.path()).is_none() {
            eprintln!("SKIPPED: softhsm2 not installed (apt-get install softhsm2)");
            return;
        }
        let module = Path::new(MODULE);

        // Generation, and refusals that must not leak the PIN.
        let public = generate_in_hsm(module, "test", "5678", "card-signing").unwrap();
        let duplicate = generate_in_hsm(module, "test", "5678", "card-signing").unwrap_err();
        assert!(
            format!("{duplicate:#}").contains("already holds"),
            "{duplicate:#}"
        );
        let wrong_pin = HsmSigner::open(module, "test", "0000", "card-signing").unwrap_err();
        let shown = format!("{wrong_pin:#}");
        assert!(
            shown.contains("wrong PIN") && !shown.contains("0000"),
            "{shown}"
        );
        let no_token = HsmSigner::open(module, "nope", "5678", "card-signing").unwrap_err();
        assert!(
            format!("{no_token:#}").contains("no token labelled"),
            "{no_token:#}"
        );

        let signer = HsmSigner::open(module, "test", "5678", "card-signing").unwrap();
        assert_eq!(signer.public_key(), &public);
        assert!(format!("{signer:?}").contains(&public.kid().to_hex()));
        let missing = HsmSigner::open(module, "test", "5678", "other").unwrap_err();
        assert!(format!("{missing:#}").contains("no EC"), "{missing:#}");

        // The private key stays inside: sensitive, not extractable, CKA_VALUE withheld.
        {
            let session = signer.session.lock().unwrap();
            let attributes = session
                .get_attributes(
                    signer.private_key,
                    &[
                        AttributeType::Sensitive,
                        AttributeType::Extractable,
                        AttributeType::Value,
                    ],
                )
                .unwrap();
            assert!(
                attributes.contains(&Attribute::Sensitive(true)),
                "{attributes:?}"
            );
            assert!(
                attributes.contains(&Attribute::Extractable(false)),
                "{attributes:?}"
            );
            assert!(
                !attributes.iter().any(|a| matches!(a, Attribute::Value(_))),
                "{attributes:?}"
            );
        }

        // Raw signature: C_Sign on SHA-256(message), verified over the message.
        let message = b"oncology card signing test";
        let signature = signer.sign_digest(&sha256(message)).unwrap();
        assert!(public.verify_es256(message, &signature));
        assert!(!public.verify_es256(b"another message", &signature));

        // Shared between threads behind the mutex.
        std::thread::scope(|scope| {
            for i in 0..4u8 {
                let signer = &signer;
                scope.spawn(move || {
                    let message = [i; 16];
                    let signature = signer.sign_digest(&sha256(&message)).unwrap();
                    assert!(signer.public_key().verify_es256(&message, &signature));
                });
            }
        });

        // The full path: root certifies the HSM key, the card carries the certificate, and a
        // verifier pinning only the root accepts it.
        let root = SoftwareKey::generate();
        let certificate = Certificate {
            public_key: public.clone(),
            issuer_id: "LY-HSM-TEST".into(),
            region: "east".into(),
            not_before: 1_700_000_000,
            not_after: 1_900_000_000,
            usage: Usage::CARDS,
        }
        .sign(&root)
        .unwrap();
        let card = sign_card(&signer, &payload(), Some(&certificate)).unwrap();
        let store = TrustStore::new(root.public_key().clone());
        let verified = store
            .verify_card(&card, 1_770_000_000, &Policy::default())
            .unwrap();
        assert_eq!(verified.signer().kid(), public.kid());
        assert_eq!(verified.value().summary.patient.name_latin[0], "Salem");
        let mut tampered = card.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(store
            .verify_card(&tampered, 1_770_000_000, &Policy::default())
            .is_err());
    }
}
