//! docs/api.md is tested: this runs `scripts/api-walkthrough.sh`, which starts this crate's
//! `registry-server` binary on a fresh SQLite database and a free port, then runs every
//! ```sh block of the page in order (curl, jq, `card-agent verify`), each block checking its
//! own outcome. Any failing step fails this test, with the script's output and the server log.
//!
//! Skipped, with a message, only when bash, curl or jq is not installed (scripts/test.sh
//! installs them).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn installed(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The card-agent binary of the same build (profile and target directory) as this crate's
/// binary, built or brought up to date first: `cargo test -p registry-server` alone does not
/// build other packages' binaries.
fn card_agent(repo: &Path, server: &Path) -> PathBuf {
    let dir = server.parent().expect("binary directory");
    let mut build = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    build.current_dir(repo).args([
        "build",
        "--quiet",
        "--package",
        "card-agent",
        "--bin",
        "card-agent",
    ]);
    // target/debug is the `dev` profile; any other directory is named after its profile.
    match dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => {}
        Some(profile) => {
            build.args(["--profile", profile]);
        }
    }
    let status = build.status().expect("cargo runs");
    assert!(
        status.success(),
        "cargo build -p card-agent failed: {status}"
    );
    let agent = dir.join(format!("card-agent{}", std::env::consts::EXE_SUFFIX));
    assert!(agent.is_file(), "{} was not built", agent.display());
    agent
}

#[test]
fn api_walkthrough_runs() {
    let missing: Vec<&str> = ["bash", "curl", "jq"]
        .into_iter()
        .filter(|t| !installed(t))
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "api walkthrough SKIPPED: {} not installed (bash scripts/test.sh installs them)",
            missing.join(", ")
        );
        return;
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let server = PathBuf::from(env!("CARGO_BIN_EXE_registry-server"));
    let agent = card_agent(&repo, &server);
    let output = Command::new("bash")
        .arg(repo.join("scripts/api-walkthrough.sh"))
        .current_dir(&repo)
        .env("REGISTRY_SERVER", &server)
        .env("CARD_AGENT", &agent)
        .env_remove("KEEP_WALKTHROUGH_DIR")
        .stdin(Stdio::null())
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "scripts/api-walkthrough.sh failed ({}): a step of docs/api.md no longer works\n\
         --- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
        output.status
    );
    assert!(
        stderr.contains("blocks passed"),
        "the walkthrough did not report success:\n{stderr}"
    );
    eprint!("{stderr}");
}
