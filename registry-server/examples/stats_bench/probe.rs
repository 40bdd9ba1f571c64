//! `--probe`: where the reports' time goes. After the HTTP phases (the server stopped), or
//! alone with `--probe-only` on a database already seeded, this process times the reports'
//! statement and variants of it through sqlx's Any driver on the seeded database, fetched
//! whole as the server fetches it, on a pool set up as the server's reader (db.rs):
//!
//! - the statement the reports ran at commit c5c0aaa (`db::stats::cases`);
//! - the same SQL counted inside the database (one row back: the engine's share);
//! - the region filtered in SQL, the 13 columns the incidence and survival reports read,
//!   the follow-ups as one aggregated join instead of two correlated subqueries per tumour;
//! - SQLite: the reader connection with `PRAGMA mmap_size` and with a covering index on
//!   `follow_ups` (created for the probe, dropped after); PostgreSQL: `SET jit = off`;
//! - the plan (`EXPLAIN QUERY PLAN`, or `EXPLAIN (ANALYZE, BUFFERS)`).
//!
//! The SQL below is a copy of `db/stats.rs` at c5c0aaa (`case_select!` and `CASES`), so that
//! the probe measures the same statement whatever db/stats.rs becomes; it opens its own
//! pools and runs no migration, so it also reads a database seeded by an older build.

use std::time::Instant;

use registry_server::db::DbOptions;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

/// `case_select!` of db/stats.rs: the columns...
const COLUMNS: &str = "t.id AS tumour_id, t.patient_id, t.version, p.sex, p.birth_date, \
    p.region, t.incidence, t.icd10, t.topography, t.morphology, t.behaviour, t.grade, t.basis, \
    t.iccc, t.stage_group, tp.decision, COALESCE(u.facility_code, '') AS facility_code";
/// ... the two follow-up subqueries ...
const FOLLOW_UP_SUBQUERIES: &str = ", (SELECT MIN(f.death_date) FROM follow_ups f \
    WHERE f.patient_id = t.patient_id AND f.vital_status = 'dead') AS death_date, \
    (SELECT MAX(f.last_contact) FROM follow_ups f WHERE f.patient_id = t.patient_id) \
    AS last_contact";
/// ... the joins ...
const FROM: &str = " FROM tumours t JOIN patients p ON p.id = t.patient_id \
    LEFT JOIN tumour_primaries tp ON tp.tumour_id = t.id AND tp.version = t.version \
    LEFT JOIN users u ON u.id = t.updated_by";
/// ... and `CASES`'s condition.
const WHERE: &str = " WHERE t.status = 'active' AND p.merged_into IS NULL \
    AND t.incidence BETWEEN $1 AND $2";

/// The columns `incidence` and `survival` read (quality reads the others).
const REPORT_COLUMNS: &str = "p.sex, p.birth_date, p.region, t.incidence, t.icd10, \
    t.topography, t.morphology, t.behaviour, t.basis, t.stage_group, tp.decision";
/// The follow-ups as one aggregated join.
const FOLLOW_UP_JOIN_COLUMNS: &str = ", f.death_date, f.last_contact";
const FOLLOW_UP_JOIN: &str = " LEFT JOIN (SELECT patient_id, \
    MIN(CASE WHEN vital_status = 'dead' THEN death_date END) AS death_date, \
    MAX(last_contact) AS last_contact FROM follow_ups GROUP BY patient_id) f \
    ON f.patient_id = t.patient_id";
/// The region in SQL: the report also counts the tumours whose region is not recorded.
const REGION: &str = " AND (p.region = $3 OR p.region IS NULL)";

/// A statement variant.
#[derive(Debug, Clone, Copy)]
struct Variant {
    name: &'static str,
    region: bool,
    trimmed: bool,
    joined: bool,
    /// Counted in the database, one row back.
    counted: bool,
}

