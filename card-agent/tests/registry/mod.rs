//! A real registry-server for the card-agent's tests: the binary of the same build, started
//! with the fixture keys on a fresh SQLite file and a free port, killed on drop.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// The registry-server binary next to this crate's binary, built first: `cargo test -p
/// card-agent` alone does not build other packages' binaries.
pub fn server_binary() -> PathBuf {
    let agent = PathBuf::from(env!("CARGO_BIN_EXE_card-agent"));
    let dir = agent.parent().expect("binary directory").to_path_buf();
    let mut build = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    build.current_dir(repo()).args([
        "build",
        "--quiet",
        "--package",
        "registry-server",
        "--bin",
        "registry-server",
    ]);
    match dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => {}
        Some(profile) => {
            build.args(["--profile", profile]);
        }
    }
    let status = build.status().expect("cargo runs");
    assert!(status.success(), "cargo build -p registry-server failed");
    dir.join("registry-server")
}

/// The fixture's TEST keys, copied to `dir/keys` with mode 0600 (the server refuses key
/// files others can read; git does not keep modes).
fn fixture_keys(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let keys = dir.join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    for name in ["issuer-benghazi.key.pem", "list-signer.key.pem"] {
        let to = keys.join(name);
        std::fs::copy(repo().join("fixtures/keys").join(name), &to).unwrap();
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    keys
}

/// A running registry.
#[derive(Debug)]
pub struct Registry {
    child: Child,
    /// Base URL, `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its data directory (database, log, first admin token).
    pub dir: PathBuf,
}

impl Registry {
    /// Starts a registry on SQLite in `dir`.
    pub fn start(dir: &Path) -> Registry {
        let url = format!("sqlite:{}?mode=rwc", dir.join("registry.sqlite").display());
        Registry::start_on(dir, &url)
    }

    /// Starts a registry on `database_url`, with its log and first admin token in `dir`.
    pub fn start_on(dir: &Path, database_url: &str) -> Registry {
        std::fs::create_dir_all(dir).unwrap();
        let bin = server_binary();
        for _ in 0..3 {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join("server.log"))
                .unwrap();
            let keys = fixture_keys(dir);
            let child = Command::new(&bin)
                .current_dir(repo())
                .arg("--database-url")
                .arg(database_url)
                .arg("--issuer-key")
                .arg(keys.join("issuer-benghazi.key.pem"))
                .arg("--issuer-cert")
                .arg(repo().join("fixtures/trust/issuer-benghazi.cert.hex"))
                .arg("--list-key")
                .arg(keys.join("list-signer.key.pem"))
                .arg("--list-cert")
                .arg(repo().join("fixtures/trust/list-signer.cert.hex"))
                .arg("--root-public-key")
                .arg(repo().join("fixtures/keys/root.pub.pem"))
                .arg("--first-admin-token-file")
                .arg(dir.join("first-admin-token"))
                .arg("--listen")
                .arg(format!("127.0.0.1:{port}"))
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .stdin(Stdio::null())
                .spawn()
                .unwrap();
            let mut registry = Registry {
                child,
                url: format!("http://127.0.0.1:{port}"),
                dir: dir.to_path_buf(),
            };
            if registry.wait_ready() {
                return registry;
            }
        }
        panic!(
            "the registry did not start; log:\n{}",
            std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
        );
    }

    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if ureq::get(format!("{}/readyz", self.url))
                .call()
                .is_ok_and(|r| r.status() == 200)
            {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// The first administrator's API token.
    pub fn admin_token(&self) -> String {
        std::fs::read_to_string(self.dir.join("first-admin-token"))
            .unwrap()
            .trim()
            .to_string()
    }

    /// Stops the registry (as a power cut would: SIGKILL).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.kill();
    }
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

/// A PostgreSQL database URL on a fresh schema of `TEST_POSTGRES_URL` (default: the local
/// server's `test` database), or `None` when no server answers.
pub fn postgres_schema(name: &str) -> Option<String> {
    let base = std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
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
    if !ok {
        return None;
    }
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
