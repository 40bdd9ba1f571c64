//! SQL for what the trust bundle publishes: its sequence number, issuer certificates and
//! revoked issuer keys. Card revocations come from [`super::cards`].

use sqlx::AnyConnection;

use super::Db;

/// Bumps the bundle sequence; call in the same transaction as any change the bundle lists.
///
/// # Errors
/// Database errors.
pub async fn bump_sequence(conn: &mut AnyConnection, now: i64) -> Result<i64, sqlx::Error> {
    let (sequence,): (i64,) = sqlx::query_as(BUMP_SEQUENCE)
        .bind(now)
        .fetch_one(conn)
        .await?;
    Ok(sequence)
}

/// The current bundle sequence.
///
/// # Errors
/// Database errors.
pub async fn sequence(db: &Db) -> Result<i64, sqlx::Error> {
    let (sequence,): (i64,) = sqlx::query_as(SEQUENCE).fetch_one(db.reader()).await?;
    Ok(sequence)
}

/// Registers an issuer certificate for the bundle; returns false if its kid was known.
///
/// # Errors
/// Database errors.
pub async fn add_issuer_certificate(
    conn: &mut AnyConnection,
    kid: &str,
    certificate: &[u8],
    now: i64,
) -> Result<bool, sqlx::Error> {
    let known: Option<(String,)> = sqlx::query_as(ADD_ISSUER_CERTIFICATE)
        .bind(kid)
        .fetch_optional(&mut *conn)
        .await?;
    if known.is_some() {
        return Ok(false);
    }
    sqlx::query(ADD_ISSUER_CERTIFICATE_2)
        .bind(kid)
        .bind(certificate)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    bump_sequence(conn, now).await?;
    Ok(true)
}

/// Every registered issuer certificate.
///
/// # Errors
/// Database errors.
pub async fn issuer_certificates(db: &Db) -> Result<Vec<Vec<u8>>, sqlx::Error> {
    let rows: Vec<(Vec<u8>,)> = sqlx::query_as(ISSUER_CERTIFICATES)
        .fetch_all(db.reader())
        .await?;
    Ok(rows.into_iter().map(|(c,)| c).collect())
}

/// Revokes an issuer key; returns false if it was already revoked.
///
/// # Errors
/// Database errors.
pub async fn revoke_issuer(
    conn: &mut AnyConnection,
    kid: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let known: Option<(String,)> = sqlx::query_as(REVOKE_ISSUER)
        .bind(kid)
        .fetch_optional(&mut *conn)
        .await?;
    if known.is_some() {
        return Ok(false);
    }
    sqlx::query(REVOKE_ISSUER_2)
        .bind(kid)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    bump_sequence(conn, now).await?;
    Ok(true)
}

/// Kids (hex) of revoked issuer keys.
///
/// # Errors
/// Database errors.
pub async fn revoked_issuers(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = sqlx::query_as(REVOKED_ISSUERS)
        .fetch_all(db.reader())
        .await?;
    Ok(rows.into_iter().map(|(k,)| k).collect())
}

/// `bump_sequence`.
const BUMP_SEQUENCE: &str =
    "UPDATE trust_state SET sequence = sequence + 1, changed_at = $1 WHERE id = 1 \
         RETURNING sequence";
/// `sequence`.
const SEQUENCE: &str = "SELECT sequence FROM trust_state WHERE id = 1";
/// `add_issuer_certificate`.
const ADD_ISSUER_CERTIFICATE: &str = "SELECT kid FROM issuer_certificates WHERE kid = $1";
/// `add_issuer_certificate`.
const ADD_ISSUER_CERTIFICATE_2: &str =
    "INSERT INTO issuer_certificates (kid, certificate, added_at) VALUES ($1, $2, $3)";
/// `issuer_certificates`.
const ISSUER_CERTIFICATES: &str = "SELECT certificate FROM issuer_certificates ORDER BY kid";
/// `revoke_issuer`.
const REVOKE_ISSUER: &str = "SELECT kid FROM revoked_issuers WHERE kid = $1";
/// `revoke_issuer`.
const REVOKE_ISSUER_2: &str = "INSERT INTO revoked_issuers (kid, revoked_at) VALUES ($1, $2)";
/// `revoked_issuers`.
const REVOKED_ISSUERS: &str = "SELECT kid FROM revoked_issuers ORDER BY kid";

/// Every fixed statement of this module, by name, for the test that prepares them all.
pub(crate) const STATEMENTS: &[(&str, &str)] = &[
    ("db/trust.rs:bump_sequence", BUMP_SEQUENCE),
    ("db/trust.rs:sequence", SEQUENCE),
    ("db/trust.rs:add_issuer_certificate", ADD_ISSUER_CERTIFICATE),
    (
        "db/trust.rs:add_issuer_certificate",
        ADD_ISSUER_CERTIFICATE_2,
    ),
    ("db/trust.rs:issuer_certificates", ISSUER_CERTIFICATES),
    ("db/trust.rs:revoke_issuer", REVOKE_ISSUER),
    ("db/trust.rs:revoke_issuer", REVOKE_ISSUER_2),
    ("db/trust.rs:revoked_issuers", REVOKED_ISSUERS),
];