impl Variant {
    fn sql(&self) -> String {
        let (columns, follow_up_columns, join) = match (self.trimmed, self.joined) {
            (false, false) => (COLUMNS, FOLLOW_UP_SUBQUERIES, ""),
            (true, false) => (REPORT_COLUMNS, FOLLOW_UP_SUBQUERIES, ""),
            (false, true) => (COLUMNS, FOLLOW_UP_JOIN_COLUMNS, FOLLOW_UP_JOIN),
            (true, true) => (REPORT_COLUMNS, FOLLOW_UP_JOIN_COLUMNS, FOLLOW_UP_JOIN),
        };
        let sql = format!(
            "SELECT {columns}{follow_up_columns}{FROM}{join}{WHERE}{}",
            if self.region { REGION } else { "" }
        );
        if self.counted {
            format!(
                "SELECT COUNT(*) AS n, CAST(SUM(COALESCE(x.death_date, 0) \
                 + COALESCE(x.last_contact, 0) + LENGTH(x.icd10) \
                 + LENGTH(COALESCE(x.decision, ''))) AS BIGINT) AS s FROM ({sql}) x"
            )
        } else {
            sql
        }
    }
}

const AS_SERVER: Variant = Variant {
    name: "the reports' statement at c5c0aaa (19 columns, 2 correlated follow-up subqueries)",
    region: false,
    trimmed: false,
    joined: false,
    counted: false,
};

fn variants() -> Vec<Variant> {
    let v = AS_SERVER;
    vec![
        v,
        Variant {
            name: "the same, counted in the database (1 row back: the engine's share)",
            counted: true,
            ..v
        },
        Variant {
            name: "+ region in SQL",
            region: true,
            ..v
        },
        Variant {
            name: "+ region in SQL + the 13 columns the two reports read",
            region: true,
            trimmed: true,
            ..v
        },
        Variant {
            name: "+ region + 13 columns + follow-ups as one aggregated join",
            region: true,
            trimmed: true,
            joined: true,
            ..v
        },
    ]
}

/// A period the reports ask for.
#[derive(Debug, Clone, Copy)]
struct Period {
    label: &'static str,
    from: i64,
    to: i64,
}

/// One timing.
#[derive(Debug)]
struct Timing {
    setting: String,
    variant: String,
    period: &'static str,
    rows: usize,
    median: f64,
    best: f64,
}

async fn time_sql(
    pool: &AnyPool,
    sql: &str,
    period: Period,
    region: bool,
    runs: usize,
) -> anyhow::Result<(usize, f64, f64)> {
    let mut seconds = Vec::new();
    let mut rows = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let mut q = sqlx::query(sql).bind(period.from).bind(period.to);
        if region {
            q = q.bind("west");
        }
        rows = q.fetch_all(pool).await?.len();
        seconds.push(start.elapsed().as_secs_f64());
    }
    seconds.sort_by(f64::total_cmp);
    Ok((rows, seconds[seconds.len() / 2], seconds[0]))
}

async fn time_variants(
    out: &mut Vec<Timing>,
    pool: &AnyPool,
    setting: &str,
    list: &[Variant],
    periods: &[Period],
    runs: usize,
) -> anyhow::Result<()> {
    for p in periods {
        for v in list {
            let (rows, median, best) = time_sql(pool, &v.sql(), *p, v.region, runs).await?;
            eprintln!(
                "probe: {setting}: {} {}: {rows} rows, median {median:.3} s",
                v.name, p.label
            );
            out.push(Timing {
                setting: setting.to_string(),
                variant: v.name.to_string(),
                period: p.label,
                rows,
                median,
                best,
            });
        }
    }
    Ok(())
}

/// A pool set up as the server's reader, plus `extra` statements on each connection.
async fn reader_pool(
    url: &str,
    sqlite: bool,
    schema: &str,
    extra: &str,
) -> anyhow::Result<AnyPool> {
    let setup = if sqlite {
        format!(
            "PRAGMA busy_timeout = 5000; PRAGMA query_only = ON; PRAGMA cache_size = -16384; \
             {extra}"
        )
    } else {
        format!("SET search_path TO {schema}; {extra}")
    };
    Ok(AnyPoolOptions::new()
        .max_connections(1)
        .after_connect(move |conn, _| {
            let setup = setup.clone();
            Box::pin(async move {
                conn.execute(setup.as_str()).await?;
                Ok(())
            })
        })
        .connect(url)
        .await?)
}

