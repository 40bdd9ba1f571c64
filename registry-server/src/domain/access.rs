//! Access to the registry: facilities, users and their API tokens (admins), desk
//! passwords (argon2id) and desk sessions with the sign-in rate limit.
//!
//! **Sessions.** A session id is 256 random bits; the database keeps only its SHA-256, so a
//! copy of the table opens no session. A session ends after 30 idle minutes or 12 hours,
//! whichever comes first, or at sign-out (its row is deleted). Every instance on the
//! database shares the table. (The desk carries the id in a cookie: [`crate::desk::session`].)
//!
//! **Rate limit.** An attempt is written as a failure *before* the password is checked, then
//! the failures in the last 15 minutes are counted, including it: over 5 for the username or
//! over 20 for the client address, the attempt is refused and its row removed. Because the
//! row is written first, two instances racing cannot both let a sixth attempt through. A
//! success removes its row and stops the username's earlier failures counting for it; they
//! still count for their addresses. Unknown usernames are treated exactly like known ones
//! (rows, counts, a password hash computed), so neither the answer nor its timing tells
//! whether a user exists.

use std::sync::LazyLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand_core::{OsRng, RngCore};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::audit::actor;
use super::{Error, Registry, Result};
use crate::auth::{Caller, Role};
use crate::db::{self, users::Facility};

/// Idle timeout of a desk session, seconds.
pub const IDLE_SECONDS: i64 = 30 * 60;
/// Absolute lifetime of a desk session, seconds.
pub const ABSOLUTE_SECONDS: i64 = 12 * 3600;
/// The sign-in rate limit's window, seconds.
pub const WINDOW_SECONDS: i64 = 15 * 60;
/// Failed attempts allowed per username within the window.
pub const MAX_PER_USERNAME: i64 = 5;
/// Failed attempts allowed per client address within the window.
pub const MAX_PER_ADDRESS: i64 = 20;
/// Shortest password an admin may set.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted (argon2 takes any length; this bounds the work per request).
pub const MAX_PASSWORD_CHARS: usize = 256;
/// A session's last-seen time is written at most this often, seconds.
const TOUCH_EVERY: i64 = 60;

/// Who administers facilities, users, tokens and passwords.
pub const ADMINS: &[Role] = &[Role::Admin];

/// 256 random bits, URL-safe Base64 without padding (43 characters).
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    data_encoding::BASE64URL_NOPAD.encode(&bytes)
}

/// Hashes a password with argon2id (the crate's default parameters), off the async threads.
///
/// # Errors
/// [`Error::Internal`] if hashing fails.
pub async fn hash_password(password: String) -> Result<String, Error> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| Error::Internal(format!("password hashing task failed: {e}")))?
}

/// A hash of a password nobody has, verified when the username has no password, so that
/// every attempt costs the same time.
static DECOY: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(b"decoy password, never set", &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
});

/// Checks a password against a stored PHC string (or the decoy), off the async threads.
async fn verify_password(password: String, stored: Option<String>) -> Result<bool, Error> {
    tokio::task::spawn_blocking(move || {
        let is_real = stored.is_some();
        let phc = stored.unwrap_or_else(|| DECOY.clone());
        let ok = PasswordHash::new(&phc)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false);
        ok && is_real
    })
    .await
    .map_err(|e| Error::Internal(format!("password check task failed: {e}")))
}

