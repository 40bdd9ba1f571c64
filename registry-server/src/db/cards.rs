//! SQL for issued cards: issue (superseding the previous card), fetch, revoke.

use sqlx::{AnyConnection, FromRow};

use super::status::CardState;
use super::Db;

/// A card row.
#[derive(Debug, Clone, FromRow)]
pub struct CardRow {
    /// Compact serial (16 Base32 characters).
    pub serial: String,
    /// Patient id.
    pub patient_id: String,
    /// Kid of the issuing key, hex.
    pub issuer_kid: String,
    /// Unix seconds.
    pub issued_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// The signed COSE bytes.
    pub cose: Vec<u8>,
    /// `active`, `superseded` or `revoked`.
    pub status: CardState,
    /// The card that replaced this one.
    pub superseded_by: Option<String>,
    /// Revocation reason name.
    pub revoked_reason: Option<String>,
    /// Unix seconds.
    pub revoked_at: Option<i64>,
    /// User id of the registrar.
    pub issued_by: String,
}

macro_rules! columns {
    () => {
        "serial, patient_id, issuer_kid, issued_at, expires_at, cose, status, \
    superseded_by, revoked_reason, revoked_at, issued_by"
    };
}

/// Marks the patient's active card superseded by `new_serial`; returns how many (0 or 1).
///
/// # Errors
/// Database errors.
pub async fn supersede_active(
    conn: &mut AnyConnection,
    patient_id: &str,
    new_serial: &str,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(SUPERSEDE_ACTIVE)
        .bind(new_serial)
        .bind(patient_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// The serial of the patient's active card, inside a transaction.
///
/// # Errors
/// Database errors.
pub async fn active_serial_in(
    conn: &mut AnyConnection,
    patient_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as(ACTIVE_SERIAL_IN)
        .bind(patient_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|(s,)| s))
}

/// Inserts a new active card. The partial unique index `cards_one_active` refuses a second
/// active card for a patient, so two registrars issuing at once cannot both succeed.
///
/// # Errors
/// A unique violation (serial or second active card) or other database errors.
pub async fn insert(conn: &mut AnyConnection, c: &CardRow) -> Result<(), sqlx::Error> {
    sqlx::query(INSERT)
        .bind(&c.serial)
        .bind(&c.patient_id)
        .bind(&c.issuer_kid)
        .bind(c.issued_at)
        .bind(c.expires_at)
        .bind(&c.cose)
        .bind(&c.issued_by)
        .execute(conn)
        .await
        .map(|_| ())
}

/// A card by serial.
///
/// # Errors
/// Database errors.
pub async fn get(db: &Db, serial: &str) -> Result<Option<CardRow>, sqlx::Error> {
    sqlx::query_as::<_, CardRow>(GET)
        .bind(serial)
        .fetch_optional(db.reader())
        .await
}

/// A card by serial, inside a transaction.
///
/// # Errors
/// Database errors.
pub async fn get_in(
    conn: &mut AnyConnection,
    serial: &str,
) -> Result<Option<CardRow>, sqlx::Error> {
    sqlx::query_as::<_, CardRow>(GET_IN)
        .bind(serial)
        .fetch_optional(conn)
        .await
}

/// When a card was issued, inside a transaction (for a superseded card, its successor's
/// issue time is when it was superseded).
///
/// # Errors
/// Database errors.
pub async fn issued_at_in(
    conn: &mut AnyConnection,
    serial: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let row: Option<(i64,)> = sqlx::query_as(ISSUED_AT_IN)
        .bind(serial)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|(t,)| t))
}

/// A patient's cards, newest first.
///
/// # Errors
/// Database errors.
pub async fn for_patient(db: &Db, patient_id: &str) -> Result<Vec<CardRow>, sqlx::Error> {
    sqlx::query_as::<_, CardRow>(FOR_PATIENT)
        .bind(patient_id)
        .fetch_all(db.reader())
        .await
}

/// Revokes a card that is active or superseded; returns false if it was already revoked.
///
/// # Errors
/// Database errors.
pub async fn revoke(
    conn: &mut AnyConnection,
    serial: &str,
    reason: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(REVOKE)
        .bind(reason)
        .bind(now)
        .bind(serial)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Serials and reasons of revoked cards, and serials of superseded cards, for the bundle.
///
/// # Errors
/// Database errors.
pub async fn bundle_lists(
    db: &Db,
) -> Result<(Vec<(String, String, i64)>, Vec<String>), sqlx::Error> {
    let revoked = sqlx::query_as::<_, (String, String, i64)>(BUNDLE_LISTS)
        .fetch_all(db.reader())
        .await?;
    let superseded: Vec<(String,)> = sqlx::query_as(BUNDLE_LISTS_2)
        .fetch_all(db.reader())
        .await?;
    Ok((revoked, superseded.into_iter().map(|(s,)| s).collect()))
}

/// `supersede_active`.
const SUPERSEDE_ACTIVE: &str = "UPDATE cards SET status = 'superseded', superseded_by = $1 \
         WHERE patient_id = $2 AND status = 'active'";
/// `active_serial_in`.
const ACTIVE_SERIAL_IN: &str =
    "SELECT serial FROM cards WHERE patient_id = $1 AND status = 'active'";
/// `issued_at_in`.
const ISSUED_AT_IN: &str = "SELECT issued_at FROM cards WHERE serial = $1";
/// `revoke`.
const REVOKE: &str = "UPDATE cards SET status = 'revoked', revoked_reason = $1, revoked_at = $2 \
         WHERE serial = $3 AND status <> 'revoked'";
/// `bundle_lists`.
const BUNDLE_LISTS: &str =
    "SELECT serial, revoked_reason, revoked_at FROM cards WHERE status = 'revoked'";
/// `bundle_lists`.
const BUNDLE_LISTS_2: &str = "SELECT serial FROM cards WHERE status = 'superseded'";

/// `insert`.
const INSERT: &str = concat!(
    "INSERT INTO cards (",
    columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, 'active', NULL, NULL, NULL, $7)"
);
/// `get`.
const GET: &str = concat!("SELECT ", columns!(), " FROM cards WHERE serial = $1");
/// `get_in`.
const GET_IN: &str = concat!("SELECT ", columns!(), " FROM cards WHERE serial = $1");
/// `for_patient`.
const FOR_PATIENT: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM cards WHERE patient_id = $1 ORDER BY issued_at DESC, serial"
);

/// Every fixed statement of this module, by name, for the test that prepares them all.
pub(crate) const STATEMENTS: &[(&str, &str)] = &[
    ("db/cards.rs:insert", INSERT),
    ("db/cards.rs:get", GET),
    ("db/cards.rs:get_in", GET_IN),
    ("db/cards.rs:for_patient", FOR_PATIENT),
    ("db/cards.rs:supersede_active", SUPERSEDE_ACTIVE),
    ("db/cards.rs:active_serial_in", ACTIVE_SERIAL_IN),
    ("db/cards.rs:issued_at_in", ISSUED_AT_IN),
    ("db/cards.rs:revoke", REVOKE),
    ("db/cards.rs:bundle_lists", BUNDLE_LISTS),
    ("db/cards.rs:bundle_lists", BUNDLE_LISTS_2),
];
