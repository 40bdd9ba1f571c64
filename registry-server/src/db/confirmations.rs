//! SQL for the confirmations of record checks: who confirmed which query or rare finding of
//! which version of a record, and when (`record_confirmations`, append-only).

use sqlx::AnyConnection;

/// Stores that `by` confirmed `checks` (code, outcome) on version `version` of record `id`
/// of `table`.
///
/// # Errors
/// Database errors.
pub async fn insert(
    conn: &mut AnyConnection,
    table: &str,
    id: &str,
    version: i64,
    checks: &[(&str, &str)],
    by: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    for (check, outcome) in checks {
        sqlx::query(INSERT)
            .bind(table)
            .bind(id)
            .bind(version)
            .bind(*check)
            .bind(*outcome)
            .bind(by)
            .bind(at)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A confirmation as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct ConfirmationRow {
    /// The tumour.
    pub record_id: String,
    /// The check's code.
    pub check_code: String,
    /// `query` or `rare`.
    pub outcome: String,
    /// Who confirmed it (user id).
    pub confirmed_by: String,
    /// When (Unix seconds).
    pub confirmed_at: i64,
}

/// The confirmations of the current versions of a patient's tumours.
///
/// # Errors
/// Database errors.
pub async fn of_patient(
    db: &super::Db,
    patient_id: &str,
) -> Result<Vec<ConfirmationRow>, sqlx::Error> {
    sqlx::query_as(OF_PATIENT)
        .bind(patient_id)
        .fetch_all(db.reader())
        .await
}

/// `of_patient`.
const OF_PATIENT: &str = "SELECT c.record_id, c.check_code, c.outcome, c.confirmed_by, \
    c.confirmed_at FROM record_confirmations c JOIN tumours t ON t.id = c.record_id \
    AND t.version = c.version WHERE c.table_name = 'tumours' AND t.patient_id = $1 \
    ORDER BY c.confirmed_at, c.record_id, c.check_code";
/// `insert`.
const INSERT: &str = "INSERT INTO record_confirmations (table_name, record_id, version, \
    check_code, outcome, confirmed_by, confirmed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
/// Every statement of this module, by name, for the test that prepares them all.
pub(crate) const STATEMENTS: &[(&str, &str)] = &[
    ("db/confirmations.rs:insert", INSERT),
    ("db/confirmations.rs:of_patient", OF_PATIENT),
];
