//! Benchmark of the medicines and supplies forecast (issue #14; docs/benchmarks.md,
//! "Medicines and supplies (issue #14)").
//!
//! ```sh
//! cargo build --release -p registry-server --bins --examples
//! target/release/examples/supply_bench backtest --database sqlite
//! target/release/examples/supply_bench latency --database postgres
//! target/release/examples/supply_bench history     # the synthetic history, counted
//! ```
//!
//! `scripts/bench-supply.sh` runs both on both databases and collects the tables.
//!
//! - **backtest**: a synthetic 24-month history ([`history`]: 10 facilities, 3 regions,
//!   new diagnoses with growth and seasonality, authorisations on the regimens of the
//!   table, dispensings with noise) is generated whole in memory. For each cutoff (the
//!   first day of months 13 to 22), the database is emptied and given what had happened
//!   before it ([`load`]), the clock is set to it, and the real `domain::demand::report`
//!   forecasts every facility × medicine for 3 months; its total and the OpenLMIS
//!   baseline's (P × 3, from the same report) are compared with what was handed out in
//!   those months ([`backtest`]). Target: MAPE ≤ 15% and below the baseline's.
//! - **latency**: the same generator, scaled so that at least 20,000 patients hold active
//!   authorisations today, with stock rows ([`latency`]); the real server as a child
//!   process; `GET /api/v1/demand` as a supply officer (every facility, with the roll-up by
//!   region), one request at a time. Target: p99 < 1 s.
//!
//! Targets are reported as met or missed, not asserted. Markdown on stdout, progress on
//! stderr.

#[path = "supply_bench/backtest.rs"]
mod backtest;
#[allow(dead_code)]
#[path = "stats_bench/harness.rs"]
mod harness;
#[path = "supply_bench/history.rs"]
mod history;
#[path = "supply_bench/latency.rs"]
mod latency;
#[path = "supply_bench/load.rs"]
mod load;
#[path = "supply_bench/markdown.rs"]
mod markdown;
#[allow(dead_code)]
#[path = "stats_bench/seed.rs"]
mod seed;
#[allow(dead_code)]
#[path = "stats_bench/synth.rs"]
mod synth;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand, ValueEnum};
use harness::{Api, Monitor, ServerConfig};
use registry_server::db::{self, Db, DbOptions};
use registry_server::domain::{Clock, Settings};
use registry_server::signing::{KeyFiles, Signing};
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
}

#[derive(Debug, Clone, Args)]
struct Common {
    /// Database to run on.
    #[arg(long, value_enum, default_value = "sqlite")]
    database: Database,
    /// SQLite file (deleted and re-created).
    #[arg(long, default_value = "target/bench-supply/registry.sqlite")]
    sqlite_path: PathBuf,
    /// PostgreSQL server.
    #[arg(
        long,
        env = "BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    postgres_url: String,
    /// PostgreSQL schema (dropped and re-created).
    #[arg(long, default_value = "bench_supply")]
    pg_schema: String,
    /// Working directory: key copies, server log, the regimen file.
    #[arg(long, default_value = "target/bench-supply")]
    work_dir: PathBuf,
    /// Seed of the history.
    #[arg(long, default_value_t = 14)]
    seed: u64,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The back-test of the 3-month forecast against the OpenLMIS baseline.
    Backtest {
        #[command(flatten)]
        common: Common,
        /// Times the facilities' new cases (1: about 5,500 patients in the 24 months).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// First and last cutoff, months of the history (0 is its first).
        #[arg(long, default_value_t = 12)]
        first_cutoff: i32,
        #[arg(long, default_value_t = 21)]
        last_cutoff: i32,
    },
    /// The national demand report's latency over HTTP.
    Latency {
        #[command(flatten)]
        common: Common,
        /// Times the facilities' new cases (sized for 20,000 active patients).
        #[arg(long, default_value_t = 5.0)]
        scale: f64,
        /// Measured requests.
        #[arg(long, default_value_t = 60)]
        requests: u64,
        /// Requests before them (timed, not counted).
        #[arg(long, default_value_t = 2)]
        warmup: u64,
        /// Time limit of the phase, seconds.
        #[arg(long, default_value_t = 300)]
        max_seconds: u64,
        /// Server pool size for PostgreSQL.
        #[arg(long, default_value_t = 16)]
        db_max_connections: u32,
        /// The server binary (default: `registry-server` beside this example's directory).
        #[arg(long)]
        server_bin: Option<PathBuf>,
    },
    /// Only generate the history and count it (no database).
    History {
        #[arg(long, default_value_t = 14)]
        seed: u64,
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
    },
}

