//! The web desk in a real browser: starts the real `registry-server` binary on a fresh SQLite
//! file with the fixture keys, on a port it chooses itself, creates a registrar, a clinician, a
//! pharmacist, a statistician, a supply officer and an inspector with passwords through the
//! admin API (and a second pharmacy's pharmacist with an API token), then runs the Node journeys of
//! `tests/browser/` (headless Chromium from `/usr/bin/chromium` through playwright-core) and
//! asserts they pass, printing Node's output when they do not.
//!
//! Without `node`, `npm` or `/usr/bin/chromium` the test says what is missing and is skipped
//! on a plain `cargo test`; under `CI=true` or `REQUIRE_REAL_STACK=1` (as `scripts/test.sh`
//! sets) that is a failure.
//! Screenshots of every page visited go to `<target dir>/browser-screenshots/`.
//!
//! Beside it, without a browser: `registry-server set-password` on the same real server.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Value};

const CHROMIUM: &str = "/usr/bin/chromium";
const PASSWORD: &str = "browser test password 1";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The target directory of this build (the binary is `<target>/<profile>/registry-server`).
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_registry-server"))
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .to_path_buf()
}

/// The server (killed on drop) and its data directory.
struct Server {
    child: testkit::Child,
    port: u16,
    dir: tempfile::TempDir,
    /// The second admin's token, made on first use.
    admin2: std::sync::OnceLock<String>,
}

impl Server {
    fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite:{}?mode=rwc",
            dir.path().join("registry.sqlite").display()
        );
        let child = testkit::Child::start(testkit::registry_command(dir.path(), &url));
        let port = child
            .url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap();
        Server {
            child,
            port,
            dir,
            admin2: std::sync::OnceLock::new(),
        }
    }

    fn log(&self) -> String {
        self.child.stderr()
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn admin(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("first-admin-token"))
            .unwrap()
            .trim()
            .to_string()
    }

    /// The second admin approves the request `approval` (null: nothing to approve). The
    /// first admin makes the second on first use (at once, while there is one admin).
    fn approve(&self, approval: &Value) {
        if approval.is_null() {
            return;
        }
        let second = self.admin2.get_or_init(|| {
            let (status, body) = self.call(
                "POST",
                "/api/v1/users",
                &self.admin(),
                Some(
                    json!({"username": "admin2", "display_name": "Admin 2", "role": "admin",
                    "facility_code": "LY-MOH"}),
                ),
            );
            assert_eq!(status, 201, "{body}");
            body["token"].as_str().unwrap().to_string()
        });
        let id = approval["id"].as_str().unwrap();
        let (status, body) = self.call(
            "POST",
            &format!("/api/v1/approvals/{id}/approve"),
            second,
            None,
        );
        assert_eq!(status, 200, "{body}");
    }

    /// One HTTP/1.1 request (`Connection: close`); status and body.
    fn call(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        let Ok(mut tcp) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return (0, Value::Null);
        };
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let auth = if token.is_empty() {
            String::new()
        } else {
            format!("Authorization: Bearer {token}\r\n")
        };
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{auth}\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        tcp.write_all(request.as_bytes()).unwrap();
        let mut response = Vec::new();
        let _ = tcp.read_to_end(&mut response);
        let text = String::from_utf8_lossy(&response);
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        (status, serde_json::from_str(body).unwrap_or(Value::Null))
    }

    /// A user with a desk password; returns (username, API token).
    fn user(&self, username: &str, role: &str, facility: &str) -> (String, String) {
        let (status, body) = self.call(
            "POST",
            "/api/v1/users",
            &self.admin(),
            Some(
                json!({"username": username, "display_name": format!("Browser {role}"),
                "role": role, "facility_code": facility}),
            ),
        );
        assert_eq!(status, 201, "{body}");
        self.approve(&body["approval"]);
        let id = body["user"]["id"].as_str().unwrap();
        let (status, body2) = self.call(
            "PUT",
            &format!("/api/v1/users/{id}/password"),
            &self.admin(),
            Some(json!({ "password": PASSWORD })),
        );
        assert_eq!(status, 202, "{body2}");
        self.approve(&body2);
        (
            username.to_string(),
            body["token"].as_str().unwrap().to_string(),
        )
    }
}

