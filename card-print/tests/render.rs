//! `card_print::render` end to end: real cards signed with the fixture keys are rendered, the PDF is
//! rasterised at 300 dpi by pdftoppm (poppler-utils), the QR codes are read back by zbarimg
//! (zbar-tools), and what they hold decodes and verifies with card-format.

// Helpers outside #[test] functions unwrap too: a panic there is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use card_format::model::{CardPayload, CardSummary};
use card_format::{qr, sign_card, CardSerial, Policy, PublicKey, SoftwareKey, TrustStore};
use card_print::{render, Layout, PrintCard};

/// 2026-01-15: when the cards are issued.
const IAT: u64 = 1_768_435_200;
/// Five years later.
const EXP: u64 = 1_926_201_600;
/// 2026-06-01: when they are verified.
const NOW: u64 = 1_780_272_000;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(fixtures().join(path)).unwrap()
}

fn root() -> PublicKey {
    PublicKey::from_pem(&read("keys/root.pub.pem")).unwrap()
}

/// A card signed by the Benghazi issuer with its certificate inside, so that it verifies
/// with the root key alone; its QR text.
fn signed_card(sample: &str, serial_byte: u8) -> String {
    let key = SoftwareKey::from_pkcs8_pem(&read("keys/issuer-benghazi.key.pem")).unwrap();
    let certificate = hex::decode(read("trust/issuer-benghazi.cert.hex").trim()).unwrap();
    let summary: CardSummary =
        serde_json::from_str(&read(&format!("summaries/{sample}.json"))).unwrap();
    let payload = CardPayload {
        issuer: "LY-BEN-PED".into(),
        issued_at: IAT,
        expires_at: EXP,
        serial: CardSerial::from_bytes(&[serial_byte; 10]).unwrap(),
        summary,
    };
    let cose = sign_card(&key, &payload, Some(&certificate)).unwrap();
    qr::encode(&cose)
}

/// Verifies QR text as a pharmacy would, pinning only the root key.
fn verify(text: &str) -> (CardPayload, String) {
    let store = TrustStore::new(root());
    let verified = store
        .verify_card(&qr::decode(text).unwrap(), NOW, &Policy::default())
        .unwrap();
    let region = verified.signer().region.clone();
    (verified.into_value(), region)
}

/// What the print command does: verify, then describe the card for printing.
fn print_card(text: &str) -> PrintCard {
    let (payload, region) = verify(text);
    PrintCard::from_payload(&payload, &region, text.to_owned())
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("card-agent-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(command: &mut Command) -> std::process::Output {
    let program = command.get_program().to_string_lossy().into_owned();
    let output = command.output().unwrap_or_else(|e| {
        panic!("cannot run {program} (Debian: poppler-utils, zbar-tools): {e}")
    });
    output
}

/// Rasterises every page at 300 dpi and returns the QR texts zbarimg finds, page by page.
fn scan(pdf: &[u8], dir: &Path) -> Vec<Vec<String>> {
    let file = dir.join("cards.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = run(Command::new("pdftoppm")
        .args(["-r", "300", "-png"])
        .arg(&file)
        .arg(dir.join("page")));
    assert!(out.status.success(), "{out:?}");
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pages.sort();
    pages
        .iter()
        .map(|png| {
            // zbarimg exits 4 when a page holds no code (the fronts).
            let out = run(Command::new("zbarimg").args(["--raw", "-q"]).arg(png));
            String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

#[test]
fn card_layout_qr_code_reads_back_and_verifies() {
    let text = signed_card("adult", 0x11);
    let card = print_card(&text);
    assert_eq!(card.issuer_region, "east");
    let pdf = render(std::slice::from_ref(&card), Layout::Card, &mut |_| {}).unwrap();

    let dir = TempDir::new("print-card");
    let pages = scan(&pdf, &dir.0);
    assert_eq!(pages.len(), 2, "front and back");
    assert!(pages[0].is_empty(), "the front has no QR code");
    assert_eq!(pages[1], std::slice::from_ref(&text));

    let (payload, _) = verify(&pages[1][0]);
    assert_eq!(payload.summary.patient.name_latin[0], "Fatima");
    assert_eq!(payload.serial.to_string(), card.serial);

    // The front's text can be extracted (ToUnicode maps) and holds the Latin name.
    let out = run(Command::new("pdftotext")
        .args(["-f", "1", "-l", "1"])
        .arg(dir.0.join("cards.pdf"))
        .arg("-"));
    let front = String::from_utf8_lossy(&out.stdout);
    assert!(
        front.contains("Fatima Mohamed Abdullah Almansouri"),
        "{front}"
    );
    assert!(front.contains("Oncology patient card"), "{front}");
}

#[test]
fn sheet_layout_holds_three_cards_whose_codes_all_read_back() {
    let texts: Vec<String> = ["adult", "paediatric", "several-tumours"]
        .iter()
        .zip(1u8..)
        .map(|(sample, i)| signed_card(sample, i))
        .collect();
    let cards: Vec<PrintCard> = texts.iter().map(|t| print_card(t)).collect();
    let mut progress = Vec::new();
    let pdf = render(&cards, Layout::Sheet, &mut |n| progress.push(n)).unwrap();
    assert_eq!(progress, [1, 2, 3]);

    let dir = TempDir::new("print-sheet");
    let pages = scan(&pdf, &dir.0);
    assert_eq!(pages.len(), 2, "one page of fronts, one of backs");
    assert!(pages[0].is_empty());
    let mut found = pages[1].clone();
    found.sort();
    let mut expected = texts.clone();
    expected.sort();
    assert_eq!(found, expected);
    for text in &found {
        let (payload, _) = verify(text);
        assert!(cards.iter().any(|c| c.serial == payload.serial.to_string()));
    }
}
