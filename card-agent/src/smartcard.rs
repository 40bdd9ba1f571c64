//! `readers`, `read` and `write`: the smart-card commands.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use card_format::error::Object;
use card_format::model::CardPayload;
use card_format::trust::Certificate;
use card_format::{cose, qr, Policy, TrustStore, Verified};

use crate::card::layout::{self, CardError};
use crate::card::pcsc_reader::{self, PcscCard};
use crate::cli::{ReadArgs, ReaderArgs, ReadersArgs, SourceArgs, WriteArgs};
use crate::{verify, Class, Outcome};

/// `readers`.
///
/// # Errors
/// pcscd not running.
pub fn readers(args: &ReadersArgs) -> anyhow::Result<Outcome> {
    let list = pcsc_reader::list()?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&list).context("while encoding")?
        );
        return Ok(Outcome::Ok);
    }
    if list.is_empty() {
        println!("no smart-card reader is connected");
    }
    for r in &list {
        println!(
            "{:<32} {}",
            r.name,
            match (r.card_present, r.in_use) {
                (true, true) => "card present (in use by another program)",
                (true, false) => "card present",
                (false, _) => "no card",
            }
        );
    }
    Ok(Outcome::Ok)
}

fn connect_args(reader: &ReaderArgs, exclusive: bool) -> anyhow::Result<PcscCard> {
    connect(
        reader.reader.as_deref(),
        reader.wait.map(Duration::from_secs),
        exclusive,
    )
}

/// Connects to the card in the chosen reader ([`pcsc_reader::wait_for_card`]), exclusively
/// for writes.
///
/// # Errors
/// No reader, no card (after `wait`), the card held by another program, pcscd not running.
pub fn connect(
    reader: Option<&str>,
    wait: Option<Duration>,
    exclusive: bool,
) -> anyhow::Result<PcscCard> {
    let name = pcsc_reader::wait_for_card(reader, wait)?;
    PcscCard::connect(&name, exclusive)
}

fn card_error(e: CardError, writing: bool) -> anyhow::Error {
    e.class(writing).err(e.to_string())
}

/// Why a signed card may not go onto a smart card; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum Unwritable {
    /// The card does not verify against the trust store (or its certificate cannot be
    /// added).
    #[error("the card does not verify, nothing was written: {0} [{code}]", code = .0.code())]
    Invalid(card_format::Error),
    /// With its certificate, the card still does not verify with the root key alone.
    #[error("the card does not verify with the root key alone, nothing was written: {0}")]
    NotAlone(card_format::Error),
}

impl Unwritable {
    /// The verification error behind it.
    pub fn error(&self) -> &card_format::Error {
        match self {
            Unwritable::Invalid(e) | Unwritable::NotAlone(e) => e,
        }
    }
}

/// A signed card ready for a smart card: verified, carrying its issuer certificate.
#[derive(Debug)]
pub struct Prepared {
    /// The bytes to write: the signed card with the issuer certificate.
    pub bytes: Vec<u8>,
    /// The verified card.
    pub verified: Verified<CardPayload>,
}

/// Verifies a signed card before it goes onto a smart card, adds the issuer certificate from
/// the trust bundle when it lacks one, and checks that the result verifies with the root key
/// alone (docs/smart-card.md): what `write` and `serve` write.
///
/// # Errors
/// [`Unwritable`]: the card does not verify, or would not verify on its own.
pub fn prepare_for_card(
    store: &TrustStore,
    policy: &Policy,
    now: u64,
    bytes: &[u8],
) -> Result<Prepared, Unwritable> {
    let verified = verify::verify_bytes(store, policy, now, bytes).map_err(Unwritable::Invalid)?;
    let bytes = with_certificate(store, bytes, verified.signer()).map_err(Unwritable::Invalid)?;
    // What goes on the card must verify with the root key alone.
    let alone = TrustStore::new(store.root().clone());
    alone
        .verify_card(&bytes, now, policy)
        .map_err(Unwritable::NotAlone)?;
    Ok(Prepared { bytes, verified })
}

/// `read`.
///
/// # Errors
/// No reader or card, a card that holds no (complete) health card; a card that does not
/// verify ends as [`Outcome::Failed`] with [`Class::Refused`].
pub fn read(args: &ReadArgs, home: Option<&Path>) -> anyhow::Result<Outcome> {
    let (store, policy) = crate::trust::load(&args.trust, home)?;
    let now = crate::trust::now_or(args.trust.now)?;
    let mut card = connect_args(&args.reader, false)?;
    let bytes = layout::read_card(&mut card).map_err(|e| card_error(e, false))?;
    let result = verify::verify_bytes(&store, &policy, now, &bytes);
    if args.json {
        let mut value = verify::json_line(&result);
        value["reader"] = card.reader().into();
        println!("{value}");
    } else {
        match &result {
            Ok(v) => println!("{}", verify::describe(v)),
            Err(_) => println!("{}", verify::text_line(&result)),
        }
    }
    Ok(if result.is_ok() {
        Outcome::Ok
    } else {
        Outcome::Failed(Class::Refused)
    })
}

