//! SQL for the web desk: users' password hashes, browser sessions and failed sign-ins.
//!
//! Sessions and the rate limit live in the database, not in a process, so every server
//! instance on one database shares them: a session made on one instance is valid on all, and
//! a limit reached through one is reached on all.

use sqlx::FromRow;

use super::Db;

/// What signing in needs to know about a username.
#[derive(Debug, Clone, FromRow)]
pub struct Credentials {
    /// User id.
    pub user_id: String,
    /// The argon2id PHC string, or None when no password was set.
    pub password_hash: Option<String>,
}

/// An active user's password hash, by username.
///
/// # Errors
/// Database errors.
pub async fn credentials(db: &Db, username: &str) -> Result<Option<Credentials>, sqlx::Error> {
    sqlx::query_as::<_, Credentials>(CREDENTIALS)
        .bind(username)
        .fetch_optional(db.reader())
        .await
}

/// Sets a user's password hash; returns false when there is no such user.
///
/// # Errors
/// Database errors.
pub async fn set_password_hash(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
    hash: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(SET_PASSWORD_HASH)
        .bind(hash)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends every session of a user (after a password change).
///
/// # Errors
/// Database errors.
pub async fn delete_user_sessions(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(DELETE_USER_SESSIONS)
        .bind(user_id)
        .execute(conn)
        .await
        .map(|_| ())
}

/// A session with its user, as found by the cookie's hash.
#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    /// User id.
    pub user_id: String,
    /// Username.
    pub username: String,
    /// Name shown on screens.
    pub display_name: String,
    /// Role name.
    pub role: String,
    /// Facility code.
    pub facility_code: String,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// Unix seconds.
    pub last_seen_at: i64,
    /// Unix seconds: the absolute end.
    pub expires_at: i64,
}

/// Stores a new session.
///
/// # Errors
/// Database errors.
pub async fn insert_session(
    db: &Db,
    id_hash: &[u8],
    user_id: &str,
    csrf_token: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(INSERT_SESSION)
        .bind(id_hash.to_vec())
        .bind(user_id)
        .bind(csrf_token)
        .bind(now)
        .bind(expires_at)
        .execute(&db.pool)
        .await
        .map(|_| ())
}

/// The session whose id hashes to `id_hash`, with its (active) user. Read on every desk
/// request, so from the reading pool: with SQLite it never waits behind a write.
///
/// # Errors
/// Database errors.
pub async fn session(db: &Db, id_hash: &[u8]) -> Result<Option<SessionRow>, sqlx::Error> {
    sqlx::query_as::<_, SessionRow>(SESSION)
        .bind(id_hash.to_vec())
        .fetch_optional(db.reader())
        .await
}

/// Records activity on a session.
///
/// # Errors
/// Database errors.
pub async fn touch_session(db: &Db, id_hash: &[u8], now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(TOUCH_SESSION)
        .bind(now)
        .bind(id_hash.to_vec())
        .execute(&db.pool)
        .await
        .map(|_| ())
}

/// Deletes a session (sign-out, or found expired).
///
/// # Errors
/// Database errors.
pub async fn delete_session(db: &Db, id_hash: &[u8]) -> Result<(), sqlx::Error> {
    sqlx::query(DELETE_SESSION)
        .bind(id_hash.to_vec())
        .execute(&db.pool)
        .await
        .map(|_| ())
}

/// Deletes sessions past their absolute end or idle since `idle_before`, and failed sign-ins
/// older than `failures_before` (run at each sign-in: indexed, and small).
///
/// # Errors
/// Database errors.
pub async fn purge(
    db: &Db,
    now: i64,
    idle_before: i64,
    failures_before: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(PURGE)
        .bind(now)
        .bind(idle_before)
        .execute(&db.pool)
        .await?;
    sqlx::query(PURGE_2)
        .bind(failures_before)
        .execute(&db.pool)
        .await
        .map(|_| ())
}

/// Records a sign-in attempt as failed (before the password is checked: see
/// [`crate::desk::session`]).
///
/// # Errors
/// Database errors.
pub async fn insert_failure(
    db: &Db,
    id: &str,
    username: &str,
    address: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(INSERT_FAILURE)
        .bind(id)
        .bind(username)
        .bind(address)
        .bind(now)
        .execute(&db.pool)
        .await
        .map(|_| ())
}

/// Failed sign-ins since `since` for the username (those still counting for it) and for the
/// address.
///
/// # Errors
/// Database errors.
pub async fn failures(
    db: &Db,
    username: &str,
    address: &str,
    since: i64,
) -> Result<(i64, i64), sqlx::Error> {
    let (by_user,): (i64,) = sqlx::query_as(FAILURES)
        .bind(username)
        .bind(since)
        .fetch_one(&db.pool)
        .await?;
    let (by_address,): (i64,) = sqlx::query_as(FAILURES_2)
        .bind(address)
        .bind(since)
        .fetch_one(&db.pool)
        .await?;
    Ok((by_user, by_address))
}

