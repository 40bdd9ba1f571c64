//! SQL for the multiple-primary decisions of tumours (`tumour_primaries`, one row per
//! tumour version).

use sqlx::AnyConnection;

use super::Db;

/// A decision as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PrimaryRow {
    /// The tumour.
    pub tumour_id: String,
    /// `duplicate`, `new_primary` or `review`.
    pub decision: String,
    /// The rule's stable code.
    pub rule: String,
    /// The other tumour that decided it.
    pub against_id: Option<String>,
}

/// Stores the decision for version `version` of tumour `tumour_id`.
///
/// # Errors
/// Database errors.
pub async fn insert(
    conn: &mut AnyConnection,
    row: &PrimaryRow,
    version: i64,
    at: i64,
) -> Result<(), sqlx::Error> {
    write(conn, INSERT, row, version, at).await
}

/// Stores the decision for version `version` of tumour `tumour_id`, replacing the one made
/// before (a merge or an unmerge judges a tumour again against its new record).
///
/// # Errors
/// Database errors.
pub async fn replace(
    conn: &mut AnyConnection,
    row: &PrimaryRow,
    version: i64,
    at: i64,
) -> Result<(), sqlx::Error> {
    write(conn, REPLACE, row, version, at).await
}

/// Runs `INSERT` or `REPLACE` (the same six columns) for one decision.
async fn write(
    conn: &mut AnyConnection,
    sql: &str,
    row: &PrimaryRow,
    version: i64,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(sql)
        .bind(&row.tumour_id)
        .bind(version)
        .bind(&row.decision)
        .bind(&row.rule)
        .bind(row.against_id.as_deref())
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

/// The decisions of the current versions of a patient's tumours.
///
/// # Errors
/// Database errors.
pub async fn of_patient(db: &Db, patient_id: &str) -> Result<Vec<PrimaryRow>, sqlx::Error> {
    sqlx::query_as(OF_PATIENT)
        .bind(patient_id)
        .fetch_all(db.reader())
        .await
}

/// `insert`.
pub(crate) const INSERT: &str =
    "INSERT INTO tumour_primaries (tumour_id, version, decision, rule, \
    against_id, decided_at) VALUES ($1, $2, $3, $4, $5, $6)";
/// `replace`.
const REPLACE: &str = "INSERT INTO tumour_primaries (tumour_id, version, decision, rule, \
    against_id, decided_at) VALUES ($1, $2, $3, $4, $5, $6) \
    ON CONFLICT (tumour_id, version) DO UPDATE SET decision = excluded.decision, \
    rule = excluded.rule, against_id = excluded.against_id, decided_at = excluded.decided_at";
/// `of_patient`.
const OF_PATIENT: &str = "SELECT p.tumour_id, p.decision, p.rule, p.against_id \
    FROM tumour_primaries p JOIN tumours t ON t.id = p.tumour_id AND t.version = p.version \
    WHERE t.patient_id = $1";

/// Every statement of this module, by name, for the test that prepares them all.
pub(crate) const STATEMENTS: &[(&str, &str)] = &[
    ("db/primaries.rs:insert", INSERT),
    ("db/primaries.rs:replace", REPLACE),
    ("db/primaries.rs:of_patient", OF_PATIENT),
];
