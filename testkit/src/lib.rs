//! What the workspace's integration tests share (a dev-dependency of each crate's tests):
//!
//! - [`require`]: a real part a test needs (PostgreSQL, pcscd, SoftHSM2, Chromium...).
//!   When it is missing, the test is skipped with a message on a developer's plain
//!   `cargo test`, and fails naming the part under `CI=true` or `REQUIRE_REAL_STACK=1`
//!   (`scripts/test.sh` sets it): a skipped real-stack test never reads as a pass there;
//! - [`binary`]: a binary of the same build (`target/<profile>/NAME`), which
//!   `cargo test --workspace` builds before any test runs; no test runs cargo;
//! - [`Child`]: a server child started on port 0 that is ready when it prints the address
//!   it bound, and whose whole stderr a failure shows;
//! - [`registry_command`]: `registry-server` with the fixture's test keys.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// The workspace root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// Whether missing real parts fail their tests: `CI=true`, or `REQUIRE_REAL_STACK=1` (set by
/// `scripts/test.sh`).
pub fn real_stack_required() -> bool {
    let on =
        |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    on("CI") || on("REQUIRE_REAL_STACK")
}

/// Whether a test may run on a real part: `true` when `available`. Otherwise the test
/// panics naming `part` and `how` to get it when the real stack is required, or prints
/// that it is skipped and returns `false`.
///
/// # Panics
/// A missing part when [`real_stack_required`].
pub fn require(part: &str, available: bool, how: &str) -> bool {
    if available {
        return true;
    }
    if real_stack_required() {
        panic!("{part} is required by this test and is not available: {how}");
    }
    eprintln!("{part} not available: test SKIPPED ({how})");
    false
}

/// PostgreSQL's URL for tests (`TEST_POSTGRES_URL`), or `None` when it is not set (see
/// [`require`]).
///
/// # Panics
/// Not set, when the real stack is required.
pub fn postgres_url() -> Option<String> {
    let url = std::env::var("TEST_POSTGRES_URL").ok();
    require(
        "PostgreSQL",
        url.is_some(),
        "set TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test (scripts/test.sh starts \
         PostgreSQL and sets it)",
    )
    .then_some(url)
    .flatten()
}

/// Whether `tool --version` runs.
pub fn installed(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The binary `name` of this build: next to the test executable's directory
/// (`target/<profile>/deps/TEST` → `target/<profile>/NAME`).
///
/// # Panics
/// It was not built (run `cargo test --workspace`, or `cargo build --workspace --bins`).
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps");
    let path = profile_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{} is not built: run `cargo test --workspace` (or `cargo build --workspace --bins` \
         before testing one package)",
        path.display()
    );
    path
}

