//! Load benchmark of the registry (docs/benchmarks.md, "registry-server").
//!
//! ```sh
//! cargo build --release -p registry-server --bins --examples
//! target/release/examples/load --database sqlite --patients 1000000
//! target/release/examples/load --database postgres --patients 1000000
//! ```
//!
//! `scripts/bench-registry.sh` runs both and collects the tables.
//!
//! 1. **Seed.** N synthetic patients go straight into the database through SQL, with the
//!    rows the API would write: `patients` (version 1) and `patient_name_keys` from
//!    [`registry_server::names::search_keys`] of the Arabic and the Latin name. Names are
//!    drawn from lists of common Libyan given and family names; national numbers are unique
//!    12-digit numbers (sex digit, birth year, a 7-digit serial). SQLite gets multi-row
//!    INSERTs in one transaction per 100,000 patients; PostgreSQL gets `COPY ... FROM STDIN`.
//!    Every patient is a pure function of its index, so the load can pick existing patients
//!    without keeping them in memory.
//! 2. **Serve.** The real server runs as a child process (`target/release/registry-server`,
//!    the fixture test keys, the seeded database) so that its memory is its own; with
//!    `--server in-process` it runs inside this process instead (`registry_server::server::serve`).
//! 3. **Load.** An HTTP/1.1 client (hyper-util, keep-alive) over loopback, with a bounded
//!    number of requests in flight and a bounded count and time per phase:
//!    - setup: registrar and clinician users, then P patients registered through the API,
//!      each with a tumour and three medicine authorisations;
//!    - card issuance: `POST /api/v1/patients/{id}/cards`, round-robin over the P patients
//!      (from the second round on, each card supersedes the previous one);
//!    - lookup by national number: `GET /api/v1/patients?id_type=national&identifier=...`
//!      for random seeded patients (each one appends an audit entry, as in production);
//!    - lookup by name: `GET /api/v1/patients?name=<given> <family>` (Arabic or Latin);
//!    - the web desk's patient record page, `GET /desk/patients/{id}` (HTML, signed in as a
//!      registrar with a password), alternately for a setup patient (tumour, medicines,
//!      cards) and a random seeded one; 8 and then 1 request in flight;
//!    - the duplicate search for a new registration, `POST /api/v1/duplicates/search`, with a
//!      seeded patient typed again (identifier one digit off, name parts rotated, birth date
//!      with month and day swapped); 8 and then 1 request in flight.
//! 4. **Report.** A markdown section on stdout: per phase the count, errors, requests/s,
//!    latency p50/p99/max, server CPU time, machine CPU busy, server peak RSS; the server's
//!    VmHWM at the end. Progress goes to stderr.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use axum::body::Bytes;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{Method, Request, StatusCode};
use clap::{Parser, ValueEnum};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use registry_server::db::{self, Db, DbOptions};
use registry_server::domain::{Clock, Settings};
use registry_server::names;
use registry_server::names::common::{FAMILY, FEMALE, MALE};
use registry_server::signing::{KeyFiles, Signing};
use serde_json::{json, Value};
use sqlx::{Connection, Executor};

/// Patients per seeding transaction (and per progress line).
const CHUNK: u64 = 100_000;
/// National-number serials are a bijection of the index modulo 10^7.
const MAX_PATIENTS: u64 = 10_000_000;
/// Days since 1970-01-01 of 1940-01-01, and the span of birth dates (to 2020-12-31).
const BIRTH_FIRST: i64 = -10_957;
const BIRTH_SPAN: u64 = 29_585;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Database {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ServerMode {
    /// `target/release/registry-server` as a child process (its memory is measured alone).
    Child,
    /// The router served from this process (memory then includes the client).
    InProcess,
}

/// Seeds a registry and measures card issuance and patient lookups over HTTP.
#[derive(Debug, Parser)]
struct Args {
    /// Database to run on.
    #[arg(long, value_enum, default_value = "sqlite")]
    database: Database,
    /// Patients to seed through SQL.
    #[arg(long, default_value_t = 1_000_000)]
    patients: u64,
    /// SQLite file (deleted and re-created unless --reuse).
    #[arg(long, default_value = "target/bench-registry/registry.sqlite")]
    sqlite_path: PathBuf,
    /// PostgreSQL server.
    #[arg(
        long,
        env = "BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    postgres_url: String,
    /// PostgreSQL schema (dropped and re-created unless --reuse).
    #[arg(long, default_value = "bench")]
    pg_schema: String,
    /// Keep a database already seeded with this many patients.
    #[arg(long)]
    reuse: bool,
    /// Where the server runs.
    #[arg(long, value_enum, default_value = "child")]
    server: ServerMode,
    /// The server binary (default: `registry-server` next to this example's directory).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Server pool size for PostgreSQL (SQLite always uses one connection).
    #[arg(long, default_value_t = 16)]
    db_max_connections: u32,
    /// Requests in flight.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Patients registered through the API (tumour + 3 medicines) for card issuance.
    #[arg(long, default_value_t = 500)]
    issue_patients: u64,
    /// Cards to issue.
    #[arg(long, default_value_t = 5_000)]
    cards: u64,
    /// Lookups by national number before the measured ones (not counted).
    #[arg(long, default_value_t = 1_000)]
    warmup: u64,
    /// Lookups by national number.
    #[arg(long, default_value_t = 20_000)]
    lookups: u64,
    /// Lookups by national number with one request in flight (service time, no queueing).
    #[arg(long, default_value_t = 3_000)]
    serial_lookups: u64,
    /// Lookups by name.
    #[arg(long, default_value_t = 5_000)]
    name_lookups: u64,
    /// Loads of the web desk's patient record page (8 in flight, then a quarter as many
    /// with 1 in flight).
    #[arg(long, default_value_t = 4_000)]
    page_loads: u64,
    /// Duplicate searches for a new registration (8 in flight, then a quarter as many with
    /// 1 in flight).
    #[arg(long, default_value_t = 4_000)]
    duplicate_searches: u64,
    /// Time limit of each phase, seconds (the phase stops early, the report says so).
    #[arg(long, default_value_t = 120)]
    max_seconds: u64,
    /// Working directory: key copies, server log, token file.
    #[arg(long, default_value = "target/bench-registry")]
    work_dir: PathBuf,
}

impl Database {
    fn label(self) -> &'static str {
        match self {
            Database::Sqlite => "SQLite",
            Database::Postgres => "PostgreSQL",
        }
    }
}

// ---------------------------------------------------------------------------------------
// Synthetic patients (names: registry_server::names::common)

const MUNICIPALITIES: &[&str] = &[
    "Benghazi", "Tripoli", "Misrata", "Zawiya", "Bayda", "Sabha", "Tobruk", "Derna", "Sirte",
    "Zliten", "Khoms", "Gharyan", "Ajdabiya", "Marj", "Zuwara", "Ubari", "Kufra", "Nalut",
];

const BLOOD_GROUPS: &[&str] = &["A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-"];

/// SplitMix64: a small deterministic generator (patients are functions of their index).
#[derive(Debug)]
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// A synthetic patient.
#[derive(Debug)]
struct Person {
    national: String,
    female: bool,
    /// (Arabic, Latin) of given, father's, grandfather's and family name.
    parts: [(&'static str, &'static str); 4],
    birth_date: i64,
    blood_group: Option<&'static str>,
    municipality: &'static str,
}

