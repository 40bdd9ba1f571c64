//! A real registry-server for the card-agent's tests: the binary of the same build, started
//! with the fixture keys on a fresh SQLite file (or a PostgreSQL schema), on a port it
//! chooses itself, killed on drop.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// A running registry (killed on drop).
#[derive(Debug)]
pub struct Registry {
    child: testkit::Child,
    /// Base URL, `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its data directory (database, first admin token).
    pub dir: PathBuf,
}

impl Registry {
    /// Starts a registry on SQLite in `dir`.
    pub fn start(dir: &Path) -> Registry {
        let url = format!("sqlite:{}?mode=rwc", dir.join("registry.sqlite").display());
        Registry::start_on(dir, &url)
    }

    /// Starts a registry on `database_url`, its first admin token in `dir`, on a port it
    /// chooses itself: ready once it says where it listens.
    pub fn start_on(dir: &Path, database_url: &str) -> Registry {
        std::fs::create_dir_all(dir).unwrap();
        let child = testkit::Child::start(testkit::registry_command(dir, database_url));
        Registry {
            url: child.url.clone(),
            child,
            dir: dir.to_path_buf(),
        }
    }

    /// The first administrator's API token.
    pub fn admin_token(&self) -> String {
        std::fs::read_to_string(self.dir.join("first-admin-token"))
            .unwrap()
            .trim()
            .to_string()
    }

    /// A second administrator's token: made by the first at once (while the registry has one
    /// admin), kept in the data directory so a restarted registry reuses it.
    pub fn second_admin_token(&self) -> String {
        let file = self.dir.join("second-admin-token");
        if let Ok(token) = std::fs::read_to_string(&file) {
            return token.trim().to_string();
        }
        let (status, body) = call(
            "POST",
            &format!("{}/api/v1/users", self.url),
            &self.admin_token(),
            Some(
                serde_json::json!({"username": "admin2", "display_name": "Admin 2",
                "role": "admin", "facility_code": "LY-MOH"}),
            ),
        );
        assert_eq!(status, 201, "the second admin: {body}");
        let token = body["token"].as_str().unwrap().to_string();
        std::fs::write(&file, &token).unwrap();
        token
    }

    /// The second admin approves the request `approval` (null: nothing to approve): a user
    /// of a role that reads patient data, or another user's password, waits for it.
    pub fn approve(&self, approval: &serde_json::Value) {
        if approval.is_null() {
            return;
        }
        let id = approval["id"].as_str().unwrap();
        let (status, body) = call(
            "POST",
            &format!("{}/api/v1/approvals/{id}/approve", self.url),
            &self.second_admin_token(),
            None,
        );
        assert_eq!(status, 200, "approving {id}: {body}");
    }

    /// Waits until the registry's log holds `count` lines containing every one of `words`.
    ///
    /// # Panics
    /// Not within `within`: with the log.
    pub fn wait_for_log(&self, words: &[&str], count: usize, within: std::time::Duration) {
        self.child.wait_for_stderr(
            |log| {
                log.lines()
                    .map(without_colours)
                    .filter(|l| words.iter().all(|w| l.contains(w)))
                    .count()
                    >= count
            },
            within,
        );
    }

    /// Stops the registry (as a power cut would: SIGKILL).
    pub fn kill(&mut self) {
        self.child.kill();
    }
}

/// A log line without its ANSI colour sequences (`ESC [ ... m`).
fn without_colours(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A card-agent command with its home in `home`.
pub fn agent(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_card-agent"));
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .arg("--home")
        .arg(home);
    c
}

/// A PostgreSQL database URL on a fresh schema of `TEST_POSTGRES_URL`, or `None` when it is
/// not set ([`testkit::postgres_url`]: a failure when the real stack is required).
///
/// # Panics
/// The schema cannot be created (PostgreSQL does not answer).
pub fn postgres_schema(name: &str) -> Option<String> {
    let base = testkit::postgres_url()?;
    let schema = format!(
        "t_agent_{name}_{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_micros()
    );
    let ok = Command::new("psql")
        .arg(&base)
        .args(["-Atqc", &format!("CREATE SCHEMA {schema}")])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "PostgreSQL at TEST_POSTGRES_URL does not answer (psql could not create a schema); \
         scripts/test.sh starts it"
    );
    let sep = if base.contains('?') { '&' } else { '?' };
    Some(format!("{base}{sep}options=-c%20search_path%3D{schema}"))
}

/// JSON over HTTP with a bearer token: (status, body).
pub fn call(
    method: &str,
    url: &str,
    token: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let auth = format!("Bearer {token}");
    let mut response = match (method, body) {
        ("GET", _) => agent.get(url).header("Authorization", &auth).call(),
        (_, Some(b)) => agent
            .post(url)
            .header("Authorization", &auth)
            .header("Content-Type", "application/json")
            .send(b.to_string()),
        (_, None) => agent.post(url).header("Authorization", &auth).send_empty(),
    }
    .unwrap();
    let status = response.status().as_u16();
    let bytes = response.body_mut().read_to_vec().unwrap();
    let value = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (status, value)
}
