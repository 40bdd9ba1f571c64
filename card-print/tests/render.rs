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

/// The back page of the adult sample's printed card, rasterised by pdftoppm at `dpi`.
fn back_page(dir: &Path, pdf: &Path, dpi: u32) -> image::GrayImage {
    let prefix = dir.join(format!("back-{dpi}"));
    let out = run(Command::new("pdftoppm")
        .args([
            "-r",
            &dpi.to_string(),
            "-f",
            "2",
            "-l",
            "2",
            "-png",
            "-singlefile",
        ])
        .arg(pdf)
        .arg(&prefix));
    assert!(out.status.success(), "{out:?}");
    image::open(prefix.with_extension("png"))
        .unwrap()
        .to_luma8()
}

/// A repeatable pseudo-random sequence (xorshift64*), for the noise of the photo variants.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (x >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Approximately normal, mean 0, standard deviation 1 (sum of 12 uniforms).
    fn normal(&mut self) -> f32 {
        (0..12).map(|_| self.next()).sum::<f32>() - 6.0
    }
}

/// One photo-like way of spoiling a page.
#[derive(Debug, Clone, Copy)]
enum Spoil {
    Blur(f32),
    Rotate(f32),
    Jpeg(u8),
    Perspective(f32),
    Contrast(f32),
    Noise(f32),
    Scale(f32),
}

impl Spoil {
    fn apply(self, page: &image::GrayImage, dir: &Path, name: &str) -> image::GrayImage {
        use image::imageops;
        use imageproc::geometric_transformations::{self as geo, Interpolation, Projection};
        let white = image::Luma([255u8]);
        let (w, h) = (page.width() as f32, page.height() as f32);
        match self {
            Spoil::Blur(sigma) => imageops::blur(page, sigma),
            Spoil::Rotate(degrees) => {
                geo::rotate_about_center(page, degrees.to_radians(), Interpolation::Bilinear, white)
            }
            Spoil::Jpeg(quality) => {
                let file = dir.join(format!("{name}.jpg"));
                let mut out = std::fs::File::create(&file).unwrap();
                image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
                    .encode_image(page)
                    .unwrap();
                image::open(&file).unwrap().to_luma8()
            }
            Spoil::Perspective(k) => {
                // The top edge pulled in by k of the width on each side: a card photographed
                // from below.
                let from = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)];
                let to = [(k * w, 0.0), (w - k * w, 0.0), (w, h), (0.0, h)];
                let projection = Projection::from_control_points(from, to).unwrap();
                geo::warp(page, &projection, Interpolation::Bilinear, white)
            }
            Spoil::Contrast(c) => {
                // Towards grey: a dim, washed-out photo.
                let mut out = page.clone();
                for p in out.pixels_mut() {
                    let v = f32::from(p.0[0]);
                    p.0[0] = (128.0 + (v - 128.0) * c).round().clamp(0.0, 255.0) as u8;
                }
                out
            }
            Spoil::Noise(sigma) => {
                let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
                let mut out = page.clone();
                for p in out.pixels_mut() {
                    let v = f32::from(p.0[0]) + sigma * noise.normal();
                    p.0[0] = v.round().clamp(0.0, 255.0) as u8;
                }
                out
            }
            Spoil::Scale(f) => imageops::resize(
                page,
                (w * f).round() as u32,
                (h * f).round() as u32,
                imageops::FilterType::Triangle,
            ),
        }
    }
}

/// The page as rasterised (none), then the degraded photos: each spoiling at two strengths,
/// and a mix of three.
const SPOILS: &[&[Spoil]] = &[
    &[],
    &[Spoil::Blur(1.0)],
    &[Spoil::Blur(2.0)],
    &[Spoil::Rotate(4.0)],
    &[Spoil::Rotate(12.0)],
    &[Spoil::Jpeg(25)],
    &[Spoil::Jpeg(10)],
    &[Spoil::Perspective(0.06)],
    &[Spoil::Perspective(0.15)],
    &[Spoil::Contrast(0.35)],
    &[Spoil::Contrast(0.15)],
    &[Spoil::Noise(20.0)],
    &[Spoil::Noise(45.0)],
    &[Spoil::Scale(0.5)],
    &[Spoil::Rotate(6.0), Spoil::Blur(1.2), Spoil::Jpeg(40)],
];

/// Whether zbarimg reads `text` from the picture saved at `file`.
fn zbar_reads(file: &Path, text: &str) -> bool {
    let out = run(Command::new("zbarimg").args(["--raw", "-q"]).arg(file));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l == text)
}

/// The pharmacy's photo scan (issue #15): `card_print::scan` reads the back of its own
/// printed card at 150, 200 and 300 dpi, and at least every degraded photo of it that
/// zbarimg reads (blur, rotation, JPEG, perspective, low contrast, noise, half size, and a
/// mix). The table it prints is docs/benchmarks.md's "Reading photographed cards":
/// `cargo test -p card-print --test render photos -- --nocapture`.
#[test]
fn photos_of_the_printed_card_read_at_least_as_well_as_zbarimg() {
    let text = signed_card("adult", 0x21);
    let card = print_card(&text);
    let pdf = render(std::slice::from_ref(&card), Layout::Card, &mut |_| {}).unwrap();
    let dir = TempDir::new("photos");
    let file = dir.0.join("card.pdf");
    std::fs::write(&file, &pdf).unwrap();
    let reads = |found: &[String]| found.contains(&text);

    let mut rows = Vec::new();
    let (mut ours, mut zbar, mut rxing, mut rqrr, mut total) = (0, 0, 0, 0, 0);
    let mut missed = Vec::new();
    for dpi in [150, 200, 300] {
        let page = back_page(&dir.0, &file, dpi);
        let clean = card_print::scan::qr_texts(&page).unwrap_or_default();
        assert!(reads(&clean), "the clean page at {dpi} dpi");
        for (i, spoils) in SPOILS.iter().enumerate() {
            let name = format!("{dpi}-{i}");
            let mut photo = page.clone();
            for spoil in *spoils {
                photo = spoil.apply(&photo, &dir.0, &name);
            }
            let saved = dir.0.join(format!("{name}.png"));
            photo.save(&saved).unwrap();
            let z = zbar_reads(&saved, &text);
            let o = reads(&card_print::scan::qr_texts(&photo).unwrap_or_default());
            let x = reads(&card_print::scan::engines::rxing(&photo));
            let q = reads(&card_print::scan::engines::rqrr(&photo));
            total += 1;
            zbar += usize::from(z);
            ours += usize::from(o);
            rxing += usize::from(x);
            rqrr += usize::from(q);
            if z && !o {
                missed.push(format!("{dpi} dpi {spoils:?}"));
            }
            let mark = |b: bool| if b { "read" } else { "-" };
            rows.push(format!(
                "| {dpi} | {spoils:?} | {} | {} | {} | {} |",
                mark(o),
                mark(z),
                mark(x),
                mark(q)
            ));
        }
    }
    println!("| dpi | spoiled by | card-print::scan | zbarimg | rxing alone | rqrr alone |");
    println!("|---:|---|---|---|---|---|");
    for row in &rows {
        println!("{row}");
    }
    println!("| | **{total} photos** | **{ours}** | **{zbar}** | **{rxing}** | **{rqrr}** |");
    assert!(
        missed.is_empty(),
        "zbarimg reads what the scan misses: {missed:?}"
    );
    assert!(ours >= zbar, "{ours} against zbarimg's {zbar}");
}
