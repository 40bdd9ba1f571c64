//! Benchmark of the registry's statistics (issue #13; docs/benchmarks.md, "Statistics").
//!
//! ```sh
//! cargo build --release -p registry-server --bins --examples
//! target/release/examples/stats_bench --database sqlite
//! target/release/examples/stats_bench --database postgres
//! target/release/examples/stats_bench --dry-run     # the synthetic registry, counted
//! ```
//!
//! `scripts/bench-stats.sh` runs both and collects the tables. The targets of issue #13: on
//! a registry of 200,000 tumours over 10 years and 3 regions, the incidence table of one
//! year and region and the 5-year survival table each answer with p99 < 1 s, and the
//! CanReg5-layout export of the whole registry takes < 30 s. They are reported as met or
//! missed, not asserted.
//!
//! 1. **Seed** ([`seed`], [`synth`]). 200,000 tumours of 185,000 patients diagnosed
//!    2015-2024 in the regions east, west and south go straight into the database through
//!    SQL, with the rows the API writes (`patients`, `tumours`, `tumour_primaries`,
//!    `follow_ups`), the facilities and users who wrote them, and the population of each
//!    year, region, sex and age group. Every patient is a pure function of its index.
//! 2. **Serve** ([`harness`]). The real server runs as a child process
//!    (`target/release/registry-server`, the fixture test keys, the seeded database), so its
//!    memory and CPU time are its own; `--server in-process` runs it in this process.
//! 3. **Measure**, over HTTP/1.1 on loopback, one request at a time: the incidence report of
//!    2024 for the east and for the west (the biggest region), and the survival report of
//!    the diagnoses of 2015-2019 for the same regions, as a statistician (suppressed cells);
//!    then the CanReg5 export of the whole registry as a registrar, read to the end, 3
//!    times. Per phase: latency p50/p99/max, the server's CPU time and peak RSS.
//! 4. **Report.** A markdown section on stdout; progress goes to stderr.

#[path = "stats_bench/harness.rs"]
mod harness;
#[path = "stats_bench/probe.rs"]
mod probe;
#[path = "stats_bench/seed.rs"]
mod seed;
#[path = "stats_bench/synth.rs"]
mod synth;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use axum::http::StatusCode;
use clap::{Parser, ValueEnum};
use harness::{
    cpu_seconds, load_average, machine_busy, machine_ticks, memory_kib, Api, Monitor, Server,
    ServerConfig,
};
use registry_server::db::{self, Db, DbOptions};
use registry_server::domain::Clock;
use serde_json::Value;
use sqlx::{Connection, Executor};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Database {
    Sqlite,
    Postgres,
}