impl Person {
    /// Patient number `i` (0-based; the same every run).
    fn nth(i: u64) -> Person {
        let mut rng = SplitMix(i ^ 0x5EED_0F11_B7A5);
        let female = rng.next() & 1 == 1;
        let given = rng.pick(if female { FEMALE } else { MALE });
        let parts = [given, rng.pick(MALE), rng.pick(MALE), rng.pick(FAMILY)];
        let birth_date = BIRTH_FIRST + rng.below(BIRTH_SPAN) as i64;
        let year = card_format::model::Date(birth_date as i32)
            .to_ymd()
            .map_or(1970, |(y, _, _)| y);
        let serial = (i.wrapping_mul(7_919_993).wrapping_add(1_234_567)) % MAX_PATIENTS;
        let sex_digit = if female { 2 } else { 1 };
        let blood_group = (rng.below(5) != 0).then(|| rng.pick(BLOOD_GROUPS));
        Person {
            national: format!("{sex_digit}{year:04}{serial:07}"),
            female,
            parts,
            birth_date,
            blood_group,
            municipality: rng.pick(MUNICIPALITIES),
        }
    }

    fn name_ar(&self) -> Vec<String> {
        self.parts.iter().map(|p| p.0.to_string()).collect()
    }

    fn name_latin(&self) -> Vec<String> {
        self.parts.iter().map(|p| p.1.to_string()).collect()
    }

    fn sex(&self) -> &'static str {
        if self.female {
            "female"
        } else {
            "male"
        }
    }

    /// The name keys the API stores (`http::patients::search_keys` + `replace_keys`).
    fn keys(&self) -> Vec<String> {
        let mut keys = names::search_keys(&self.name_ar());
        keys.extend(names::search_keys(&self.name_latin()));
        keys.sort();
        keys.dedup();
        keys
    }

    /// The same person typed again: one digit of the national number changed, the name
    /// parts in another order, and the birth date with month and day swapped (or, when the
    /// day is above 12, a day later): what the duplicate search must find.
    fn typed_again(&self) -> Value {
        let mut digits: Vec<char> = self.national.chars().collect();
        if let Some(last) = digits.last_mut() {
            let d = last.to_digit(10).unwrap_or(0);
            *last = char::from_digit((d + 1) % 10, 10).unwrap_or('0');
        }
        let date = card_format::model::Date(self.birth_date as i32);
        let birth = match date.to_ymd() {
            Some((y, m, d)) if d <= 12 && d != m => format!("{y:04}-{d:02}-{m:02}"),
            _ => card_format::model::Date(date.0 + 1).to_string(),
        };
        let mut ar = self.name_ar();
        let mut latin = self.name_latin();
        ar.rotate_left(1);
        latin.rotate_left(1);
        json!({
            "id_type": "national",
            "id_value": digits.into_iter().collect::<String>(),
            "name_ar": ar,
            "name_latin": latin,
            "sex": self.sex(),
            "birth_date": birth,
        })
    }

    /// The registration body the API takes.
    fn body(&self) -> Value {
        json!({
            "id_type": "national",
            "id_value": self.national,
            "name_ar": self.name_ar(),
            "name_latin": self.name_latin(),
            "sex": self.sex(),
            "birth_date": card_format::model::Date(self.birth_date as i32).to_string(),
            "blood_group": self.blood_group,
            "municipality": self.municipality,
        })
    }
}

/// One seeded row with its keys, ready to insert.
#[derive(Debug)]
struct Row {
    id: String,
    national: String,
    name_ar: String,
    name_latin: String,
    sex: &'static str,
    birth_date: i64,
    blood_group: Option<&'static str>,
    municipality: &'static str,
    keys: Vec<String>,
}

fn row(id: String, i: u64) -> Row {
    let p = Person::nth(i);
    let json = |v: Vec<String>| serde_json::to_string(&v).unwrap_or_else(|_| "[]".into());
    Row {
        id,
        keys: p.keys(),
        name_ar: json(p.name_ar()),
        name_latin: json(p.name_latin()),
        national: p.national,
        sex: if p.female { "female" } else { "male" },
        birth_date: p.birth_date,
        blood_group: p.blood_group,
        municipality: p.municipality,
    }
}

/// Generates the rows on a thread of its own, one chunk at a time, while the previous chunk
/// is written. Registry ids are random like the API's, sorted so inserts append to the
/// indexes (the page fill is then higher than after random inserts; the content is the same).
fn generate(n: u64) -> tokio::sync::mpsc::Receiver<Vec<Row>> {
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    std::thread::spawn(move || {
        let mut ids: Vec<String> = (0..n).map(|_| registry_server::auth::new_id()).collect();
        ids.sort_unstable();
        let mut ids = ids.into_iter();
        let mut start = 0;
        while start < n {
            let end = (start + CHUNK).min(n);
            let chunk: Vec<Row> = (start..end)
                .zip(ids.by_ref())
                .map(|(i, id)| row(id, i))
                .collect();
            if tx.blocking_send(chunk).is_err() {
                return;
            }
            start = end;
        }
    });
    rx
}

// ---------------------------------------------------------------------------------------
// Seeding

fn unix_now() -> i64 {
    Clock::system().now()
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite:{}?mode=rwc", path.display())
}

fn db_options(args: &Args) -> DbOptions {
    match args.database {
        Database::Sqlite => DbOptions {
            url: sqlite_url(&args.sqlite_path),
            max_connections: 1,
            pg_schema: None,
        },
        Database::Postgres => DbOptions {
            url: args.postgres_url.clone(),
            max_connections: args.db_max_connections,
            pg_schema: Some(args.pg_schema.clone()),
        },
    }
}

/// The URL the child server gets: for PostgreSQL, the schema goes in as `search_path`.
fn server_url(args: &Args) -> String {
    match args.database {
        Database::Sqlite => sqlite_url(&args.sqlite_path),
        Database::Postgres => {
            let sep = if args.postgres_url.contains('?') {
                '&'
            } else {
                '?'
            };
            format!(
                "{}{sep}options=-c%20search_path%3D{}",
                args.postgres_url, args.pg_schema
            )
        }
    }
}

/// Removes the previous database.
async fn reset(args: &Args) -> anyhow::Result<()> {
    match args.database {
        Database::Sqlite => {
            for suffix in ["", "-wal", "-shm"] {
                let path = PathBuf::from(format!("{}{suffix}", args.sqlite_path.display()));
                if path.exists() {
                    std::fs::remove_file(&path)
                        .with_context(|| format!("while removing {}", path.display()))?;
                }
            }
        }
        Database::Postgres => {
            if !args
                .pg_schema
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_')
            {
                bail!("--pg-schema must be [a-z_]+");
            }
            let mut conn = sqlx::postgres::PgConnection::connect(&args.postgres_url).await?;
            conn.execute(format!("DROP SCHEMA IF EXISTS {} CASCADE", args.pg_schema).as_str())
                .await?;
            conn.close().await?;
        }
    }
    Ok(())
}

