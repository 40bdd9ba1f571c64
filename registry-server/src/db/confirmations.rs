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

/// `insert`.
const INSERT: &str = "INSERT INTO record_confirmations (table_name, record_id, version, \
    check_code, outcome, confirmed_by, confirmed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
/// Every statement of this module, by name, for the test that prepares them all.
pub(crate) const STATEMENTS: &[(&str, &str)] = &[("db/confirmations.rs:insert", INSERT)];
