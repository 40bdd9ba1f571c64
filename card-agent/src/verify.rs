//! `card-agent verify`: QR text or QR images in, one verdict per card out; and the verdict
//! formats that `read` and `write` share.
//!
//! Patient data goes to standard output only, for the person at the desk; nothing is logged.

use std::io::{BufRead, Read, Write};
use std::path::Path;

use anyhow::Context;
use card_format::model::CardPayload;
use card_format::{qr, Policy, TrustStore, Verified};

use crate::cli::VerifyArgs;
use crate::{Class, Outcome};

/// Largest image accepted, in pixels per side: a phone photo is ~4000; this bounds memory.
const MAX_IMAGE_SIDE: u32 = 12_000;
/// Longest line read from standard input: a QR code holds at most 4,296 characters.
const MAX_LINE: u64 = 16 * 1024;

/// Loads the trust material, then verifies each card.
///
/// # Errors
/// Unreadable key or bundle files, an invalid bundle, or unreadable standard input.
pub fn run(args: &VerifyArgs, home: Option<&Path>) -> anyhow::Result<Outcome> {
    let (store, policy) = crate::trust::load(&args.trust, home)?;
    let now = crate::trust::now_or(args.trust.now)?;
    // A person watching a terminal sees each verdict at once; a pipe gets them buffered
    // (a third more cards per second on 10,000 lines), flushed at the end.
    let stdout = std::io::stdout();
    let interactive = std::io::IsTerminal::is_terminal(&stdout);
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut outcome = Outcome::Ok;
    let mut refused = false;
    let mut check = |text: &str, out: &mut dyn Write| -> anyhow::Result<()> {
        let result = qr::decode(text).and_then(|cose| store.verify_card(&cose, now, &policy));
        refused |= result.is_err();
        let line = if args.json {
            json_line(&result).to_string()
        } else {
            text_line(&result)
        };
        writeln!(out, "{line}").context("while writing the result")?;
        if interactive {
            out.flush().context("while writing the result")?;
        }
        Ok(())
    };
    for path in &args.image {
        match qr_texts_in_image(path) {
            Ok(texts) => {
                for text in texts {
                    check(&text, &mut out)?;
                }
            }
            Err(e) => {
                outcome = outcome.worst(Outcome::Failed(Class::Image));
                let line = if args.json {
                    serde_json::json!({"valid": false, "error": "image_unreadable",
                        "image": path.display().to_string(), "message": e.to_string()})
                    .to_string()
                } else {
                    format!("UNREADABLE  {}: {e}", path.display())
                };
                writeln!(out, "{line}").context("while writing the result")?;
            }
        }
    }
    if args.texts.is_empty() && args.image.is_empty() {
        let mut stdin = std::io::stdin().lock();
        let mut line = String::new();
        loop {
            line.clear();
            let n = (&mut stdin)
                .take(MAX_LINE)
                .read_line(&mut line)
                .context("while reading standard input")?;
            if n == 0 {
                break;
            }
            if n as u64 == MAX_LINE && !line.ends_with('\n') {
                // Skip the rest of an overlong line and report it as one refused card.
                let mut rest = Vec::new();
                stdin
                    .read_until(b'\n', &mut rest)
                    .context("while reading standard input")?;
                check("(an overlong line)", &mut out)?;
                continue;
            }
            let text = line.trim();
            if !text.is_empty() {
                check(text, &mut out)?;
            }
        }
    } else {
        for text in &args.texts {
            check(text, &mut out)?;
        }
    }
    out.flush().context("while writing the result")?;
    if refused {
        outcome = outcome.worst(Outcome::Failed(Class::Refused));
    }
    Ok(outcome)
}

/// The QR texts found in a PNG or JPEG image.
///
/// # Errors
/// The file cannot be read, is not a PNG/JPEG image, is too large, or holds no readable QR
/// code (class [`Class::Image`]).
pub fn qr_texts_in_image(path: &Path) -> anyhow::Result<Vec<String>> {
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(512 * 1024 * 1024);
    let mut reader = image::ImageReader::open(path)
        .map_err(|e| Class::Image.err(format!("cannot open the image: {e}")))?
        .with_guessed_format()
        .map_err(|e| Class::Image.err(format!("cannot read the image: {e}")))?;
    if reader.format().is_none() {
        return Err(Class::Image.err("not a PNG or JPEG image"));
    }
    reader.limits(limits);
    let picture = reader
        .decode()
        .map_err(|e| Class::Image.err(format!("the image is damaged or unsupported: {e}")))?
        .to_luma8();
    card_print::scan::qr_texts(&picture).map_err(|e| Class::Image.err(e.to_string()))
}

