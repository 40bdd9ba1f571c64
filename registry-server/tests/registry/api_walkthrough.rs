//! docs/api.md is tested: this runs `scripts/api-walkthrough.sh`, which starts this crate's
//! `registry-server` binary on a fresh SQLite database and a free port, then runs every
//! ```sh block of the page in order (curl, jq, `card-agent verify`), each block checking its
//! own outcome. Any failing step fails this test, with the script's output and the server log.
//!
//! Without bash, curl or jq it is skipped on a plain `cargo test`, and fails under `CI=true`
//! or `REQUIRE_REAL_STACK=1` (scripts/test.sh installs them and sets that). The card-agent
//! binary is the one `cargo test --workspace` builds; no test runs cargo.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[test]
fn api_walkthrough_runs() {
    let missing: Vec<&str> = ["bash", "curl", "jq"]
        .into_iter()
        .filter(|t| !testkit::installed(t))
        .collect();
    if !testkit::require(
        &missing.join(", "),
        missing.is_empty(),
        "apt-get install bash curl jq (scripts/test.sh installs them)",
    ) {
        return;
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let server = PathBuf::from(env!("CARGO_BIN_EXE_registry-server"));
    let agent = testkit::binary("card-agent");
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
