//! `print`: gathers the cards, verifies every one, then renders them with [`card_print`].
//!
//! Nothing is printed unless every card verifies: a batch with a bad card is refused as a
//! whole, each bad card named, so no invalid card ever reaches a printer.

use std::path::Path;

use card_format::error::Object;
use card_format::{cose, qr};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::PrintArgs;
use crate::{smartcard, verify, Class, Outcome};
use card_print::PrintCard;

/// Most cards in one file or one run; a bound on memory, far above a day's batch.
const MAX_CARDS: usize = 100_000;

/// The cards in one input file: several QR lines, or one card (binary, hex or QR text).
fn cards_in_file(path: &Path) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Class::Usage.err(format!("cannot read {}: {e}", path.display())))?;
    if meta.len() > 64 * 1024 * 1024 {
        return Err(Class::Usage.err(format!("{} is too large", path.display())));
    }
    let raw = std::fs::read(path)
        .map_err(|e| Class::Usage.err(format!("cannot read {}: {e}", path.display())))?;
    if let Ok(text) = std::str::from_utf8(&raw) {
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        if lines.len() > 1 || lines.first().is_some_and(|l| l.starts_with("LYOC")) {
            let mut cards = Vec::with_capacity(lines.len());
            for (i, line) in lines.iter().enumerate() {
                let place = format!("{} line {}", path.display(), i + 1);
                let bytes = qr::decode(line)
                    .map_err(|e| Class::Refused.err(format!("{place}: {e} [{}]", e.code())))?;
                cards.push((place, bytes));
            }
            return Ok(cards);
        }
    }
    let bytes = smartcard::card_from_bytes(raw)
        .map_err(|e| Class::Refused.err(format!("{}: {e}", path.display())))?;
    Ok(vec![(path.display().to_string(), bytes)])
}

/// `print`.
///
/// # Errors
/// Unreadable inputs, a card that does not verify (nothing is printed), a card that cannot
/// be rendered, an unwritable output.
pub fn run(args: &PrintArgs, home: Option<&Path>) -> anyhow::Result<Outcome> {
    let (store, policy) = crate::trust::load(&args.trust, home)?;
    let now = crate::trust::now_or(args.trust.now)?;
    let mut inputs = Vec::new();
    for path in &args.inputs {
        inputs.extend(cards_in_file(path)?);
        if inputs.len() > MAX_CARDS {
            return Err(Class::Usage.err(format!("more than {MAX_CARDS} cards in one run")));
        }
    }
    for serial in &args.serial {
        inputs.push((
            format!("card {serial}"),
            smartcard::card_from_registry(&args.source, serial)?,
        ));
    }
    if inputs.is_empty() {
        return Err(Class::Usage.err("no cards to print: give files or --serial"));
    }
    let mut cards = Vec::with_capacity(inputs.len());
    let mut refused = Vec::new();
    for (place, bytes) in &inputs {
        match verify::verify_bytes(&store, &policy, now, bytes) {
            Ok(v) => {
                // The QR carries the certificate only on request (a denser code): from the
                // bundle, or the one the card carries.
                let printed = if !args.qr_certificate {
                    cose::set_certificate(bytes, None, Object::Card)
                } else {
                    match crate::trust::issuer_certificate(&store, v.signer()) {
                        Some(c) => cose::set_certificate(bytes, Some(c), Object::Card),
                        None => Ok(bytes.clone()),
                    }
                }
                .map_err(|e| Class::Refused.err(format!("{place}: {e}")))?;
                cards.push(PrintCard::from_payload(
                    v.value(),
                    &v.signer().region,
                    qr::encode(&printed),
                ));
            }
            Err(e) => refused.push(format!("{place}: {e} [{}]", e.code())),
        }
    }
    if !refused.is_empty() {
        for r in &refused {
            eprintln!("REFUSED  {r}");
        }
        return Err(Class::Refused.err(format!(
            "{} of {} cards do not verify; nothing was printed",
            refused.len(),
            inputs.len()
        )));
    }
    let bar = if cards.len() > 1 {
        let bar = ProgressBar::new(cards.len() as u64);
        if let Ok(style) =
            ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} cards, {eta} left")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message("laying out");
        bar
    } else {
        ProgressBar::hidden()
    };
    let pdf = card_print::render(&cards, args.layout.into(), &mut |n| {
        bar.set_position(n as u64)
    })
    .map_err(|e| Class::Usage.err(e.to_string()))?;
    bar.finish_and_clear();
    crate::trust::write_atomic(&args.output, &pdf)?;
    println!(
        "PRINTED  {} card{} to {} ({:.1} KB)",
        cards.len(),
        if cards.len() == 1 { "" } else { "s" },
        args.output.display(),
        pdf.len() as f64 / 1024.0
    );
    Ok(Outcome::Ok)
}