async fn count(db: &Db, sql: &str) -> anyhow::Result<u64> {
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&db.pool).await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// What seeding did.
#[derive(Debug, Default)]
struct Seeded {
    seconds: f64,
    keys: u64,
    reused: bool,
}

fn progress(done: u64, n: u64, keys: u64, start: Instant) {
    eprintln!(
        "seed: {done}/{n} patients, {keys} name keys, {:.1} s",
        start.elapsed().as_secs_f64()
    );
}

async fn seed_sqlite(db: &Db, n: u64) -> anyhow::Result<u64> {
    // Anonymous `?` parameters: sqlx-sqlite looks up each parameter's name, and with
    // numbered ones (`$n`) that lookup is linear, so big statements became quadratic.
    const PATIENT_ROWS: usize = 1_000; // 8 parameters a row, SQLite allows 32,766
    const KEY_ROWS: usize = 5_000; // 2 parameters a row
    let now = unix_now();
    let start = Instant::now();
    let mut conn = db.pool.acquire().await?;
    // Seeding only: a big page cache and no sync; the server runs with its own settings.
    conn.execute("PRAGMA cache_size = -524288; PRAGMA synchronous = OFF")
        .await?;
    let patient_sql = |rows: usize| {
        let mut sql = String::from(
            "INSERT INTO patients (id, id_type, id_value, name_ar, name_latin, sex, birth_date, \
             blood_group, municipality, phone, insurance_scheme, insurance_member_id, version, \
             created_at, updated_at, updated_by) VALUES ",
        );
        for r in 0..rows {
            if r > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(?,'national',?,?,?,?,?,?,?,NULL,NULL,NULL,1,{now},{now},'seed')"
            ));
        }
        sql
    };
    let key_sql = |rows: usize| {
        let mut sql = String::from("INSERT INTO patient_name_keys (name_key, patient_id) VALUES ");
        for r in 0..rows {
            if r > 0 {
                sql.push(',');
            }
            sql.push_str("(?,?)");
        }
        sql
    };
    let full_patients = patient_sql(PATIENT_ROWS);
    let full_keys = key_sql(KEY_ROWS);
    let mut chunks = generate(n);
    let (mut done, mut keys) = (0u64, 0u64);
    while let Some(chunk) = chunks.recv().await {
        let mut tx = conn.begin().await?;
        for rows in chunk.chunks(PATIENT_ROWS) {
            let partial;
            let sql = if rows.len() == PATIENT_ROWS {
                &full_patients
            } else {
                partial = patient_sql(rows.len());
                &partial
            };
            let mut q = sqlx::query(sql);
            for r in rows {
                q = q
                    .bind(r.id.as_str())
                    .bind(r.national.as_str())
                    .bind(r.name_ar.as_str())
                    .bind(r.name_latin.as_str())
                    .bind(r.sex)
                    .bind(r.birth_date)
                    .bind(r.blood_group)
                    .bind(r.municipality);
            }
            q.execute(&mut *tx).await?;
        }
        let pairs: Vec<(&str, &str)> = chunk
            .iter()
            .flat_map(|r| r.keys.iter().map(|k| (k.as_str(), r.id.as_str())))
            .collect();
        for batch in pairs.chunks(KEY_ROWS) {
            let partial;
            let sql = if batch.len() == KEY_ROWS {
                &full_keys
            } else {
                partial = key_sql(batch.len());
                &partial
            };
            let mut q = sqlx::query(sql);
            for (k, id) in batch {
                q = q.bind(*k).bind(*id);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        done += chunk.len() as u64;
        keys += pairs.len() as u64;
        progress(done, n, keys, start);
    }
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA synchronous = NORMAL")
        .await?;
    Ok(keys)
}

/// One field of a `COPY ... FROM STDIN` text-format row.
fn copy_field(out: &mut String, value: Option<&str>) {
    match value {
        None => out.push_str("\\N"),
        Some(v) => {
            for c in v.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    c => out.push(c),
                }
            }
        }
    }
}

async fn seed_postgres(args: &Args, n: u64) -> anyhow::Result<u64> {
    let now = unix_now().to_string();
    let start = Instant::now();
    let mut conn = sqlx::postgres::PgConnection::connect(&args.postgres_url).await?;
    conn.execute(format!("SET search_path TO {}", args.pg_schema).as_str())
        .await?;
    // Seeding only: commits need not wait for the WAL flush.
    conn.execute("SET synchronous_commit = off").await?;
    let mut chunks = generate(n);
    let (mut done, mut keys) = (0u64, 0u64);
    while let Some(chunk) = chunks.recv().await {
        let mut patients = String::with_capacity(chunk.len() * 300);
        let mut key_rows = String::with_capacity(chunk.len() * 8 * 48);
        for r in &chunk {
            let birth = r.birth_date.to_string();
            let fields = [
                Some(r.id.as_str()),
                Some("national"),
                Some(r.national.as_str()),
                Some(r.name_ar.as_str()),
                Some(r.name_latin.as_str()),
                Some(r.sex),
                Some(birth.as_str()),
                r.blood_group,
                Some(r.municipality),
                None,
                None,
                None,
                Some("1"),
                Some(now.as_str()),
                Some(now.as_str()),
                Some("seed"),
            ];
            for (f, value) in fields.iter().enumerate() {
                if f > 0 {
                    patients.push('\t');
                }
                copy_field(&mut patients, *value);
            }
            patients.push('\n');
            for k in &r.keys {
                copy_field(&mut key_rows, Some(k));
                key_rows.push('\t');
                copy_field(&mut key_rows, Some(&r.id));
                key_rows.push('\n');
                keys += 1;
            }
        }
        let mut copy = conn
            .copy_in_raw(
                "COPY patients (id, id_type, id_value, name_ar, name_latin, sex, birth_date, \
                 blood_group, municipality, phone, insurance_scheme, insurance_member_id, \
                 version, created_at, updated_at, updated_by) FROM STDIN",
            )
            .await?;
        copy.send(patients.as_bytes()).await?;
        copy.finish().await?;
        let mut copy = conn
            .copy_in_raw("COPY patient_name_keys (name_key, patient_id) FROM STDIN")
            .await?;
        copy.send(key_rows.as_bytes()).await?;
        copy.finish().await?;
        done += chunk.len() as u64;
        progress(done, n, keys, start);
    }
    // What autovacuum would do after a bulk load, done now so the planner has statistics.
    conn.execute("ANALYZE").await?;
    conn.close().await?;
    Ok(keys)
}

/// Seeds unless `--reuse` finds the same number of seeded patients.
async fn seed(args: &Args) -> anyhow::Result<Seeded> {
    if args.patients + args.issue_patients * 100 > MAX_PATIENTS {
        bail!("at most {MAX_PATIENTS} patients (national-number serials are 7 digits)");
    }
    if args.reuse {
        if let Ok(db) = db::connect(&db_options(args)).await {
            let seeded = count(
                &db,
                "SELECT COUNT(*) FROM patients WHERE updated_by = 'seed'",
            )
            .await
            .unwrap_or(0);
            db.pool.close().await;
            if seeded == args.patients {
                eprintln!("seed: reusing {seeded} seeded patients");
                return Ok(Seeded {
                    reused: true,
                    ..Seeded::default()
                });
            }
        }
    }
    reset(args).await?;
    let start = Instant::now();
    let db = db::connect(&db_options(args)).await?;
    let keys = match args.database {
        Database::Sqlite => seed_sqlite(&db, args.patients).await?,
        Database::Postgres => seed_postgres(args, args.patients).await?,
    };
    db.pool.close().await;
    Ok(Seeded {
        seconds: start.elapsed().as_secs_f64(),
        keys,
        reused: false,
    })
}

