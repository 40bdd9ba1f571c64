//! SQL for follow-up: contacts and vital status (`follow_ups`, append-only), and the cards a
//! death revokes.

use sqlx::AnyConnection;

use super::Db;

/// One recorded contact, as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FollowUpRow {
    /// Order of recording.
    pub seq: i64,
    /// The patient.
    pub patient_id: String,
    /// Last known alive (or the day of death): days since 1970-01-01.
    pub last_contact: i64,
    /// `alive`, `dead` or `lost`.
    pub vital_status: String,
    /// With `dead`: the day of death.
    pub death_date: Option<i64>,
    /// With `dead`: the underlying cause, ICD-10.
    pub death_cause: Option<String>,
    /// Unix seconds.
    pub recorded_at: i64,
    /// User id.
    pub recorded_by: String,
}

/// A contact to record.
#[derive(Debug, Clone, Copy)]
pub struct NewFollowUp<'a> {
    /// The patient.
    pub patient_id: &'a str,
    /// Days since 1970-01-01.
    pub last_contact: i64,
    /// `alive`, `dead` or `lost`.
    pub vital_status: &'a str,
    /// With `dead`.
    pub death_date: Option<i64>,
    /// With `dead`.
    pub death_cause: Option<&'a str>,
    /// Unix seconds.
    pub recorded_at: i64,
    /// User id.
    pub recorded_by: &'a str,
}

/// Appends a contact.
///
/// # Errors
/// Database errors.
pub async fn insert(conn: &mut AnyConnection, f: &NewFollowUp<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(INSERT)
        .bind(f.patient_id)
        .bind(f.last_contact)
        .bind(f.vital_status)
        .bind(f.death_date)
        .bind(f.death_cause)
        .bind(f.recorded_at)
        .bind(f.recorded_by)
        .execute(conn)
        .await?;
    Ok(())
}

/// Every contact of a patient, oldest first.
///
/// # Errors
/// Database errors.
pub async fn of_patient(db: &Db, patient_id: &str) -> Result<Vec<FollowUpRow>, sqlx::Error> {
    sqlx::query_as(OF_PATIENT)
        .bind(patient_id)
        .fetch_all(db.reader())
        .await
}

/// The patient's latest contact, if any.
///
/// # Errors
/// Database errors.
pub async fn latest(db: &Db, patient_id: &str) -> Result<Option<FollowUpRow>, sqlx::Error> {
    sqlx::query_as(LATEST)
        .bind(patient_id)
        .fetch_optional(db.reader())
        .await
}

/// Revokes every card of the patient not yet revoked (active or superseded) as `deceased`;
/// returns their serials, oldest first.
///
/// # Errors
/// Database errors.
pub async fn revoke_cards_of_deceased(
    conn: &mut AnyConnection,
    patient_id: &str,
    now: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let serials: Vec<(String,)> = sqlx::query_as(CARDS_TO_REVOKE)
        .bind(patient_id)
        .fetch_all(&mut *conn)
        .await?;
    sqlx::query(REVOKE_DECEASED)
        .bind(now)
        .bind(patient_id)
        .execute(conn)
        .await?;
    Ok(serials.into_iter().map(|(s,)| s).collect())
}

/// `insert`.
const INSERT: &str = "INSERT INTO follow_ups (patient_id, last_contact, vital_status, \
    death_date, death_cause, recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7)";
/// `of_patient`.
const OF_PATIENT: &str = "SELECT seq, patient_id, last_contact, vital_status, death_date, \
    death_cause, recorded_at, recorded_by FROM follow_ups WHERE patient_id = $1 \
    ORDER BY recorded_at, seq";
/// `latest`.
const LATEST: &str = "SELECT seq, patient_id, last_contact, vital_status, death_date, \
    death_cause, recorded_at, recorded_by FROM follow_ups WHERE patient_id = $1 \
    ORDER BY recorded_at DESC, seq DESC LIMIT 1";
/// `revoke_cards_of_deceased`: which.
const CARDS_TO_REVOKE: &str = "SELECT serial FROM cards WHERE patient_id = $1 \
    AND status <> 'revoked' ORDER BY issued_at, serial";
/// `revoke_cards_of_deceased`: revoke.
const REVOKE_DECEASED: &str = "UPDATE cards SET status = 'revoked', \
    revoked_reason = 'deceased', revoked_at = $1 WHERE patient_id = $2 AND status <> 'revoked'";

/// Every statement of this module, by name, for the test that prepares them all.
pub(crate) const STATEMENTS: &[(&str, &str)] = &[
    ("db/follow_up.rs:insert", INSERT),
    ("db/follow_up.rs:of_patient", OF_PATIENT),
    ("db/follow_up.rs:latest", LATEST),
    (
        "db/follow_up.rs:revoke_cards_of_deceased (which)",
        CARDS_TO_REVOKE,
    ),
    (
        "db/follow_up.rs:revoke_cards_of_deceased (revoke)",
        REVOKE_DECEASED,
    ),
];
