//! Renders 1,000 real signed cards (the adult sample summary, issuer certificate in the QR
//! code, each with its own serial) in both layouts and prints the time and size of each PDF.
//!
//! ```sh
//! cargo run --release -p card-print --example print_bench [-- CARDS [OUT_DIR]]
//! ```
//!
//! With `OUT_DIR`, the PDFs are written there (`cards-card.pdf`, `cards-sheet.pdf`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{anyhow, Context};
use card_format::model::{CardPayload, CardSummary};
use card_format::{qr, sign_card, CardSerial, SoftwareKey};
use card_print::{render, Layout, PrintCard};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let count: usize = match args.next() {
        Some(n) => n.parse().context("CARDS must be a number")?,
        None => 1_000,
    };
    let out = args.next().map(PathBuf::from);

    let key = SoftwareKey::from_pkcs8_pem(&std::fs::read_to_string(
        fixtures().join("keys/issuer-benghazi.key.pem"),
    )?)?;
    let certificate = hex::decode(
        std::fs::read_to_string(fixtures().join("trust/issuer-benghazi.cert.hex"))?.trim(),
    )?;
    let summary: CardSummary = serde_json::from_str(&std::fs::read_to_string(
        fixtures().join("summaries/adult.json"),
    )?)?;

    let started = Instant::now();
    let mut cards = Vec::with_capacity(count);
    for i in 0..count {
        let mut serial = [0u8; 10];
        serial[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
        let payload = CardPayload {
            issuer: "LY-BEN-PED".into(),
            issued_at: 1_768_435_200,
            expires_at: 1_926_201_600,
            serial: CardSerial::from_bytes(&serial)?,
            summary: summary.clone(),
        };
        let cose = sign_card(&key, &payload, Some(&certificate))?;
        cards.push(PrintCard::from_payload(&payload, "east", qr::encode(&cose)));
    }
    let qr_len = cards.first().map_or(0, |c| c.qr_text.len());
    println!(
        "{count} cards signed in {:.2} s (QR text {qr_len} characters)",
        started.elapsed().as_secs_f64()
    );

    for (layout, name) in [(Layout::Card, "card"), (Layout::Sheet, "sheet")] {
        let started = Instant::now();
        let pdf = render(&cards, layout, &mut |_| {}).map_err(|e| anyhow!(e))?;
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{name:>5} layout: {count} cards in {seconds:.2} s, {:.2} MB ({:.1} kB per card)",
            pdf.len() as f64 / 1e6,
            pdf.len() as f64 / 1e3 / count as f64
        );
        if let Some(dir) = &out {
            std::fs::create_dir_all(dir)?;
            std::fs::write(dir.join(format!("cards-{name}.pdf")), &pdf)?;
        }
    }
    Ok(())
}
