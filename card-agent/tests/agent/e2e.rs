//! The whole system, end to end, on PostgreSQL and on SQLite: the real registry-server, the
//! real card-agent, pcscd with the virtual card, a printed PDF decoded by zbarimg.
//!
//! A registrar registers a patient, a clinician adds two tumours and two medicine
//! authorisations, the registrar issues the card; the agent writes it to a smart card and
//! prints the QR card. A pharmacist reads the smart card and dispenses, is refused the same
//! dispensing again, goes offline and dispenses from the printed QR (queued), comes back and
//! syncs. The registrar records the patient's death, which revokes the card: dispensing is
//! refused online, and after `trust sync` both the smart card and the QR are refused offline
//! as revoked.
//!
//! A second test kills the registry in the middle of a pharmacy sync and checks that no
//! dispensing is lost and none duplicated.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::registry::{call, postgres_schema, repo, Registry};
use crate::support::{temp_dir, Slot};
use serde_json::{json, Value};

struct Desk {
    registry: Registry,
    admin: String,
}

impl Desk {
    fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.registry.url)
    }

    fn post(&self, token: &str, path: &str, body: Value) -> Value {
        let (status, v) = call("POST", &self.api(path), token, Some(body));
        assert!((200..300).contains(&status), "POST {path}: {status} {v}");
        v
    }

    /// A pharmacy, and the tokens of a registrar, a clinician and a pharmacist.
    fn staff(&self) -> (String, String, String) {
        self.post(
            &self.admin,
            "/facilities",
            json!({"code": "LY-BEN-PH1", "name": "Al-Salam Pharmacy", "region": "east", "kind": "pharmacy"}),
        );
        (
            self.user("salma", "registrar", "LY-BEN-PED"),
            self.user("omar", "clinician", "LY-BEN-PED"),
            self.user("huda", "pharmacist", "LY-BEN-PH1"),
        )
    }

    fn user(&self, name: &str, role: &str, facility: &str) -> String {
        let v = self.post(
            &self.admin,
            "/users",
            json!({"username": name, "display_name": name, "role": role, "facility_code": facility}),
        );
        self.registry.approve(&v["approval"]);
        v["token"].as_str().unwrap().to_string()
    }
}

fn write_token(dir: &Path, name: &str, token: &str) -> PathBuf {
    let path = dir.join(format!("{name}.token"));
    std::fs::write(&path, token).unwrap();
    path
}

/// Runs the agent; returns (exit code, stdout, stderr).
fn agent(home: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    testkit::run(
        Command::new(env!("CARGO_BIN_EXE_card-agent"))
            .arg("--home")
            .arg(home)
            .args(args),
    )
}

fn ok(result: (Option<i32>, String, String), what: &str) -> String {
    assert_eq!(result.0, Some(0), "{what}: {}{}", result.1, result.2);
    result.1
}

/// The QR texts zbarimg finds in the PDF's pages, rendered at 300 dpi by pdftoppm.
fn zbar_texts(pdf: &Path) -> Vec<String> {
    let dir = pdf.with_extension("pages");
    std::fs::create_dir_all(&dir).unwrap();
    let status = Command::new("pdftoppm")
        .args(["-r", "300", "-png"])
        .arg(pdf)
        .arg(dir.join("page"))
        .status()
        .expect("pdftoppm (poppler-utils) is installed: run scripts/test.sh");
    assert!(status.success());
    let mut texts = Vec::new();
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    pages.sort();
    for page in pages {
        let out = Command::new("zbarimg")
            .args(["--raw", "-q", "-Sdisable", "-Sqrcode.enable"])
            .arg(&page)
            .output()
            .expect("zbarimg (zbar-tools) is installed: run scripts/test.sh");
        texts.extend(
            String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_string),
        );
    }
    texts
}