/// Seeds synthetic registries and measures the demand forecast of issue #14.
#[derive(Debug, Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

fn db_options(c: &Common, max_connections: u32) -> DbOptions {
    match c.database {
        Database::Sqlite => DbOptions {
            url: harness::sqlite_url(&c.sqlite_path),
            max_connections: 1,
            pg_schema: None,
        },
        Database::Postgres => DbOptions {
            url: c.postgres_url.clone(),
            max_connections,
            pg_schema: Some(c.pg_schema.clone()),
        },
    }
}

/// The URL the child server gets: for PostgreSQL, the schema goes in as `search_path`.
fn server_url(c: &Common) -> String {
    match c.database {
        Database::Sqlite => harness::sqlite_url(&c.sqlite_path),
        Database::Postgres => harness::schema_url(&c.postgres_url, &c.pg_schema),
    }
}

/// Removes the previous database and creates the schema (migrations) afresh.
async fn fresh(c: &Common, max_connections: u32) -> anyhow::Result<Db> {
    std::fs::create_dir_all(&c.work_dir)?;
    match c.database {
        Database::Sqlite => {
            if let Some(dir) = c.sqlite_path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            for suffix in ["", "-wal", "-shm"] {
                let path = PathBuf::from(format!("{}{suffix}", c.sqlite_path.display()));
                if path.exists() {
                    std::fs::remove_file(&path)
                        .with_context(|| format!("while removing {}", path.display()))?;
                }
            }
        }
        Database::Postgres => {
            let schema = &c.pg_schema;
            if schema.is_empty()
                || !schema
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '_')
            {
                bail!("--pg-schema must be [a-z_]+");
            }
            let mut conn = sqlx::postgres::PgConnection::connect(&c.postgres_url).await?;
            conn.execute(format!("DROP SCHEMA IF EXISTS {schema} CASCADE").as_str())
                .await?;
            conn.close().await?;
        }
    }
    Ok(db::connect(&db_options(c, max_connections)).await?)
}

/// A writing connection beside the pool.
async fn target(c: &Common) -> anyhow::Result<seed::Target> {
    let mut t = match c.database {
        // A second writer beside the registry's own single connection: the back-test writes
        // between reports, never during one, and busy_timeout covers the checkpointer.
        Database::Sqlite => {
            let pool = sqlx::any::AnyPoolOptions::new()
                .max_connections(1)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;")
                            .await?;
                        Ok(())
                    })
                })
                .connect(&harness::sqlite_url(&c.sqlite_path))
                .await?;
            seed::Target::Sqlite(pool.acquire().await?)
        }
        Database::Postgres => {
            let mut conn = sqlx::postgres::PgConnection::connect(&c.postgres_url).await?;
            conn.execute(format!("SET search_path TO {}", c.pg_schema).as_str())
                .await?;
            seed::Target::Postgres(conn)
        }
    };
    let sql = match c.database {
        Database::Sqlite => "PRAGMA synchronous = OFF",
        Database::Postgres => "SET synchronous_commit = off",
    };
    t.execute(sql).await?;
    Ok(t)
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn check_scale(scale: f64) -> anyhow::Result<()> {
    if !(scale.is_finite() && (0.01..=50.0).contains(&scale)) {
        bail!("--scale must be from 0.01 to 50");
    }
    Ok(())
}

