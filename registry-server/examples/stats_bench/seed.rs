//! Writes the synthetic registry ([`super::synth`]) straight into the database through SQL,
//! with the rows the API would write: `patients` (version 1, region), `tumours` (version 1,
//! active, ICCC-3 derived as the API derives it), `tumour_primaries` (version 1, the
//! multiple-primary decision), `follow_ups`, the facilities and users who wrote them, and
//! the population denominators of 2015-2024. SQLite gets multi-row INSERTs, one transaction
//! per chunk of patients; PostgreSQL gets `COPY ... FROM STDIN`, then `ANALYZE`.

use std::time::Instant;

use sqlx::pool::PoolConnection;
use sqlx::{Any, Executor};

use super::synth::{self, Patient, Summary};

/// Patients per chunk (one SQLite transaction, one set of COPYs).
const CHUNK: u64 = 20_000;

/// One value of a row.
#[derive(Debug)]
pub enum V {
    S(String),
    K(&'static str),
    I(i64),
    N,
}

impl From<Option<&'static str>> for V {
    fn from(v: Option<&'static str>) -> V {
        v.map_or(V::N, V::K)
    }
}

impl From<Option<i64>> for V {
    fn from(v: Option<i64>) -> V {
        v.map_or(V::N, V::I)
    }
}

/// Rows of one table, flattened.
#[derive(Debug)]
pub struct Rows {
    pub table: &'static str,
    pub columns: &'static [&'static str],
    pub values: Vec<V>,
}

impl Rows {
    pub fn new(table: &'static str, columns: &'static [&'static str]) -> Rows {
        Rows {
            table,
            columns,
            values: Vec::new(),
        }
    }

    pub fn push<const N: usize>(&mut self, row: [V; N]) {
        debug_assert_eq!(N, self.columns.len(), "{}", self.table);
        self.values.extend(row);
    }
}

/// Where rows go.
#[derive(Debug)]
pub enum Target {
    Sqlite(PoolConnection<Any>),
    Postgres(sqlx::postgres::PgConnection),
}

impl Target {
    pub async fn execute(&mut self, sql: &str) -> anyhow::Result<()> {
        match self {
            Target::Sqlite(c) => {
                c.execute(sql).await?;
            }
            Target::Postgres(c) => {
                c.execute(sql).await?;
            }
        }
        Ok(())
    }

