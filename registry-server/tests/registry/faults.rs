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

impl OwnPostgres {
    /// `initdb`, then `pg_ctl start` (waiting until it accepts connections). As root, the
    /// cluster belongs to the `postgres` user, as PostgreSQL requires.
    fn start(bin: PathBuf) -> OwnPostgres {
        let dir = std::env::temp_dir().join(format!("lyr-pg-{}", registry_server::auth::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pg = OwnPostgres { bin, dir };
        if testkit::is_root() {
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
        let mut command = if testkit::is_root() {
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
        let _ = Command::new(if testkit::is_root() {
            "runuser"
        } else {
            "true"
        })
        .args(if testkit::is_root() {
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

/// SQLite on a full disk (a 16 MiB tmpfs filled to the last block): every write that cannot
/// be stored is refused with 507 `storage_full` and changes nothing; once space returns the
/// registry writes again, without a restart, and the file is whole (`PRAGMA
/// integrity_check`, the audit chain). (A read-only file system cannot be made under a
/// running server: the kernel refuses to remount while SQLite holds its files open for
/// writing. Its result codes are classified in `db.rs`'s unit tests.)
#[tokio::test]
async fn a_full_disk_refuses_writes_clearly_and_the_registry_resumes() {
    let mounted = testkit::Tmpfs::mount("16m");
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
                disk.path.join("registry.sqlite").display()
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

/// One HTTP/1.1 request to `base` (`Connection: close`): status (0 when the server is gone
/// or the answer was cut) and JSON body.
fn http(
    base: &str,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&serde_json::Value>,
) -> (u16, serde_json::Value) {
    use std::io::{Read, Write};
    let address = base.trim_start_matches("http://");
    let Ok(mut tcp) = std::net::TcpStream::connect(address) else {
        return (0, serde_json::Value::Null);
    };
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    if tcp.write_all(request.as_bytes()).is_err() {
        return (0, serde_json::Value::Null);
    }
    let mut response = Vec::new();
    if tcp.read_to_end(&mut response).is_err() {
        return (0, serde_json::Value::Null);
    }
    let text = String::from_utf8_lossy(&response);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return (0, serde_json::Value::Null);
    };
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (
        status,
        serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
    )
}

/// What a worker was told had been done.
#[derive(Debug, Clone)]
enum Acked {
    Patient(String),
    Card(String),
    Dispensing(u64),
    Read(String),
}

/// The staff tokens of the kill test, made through the API of the first instance.
struct KillStaff {
    registrar: String,
    clinician: String,
    pharmacist: String,
    auditor: String,
}

fn kill_staff(base: &str, admin: &str) -> KillStaff {
    let post = |token: &str, path: &str, body: serde_json::Value| {
        let (status, v) = http(base, "POST", path, token, Some(&body));
        assert!((200..300).contains(&status), "POST {path}: {status} {v}");
        v
    };
    let second = post(
        admin,
        "/api/v1/users",
        serde_json::json!({"username": "admin2", "display_name": "Admin 2", "role": "admin",
            "facility_code": "LY-MOH"}),
    )["token"]
        .as_str()
        .unwrap()
        .to_string();
    post(
        admin,
        "/api/v1/facilities",
        serde_json::json!({"code": "LY-BEN-PH1", "name": "Pharmacy", "region": "east",
            "kind": "pharmacy"}),
    );
    let user = |name: &str, role: &str, facility: &str| {
        let made = post(
            admin,
            "/api/v1/users",
            serde_json::json!({"username": name, "display_name": name, "role": role,
                "facility_code": facility}),
        );
        let id = made["approval"]["id"].as_str().unwrap().to_string();
        post(
            &second,
            &format!("/api/v1/approvals/{id}/approve"),
            serde_json::json!({}),
        );
        made["token"].as_str().unwrap().to_string()
    };
    KillStaff {
        registrar: user("reg", "registrar", "LY-BEN-PED"),
        clinician: user("doc", "clinician", "LY-BEN-PED"),
        pharmacist: user("pha", "pharmacist", "LY-BEN-PH1"),
        auditor: user("aud", "auditor", "LY-MOH"),
    }
}

/// One worker's rounds against `base` until the server stops answering: register a patient,
/// authorise a medicine, issue a card, dispense on it, read the patient. Each step it is told
/// was done goes into `acked`.
fn work(base: &str, staff: &KillStaff, worker: u32, acked: &std::sync::mpsc::Sender<Acked>) {
    for round in 0..10_000u32 {
        let national = format!("2{:02}{:09}", worker, round);
        let (status, p) = http(
            base,
            "POST",
            "/api/v1/patients",
            &staff.registrar,
            Some(&patient_body(&national)),
        );
        if status != 201 {
            return;
        }
        let patient = p["patient"]["id"].as_str().unwrap().to_string();
        let _ = acked.send(Acked::Patient(patient.clone()));
        let (status, m) = http(
            base,
            "POST",
            &format!("/api/v1/patients/{patient}/medicines"),
            &staff.clinician,
            Some(&crate::support::medicine_body(3, 28)),
        );
        if status != 201 {
            return;
        }
        let auth = m["id"].as_str().unwrap().parse::<u64>().unwrap();
        let (status, card) = http(
            base,
            "POST",
            &format!("/api/v1/patients/{patient}/cards"),
            &staff.registrar,
            None,
        );
        if status != 201 {
            return;
        }
        let serial = card["serial"].as_str().unwrap().to_string();
        let _ = acked.send(Acked::Card(serial.clone()));
        let (status, _) = http(
            base,
            "POST",
            "/api/v1/dispensings",
            &staff.pharmacist,
            Some(
                &serde_json::json!({"idempotency_key": format!("kill-{worker}-{round}"),
                "card_serial": serial, "authorisation_id": auth, "quantity": 30}),
            ),
        );
        if status != 201 {
            return;
        }
        let _ = acked.send(Acked::Dispensing(auth));
        let (status, _) = http(
            base,
            "GET",
            &format!("/api/v1/patients/{patient}"),
            &staff.registrar,
            None,
        );
        if status != 200 {
            return;
        }
        let _ = acked.send(Acked::Read(patient));
    }
}

/// Counts of `sql` (one number) on the database at `url`.
fn count(url: &str, sql: &str) -> i64 {
    use sqlx::Connection;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&mut conn).await.unwrap();
        n
    })
}

/// An instance killed (SIGKILL) while eight clients register, issue cards, dispense and read
/// through it: everything it acknowledged is there, nothing is half-written (each patient,
/// card and dispensing has its audit entry, each acknowledged read too), the audit chain is
/// intact, and on PostgreSQL the second instance serves throughout. On SQLite the instance is
/// started again on the same file.
fn killed_mid_write(url: &str, two_instances: bool) {
    let dir = std::env::temp_dir().join(format!("lyr-kill-{}", registry_server::auth::new_id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut first = testkit::Child::start(testkit::registry_command(&dir, url));
    let base = first.url.clone();
    let admin = std::fs::read_to_string(dir.join("first-admin-token"))
        .unwrap()
        .trim()
        .to_string();
    let staff = std::sync::Arc::new(kill_staff(&base, &admin));
    let second = two_instances.then(|| testkit::Child::start(testkit::registry_command(&dir, url)));

    let (sender, received) = std::sync::mpsc::channel();
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let (base, staff, sender) = (base.clone(), staff.clone(), sender.clone());
            std::thread::spawn(move || work(&base, &staff, w, &sender))
        })
        .collect();
    drop(sender);
    // Kill once enough is acknowledged that requests of every kind are in flight.
    let mut acked = Vec::new();
    while acked.len() < 120 {
        let a = received
            .recv_timeout(Duration::from_secs(60))
            .expect("the workers stopped making progress");
        acked.push(a);
    }
    first.kill();
    for w in workers {
        w.join().unwrap();
    }
    acked.extend(received.try_iter());

    // Where the checks go: the second instance, or the first started again.
    let again =
        (!two_instances).then(|| testkit::Child::start(testkit::registry_command(&dir, url)));
    let check = second.as_ref().or(again.as_ref()).unwrap().url.clone();
    let mut reads: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    for a in &acked {
        match a {
            Acked::Patient(id) => {
                let (status, _) = http(
                    &check,
                    "GET",
                    &format!("/api/v1/patients/{id}"),
                    &staff.registrar,
                    None,
                );
                assert_eq!(status, 200, "acknowledged patient {id}");
            }
            Acked::Card(serial) => {
                let (status, v) = http(
                    &check,
                    "GET",
                    &format!("/api/v1/cards/{serial}/status"),
                    &staff.pharmacist,
                    None,
                );
                assert_eq!(status, 200, "acknowledged card {serial}: {v}");
            }
            Acked::Dispensing(auth) => {
                let (status, v) = http(
                    &check,
                    "GET",
                    &format!("/api/v1/authorisations/{auth}/dispensings"),
                    &staff.pharmacist,
                    None,
                );
                assert_eq!(status, 200, "{v}");
                assert!(
                    v.as_array().is_some_and(|d| !d.is_empty()),
                    "acknowledged dispensing on {auth}: {v}"
                );
            }
            Acked::Read(id) => *reads.entry(id.clone()).or_default() += 1,
        }
    }
    for (id, n) in &reads {
        let (_, entries) = http(
            &check,
            "GET",
            &format!("/api/v1/audit?action=patient.read&entity_id={id}&limit=1000"),
            &staff.auditor,
            None,
        );
        let audited = entries.as_array().map_or(0, Vec::len) as i64;
        // The checks above read each patient once more, audited too.
        assert!(
            audited >= *n,
            "patient {id}: {n} acknowledged reads, {audited} audited"
        );
    }
    let (status, chain) = http(&check, "GET", "/api/v1/audit/verify", &staff.auditor, None);
    assert_eq!(status, 200);
    assert_eq!(chain["intact"], true, "{chain}");
    for (rows, audits) in [
        (
            "SELECT COUNT(*) FROM patients",
            "SELECT COUNT(*) FROM audit_log WHERE action = 'patient.create'",
        ),
        (
            "SELECT COUNT(*) FROM cards",
            "SELECT COUNT(*) FROM audit_log WHERE action = 'card.issue'",
        ),
        (
            "SELECT COUNT(*) FROM dispensings",
            "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'dispensing.record%'",
        ),
    ] {
        assert_eq!(
            count(url, rows),
            count(url, audits),
            "{rows}: each with its audit entry"
        );
    }
    let (status, _) = http(
        &check,
        "POST",
        "/api/v1/patients",
        &staff.registrar,
        Some(&patient_body("219990101234")),
    );
    assert_eq!(status, 201, "the surviving instance writes");
    println!(
        "killed mid-write: {} acknowledged ({} patients), all there",
        acked.len(),
        acked
            .iter()
            .filter(|a| matches!(a, Acked::Patient(_)))
            .count()
    );
    drop(again);
    drop(second);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_instance_killed_mid_write_loses_nothing_it_acknowledged_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("lyr-kill-db-{}", registry_server::auth::new_id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite:{}?mode=rwc", dir.join("registry.sqlite").display());
    killed_mid_write(&url, false);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_instance_killed_mid_write_loses_nothing_it_acknowledged_on_postgresql() {
    let Some(admin) = testkit::postgres_url() else {
        assert!(
            !testkit::real_stack_required(),
            "PostgreSQL at TEST_POSTGRES_URL is required"
        );
        return;
    };
    let name = format!("lyr_kill_{}", registry_server::auth::new_id());
    let sql = |statement: String| {
        use sqlx::{Connection, Executor};
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            sqlx::any::install_default_drivers();
            let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap();
            conn.execute(statement.as_str()).await.unwrap();
        });
    };
    sql(format!("CREATE DATABASE {name}"));
    let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    killed_mid_write(&url, true);
    sql(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}