/// `YYYY-MM-DD HH:MM UTC` for Unix seconds.
pub fn format_time(unix: u64) -> String {
    match i64::try_from(unix)
        .ok()
        .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
    {
        Some(t) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02} UTC",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        ),
        None => format!("@{unix}"),
    }
}

/// `YYYY-MM-DD` for Unix seconds.
pub fn format_date(unix: u64) -> String {
    format_time(unix).chars().take(10).collect()
}

/// Verifies a card's bytes (from a smart card or a file) with the store.
pub fn verify_bytes(
    store: &TrustStore,
    policy: &Policy,
    now: u64,
    bytes: &[u8],
) -> card_format::Result<Verified<CardPayload>> {
    store.verify_card(bytes, now, policy)
}

/// The authentic payload of a card that [`verify_bytes`] refused only because it expired or
/// was revoked, so a desk can still see whose card it is; `None` for any other refusal.
///
/// [`TrustStore::authenticate_card`] checks everything but the time and the card's status
/// (signature, certificate chain, issuer not revoked), so the contents shown are authentic.
pub fn payload_despite(
    store: &TrustStore,
    bytes: &[u8],
    refusal: &card_format::Error,
) -> Option<Verified<CardPayload>> {
    use card_format::Error;
    if !matches!(refusal, Error::Expired | Error::Revoked { .. }) {
        return None;
    }
    store.authenticate_card(bytes).ok()
}

/// One line per card: `VALID ...` with warnings indented below, or `REFUSED reason [code]`.
pub fn text_line(result: &card_format::Result<Verified<CardPayload>>) -> String {
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

/// A fuller, multi-line view of a verified card for the person at the desk.
pub fn describe(v: &Verified<CardPayload>) -> String {
    let card = v.value();
    let s = &card.summary;
    let p = &s.patient;
    let mut out = String::new();
    let mut line = |l: String| {
        out.push_str(&l);
        out.push('\n');
    };
    line(format!(
        "VALID card {}  issuer {} ({})  issued {}  expires {}",
        card.serial,
        card.issuer,
        v.signer().region,
        format_date(card.issued_at),
        format_date(card.expires_at)
    ));
    for w in v.warnings() {
        line(format!("  warning: {w}"));
    }
    line(format!("patient    {}", p.name_latin.join(" ")));
    line(format!("           {}", p.name_ar.join(" ")));
    let id = serde_json::to_value(p.id.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let sex = serde_json::to_value(p.sex)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    line(format!(
        "           {id} {}  born {}  {sex}{}",
        p.id.value,
        p.birth_date,
        p.blood_group
            .as_ref()
            .and_then(|b| serde_json::to_value(b).ok())
            .and_then(|b| b.as_str().map(|b| format!("  blood {b}")))
            .unwrap_or_default()
    ));
    for t in &s.tumours {
        line(format!(
            "tumour     {} {} {}/{}  since {}{}",
            t.icd10,
            t.topography,
            t.morphology,
            t.behaviour,
            t.incidence,
            t.stage
                .as_ref()
                .and_then(|st| serde_json::to_value(st).ok())
                .map(|st| format!("  stage {}", stage_text(&st)))
                .unwrap_or_default()
        ));
    }
    for m in &s.medicines {
        line(format!(
            "medicine   #{} {} {} {} x{}  {} dispensings, every {} days, until {}",
            m.id,
            m.atc,
            m.name,
            m.strength,
            m.quantity,
            m.dispensings,
            m.interval_days,
            m.valid_until
        ));
    }
    for a in &s.allergies {
        let severity = serde_json::to_value(a.severity)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        line(format!("allergy    {} ({severity})", a.substance));
    }
    out.trim_end().to_string()
}

/// A stage as "tnm8 T2 N1 M0 IIB": the scheme, then its fields, TNM first.
fn stage_text(stage: &serde_json::Value) -> String {
    let Some(fields) = stage.as_object() else {
        return stage.to_string();
    };
    let mut parts: Vec<String> = Vec::new();
    for key in ["scheme", "t", "n", "m"] {
        if let Some(v) = fields.get(key).and_then(|v| v.as_str()) {
            parts.push(v.to_string());
        }
    }
    for (key, v) in fields {
        if !["scheme", "t", "n", "m"].contains(&key.as_str()) {
            parts.push(v.as_str().map_or_else(|| v.to_string(), str::to_string));
        }
    }
    parts.join(" ")
}

/// One JSON object per card.
pub fn json_line(result: &card_format::Result<Verified<CardPayload>>) -> serde_json::Value {
    match result {
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
    }
}