/// Checks a new password's length.
///
/// # Errors
/// [`Error::Validation`] on `password`.
pub fn check_new_password(password: &str) -> Result<(), Error> {
    let n = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&n) {
        return Err(Error::invalid(
            "password",
            format!("{MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    Ok(())
}

/// Why a sign-in did not open a session.
#[derive(Debug)]
pub enum SignInRefused {
    /// Wrong username or password (the two are not told apart).
    Wrong,
    /// Too many failures for the username or the address.
    RateLimited,
    /// The database or the hashing failed.
    Failed(Error),
}

/// Checks a username and password under the rate limit; on success stores a new session and
/// returns its id (for the cookie).
///
/// # Errors
/// [`SignInRefused`].
pub async fn sign_in(
    registry: &Registry,
    username: &str,
    password: &str,
    address: &str,
) -> Result<String, SignInRefused> {
    let fail = |e: sqlx::Error| SignInRefused::Failed(e.into());
    let username: String = username.trim().to_lowercase().chars().take(64).collect();
    let now = registry.clock.now();
    db::web::purge(
        &registry.db,
        now,
        now - IDLE_SECONDS,
        now - 2 * WINDOW_SECONDS,
    )
    .await
    .map_err(fail)?;
    let attempt = crate::auth::new_id();
    db::web::insert_failure(&registry.db, &attempt, &username, address, now)
        .await
        .map_err(fail)?;
    let (by_user, by_address) =
        db::web::failures(&registry.db, &username, address, now - WINDOW_SECONDS)
            .await
            .map_err(fail)?;
    if by_user > MAX_PER_USERNAME || by_address > MAX_PER_ADDRESS {
        db::web::delete_failure(&registry.db, &attempt)
            .await
            .map_err(fail)?;
        return Err(SignInRefused::RateLimited);
    }
    let credentials = db::web::credentials(&registry.db, &username)
        .await
        .map_err(fail)?;
    let stored = credentials.as_ref().and_then(|c| c.password_hash.clone());
    let ok = password.chars().count() <= MAX_PASSWORD_CHARS
        && verify_password(password.to_string(), stored)
            .await
            .map_err(SignInRefused::Failed)?;
    let Some(user) = credentials.filter(|_| ok) else {
        return Err(SignInRefused::Wrong);
    };
    db::web::delete_failure(&registry.db, &attempt)
        .await
        .map_err(fail)?;
    db::web::clear_user_failures(&registry.db, &username)
        .await
        .map_err(fail)?;
    let id = random_secret();
    let hash = Sha256::digest(id.as_bytes()).to_vec();
    db::web::insert_session(
        &registry.db,
        &hash,
        &user.user_id,
        &random_secret(),
        now,
        now + ABSOLUTE_SECONDS,
    )
    .await
    .map_err(fail)?;
    Ok(id)
}

/// Sets a user's desk password for an admin ([`set_password`]): at once for the admin's
/// own, and for another user's as a request a second admin approves (the answer, `Some`;
/// audited `user.password` now, the old password working until the approval).
///
/// # Errors
/// [`Error::Forbidden`], as [`set_password`].
pub async fn set_password_as(
    registry: &Registry,
    caller: &Caller,
    user_id: &str,
    password: String,
) -> Result<Option<crate::db::approvals::Approval>> {
    caller.require(ADMINS)?;
    let now = registry.clock.now();
    if user_id == caller.user_id {
        set_password(&registry.db, now, &actor(caller), user_id, password).await?;
        return Ok(None);
    }
    check_new_password(&password)?;
    let hash = hash_password(password).await?;
    let mut tx = registry.db.pool.begin().await?;
    if db::users::user(&mut tx, user_id).await?.is_none() {
        return Err(Error::NotFound { what: "user" });
    }
    let held = super::approvals::Held::Password {
        user_id,
        hash: &hash,
    };
    let approval = super::approvals::request(&mut tx, caller, held, now).await?;
    db::audit::append(
        &mut tx,
        now,
        &actor(caller),
        "user.password",
        "user",
        user_id,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(approval))
}

/// Sets a user's password (admin API and `registry-server set-password`), ends the user's
/// sessions, and audits it (`user.password`), at time `now`.
///
/// # Errors
/// [`Error::Validation`] for a short password, [`Error::NotFound`], database errors.
pub async fn set_password(
    db: &crate::db::Db,
    now: i64,
    actor: &db::audit::Actor<'_>,
    user_id: &str,
    password: String,
) -> Result<(), Error> {
    check_new_password(&password)?;
    let hash = hash_password(password).await?;
    let mut tx = db.pool.begin().await?;
    if !db::web::set_password_hash(&mut tx, user_id, &hash).await? {
        return Err(Error::NotFound { what: "user" });
    }
    db::web::delete_user_sessions(&mut tx, user_id).await?;
    db::audit::append(&mut tx, now, actor, "user.password", "user", user_id).await?;
    tx.commit().await?;
    Ok(())
}

/// The user of a desk session, when the session is open: looked up by the SHA-256 of its
/// id, ended (and deleted) after [`IDLE_SECONDS`] idle or [`ABSOLUTE_SECONDS`] in all, its
/// last-seen time written at most once a minute.
///
/// # Errors
/// Database errors, a stored role that does not parse.
pub async fn session_user(registry: &Registry, session_id: &str) -> Result<Option<SessionUser>> {
    let hash = Sha256::digest(session_id.as_bytes()).to_vec();
    let Some(row) = db::web::session(&registry.db, &hash).await? else {
        return Ok(None);
    };
    let now = registry.clock.now();
    if now >= row.expires_at || now - row.last_seen_at > IDLE_SECONDS {
        db::web::delete_session(&registry.db, &hash).await?;
        return Ok(None);
    }
    if now - row.last_seen_at >= TOUCH_EVERY {
        db::web::touch_session(&registry.db, &hash, now).await?;
    }
    let role = Role::from_name(&row.role).ok_or_else(|| Error::stored("role", &row.role))?;
    Ok(Some(SessionUser {
        caller: Caller {
            user_id: row.user_id,
            username: row.username,
            role,
            facility_code: row.facility_code,
        },
        display_name: row.display_name,
        csrf: row.csrf_token,
    }))
}

/// The user of an open desk session.
#[derive(Debug, Clone)]
pub struct SessionUser {
    /// The user as operations know callers.
    pub caller: Caller,
    /// Name shown on screens.
    pub display_name: String,
    /// The session's CSRF token.
    pub csrf: String,
}

/// Ends a desk session (sign-out).
///
/// # Errors
/// Database errors.
pub async fn sign_out(registry: &Registry, session_id: &str) -> Result<()> {
    let hash = Sha256::digest(session_id.as_bytes()).to_vec();
    Ok(db::web::delete_session(&registry.db, &hash).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_hash_with_argon2id_and_verify() {
        let phc = hash_password("correct horse battery".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$"), "{phc}");
        assert!(
            verify_password("correct horse battery".into(), Some(phc.clone()))
                .await
                .unwrap()
        );
        assert!(!verify_password("wrong".into(), Some(phc)).await.unwrap());
        assert!(!verify_password("decoy password, never set".into(), None)
            .await
            .unwrap());
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("twelve chars").is_ok());
    }
}

/// A new facility.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFacility {
    /// Code: uppercase letters, digits and hyphens, e.g. `LY-BEN-PED`.
    pub code: String,
    /// Name.
    pub name: String,
    /// Region.
    pub region: String,
    /// `oncology_centre`, `pharmacy`, `insurer` or `ministry`.
    pub kind: String,
}

/// Creates a facility (`facility.create`). Admins.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::Validation`], [`Error::Conflict`] (`duplicate_facility`),
/// database errors.
pub async fn create_facility(
    registry: &Registry,
    caller: &Caller,
    body: NewFacility,
) -> Result<Facility> {
    caller.require(ADMINS)?;
    let code_ok = (2..=32).contains(&body.code.len())
        && body
            .code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
    if !code_ok {
        return Err(Error::invalid(
            "code",
            "2 to 32 uppercase letters, digits or hyphens",
        ));
    }
    if !["oncology_centre", "pharmacy", "insurer", "ministry"].contains(&body.kind.as_str()) {
        return Err(Error::invalid(
            "kind",
            "oncology_centre, pharmacy, insurer or ministry",
        ));
    }
    for (field, value) in [("name", &body.name), ("region", &body.region)] {
        super::text::check(field, value, 80)?;
    }
    let now = registry.clock.now();
    let facility = Facility {
        code: body.code,
        name: body.name.trim().to_string(),
        region: body.region.trim().to_string(),
        kind: body.kind,
        created_at: now,
    };
    let mut tx = registry.db.pool.begin().await?;
    db::users::insert_facility(&mut *tx, &facility)
        .await
        .map_err(|e| {
            if db::is_unique_violation(&e) {
                Error::conflict("duplicate_facility", "a facility with this code exists")
            } else {
                e.into()
            }
        })?;
    db::audit::append(
        &mut tx,
        now,
        &actor(caller),
        "facility.create",
        "facility",
        &facility.code,
    )
    .await?;
    tx.commit().await?;
    Ok(facility)
}

/// Every facility, by code (any signed-in user: facility codes are not patient data).
///
/// # Errors
/// Database errors.
pub async fn facilities(registry: &Registry, _caller: &Caller) -> Result<Vec<Facility>> {
    Ok(db::users::list_facilities(&registry.db).await?)
}
