//! `card-agent verify-batch` on claims files built from the committed test vectors.

use std::path::{Path, PathBuf};
use std::process::Command;

use card_format::serial::CardSerial;
use sha2::{Digest, Sha256};

const NOW: &str = "1780272000";

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/vectors")
}

fn qr(name: &str) -> String {
    std::fs::read_to_string(vectors().join(name))
        .unwrap()
        .trim()
        .to_string()
}

/// The serial the vector generator derives from a name (fixtures/vectors).
fn vector_serial(name: &str) -> String {
    let digest = Sha256::digest(format!("card-format test serial: {name}"));
    CardSerial::from_bytes(&digest[..10]).unwrap().to_string()
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("card-agent-batch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn batch(input: &Path, extra: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_card-agent"))
        .args([
            "--home",
            "/nonexistent",
            "verify-batch",
            "--now",
            NOW,
            "--root",
        ])
        .arg(vectors().join("root.pub.pem"))
        .arg("--bundle")
        .arg(vectors().join("trust-bundle.cose.hex"))
        .arg(input)
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn csv_claims_get_one_report_row_each_in_order() {
    let input = temp("claims.csv");
    std::fs::write(
        &input,
        format!(
            "claim_id,qr,card_serial\n\
             A1,{},\n\
             A2,{},\n\
             A3,{},\n\
             A4,garbage,\n\
             A5,,{}\n\
             A6,,{}\n\
             A7,,not-a-serial\n\
             A8,,\n",
            qr("valid-adult.qr.txt"),
            qr("revoked.qr.txt"),
            qr("superseded-warns.qr.txt"),
            vector_serial("revoked"),
            vector_serial("valid-adult"),
        ),
    )
    .unwrap();
    for jobs in ["1", "2", "3"] {
        let (code, out, err) = batch(&input, &["--jobs", jobs]);
        assert_eq!(code, Some(1), "{err}");
        let mut reader = csv::Reader::from_reader(out.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let got: Vec<(&str, &str, &str)> = rows.iter().map(|r| (&r[0], &r[1], &r[2])).collect();
        assert_eq!(
            got,
            [
                ("A1", "valid", ""),
                ("A2", "revoked", "revoked"),
                ("A3", "superseded", "superseded"),
                ("A4", "invalid", "not_a_card"),
                ("A5", "revoked", "revoked"),
                ("A6", "unchecked", "serial_only"),
                ("A7", "invalid", rows[6].get(2).unwrap()),
                ("A8", "invalid", "bad_row"),
            ],
            "jobs {jobs}: {out}"
        );
        assert!(!rows[6][2].is_empty(), "{out}");
        assert_eq!(&rows[0][3], vector_serial("valid-adult").as_str());
        assert!(err.contains("8 claims"), "{err}");
    }
}

#[test]
fn jsonl_claims_and_a_bad_line_give_a_jsonl_report() {
    let input = temp("claims.jsonl");
    std::fs::write(
        &input,
        format!(
            "{{\"claim_id\":\"J1\",\"qr\":\"{}\"}}\n\
             {{not json\n\
             \n\
             {{\"claim_id\":\"J3\",\"card_serial\":\"{}\"}}\n",
            qr("valid-paediatric.qr.txt"),
            vector_serial("revoked"),
        ),
    )
    .unwrap();
    let report = temp("report.jsonl");
    let (code, _, err) = batch(&input, &["-o", report.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{err}");
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(&report)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["status"], "valid");
    assert_eq!(rows[0]["claim_id"], "J1");
    assert_eq!(rows[1]["reason"], "bad_row");
    assert!(rows[1]["message"].as_str().unwrap().contains("line 2"));
    assert_eq!(rows[2]["status"], "revoked");
}

#[test]
fn all_valid_exits_0_and_an_overlong_line_is_a_usage_error() {
    let input = temp("good.csv");
    std::fs::write(
        &input,
        format!("claim_id,qr\nG1,{}\n", qr("valid-adult.qr.txt")),
    )
    .unwrap();
    let (code, out, err) = batch(&input, &[]);
    assert_eq!(code, Some(0), "{out}{err}");

    let long = temp("long.csv");
    std::fs::write(&long, format!("claim_id,qr\nL1,{}\n", "A".repeat(100_000))).unwrap();
    let (code, _, err) = batch(&long, &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("longer than"), "{err}");

    let (code, _, err) = batch(&temp("missing.csv"), &[]);
    assert_eq!(code, Some(2), "{err}");
}
