//! How big each sample patient's card is, and which QR code version it needs.
//!
//! ```text
//! cargo run --release -p card-format --example size_report
//! ```
//!
//! For each summary in fixtures/summaries it signs a card twice (without and with the issuer
//! certificate in the unprotected header), turns it into QR text with [`qr::encode`], and asks
//! the `qrcode` crate for the smallest QR version at error correction M and Q. It also checks
//! that the `qrcode` optimiser encodes the text in alphanumeric mode (no byte-mode segment, and
//! no larger than forcing a single alphanumeric segment), and that each card verifies.
//! The output is a markdown table; docs/benchmarks.md quotes it.

use card_format::keys::Es256Signer;
use card_format::model::{CardPayload, CardSummary};
use card_format::trust::MAX_BUNDLE_LEN;
use card_format::{
    qr, sign_card, CardSerial, Certificate, Policy, SoftwareKey, TrustBundle, TrustStore, Usage,
};
use qrcode::bits::Bits;
use qrcode::optimize::Parser;
use qrcode::types::Mode;
use qrcode::{EcLevel, QrCode, Version};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const SAMPLES: [(&str, &str); 3] = [
    ("adult", include_str!("../../fixtures/summaries/adult.json")),
    (
        "paediatric",
        include_str!("../../fixtures/summaries/paediatric.json"),
    ),
    (
        "several-tumours",
        include_str!("../../fixtures/summaries/several-tumours.json"),
    ),
];

/// The adult card must fit a QR code of at most this version at error correction M.
const ADULT_MAX_VERSION_M: i16 = 20;

const ISSUER_ID: &str = "LY-BEN-ONC";
const NOW: u64 = 1_770_000_000;

struct Row {
    sample: &'static str,
    with_certificate: bool,
    cose_len: usize,
    body_len: usize,
    compressed: bool,
    text_len: usize,
    version_m: i16,
    version_q: i16,
}

fn main() -> Result<()> {
    let root = SoftwareKey::from_scalar(&[0x11; 32])?;
    let issuer = SoftwareKey::from_scalar(&[0x22; 32])?;
    let list_signer = SoftwareKey::from_scalar(&[0x33; 32])?;
    let certificate = |key: &SoftwareKey, id: &str, usage| {
        Certificate {
            public_key: key.public_key().clone(),
            issuer_id: id.into(),
            region: "east".into(),
            not_before: 1_700_000_000,
            not_after: 1_900_000_000,
            usage,
        }
        .sign(&root)
    };
    let issuer_certificate = certificate(&issuer, ISSUER_ID, Usage::CARDS)?;
    let list_certificate = certificate(&list_signer, "LY-REGISTRY", Usage::TRUST_LISTS)?;
    let bundle = TrustBundle {
        sequence: 1,
        issued_at: NOW,
        issuer_certificates: vec![issuer_certificate.clone()],
        ..TrustBundle::default()
    }
    .sign(&list_signer, &list_certificate)?;
    // A pharmacy with a bundle, and one that pins only the root key.
    let with_bundle = TrustStore::from_bundle(root.public_key().clone(), &bundle, MAX_BUNDLE_LEN)?;
    let root_only = TrustStore::new(root.public_key().clone());

    println!(
        "Issuer certificate: {} bytes. QR text = \"{}\" + Base45(zlib(COSE) if shorter, else COSE).",
        issuer_certificate.len(),
        qr::QR_PREFIX
    );
    println!();
    let mut rows = Vec::new();
    for (name, json) in SAMPLES {
        let summary: CardSummary = serde_json::from_str(json)?;
        println!(
            "{name}: {} tumours, {} treatments, {} medicines, {} allergies, insurance: {}",
            summary.tumours.len(),
            summary.treatments.len(),
            summary.medicines.len(),
            summary.allergies.len(),
            if summary.insurance.is_some() {
                "yes"
            } else {
                "no"
            },
        );
        let payload = CardPayload {
            issuer: ISSUER_ID.into(),
            issued_at: NOW - 86_400,
            expires_at: NOW + 3 * 365 * 86_400,
            serial: CardSerial([0x5a; 10]),
            summary,
        };
        for with_certificate in [false, true] {
            let cose = sign_card(
                &issuer,
                &payload,
                with_certificate.then_some(issuer_certificate.as_slice()),
            )?;
            let text = qr::encode(&cose);
            // The card must round-trip and verify, or its size means nothing.
            let store = if with_certificate {
                &root_only
            } else {
                &with_bundle
            };
            store.verify_card(&qr::decode(&text)?, NOW, &Policy::default())?;
            let encoded = text
                .strip_prefix(qr::QR_PREFIX)
                .ok_or("QR text without its prefix")?;
            let body = base45::decode(encoded)?;
            rows.push(Row {
                sample: name,
                with_certificate,
                cose_len: cose.len(),
                body_len: body.len(),
                compressed: body.first() == Some(&0x78),
                text_len: text.len(),
                version_m: qr_version(&text, EcLevel::M)?,
                version_q: qr_version(&text, EcLevel::Q)?,
            });
        }
    }

    println!();
    println!(
        "| patient | issuer cert in card | COSE bytes | body bytes (zlib) | QR text chars | QR version (EC M) | QR version (EC Q) |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {}{} | {} | {} | {} |",
            r.sample,
            if r.with_certificate { "yes" } else { "no" },
            r.cose_len,
            r.body_len,
            if r.compressed { "" } else { " (raw)" },
            r.text_len,
            r.version_m,
            r.version_q,
        );
    }
    println!();

    // The target is for the card as printed by default: the QR carries no certificate (it is
    // optional in the QR; the smart card always carries it).
    let adult_default = rows
        .iter()
        .find(|r| r.sample == "adult" && !r.with_certificate)
        .map(|r| r.version_m)
        .ok_or("no adult row")?;
    let verdict = if adult_default <= ADULT_MAX_VERSION_M {
        "PASS"
    } else {
        "FAIL"
    };
    println!(
        "adult card at EC M: version {adult_default} (default QR, no certificate), target <= {ADULT_MAX_VERSION_M}: {verdict}"
    );
    let capacity = alphanumeric_capacity(ADULT_MAX_VERSION_M, EcLevel::M);
    for r in rows.iter().filter(|r| r.sample == "adult") {
        println!(
            "adult, certificate {}: {} QR text chars; a version-{ADULT_MAX_VERSION_M} QR code at EC M holds {capacity} alphanumeric chars ({:+})",
            if r.with_certificate { "embedded" } else { "not embedded" },
            r.text_len,
            r.text_len as i64 - capacity as i64,
        );
    }
    Ok(())
}