async fn run_backtest(c: &Common, scale: f64, cutoffs: (i32, i32)) -> anyhow::Result<String> {
    check_scale(scale)?;
    if !(1..=history::MONTHS - backtest::HORIZON).contains(&cutoffs.0) || cutoffs.1 < cutoffs.0 {
        bail!(
            "cutoffs must be from 1 to {}, the first not after the last",
            history::MONTHS - backtest::HORIZON
        );
    }
    if cutoffs.1 > history::MONTHS - backtest::HORIZON {
        bail!("the last cutoff must leave 3 months of history after it");
    }
    let started = Instant::now();
    let regimens = history::regimens()?;
    let h = history::generate(c.seed, scale, &regimens, 0);
    eprintln!("{}", markdown::history(&h));
    let db = fresh(c, 4).await?;
    let mut t = target(c).await?;
    load::reference(&mut t, history::month_start(-history::BEFORE) * 86_400).await?;
    let keys = KeyFiles::dev(&repo_root(), &c.work_dir.join("keys"))?;
    let clock = Clock::fixed(history::month_start(cutoffs.0) * 86_400);
    let registry =
        registry_server::app::prepare(db, Signing::load(&keys)?, Settings::default(), clock)
            .await?;
    let outcome = backtest::run(&registry, &mut t, &h, &regimens, cutoffs.0..=cutoffs.1).await?;
    Ok(markdown::backtest(
        c.database.label(),
        &h,
        &outcome,
        started.elapsed().as_secs_f64(),
    ))
}

