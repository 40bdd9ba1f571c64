//! Faults survived (issue #17): PostgreSQL stopped under a running registry and started
//! again, on a cluster of the test's own (its own data directory and socket, no TCP port).

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use registry_server::db::DbOptions;

use crate::support::{patient_body, register_patient, Staff, TestApp};

/// A PostgreSQL cluster in a temporary directory, listening on a Unix socket there only;
/// stopped (immediately) when dropped.
struct OwnPostgres {
    bin: PathBuf,
    dir: PathBuf,
}

/// The directory of `initdb` and `pg_ctl` (Debian keeps them out of `PATH`).
fn postgres_bin() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
        .collect();
    found.sort();
    found.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl OwnPostgres {
    /// `initdb`, then `pg_ctl start` (waiting until it accepts connections). As root, the
    /// cluster belongs to the `postgres` user, as PostgreSQL requires.
    fn start(bin: PathBuf) -> OwnPostgres {
        let dir = std::env::temp_dir().join(format!("lyr-pg-{}", registry_server::auth::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pg = OwnPostgres { bin, dir };
        if is_root() {
            let chown = Command::new("chown").arg("postgres:").arg(&pg.dir).status();
            assert!(
                chown.is_ok_and(|s| s.success()),
                "chown postgres {:?}",
                pg.dir
            );
        }
        let data = pg.data();
        pg.run(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-A",
                "trust",
                "-U",
                "postgres",
            ],
        );
        pg.ctl_start();
        pg
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Runs one of PostgreSQL's programs (as `postgres` when root); panics on failure.
    fn run(&self, program: &str, args: &[&str]) {
        let path = self.bin.join(program);
        let mut command = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        let out = command
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{program}: {e}"));
        assert!(
            out.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn ctl_start(&self) {
        let options = format!("-c listen_addresses='' -k {}", self.dir.display());
        let log = self.dir.join("log");
        self.run(
            "pg_ctl",
            &[
                "-D",
                self.data().to_str().unwrap(),
                "-o",
                &options,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "start",
            ],
        );
    }

    /// Stops the server (fast shutdown: clients are disconnected) and waits until it is down.
    fn stop(&self) {
        self.run(
            "pg_ctl",
            &[
                "-D",
                self.data().to_str().unwrap(),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        );
    }

    /// Its URL: the `postgres` database over the socket in its directory.
    fn url(&self) -> String {
        format!(
            "postgres://postgres@localhost/postgres?host={}",
            self.dir.display()
        )
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = Command::new(if is_root() { "runuser" } else { "true" })
            .args(if is_root() {
                vec!["-u", "postgres", "--"]
            } else {
                vec![]
            })
            .arg(self.bin.join("pg_ctl"))
            .args([
                "-D",
                self.data().to_str().unwrap_or(""),
                "-m",
                "immediate",
                "stop",
            ])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn patients(app: &TestApp) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM patients")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    n
}

fn is_problem(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v == "application/problem+json")
}

/// PostgreSQL stopped: a registration answers 503 `database_unavailable` (problem+json,
/// `Retry-After`) within the connection wait, `/readyz` answers 503 within a second and the
/// desk shows its own page; nothing is written. Started again: `/readyz` answers 200, the
/// registration goes through, and the audit chain is intact. The times are printed
/// (docs/benchmarks.md, "A dead database"): `cargo test -p registry-server --test registry
/// faults -- --nocapture`.
#[tokio::test]
async fn a_stopped_postgresql_gets_a_prompt_503_and_the_registry_recovers() {
    let bin = postgres_bin();
    if !testkit::require(
        "PostgreSQL's initdb and pg_ctl",
        bin.is_some(),
        "bash scripts/test.sh installs postgresql",
    ) {
        return;
    }
    let pg = OwnPostgres::start(bin.unwrap());
    let app = TestApp::on(
        DbOptions {
            url: pg.url(),
            max_connections: 4,
            pg_schema: None,
        },
        true,
    )
    .await;
    let staff = Staff::hire(&app).await;
    register_patient(&app, &staff, patient_body("219730412345")).await;
    assert_eq!(patients(&app).await, 1);

    pg.stop();
    let started = Instant::now();
    let (status, body, headers) = app
        .raw(
            Method::POST,
            "/api/v1/patients",
            &staff.registrar,
            Some(patient_body("219800101234").to_string().into_bytes()),
            &[("content-type", "application/json")],
        )
        .await;
    let refused_in = started.elapsed();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["code"], "database_unavailable", "{body}");
    assert!(is_problem(&headers));
    assert!(headers.contains_key(axum::http::header::RETRY_AFTER));
    assert!(
        refused_in < registry_server::db::ACQUIRE_TIMEOUT + Duration::from_secs(3),
        "{refused_in:?}"
    );

    let started = Instant::now();
    let (status, _, _) = app.raw(Method::GET, "/readyz", "", None, &[]).await;
    let not_ready_in = started.elapsed();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(not_ready_in < Duration::from_secs(3), "{not_ready_in:?}");

    let (status, page, _) = app
        .raw(
            Method::GET,
            "/desk/patients",
            "",
            None,
            &[("cookie", "__Host-desk_session=any; lang=en")],
        )
        .await;
    let page = String::from_utf8_lossy(&page);
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{page}");
    assert!(page.contains("database"), "{page}");

    pg.ctl_start();
    let started = Instant::now();
    let (status, _, _) = app.raw(Method::GET, "/readyz", "", None, &[]).await;
    let ready_in = started.elapsed();
    assert_eq!(
        status,
        StatusCode::OK,
        "ready again once PostgreSQL answers"
    );
    register_patient(&app, &staff, patient_body("219800101234")).await;
    assert_eq!(
        patients(&app).await,
        2,
        "the refused registration wrote nothing"
    );
    let (status, chain) = app
        .call(Method::GET, "/api/v1/audit/verify", &staff.auditor, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(chain["intact"], true, "{chain}");
    println!(
        "database down: registration refused in {} ms, /readyz 503 in {} ms; \
         back: /readyz 200 in {} ms",
        refused_in.as_millis(),
        not_ready_in.as_millis(),
        ready_in.as_millis()
    );
}

/// A small tmpfs of the test's own, unmounted (lazily) when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir =
            std::env::temp_dir().join(format!("lyr-tmpfs-{}", registry_server::auth::new_id()));
        std::fs::create_dir_all(&dir).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            Some(Tmpfs(dir))
        } else {
            let _ = std::fs::remove_dir(&dir);
            None
        }
    }

    /// Fills the file system with `filler` until a write fails with "no space".
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let filler = self.0.join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 4096];
        loop {
            match file.write_all(&chunk) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(28) => break,
                Err(e) => panic!("filling the tmpfs: {e}"),
            }
        }
        let _ = file.sync_all();
        filler
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// SQLite on a full disk (a 16 MiB tmpfs filled to the last block): every write that cannot
/// be stored is refused with 507 `storage_full` and changes nothing; once space returns the
/// registry writes again, without a restart, and the file is whole (`PRAGMA
/// integrity_check`, the audit chain). (A read-only file system cannot be made under a
/// running server: the kernel refuses to remount while SQLite holds its files open for
/// writing. Its result codes are classified in `db.rs`'s unit tests.)
#[tokio::test]
async fn a_full_disk_refuses_writes_clearly_and_the_registry_resumes() {
    let mounted = if is_root() { Tmpfs::mount("16m") } else { None };
    if !testkit::require(
        "a tmpfs of the test's own (mount, as root)",
        mounted.is_some(),
        "run the tests as root, as scripts/test.sh does in CI",
    ) {
        return;
    }
    let disk = mounted.unwrap();
    let app = TestApp::on(
        DbOptions {
            url: format!(
                "sqlite:{}?mode=rwc",
                disk.0.join("registry.sqlite").display()
            ),
            max_connections: 1,
            pg_schema: None,
        },
        true,
    )
    .await;
    let staff = Staff::hire(&app).await;
    register_patient(&app, &staff, patient_body("219730412345")).await;
    let filler = disk.fill();

    // Until the disk refuses one, registrations may still fit in pages SQLite holds already.
    let mut stored = 1;
    let mut refused = None;
    for i in 0..500u32 {
        let id = format!("2198001{i:05}");
        let (status, body) = app
            .call(
                Method::POST,
                "/api/v1/patients",
                &staff.registrar,
                Some(patient_body(&id)),
            )
            .await;
        match status {
            StatusCode::CREATED => stored += 1,
            _ => {
                refused = Some((status, body));
                break;
            }
        }
    }
    let (status, body) = refused.expect("a full disk refuses a write");
    assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE, "{body}");
    assert_eq!(body["code"], "storage_full", "{body}");

    std::fs::remove_file(&filler).unwrap();
    register_patient(&app, &staff, patient_body("219900101234")).await;
    stored += 1;
    assert_eq!(
        patients(&app).await,
        stored,
        "each refused write changed nothing"
    );
    let (check,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    let (status, chain) = app
        .call(Method::GET, "/api/v1/audit/verify", &staff.auditor, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(chain["intact"], true, "{chain}");
}
