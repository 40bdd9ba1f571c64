//! `card-agent verify`: QR text in, one verdict per card out.
//!
//! Patient data goes to standard output only, for the person at the desk; nothing is logged.

use std::io::{BufRead, Write};

use anyhow::Context;
use card_format::model::CardPayload;
use card_format::trust::MAX_BUNDLE_LEN;
use card_format::{qr, Policy, PublicKey, TrustStore, Verified};

use crate::cli::VerifyArgs;
use crate::Outcome;

/// Loads the trust material, then verifies each card.
///
/// # Errors
/// Unreadable key or bundle files, an invalid bundle, or unreadable standard input.
pub fn run(args: &VerifyArgs) -> anyhow::Result<Outcome> {
    let store = load_store(args)?;
    let now = match args.trust.now {
        Some(now) => now,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .context("while reading the clock")?
            .as_secs(),
    };
    let policy = Policy {
        bundle_max_age: args.trust.max_bundle_age_days.map(|d| d * 86_400),
        ..Policy::default()
    };
    let mut out = std::io::stdout().lock();
    let mut outcome = Outcome::Ok;
    let mut check = |text: &str| -> anyhow::Result<()> {
        let result = qr::decode(text).and_then(|cose| store.verify_card(&cose, now, &policy));
        if result.is_err() {
            outcome = Outcome::Rejected;
        }
        let line = if args.json {
            json_line(&result)
        } else {
            text_line(&result)
        };
        writeln!(out, "{line}").context("while writing the result")
    };
    if args.texts.is_empty() {
        for line in std::io::stdin().lock().lines() {
            let line = line.context("while reading standard input")?;
            if !line.trim().is_empty() {
                check(&line)?;
            }
        }
    } else {
        for text in &args.texts {
            check(text)?;
        }
    }
    Ok(outcome)
}

fn load_store(args: &VerifyArgs) -> anyhow::Result<TrustStore> {
    let Some(root) = &args.trust.root else {
        return Err(crate::Class::Usage.err("no root key: give --root"));
    };
    let pem = std::fs::read_to_string(root)
        .with_context(|| format!("while reading the root key {}", root.display()))?;
    let root = PublicKey::from_pem(&pem).context("while parsing the root key")?;
    let Some(path) = &args.trust.bundle else {
        return Ok(TrustStore::new(root));
    };
    let raw = std::fs::read(path)
        .with_context(|| format!("while reading the trust bundle {}", path.display()))?;
    let bytes = decode_maybe_hex(raw);
    TrustStore::from_bundle(root, &bytes, MAX_BUNDLE_LEN)
        .with_context(|| format!("while checking the trust bundle {}", path.display()))
}

/// Trust bundles travel as binary; the test vectors keep them as hex text.
fn decode_maybe_hex(raw: Vec<u8>) -> Vec<u8> {
    let text = raw.trim_ascii();
    if !text.is_empty() && text.iter().all(u8::is_ascii_hexdigit) {
        if let Ok(bytes) = hex::decode(text) {
            return bytes;
        }
    }
    raw
}

fn text_line(result: &card_format::Result<Verified<CardPayload>>) -> String {
    match result {
        Ok(v) => {
            let card = v.value();
            let patient = &card.summary.patient;
            let mut line = format!(
                "VALID    {}  issuer {} ({})  {}  {}",
                card.serial,
                card.issuer,
                v.signer().region,
                patient.name_latin.join(" "),
                patient.name_ar.join(" "),
            );
            for warning in v.warnings() {
                line.push_str(&format!("\n  warning: {warning}"));
            }
            line
        }
        Err(e) => format!("REFUSED  {e} [{}]", e.code()),
    }
}

fn json_line(result: &card_format::Result<Verified<CardPayload>>) -> String {
    let value = match result {
        Ok(v) => serde_json::json!({
            "valid": true,
            "serial": v.value().serial.to_string(),
            "issuer": v.value().issuer,
            "issued_at": v.value().issued_at,
            "expires_at": v.value().expires_at,
            "summary": v.value().summary,
            "warnings": v.warnings().iter().map(|w| w.code()).collect::<Vec<_>>(),
        }),
        Err(e) => {
            serde_json::json!({ "valid": false, "error": e.code(), "message": e.to_string() })
        }
    };
    value.to_string()
}