// ---------------------------------------------------------------------------------------
// /proc readings

/// Resident set (VmRSS) and its peak (VmHWM) of a process, in KiB.
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// User + system CPU time of a process, in clock ticks (USER_HZ, 100 on Linux).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<u64> = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse().ok())
        .collect();
    fields.iter().sum()
}

/// (busy, total) jiffies of the whole machine, from /proc/stat.
fn machine_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let values: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    let total: u64 = values.iter().take(8).sum();
    let idle = values.get(3).copied().unwrap_or(0) + values.get(4).copied().unwrap_or(0);
    (total.saturating_sub(idle), total)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Samples the server's RSS every 50 ms; `peak` is reset at the start of each phase.
#[derive(Debug)]
struct Monitor {
    pid: u32,
    peak: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Monitor {
    fn start(pid: u32) -> Monitor {
        let peak = Arc::new(AtomicU64::new(0));
        let sampled = peak.clone();
        let task = tokio::spawn(async move {
            loop {
                sampled.fetch_max(memory_kib(pid).0, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        Monitor { pid, peak, task }
    }
}

// ---------------------------------------------------------------------------------------
// HTTP

#[derive(Debug, Clone)]
struct Api {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
}

impl Api {
    fn new(base: String, concurrency: usize) -> Api {
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(concurrency * 2)
            .build_http();
        Api { client, base }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(StatusCode, Bytes)> {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if !token.is_empty() {
            req = req.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = match body {
            Some(v) => {
                req = req.header(CONTENT_TYPE, "application/json");
                Full::new(Bytes::from(serde_json::to_vec(v)?))
            }
            None => Full::new(Bytes::new()),
        };
        let resp = self.client.request(req.body(body)?).await?;
        let status = resp.status();
        let bytes = resp.into_body().collect().await?.to_bytes();
        Ok((status, bytes))
    }

    /// A call that must answer `want`; returns the JSON body.
    async fn expect(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
        want: StatusCode,
    ) -> anyhow::Result<Value> {
        let (status, bytes) = self.call(method.clone(), path, token, body).await?;
        if status != want {
            bail!(
                "{method} {path}: {status}: {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }
}

/// A signed-in desk session: the cookie header to send.
async fn desk_sign_in(api: &Api, username: &str, password: &str) -> anyhow::Result<String> {
    use axum::http::header::{COOKIE, SET_COOKIE};
    let cookie_of = |headers: &axum::http::HeaderMap, name: &str| {
        headers.get_all(SET_COOKIE).iter().find_map(|v| {
            let v = v.to_str().ok()?;
            let pair = v.split(';').next()?;
            let (k, value) = pair.split_once('=')?;
            (k.trim() == name && !value.is_empty()).then(|| value.to_string())
        })
    };
    let req = Request::builder()
        .uri(format!("{}/desk/login", api.base))
        .body(Full::new(Bytes::new()))?;
    let resp = api.client.request(req).await?;
    let csrf = cookie_of(resp.headers(), "__Host-desk_login_csrf")
        .context("the sign-in page set no CSRF cookie")?;
    let form = format!(
        "csrf={}&username={}&password={}",
        encode(&csrf),
        encode(username),
        encode(password)
    );
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("{}/desk/login", api.base))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(COOKIE, format!("__Host-desk_login_csrf={csrf}"))
        .body(Full::new(Bytes::from(form)))?;
    let resp = api.client.request(req).await?;
    let status = resp.status();
    let session = cookie_of(resp.headers(), "__Host-desk_session")
        .with_context(|| format!("sign-in as {username} answered {status} without a session"))?;
    Ok(format!("__Host-desk_session={session}"))
}

/// `GET path` with a desk session cookie; the status and the body.
async fn desk_get(api: &Api, path: &str, cookie: &str) -> anyhow::Result<(StatusCode, Bytes)> {
    let req = Request::builder()
        .uri(format!("{}{path}", api.base))
        .header(axum::http::header::COOKIE, cookie)
        .body(Full::new(Bytes::new()))?;
    let resp = api.client.request(req).await?;
    let status = resp.status();
    Ok((status, resp.into_body().collect().await?.to_bytes()))
}

/// Percent-encodes a query value (UTF-8 bytes; unreserved characters stay).
fn encode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Load phases

/// The outcome of one phase.
#[derive(Debug, Default)]
struct Phase {
    name: String,
    ok: u64,
    failed: u64,
    first_error: Option<String>,
    /// Latencies of the successful requests, microseconds, sorted.
    latencies: Vec<u64>,
    /// A phase-specific sum (results returned by name lookups).
    extra: u64,
    seconds: f64,
    stopped_by_time: bool,
    server_cpu_seconds: f64,
    machine_busy: f64,
    peak_rss_kib: u64,
}

impl Phase {
    fn rate(&self) -> f64 {
        self.ok as f64 / self.seconds.max(1e-9)
    }

    fn percentile_ms(&self, q: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let rank =
            ((q * self.latencies.len() as f64).ceil() as usize).clamp(1, self.latencies.len());
        self.latencies[rank - 1] as f64 / 1000.0
    }

    fn max_ms(&self) -> f64 {
        self.latencies
            .last()
            .map_or(f64::NAN, |&v| v as f64 / 1000.0)
    }
}

/// Runs `total` operations (`op(k)` for k = 0..total) with `concurrency` in flight, for at
/// most `limit`; measures latency, server CPU, machine CPU and server RSS.
async fn run<F, Fut>(
    name: &str,
    monitor: &Monitor,
    concurrency: usize,
    total: u64,
    limit: Duration,
    op: F,
) -> anyhow::Result<Phase>
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<u64>> + Send + 'static,
{
    eprintln!("load: {name}: {total} operations, {concurrency} in flight");
    let op = Arc::new(op);
    let next = Arc::new(AtomicU64::new(0));
    monitor
        .peak
        .store(memory_kib(monitor.pid).0, Ordering::Relaxed);
    let cpu0 = cpu_ticks(monitor.pid);
    let machine0 = machine_ticks();
    let start = Instant::now();
    let deadline = start + limit;
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let op = op.clone();
        let next = next.clone();
        workers.spawn(async move {
            let mut part = Phase::default();
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= total {
                    break;
                }
                if Instant::now() >= deadline {
                    part.stopped_by_time = true;
                    break;
                }
                let t = Instant::now();
                match op(k).await {
                    Ok(extra) => {
                        part.latencies.push(t.elapsed().as_micros() as u64);
                        part.ok += 1;
                        part.extra += extra;
                    }
                    Err(e) => {
                        part.failed += 1;
                        part.first_error.get_or_insert_with(|| format!("{e:#}"));
                    }
                }
            }
            part
        });
    }
    let mut phase = Phase {
        name: name.to_string(),
        ..Phase::default()
    };
    while let Some(part) = workers.join_next().await {
        let part = part?;
        phase.ok += part.ok;
        phase.failed += part.failed;
        phase.extra += part.extra;
        phase.stopped_by_time |= part.stopped_by_time;
        phase.latencies.extend(part.latencies);
        if phase.first_error.is_none() {
            phase.first_error = part.first_error;
        }
    }
    phase.seconds = start.elapsed().as_secs_f64();
    phase.latencies.sort_unstable();
    phase.server_cpu_seconds = cpu_ticks(monitor.pid).saturating_sub(cpu0) as f64 / 100.0;
    let machine1 = machine_ticks();
    phase.machine_busy = (machine1.0.saturating_sub(machine0.0)) as f64
        / (machine1.1.saturating_sub(machine0.1)).max(1) as f64;
    phase.peak_rss_kib = monitor.peak.load(Ordering::Relaxed);
    if let Some(e) = &phase.first_error {
        eprintln!("load: {name}: {} failed; first: {e}", phase.failed);
    }
    eprintln!(
        "load: {name}: {} ok in {:.1} s = {:.0}/s, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        phase.ok,
        phase.seconds,
        phase.rate(),
        phase.percentile_ms(0.50),
        phase.percentile_ms(0.99),
        phase.max_ms()
    );
    Ok(phase)
}

// ---------------------------------------------------------------------------------------
// The server

/// A running server: a child process or a task of this process.
#[derive(Debug)]
enum Server {
    Child(std::process::Child),
    InProcess(tokio::sync::oneshot::Sender<()>),
}

impl Server {
    fn pid(&self) -> u32 {
        match self {
            Server::Child(c) => c.id(),
            Server::InProcess(_) => std::process::id(),
        }
    }

    fn stop(self) {
        match self {
            Server::Child(mut c) => {
                let _ = c.kill();
                let _ = c.wait();
            }
            Server::InProcess(tx) => {
                let _ = tx.send(());
            }
        }
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// An admin token: the one the server wrote at first start, or a new one for the existing
/// admin (when the database is reused).
async fn admin_token(args: &Args, token_file: &Path) -> anyhow::Result<String> {
    if let Ok(token) = std::fs::read_to_string(token_file) {
        return Ok(token.trim().to_string());
    }
    let db = db::connect(&db_options(args)).await?;
    let (user_id,): (String,) = sqlx::query_as("SELECT id FROM users WHERE username = 'admin'")
        .fetch_one(&db.pool)
        .await
        .context("no admin user and no first-admin token file")?;
    let token = mint_token(&db, &user_id).await?;
    db.pool.close().await;
    Ok(token)
}

/// Starts the server; returns it, its base URL and an admin token.
async fn start_server(args: &Args) -> anyhow::Result<(Server, String, String)> {
    let keys = KeyFiles::dev(&repo_root(), &args.work_dir.join("keys"))?;
    let db_name = match args.database {
        Database::Sqlite => "sqlite",
        Database::Postgres => "postgres",
    };
    let token_file = args.work_dir.join(format!("admin-token-{db_name}"));
    if token_file.exists() {
        std::fs::remove_file(&token_file)?;
    }
    let (server, base) = match args.server {
        ServerMode::Child => {
            let bin = match &args.server_bin {
                Some(bin) => bin.clone(),
                None => std::env::current_exe()?
                    .parent()
                    .and_then(Path::parent)
                    .map(|dir| dir.join("registry-server"))
                    .context("where is registry-server?")?,
            };
            if !bin.exists() {
                bail!(
                    "{} not found: cargo build --release -p registry-server --bins",
                    bin.display()
                );
            }
            let port = std::net::TcpListener::bind("127.0.0.1:0")?
                .local_addr()?
                .port();
            let log_path = args.work_dir.join(format!("server-{db_name}.log"));
            let log = std::fs::File::create(&log_path)?;
            let mut command = std::process::Command::new(&bin);
            if let Some(issuer_key) = &keys.issuer_key {
                command.arg("--issuer-key").arg(issuer_key);
            }
            let child = command
                .arg("--database-url")
                .arg(server_url(args))
                .arg("--db-max-connections")
                .arg(args.db_max_connections.to_string())
                .arg("--listen")
                .arg(format!("127.0.0.1:{port}"))
                .arg("--issuer-cert")
                .arg(&keys.issuer_cert)
                .arg("--list-key")
                .arg(&keys.list_key)
                .arg("--list-cert")
                .arg(&keys.list_cert)
                .arg("--root-public-key")
                .arg(&keys.root_public_key)
                .arg("--first-admin-token-file")
                .arg(&token_file)
                .env_remove("DATABASE_URL")
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .with_context(|| format!("while starting {}", bin.display()))?;
            eprintln!(
                "server: {} (pid {}), log in {}",
                bin.display(),
                child.id(),
                log_path.display()
            );
            (Server::Child(child), format!("http://127.0.0.1:{port}"))
        }
        ServerMode::InProcess => {
            let signing = Signing::load(&keys)?;
            let db = db::connect(&db_options(args)).await?;
            let state =
                registry_server::app::prepare(db, signing, Settings::default(), Clock::system())
                    .await?;
            if let Some(token) = registry_server::app::first_admin(&state).await? {
                std::fs::write(&token_file, token)?;
            }
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let base = format!("http://{}", listener.local_addr()?);
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            let app = registry_server::server::app(state);
            tokio::spawn(registry_server::server::serve(
                listener,
                app,
                std::time::Duration::from_secs(30),
                async move {
                    let _ = rx.await;
                },
            ));
            (Server::InProcess(tx), base)
        }
    };
    // Wait until it answers.
    let probe = Api::new(base.clone(), 1);
    let started = Instant::now();
    loop {
        if let Ok((StatusCode::OK, _)) = probe.call(Method::GET, "/readyz", "", None).await {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            server.stop();
            bail!("the server did not become ready in 60 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The first start writes the token file just before listening.
    let token = admin_token(args, &token_file).await?;
    Ok((server, base, token))
}

// ---------------------------------------------------------------------------------------
// The benchmark

/// A new API token for `user_id`, valid a day, written straight into the database.
async fn mint_token(db: &db::Db, user_id: &str) -> anyhow::Result<String> {
    let token = registry_server::auth::new_token();
    db::tokens::insert(
        &db.pool,
        &db::tokens::NewTokenRow {
            hash: &registry_server::auth::hash_token(&token),
            id: &registry_server::auth::new_id(),
            user_id,
            created_at: unix_now(),
            expires_at: unix_now() + 86_400,
        },
    )
    .await?;
    Ok(token)
}

/// A second admin's token, straight into the database (as [`admin_token`]): a user of a
/// role that reads patient data, and another user's password, wait for a second admin.
async fn second_admin(args: &Args) -> anyhow::Result<String> {
    let db = db::connect(&db_options(args)).await?;
    let existing: Option<(String,)> =
        sqlx::query_as("SELECT id FROM users WHERE username = 'bench-admin2'")
            .fetch_optional(&db.pool)
            .await?;
    let user_id = match existing {
        Some((id,)) => id,
        None => {
            let user = db::users::User {
                id: registry_server::auth::new_id(),
                username: "bench-admin2".into(),
                display_name: "Benchmark second admin".into(),
                role: "admin".into(),
                facility_code: "LY-MOH".into(),
                active: 1,
                created_at: unix_now(),
            };
            db::users::insert_user(&db.pool, &user).await?;
            user.id
        }
    };
    let token = mint_token(&db, &user_id).await?;
    db.pool.close().await;
    Ok(token)
}

/// The second admin approves `approval` (null: nothing to approve).
async fn approve(api: &Api, second: &str, approval: &Value) -> anyhow::Result<()> {
    let Some(id) = approval["id"].as_str() else {
        return Ok(());
    };
    api.expect(
        Method::POST,
        &format!("/api/v1/approvals/{id}/approve"),
        second,
        None,
        StatusCode::OK,
    )
    .await?;
    Ok(())
}

async fn new_user(api: &Api, admin: &str, second: &str, role: &str) -> anyhow::Result<String> {
    let suffix = registry_server::auth::new_id();
    let body = json!({
        "username": format!("bench-{role}-{}", &suffix[..8]),
        "display_name": format!("Benchmark {role}"),
        "role": role,
        "facility_code": "LY-BEN-PED",
    });
    let v = api
        .expect(
            Method::POST,
            "/api/v1/users",
            admin,
            Some(&body),
            StatusCode::CREATED,
        )
        .await?;
    approve(api, second, &v["approval"]).await?;
    v["token"]
        .as_str()
        .map(str::to_string)
        .context("no token in the answer")
}

fn tumour_body() -> Value {
    json!({
        "icd10": "C50.4", "topography": "C50.4", "morphology": 8500, "behaviour": 3, "grade": 2,
        "basis": 7, "incidence": "2025-09-03",
        "stage": {"scheme": "tnm8", "t": "T2", "n": "N1", "m": "M0", "group": "IIB"}
    })
}

fn medicine_bodies() -> [Value; 3] {
    let now = u64::try_from(unix_now()).unwrap_or(0);
    let valid_until = card_format::model::Date::from_unix_seconds(now + 365 * 86_400).to_string();
    let medicine = |atc: &str, name: &str, strength: &str, quantity: u32, interval: u32| {
        json!({
            "atc": atc, "name": name, "strength": strength, "form": "tablet",
            "quantity": quantity, "dispensings": 6, "interval_days": interval,
            "valid_until": valid_until,
        })
    };
    [
        medicine("L02BA01", "tamoxifen", "20 mg", 30, 28),
        medicine("L01BC06", "capecitabine", "500 mg", 120, 21),
        medicine("A04AA01", "ondansetron", "8 mg", 10, 21),
    ]
}

/// Everything measured on one database.
#[derive(Debug)]
struct Report {
    seeded: Seeded,
    load_before: String,
    load_after: String,
    server_mode: ServerMode,
    rss_idle_kib: u64,
    hwm_kib: u64,
    phases: Vec<Phase>,
    issuance: usize,
    lookup: usize,
    serial_lookup: usize,
    name_lookup: usize,
    page: usize,
    serial_page: usize,
}

async fn bench(args: &Args) -> anyhow::Result<Report> {
    std::fs::create_dir_all(&args.work_dir)?;
    let load_before = load_average();
    eprintln!("load average before: {load_before}");
    let seeded = seed(args).await?;
    let (server, base, admin) = start_server(args).await?;
    let result = drive(args, &server, base, admin).await;
    let (rss_end, hwm_kib) = memory_kib(server.pid());
    eprintln!(
        "server memory at the end: RSS {} MiB, peak (VmHWM) {} MiB",
        rss_end / 1024,
        hwm_kib / 1024
    );
    server.stop();
    let (rss_idle_kib, phases, [issuance, lookup, serial_lookup, name_lookup, page, serial_page]) =
        result?;
    Ok(Report {
        seeded,
        load_before,
        load_after: load_average(),
        server_mode: args.server,
        rss_idle_kib,
        hwm_kib,
        phases,
        issuance,
        lookup,
        serial_lookup,
        name_lookup,
        page,
        serial_page,
    })
}

type Driven = (u64, Vec<Phase>, [usize; 6]);

async fn drive(
    args: &Args,
    server: &Server,
    base: String,
    admin: String,
) -> anyhow::Result<Driven> {
    let api = Api::new(base, args.concurrency);
    let monitor = Monitor::start(server.pid());
    let rss_idle_kib = memory_kib(server.pid()).0;
    let limit = Duration::from_secs(args.max_seconds);
    let c = args.concurrency;
    let second = second_admin(args).await?;
    let registrar: Arc<str> = new_user(&api, &admin, &second, "registrar").await?.into();
    let clinician: Arc<str> = new_user(&api, &admin, &second, "clinician").await?.into();
    let n = args.patients;
    let mut phases = Vec::new();

    // Setup: patients with a tumour and three medicines, through the API. Their national
    // numbers come after the seeded ones (and after earlier runs' on a reused database).
    let first = {
        let db = db::connect(&db_options(args)).await?;
        let api_made = count(
            &db,
            "SELECT COUNT(*) FROM patients WHERE updated_by <> 'seed'",
        )
        .await?;
        db.pool.close().await;
        n + api_made
    };
    let ids: Arc<Mutex<Vec<String>>> = Arc::default();
    let setup = {
        let (api, registrar, clinician, ids) = (
            api.clone(),
            registrar.clone(),
            clinician.clone(),
            ids.clone(),
        );
        let medicines = Arc::new(medicine_bodies());
        run(
            "setup: register + tumour + 3 medicines",
            &monitor,
            c,
            args.issue_patients,
            limit,
            move |k| {
                let (api, registrar, clinician, ids, medicines) = (
                    api.clone(),
                    registrar.clone(),
                    clinician.clone(),
                    ids.clone(),
                    medicines.clone(),
                );
                async move {
                    let body = Person::nth(first + k).body();
                    let v = api
                        .expect(
                            Method::POST,
                            "/api/v1/patients",
                            &registrar,
                            Some(&body),
                            StatusCode::CREATED,
                        )
                        .await?;
                    let id = v["patient"]["id"]
                        .as_str()
                        .context("no patient id")?
                        .to_string();
                    let mut path = format!("/api/v1/patients/{id}/tumours");
                    let t = tumour_body();
                    // A breast cancer at 16 (or in a man) is rare for the IARC record
                    // checks: confirmed, as a clinician would.
                    let (status, bytes) =
                        api.call(Method::POST, &path, &clinician, Some(&t)).await?;
                    if status == StatusCode::UNPROCESSABLE_ENTITY {
                        let problem: Value = serde_json::from_slice(&bytes)?;
                        let codes: Vec<&str> = problem["checks"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|c| c["check"].as_str())
                            .collect();
                        path.push_str(&format!("?confirm={}", codes.join(",")));
                        api.expect(
                            Method::POST,
                            &path,
                            &clinician,
                            Some(&t),
                            StatusCode::CREATED,
                        )
                        .await?;
                    } else if status != StatusCode::CREATED {
                        bail!("POST {path}: {status}");
                    }
                    let path = format!("/api/v1/patients/{id}/medicines");
                    for m in medicines.iter() {
                        api.expect(
                            Method::POST,
                            &path,
                            &clinician,
                            Some(m),
                            StatusCode::CREATED,
                        )
                        .await?;
                    }
                    if let Ok(mut ids) = ids.lock() {
                        ids.push(id);
                    }
                    Ok(0)
                }
            },
        )
        .await?
    };
    phases.push(setup);
    let ids: Arc<Vec<String>> = Arc::new(ids.lock().map(|v| v.clone()).unwrap_or_default());
    if ids.is_empty() {
        bail!("no patient could be registered for card issuance");
    }

    // Card issuance, round-robin.
    let issuance = {
        let (api, registrar, ids) = (api.clone(), registrar.clone(), ids.clone());
        run("card issuance", &monitor, c, args.cards, limit, move |k| {
            let (api, registrar, ids) = (api.clone(), registrar.clone(), ids.clone());
            async move {
                let id = &ids[(k % ids.len() as u64) as usize];
                let path = format!("/api/v1/patients/{id}/cards");
                let v = api
                    .expect(Method::POST, &path, &registrar, None, StatusCode::CREATED)
                    .await?;
                if v["qr"].as_str().is_none_or(str::is_empty) {
                    bail!("no QR in the answer");
                }
                Ok(0)
            }
        })
        .await?
    };
    phases.push(issuance);

    // Lookups by national number of random seeded patients.
    let lookup = |name: &'static str, c: usize, total: u64, salt: u64| {
        let (api, registrar) = (api.clone(), registrar.clone());
        run(name, &monitor, c, total, limit, move |k| {
            let (api, registrar) = (api.clone(), registrar.clone());
            async move {
                let i = SplitMix(k ^ salt).below(n);
                let national = Person::nth(i).national;
                let path = format!("/api/v1/patients?id_type=national&identifier={national}");
                let v = api
                    .expect(Method::GET, &path, &registrar, None, StatusCode::OK)
                    .await?;
                let found = v["patients"].as_array().map_or(0, Vec::len);
                if found != 1 || v["patients"][0]["identifier"]["value"] != national.as_str() {
                    bail!("lookup of {national} found {found} patients");
                }
                Ok(1)
            }
        })
    };
    if args.warmup > 0 {
        let _ = lookup("warm-up (not counted)", c, args.warmup, 0xAAAA).await?;
    }
    phases.push(lookup("lookup by national number", c, args.lookups, 0x1234).await?);
    phases.push(
        lookup(
            "lookup by national number, 1 in flight",
            1,
            args.serial_lookups,
            0x5678,
        )
        .await?,
    );

    // Lookups by given + family name, Arabic or Latin.
    let by_name = {
        let (api, registrar) = (api.clone(), registrar.clone());
        run(
            "lookup by name",
            &monitor,
            c,
            args.name_lookups,
            limit,
            move |k| {
                let (api, registrar) = (api.clone(), registrar.clone());
                async move {
                    let p = Person::nth(SplitMix(k ^ 0x4321).below(n));
                    let query = if k % 2 == 0 {
                        format!("{} {}", p.parts[0].0, p.parts[3].0)
                    } else {
                        format!("{} {}", p.parts[0].1, p.parts[3].1)
                    };
                    let path = format!("/api/v1/patients?name={}", encode(&query));
                    let v = api
                        .expect(Method::GET, &path, &registrar, None, StatusCode::OK)
                        .await?;
                    let found = v["patients"].as_array().map_or(0, Vec::len);
                    if found == 0 {
                        bail!("no patient named {query}");
                    }
                    Ok(found as u64)
                }
            },
        )
        .await?
    };
    phases.push(by_name);

    // The web desk's patient record page: a registrar with a password, signed in once.
    let username = format!("bench-desk-{}", &registry_server::auth::new_id()[..8]);
    let created = api
        .expect(
            Method::POST,
            "/api/v1/users",
            &admin,
            Some(&json!({
                "username": username, "display_name": "Benchmark desk registrar",
                "role": "registrar", "facility_code": "LY-BEN-PED",
            })),
            StatusCode::CREATED,
        )
        .await?;
    approve(&api, &second, &created["approval"]).await?;
    let user_id = created["user"]["id"]
        .as_str()
        .context("no user id in the answer")?;
    let password = registry_server::auth::new_id();
    let held = api
        .expect(
            Method::PUT,
            &format!("/api/v1/users/{user_id}/password"),
            &admin,
            Some(&json!({ "password": password })),
            StatusCode::ACCEPTED,
        )
        .await?;
    approve(&api, &second, &held).await?;
    let cookie: Arc<str> = desk_sign_in(&api, &username, &password).await?.into();
    // Random seeded patients: the first id at or after a random 4-character prefix.
    let seeded_ids: Arc<Vec<String>> = {
        let db = db::connect(&db_options(args)).await?;
        let mut out = Vec::new();
        const BASE32: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
        for k in 0..500u64 {
            let mut r = SplitMix(k ^ 0x9e37);
            let prefix: String = (0..4)
                .map(|_| char::from(BASE32[r.below(32) as usize]))
                .collect();
            let id: Option<(String,)> = sqlx::query_as(
                "SELECT id FROM patients WHERE updated_by = 'seed' AND id >= $1 ORDER BY id LIMIT 1",
            )
            .bind(prefix)
            .fetch_optional(&db.pool)
            .await?;
            out.extend(id.map(|(id,)| id));
        }
        db.pool.close().await;
        Arc::new(out)
    };
    let page = |name: &'static str, c: usize, total: u64| {
        let (api, cookie, ids, seeded_ids) =
            (api.clone(), cookie.clone(), ids.clone(), seeded_ids.clone());
        run(name, &monitor, c, total, limit, move |k| {
            let (api, cookie, ids, seeded_ids) =
                (api.clone(), cookie.clone(), ids.clone(), seeded_ids.clone());
            async move {
                let pick =
                    |list: &[String]| list.get((k / 2) as usize % list.len().max(1)).cloned();
                let id = if k % 2 == 0 || seeded_ids.is_empty() {
                    pick(&ids)
                } else {
                    pick(&seeded_ids)
                }
                .context("no patient to show")?;
                let (status, body) =
                    desk_get(&api, &format!("/desk/patients/{id}"), &cookie).await?;
                if status != StatusCode::OK {
                    bail!("GET /desk/patients/{id}: {status}");
                }
                if !body.windows(id.len()).any(|w| w == id.as_bytes()) {
                    bail!("the page of {id} does not name it");
                }
                Ok(body.len() as u64)
            }
        })
    };
    phases.push(page("desk patient page", c, args.page_loads).await?);
    phases.push(page("desk patient page, 1 in flight", 1, args.page_loads / 4).await?);

    // The duplicate search for a registration not yet made: a seeded patient typed again.
    // `extra` counts the searches whose candidates include that patient.
    let duplicates = |name: &'static str, concurrency: usize, total: u64| {
        let (api, registrar, monitor) = (api.clone(), registrar.clone(), &monitor);
        run(name, monitor, concurrency, total, limit, move |k| {
            let (api, registrar) = (api.clone(), registrar.clone());
            async move {
                let p = Person::nth(SplitMix(k ^ 0xD0B1).below(n));
                let body = p.typed_again();
                let found = api
                    .expect(
                        Method::POST,
                        "/api/v1/duplicates/search",
                        &registrar,
                        Some(&body),
                        StatusCode::OK,
                    )
                    .await?;
                let hit = found.as_array().is_some_and(|list| {
                    list.iter()
                        .any(|c| c["patient"]["identifier"]["value"] == p.national.as_str())
                });
                Ok(u64::from(hit))
            }
        })
    };
    phases.push(duplicates("duplicate search", c, args.duplicate_searches).await?);
    phases.push(
        duplicates(
            "duplicate search, 1 in flight",
            1,
            args.duplicate_searches / 4,
        )
        .await?,
    );
    monitor.task.abort();
    Ok((rss_idle_kib, phases, [1, 2, 3, 4, 5, 6]))
}

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

fn met(ok: bool) -> &'static str {
    if ok {
        "**met**"
    } else {
        "**missed**"
    }
}

fn markdown(args: &Args, r: &Report) -> String {
    let mut out = String::new();
    let db = args.database.label();
    out.push_str(&format!(
        "### {db}, {} seeded patients\n\n",
        thousands(args.patients)
    ));
    if r.seeded.reused {
        out.push_str("Seeding: reused an already seeded database.\n");
    } else {
        out.push_str(&format!(
            "Seeding: {} patients and {} name keys in {:.0} s ({:.0} patients/s).\n",
            thousands(args.patients),
            thousands(r.seeded.keys),
            r.seeded.seconds,
            args.patients as f64 / r.seeded.seconds.max(1e-9)
        ));
    }
    out.push_str(&format!(
        "Server: {}; {} requests in flight over loopback (hyper-util client, keep-alive){}.\n",
        match r.server_mode {
            ServerMode::Child => "child process `target/release/registry-server`",
            ServerMode::InProcess => "in this process (memory includes the client)",
        },
        args.concurrency,
        match args.database {
            Database::Sqlite => String::from("; SQLite: one pooled connection (WAL)"),
            Database::Postgres => format!("; PostgreSQL pool {}", args.db_max_connections),
        }
    ));
    out.push_str(&format!(
        "Load average before: {}; after: {}.\n\n",
        r.load_before, r.load_after
    ));
    out.push_str(
        "| phase | ok | errors | per s | p50 ms | p99 ms | max ms | server CPU s | machine CPU busy | server peak RSS MiB |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for p in &r.phases {
        out.push_str(&format!(
            "| {}{} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.1} | {:.0}% | {} |\n",
            p.name,
            if p.stopped_by_time {
                " (time limit)"
            } else {
                ""
            },
            p.ok,
            p.failed,
            p.rate(),
            p.percentile_ms(0.50),
            p.percentile_ms(0.99),
            p.max_ms(),
            p.server_cpu_seconds,
            p.machine_busy * 100.0,
            mib(p.peak_rss_kib)
        ));
    }
    out.push('\n');
    for p in &r.phases {
        if let Some(e) = &p.first_error {
            out.push_str(&format!("- {}: first error: {e}\n", p.name));
        }
    }
    let issuance = &r.phases[r.issuance];
    let lookup = &r.phases[r.lookup];
    let serial = &r.phases[r.serial_lookup];
    let by_name = &r.phases[r.name_lookup];
    out.push_str(&format!(
        "- Card issuance: **{:.0} cards/s** (target ≥ 500: {}).\n",
        issuance.rate(),
        met(issuance.rate() >= 500.0 && issuance.failed == 0)
    ));
    out.push_str(&format!(
        "- Lookup by national number, {} in flight: p50 **{:.2} ms**, p99 **{:.2} ms**, \
         max {:.2} ms, {:.0} requests/s (target p99 < 10 ms: {}).\n",
        args.concurrency,
        lookup.percentile_ms(0.50),
        lookup.percentile_ms(0.99),
        lookup.max_ms(),
        lookup.rate(),
        met(lookup.percentile_ms(0.99) < 10.0 && lookup.failed == 0)
    ));
    out.push_str(&format!(
        "- Same lookup with 1 request in flight: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms \
         ({:.0} requests/s).\n",
        serial.percentile_ms(0.50),
        serial.percentile_ms(0.99),
        serial.max_ms(),
        serial.rate()
    ));
    out.push_str(&format!(
        "- Lookup by name (given + family name, page of up to 20; {:.1} results on average): \
         p50 {:.2} ms, p99 {:.2} ms.\n",
        by_name.extra as f64 / by_name.ok.max(1) as f64,
        by_name.percentile_ms(0.50),
        by_name.percentile_ms(0.99)
    ));
    let page = &r.phases[r.page];
    let serial_page = &r.phases[r.serial_page];
    out.push_str(&format!(
        "- Web desk patient record page (`GET /desk/patients/{{id}}`, HTML, {:.0} KB on \
         average), {} in flight: p50 **{:.2} ms**, p99 **{:.2} ms**, max {:.2} ms; 1 in \
         flight: p50 {:.2} ms, p99 {:.2} ms (target < 200 ms: {}).\n",
        page.extra as f64 / page.ok.max(1) as f64 / 1000.0,
        args.concurrency,
        page.percentile_ms(0.50),
        page.percentile_ms(0.99),
        page.max_ms(),
        serial_page.percentile_ms(0.50),
        serial_page.percentile_ms(0.99),
        met(page.percentile_ms(0.99) < 200.0
            && serial_page.percentile_ms(0.99) < 200.0
            && page.failed + serial_page.failed == 0)
    ));
    let dup = &r.phases[r.page + 2];
    let serial_dup = &r.phases[r.page + 3];
    out.push_str(&format!(
        "- Duplicate search for a new registration (`POST /api/v1/duplicates/search`, a \
         seeded patient typed again; the original among the candidates in {:.1}% of \
         searches), {} in flight: p50 **{:.2} ms**, p99 **{:.2} ms**, max {:.2} ms; 1 in \
         flight: p50 {:.2} ms, p99 **{:.2} ms** (target p99 < 50 ms: {}).\n",
        100.0 * (dup.extra + serial_dup.extra) as f64 / (dup.ok + serial_dup.ok).max(1) as f64,
        args.concurrency,
        dup.percentile_ms(0.50),
        dup.percentile_ms(0.99),
        dup.max_ms(),
        serial_dup.percentile_ms(0.50),
        serial_dup.percentile_ms(0.99),
        met(dup.percentile_ms(0.99) < 50.0
            && serial_dup.percentile_ms(0.99) < 50.0
            && dup.failed + serial_dup.failed == 0)
    ));
    out.push_str(&format!(
        "- Server memory: RSS {} MiB idle after start, peak (VmHWM) **{} MiB** over the whole \
         run{}.\n",
        mib(r.rss_idle_kib),
        mib(r.hwm_kib),
        match (r.server_mode, args.database) {
            (ServerMode::InProcess, _) => " (this process: includes seeding and the client)",
            (ServerMode::Child, Database::Postgres) => {
                " (the server process only; PostgreSQL's own processes are not counted)"
            }
            (ServerMode::Child, Database::Sqlite) => {
                " (includes SQLite's page cache, which lives in the server)"
            }
        }
    ));
    out
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let report = bench(&args).await?;
    println!("{}", markdown(&args, &report));
    Ok(())
}