/// What is missing for the browser journeys, if anything.
fn missing_tools() -> Vec<&'static str> {
    let mut missing = Vec::new();
    // pdftoppm (poppler-utils) rasterises the printed card the pharmacy uploads as a photo.
    for tool in ["node", "npm", "pdftoppm"] {
        let found = Command::new(tool)
            .arg("-v")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            missing.push(tool);
        }
    }
    if !Path::new(CHROMIUM).exists() {
        missing.push(CHROMIUM);
    }
    missing
}

#[test]
fn browser_journeys_pass_in_headless_chromium() {
    let missing = missing_tools();
    if !testkit::require(
        &format!("the browser journeys' {}", missing.join(", ")),
        missing.is_empty(),
        "apt-get install chromium nodejs npm poppler-utils (scripts/test.sh installs them)",
    ) {
        return;
    }
    let browser_dir = repo().join("tests/browser");
    if !browser_dir.join("node_modules/playwright-core").is_dir() {
        let out = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&browser_dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "npm ci failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let server = Server::start();
    let admin = server.admin();
    let (status, body) = server.call(
        "POST",
        "/api/v1/facilities",
        &admin,
        Some(
            json!({"code": "LY-BEN-PH1", "name": "Benghazi pharmacy 1", "region": "east",
            "kind": "pharmacy"}),
        ),
    );
    assert_eq!(status, 201, "{body}");
    let (status, body) = server.call(
        "POST",
        "/api/v1/facilities",
        &admin,
        Some(
            json!({"code": "LY-BEN-PH2", "name": "Benghazi pharmacy 2", "region": "east",
            "kind": "pharmacy"}),
        ),
    );
    assert_eq!(status, 201, "{body}");
    let (registrar, registrar_token) = server.user("desk.registrar", "registrar", "LY-BEN-PED");
    let (clinician, _) = server.user("desk.clinician", "clinician", "LY-BEN-PED");
    let (pharmacist, _) = server.user("desk.pharmacist", "pharmacist", "LY-BEN-PH1");
    let (statistician, _) = server.user("desk.statistician", "statistician", "LY-MOH");
    let (_, clinician_token) = server.user("desk.clinician2", "clinician", "LY-BEN-PED");
    // Medicines and supplies: a second pharmacy's pharmacist (whose offline dispensing the
    // journeys plant through the API), a supply officer and an inspector.
    let (_, pharmacist2_token) = server.user("desk.pharmacist2", "pharmacist", "LY-BEN-PH2");
    let (supply, _) = server.user("desk.supply", "supply_officer", "LY-MOH");
    let (inspector, _) = server.user("desk.inspector", "inspector", "LY-MOH");
    statistics_data(&server, &registrar_token, &clinician_token);
    let shots = target_dir().join("browser-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let profiles = tempfile::tempdir().unwrap();

    let out = Command::new("node")
        .arg("--test")
        .arg("--test-concurrency=1")
        .arg(browser_dir.join("desk.test.mjs"))
        .current_dir(&browser_dir)
        .env("DESK_URL", server.url())
        .env("DESK_PASSWORD", PASSWORD)
        .env("REGISTRAR_USER", &registrar)
        .env("REGISTRAR_TOKEN", &registrar_token)
        .env("CLINICIAN_USER", &clinician)
        .env("PHARMACIST_USER", &pharmacist)
        .env("STATISTICIAN_USER", &statistician)
        .env("PHARMACIST2_TOKEN", &pharmacist2_token)
        .env("SUPPLY_USER", &supply)
        .env("INSPECTOR_USER", &inspector)
        .env("SCREENSHOT_DIR", &shots)
        .env("PROFILE_DIR", profiles.path())
        .env("CHROMIUM", CHROMIUM)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "browser journeys failed:\n{stdout}\n{stderr}\nserver log:\n{}",
        server.log()
    );
    // Node's runner must have run the journeys, not nothing.
    assert!(stdout.contains("# pass "), "{stdout}");
    assert!(!stdout.contains("# pass 0"), "{stdout}");
    assert!(stdout.contains("# fail 0"), "{stdout}");
    eprintln!("{stdout}");
    // Server logs never hold the patient's name or identifier.
    let log = server.log();
    for secret in ["مريم", "Maryam", "219850307123"] {
        assert!(!log.contains(secret), "the server log holds {secret}");
    }
}

/// The statistics journey's registry: the sample population (through the real
/// `registry-server population` command on the server's database), six women of the east with
/// a breast cancer of 2025 and one with a lung cancer (a cell a statistician must not see).
fn statistics_data(server: &Server, registrar: &str, clinician: &str) {
    let url = format!(
        "sqlite:{}?mode=rwc",
        server.dir.path().join("registry.sqlite").display()
    );
    let sample = repo().join("registry-server/data/population/sample.csv");
    let (code, _, stderr) =
        testkit::run(Command::new(env!("CARGO_BIN_EXE_registry-server")).args([
            "population",
            "--file",
            sample.to_str().unwrap(),
            "--database-url",
            &url,
        ]));
    assert_eq!(code, Some(0), "{stderr}");
    let given = ["خديجة", "زينب", "سارة", "ليلى", "هدى", "نور", "أمل"];
    for (n, name) in given.iter().enumerate() {
        let (status, p) = server.call(
            "POST",
            "/api/v1/patients",
            registrar,
            Some(
                json!({"id_type": "national", "id_value": format!("21968010{n:04}"),
                "name_ar": [name, "علي", "الفيتوري"], "sex": "female", "birth_date": "1968-01-15",
                "region": "east"}),
            ),
        );
        assert_eq!(status, 201, "{p}");
        let id = p["patient"]["id"].as_str().unwrap();
        let tumour = if n == 6 {
            json!({"icd10": "C34.1", "topography": "C34.1", "morphology": 8070, "behaviour": 3,
                   "grade": 2, "basis": 5, "incidence": "2025-03-10"})
        } else {
            json!({"icd10": "C50.9", "topography": "C50.9", "morphology": 8500, "behaviour": 3,
                   "grade": 2, "basis": 7, "incidence": "2025-06-01"})
        };
        let (status, t) = server.call(
            "POST",
            &format!("/api/v1/patients/{id}/tumours"),
            clinician,
            Some(tumour),
        );
        assert_eq!(status, 201, "{t}");
    }
}

/// `registry-server set-password` sets a desk password from standard input (audited as done
/// by `system`) and refuses a short one; it needs no browser.
#[test]
fn set_password_command_reads_the_password_from_standard_input() {
    let server = Server::start();
    let (status, body) = server.call(
        "POST",
        "/api/v1/users",
        &server.admin(),
        Some(
            json!({"username": "cli.user", "display_name": "CLI user", "role": "auditor",
            "facility_code": "LY-MOH"}),
        ),
    );
    assert_eq!(status, 201, "{body}");
    server.approve(&body["approval"]);
    let url = format!(
        "sqlite:{}?mode=rwc",
        server.dir.path().join("registry.sqlite").display()
    );
    let run = |username: &str, password: &str| {
        testkit::run_with_input(
            Command::new(env!("CARGO_BIN_EXE_registry-server")).args([
                "set-password",
                "--username",
                username,
                "--database-url",
                &url,
            ]),
            format!("{password}\n").as_bytes(),
        )
    };
    let short = run("cli.user", "short");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("12 to 256"));
    let unknown = run("nobody", PASSWORD);
    assert!(!unknown.status.success());
    let ok = run("cli.user", PASSWORD);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    // The password works: the desk's sign-in answers with a session (a 303 to /desk/).
    let (_, form) = raw(
        &server,
        "GET /desk/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    let cookie = form
        .lines()
        .filter(|l| l.to_lowercase().starts_with("set-cookie:"))
        .find_map(|l| l.split_once("__Host-desk_login_csrf=").map(|(_, v)| v))
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_string();
    let body = format!(
        "csrf={cookie}&username=cli.user&password={}",
        PASSWORD.replace(' ', "+")
    );
    let (status, answer) = raw(
        &server,
        &format!(
            "POST /desk/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
             Cookie: __Host-desk_login_csrf={cookie}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    assert_eq!(status, 303, "{answer}");
    assert!(
        answer.contains("set-cookie: __Host-desk_session="),
        "{answer}"
    );
}

/// Sends a raw request; returns the status and the whole response.
#[test]
fn recheck_command_reports_on_the_servers_database() {
    let server = Server::start();
    let url = format!(
        "sqlite:{}?mode=rwc",
        server.dir.path().join("registry.sqlite").display()
    );
    let (code, stdout, stderr) =
        testkit::run(Command::new(env!("CARGO_BIN_EXE_registry-server")).args([
            "recheck",
            "--json",
            "--database-url",
            &url,
        ]));
    assert_eq!(code, Some(0), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report, json!({"checked": 0, "failures": []}));
}

fn raw(server: &Server, request: &str) -> (u16, String) {
    let mut tcp = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    tcp.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    let _ = tcp.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}
