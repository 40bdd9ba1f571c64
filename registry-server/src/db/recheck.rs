//! SQL for re-checking the stored records: every active tumour with what the record checks
//! need of its patient, and the facility of whoever last wrote it.

use super::Db;

/// An active tumour, its patient's sex and birth date, and the facility that last wrote it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TumourToCheck {
    /// Tumour id.
    pub id: String,
    /// Patient id.
    pub patient_id: String,
    /// ICD-O-3 topography.
    pub topography: String,
    /// ICD-O-3 histology.
    pub morphology: i64,
    /// ICD-O-3 behaviour.
    pub behaviour: i64,
    /// Grade.
    pub grade: Option<i64>,
    /// Basis of diagnosis.
    pub basis: i64,
    /// Incidence, days since 1970-01-01.
    pub incidence: i64,
    /// Version.
    pub version: i64,
    /// The patient's sex (stored name).
    pub sex: String,
    /// The patient's birth date, days since 1970-01-01.
    pub birth_date: i64,
    /// The facility of the user who last wrote the tumour (empty if the user is gone).
    pub facility_code: String,
}

/// Every active tumour, by facility, patient and id.
///
/// # Errors
/// Database errors.
pub async fn tumours(db: &Db) -> Result<Vec<TumourToCheck>, sqlx::Error> {
    sqlx::query_as(TUMOURS).fetch_all(db.reader()).await
}

/// Every patient's latest contact: (patient, last contact, death date).
///
/// # Errors
/// Database errors.
pub async fn latest_follow_ups(db: &Db) -> Result<Vec<(String, i64, Option<i64>)>, sqlx::Error> {
    sqlx::query_as(LATEST_FOLLOW_UPS)
        .fetch_all(db.reader())
        .await
}

/// The version of each tumour's confirmed checks: (tumour, version, check code).
///
/// # Errors
/// Database errors.
pub async fn confirmed(db: &Db) -> Result<Vec<(String, i64, String)>, sqlx::Error> {
    sqlx::query_as(CONFIRMED).fetch_all(db.reader()).await
}

/// `tumours`.
const TUMOURS: &str = "SELECT t.id, t.patient_id, t.topography, t.morphology, t.behaviour, \
    t.grade, t.basis, t.incidence, t.version, p.sex, p.birth_date, \
    COALESCE(u.facility_code, '') AS facility_code \
    FROM tumours t JOIN patients p ON p.id = t.patient_id \
    LEFT JOIN users u ON u.id = t.updated_by \
    WHERE t.status = 'active' ORDER BY facility_code, t.patient_id, t.id";
/// `latest_follow_ups`.
const LATEST_FOLLOW_UPS: &str = "SELECT f.patient_id, f.last_contact, f.death_date \
    FROM follow_ups f WHERE f.seq = (SELECT MAX(g.seq) FROM follow_ups g \
    WHERE g.patient_id = f.patient_id)";
/// `confirmed`.
const CONFIRMED: &str = "SELECT record_id, version, check_code FROM record_confirmations \
    WHERE table_name = 'tumours'";

/// Every statement of this module, by name, for the test that prepares them all.
pub(crate) const STATEMENTS: &[(&str, &str)] = &[
    ("db/recheck.rs:tumours", TUMOURS),
    ("db/recheck.rs:latest_follow_ups", LATEST_FOLLOW_UPS),
    ("db/recheck.rs:confirmed", CONFIRMED),
];