/// Deletes one attempt's row (it was refused by the limit, or it succeeded).
///
/// # Errors
/// Database errors.
pub async fn delete_failure(db: &Db, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(DELETE_FAILURE)
        .bind(id)
        .execute(&db.pool)
        .await
        .map(|_| ())
}

/// After a successful sign-in: the username's earlier failures stop counting for it (they
/// still count for their addresses).
///
/// # Errors
/// Database errors.
pub async fn clear_user_failures(db: &Db, username: &str) -> Result<(), sqlx::Error> {
    sqlx::query(CLEAR_USER_FAILURES)
        .bind(username)
        .execute(&db.pool)
        .await
        .map(|_| ())
}

/// A user's id by username (for the `set-password` command).
///
/// # Errors
/// Database errors.
pub async fn user_id_by_name(db: &Db, username: &str) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as(USER_ID_BY_NAME)
        .bind(username)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|(id,)| id))
}

/// `credentials`.
const CREDENTIALS: &str =
    "SELECT id AS user_id, password_hash FROM users WHERE username = $1 AND active = 1";
/// `set_password_hash`.
const SET_PASSWORD_HASH: &str = "UPDATE users SET password_hash = $1 WHERE id = $2";
/// `delete_user_sessions`.
const DELETE_USER_SESSIONS: &str = "DELETE FROM web_sessions WHERE user_id = $1";
/// `insert_session`.
const INSERT_SESSION: &str =
    "INSERT INTO web_sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, \
         expires_at) VALUES ($1, $2, $3, $4, $4, $5)";
/// `session`.
const SESSION: &str =
    "SELECT u.id AS user_id, u.username, u.display_name, u.role, u.facility_code, \
         s.csrf_token, s.last_seen_at, s.expires_at \
         FROM web_sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.id_hash = $1 AND u.active = 1";
/// `touch_session`.
const TOUCH_SESSION: &str = "UPDATE web_sessions SET last_seen_at = $1 WHERE id_hash = $2";
/// `delete_session`.
const DELETE_SESSION: &str = "DELETE FROM web_sessions WHERE id_hash = $1";
/// `purge`.
const PURGE: &str = "DELETE FROM web_sessions WHERE expires_at <= $1 OR last_seen_at < $2";
/// `purge`.
const PURGE_2: &str = "DELETE FROM login_failures WHERE at < $1";
/// `insert_failure`.
const INSERT_FAILURE: &str =
    "INSERT INTO login_failures (id, username, address, at, counts_for_user) \
         VALUES ($1, $2, $3, $4, 1)";
/// `failures`.
const FAILURES: &str = "SELECT COUNT(*) FROM login_failures WHERE username = $1 AND at >= $2 \
         AND counts_for_user = 1";
/// `failures`.
const FAILURES_2: &str = "SELECT COUNT(*) FROM login_failures WHERE address = $1 AND at >= $2";
/// `delete_failure`.
const DELETE_FAILURE: &str = "DELETE FROM login_failures WHERE id = $1";
/// `clear_user_failures`.
const CLEAR_USER_FAILURES: &str =
    "UPDATE login_failures SET counts_for_user = 0 WHERE username = $1";
/// `user_id_by_name`.
const USER_ID_BY_NAME: &str = "SELECT id FROM users WHERE username = $1";

/// Every fixed statement of this module, by name, for the test that prepares them all.
pub(crate) const STATEMENTS: &[(&str, &str)] = &[
    ("db/web.rs:credentials", CREDENTIALS),
    ("db/web.rs:set_password_hash", SET_PASSWORD_HASH),
    ("db/web.rs:delete_user_sessions", DELETE_USER_SESSIONS),
    ("db/web.rs:insert_session", INSERT_SESSION),
    ("db/web.rs:session", SESSION),
    ("db/web.rs:touch_session", TOUCH_SESSION),
    ("db/web.rs:delete_session", DELETE_SESSION),
    ("db/web.rs:purge", PURGE),
    ("db/web.rs:purge", PURGE_2),
    ("db/web.rs:insert_failure", INSERT_FAILURE),
    ("db/web.rs:failures", FAILURES),
    ("db/web.rs:failures", FAILURES_2),
    ("db/web.rs:delete_failure", DELETE_FAILURE),
    ("db/web.rs:clear_user_failures", CLEAR_USER_FAILURES),
    ("db/web.rs:user_id_by_name", USER_ID_BY_NAME),
];
