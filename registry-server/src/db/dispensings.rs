//! SQL for dispensings.
//!
//! Correct with several server instances on one database because the check and the count
//! are one statement: [`claim`] increments `dispensed_count` only where the count, the
//! interval and the status still allow it. PostgreSQL re-evaluates that `WHERE` after waiting
//! for a concurrent claim's row lock, so two pharmacies racing for the last dispensing get
//! one success and one refusal. The unique `idempotency_key` makes a retried request
//! converge on the first one's result.

use sqlx::{AnyConnection, FromRow};

use super::Db;

/// A dispensing row.
#[derive(Debug, Clone, FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct DispensingRow {
    /// Id.
    pub id: String,
    /// The client's idempotency key.
    pub idempotency_key: String,
    /// SHA-256 of the request, to tell a retry from a different request reusing a key.
    #[serde(skip)]
    pub request_hash: Vec<u8>,
    /// The authorisation dispensed against.
    pub authorisation_id: i64,
    /// The card presented.
    pub card_serial: String,
    /// Pharmacy facility code.
    pub facility_code: String,
    /// Pharmacist user id.
    pub user_id: String,
    /// Quantity dispensed.
    pub quantity: i64,
    /// Unix seconds.
    pub dispensed_at: i64,
}

const COLUMNS: &str = "id, idempotency_key, request_hash, authorisation_id, card_serial, \
    facility_code, user_id, quantity, dispensed_at";

/// The dispensing recorded under an idempotency key, if any.
///
/// # Errors
/// Database errors.
pub async fn by_key(
    conn: &mut AnyConnection,
    key: &str,
) -> Result<Option<DispensingRow>, sqlx::Error> {
    sqlx::query_as::<_, DispensingRow>(&format!(
        "SELECT {COLUMNS} FROM dispensings WHERE idempotency_key = $1"
    ))
    .bind(key)
    .fetch_optional(conn)
    .await
}

/// Takes one dispensing from an authorisation if its count, interval and status allow it at
/// `now`; returns whether it did.
///
/// # Errors
/// Database errors.
pub async fn claim(
    conn: &mut AnyConnection,
    authorisation_id: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE medicine_authorisations \
         SET dispensed_count = dispensed_count + 1, last_dispensed_at = $1 \
         WHERE id = $2 AND status = 'active' AND dispensed_count < dispensings \
         AND (last_dispensed_at IS NULL OR last_dispensed_at + interval_days * 86400 <= $1)",
    )
    .bind(now)
    .bind(authorisation_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The current `(dispensed_count, last_dispensed_at, status)` of an authorisation.
///
/// # Errors
/// Database errors (including an authorisation that vanished).
pub async fn counters(
    conn: &mut AnyConnection,
    authorisation_id: i64,
) -> Result<(i64, Option<i64>, String), sqlx::Error> {
    sqlx::query_as(
        "SELECT dispensed_count, last_dispensed_at, status FROM medicine_authorisations \
         WHERE id = $1",
    )
    .bind(authorisation_id)
    .fetch_one(conn)
    .await
}

/// Records a dispensing.
///
/// # Errors
/// A reused idempotency key (unique violation) or other database errors.
pub async fn insert(conn: &mut AnyConnection, d: &DispensingRow) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO dispensings ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    ))
    .bind(&d.id)
    .bind(&d.idempotency_key)
    .bind(&d.request_hash)
    .bind(d.authorisation_id)
    .bind(&d.card_serial)
    .bind(&d.facility_code)
    .bind(&d.user_id)
    .bind(d.quantity)
    .bind(d.dispensed_at)
    .execute(conn)
    .await
    .map(|_| ())
}

/// The dispensings of an authorisation, oldest first.
///
/// # Errors
/// Database errors.
pub async fn for_authorisation(
    db: &Db,
    authorisation_id: i64,
) -> Result<Vec<DispensingRow>, sqlx::Error> {
    sqlx::query_as::<_, DispensingRow>(&format!(
        "SELECT {COLUMNS} FROM dispensings WHERE authorisation_id = $1 ORDER BY dispensed_at, id"
    ))
    .bind(authorisation_id)
    .fetch_all(db.reader())
    .await
}
