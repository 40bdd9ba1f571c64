//! `card-agent print` as a desk runs it: verified cards in, a PDF out whose QR codes zbarimg
//! reads back and `card-agent verify` accepts; a batch with one bad card prints nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/vectors")
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("card-agent-print-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn agent(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_card-agent"))
        .args(["--home", "/nonexistent"])
        .args(args)
        .arg("--root")
        .arg(vectors().join("root.pub.pem"))
        .arg("--bundle")
        .arg(vectors().join("trust-bundle.cose.hex"))
        .args(["--now", "1780272000"])
        .output()
        .unwrap()
}

fn zbar(pdf: &Path) -> Vec<String> {
    let prefix = pdf.with_extension("page");
    let status = Command::new("pdftoppm")
        .args(["-r", "300", "-png"])
        .arg(pdf)
        .arg(&prefix)
        .status()
        .expect("pdftoppm (poppler-utils): run scripts/test.sh");
    assert!(status.success());
    let dir = pdf.parent().unwrap();
    let stem = prefix.file_name().unwrap().to_str().unwrap().to_string();
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with(&stem))
        .collect();
    pages.sort();
    let mut texts = Vec::new();
    for page in pages {
        let out = Command::new("zbarimg")
            .args(["--raw", "-q"])
            .arg(&page)
            .output()
            .expect("zbarimg (zbar-tools): run scripts/test.sh");
        texts.extend(
            String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .map(str::to_string),
        );
    }
    texts.retain(|t| !t.is_empty());
    texts
}

#[test]
fn printed_cards_read_back_with_zbarimg_and_verify() {
    let pdf = temp("two.pdf");
    let adult = vectors().join("valid-adult.qr.txt");
    let child = vectors().join("valid-paediatric.qr.txt");
    let out = agent(&[
        "print",
        adult.to_str().unwrap(),
        child.to_str().unwrap(),
        "-o",
        pdf.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("PRINTED  2 cards"));
    let texts = zbar(&pdf);
    assert_eq!(texts.len(), 2, "{texts:?}");
    for text in &texts {
        let out = agent(&["verify", "--json", text]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["valid"], true, "{v}");
    }
}

#[test]
fn a_batch_with_one_bad_card_prints_nothing_and_names_it() {
    let pdf = temp("bad.pdf");
    let lines = temp("batch.txt");
    let good = std::fs::read_to_string(vectors().join("valid-adult.qr.txt")).unwrap();
    let revoked = std::fs::read_to_string(vectors().join("revoked.qr.txt")).unwrap();
    std::fs::write(&lines, format!("{}\n{}\n", good.trim(), revoked.trim())).unwrap();
    let out = agent(&[
        "print",
        lines.to_str().unwrap(),
        "-o",
        pdf.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 2") && stderr.contains("revoked"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was printed"), "{stderr}");
    assert!(!pdf.exists());
}

/// The pharmacy's photo scan (issue #15): `card-agent verify --image` reads the back page of
/// its own printed card (`card-agent print`, the adult sample) rasterised by pdftoppm at 150,
/// 200 and 300 dpi, as zbarimg does (it answered "no QR code found" before). The degraded
/// photos are in card-print's `tests/render.rs`.
#[test]
fn verify_image_reads_the_printed_back_page_at_150_to_300_dpi() {
    let pdf = temp("adult-photo.pdf");
    let adult = vectors().join("valid-adult.qr.txt");
    let out = agent(&[
        "print",
        adult.to_str().unwrap(),
        "-o",
        pdf.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = std::fs::read_to_string(&adult).unwrap();
    for dpi in ["150", "200", "300"] {
        let prefix = pdf.with_file_name(format!("adult-back-{dpi}"));
        let status = Command::new("pdftoppm")
            .args(["-r", dpi, "-f", "2", "-l", "2", "-png", "-singlefile"])
            .arg(&pdf)
            .arg(&prefix)
            .status()
            .expect("pdftoppm (poppler-utils): run scripts/test.sh");
        assert!(status.success());
        let png = prefix.with_extension("png");
        let zbar = Command::new("zbarimg")
            .args(["--raw", "-q"])
            .arg(&png)
            .output()
            .expect("zbarimg (zbar-tools): run scripts/test.sh");
        assert_eq!(
            String::from_utf8_lossy(&zbar.stdout).trim(),
            expected.trim(),
            "zbarimg at {dpi} dpi"
        );
        let out = agent(&["verify", "--json", "--image", png.to_str().unwrap()]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("{dpi} dpi: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(v["valid"], true, "{dpi} dpi: {v}");
    }
}
