//! The web desk writes a card to a smart card and reads it back, from the page, through the
//! desk's own `card-agent serve`: real headless Chromium (Debian's /usr/bin/chromium, driven
//! by playwright-core from tests/browser/smartcard.mjs), the real registry-server binary on
//! SQLite, the real card-agent binary, the real pcscd and the virtual card in the slot of
//! `CARD_AGENT_TEST_VPCD_PORT` (tests/agent/support.rs).
//!
//! The page is only a messenger: afterwards `card-agent read` (not the page) must find the
//! registry's card on the smart card, verified with the root key.
//!
//! Needs node, npm and /usr/bin/chromium (scripts/test.sh installs them); without them the
//! test says what is missing and is skipped on a plain `cargo test`, and fails under
//! `CI=true` or `REQUIRE_REAL_STACK=1` (as scripts/test.sh sets), as the registry's browser
//! test does. `npm ci` runs in tests/browser when its node_modules is missing. Screenshots go to
//! target/browser-screenshots/smartcard-*.png.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::registry::{call, repo, Registry};
use crate::support::{temp_dir, Slot};
use serde_json::{json, Value};

/// The browser tests' folder (package.json, package-lock.json, the journeys).
fn browser_dir() -> PathBuf {
    repo().join("tests/browser")
}

/// The tools the journey needs that this machine lacks.
fn missing_tools() -> Vec<&'static str> {
    let mut missing = Vec::new();
    for tool in ["node", "npm"] {
        if !testkit::installed(tool) {
            missing.push(tool);
        }
    }
    if !Path::new("/usr/bin/chromium").exists() {
        missing.push("/usr/bin/chromium");
    }
    missing
}

/// Installs playwright-core from the committed lock file unless it is there already.
fn npm_ci() {
    if browser_dir().join("node_modules/playwright-core").is_dir() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(browser_dir())
        .status()
        .expect("npm is needed for the browser tests: bash scripts/test.sh installs it");
    assert!(status.success(), "npm ci in tests/browser failed");
}

fn post(registry: &Registry, token: &str, path: &str, body: Value) -> Value {
    let (status, v) = call(
        "POST",
        &format!("{}/api/v1{path}", registry.url),
        token,
        Some(body),
    );
    assert!((200..300).contains(&status), "POST {path}: {status} {v}");
    v
}

/// `PUT /api/v1/users/{id}/password` as the admin, approved by the second admin.
fn set_password(registry: &Registry, admin: &str, user_id: &str, password: &str) {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let mut response = agent
        .put(format!("{}/api/v1/users/{user_id}/password", registry.url))
        .header("Authorization", &format!("Bearer {admin}"))
        .header("Content-Type", "application/json")
        .send(json!({ "password": password }).to_string())
        .unwrap();
    assert_eq!(response.status().as_u16(), 202, "setting the password");
    let held: Value = serde_json::from_slice(&response.body_mut().read_to_vec().unwrap()).unwrap();
    registry.approve(&held);
}

