//! Benchmark of `registry-server import` (issue #15; docs/benchmarks.md, "Import of
//! existing records").
//!
//! ```sh
//! cargo build --release -p registry-server --bins --examples
//! target/release/examples/import_bench --database sqlite --rows 100000
//! target/release/examples/import_bench --database postgres --rows 100000
//! ```
//!
//! Writes a template file of `--rows` tumour rows from the statistics benchmark's synthetic
//! registry (`stats_bench/synth.rs`: 92.5 patients per 100 tumours, about one second tumour
//! in seven a duplicate of the first, 3% death-certificate-only tumours, which an import
//! with no follow-up refuses), makes an empty registry (a new SQLite file, or a PostgreSQL
//! database of its own) with one registrar, then times the release `registry-server import`
//! three times by wall clock: the dry run, the import, and the same file again (which must
//! change nothing). Markdown on stdout; the target, 100,000 rows in under 60 s, is reported
//! as met or missed, not asserted.

#[allow(dead_code)]
#[path = "stats_bench/synth.rs"]
mod synth;

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::{Parser, ValueEnum};
use registry_server::db::{self, DbOptions};
use sqlx::{Connection, Executor};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Database {
    Sqlite,
    Postgres,
}

#[derive(Debug, Parser)]
struct Args {
    /// Which database.
    #[arg(long, value_enum, default_value = "sqlite")]
    database: Database,
    /// Tumour rows in the file.
    #[arg(long, default_value_t = 100_000)]
    rows: u64,
    /// The PostgreSQL server (a database `bench_import` is made on it, and dropped first).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    postgres_url: String,
    /// Working directory (the file, the SQLite database).
    #[arg(long, default_value = "target/bench-import")]
    work: PathBuf,
}

const COLUMNS: &str = "record_id,id_type,id_value,name_ar,name_latin,sex,birth_date,\
municipality,region,blood_group,icd10,topography,morphology,behaviour,grade,basis,\
incidence_date,stage_scheme,stage";

fn date(day: i64) -> String {
    let (y, m, d) = synth::civil(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A name stored as a JSON array of parts, as the template writes it: parts and spaces.
fn parts(json: &str) -> anyhow::Result<String> {
    let parts: Vec<String> = serde_json::from_str(json)?;
    Ok(parts.join(" "))
}

/// The file: one row per tumour, the patient's fields repeated.
fn write_file(path: &std::path::Path, rows: u64) -> anyhow::Result<u64> {
    let patients = rows * 925 / 1000;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "{COLUMNS}")?;
    let mut written = 0;
    'all: for i in 0..patients {
        let p = synth::Patient::nth(i, patients, rows);
        for (k, t) in p.tumours.iter().enumerate() {
            if written == rows {
                break 'all;
            }
            writeln!(
                out,
                "T{i}-{k},national,{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                p.national,
                parts(&p.name_ar)?,
                parts(&p.name_latin)?,
                if p.female { "female" } else { "male" },
                date(p.birth_date),
                p.municipality,
                synth::REGIONS[p.region],
                p.blood_group.unwrap_or(""),
                t.icd10,
                t.topography,
                t.morphology,
                t.behaviour,
                t.grade.map(|g| g.to_string()).unwrap_or_default(),
                t.basis,
                date(t.incidence),
                if t.stage.is_some() { "other" } else { "" },
                t.stage.unwrap_or(""),
            )?;
            written += 1;
        }
    }
    out.flush()?;
    Ok(written)
}

async fn registry(args: &Args) -> anyhow::Result<String> {
    let url = match args.database {
        Database::Sqlite => {
            let file = args.work.join("import.sqlite");
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
            format!("sqlite:{}?mode=rwc", file.display())
        }
        Database::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&args.postgres_url).await?;
            conn.execute("DROP DATABASE IF EXISTS bench_import WITH (FORCE)")
                .await?;
            conn.execute("CREATE DATABASE bench_import").await?;
            let base = args.postgres_url.rsplit_once('/').context("a URL")?.0;
            format!("{base}/bench_import")
        }
    };
    sqlx::any::install_default_drivers();
    let db = db::connect(&DbOptions {
        url: url.clone(),
        max_connections: 2,
        pg_schema: None,
    })
    .await?;
    let facility = db::users::Facility {
        code: "LY-TRI-ONC".into(),
        name: "Tripoli oncology centre".into(),
        region: "west".into(),
        kind: "oncology_centre".into(),
        created_at: 0,
    };
    db::users::insert_facility(&db.pool, &facility).await?;
    let user = db::users::User {
        id: "bench-import-registrar".into(),
        username: "importer".into(),
        display_name: "Bench importer".into(),
        role: "registrar".into(),
        facility_code: "LY-TRI-ONC".into(),
        active: 1,
        created_at: 0,
    };
    db::users::insert_user(&db.pool, &user).await?;
    db.pool.close().await;
    Ok(url)
}

/// Runs the import; its seconds and its JSON summary.
fn import(
    url: &str,
    file: &std::path::Path,
    dry_run: bool,
) -> anyhow::Result<(f64, serde_json::Value)> {
    let exe = std::env::current_exe()?;
    let server = exe
        .parent()
        .and_then(std::path::Path::parent)
        .context("target/release/examples")?
        .join("registry-server");
    let mut command = std::process::Command::new(server);
    command
        .args([
            "import", "--source", "bench", "--user", "importer", "--json",
        ])
        .arg("--database-url")
        .arg(url)
        .arg(file);
    if dry_run {
        command.arg("--dry-run");
    }
    let start = Instant::now();
    let out = command.output()?;
    let seconds = start.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!("import failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    Ok((seconds, summary["counts"].clone()))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    std::fs::create_dir_all(&args.work)?;
    let file = args.work.join("records.csv");
    let rows = write_file(&file, args.rows)?;
    let bytes = std::fs::metadata(&file)?.len();
    eprintln!("{rows} rows, {bytes} bytes");
    let url = registry(&args).await?;
    let (dry, dry_counts) = import(&url, &file, true)?;
    let (real, counts) = import(&url, &file, false)?;
    let (again, again_counts) = import(&url, &file, false)?;
    // A run that writes little is no measure of an import.
    let imported = counts["imported"].as_u64().unwrap_or(0);
    if imported < rows * 9 / 10 {
        bail!("only {imported} of {rows} rows imported: {counts}");
    }
    if again_counts["unchanged"].as_u64() != Some(imported) {
        bail!("the second run was not idempotent: {again_counts}");
    }
    let label = match args.database {
        Database::Sqlite => "SQLite",
        Database::Postgres => "PostgreSQL",
    };
    let verdict = if rows >= 100_000 && real < 60.0 {
        "**met**"
    } else if rows >= 100_000 {
        "**missed**"
    } else {
        "(fewer rows than the target's)"
    };
    println!(
        "| {label} | {rows} | {:.1} MB | {dry:.1} s | {real:.1} s ({:.0} rows/s) | {again:.1} s | \
         {verdict} |",
        bytes as f64 / 1e6,
        rows as f64 / real
    );
    println!("\n{label} outcomes: dry run {dry_counts}; import {counts}; again {again_counts}");
    Ok(())
}
