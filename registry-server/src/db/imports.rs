//! SQL of the import of existing records (`crate::domain::import`): what each source's
//! earlier runs imported, each row imported now, and the bulk writes of a batch of rows:
//! patients with their name keys, tumours, their multiple-primary decisions and the import
//! records, each as one multi-row INSERT per table (`db::many`) built from the very
//! statement that writes one row elsewhere (`patients::insert`, `clinical::put`,
//! `primaries::insert`), so the rows are the same as a registration's at the desk.

use card_format::model::Tumour;
use sqlx::{AnyConnection, FromRow};

use super::{clinical, insert_all, many, patients, primaries, primaries::PrimaryRow, Db};
use crate::patient::PatientData;

/// A row imported earlier.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Imported {
    /// The source's key of the row.
    pub record_key: String,
    /// SHA-256 of its fields when imported.
    pub digest: String,
    /// The patient it registered or was attached to.
    pub patient_id: String,
    /// The tumour it recorded.
    pub tumour_id: Option<String>,
}

/// Every row imported from `source`.
///
/// # Errors
/// Database errors.
pub async fn of_source(db: &Db, source: &str) -> Result<Vec<Imported>, sqlx::Error> {
    sqlx::query_as(OF_SOURCE)
        .bind(source)
        .fetch_all(&db.pool)
        .await
}

/// A new patient of a batch.
#[derive(Debug)]
pub struct NewPatient<'a> {
    /// Registry id.
    pub id: &'a str,
    /// The data.
    pub data: &'a PatientData,
    /// Name search keys (`domain::patients::search_keys`).
    pub keys: Vec<String>,
}

/// A new tumour of a batch (version 1).
#[derive(Debug)]
pub struct NewTumour<'a> {
    /// Tumour id.
    pub id: &'a str,
    /// Its patient.
    pub patient_id: &'a str,
    /// The tumour.
    pub tumour: &'a Tumour,
    /// Its multiple-primary decision.
    pub primary: PrimaryRow,
}

/// Inserts patients (version 1) and their name keys, as [`patients::insert`] does one.
///
/// # Errors
/// A duplicate identifier (unique violation) or other database errors.
pub async fn insert_patients(
    conn: &mut AnyConnection,
    rows: &[NewPatient<'_>],
    now: i64,
    user_id: &str,
) -> Result<(), sqlx::Error> {
    insert_all(conn, patients::INSERT, 15, rows, |q, r| {
        Ok(patients::bind_data(q.bind(r.id), r.data)?
            .bind(now)
            .bind(user_id.to_owned()))
    })
    .await?;
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    for r in rows {
        let mut keys: Vec<&String> = r.keys.iter().collect();
        keys.sort();
        keys.dedup();
        pairs.extend(keys.into_iter().map(|k| (k.as_str(), r.id)));
    }
    insert_all(conn, patients::REPLACE_KEYS_2, 2, &pairs, |q, (key, id)| {
        Ok(q.bind(*key).bind(*id))
    })
    .await
}

/// Inserts tumours at version 1 written by `user_id`, as `clinical::put` does one, and
/// their decisions, as [`primaries::insert`] does one.
///
/// # Errors
/// Database errors.
pub async fn insert_tumours(
    conn: &mut AnyConnection,
    rows: &[NewTumour<'_>],
    now: i64,
    user_id: &str,
) -> Result<(), sqlx::Error> {
    insert_all(conn, clinical::INSERT_TUMOUR, 17, rows, |q, r| {
        Ok(
            clinical::tumour_fields(q.bind(r.id).bind(r.patient_id), r.tumour)?
                .bind(now)
                .bind(user_id.to_owned()),
        )
    })
    .await?;
    insert_all(conn, primaries::INSERT, 6, rows, |q, r| {
        Ok(q.bind(&r.primary.tumour_id)
            .bind(1_i64)
            .bind(&r.primary.decision)
            .bind(&r.primary.rule)
            .bind(r.primary.against_id.as_deref())
            .bind(now))
    })
    .await
}

/// Records imported rows.
///
/// # Errors
/// Database errors (a unique violation when another run imported a key meanwhile).
pub async fn insert_many(
    conn: &mut AnyConnection,
    source: &str,
    rows: &[Imported],
    now: i64,
    user_id: &str,
) -> Result<(), sqlx::Error> {
    insert_all(conn, INSERT, 7, rows, |q, row| {
        Ok(q.bind(source.to_owned())
            .bind(&row.record_key)
            .bind(&row.digest)
            .bind(&row.patient_id)
            .bind(&row.tumour_id)
            .bind(now)
            .bind(user_id.to_owned()))
    })
    .await
}

/// PostgreSQL: refreshes the planner's statistics of the tables an import fills. A table
/// loaded in one run has none at first, and without them the duplicate search's plan read
/// the whole patients table once per new patient (an import of 100,000 rows stalled at a
/// quarter); PostgreSQL's autovacuum would come to it only after the run. SQLite plans
/// from its indexes alone: nothing to do.
///
/// # Errors
/// Database errors.
pub async fn analyze(db: &Db) -> Result<(), sqlx::Error> {
    if db.backend != super::Backend::Postgres {
        return Ok(());
    }
    sqlx::query(ANALYZE).execute(&db.pool).await.map(|_| ())
}

/// `analyze` (PostgreSQL only, and not a statement that can be prepared: left out of
/// [`statements`]).
const ANALYZE: &str = "ANALYZE patients, patient_name_keys, tumours";

/// The bulk statements at two rows, for the test that prepares every statement.
pub(crate) fn statements() -> Vec<(String, String)> {
    [
        (
            "db/imports.rs:insert_patients",
            many(patients::INSERT, 15, 2),
        ),
        (
            "db/imports.rs:insert_patients (keys)",
            many(patients::REPLACE_KEYS_2, 2, 2),
        ),
        (
            "db/imports.rs:insert_tumours",
            many(clinical::INSERT_TUMOUR, 17, 2),
        ),
        (
            "db/imports.rs:insert_tumours (primaries)",
            many(primaries::INSERT, 6, 2),
        ),
        ("db/imports.rs:insert_many", many(INSERT, 7, 2)),
        (
            "db/patients.rs:find_by_values",
            patients::find_by_values_sql(2),
        ),
        (
            "db/audit.rs:chain_in",
            many(super::audit::INSERT_ENTRY, 10, 2),
        ),
    ]
    .into_iter()
    .map(|(name, sql)| (name.to_string(), sql))
    .collect()
}

/// `of_source`.
const OF_SOURCE: &str = "SELECT record_key, digest, patient_id, tumour_id FROM import_records \
     WHERE source = $1";
/// `insert`.
const INSERT: &str = "INSERT INTO import_records (source, record_key, digest, patient_id, \
     tumour_id, imported_at, imported_by) VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// Every fixed statement of this module, by name, for the test that prepares them all.
pub(crate) const STATEMENTS: &[(&str, &str)] = &[
    ("db/imports.rs:of_source", OF_SOURCE),
    ("db/imports.rs:insert", INSERT),
];