/// `card-agent serve` on a port it chooses itself, stopped (SIGKILL) when dropped; its port.
fn serve(home: &Path, origin: &str, reader: &str) -> (testkit::Child, u16) {
    let mut command = crate::registry::agent(home);
    command.args([
        "serve", "--origin", origin, "--port", "0", "--reader", reader,
    ]);
    let child = testkit::Child::start(command);
    let port = child
        .url
        .rsplit(':')
        .next()
        .and_then(|p| p.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap();
    (child, port)
}

/// Runs the agent with its home in `home`; returns (exit code, stdout, stderr).
fn run_agent(home: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    testkit::run(crate::registry::agent(home).args(args))
}

#[test]
fn the_page_writes_the_card_to_a_smart_card_and_reads_it_back_through_card_agent_serve() {
    let missing = missing_tools();
    if !testkit::require(
        &format!("the smart-card browser journey's {missing:?}"),
        missing.is_empty(),
        "bash scripts/test.sh installs them",
    ) {
        return;
    }
    npm_ci();
    let dir = temp_dir("desk-browser");
    let registry = Registry::start(&dir.join("registry"));
    let admin = registry.admin_token();
    let root = repo().join("fixtures/keys/root.pub.pem");

    // A registrar with a desk password; a patient and her card, through the API.
    let password = "a long desk password 1";
    let created = post(
        &registry,
        &admin,
        "/users",
        json!({"username": "salma", "display_name": "Salma", "role": "registrar",
               "facility_code": "LY-BEN-PED"}),
    );
    registry.approve(&created["approval"]);
    let registrar = created["token"].as_str().unwrap().to_string();
    set_password(
        &registry,
        &admin,
        created["user"]["id"].as_str().unwrap(),
        password,
    );
    let patient = post(
        &registry,
        &registrar,
        "/patients",
        json!({"id_type": "national", "id_value": "219730412345",
               "name_ar": ["فاطمة", "محمد", "عبدالله", "المنصوري"],
               "name_latin": ["Fatima", "Mohamed", "Abdullah", "Almansouri"],
               "sex": "female", "birth_date": "1973-04-12", "blood_group": "A+"}),
    );
    let pid = patient["patient"]["id"].as_str().unwrap().to_string();
    let card = post(
        &registry,
        &registrar,
        &format!("/patients/{pid}/cards"),
        json!({}),
    );
    let serial = card["serial"].as_str().unwrap().to_string();

    // The desk's computer: trust synced, a blank smart card in the reader, the agent serving
    // the registry's origin.
    let home = dir.join("desk");
    let synced = run_agent(
        &home,
        &[
            "trust",
            "sync",
            "--server",
            &registry.url,
            "--root",
            root.to_str().unwrap(),
        ],
    );
    assert_eq!(synced.0, Some(0), "trust sync: {}{}", synced.1, synced.2);
    let slot = Slot::lock();
    let reader = slot.reader().to_str().unwrap().to_string();
    let image = dir.join("smart-card.json");
    let _card = slot.start_card(&["--image", image.to_str().unwrap()]);
    let (serve, port) = serve(&home, &registry.url, &reader);
    let pairing = std::fs::read_to_string(home.join("serve-pairing-code"))
        .unwrap()
        .trim()
        .to_string();

    // The page: sign in, open the record, pair with the agent, write, then read.
    let shots = repo().join("target/browser-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let profiles = dir.join("profiles");
    std::fs::create_dir_all(&profiles).unwrap();
    let out = Command::new("node")
        .arg("--test")
        .arg(browser_dir().join("smartcard.mjs"))
        .current_dir(browser_dir())
        .env("DESK_URL", &registry.url)
        .env("DESK_USER", "salma")
        .env("DESK_PASSWORD", password)
        .env("PATIENT_ID", &pid)
        .env("CARD_SERIAL", &serial)
        .env("AGENT_PORT", port.to_string())
        .env("PAIRING_CODE", &pairing)
        .env("SCREENSHOT_DIR", &shots)
        .env("PROFILE_DIR", &profiles)
        .env("CHROMIUM", "/usr/bin/chromium")
        .output()
        .expect("node is needed for the browser tests: bash scripts/test.sh installs it");
    assert!(
        out.status.success(),
        "the browser journey failed:\n{}\n{}\nagent log:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        serve.stderr()
    );

    // Not the page's word for it: the smart card itself holds the registry's card.
    let log = serve.stderr();
    drop(serve);
    let read = run_agent(&home, &["read", "--reader", &reader, "--json"]);
    assert_eq!(read.0, Some(0), "read: {}{}", read.1, read.2);
    let read: Value = serde_json::from_str(&read.1).unwrap();
    assert_eq!(read["serial"], serial.as_str(), "{read}");
    // The agent's log names requests; the pairing code only in its start banner (for the
    // person at the desk), never the patient.
    assert!(log.contains("/v1/card/write"), "{log}");
    assert_eq!(log.matches(pairing.as_str()).count(), 1, "{log}");
    assert!(!log.contains("Fatima") && !log.contains("فاطمة"), "{log}");
}