impl Database {
    fn label(self) -> &'static str {
        match self {
            Database::Sqlite => "SQLite",
            Database::Postgres => "PostgreSQL",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Database::Sqlite => "sqlite",
            Database::Postgres => "postgres",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ServerMode {
    /// `target/release/registry-server` as a child process (its memory is measured alone).
    Child,
    /// The router served from this process (memory then includes the client).
    InProcess,
}

/// Seeds a synthetic registry and times the statistics of issue #13 over HTTP.
#[derive(Debug, Parser)]
struct Args {
    /// Database to run on.
    #[arg(long, value_enum, default_value = "sqlite")]
    database: Database,
    /// Tumours to seed.
    #[arg(long, default_value_t = 200_000)]
    tumours: u64,
    /// Patients to seed (`tumours - patients` of them have two tumours).
    #[arg(long, default_value_t = 185_000)]
    patients: u64,
    /// SQLite file (deleted and re-created unless --reuse).
    #[arg(long, default_value = "target/bench-stats/registry.sqlite")]
    sqlite_path: PathBuf,
    /// PostgreSQL server.
    #[arg(
        long,
        env = "BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    postgres_url: String,
    /// PostgreSQL schema (dropped and re-created unless --reuse).
    #[arg(long, default_value = "bench_stats")]
    pg_schema: String,
    /// Keep a database already seeded with as many tumours.
    #[arg(long)]
    reuse: bool,
    /// Where the server runs.
    #[arg(long, value_enum, default_value = "child")]
    server: ServerMode,
    /// The server binary (default: `registry-server` next to this example's directory).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Server pool size for PostgreSQL (SQLite always uses one writer connection).
    #[arg(long, default_value_t = 16)]
    db_max_connections: u32,
    /// Measured requests per report phase.
    #[arg(long, default_value_t = 50)]
    requests: u64,
    /// Requests per report phase before the measured ones (timed, not counted).
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Runs of the export.
    #[arg(long, default_value_t = 3)]
    export_runs: u64,
    /// Time limit of each phase, seconds (the phase stops early, the report says so).
    #[arg(long, default_value_t = 300)]
    max_seconds: u64,
    /// Working directory: key copies, server log.
    #[arg(long, default_value = "target/bench-stats")]
    work_dir: PathBuf,
    /// Only generate the registry and print what it holds (no database, no server).
    #[arg(long)]
    dry_run: bool,
    /// After the HTTP phases, time the reports' statement and variants of it in this
    /// process, and show its plan (where the time goes; see stats_bench/probe.rs).
    #[arg(long)]
    probe: bool,
    /// Only the probe, on the database seeded by an earlier run (no seeding, no server).
    #[arg(long)]
    probe_only: bool,
    /// Runs of each probed statement.
    #[arg(long, default_value_t = 3)]
    probe_runs: usize,
}

// ---------------------------------------------------------------------------------------
// The database

fn db_options(args: &Args) -> DbOptions {
    match args.database {
        Database::Sqlite => DbOptions {
            url: harness::sqlite_url(&args.sqlite_path),
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
        Database::Sqlite => harness::sqlite_url(&args.sqlite_path),
        Database::Postgres => harness::schema_url(&args.postgres_url, &args.pg_schema),
    }
}

fn check_schema(schema: &str) -> anyhow::Result<()> {
    if schema.is_empty() || !schema.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
        bail!("--pg-schema must be [a-z_]+");
    }
    Ok(())
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
            check_schema(&args.pg_schema)?;
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

fn unix_now() -> i64 {
    Clock::system().now()
}

/// What seeding did.
#[derive(Debug, Default)]
struct Seeded {
    seconds: f64,
    reused: bool,
}

/// Seeds unless `--reuse` finds as many seeded tumours.
async fn seed(args: &Args) -> anyhow::Result<Seeded> {
    if args.reuse {
        if let Ok(db) = db::connect(&db_options(args)).await {
            let seeded = count(
                &db,
                "SELECT COUNT(*) FROM tumours WHERE updated_by LIKE 'seed-registrar-%'",
            )
            .await
            .unwrap_or(0);
            db.pool.close().await;
            if seeded == args.tumours {
                eprintln!("seed: reusing {seeded} seeded tumours");
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
    let mut target = match args.database {
        Database::Sqlite => seed::Target::Sqlite(db.pool.acquire().await?),
        Database::Postgres => {
            let mut conn = sqlx::postgres::PgConnection::connect(&args.postgres_url).await?;
            conn.execute(format!("SET search_path TO {}", args.pg_schema).as_str())
                .await?;
            seed::Target::Postgres(conn)
        }
    };
    let summary = seed::registry(&mut target, args.patients, args.tumours, unix_now()).await?;
    match target {
        seed::Target::Sqlite(conn) => drop(conn),
        seed::Target::Postgres(conn) => conn.close().await?,
    }
    db.pool.close().await;
    if summary.tumours != args.tumours {
        bail!("seeded {} tumours, not {}", summary.tumours, args.tumours);
    }
    Ok(Seeded {
        seconds: start.elapsed().as_secs_f64(),
        reused: false,
    })
}

/// The registry as the database holds it (so that a reused database is described too).
#[derive(Debug, Default)]
struct Facts {
    patients: u64,
    two_tumours: u64,
    tumours: u64,
    by_region: Vec<(String, u64)>,
    duplicates: u64,
    in_situ: u64,
    dco: u64,
    followed: u64,
    follow_up_rows: u64,
    dead: u64,
    population_cells: u64,
    tumours_2024: u64,
    tumours_2015_2019: u64,
    db_bytes: u64,
}

async fn facts(args: &Args) -> anyhow::Result<Facts> {
    let db = db::connect(&db_options(args)).await?;
    let q = |sql: &'static str| count(&db, sql);
    let day = |y, m, d| synth::day(y, m, d);
    let mut f = Facts {
        patients: q("SELECT COUNT(*) FROM patients").await?,
        two_tumours: q("SELECT COUNT(*) FROM (SELECT patient_id FROM tumours \
             GROUP BY patient_id HAVING COUNT(*) > 1) x")
        .await?,
        tumours: q("SELECT COUNT(*) FROM tumours").await?,
        duplicates: q("SELECT COUNT(*) FROM tumour_primaries WHERE decision = 'duplicate'").await?,
        in_situ: q("SELECT COUNT(*) FROM tumours WHERE behaviour = 2").await?,
        dco: q("SELECT COUNT(*) FROM tumours WHERE basis = 0").await?,
        followed: q("SELECT COUNT(DISTINCT patient_id) FROM follow_ups").await?,
        follow_up_rows: q("SELECT COUNT(*) FROM follow_ups").await?,
        dead: q("SELECT COUNT(DISTINCT patient_id) FROM follow_ups WHERE vital_status = 'dead'")
            .await?,
        population_cells: q("SELECT COUNT(*) FROM population").await?,
        ..Facts::default()
    };
    let between = |from: i64, to: i64| {
        sqlx::query_as::<_, (i64,)>(
            "SELECT COUNT(*) FROM tumours WHERE incidence BETWEEN $1 AND $2",
        )
        .bind(from)
        .bind(to)
        .fetch_one(&db.pool)
    };
    f.tumours_2024 = between(day(2024, 1, 1), day(2024, 12, 31)).await?.0 as u64;
    f.tumours_2015_2019 = between(day(2015, 1, 1), day(2019, 12, 31)).await?.0 as u64;
    let regions: Vec<(Option<String>, i64)> = sqlx::query_as(
        "SELECT p.region, COUNT(*) FROM tumours t JOIN patients p ON p.id = t.patient_id \
         GROUP BY p.region ORDER BY COUNT(*) DESC",
    )
    .fetch_all(&db.pool)
    .await?;
    f.by_region = regions
        .into_iter()
        .map(|(r, n)| (r.unwrap_or_else(|| "(none)".into()), n as u64))
        .collect();
    f.db_bytes = match args.database {
        Database::Sqlite => ["", "-wal"]
            .iter()
            .filter_map(|s| std::fs::metadata(format!("{}{s}", args.sqlite_path.display())).ok())
            .map(|m| m.len())
            .sum(),
        Database::Postgres => {
            let (n,): (i64,) = sqlx::query_as(
                "SELECT CAST(COALESCE(SUM(pg_total_relation_size(c.oid)), 0) AS BIGINT) \
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = $1 AND c.relkind = 'r'",
            )
            .bind(&args.pg_schema)
            .fetch_one(&db.pool)
            .await?;
            u64::try_from(n).unwrap_or(0)
        }
    };
    db.pool.close().await;
    Ok(f)
}

/// Fresh tokens for the bench's registrar and statistician (seeded users).
async fn tokens(args: &Args) -> anyhow::Result<(String, String)> {
    let db = db::connect(&db_options(args)).await?;
    let mut out = Vec::new();
    for (id, _, _) in seed::BENCH_USERS {
        let token = registry_server::auth::new_token();
        db::tokens::insert(
            &db.pool,
            &db::tokens::NewTokenRow {
                hash: &registry_server::auth::hash_token(&token),
                id: &registry_server::auth::new_id(),
                user_id: id,
                created_at: unix_now(),
                expires_at: unix_now() + 86_400,
            },
        )
        .await?;
        out.push(token);
    }
    db.pool.close().await;
    let statistician = out.pop().context("no token")?;
    let registrar = out.pop().context("no token")?;
    Ok((registrar, statistician))
}

// ---------------------------------------------------------------------------------------
// Phases

/// One report phase: N requests of the same report, one at a time.
#[derive(Debug, Default)]
struct Phase {
    name: String,
    path: String,
    ok: u64,
    failed: u64,
    first_error: Option<String>,
    /// The very first request's latency (the first of the warm-up), microseconds.
    first_us: u64,
    /// Latencies of the measured, successful requests, microseconds, sorted.
    latencies: Vec<u64>,
    stopped_by_time: bool,
    server_cpu_seconds: f64,
    machine_busy: f64,
    peak_rss_kib: u64,
    body_bytes: u64,
    /// From the last answer: tumours looked at and counted.
    records: u64,
    included: u64,
    /// Survival only: all sites, all stages, at 5 years (percent).
    survival_5y: Option<f64>,
}

impl Phase {
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

    fn met(&self) -> bool {
        self.failed == 0 && !self.latencies.is_empty() && self.percentile_ms(0.99) < 1000.0
    }
}

/// Reads what the report counted from its JSON.
fn read_report(phase: &mut Phase, body: &[u8]) -> anyhow::Result<()> {
    let v: Value = serde_json::from_slice(body).context("the answer is not JSON")?;
    let counted = &v["counted"];
    phase.records = counted["records"].as_u64().context("no counted.records")?;
    phase.included = counted["included"].as_u64().unwrap_or(0);
    if let Some(rows) = v["rows"].as_array() {
        phase.survival_5y = rows
            .iter()
            .find(|r| {
                r["key"]
                    .as_str()
                    .is_some_and(|k| k.eq_ignore_ascii_case("all"))
                    && r["stage"] == "all"
            })
            .and_then(|r| r["at"].as_array())
            .and_then(|at| at.iter().find(|a| a["years"] == 5))
            .and_then(|a| a["survival"].as_f64());
    }
    Ok(())
}

async fn report_phase(
    api: &Api,
    monitor: &Monitor,
    args: &Args,
    name: &str,
    path: &str,
    token: &str,
) -> anyhow::Result<Phase> {
    eprintln!(
        "measure: {name}: {} + {} warm-up requests",
        args.requests, args.warmup
    );
    let mut phase = Phase {
        name: name.to_string(),
        path: path.to_string(),
        ..Phase::default()
    };
    let limit = Duration::from_secs(args.max_seconds);
    monitor.reset();
    let cpu0 = cpu_seconds(monitor.pid);
    let machine0 = machine_ticks();
    let start = Instant::now();
    for k in 0..args.warmup + args.requests {
        if start.elapsed() >= limit {
            phase.stopped_by_time = true;
            break;
        }
        let t = Instant::now();
        let outcome = api.get(path, token).await;
        let us = t.elapsed().as_micros() as u64;
        if k == 0 {
            phase.first_us = us;
        }
        let result = outcome.and_then(|(status, body)| {
            if status != StatusCode::OK {
                bail!(
                    "GET {path}: {status}: {}",
                    String::from_utf8_lossy(&body[..body.len().min(300)])
                );
            }
            phase.body_bytes = body.len() as u64;
            read_report(&mut phase, &body)
        });
        match result {
            Ok(()) if k >= args.warmup => {
                phase.ok += 1;
                phase.latencies.push(us);
            }
            Ok(()) => {}
            Err(e) => {
                phase.failed += 1;
                phase.first_error.get_or_insert_with(|| format!("{e:#}"));
            }
        }
    }
    phase.latencies.sort_unstable();
    phase.server_cpu_seconds = cpu_seconds(monitor.pid) - cpu0;
    phase.machine_busy = machine_busy(machine0);
    phase.peak_rss_kib = monitor.peak_kib();
    if let Some(e) = &phase.first_error {
        eprintln!("measure: {name}: {} failed; first: {e}", phase.failed);
    }
    eprintln!(
        "measure: {name}: {} ok, first {:.1} ms, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; \
         {} records, {} counted",
        phase.ok,
        phase.first_us as f64 / 1000.0,
        phase.percentile_ms(0.5),
        phase.percentile_ms(0.99),
        phase.max_ms(),
        phase.records,
        phase.included
    );
    Ok(phase)
}

/// One run of the export.
#[derive(Debug, Default)]
struct ExportRun {
    seconds: f64,
    first_byte_ms: f64,
    bytes: u64,
    lines: u64,
    server_cpu_seconds: f64,
    machine_busy: f64,
    peak_rss_kib: u64,
    error: Option<String>,
    header_ok: bool,
}

async fn export_run(
    api: &Api,
    monitor: &Monitor,
    token: &str,
    k: u64,
) -> anyhow::Result<ExportRun> {
    eprintln!("measure: export, run {}", k + 1);
    monitor.reset();
    let cpu0 = cpu_seconds(monitor.pid);
    let machine0 = machine_ticks();
    let mut run = ExportRun::default();
    match api.stream("/api/v1/statistics/export", token).await {
        Ok(s) => {
            run.seconds = s.total.as_secs_f64();
            run.first_byte_ms = s.first_byte.as_secs_f64() * 1000.0;
            run.bytes = s.bytes;
            run.lines = s.lines;
            run.header_ok = s.first_line.split('\t').count() > 10;
            if s.status != StatusCode::OK {
                run.error = Some(format!("{}: {}", s.status, s.first_line));
            }
        }
        Err(e) => run.error = Some(format!("{e:#}")),
    }
    run.server_cpu_seconds = cpu_seconds(monitor.pid) - cpu0;
    run.machine_busy = machine_busy(machine0);
    run.peak_rss_kib = monitor.peak_kib();
    eprintln!(
        "measure: export, run {}: {:.2} s, {} bytes, {} lines{}",
        k + 1,
        run.seconds,
        run.bytes,
        run.lines,
        run.error
            .as_deref()
            .map(|e| format!("; error: {e}"))
            .unwrap_or_default()
    );
    Ok(run)
}

// ---------------------------------------------------------------------------------------
// The benchmark

#[derive(Debug)]
struct Report {
    seeded: Seeded,
    facts: Facts,
    load_before: String,
    load_after: String,
    rss_idle_kib: u64,
    hwm_kib: u64,
    server_cpu_total: f64,
    phases: Vec<Phase>,
    exports: Vec<ExportRun>,
    probe: Option<String>,
}

async fn bench(args: &Args) -> anyhow::Result<Report> {
    if args.tumours < args.patients || args.tumours > 2 * args.patients {
        bail!("--tumours must be between --patients and twice --patients");
    }
    if args.patients >= 10_000_000 {
        bail!("at most 9,999,999 patients (national-number serials are 7 digits)");
    }
    if args.database == Database::Postgres {
        check_schema(&args.pg_schema)?;
    }
    std::fs::create_dir_all(&args.work_dir)?;
    let load_before = load_average();
    eprintln!("load average before: {load_before}");
    let seeded = seed(args).await?;
    let facts = facts(args).await?;
    let (registrar, statistician) = tokens(args).await?;
    let child = match args.server {
        ServerMode::InProcess => None,
        ServerMode::Child => Some(match &args.server_bin {
            Some(bin) => bin.clone(),
            None => std::env::current_exe()?
                .parent()
                .and_then(Path::parent)
                .map(|dir| dir.join("registry-server"))
                .context("where is registry-server?")?,
        }),
    };
    let config = ServerConfig {
        child,
        url: server_url(args),
        options: db_options(args),
        work_dir: args.work_dir.clone(),
        label: args.database.name(),
        extra_args: Vec::new(),
    };
    let (server, base) = harness::start(&config).await?;
    let result = drive(args, &server, base, &registrar, &statistician, &facts).await;
    let (_, hwm_kib) = memory_kib(server.pid());
    let server_cpu_total = cpu_seconds(server.pid());
    eprintln!(
        "server at the end: peak RSS (VmHWM) {} MiB, CPU {server_cpu_total:.1} s",
        hwm_kib / 1024
    );
    server.stop();
    let (rss_idle_kib, phases, exports) = result?;
    let probe = if args.probe {
        let sqlite = args.database == Database::Sqlite;
        Some(probe::run(&db_options(args), sqlite, args.probe_runs.max(1)).await?)
    } else {
        None
    };
    Ok(Report {
        seeded,
        facts,
        load_before,
        load_after: load_average(),
        rss_idle_kib,
        hwm_kib,
        server_cpu_total,
        phases,
        exports,
        probe,
    })
}

type Driven = (u64, Vec<Phase>, Vec<ExportRun>);

async fn drive(
    args: &Args,
    server: &Server,
    base: String,
    registrar: &str,
    statistician: &str,
    facts: &Facts,
) -> anyhow::Result<Driven> {
    let api = Api::new(base);
    let monitor = Monitor::start(server.pid());
    let rss_idle_kib = memory_kib(server.pid()).0;
    let mut phases = Vec::new();
    for (name, query) in [
        (
            "incidence 2024, east",
            "incidence?from=2024&to=2024&region=east",
        ),
        (
            "incidence 2024, west",
            "incidence?from=2024&to=2024&region=west",
        ),
        (
            "survival 2015-2019, east",
            "survival?from=2015&to=2019&region=east",
        ),
        (
            "survival 2015-2019, west",
            "survival?from=2015&to=2019&region=west",
        ),
    ] {
        let path = format!("/api/v1/statistics/{query}");
        phases.push(report_phase(&api, &monitor, args, name, &path, statistician).await?);
    }
    let mut exports = Vec::new();
    for k in 0..args.export_runs {
        exports.push(export_run(&api, &monitor, registrar, k).await?);
    }
    monitor.stop();
    let expected = facts.tumours - facts.duplicates + 1;
    for (k, e) in exports.iter().enumerate() {
        if e.error.is_none() && e.lines != expected {
            eprintln!(
                "measure: export run {}: {} lines, expected {expected}",
                k + 1,
                e.lines
            );
        }
    }
    Ok((rss_idle_kib, phases, exports))
}

// ---------------------------------------------------------------------------------------
// The report

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

fn pct(part: u64, whole: u64) -> f64 {
    100.0 * part as f64 / whole.max(1) as f64
}

fn markdown(args: &Args, r: &Report) -> String {
    let mut out = String::new();
    let f = &r.facts;
    out.push_str(&format!(
        "### {}, {} tumours\n\n",
        args.database.label(),
        thousands(f.tumours)
    ));
    out.push_str(&format!(
        "Registry: {} patients ({} with two tumours), {} tumours diagnosed 2015-2024 ({}); \
         {} judged duplicates by the multiple-primary rules, {} in situ, {} death certificate \
         only ({:.1}%). Follow-up for {} patients ({:.1}%, {} rows), {} of them dead \
         ({:.1}%). Population: {} cells (10 years × 3 regions × 2 sexes × 18 age groups). \
         {} tumours in 2024, {} in 2015-2019 (all regions: the statements select by date of \
         incidence only). Database: {:.0} MiB{}.\n",
        thousands(f.patients),
        thousands(f.two_tumours),
        thousands(f.tumours),
        f.by_region
            .iter()
            .map(|(r, n)| format!("{r} {}", thousands(*n)))
            .collect::<Vec<_>>()
            .join(", "),
        thousands(f.duplicates),
        thousands(f.in_situ),
        thousands(f.dco),
        pct(f.dco, f.tumours),
        thousands(f.followed),
        pct(f.followed, f.patients),
        thousands(f.follow_up_rows),
        thousands(f.dead),
        pct(f.dead, f.followed),
        f.population_cells,
        thousands(f.tumours_2024),
        thousands(f.tumours_2015_2019),
        f.db_bytes as f64 / 1_048_576.0,
        match args.database {
            Database::Sqlite => " (file and WAL)",
            Database::Postgres => " (tables with their indexes and TOAST)",
        }
    ));
    if r.seeded.reused {
        out.push_str("Seeding: reused an already seeded database.\n");
    } else {
        out.push_str(&format!(
            "Seeding through SQL ({}): {:.0} s{}.\n",
            match args.database {
                Database::Sqlite => "multi-row INSERTs, one transaction per 20,000 patients",
                Database::Postgres => "COPY FROM STDIN, one set per 20,000 patients",
            },
            r.seeded.seconds,
            match args.database {
                Database::Sqlite => "; no ANALYZE (the server never runs one)",
                Database::Postgres => ", then ANALYZE (what autovacuum would do)",
            }
        ));
    }
    out.push_str(&format!(
        "Server: {}; requests one at a time over loopback (hyper-util client, keep-alive), \
         the reports as a statistician (JSON, small cells suppressed), the export as a \
         registrar; each report phase starts with {} warm-up requests, timed (\"first\") but \
         not counted; \"machine CPU busy\" is the whole machine's, all cores and every \
         process (the database's, this client's, anyone else's){}.\n",
        match args.server {
            ServerMode::Child => "child process `target/release/registry-server`",
            ServerMode::InProcess => "in this process (memory includes the client)",
        },
        args.warmup,
        match args.database {
            Database::Sqlite => "; SQLite: one writer connection, reads on the 2-connection \
                                 reader pool (16 MiB page cache each)"
                .to_string(),
            Database::Postgres => format!("; PostgreSQL pool {}", args.db_max_connections),
        }
    ));
    out.push_str(&format!(
        "Load average before: {}; after: {}.\n\n",
        r.load_before, r.load_after
    ));
    out.push_str(
        "| phase | requests | errors | first ms | p50 ms | p99 ms | max ms | server CPU s per request | machine CPU busy | server peak RSS MiB | answer KB | p99 < 1 s |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for p in &r.phases {
        out.push_str(&format!(
            "| {}{} | {} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.3} | {:.0}% | {} | {:.0} | {} |\n",
            p.name,
            if p.stopped_by_time {
                " (time limit)"
            } else {
                ""
            },
            p.ok,
            p.failed,
            p.first_us as f64 / 1000.0,
            p.percentile_ms(0.50),
            p.percentile_ms(0.99),
            p.max_ms(),
            p.server_cpu_seconds / (p.ok + p.failed + args.warmup).max(1) as f64,
            p.machine_busy * 100.0,
            mib(p.peak_rss_kib),
            p.body_bytes as f64 / 1000.0,
            met(p.met())
        ));
    }
    out.push('\n');
    for p in &r.phases {
        out.push_str(&format!(
            "- {} (`GET {}`): {} tumours of the period and region looked at, {} counted{}.\n",
            p.name,
            p.path,
            thousands(p.records),
            thousands(p.included),
            p.survival_5y
                .map(|s| format!("; observed 5-year survival, all sites: {s:.1}%"))
                .unwrap_or_default()
        ));
        if let Some(e) = &p.first_error {
            out.push_str(&format!("  First error: {e}\n"));
        }
    }
    out.push('\n');
    let expected = f.tumours - f.duplicates + 1;
    out.push_str(
        "| export run | seconds | first byte ms | MB | lines | lines expected | server CPU s | machine CPU busy | server peak RSS MiB | < 30 s |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for (k, e) in r.exports.iter().enumerate() {
        let whole = e.error.is_none() && e.lines == expected && e.header_ok;
        out.push_str(&format!(
            "| {} | {:.2} | {:.0} | {:.1} | {} | {} | {:.1} | {:.0}% | {} | {} |\n",
            k + 1,
            e.seconds,
            e.first_byte_ms,
            e.bytes as f64 / 1e6,
            thousands(e.lines),
            thousands(expected),
            e.server_cpu_seconds,
            e.machine_busy * 100.0,
            mib(e.peak_rss_kib),
            met(whole && e.seconds < 30.0)
        ));
    }
    out.push('\n');
    for (k, e) in r.exports.iter().enumerate() {
        if let Some(err) = &e.error {
            out.push_str(&format!("- Export run {}: error: {err}\n", k + 1));
        } else if e.lines != expected {
            out.push_str(&format!(
                "- Export run {}: {} lines, not the {} expected (tumours - duplicates + header)\n",
                k + 1,
                e.lines,
                expected
            ));
        }
    }
    let worst_report = r
        .phases
        .iter()
        .map(|p| p.percentile_ms(0.99))
        .fold(0.0f64, f64::max);
    let worst_export = r.exports.iter().map(|e| e.seconds).fold(0.0f64, f64::max);
    let reports_met = r.phases.iter().all(Phase::met);
    let exports_met = !r.exports.is_empty()
        && r.exports
            .iter()
            .all(|e| e.error.is_none() && e.lines == expected && e.seconds < 30.0);
    out.push_str(&format!(
        "- Reports: worst p99 **{worst_report:.0} ms** (target p99 < 1 s: {}).\n",
        met(reports_met)
    ));
    out.push_str(&format!(
        "- Export of the whole registry: slowest of {} runs **{worst_export:.1} s** for {} \
         lines (target < 30 s: {}).\n",
        r.exports.len(),
        thousands(expected),
        met(exports_met)
    ));
    out.push_str(&format!(
        "- Server memory: RSS {} MiB idle after start, peak (VmHWM) **{} MiB** over the whole \
         run{}; server CPU time over the run {:.1} s.\n",
        mib(r.rss_idle_kib),
        mib(r.hwm_kib),
        match (args.server, args.database) {
            (ServerMode::InProcess, _) => " (this process: includes seeding and the client)",
            (ServerMode::Child, Database::Postgres) => {
                " (the server process only; PostgreSQL's own processes are not counted)"
            }
            (ServerMode::Child, Database::Sqlite) => {
                " (includes SQLite's page caches, which live in the server)"
            }
        },
        r.server_cpu_total
    ));
    if let Some(probe) = &r.probe {
        out.push('\n');
        out.push_str(probe);
    }
    out
}

/// `--dry-run`: the registry generated and counted, nothing written.
fn dry_run(args: &Args) {
    let start = Instant::now();
    let mut s = synth::Summary::default();
    for i in 0..args.patients {
        s.add(&synth::Patient::nth(i, args.patients, args.tumours));
    }
    println!(
        "{} patients, {} tumours ({:.1} s to generate)",
        s.patients,
        s.tumours,
        start.elapsed().as_secs_f64()
    );
    println!(
        "regions (tumours): {}",
        synth::REGIONS
            .iter()
            .zip(s.by_region)
            .map(|(r, n)| format!("{r} {n} ({:.1}%)", pct(n, s.tumours)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "duplicates {} ({:.2}%), in situ {}, DCO {} ({:.2}%), under 15 {}",
        s.duplicates,
        pct(s.duplicates, s.tumours),
        s.in_situ,
        s.dco,
        pct(s.dco, s.tumours),
        s.children
    );
    println!(
        "followed {} ({:.1}%), {} rows, dead {} ({:.1}% of followed, {:.1}% of patients)",
        s.followed,
        pct(s.followed, s.patients),
        s.follow_up_rows,
        s.dead,
        pct(s.dead, s.followed),
        pct(s.dead, s.patients)
    );
    println!(
        "by year: {}",
        s.by_year
            .iter()
            .enumerate()
            .map(|(k, n)| format!("{} {n}", synth::FIRST_YEAR + k as i32))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (site, n) in synth::SITES.iter().zip(&s.by_site) {
        println!("  {:<36} {n:>7} ({:.1}%)", site.name, pct(*n, s.tumours));
    }
    let cells = synth::population();
    for area in synth::REGIONS {
        let total: i64 = cells
            .iter()
            .filter(|c| c.1 == area && c.0 == synth::LAST_YEAR)
            .map(|c| c.4)
            .sum();
        println!("population {area} {}: {total}", synth::LAST_YEAR);
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.dry_run {
        dry_run(&args);
        return Ok(());
    }
    if args.probe_only {
        let sqlite = args.database == Database::Sqlite;
        let md = probe::run(&db_options(&args), sqlite, args.probe_runs.max(1)).await?;
        println!("### {}, probe\n\n{md}", args.database.label());
        return Ok(());
    }
    let report = bench(&args).await?;
    println!("{}", markdown(&args, &report));
    Ok(())
}