/// The smallest normal QR version holding `text` at `ec`, as the `qrcode` crate chooses it,
/// after checking that the crate encodes the text in alphanumeric mode.
fn qr_version(text: &str, ec: EcLevel) -> Result<i16> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), ec)?;
    let Version::Normal(version) = code.version() else {
        return Err("qrcode chose a Micro QR version".into());
    };
    // The segments the optimiser picks at that version: a byte-mode segment would cost
    // 8 bits a character instead of 5.5.
    let modes: Vec<Mode> = Parser::new(text.as_bytes())
        .optimize(code.version())
        .map(|segment| segment.mode)
        .collect();
    if modes
        .iter()
        .any(|m| !matches!(m, Mode::Alphanumeric | Mode::Numeric))
    {
        return Err(format!("qrcode used {modes:?} for the QR text").into());
    }
    // And the version is what a single alphanumeric segment needs (or smaller).
    let forced = alphanumeric_version(text, ec)?;
    if version > forced {
        return Err(format!(
            "qrcode chose version {version}, a single alphanumeric segment needs {forced}"
        )
        .into());
    }
    Ok(version)
}

/// The smallest normal QR version holding `text` as one alphanumeric segment.
fn alphanumeric_version(text: &str, ec: EcLevel) -> Result<i16> {
    for version in 1..=40 {
        let mut bits = Bits::new(Version::Normal(version));
        if bits.push_alphanumeric_data(text.as_bytes()).is_ok() && bits.push_terminator(ec).is_ok()
        {
            return Ok(version);
        }
    }
    Err("text does not fit a version-40 QR code".into())
}

/// How many alphanumeric characters a normal QR code of `version` holds at `ec`.
fn alphanumeric_capacity(version: i16, ec: EcLevel) -> usize {
    let fits = |n: usize| {
        let mut bits = Bits::new(Version::Normal(version));
        bits.push_alphanumeric_data(&vec![b'A'; n]).is_ok() && bits.push_terminator(ec).is_ok()
    };
    let (mut lo, mut hi) = (0, qr::MAX_QR_TEXT_LEN + 1); // fits(lo), !fits(hi)
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}
