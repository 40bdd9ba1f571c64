//! SQL for dispensings.
//!
//! Correct with several server instances on one database because the check and the count
//! are one statement: [`claim`] increments `dispensed_count` only where the count, the
//! interval and the status still allow it. PostgreSQL re-evaluates that `WHERE` after waiting
//! for a concurrent claim's row lock, so two pharmacies racing for the last dispensing get
//! one success and one refusal. The unique `idempotency_key` makes a retried request
//! converge on the first one's result.
//!
//! An offline dispensing (synced after the fact) is recorded even when it breaks a rule, so
//! its counter update is unconditional: [`take_offline`] increments `dispensed_count` and
//! returns the counters as they now are, under the row lock it takes (PostgreSQL) or the
//! write lock (SQLite), so concurrent offline dispensings of one authorisation, on any
//! instance, are judged one after another against exact counts.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, FromRow, Row};

use registry_api::dispensing::Dispensing;

use super::status::RecordStatus;
use super::Db;

/// A dispensing row: the dispensing as the API shows it, and the hash of the request that
/// recorded it.
#[derive(Debug, Clone)]
pub struct DispensingRow {
    /// The dispensing.
    pub dispensing: Dispensing,
    /// SHA-256 of the request, to tell a retry from a different request reusing a key.
    pub request_hash: Vec<u8>,
}

// By hand: `offline` is stored as an integer flag (0 or 1), portable between the backends,
// and the `Any` driver decodes a `bool` only from a boolean column.
impl FromRow<'_, AnyRow> for DispensingRow {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(DispensingRow {
            request_hash: row.try_get("request_hash")?,
            dispensing: Dispensing {
                id: row.try_get("id")?,
                idempotency_key: row.try_get("idempotency_key")?,
                authorisation_id: row.try_get("authorisation_id")?,
                card_serial: row.try_get("card_serial")?,
                facility_code: row.try_get("facility_code")?,
                user_id: row.try_get("user_id")?,
                quantity: row.try_get("quantity")?,
                dispensed_at: row.try_get("dispensed_at")?,
                offline: row.try_get::<i64, _>("offline")? != 0,
                received_at: row.try_get("received_at")?,
                conflict: row.try_get("conflict")?,
            },
        })
    }
}

macro_rules! columns {
    () => {
        "id, idempotency_key, request_hash, authorisation_id, card_serial, \
    facility_code, user_id, quantity, dispensed_at, offline, received_at, conflict"
    };
}

/// The dispensing recorded by `facility` under an idempotency key, if any (keys are
/// scoped to the facility: another's key neither replays nor blocks it).
///
/// # Errors
/// Database errors.
pub async fn by_key(
    conn: &mut AnyConnection,
    facility: &str,
    key: &str,
) -> Result<Option<DispensingRow>, sqlx::Error> {
    sqlx::query_as::<_, DispensingRow>(BY_KEY)
        .bind(facility)
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
    let done = sqlx::query(CLAIM)
        .bind(now)
        .bind(authorisation_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Counters of an authorisation after [`take_offline`] counted a dispensing in them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromRow)]
pub struct Taken {
    /// Dispensings recorded, including the one just taken.
    pub dispensed_count: i64,
    /// Dispensings authorised.
    pub dispensings: i64,
    /// Minimum days between dispensings.
    pub interval_days: i64,
}

/// Counts an offline dispensing handed out at `dispensed_at` in an active authorisation,
/// whatever its count and interval say (the medicine has already left the pharmacy):
/// `dispensed_count + 1`, `last_dispensed_at` the later of the two. Returns the counters as
/// they are after the update, or `None` when the authorisation is not active (withdrawn).
///
/// The update locks the row until the transaction ends (PostgreSQL re-reads it after
/// waiting for a concurrent holder; SQLite has one writer), so the count returned is exact
/// and concurrent offline dispensings of one authorisation see each other's counts in turn.
///
/// # Errors
/// Database errors.
pub async fn take_offline(
    conn: &mut AnyConnection,
    authorisation_id: i64,
    dispensed_at: i64,
) -> Result<Option<Taken>, sqlx::Error> {
    sqlx::query_as::<_, Taken>(TAKE_OFFLINE)
        .bind(dispensed_at)
        .bind(authorisation_id)
        .fetch_optional(conn)
        .await
}

/// The dispensing of the authorisation nearest to `at` among those recorded less than
/// `interval_days` before or after it: the interval rule for an offline dispensing, which
/// may arrive after later ones. Never one for an interval of 0 days.
///
/// # Errors
/// Database errors.
pub async fn nearest_within(
    conn: &mut AnyConnection,
    authorisation_id: i64,
    at: i64,
    interval_days: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let interval = interval_days.saturating_mul(86_400);
    let row: Option<(i64,)> = sqlx::query_as(NEAREST_WITHIN)
        .bind(authorisation_id)
        .bind(at.saturating_sub(interval))
        .bind(at.saturating_add(interval))
        .bind(at)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|(t,)| t))
}

/// The current `(dispensed_count, last_dispensed_at, status)` of an authorisation.
///
/// # Errors
/// Database errors (including an authorisation that vanished).
pub async fn counters(
    conn: &mut AnyConnection,
    authorisation_id: i64,
) -> Result<(i64, Option<i64>, RecordStatus), sqlx::Error> {
    sqlx::query_as(COUNTERS)
        .bind(authorisation_id)
        .fetch_one(conn)
        .await
}

