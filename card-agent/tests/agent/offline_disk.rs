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

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A small tmpfs, unmounted (lazily) when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount() -> Option<Tmpfs> {
        if !is_root() {
            return None;
        }
        let dir = std::env::temp_dir().join(format!("agent-tmpfs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Tmpfs(dir))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Fills the file system under `dir` with one file until a write fails for lack of space.
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let filler = dir.join("filler");
    let mut file = std::fs::File::create(&filler).unwrap();
    let chunk = vec![0u8; 4096];
    while file.write_all(&chunk).is_ok() {}
    let _ = file.sync_all();
    filler
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
    let disk = Tmpfs::mount();
    if !testkit::require(
        "a tmpfs of the test's own (mount, as root)",
        disk.is_some(),
        "run the tests as root, as scripts/test.sh does in CI",
    ) {
        return;
    }
    let disk = disk.unwrap();
    let home = disk.0.join("agent");
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
    let filler = fill(&disk.0);
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