async fn count(db: &Db, sql: &str, today: i64) -> anyhow::Result<u64> {
    let (n,): (i64,) = sqlx::query_as(sql).bind(today).fetch_one(&db.pool).await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

async fn facts(
    db: &Db,
    written: load::Written,
    stock: u64,
    now: i64,
) -> anyhow::Result<latency::Facts> {
    let today = now.div_euclid(86_400);
    // As the report counts them: patients with a recorded death are not.
    let active = "FROM medicine_authorisations m WHERE status = 'active' \
                  AND dispensed_count < dispensings AND valid_until >= $1 \
                  AND NOT EXISTS (SELECT 1 FROM follow_ups f WHERE f.patient_id = m.patient_id \
                  AND f.vital_status = 'dead')";
    let size = match db.backend {
        db::Backend::Postgres => {
            "SELECT CAST(pg_database_size(current_database()) AS BIGINT) WHERE $1 = $1"
        }
        db::Backend::Sqlite => {
            "SELECT CAST(page_count * page_size AS BIGINT) FROM pragma_page_count(), \
             pragma_page_size() WHERE $1 = $1"
        }
    };
    Ok(latency::Facts {
        written,
        stock_items: stock,
        active_patients: count(
            db,
            &format!("SELECT COUNT(DISTINCT patient_id) {active}"),
            today,
        )
        .await?,
        active_authorisations: count(db, &format!("SELECT COUNT(*) {active}"), today).await?,
        medicines: count(
            db,
            &format!("SELECT COUNT(DISTINCT atc || strength || form) {active}"),
            today,
        )
        .await?,
        dispensings_3_months: count(
            db,
            "SELECT (SELECT COUNT(*) FROM dispensings WHERE dispensed_at >= $1) \
             + (SELECT COUNT(*) FROM administrations WHERE given_at >= $1)",
            now - 92 * 86_400,
        )
        .await?,
        db_bytes: count(db, size, 0).await?,
    })
}

#[allow(clippy::too_many_arguments)]
async fn run_latency(
    c: &Common,
    scale: f64,
    requests: u64,
    warmup: u64,
    max_seconds: u64,
    pool: u32,
    server_bin: Option<PathBuf>,
) -> anyhow::Result<String> {
    check_scale(scale)?;
    if requests == 0 || requests > 100_000 || warmup > 1_000 {
        bail!("--requests must be from 1 to 100000 and --warmup at most 1000");
    }
    let bin = match server_bin {
        Some(bin) => bin,
        None => std::env::current_exe()?
            .parent()
            .and_then(Path::parent)
            .map(|dir| dir.join("registry-server"))
            .context("where is registry-server?")?,
    };
    let regimens = history::regimens()?;
    let now = Clock::system().now();
    let (year, month, _) = synth::civil(now.div_euclid(86_400));
    // This month is the history's last.
    let origin = (year - 2025) * 12 + month as i32 - 1 - (history::MONTHS - 1);
    let h = history::generate(c.seed, scale, &regimens, origin);
    eprintln!("{}", markdown::history(&h));
    let db = fresh(c, pool).await?;
    let mut t = target(c).await?;
    let start = Instant::now();
    load::reference(&mut t, now - 3 * 365 * 86_400).await?;
    let written = load::until(&mut t, &h, now).await?;
    let stock = latency::stock(&mut t, &h, now).await?;
    match c.database {
        Database::Sqlite => t.execute("PRAGMA wal_checkpoint(TRUNCATE)").await?,
        // What autovacuum would do after a bulk load, done now.
        Database::Postgres => t.execute("ANALYZE").await?,
    }
    eprintln!("seed: {:.1} s", start.elapsed().as_secs_f64());
    let token = registry_server::auth::new_token();
    // The bench's history ends at its own `now`; the token outlives any clock the
    // server runs on.
    db::tokens::insert(
        &db.pool,
        &db::tokens::NewTokenRow {
            hash: &registry_server::auth::hash_token(&token),
            id: &registry_server::auth::new_id(),
            user_id: load::OFFICER,
            created_at: now,
            expires_at: i64::MAX,
        },
    )
    .await?;
    let facts = facts(&db, written, stock, now).await?;
    drop(t);
    db.pool.close().await;
    if facts.active_patients < 20_000 {
        eprintln!(
            "warning: {} patients with active authorisations, fewer than 20,000: raise --scale",
            facts.active_patients
        );
    }
    let regimen_file = c.work_dir.join("regimens.csv");
    std::fs::write(
        &regimen_file,
        format!(
            "{}\n{}",
            registry_server::domain::supply::regimens::BUILT_IN,
            history::EXTRA_REGIMENS
        ),
    )?;
    let config = ServerConfig {
        child: Some(bin),
        url: server_url(c),
        options: db_options(c, pool),
        work_dir: c.work_dir.clone(),
        label: match c.database {
            Database::Sqlite => "sqlite",
            Database::Postgres => "postgres",
        },
        extra_args: vec!["--regimens".into(), regimen_file.into_os_string()],
    };
    let (server, base) = harness::start(&config).await?;
    let monitor = Monitor::start(server.pid());
    let api = Api::new(base);
    let result = latency::measure(
        &api,
        &monitor,
        "/api/v1/demand",
        &token,
        warmup,
        requests,
        Duration::from_secs(max_seconds),
    )
    .await;
    monitor.stop();
    server.stop();
    Ok(markdown::latency(c.database.label(), &facts, &[result?]))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let md = match Cli::parse().command {
        Command::History { seed, scale } => {
            check_scale(scale)?;
            let h = history::generate(seed, scale, &history::regimens()?, 0);
            markdown::history(&h)
        }
        Command::Backtest {
            common,
            scale,
            first_cutoff,
            last_cutoff,
        } => run_backtest(&common, scale, (first_cutoff, last_cutoff)).await?,
        Command::Latency {
            common,
            scale,
            requests,
            warmup,
            max_seconds,
            db_max_connections,
            server_bin,
        } => {
            run_latency(
                &common,
                scale,
                requests,
                warmup,
                max_seconds,
                db_max_connections,
                server_bin,
            )
            .await?
        }
    };
    println!("{md}");
    Ok(())
}
