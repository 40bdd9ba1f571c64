//! SQL for the second admin's approvals (`crate::domain::approvals`): the requests, and what
//! each holds until it is decided.

use sqlx::{AnyConnection, FromRow};

use super::Db;

/// A request for a second admin's approval, as admins see it (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct Approval {
    /// Id.
    pub id: String,
    /// What it approves: `user.create`, `token.create`, `user.password` or `user.enable`.
    pub action: String,
    /// The user it gives access to.
    pub user_id: String,
    /// `token.create` (and `user.create`): the token it holds.
    pub token_id: Option<String>,
    /// The admin who asked.
    pub requested_by: String,
    /// Unix seconds.
    pub requested_at: i64,
    /// `pending`, `approved` or `refused`.
    pub status: String,
    /// The admin who decided.
    pub decided_by: Option<String>,
    /// Unix seconds.
    pub decided_at: Option<i64>,
}

/// A new request.
#[derive(Debug, Clone)]
pub struct NewApproval<'a> {
    /// Id.
    pub id: &'a str,
    /// The action (see [`Approval::action`]).
    pub action: &'a str,
    /// The user it gives access to.
    pub user_id: &'a str,
    /// The token it holds.
    pub token_id: Option<&'a str>,
    /// `user.password`: the new hash, moved to the user on approval.
    pub password_hash: Option<&'a str>,
    /// The admin who asks.
    pub requested_by: &'a str,
    /// Unix seconds.
    pub requested_at: i64,
}

/// Stores a request (status `pending`).
///
/// # Errors
/// Database errors.
pub async fn insert(conn: &mut AnyConnection, a: &NewApproval<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(INSERT)
        .bind(a.id)
        .bind(a.action)
        .bind(a.user_id)
        .bind(a.token_id)
        .bind(a.password_hash)
        .bind(a.requested_by)
        .bind(a.requested_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// A request and its held password hash, inside a transaction.
///
/// # Errors
/// Database errors.
pub async fn get_in(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<(Approval, Option<String>)>, sqlx::Error> {
    let row = sqlx::query_as::<_, Approval>(GET)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(approval) = row else {
        return Ok(None);
    };
    let (hash,): (Option<String>,) = sqlx::query_as(HELD_HASH)
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(Some((approval, hash)))
}

/// Decides a pending request (`approved` or `refused`) and forgets its password hash;
/// false if it was decided already (another admin, another instance).
///
/// # Errors
/// Database errors.
pub async fn decide(
    conn: &mut AnyConnection,
    id: &str,
    status: &str,
    by: &str,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(DECIDE)
        .bind(status)
        .bind(by)
        .bind(at)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Requests, newest first; only pending ones with `pending`.
///
/// # Errors
/// Database errors.
pub async fn list(db: &Db, pending: bool, limit: i64) -> Result<Vec<Approval>, sqlx::Error> {
    sqlx::query_as::<_, Approval>(LIST)
        .bind(i64::from(pending))
        .bind(limit)
        .fetch_all(db.reader())
        .await
}

/// How many active admins the registry has.
///
/// # Errors
/// Database errors.
pub async fn active_admins(conn: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as(ACTIVE_ADMINS).fetch_one(conn).await?;
    Ok(n)
}

/// Holds a token until `approval` is approved (it opens nothing meanwhile).
///
/// # Errors
/// Database errors.
pub async fn hold_token(
    conn: &mut AnyConnection,
    token_id: &str,
    approval: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(HOLD_TOKEN)
        .bind(approval)
        .bind(token_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Releases a held token.
///
/// # Errors
/// Database errors.
pub async fn release_token(conn: &mut AnyConnection, token_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(RELEASE_TOKEN)
        .bind(token_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The columns of [`Approval`].
macro_rules! columns {
    () => {
        "SELECT id, action, user_id, token_id, requested_by, requested_at, status, decided_by, \
         decided_at FROM admin_approvals"
    };
}
/// `insert`.
const INSERT: &str = "INSERT INTO admin_approvals (id, action, user_id, token_id, \
     password_hash, requested_by, requested_at, status) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending')";
/// `get_in`.
const GET: &str = concat!(columns!(), " WHERE id = $1");
/// `get_in`.
const HELD_HASH: &str = "SELECT password_hash FROM admin_approvals WHERE id = $1";
/// `decide`.
const DECIDE: &str = "UPDATE admin_approvals SET status = $1, decided_by = $2, \
     decided_at = $3, password_hash = NULL WHERE id = $4 AND status = 'pending'";
/// `list`.
const LIST: &str = concat!(
    columns!(),
    " WHERE (CAST($1 AS BIGINT) = 0 OR status = 'pending') ORDER BY requested_at DESC, id LIMIT $2"
);
/// `active_admins`.
const ACTIVE_ADMINS: &str = "SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = 1";
/// `hold_token`.
const HOLD_TOKEN: &str = "UPDATE api_tokens SET held_by = $1 WHERE id = $2";
/// `release_token`.
const RELEASE_TOKEN: &str = "UPDATE api_tokens SET held_by = NULL WHERE id = $1";

/// Every fixed statement of this module, by name, for the test that prepares them all.
pub(crate) const STATEMENTS: &[(&str, &str)] = &[
    ("db/approvals.rs:insert", INSERT),
    ("db/approvals.rs:get_in", GET),
    ("db/approvals.rs:get_in", HELD_HASH),
    ("db/approvals.rs:decide", DECIDE),
    ("db/approvals.rs:list", LIST),
    ("db/approvals.rs:active_admins", ACTIVE_ADMINS),
    ("db/approvals.rs:hold_token", HOLD_TOKEN),
    ("db/approvals.rs:release_token", RELEASE_TOKEN),
];
