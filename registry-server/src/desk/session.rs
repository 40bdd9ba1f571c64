//! Signing in and out: argon2id passwords, sessions in the database, CSRF tokens and the
//! sign-in rate limit.
//!
//! **Sessions.** A session id is 256 random bits in the cookie `__Host-desk_session`
//! (`Secure; HttpOnly; SameSite=Strict; Path=/`); the database keeps only its SHA-256, so a
//! copy of the table opens no session. A session ends after 30 idle minutes or 12 hours,
//! whichever comes first, or at sign-out (its row is deleted). Every instance on the
//! database shares the table.
//!
//! **CSRF.** Each session has a random token that every POST form carries in a hidden field
//! (a synchroniser token), compared in constant time. The sign-in form, before any session,
//! uses a double-submit cookie (`__Host-desk_login_csrf`) instead. `SameSite=Strict` already
//! keeps the session cookie off cross-site requests; the tokens make that not the only guard.
//!
//! **Rate limit.** An attempt is written as a failure *before* the password is checked, then
//! the failures in the last 15 minutes are counted, including it: over 5 for the username or
//! over 20 for the client address, the attempt is refused (429) and its row removed. Because
//! the row is written first, two instances racing cannot both let a sixth attempt through.
//! A success removes its row and stops the username's earlier failures counting for it; they
//! still count for their addresses. Unknown usernames are treated exactly like known ones
//! (rows, counts, a password hash computed), so neither the answer nor its timing tells
//! whether a user exists.

use std::sync::LazyLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::rejection::FormRejection;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{cookie, lang_of, DeskError, Lang};
use crate::auth::{Caller, Role};
use crate::db;
use crate::http::{ApiError, AppState};

/// The session cookie. `__Host-` makes browsers refuse it unless it is `Secure`, has
/// `Path=/` and no `Domain`.
pub const SESSION_COOKIE: &str = "__Host-desk_session";
/// The sign-in form's double-submit cookie.
pub const LOGIN_CSRF_COOKIE: &str = "__Host-desk_login_csrf";
/// Idle timeout, seconds.
pub const IDLE_SECONDS: i64 = 30 * 60;
/// Absolute lifetime, seconds.
pub const ABSOLUTE_SECONDS: i64 = 12 * 3600;
/// The rate limit's window, seconds.
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

/// The signed-in user of a desk request.
#[derive(Debug, Clone)]
pub struct DeskUser {
    /// The user as the domain functions know callers.
    pub caller: Caller,
    /// Name shown on screens.
    pub display_name: String,
    /// The session's CSRF token.
    pub csrf: String,
    /// Page language.
    pub lang: Lang,
}

impl DeskUser {
    /// Refuses (a 403 page) unless the user has one of `roles`.
    ///
    /// # Errors
    /// [`DeskError::forbidden`].
    pub fn require(&self, roles: &[Role]) -> Result<(), DeskError> {
        if roles.contains(&self.caller.role) {
            Ok(())
        } else {
            Err(DeskError::forbidden(self.lang))
        }
    }

    /// Refuses (a 403 page) unless `token` is this session's CSRF token.
    ///
    /// # Errors
    /// [`DeskError::csrf`].
    pub fn check_csrf(&self, token: &str) -> Result<(), DeskError> {
        if same_secret(token, &self.csrf) {
            Ok(())
        } else {
            Err(DeskError::csrf(self.lang))
        }
    }

    /// An API error as a page in the user's language.
    pub fn fail(&self, e: ApiError) -> DeskError {
        DeskError::from_api(self.lang, e)
    }

    /// A form that could not be decoded, as a 400 page.
    pub fn bad_form(&self, _e: FormRejection) -> DeskError {
        DeskError::bad_request(self.lang)
    }
}