/// Records a dispensing.
///
/// # Errors
/// A reused idempotency key (unique violation) or other database errors.
pub async fn insert(conn: &mut AnyConnection, row: &DispensingRow) -> Result<(), sqlx::Error> {
    let d = &row.dispensing;
    sqlx::query(INSERT)
        .bind(&d.id)
        .bind(&d.idempotency_key)
        .bind(&row.request_hash)
        .bind(d.authorisation_id)
        .bind(&d.card_serial)
        .bind(&d.facility_code)
        .bind(&d.user_id)
        .bind(d.quantity)
        .bind(d.dispensed_at)
        .bind(i64::from(d.offline))
        .bind(d.received_at)
        .bind(d.conflict.as_deref())
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
    sqlx::query_as::<_, DispensingRow>(FOR_AUTHORISATION)
        .bind(authorisation_id)
        .fetch_all(db.reader())
        .await
}

/// A dispensing flagged for review, as the review list shows it.
#[derive(Debug, Clone, FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct ConflictRow {
    /// Dispensing id.
    pub id: String,
    /// The authorisation dispensed against.
    pub authorisation_id: i64,
    /// The card presented (compact serial).
    pub card_serial: String,
    /// Pharmacy facility code.
    pub facility_code: String,
    /// Quantity dispensed.
    pub quantity: i64,
    /// When the pharmacy handed the medicine out (its `offline_at`), Unix seconds.
    pub dispensed_at: i64,
    /// When the registry recorded it, Unix seconds.
    pub received_at: i64,
    /// The first rule broken.
    pub conflict: String,
}

/// The `(received_at, id)` position of a flagged dispensing, for paging, if there is one.
///
/// # Errors
/// Database errors.
pub async fn conflict_position(db: &Db, id: &str) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query_as(CONFLICT_POSITION)
        .bind(id)
        .fetch_optional(db.reader())
        .await
}

/// Flagged dispensings, newest recorded first (`received_at`, then id, descending), after
/// the position `before` when given, at most `limit`.
///
/// # Errors
/// Database errors.
pub async fn conflicts(
    db: &Db,
    before: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<ConflictRow>, sqlx::Error> {
    match before {
        None => {
            sqlx::query_as::<_, ConflictRow>(CONFLICTS_FIRST)
                .bind(limit)
                .fetch_all(db.reader())
                .await
        }
        Some((received_at, id)) => {
            sqlx::query_as::<_, ConflictRow>(CONFLICTS_AFTER)
                .bind(received_at)
                .bind(id)
                .bind(limit)
                .fetch_all(db.reader())
                .await
        }
    }
}

/// `claim`.
const CLAIM: &str = "UPDATE medicine_authorisations \
         SET dispensed_count = dispensed_count + 1, last_dispensed_at = $1 \
         WHERE id = $2 AND status = 'active' AND dispensed_count < dispensings \
         AND (last_dispensed_at IS NULL OR last_dispensed_at + interval_days * 86400 <= $1)";
/// `take_offline`.
const TAKE_OFFLINE: &str = "UPDATE medicine_authorisations \
         SET dispensed_count = dispensed_count + 1, last_dispensed_at = CASE \
         WHEN last_dispensed_at IS NULL OR last_dispensed_at < $1 THEN $1 \
         ELSE last_dispensed_at END \
         WHERE id = $2 AND status = 'active' \
         RETURNING dispensed_count, dispensings, interval_days";
/// `nearest_within`.
const NEAREST_WITHIN: &str = "SELECT dispensed_at FROM dispensings WHERE authorisation_id = $1 \
         AND dispensed_at > $2 AND dispensed_at < $3 ORDER BY ABS(dispensed_at - $4), id LIMIT 1";
/// `counters`.
const COUNTERS: &str =
    "SELECT dispensed_count, last_dispensed_at, status FROM medicine_authorisations \
         WHERE id = $1";
/// `conflict_position`.
const CONFLICT_POSITION: &str =
    "SELECT received_at, id FROM dispensings WHERE id = $1 AND conflict IS NOT NULL";

/// `by_key`.
const BY_KEY: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM dispensings WHERE facility_code = $1 AND idempotency_key = $2"
);
/// `insert`.
const INSERT: &str = concat!(
    "INSERT INTO dispensings (",
    columns!(),
    ") \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
);
/// `for_authorisation`.
const FOR_AUTHORISATION: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM dispensings WHERE authorisation_id = $1 ORDER BY dispensed_at, id"
);

/// The flagged dispensings, newest recorded first.
macro_rules! conflicts_select {
    () => {
        "SELECT id, authorisation_id, card_serial, facility_code, quantity, dispensed_at, \
         received_at, conflict FROM dispensings WHERE conflict IS NOT NULL"
    };
}
/// `conflicts`, the first page.
const CONFLICTS_FIRST: &str = concat!(
    conflicts_select!(),
    " ORDER BY received_at DESC, id DESC LIMIT $1"
);
/// `conflicts`, a later page.
const CONFLICTS_AFTER: &str = concat!(
    conflicts_select!(),
    " AND (received_at < $1 OR (received_at = $1 AND id < $2)) \
     ORDER BY received_at DESC, id DESC LIMIT $3"
);

/// Every fixed statement of this module, by name, for the test that prepares them all.
pub(crate) const STATEMENTS: &[(&str, &str)] = &[
    ("db/dispensings.rs:conflicts first", CONFLICTS_FIRST),
    ("db/dispensings.rs:conflicts after", CONFLICTS_AFTER),
    ("db/dispensings.rs:by_key", BY_KEY),
    ("db/dispensings.rs:insert", INSERT),
    ("db/dispensings.rs:for_authorisation", FOR_AUTHORISATION),
    ("db/dispensings.rs:claim", CLAIM),
    ("db/dispensings.rs:take_offline", TAKE_OFFLINE),
    ("db/dispensings.rs:nearest_within", NEAREST_WITHIN),
    ("db/dispensings.rs:counters", COUNTERS),
    ("db/dispensings.rs:conflict_position", CONFLICT_POSITION),
];