/// Reads a card from a file: COSE binary, hex text, or QR text.
///
/// # Errors
/// An unreadable file, or contents that are none of the three.
pub fn card_from_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Class::Usage.err(format!("cannot read {}: {e}", path.display())))?;
    if meta.len() > 64 * 1024 {
        return Err(Class::Usage.err(format!(
            "{} is {} bytes, too large to be one card",
            path.display(),
            meta.len()
        )));
    }
    let raw = std::fs::read(path)
        .map_err(|e| Class::Usage.err(format!("cannot read {}: {e}", path.display())))?;
    card_from_bytes(raw).map_err(|e| Class::Refused.err(format!("{}: {e}", path.display())))
}

/// Interprets bytes as a card: QR text (`LYOC1:`), hex, or COSE binary.
///
/// # Errors
/// QR text that does not decode.
pub fn card_from_bytes(raw: Vec<u8>) -> anyhow::Result<Vec<u8>> {
    if let Ok(text) = std::str::from_utf8(&raw) {
        let text = text.trim();
        if text.starts_with("LYOC") {
            return qr::decode(text).map_err(|e| anyhow::anyhow!("{e} [{}]", e.code()));
        }
    }
    Ok(crate::trust::decode_maybe_hex(raw))
}

/// Fetches a card's signed bytes, with its certificate, from the registry.
///
/// # Errors
/// No server or token given, the registry unreachable or refusing.
pub fn card_from_registry(source: &SourceArgs, serial: &str) -> anyhow::Result<Vec<u8>> {
    let client = crate::client::RegistryClient::from_source(source)?
        .ok_or_else(|| Class::Usage.err("--serial needs --server (or CARD_AGENT_SERVER)"))?;
    let serial: String = serial.chars().filter(|c| *c != '-' && *c != ' ').collect();
    if serial.is_empty() || !serial.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Class::Usage.err("a card serial is letters and digits (XXXX-XXXX-XXXX-XXXX)"));
    }
    let mut response = client
        .get(&format!("/cards/{serial}/cose?certificate=true"))
        .map_err(|e| {
            Class::Registry.err(format!(
                "cannot reach the registry at {}: {e}",
                client.server
            ))
        })?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(64 * 1024)
        .read_to_vec()
        .map_err(|e| Class::Registry.err(format!("while downloading the card: {e}")))?;
    if status != 200 {
        let detail = serde_json::from_slice::<registry_api::problem::Problem>(&body)
            .map(|p| p.detail)
            .unwrap_or_default();
        return Err(Class::Registry.err(format!(
            "the registry answered {status} for card {serial}: {detail}"
        )));
    }
    Ok(body)
}

/// Puts the issuer certificate in the card when the trust bundle has it, so the smart card
/// verifies with the root key alone. A card that verified without it carries it already.
fn with_certificate(
    store: &TrustStore,
    bytes: &[u8],
    signer: &Certificate,
) -> card_format::Result<Vec<u8>> {
    match crate::trust::issuer_certificate(store, signer) {
        Some(c) => cose::set_certificate(bytes, Some(c), Object::Card),
        None => Ok(bytes.to_vec()),
    }
}

/// `write`.
///
/// # Errors
/// The card source unusable, a card that does not verify (nothing is written), no reader or
/// card, a write that fails (the card then reads as incomplete).
pub fn write(args: &WriteArgs, home: Option<&Path>) -> anyhow::Result<Outcome> {
    let (store, policy) = crate::trust::load(&args.trust, home)?;
    let now = crate::trust::now_or(args.trust.now)?;
    let bytes = match (&args.file, &args.serial) {
        (Some(path), _) => card_from_file(path)?,
        (None, Some(serial)) => card_from_registry(&args.source, serial)?,
        (None, None) => return Err(Class::Usage.err("give --file or --serial")),
    };
    let Prepared { bytes, verified } = prepare_for_card(&store, &policy, now, &bytes)
        .map_err(|e| Class::Refused.err(e.to_string()))?;
    let mut card = connect_args(&args.reader, true)?;
    layout::write_card(&mut card, &bytes).map_err(|e| card_error(e, true))?;
    let serial = verified.value().serial.to_string();
    if args.json {
        println!(
            "{}",
            serde_json::json!({"written": true, "serial": serial, "reader": card.reader(), "bytes": bytes.len()})
        );
    } else {
        println!(
            "WRITTEN  card {serial} to the card in {} ({} bytes), read back and verified",
            card.reader(),
            bytes.len()
        );
    }
    Ok(Outcome::Ok)
}