    pub async fn write(&mut self, rows: &Rows) -> anyhow::Result<()> {
        if rows.values.is_empty() {
            return Ok(());
        }
        match self {
            Target::Sqlite(conn) => insert_sqlite(conn, rows).await,
            Target::Postgres(conn) => copy_postgres(conn, rows).await,
        }
    }
}

/// Multi-row INSERTs with anonymous `?` parameters (with numbered ones sqlx-sqlite's lookup
/// of each parameter's name is linear: see examples/load.rs).
async fn insert_sqlite(conn: &mut PoolConnection<Any>, rows: &Rows) -> anyhow::Result<()> {
    let width = rows.columns.len();
    let per_statement = (30_000 / width).min(1_000);
    let sql_for = |n: usize| {
        let one = format!("({})", vec!["?"; width].join(","));
        format!(
            "INSERT INTO {} ({}) VALUES {}",
            rows.table,
            rows.columns.join(", "),
            vec![one; n].join(",")
        )
    };
    let full = sql_for(per_statement);
    for chunk in rows.values.chunks(per_statement * width) {
        let partial;
        let sql = if chunk.len() == per_statement * width {
            &full
        } else {
            partial = sql_for(chunk.len() / width);
            &partial
        };
        let mut q = sqlx::query(sql);
        for v in chunk {
            q = match v {
                V::S(s) => q.bind(s.as_str()),
                V::K(s) => q.bind(*s),
                V::I(i) => q.bind(*i),
                V::N => q.bind(None::<i64>),
            };
        }
        q.execute(&mut **conn).await?;
    }
    Ok(())
}

/// One field of a `COPY ... FROM STDIN` text-format row.
fn copy_text(out: &mut String, v: &str) {
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

async fn copy_postgres(conn: &mut sqlx::postgres::PgConnection, rows: &Rows) -> anyhow::Result<()> {
    let width = rows.columns.len();
    let mut text = String::with_capacity(rows.values.len() * 16);
    for row in rows.values.chunks(width) {
        for (k, v) in row.iter().enumerate() {
            if k > 0 {
                text.push('\t');
            }
            match v {
                V::S(s) => copy_text(&mut text, s),
                V::K(s) => copy_text(&mut text, s),
                V::I(i) => text.push_str(&i.to_string()),
                V::N => text.push_str("\\N"),
            }
        }
        text.push('\n');
    }
    let mut copy = conn
        .copy_in_raw(&format!(
            "COPY {} ({}) FROM STDIN",
            rows.table,
            rows.columns.join(", ")
        ))
        .await?;
    copy.send(text.as_bytes()).await?;
    copy.finish().await?;
    Ok(())
}

/// The id of the seeding registrar of a region (who "wrote" its tumours).
pub fn seed_user(region: usize) -> String {
    format!("seed-registrar-{}", synth::REGIONS[region])
}

/// The bench's own users: (id, role, facility).
pub const BENCH_USERS: [(&str, &str, &str); 2] = [
    ("bench-stats-registrar", "registrar", "LY-TRI-ONC"),
    ("bench-stats-statistician", "statistician", "LY-MOH"),
];

/// Facilities, users and the population.
pub async fn reference_data(target: &mut Target, now: i64) -> anyhow::Result<()> {
    let mut facilities = Rows::new(
        "facilities",
        &["code", "name", "region", "kind", "created_at"],
    );
    let names = [
        "Benghazi oncology centre",
        "Tripoli oncology centre",
        "Sabha oncology centre",
    ];
    for (r, name) in names.iter().enumerate() {
        facilities.push([
            V::K(synth::REGION_FACILITIES[r]),
            V::K(name),
            V::K(synth::REGIONS[r]),
            V::K("oncology_centre"),
            V::I(now),
        ]);
    }
    facilities.push([
        V::K("LY-MOH"),
        V::K("Ministry of Health"),
        V::K("national"),
        V::K("ministry"),
        V::I(now),
    ]);
    let mut users = Rows::new(
        "users",
        &[
            "id",
            "username",
            "display_name",
            "role",
            "facility_code",
            "active",
            "created_at",
        ],
    );
    for r in 0..3 {
        let id = seed_user(r);
        users.push([
            V::S(id.clone()),
            V::S(id),
            V::S(format!("Seeding registrar ({})", synth::REGIONS[r])),
            V::K("registrar"),
            V::K(synth::REGION_FACILITIES[r]),
            V::I(1),
            V::I(now),
        ]);
    }
    for (id, role, facility) in BENCH_USERS {
        users.push([
            V::K(id),
            V::K(id),
            V::S(format!("Benchmark {role}")),
            V::K(role),
            V::K(facility),
            V::I(1),
            V::I(now),
        ]);
    }
    let mut population = Rows::new(
        "population",
        &["year", "area", "sex", "age_group", "population"],
    );
    let cells = synth::population();
    for &(year, area, sex, group, n) in &cells {
        population.push([
            V::I(i64::from(year)),
            V::K(area),
            V::K(sex),
            V::I(group),
            V::I(n),
        ]);
    }
    let mut imports = Rows::new(
        "population_imports",
        &[
            "year",
            "version",
            "cells",
            "sha256",
            "imported_at",
            "imported_by",
        ],
    );
    for year in synth::FIRST_YEAR..=synth::LAST_YEAR {
        let n = cells.iter().filter(|c| c.0 == year).count() as i64;
        imports.push([
            V::I(i64::from(year)),
            V::I(1),
            V::I(n),
            V::K("synthetic (examples/stats_bench)"),
            V::I(now),
            V::K("bench-stats-registrar"),
        ]);
    }
    for rows in [&facilities, &users, &population, &imports] {
        target.write(rows).await?;
    }
    Ok(())
}

/// The rows of one chunk of patients.
fn chunk_rows(
    ids: &[String],
    start: u64,
    patients: u64,
    tumours: u64,
    now: i64,
    summary: &mut Summary,
) -> [Rows; 4] {
    let mut p_rows = Rows::new(
        "patients",
        &[
            "id",
            "id_type",
            "id_value",
            "name_ar",
            "name_latin",
            "sex",
            "birth_date",
            "blood_group",
            "municipality",
            "region",
            "version",
            "created_at",
            "updated_at",
            "updated_by",
        ],
    );
    let mut t_rows = Rows::new(
        "tumours",
        &[
            "id",
            "patient_id",
            "icd10",
            "topography",
            "morphology",
            "behaviour",
            "grade",
            "basis",
            "incidence",
            "stage_scheme",
            "stage_group",
            "iccc",
            "status",
            "version",
            "updated_at",
            "updated_by",
        ],
    );
    let mut tp_rows = Rows::new(
        "tumour_primaries",
        &[
            "tumour_id",
            "version",
            "decision",
            "rule",
            "against_id",
            "decided_at",
        ],
    );
    let mut f_rows = Rows::new(
        "follow_ups",
        &[
            "patient_id",
            "last_contact",
            "vital_status",
            "death_date",
            "death_cause",
            "recorded_at",
            "recorded_by",
        ],
    );
    for (k, id) in ids.iter().enumerate() {
        let p = Patient::nth(start + k as u64, patients, tumours);
        summary.add(&p);
        let user = seed_user(p.region);
        p_rows.push([
            V::S(id.clone()),
            V::K("national"),
            V::S(p.national.clone()),
            V::S(p.name_ar.clone()),
            V::S(p.name_latin.clone()),
            V::K(if p.female { "female" } else { "male" }),
            V::I(p.birth_date),
            p.blood_group.into(),
            V::K(p.municipality),
            V::K(synth::REGIONS[p.region]),
            V::I(1),
            V::I(now),
            V::I(now),
            V::S(user.clone()),
        ]);
        let mut first_id: Option<String> = None;
        for t in &p.tumours {
            let tumour_id = registry_server::auth::new_id();
            t_rows.push([
                V::S(tumour_id.clone()),
                V::S(id.clone()),
                V::K(t.icd10),
                V::K(t.topography),
                V::I(t.morphology),
                V::I(t.behaviour),
                t.grade.into(),
                V::I(t.basis),
                V::I(t.incidence),
                t.stage.map(|_| "tnm8").into(),
                t.stage.into(),
                t.iccc.clone().map_or(V::N, V::S),
                V::K("active"),
                V::I(1),
                V::I(now),
                V::S(user.clone()),
            ]);
            let (decision, rule) = match (&first_id, t.duplicate) {
                (None, _) => ("new_primary", "first_tumour"),
                (Some(_), true) => ("duplicate", "same_organ_same_histology"),
                (Some(_), false) => ("new_primary", "different_organ"),
            };
            tp_rows.push([
                V::S(tumour_id.clone()),
                V::I(1),
                V::K(decision),
                V::K(rule),
                first_id.clone().map_or(V::N, V::S),
                V::I(now),
            ]);
            first_id.get_or_insert(tumour_id);
        }
        for f in &p.follow_ups {
            f_rows.push([
                V::S(id.clone()),
                V::I(f.last_contact),
                V::K(f.vital_status),
                f.death_date.into(),
                f.death_cause.into(),
                V::I(f.recorded_at),
                V::S(user.clone()),
            ]);
        }
    }
    [p_rows, t_rows, tp_rows, f_rows]
}

/// Seeds the registry; returns what was written.
pub async fn registry(
    target: &mut Target,
    patients: u64,
    tumours: u64,
    now: i64,
) -> anyhow::Result<Summary> {
    let start = Instant::now();
    let sqlite = matches!(target, Target::Sqlite(_));
    if sqlite {
        // Seeding only: a big page cache and no sync; the server runs with its own settings.
        target
            .execute("PRAGMA cache_size = -524288; PRAGMA synchronous = OFF")
            .await?;
    } else {
        // Seeding only: commits need not wait for the WAL flush.
        target.execute("SET synchronous_commit = off").await?;
    }
    target.execute("BEGIN").await?;
    reference_data(target, now).await?;
    target.execute("COMMIT").await?;
    // Registry ids are random like the API's, sorted so inserts append to the indexes.
    let mut ids: Vec<String> = (0..patients)
        .map(|_| registry_server::auth::new_id())
        .collect();
    ids.sort_unstable();
    let mut summary = Summary::default();
    let mut done = 0u64;
    while done < patients {
        let end = (done + CHUNK).min(patients);
        let rows = chunk_rows(
            &ids[done as usize..end as usize],
            done,
            patients,
            tumours,
            now,
            &mut summary,
        );
        target.execute("BEGIN").await?;
        for r in &rows {
            target.write(r).await?;
        }
        target.execute("COMMIT").await?;
        done = end;
        eprintln!(
            "seed: {done}/{patients} patients, {} tumours, {} follow-ups, {:.1} s",
            summary.tumours,
            summary.follow_up_rows,
            start.elapsed().as_secs_f64()
        );
    }
    if sqlite {
        target
            .execute("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA synchronous = NORMAL")
            .await?;
    } else {
        // What autovacuum would do after a bulk load, done now so the planner has statistics.
        target.execute("ANALYZE").await?;
    }
    Ok(summary)
}
