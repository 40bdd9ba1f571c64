//! SQL for administrations: infusions and injections given in a day-care unit, counted
//! against the authorisation as dispensings are ([`super::dispensings::claim`]).

use sqlx::{AnyConnection, FromRow};

/// An administration row.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct AdministrationRow {
    /// Administration id.
    pub id: String,
    /// Makes a retry safe.
    pub idempotency_key: String,
    /// SHA-256 of the request.
    pub request_hash: Vec<u8>,
    /// The authorisation given against.
    pub authorisation_id: i64,
    /// The unit's facility.
    pub facility_code: String,
    /// Who gave it (user id).
    pub user_id: String,
    /// The cycle given, from 1.
    pub cycle: i64,
    /// The dose, in units of the form.
    pub quantity: i64,
    /// When, Unix seconds.
    pub given_at: i64,
}

/// The administration recorded by `facility` under an idempotency key, if any (keys are
/// scoped to the facility: another's key neither replays nor blocks it).
///
/// # Errors
/// Database errors.
pub async fn by_key(
    conn: &mut AnyConnection,
    facility: &str,
    key: &str,
) -> Result<Option<AdministrationRow>, sqlx::Error> {
    sqlx::query_as::<_, AdministrationRow>(BY_KEY)
        .bind(facility)
        .bind(key)
        .fetch_optional(conn)
        .await
}

/// Records an administration.
///
/// # Errors
/// A reused idempotency key (unique violation), other database errors.
pub async fn insert(conn: &mut AnyConnection, r: &AdministrationRow) -> Result<(), sqlx::Error> {
    sqlx::query(INSERT)
        .bind(&r.id)
        .bind(&r.idempotency_key)
        .bind(&r.request_hash)
        .bind(r.authorisation_id)
        .bind(&r.facility_code)
        .bind(&r.user_id)
        .bind(r.cycle)
        .bind(r.quantity)
        .bind(r.given_at)
        .execute(conn)
        .await
        .map(|_| ())
}

macro_rules! columns {
    () => {
        "id, idempotency_key, request_hash, authorisation_id, facility_code, user_id, cycle, \
         quantity, given_at"
    };
}

/// `by_key`.
const BY_KEY: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM administrations WHERE facility_code = $1 AND idempotency_key = $2"
);
/// `insert`.
const INSERT: &str = concat!(
    "INSERT INTO administrations (",
    columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
);

/// Every fixed statement of this module, by name, for the test that prepares them all.
pub(crate) const STATEMENTS: &[(&str, &str)] = &[
    ("db/administrations.rs:by_key", BY_KEY),
    ("db/administrations.rs:insert", INSERT),
];
