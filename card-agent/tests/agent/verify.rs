//! `card-agent verify` as a user runs it: the real binary, the committed test vectors.

// Helpers outside #[test] functions unwrap too: a panic there is a failed test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Verification time of the vectors (2026-06-01).
const NOW: &str = "1780272000";

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/vectors")
}

fn agent(args: &[&str], stdin: &str) -> Output {
    let dir = vectors();
    testkit::run_with_input(
        Command::new(env!("CARGO_BIN_EXE_card-agent"))
            .arg("verify")
            .arg("--root")
            .arg(dir.join("root.pub.pem"))
            .arg("--bundle")
            .arg(dir.join("trust-bundle.cose.hex"))
            .args(["--now", NOW])
            .args(args)
            .env_remove("CARD_AGENT_ROOT_KEY"),
        stdin.as_bytes(),
    )
}

fn vector(name: &str) -> String {
    std::fs::read_to_string(vectors().join(name)).unwrap()
}

#[test]
fn verify_valid_card_from_stdin_exits_0() {
    let out = agent(&[], &vector("valid-adult.qr.txt"));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.starts_with("VALID"), "{stdout}");
    assert!(stdout.contains("Fatima"), "{stdout}");
}

#[test]
fn verify_reports_each_line_and_exits_1_on_any_refusal() {
    let input = format!(
        "{}garbage\n{}",
        vector("valid-paediatric.qr.txt"),
        vector("revoked.qr.txt")
    );
    let out = agent(&["--json"], &input);
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["valid"], true);
    assert_eq!(lines[0]["summary"]["patient"]["name_latin"][0], "Yousef");
    assert_eq!(lines[1]["error"], "not_a_card");
    assert_eq!(lines[2]["error"], "revoked");
}

#[test]
fn verify_with_unreadable_root_key_exits_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_card-agent"))
        .args(["verify", "--root", "/nonexistent/root.pem", "LYOC1:00"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("cannot read the root key"), "{stderr}");
}

#[test]
fn verify_refuses_tampered_bundle_with_exit_2() {
    let dir = vectors();
    let out = Command::new(env!("CARGO_BIN_EXE_card-agent"))
        .arg("verify")
        .arg("--root")
        .arg(dir.join("root.pub.pem"))
        .arg("--bundle")
        .arg(dir.join("bundle-bad-signature.cose.hex"))
        .arg(vector("valid-adult.qr.txt").trim())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("bad signature on trust bundle"), "{stderr}");
}

/// A PNG of `text` as a QR code (level M, 4 pixels per module, 4-module quiet zone), as a
/// phone or scanner would save it.
fn qr_png(text: &str, path: &Path) {
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).unwrap();
    let width = code.width();
    let colors = code.to_colors();
    let scale = 4;
    let side = (width + 8) * scale;
    let img = image::GrayImage::from_fn(side as u32, side as u32, |x, y| {
        let (mx, my) = (x as usize / scale, y as usize / scale);
        let dark = (4..width + 4).contains(&mx)
            && (4..width + 4).contains(&my)
            && colors[(my - 4) * width + (mx - 4)] == qrcode::Color::Dark;
        image::Luma([if dark { 0 } else { 255 }])
    });
    img.save(path).unwrap();
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("card-agent-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn verify_reads_qr_codes_from_png_and_jpeg_images() {
    let text = vector("valid-adult.qr.txt");
    let png = temp("card.png");
    qr_png(text.trim(), &png);
    let jpeg = temp("card.jpg");
    image::open(&png).unwrap().to_rgb8().save(&jpeg).unwrap();
    let out = agent(
        &[
            "--json",
            "--image",
            png.to_str().unwrap(),
            "--image",
            jpeg.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    for line in lines {
        assert_eq!(line["valid"], true, "{line}");
        assert_eq!(line["summary"]["patient"]["name_latin"][0], "Fatima");
    }
}

#[test]
fn damaged_images_and_images_without_a_code_exit_9_with_a_reason() {
    let text = vector("valid-adult.qr.txt");
    let png = temp("whole.png");
    qr_png(text.trim(), &png);
    let bytes = std::fs::read(&png).unwrap();
    let truncated = temp("truncated.png");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let not_image = temp("not-an-image.png");
    std::fs::write(&not_image, "this is text, not a picture\n").unwrap();
    let blank = temp("blank.png");
    image::GrayImage::from_pixel(200, 200, image::Luma([255]))
        .save(&blank)
        .unwrap();
    for (path, reason) in [
        (&truncated, "damaged"),
        (&not_image, "damaged or unsupported"),
        (&blank, "no QR code found"),
        (&temp("missing.png"), "cannot open"),
    ] {
        let out = agent(&["--image", path.to_str().unwrap()], "");
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(9), "{}: {stdout}", path.display());
        assert!(stdout.starts_with("UNREADABLE"), "{stdout}");
        assert!(stdout.contains(reason), "{}: {stdout}", path.display());
    }
    // An unreadable image beside a valid one: the valid one is still reported, exit 9.
    let out = agent(
        &[
            "--image",
            blank.to_str().unwrap(),
            "--image",
            png.to_str().unwrap(),
        ],
        "",
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(9));
    assert!(stdout.contains("VALID"), "{stdout}");
}

#[test]
fn garbage_lines_are_refused_each_with_a_reason_and_exit_1() {
    let long = "X".repeat(20_000);
    let input = format!(
        "hello\nLYOC1:$$$\n{long}\n{}\n\u{0}\u{1}binary\n",
        vector("valid-adult.qr.txt").trim()
    );
    let out = agent(&[], &input);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.starts_with("  ")).collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    assert!(lines[0].starts_with("REFUSED"), "{stdout}");
    assert!(lines[1].starts_with("REFUSED"), "{stdout}");
    assert!(lines[2].starts_with("REFUSED"), "{stdout}");
    assert!(lines[3].starts_with("VALID"), "{stdout}");
    assert!(lines[4].starts_with("REFUSED"), "{stdout}");
}
