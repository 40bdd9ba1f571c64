//! SQL for API tokens: stored by SHA-256 with an id, an end of life and a revocation time.

use sqlx::{AnyConnection, FromRow};

use super::users::TokenOwner;
use super::Db;

/// A token as an admin sees it: never the token, never its hash.
#[derive(Debug, Clone, FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct TokenRow {
    /// Id (to list and revoke the token).
    pub id: String,
    /// The user it signs in.
    pub user_id: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds: from then on the token opens nothing.
    pub expires_at: i64,
    /// Unix seconds, when revoked.
    pub revoked_at: Option<i64>,
    /// The approval that holds it, until a second admin approves it (it opens nothing
    /// meanwhile).
    pub held_by: Option<String>,
}

/// A new token to store.
#[derive(Debug, Clone)]
pub struct NewTokenRow<'a> {
    /// SHA-256 of the token.
    pub hash: &'a [u8],
    /// Id.
    pub id: &'a str,
    /// Owner.
    pub user_id: &'a str,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
}

/// The owner of a token by the token's SHA-256, if the token is neither revoked, expired at
/// `now` nor held for an approval, and its user is active.
///
/// # Errors
/// Database errors.
pub async fn owner(
    db: &Db,
    token_hash: &[u8],
    now: i64,
) -> Result<Option<TokenOwner>, sqlx::Error> {
    sqlx::query_as::<_, TokenOwner>(OWNER)
        .bind(token_hash.to_vec())
        .bind(now)
        .fetch_optional(db.reader())
        .await
}

/// Stores a new token.
///
/// # Errors
/// An unknown user or other database errors.
pub async fn insert<'c, E>(conn: E, row: &NewTokenRow<'_>) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    sqlx::query(INSERT)
        .bind(row.hash.to_vec())
        .bind(row.id)
        .bind(row.user_id)
        .bind(row.created_at)
        .bind(row.expires_at)
        .execute(conn)
        .await
        .map(|_| ())
}

/// A user's tokens, newest first.
///
/// # Errors
/// Database errors.
pub async fn of_user(db: &Db, user_id: &str) -> Result<Vec<TokenRow>, sqlx::Error> {
    sqlx::query_as::<_, TokenRow>(OF_USER)
        .bind(user_id)
        .fetch_all(db.reader())
        .await
}

/// One token by id.
///
/// # Errors
/// Database errors.
pub async fn by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<TokenRow>, sqlx::Error> {
    sqlx::query_as::<_, TokenRow>(BY_ID)
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Revokes a token not yet revoked; whether it was.
///
/// # Errors
/// Database errors.
pub async fn revoke(conn: &mut AnyConnection, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(REVOKE).bind(now).bind(id).execute(conn).await?;
    Ok(done.rows_affected() == 1)
}

/// `owner`.
const OWNER: &str = "SELECT u.id AS user_id, u.username, u.role, u.facility_code \
         FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2 \
         AND t.held_by IS NULL AND u.active = 1";
/// `insert`.
const INSERT: &str = "INSERT INTO api_tokens (token_hash, id, user_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)";
/// The columns of [`TokenRow`].
macro_rules! columns {
    () => {
        "SELECT id, user_id, created_at, expires_at, revoked_at, held_by FROM api_tokens"
    };
}
/// `of_user`.
const OF_USER: &str = concat!(
    columns!(),
    " WHERE user_id = $1 ORDER BY created_at DESC, id"
);
/// `by_id`.
const BY_ID: &str = concat!(columns!(), " WHERE id = $1");
/// `revoke`.
const REVOKE: &str = "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL";

/// Every fixed statement of this module, by name, for the test that prepares them all.
pub(crate) const STATEMENTS: &[(&str, &str)] = &[
    ("db/tokens.rs:owner", OWNER),
    ("db/tokens.rs:insert", INSERT),
    ("db/tokens.rs:of_user", OF_USER),
    ("db/tokens.rs:by_id", BY_ID),
    ("db/tokens.rs:revoke", REVOKE),
];
