//! Makes a batch of signed test cards for the card-agent benchmarks and demos.
//!
//! ```sh
//! cargo run --release -p card-agent --example card_batch -- OUT_DIR COUNT [--certificate]
//! ```
//!
//! Writes `OUT_DIR/cards.txt` (one QR text per line, COUNT cards with random serials, cycling
//! through the three fixture summaries, issued now, valid five years) and `OUT_DIR/bundle.cose`
//! (a trust bundle signed by the fixture list key, holding the fixture issuer certificate).
//! Uses the TEST-ONLY fixture keys of fixtures/keys: never for real cards.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};

use card_format::keys::SoftwareKey;
use card_format::model::{CardPayload, CardSummary};
use card_format::serial::CardSerial;
use card_format::trust::TrustBundle;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn key(name: &str) -> SoftwareKey {
    let pem =
        std::fs::read_to_string(repo().join(format!("fixtures/keys/{name}.key.pem"))).unwrap();
    SoftwareKey::from_pkcs8_pem(&pem).unwrap()
}

fn cert(name: &str) -> Vec<u8> {
    let text =
        std::fs::read_to_string(repo().join(format!("fixtures/trust/{name}.cert.hex"))).unwrap();
    hex::decode(text.trim()).unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(out), Some(count)) = (args.first(), args.get(1)) else {
        eprintln!("usage: card_batch OUT_DIR COUNT [--certificate]");
        std::process::exit(2);
    };
    let out = PathBuf::from(out);
    let count: usize = count.parse().expect("COUNT is a number");
    let with_certificate = args.iter().any(|a| a == "--certificate");
    std::fs::create_dir_all(&out).unwrap();

    let issuer = key("issuer-benghazi");
    let issuer_cert = cert("issuer-benghazi");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let summaries: Vec<CardSummary> = ["adult", "paediatric", "several-tumours"]
        .iter()
        .map(|n| {
            let json = std::fs::read_to_string(repo().join(format!("fixtures/summaries/{n}.json")))
                .unwrap();
            serde_json::from_str(&json).unwrap()
        })
        .collect();
    let mut lines = std::io::BufWriter::new(std::fs::File::create(out.join("cards.txt")).unwrap());
    for i in 0..count {
        let payload = CardPayload {
            issuer: "LY-BEN-PED".into(),
            issued_at: now - 60,
            expires_at: now + 5 * 365 * 86_400,
            serial: CardSerial::random(),
            summary: summaries[i % summaries.len()].clone(),
        };
        let cose = card_format::sign_card(
            &issuer,
            &payload,
            with_certificate.then_some(issuer_cert.as_slice()),
        )
        .unwrap();
        writeln!(lines, "{}", card_format::qr::encode(&cose)).unwrap();
    }
    lines.flush().unwrap();

    let mut bundle = TrustBundle {
        sequence: 1,
        issued_at: now,
        issuer_certificates: vec![issuer_cert],
        ..TrustBundle::default()
    };
    bundle.normalise();
    let bytes = bundle
        .sign(&key("list-signer"), &cert("list-signer"))
        .unwrap();
    std::fs::write(out.join("bundle.cose"), bytes).unwrap();
    eprintln!("wrote {count} cards to {}", out.join("cards.txt").display());
}