/// The probe's markdown.
pub async fn run(options: &DbOptions, sqlite: bool, runs: usize) -> anyhow::Result<String> {
    let day = super::synth::day;
    let periods = [
        Period {
            label: "2024 (incidence)",
            from: day(2024, 1, 1),
            to: day(2024, 12, 31),
        },
        Period {
            label: "2015-2019 (survival)",
            from: day(2015, 1, 1),
            to: day(2019, 12, 31),
        },
    ];
    sqlx::any::install_default_drivers();
    // The server's reader (db.rs): SQLite, its own connections with a 16 MiB page cache;
    // PostgreSQL, the pool.
    let schema = options.pg_schema.clone().unwrap_or_else(|| "public".into());
    let reader = reader_pool(&options.url, sqlite, &schema, "").await?;
    let mut timings = Vec::new();
    time_variants(
        &mut timings,
        &reader,
        "as the server's reader",
        &variants(),
        &periods,
        runs,
    )
    .await?;
    let plan: Vec<String>;
    let survival = periods[1];
    let literal = AS_SERVER
        .sql()
        .replace("$1", &survival.from.to_string())
        .replace("$2", &survival.to.to_string());
    if sqlite {
        let mapped = reader_pool(
            &options.url,
            true,
            &schema,
            "PRAGMA mmap_size = 1073741824;",
        )
        .await?;
        let best = variants();
        let best = [best[0], best[3], best[4]];
        time_variants(
            &mut timings,
            &mapped,
            "reader + `PRAGMA mmap_size = 1073741824`",
            &best,
            &periods,
            runs,
        )
        .await?;
        let rows: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(&format!("EXPLAIN QUERY PLAN {literal}"))
                .fetch_all(&mapped)
                .await?;
        plan = rows.into_iter().map(|r| r.3).collect();
        // A covering index for the two subqueries, on the probe's database only.
        let writer = AnyPoolOptions::new()
            .max_connections(1)
            .connect(&options.url)
            .await?;
        writer
            .execute(
                "CREATE INDEX IF NOT EXISTS probe_follow_ups_covering ON follow_ups \
                 (patient_id, vital_status, death_date, last_contact)",
            )
            .await?;
        let covered = [best[0], best[1]];
        time_variants(
            &mut timings,
            &mapped,
            "reader + mmap + index `follow_ups (patient_id, vital_status, death_date, last_contact)`",
            &covered,
            &periods,
            runs,
        )
        .await?;
        writer
            .execute("DROP INDEX IF EXISTS probe_follow_ups_covering")
            .await?;
        writer.close().await;
        mapped.close().await;
    } else {
        let no_jit = reader_pool(&options.url, false, &schema, "SET jit = off;").await?;
        let list = variants();
        let list = [list[0], list[3], list[4]];
        time_variants(
            &mut timings,
            &no_jit,
            "`SET jit = off`",
            &list,
            &periods,
            runs,
        )
        .await?;
        plan = sqlx::query_scalar(&format!("EXPLAIN (ANALYZE, BUFFERS) {literal}"))
            .fetch_all(&reader)
            .await?;
        no_jit.close().await;
    }
    reader.close().await;

    let mut out = String::new();
    out.push_str(&format!(
        "#### Where the time goes (`--probe`: the reports' statement and variants of it, \
         fetched whole through sqlx's Any driver as the server fetches it, in this process, \
         the server stopped; median and best of {runs} runs; region west)\n\n"
    ));
    out.push_str("| connection | statement | period | rows | median s | best s |\n|---|---|---|---:|---:|---:|\n");
    for t in &timings {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {:.3} | {:.3} |\n",
            t.setting,
            t.variant,
            t.period,
            super::thousands(t.rows as u64),
            t.median,
            t.best
        ));
    }
    out.push('\n');
    out.push_str(&format!(
        "\n<details><summary>Plan of the server's statement for 2015-2019 ({})</summary>\n\n```\n{}\n```\n</details>\n",
        if sqlite {
            "EXPLAIN QUERY PLAN"
        } else {
            "EXPLAIN (ANALYZE, BUFFERS), literal bounds"
        },
        plan.join("\n")
    ));
    Ok(out)
}