/// Runs `command` with no standard input; its exit code and what it printed.
///
/// # Panics
/// It cannot be started.
pub fn run(command: &mut Command) -> (Option<i32>, String, String) {
    let out = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `command` with `stdin` as its standard input; its whole output.
///
/// # Panics
/// It cannot be started.
pub fn run_with_input(command: &mut Command, stdin: &[u8]) -> std::process::Output {
    use std::io::Write;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    // A child that exits without reading all of it is its own business (a broken pipe).
    let _ = child.stdin.take().expect("piped stdin").write_all(stdin);
    child.wait_with_output().expect("the child's output")
}

/// The fixture's TEST keys, copied to `dir/keys` with mode 0600 (the server refuses key
/// files others can read; git does not keep modes). Returns that directory.
pub fn fixture_keys(dir: &Path) -> PathBuf {
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

/// `registry-server` on `database_url` with the fixture's test keys (copied into `dir`), its
/// first admin token written to `dir/first-admin-token`, listening on a port it chooses
/// (`--listen 127.0.0.1:0`); start it with [`Child::start`].
pub fn registry_command(dir: &Path, database_url: &str) -> Command {
    let keys = fixture_keys(dir);
    let repo = repo();
    let mut c = Command::new(binary("registry-server"));
    c.current_dir(&repo)
        .arg("--database-url")
        .arg(database_url)
        .arg("--issuer-key")
        .arg(keys.join("issuer-benghazi.key.pem"))
        .arg("--issuer-cert")
        .arg(repo.join("fixtures/trust/issuer-benghazi.cert.hex"))
        .arg("--list-key")
        .arg(keys.join("list-signer.key.pem"))
        .arg("--list-cert")
        .arg(repo.join("fixtures/trust/list-signer.cert.hex"))
        .arg("--root-public-key")
        .arg(repo.join("fixtures/keys/root.pub.pem"))
        .arg("--first-admin-token-file")
        .arg(dir.join("first-admin-token"))
        .args(["--listen", "127.0.0.1:0"]);
    c
}

/// A server child, killed on drop.
#[derive(Debug)]
pub struct Child {
    child: std::process::Child,
    /// Its base URL (`http://127.0.0.1:PORT`), as it printed it.
    pub url: String,
    stderr: Arc<Log>,
}

/// A child's stderr as it arrives, with a signal at every line.
#[derive(Debug, Default)]
struct Log {
    text: Mutex<String>,
    grew: Condvar,
}

/// How long a child may take to print that it listens.
const READY_WITHIN: Duration = Duration::from_secs(60);

impl Child {
    /// Starts `command` (given a port of 0: `--listen 127.0.0.1:0`, `--port 0`) and waits for
    /// the line in which it prints the address it bound (`... listening on
    /// http://127.0.0.1:PORT`); its stdout is discarded, its stderr kept for
    /// [`Child::stderr`].
    ///
    /// # Panics
    /// The child cannot be started, exits, or prints no such line within a minute: with
    /// everything it wrote to stderr.
    pub fn start(mut command: Command) -> Child {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        let stderr = Arc::new(Log::default());
        let (found, url) = std::sync::mpsc::channel();
        let pipe = child.stderr.take().expect("piped stderr");
        let log = stderr.clone();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(pipe);
            let mut line = String::new();
            let mut found = Some(found);
            loop {
                line.clear();
                // Lines only; a child writing endlessly without one is its own failure.
                match reader.by_ref().take(1 << 20).read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                log.text.lock().unwrap().push_str(&line);
                log.grew.notify_all();
                if let Some((_, at)) = line.split_once(" listening on ") {
                    if let Some(tx) = found.take() {
                        let _ = tx.send(at.trim().to_string());
                    }
                }
            }
        });
        match url.recv_timeout(READY_WITHIN) {
            Ok(url) => Child { child, url, stderr },
            Err(_) => {
                let status = child.try_wait().ok().flatten();
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "{command:?} did not say where it listens ({}); its stderr:\n{}",
                    status.map_or("still running".to_string(), |s| s.to_string()),
                    stderr.text.lock().unwrap()
                );
            }
        }
    }

    /// Everything the child wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.text.lock().unwrap().clone()
    }

    /// Waits until what the child wrote to stderr satisfies `done`, woken at every line.
    ///
    /// # Panics
    /// Not within `within`: with the stderr.
    pub fn wait_for_stderr(&self, done: impl Fn(&str) -> bool, within: Duration) {
        let deadline = std::time::Instant::now() + within;
        let mut text = self.stderr.text.lock().unwrap();
        while !done(&text) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            assert!(
                !left.is_zero(),
                "the child's stderr never showed it:\n{text}"
            );
            text = self.stderr.grew.wait_timeout(text, left).unwrap().0;
        }
    }

    /// Kills the child (as a power cut would: SIGKILL) and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Whether this process runs as root: mounting a tmpfs, `runuser` and `unshare` need it (the
/// tests run as root in CI, as `scripts/test.sh` does).
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A small tmpfs of a test's own, for the full-disk cases: mounted on a fresh directory of the
/// temporary directory, unmounted (lazily) and removed when dropped.
#[derive(Debug)]
pub struct Tmpfs {
    /// Where it is mounted.
    pub path: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (`mount -o size=`, e.g. `16m`); `None` when not root or
    /// the mount fails.
    pub fn mount(size: &str) -> Option<Tmpfs> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static MOUNTED: AtomicUsize = AtomicUsize::new(0);
        if !is_root() {
            return None;
        }
        let path = std::env::temp_dir().join(format!(
            "tmpfs-{}-{}",
            std::process::id(),
            MOUNTED.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&path).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            Some(Tmpfs { path })
        } else {
            let _ = std::fs::remove_dir(&path);
            None
        }
    }

    /// Fills the file system with one file until a write fails for lack of space; the file.
    ///
    /// # Panics
    /// A write failing for another reason.
    pub fn fill(&self) -> PathBuf {
        use std::io::Write;
        let filler = self.path.join("filler");
        let mut file = std::fs::File::create(&filler).expect("the filler file");
        let chunk = vec![0u8; 4096];
        loop {
            match file.write_all(&chunk) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
                Err(e) => panic!("filling the tmpfs: {e}"),
            }
        }
        let _ = file.sync_all();
        filler
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
