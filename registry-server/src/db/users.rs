//! SQL for facilities, users and API tokens.

use sqlx::FromRow;

use super::Db;

/// A facility row.
#[derive(Debug, Clone, FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct Facility {
    /// Code, e.g. `LY-BEN-PED`; the issuer id on cards.
    pub code: String,
    /// Name.
    pub name: String,
    /// Region (east, west, south...).
    pub region: String,
    /// `oncology_centre`, `pharmacy`, `insurer` or `ministry`.
    pub kind: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// The caller behind a token.
#[derive(Debug, Clone, FromRow)]
pub struct TokenOwner {
    /// User id.
    pub user_id: String,
    /// Username.
    pub username: String,
    /// Role name.
    pub role: String,
    /// Facility code.
    pub facility_code: String,
}

/// A user row.
#[derive(Debug, Clone, FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct User {
    /// Id.
    pub id: String,
    /// Login name.
    pub username: String,
    /// Name shown in the audit log and on screens.
    pub display_name: String,
    /// Role name.
    pub role: String,
    /// Facility code.
    pub facility_code: String,
    /// 1 active, 0 disabled.
    pub active: i64,
    /// Unix seconds.
    pub created_at: i64,
}

/// Inserts a facility.
///
/// # Errors
/// A duplicate code (unique violation) or other database errors.
pub async fn insert_facility<'c, E>(conn: E, f: &Facility) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    sqlx::query(INSERT_FACILITY)
        .bind(&f.code)
        .bind(&f.name)
        .bind(&f.region)
        .bind(&f.kind)
        .bind(f.created_at)
        .execute(conn)
        .await
        .map(|_| ())
}

/// All facilities, by code.
///
/// # Errors
/// Database errors.
pub async fn list_facilities(db: &Db) -> Result<Vec<Facility>, sqlx::Error> {
    sqlx::query_as::<_, Facility>(LIST_FACILITIES)
        .fetch_all(db.reader())
        .await
}

/// One facility.
///
/// # Errors
/// Database errors.
pub async fn facility(db: &Db, code: &str) -> Result<Option<Facility>, sqlx::Error> {
    sqlx::query_as::<_, Facility>(FACILITY)
        .bind(code)
        .fetch_optional(db.reader())
        .await
}

/// Whether a facility has this code, inside a transaction.
///
/// # Errors
/// Database errors.
pub async fn facility_exists(
    conn: &mut sqlx::AnyConnection,
    code: &str,
) -> Result<bool, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as(FACILITY_EXISTS)
        .bind(code)
        .fetch_optional(conn)
        .await?;
    Ok(row.is_some())
}

/// Inserts a user.
///
/// # Errors
/// A duplicate username, an unknown facility, or other database errors.
pub async fn insert_user<'c, E>(conn: E, u: &User) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    sqlx::query(INSERT_USER)
        .bind(&u.id)
        .bind(&u.username)
        .bind(&u.display_name)
        .bind(&u.role)
        .bind(&u.facility_code)
        .bind(u.active)
        .bind(u.created_at)
        .execute(conn)
        .await
        .map(|_| ())
}

/// All users, by username.
///
/// # Errors
/// Database errors.
pub async fn list_users(db: &Db) -> Result<Vec<User>, sqlx::Error> {
    sqlx::query_as::<_, User>(LIST_USERS)
        .fetch_all(db.reader())
        .await
}

/// Whether any user exists (first start creates an admin when none does).
///
/// # Errors
/// Database errors.
pub async fn any_user(db: &Db) -> Result<bool, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as(ANY_USER).fetch_optional(db.reader()).await?;
    Ok(row.is_some())
}

/// A user by id.
///
/// # Errors
/// Database errors.
pub async fn user(conn: &mut sqlx::AnyConnection, id: &str) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as::<_, User>(USER)
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Sets a user active (`true`) or disabled; whether it changed.
///
/// # Errors
/// Database errors.
pub async fn set_active(
    conn: &mut sqlx::AnyConnection,
    id: &str,
    active: bool,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(SET_ACTIVE)
        .bind(i64::from(active))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether a user with this id exists.
///
/// # Errors
/// Database errors.
pub async fn user_exists(db: &Db, id: &str) -> Result<bool, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as(USER_EXISTS)
        .bind(id)
        .fetch_optional(db.reader())
        .await?;
    Ok(row.is_some())
}

/// `insert_facility`.
const INSERT_FACILITY: &str =
    "INSERT INTO facilities (code, name, region, kind, created_at) VALUES ($1, $2, $3, $4, $5)";
/// `list_facilities`.
const LIST_FACILITIES: &str =
    "SELECT code, name, region, kind, created_at FROM facilities ORDER BY code";
/// `facility`.
const FACILITY: &str =
    "SELECT code, name, region, kind, created_at FROM facilities WHERE code = $1";
/// `facility_exists`.
const FACILITY_EXISTS: &str = "SELECT code FROM facilities WHERE code = $1";
/// `insert_user`.
const INSERT_USER: &str =
    "INSERT INTO users (id, username, display_name, role, facility_code, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)";
/// `list_users`.
const LIST_USERS: &str =
    "SELECT id, username, display_name, role, facility_code, active, created_at \
         FROM users ORDER BY username";
/// `any_user`.
const ANY_USER: &str = "SELECT id FROM users LIMIT 1";
/// `user`.
const USER: &str = "SELECT id, username, display_name, role, facility_code, active, created_at \
         FROM users WHERE id = $1";
/// `set_active`.
const SET_ACTIVE: &str = "UPDATE users SET active = $1 WHERE id = $2 AND active <> $1";
/// `user_exists`.
const USER_EXISTS: &str = "SELECT id FROM users WHERE id = $1";

/// Every fixed statement of this module, by name, for the test that prepares them all.
pub(crate) const STATEMENTS: &[(&str, &str)] = &[
    ("db/users.rs:insert_facility", INSERT_FACILITY),
    ("db/users.rs:list_facilities", LIST_FACILITIES),
    ("db/users.rs:facility", FACILITY),
    ("db/users.rs:facility_exists", FACILITY_EXISTS),
    ("db/users.rs:insert_user", INSERT_USER),
    ("db/users.rs:list_users", LIST_USERS),
    ("db/users.rs:any_user", ANY_USER),
    ("db/users.rs:user", USER),
    ("db/users.rs:set_active", SET_ACTIVE),
    ("db/users.rs:user_exists", USER_EXISTS),
];
