//! SQL for one patient, one record: the duplicate search's block of patients to score and
//! the review queue of candidate pairs (`duplicate_pairs`). Merges are in [`super::merges`].

use sqlx::{AnyConnection, FromRow};

use super::Db;

/// At most this many patients are scored for one search. A block is about nine days of
/// births plus a few identifiers (a few hundred patients at a million); the bound only keeps
/// a pathological registry (every birth date the same) from loading everything.
pub const BLOCK_LIMIT: i64 = 5000;

/// What the score needs of a patient in the block.
#[derive(Debug, Clone, FromRow)]
pub struct BlockRow {
    /// Registry id.
    pub id: String,
    /// Identifier scheme.
    pub id_type: String,
    /// Identifier value.
    pub id_value: String,
    /// JSON array of Arabic name parts.
    pub name_ar: String,
    /// JSON array of Latin name parts.
    pub name_latin: String,
    /// Sex name.
    pub sex: String,
    /// Days since 1970-01-01.
    pub birth_date: i64,
}

/// The patients not merged away that were born on one of `birth_dates` with a sex among
/// `sexes` (four names, repeated as needed), or have an identifier of scheme `id_type`
/// among `id_values`; at most [`BLOCK_LIMIT`].
///
/// # Errors
/// Database errors.
pub async fn block(
    db: &Db,
    birth_dates: &[i64],
    sexes: [&str; 4],
    id_type: &str,
    id_values: &[String],
) -> Result<Vec<BlockRow>, sqlx::Error> {
    let sql = block_sql(birth_dates.len().max(1), id_values.len().max(1));
    let mut query = sqlx::query_as::<_, BlockRow>(&sql);
    for d in birth_dates {
        query = query.bind(*d);
    }
    if birth_dates.is_empty() {
        query = query.bind(i64::MIN);
    }
    for sex in sexes {
        query = query.bind(sex);
    }
    query = query.bind(id_type);
    for v in id_values {
        query = query.bind(v.as_str());
    }
    if id_values.is_empty() {
        query = query.bind("");
    }
    query.bind(BLOCK_LIMIT).fetch_all(db.reader()).await
}

/// The live records after id `after`, by id, at most `limit` (a scan's page).
///
/// # Errors
/// Database errors.
pub async fn live_after(db: &Db, after: &str, limit: i64) -> Result<Vec<BlockRow>, sqlx::Error> {
    sqlx::query_as(LIVE_AFTER)
        .bind(after)
        .bind(limit)
        .fetch_all(db.reader())
        .await
}

/// `live_after`.
const LIVE_AFTER: &str = "SELECT id, id_type, id_value, name_ar, name_latin, sex, birth_date \
     FROM patients WHERE merged_into IS NULL AND id > $1 ORDER BY id LIMIT $2";

fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The block query for `dates` birth dates and `values` identifier values: two index scans
/// (`patients_birth_date`, the unique identifier index) joined by UNION.
fn block_sql(dates: usize, values: usize) -> String {
    const COLUMNS: &str = "id, id_type, id_value, name_ar, name_latin, sex, birth_date";
    format!(
        "SELECT {COLUMNS} FROM patients WHERE merged_into IS NULL AND birth_date IN ({}) \
         AND sex IN ({}) \
         UNION SELECT {COLUMNS} FROM patients WHERE merged_into IS NULL AND id_type = ${} \
         AND id_value IN ({}) LIMIT ${}",
        placeholders(1, dates),
        placeholders(dates + 1, 4),
        dates + 5,
        placeholders(dates + 6, values),
        dates + values + 6
    )
}

/// The block query at its usual sizes, for the test that prepares every statement.
pub(crate) fn block_statements() -> Vec<(String, String)> {
    [(8, 1), (8, 119)]
        .into_iter()
        .map(|(d, v)| {
            (
                format!("db/linkage.rs:block of {d} dates and {v} identifiers"),
                block_sql(d, v),
            )
        })
        .collect()
}

