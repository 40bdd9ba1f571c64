//! `card-agent verify` as a user runs it: the real binary, the committed test vectors.

// Helpers outside #[test] functions unwrap too: a panic there is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Verification time of the vectors (2026-06-01).
const NOW: &str = "1780272000";

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/vectors")
}

fn agent(args: &[&str], stdin: &str) -> Output {
    let dir = vectors();
    let mut child = Command::new(env!("CARGO_BIN_EXE_card-agent"))
        .arg("verify")
        .arg("--root")
        .arg(dir.join("root.pub.pem"))
        .arg("--bundle")
        .arg(dir.join("trust-bundle.cose.hex"))
        .args(["--now", NOW])
        .args(args)
        .env_remove("CARD_AGENT_ROOT_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
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