fn story(database_url: Option<String>, label: &str) {
    let dir = temp_dir(&format!("e2e-{label}"));
    let registry = match &database_url {
        Some(url) => Registry::start_on(&dir.join("registry"), url),
        None => Registry::start(&dir.join("registry")),
    };
    let admin = registry.admin_token();
    let desk = Desk { registry, admin };
    let server = desk.registry.url.clone();
    let root = repo().join("fixtures/keys/root.pub.pem");
    let root = root.to_str().unwrap();

    // Ministry admin: a pharmacy and the staff.
    let (registrar, clinician, pharmacist) = desk.staff();
    let registrar_file = write_token(&dir, "registrar", &registrar);
    let pharmacist_file = write_token(&dir, "pharmacist", &pharmacist);

    // Registrar: the patient. Clinician: two tumours and two authorisations.
    let patient = desk.post(
        &registrar,
        "/patients",
        json!({"id_type": "national", "id_value": "219730412345",
               "name_ar": ["فاطمة", "محمد", "عبدالله", "المنصوري"],
               "name_latin": ["Fatima", "Mohamed", "Abdullah", "Almansouri"],
               "sex": "female", "birth_date": "1973-04-12", "blood_group": "A+"}),
    );
    let pid = patient["patient"]["id"].as_str().unwrap().to_string();
    for (icd, topo, morph) in [("C50.4", "C50.4", 8500), ("C18.7", "C18.7", 8140)] {
        desk.post(
            &clinician,
            &format!("/patients/{pid}/tumours"),
            json!({"icd10": icd, "topography": topo, "morphology": morph, "behaviour": 3,
                   "grade": 2, "basis": 7, "incidence": "2025-09-03",
                   "stage": {"scheme": "tnm8", "t": "T2", "n": "N1", "m": "M0", "group": "IIB"}}),
        );
    }
    let tamoxifen = desk.post(
        &clinician,
        &format!("/patients/{pid}/medicines"),
        json!({"atc": "L02BA01", "name": "tamoxifen", "strength": "20 mg", "form": "tablet",
               "quantity": 30, "dispensings": 6, "interval_days": 28, "valid_until": "2030-12-31"}),
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    let ondansetron = desk.post(
        &clinician,
        &format!("/patients/{pid}/medicines"),
        json!({"atc": "A04AA01", "name": "ondansetron", "strength": "8 mg", "form": "tablet",
               "quantity": 10, "dispensings": 20, "interval_days": 0, "valid_until": "2030-12-31"}),
    )["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Registrar: the card.
    let card = desk.post(&registrar, &format!("/patients/{pid}/cards"), json!({}));
    let serial = card["serial"].as_str().unwrap().to_string();

    // The desk's agent: trust, then the smart card and the printed card.
    let desk_home = dir.join("desk");
    ok(
        agent(
            &desk_home,
            &["trust", "sync", "--server", &server, "--root", root],
        ),
        "desk trust sync",
    );
    let slot = Slot::lock();
    let reader = slot.reader().to_str().unwrap().to_string();
    let image = dir.join("smart-card.json");
    let mut smart_card = Some(slot.start_card(&["--image", image.to_str().unwrap()]));
    let out = ok(
        agent(
            &desk_home,
            &[
                "write",
                "--reader",
                &reader,
                "--serial",
                &serial,
                "--server",
                &server,
                "--token-file",
                registrar_file.to_str().unwrap(),
            ],
        ),
        "write",
    );
    assert!(out.starts_with("WRITTEN"), "{out}");
    let pdf = dir.join("card.pdf");
    ok(
        agent(
            &desk_home,
            &[
                "print",
                "--serial",
                &serial,
                "--server",
                &server,
                "--token-file",
                registrar_file.to_str().unwrap(),
                "-o",
                pdf.to_str().unwrap(),
            ],
        ),
        "print",
    );
    let printed = zbar_texts(&pdf);
    assert_eq!(printed.len(), 1, "one QR code in the PDF: {printed:?}");
    let qr = printed[0].clone();

    // The pharmacy: trust sync, read the smart card, dispense online.
    let pharmacy = dir.join("pharmacy");
    ok(
        agent(
            &pharmacy,
            &["trust", "sync", "--server", &server, "--root", root],
        ),
        "pharmacy trust sync",
    );
    let token = pharmacist_file.to_str().unwrap();
    let shown = ok(
        agent(
            &pharmacy,
            &[
                "dispense",
                "--reader",
                &reader,
                "--server",
                &server,
                "--token-file",
                token,
                "--json",
            ],
        ),
        "dispense (show)",
    );
    let shown: Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(shown["serial"], serial.as_str());
    assert_eq!(shown["medicines"].as_array().unwrap().len(), 2, "{shown}");
    let out = ok(
        agent(
            &pharmacy,
            &[
                "dispense",
                "--reader",
                &reader,
                "--medicine",
                &tamoxifen,
                "--server",
                &server,
                "--token-file",
                token,
                "--json",
            ],
        ),
        "dispense online",
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["state"], "recorded", "{v}");

    // The same dispensing again: refused (interval of 28 days).
    let (code, out, err) = agent(
        &pharmacy,
        &[
            "dispense",
            "--reader",
            &reader,
            "--medicine",
            &tamoxifen,
            "--server",
            &server,
            "--token-file",
            token,
            "--json",
        ],
    );
    assert_eq!(code, Some(1), "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["code"], "too_soon", "{v}");

    // Offline (the registry unreachable): dispense from the printed QR; it is queued.
    let out = ok(
        agent(
            &pharmacy,
            &[
                "dispense",
                "--qr",
                &qr,
                "--medicine",
                &ondansetron,
                "--server",
                "http://127.0.0.1:9",
                "--token-file",
                token,
                "--json",
            ],
        ),
        "dispense offline",
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["state"], "queued", "{v}");
    // Back online: sync sends it.
    let out = ok(
        agent(
            &pharmacy,
            &["sync", "--server", &server, "--token-file", token, "--json"],
        ),
        "sync",
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["recorded"].as_u64(), v["remaining"].as_u64()),
        (Some(1), Some(0)),
        "{v}"
    );
    let (status, rows) = call(
        "GET",
        &desk.api(&format!("/authorisations/{ondansetron}/dispensings")),
        &pharmacist,
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");

    // The patient dies: the registrar records the death, which revokes the card (an explicit
    // revocation is the API tests' story); online the pharmacy is refused at once, and after
    // trust sync both forms are refused offline.
    let today = card_format::model::Date::from_unix_seconds(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .to_string();
    let death = desk.post(
        &registrar,
        &format!("/patients/{pid}/follow-ups"),
        json!({"last_contact": today, "vital_status": "dead", "death_date": today,
               "death_cause": "C50.9"}),
    );
    assert_eq!(death["revoked_cards"], json!([serial]), "{death}");
    let (status, refused) = call(
        "POST",
        &desk.api("/dispensings"),
        &pharmacist,
        Some(
            json!({"idempotency_key": "after-the-death", "card_serial": serial,
                    "authorisation_id": ondansetron.parse::<u64>().unwrap(), "quantity": 10}),
        ),
    );
    assert_eq!(
        (status, refused["code"].as_str()),
        (409, Some("card_revoked")),
        "{refused}"
    );
    ok(
        agent(&pharmacy, &["trust", "sync", "--server", &server]),
        "trust sync",
    );
    drop(desk); // the registry is gone: everything below is offline
    let (code, out, err) = agent(&pharmacy, &["read", "--reader", &reader, "--json"]);
    assert_eq!(code, Some(1), "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["error"], "revoked", "{v}");
    let (code, out, _) = agent(&pharmacy, &["verify", "--json", &qr]);
    assert_eq!(code, Some(1), "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["error"], "revoked", "{v}");
    let (code, out, _) = agent(
        &pharmacy,
        &[
            "dispense",
            "--qr",
            &qr,
            "--medicine",
            &ondansetron,
            "--offline",
            "--json",
        ],
    );
    assert_eq!(code, Some(1), "a revoked card gets nothing: {out}");
    smart_card.take();
}

#[test]
fn the_whole_story_on_postgresql() {
    if let Some(url) = postgres_schema("e2e") {
        story(Some(url), "pg");
    }
}

#[test]
fn the_whole_story_on_sqlite() {
    story(None, "sqlite");
}

/// The registry is killed (SIGKILL) while the pharmacy syncs 150 queued dispensings, then
/// restarted on the same database; a second sync finishes. Every dispensing is recorded
/// exactly once.
fn kill_mid_sync(database_url: Option<String>, label: &str) {
    let dir = temp_dir(&format!("e2e-kill-{label}"));
    let registry_dir = dir.join("registry");
    let start = |url: &Option<String>| match url {
        Some(url) => Registry::start_on(&registry_dir, url),
        None => Registry::start(&registry_dir),
    };
    let registry = start(&database_url);
    let admin = registry.admin_token();
    let desk = Desk { registry, admin };
    let (registrar, clinician, pharmacist) = desk.staff();
    let patient = desk.post(
        &registrar,
        "/patients",
        json!({"id_type": "national", "id_value": "119850012345", "name_ar": ["يوسف", "خالد"],
               "name_latin": ["Yousef", "Khaled"], "sex": "male", "birth_date": "1985-01-01"}),
    );
    let pid = patient["patient"]["id"].as_str().unwrap().to_string();
    let auth = desk.post(
        &clinician,
        &format!("/patients/{pid}/medicines"),
        json!({"atc": "A04AA01", "name": "ondansetron", "strength": "8 mg", "form": "tablet",
               "quantity": 10, "dispensings": 366, "interval_days": 0, "valid_until": "2030-12-31"}),
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    let card = desk.post(&registrar, &format!("/patients/{pid}/cards"), json!({}));
    let qr = card["qr"].as_str().unwrap().to_string();
    let pharmacy = dir.join("pharmacy");
    let root = repo().join("fixtures/keys/root.pub.pem");
    ok(
        agent(
            &pharmacy,
            &[
                "trust",
                "sync",
                "--server",
                &desk.registry.url,
                "--root",
                root.to_str().unwrap(),
            ],
        ),
        "trust sync",
    );
    let token = write_token(&dir, "pharmacist", &pharmacist);
    let token = token.to_str().unwrap();
    const QUEUED: usize = 150;
    for _ in 0..QUEUED {
        ok(
            agent(
                &pharmacy,
                &[
                    "dispense",
                    "--qr",
                    &qr,
                    "--medicine",
                    &auth,
                    "--offline",
                    "--json",
                ],
            ),
            "dispense offline",
        );
    }
    // Sync, and kill the registry once the first dispensings have arrived.
    let url = desk.registry.url.clone();
    let sync = Command::new(env!("CARGO_BIN_EXE_card-agent"))
        .arg("--home")
        .arg(&pharmacy)
        .args(["sync", "--json", "--server", &url, "--token-file", token])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Ten dispensings answered (the registry logs each response it sends): then the kill.
    desk.registry.wait_for_log(
        &["route=/api/v1/dispensings", "finished processing request"],
        10,
        Duration::from_secs(60),
    );
    let Desk { mut registry, .. } = desk;
    registry.kill();
    let out = sync.wait_with_output().unwrap();
    let first: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(8),
        "the sync saw the registry die: {first} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let remaining = first["remaining"].as_u64().unwrap();
    assert!(remaining > 0 && remaining < QUEUED as u64, "{first}");
    drop(registry);

    // Back up on the same database: the second sync sends the rest.
    let registry = start(&database_url);
    let out = ok(
        agent(
            &pharmacy,
            &[
                "sync",
                "--json",
                "--server",
                &registry.url,
                "--token-file",
                token,
            ],
        ),
        "second sync",
    );
    let second: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(second["remaining"], 0, "{second}");
    let (_, rows) = call(
        "GET",
        &format!("{}/api/v1/authorisations/{auth}/dispensings", registry.url),
        &pharmacist,
        None,
    );
    let rows = rows.as_array().unwrap();
    assert_eq!(
        rows.len(),
        QUEUED,
        "every queued dispensing recorded exactly once"
    );
    let mut keys: Vec<&str> = rows
        .iter()
        .map(|r| r["idempotency_key"].as_str().unwrap())
        .collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), QUEUED);
}

#[test]
fn killing_the_registry_mid_sync_loses_and_duplicates_nothing_on_postgresql() {
    if let Some(url) = postgres_schema("kill") {
        kill_mid_sync(Some(url), "pg");
    }
}

#[test]
fn killing_the_registry_mid_sync_loses_and_duplicates_nothing_on_sqlite() {
    kill_mid_sync(None, "sqlite");
}
