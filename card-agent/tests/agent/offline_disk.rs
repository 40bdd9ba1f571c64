//! The pharmacy offline on a full disk (issue #17): the agent's local store refuses the
//! dispensing with a clear message before anything is handed over, and loses no queued item.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/vectors")
}

/// `card-agent --home HOME <args> --root ... --bundle ... --now NOW`.
fn agent(home: &Path, args: &[&str], now: u64) -> Output {
    Command::new(env!("CARGO_BIN_EXE_card-agent"))
        .arg("--home")
        .arg(home)
        .args(args)
        .arg("--root")
        .arg(vectors().join("root.pub.pem"))
        .arg("--bundle")
        .arg(vectors().join("trust-bundle.cose.hex"))
        .args(["--now", &now.to_string()])
        .output()
        .unwrap()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "not JSON: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn a_full_disk_refuses_the_dispensing_before_the_hand_over_and_keeps_the_queue() {
    let disk = testkit::Tmpfs::mount("4m");
    if !testkit::require(
        "a tmpfs of the test's own (mount, as root)",
        disk.is_some(),
        "run the tests as root, as scripts/test.sh does in CI",
    ) {
        return;
    }
    let disk = disk.unwrap();
    let home = disk.path.join("agent");
    let qr = std::fs::read_to_string(vectors().join("valid-adult.qr.txt")).unwrap();
    let qr = qr.trim();
    let now = 1_780_272_000u64;
    let listed = json(&agent(
        &home,
        &["dispense", "--qr", qr, "--offline", "--json"],
        now,
    ));
    let first = &listed["medicines"][0];
    let id = first["authorisation_id"].to_string();
    let interval = first["interval_days"].as_u64().unwrap();
    let dispense = |at: u64| {
        agent(
            &home,
            &[
                "dispense",
                "--qr",
                qr,
                "--medicine",
                &id,
                "--offline",
                "--json",
            ],
            at,
        )
    };
    let queued = dispense(now);
    assert_eq!(
        queued.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&queued.stderr)
    );
    assert_eq!(json(&queued)["state"], "queued");

    // The disk fills up: the next dispensing is refused before anything is handed over.
    let filler = disk.fill();
    let later = now + (interval + 1) * 86_400;
    let refused = dispense(later);
    let said = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{said}");
    assert!(
        said.contains("disk is full") && said.contains("hand nothing over"),
        "{said}"
    );
    assert!(
        !String::from_utf8_lossy(&refused.stdout).contains("\"dispensed\":true"),
        "nothing is reported dispensed"
    );

    // Space again: the queued dispensing is still there, and the refused one goes through.
    std::fs::remove_file(filler).unwrap();
    let again = dispense(later);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let listed = json(&agent(
        &home,
        &["dispense", "--qr", qr, "--offline", "--json"],
        later,
    ));
    assert_eq!(
        listed["medicines"][0]["dispensed_here"], 2,
        "the first queued dispensing was kept: {listed}"
    );
}