/// Constant-time equality of two secrets (different lengths are simply unequal).
pub fn same_secret(a: &str, b: &str) -> bool {
    !a.is_empty() && a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl FromRequestParts<AppState> for DeskUser {
    type Rejection = DeskError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, DeskError> {
        let lang = lang_of(&parts.headers);
        let id =
            cookie(&parts.headers, SESSION_COOKIE).ok_or(DeskError::SignIn { notice: None })?;
        let hash = Sha256::digest(id.as_bytes()).to_vec();
        let internal = |e: sqlx::Error| DeskError::Internal {
            lang,
            error: e.into(),
        };
        let row = db::web::session(&state.db, &hash)
            .await
            .map_err(internal)?
            .ok_or(DeskError::SignIn {
                notice: Some("login.session_ended"),
            })?;
        let now = state.clock.now();
        if now >= row.expires_at || now - row.last_seen_at > IDLE_SECONDS {
            db::web::delete_session(&state.db, &hash)
                .await
                .map_err(internal)?;
            return Err(DeskError::SignIn {
                notice: Some("login.session_ended"),
            });
        }
        if now - row.last_seen_at >= TOUCH_EVERY {
            db::web::touch_session(&state.db, &hash, now)
                .await
                .map_err(internal)?;
        }
        let role = Role::from_name(&row.role).ok_or_else(|| DeskError::Internal {
            lang,
            error: ApiError::Internal("unknown role in database".into()),
        })?;
        Ok(DeskUser {
            caller: Caller {
                user_id: row.user_id,
                username: row.username,
                role,
                facility_code: row.facility_code,
            },
            display_name: row.display_name,
            csrf: row.csrf_token,
            lang,
        })
    }
}

/// 256 random bits, URL-safe Base64 without padding (43 characters).
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    data_encoding::BASE64URL_NOPAD.encode(&bytes)
}

/// Hashes a password with argon2id (the crate's default parameters), off the async threads.
///
/// # Errors
/// [`ApiError::Internal`] if hashing fails.
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ApiError::Internal(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("password hashing task failed: {e}")))?
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
async fn verify_password(password: String, stored: Option<String>) -> Result<bool, ApiError> {
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
    .map_err(|e| ApiError::Internal(format!("password check task failed: {e}")))
}

/// Checks a new password's length.
///
/// # Errors
/// [`ApiError::Validation`] on `password`.
pub fn check_new_password(password: &str) -> Result<(), ApiError> {
    let n = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&n) {
        return Err(ApiError::invalid(
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
    Failed(ApiError),
}

/// Checks a username and password under the rate limit; on success stores a new session and
/// returns its id (for the cookie).
///
/// # Errors
/// [`SignInRefused`].
pub async fn sign_in(
    state: &AppState,
    username: &str,
    password: &str,
    address: &str,
) -> Result<String, SignInRefused> {
    let fail = |e: sqlx::Error| SignInRefused::Failed(e.into());
    let username: String = username.trim().to_lowercase().chars().take(64).collect();
    let now = state.clock.now();
    db::web::purge(&state.db, now, now - IDLE_SECONDS, now - 2 * WINDOW_SECONDS)
        .await
        .map_err(fail)?;
    let attempt = crate::auth::new_id();
    db::web::insert_failure(&state.db, &attempt, &username, address, now)
        .await
        .map_err(fail)?;
    let (by_user, by_address) =
        db::web::failures(&state.db, &username, address, now - WINDOW_SECONDS)
            .await
            .map_err(fail)?;
    if by_user > MAX_PER_USERNAME || by_address > MAX_PER_ADDRESS {
        db::web::delete_failure(&state.db, &attempt)
            .await
            .map_err(fail)?;
        return Err(SignInRefused::RateLimited);
    }
    let credentials = db::web::credentials(&state.db, &username)
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
    db::web::delete_failure(&state.db, &attempt)
        .await
        .map_err(fail)?;
    db::web::clear_user_failures(&state.db, &username)
        .await
        .map_err(fail)?;
    let id = random_secret();
    let hash = Sha256::digest(id.as_bytes()).to_vec();
    db::web::insert_session(
        &state.db,
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

/// Sets a user's password (admin API and `registry-server set-password`), ends the user's
/// sessions, and audits it (`user.password`), at time `now`.
///
/// # Errors
/// [`ApiError::Validation`] for a short password, [`ApiError::NotFound`], database errors.
pub async fn set_password(
    db: &crate::db::Db,
    now: i64,
    actor: &db::audit::Actor<'_>,
    user_id: &str,
    password: String,
) -> Result<(), ApiError> {
    check_new_password(&password)?;
    let hash = hash_password(password).await?;
    let mut tx = db.pool.begin().await?;
    if !db::web::set_password_hash(&mut tx, user_id, &hash).await? {
        return Err(ApiError::NotFound { what: "user" });
    }
    db::web::delete_user_sessions(&mut tx, user_id).await?;
    db::audit::append(&mut tx, now, actor, "user.password", "user", user_id).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_in_full() {
        let a = random_secret();
        assert_eq!(a.len(), 43);
        assert!(same_secret(&a, &a.clone()));
        assert!(!same_secret(&a, &random_secret()));
        assert!(!same_secret("", ""));
        assert!(!same_secret(&a, &a[..42]));
    }

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