/// A candidate pair of the review queue.
#[derive(Debug, Clone, FromRow)]
pub struct PairRow {
    /// The patient whose id sorts first.
    pub patient_a: String,
    /// The other.
    pub patient_b: String,
    /// The score when found.
    pub score: i64,
    /// JSON array of the reasons when found.
    pub reasons: String,
    /// `open`, `distinct` or `merged`.
    pub status: String,
    /// Unix seconds.
    pub found_at: i64,
    /// Unix seconds, once decided.
    pub decided_at: Option<i64>,
    /// User id, once decided.
    pub decided_by: Option<String>,
}

/// A pair with its two ids in the stored order.
pub fn ordered<'a>(x: &'a str, y: &'a str) -> (&'a str, &'a str) {
    if x <= y {
        (x, y)
    } else {
        (y, x)
    }
}

/// Queues a pair as open unless it is already known (open, distinct or merged: a pair a
/// registrar has decided is not asked again).
///
/// # Errors
/// Database errors.
pub async fn add_open(
    conn: &mut AnyConnection,
    x: &str,
    y: &str,
    score: i64,
    reasons: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let (a, b) = ordered(x, y);
    sqlx::query(ADD_OPEN)
        .bind(a)
        .bind(b)
        .bind(score)
        .bind(reasons)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records a registrar's decision on a pair (`distinct` or `merged`, or `open` again after
/// an unmerge), queued or not.
///
/// # Errors
/// Database errors.
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    conn: &mut AnyConnection,
    x: &str,
    y: &str,
    score: i64,
    reasons: &str,
    status: &str,
    now: i64,
    user_id: &str,
) -> Result<(), sqlx::Error> {
    let (a, b) = ordered(x, y);
    sqlx::query(DECIDE)
        .bind(a)
        .bind(b)
        .bind(score)
        .bind(reasons)
        .bind(status)
        .bind(now)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The pairs with `status`, highest score first, after skipping `offset`; at most `limit`.
///
/// # Errors
/// Database errors.
pub async fn pairs(
    db: &Db,
    status: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<PairRow>, sqlx::Error> {
    sqlx::query_as(PAIRS)
        .bind(status)
        .bind(limit)
        .bind(offset)
        .fetch_all(db.reader())
        .await
}

/// The open pairs one patient is in.
///
/// # Errors
/// Database errors.
pub async fn open_pairs_of(db: &Db, patient_id: &str) -> Result<Vec<PairRow>, sqlx::Error> {
    sqlx::query_as(OPEN_PAIRS_OF)
        .bind(patient_id)
        .fetch_all(db.reader())
        .await
}

/// `add_open`.
const ADD_OPEN: &str = "INSERT INTO duplicate_pairs (patient_a, patient_b, score, reasons, \
     status, found_at) VALUES ($1, $2, $3, $4, 'open', $5) \
     ON CONFLICT (patient_a, patient_b) DO NOTHING";
/// `decide`.
const DECIDE: &str = "INSERT INTO duplicate_pairs (patient_a, patient_b, score, reasons, \
     status, found_at, decided_at, decided_by) VALUES ($1, $2, $3, $4, $5, $6, $6, $7) \
     ON CONFLICT (patient_a, patient_b) DO UPDATE SET status = excluded.status, \
     decided_at = excluded.decided_at, decided_by = excluded.decided_by";
/// `pairs`.
const PAIRS: &str = "SELECT patient_a, patient_b, score, reasons, status, found_at, \
     decided_at, decided_by FROM duplicate_pairs WHERE status = $1 \
     ORDER BY score DESC, patient_a, patient_b LIMIT $2 OFFSET $3";
/// `open_pairs_of`.
const OPEN_PAIRS_OF: &str = "SELECT patient_a, patient_b, score, reasons, status, found_at, \
     decided_at, decided_by FROM duplicate_pairs WHERE status = 'open' \
     AND (patient_a = $1 OR patient_b = $1) ORDER BY score DESC";
/// Every fixed statement of this module, by name, for the test that prepares them all.
pub(crate) fn statements() -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = [
        ("live_after", LIVE_AFTER),
        ("add_open", ADD_OPEN),
        ("decide", DECIDE),
        ("pairs", PAIRS),
        ("open_pairs_of", OPEN_PAIRS_OF),
    ]
    .into_iter()
    .map(|(name, sql)| (format!("db/linkage.rs:{name}"), sql.to_string()))
    .collect();
    all.extend(block_statements());
    all
}
