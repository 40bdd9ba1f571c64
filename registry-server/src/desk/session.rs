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

use std::net::SocketAddr;
use std::sync::LazyLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{cookie, lang_of, render, Chrome, DeskError, Lang};
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

/// Routes under `/desk`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
}

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

/// The client address the rate limit counts: the connection's peer, or the first address of
/// the header named by `--desk-client-address-header` when a proxy sets it.
fn client_address(state: &AppState, parts_headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
    if let Some(name) = &state.settings.client_address_header {
        if let Some(v) = parts_headers
            .get(name.as_str())
            .and_then(|v| v.to_str().ok())
        {
            if let Some(first) = v.split(',').next().map(str::trim).filter(|s| !s.is_empty()) {
                return first.chars().take(64).collect();
            }
        }
    }
    peer.map_or_else(|| "unknown".to_string(), |p| p.ip().to_string())
}

#[derive(Template)]
#[template(path = "desk/login.html")]
struct LoginPage {
    c: Chrome,
    csrf: String,
    username: String,
    error: Option<&'static str>,
    notice: Option<&'static str>,
}

/// `Set-Cookie` for a `__Host-` cookie.
fn host_cookie(name: &str, value: &str, max_age: Option<i64>) -> String {
    let age = max_age.map_or(String::new(), |s| format!("; Max-Age={s}"));
    format!("{name}={value}; Path=/; Secure; HttpOnly; SameSite=Strict{age}")
}

fn login_response(
    lang: Lang,
    status: StatusCode,
    csrf: Option<String>,
    username: String,
    error: Option<&'static str>,
    notice: Option<&'static str>,
) -> Result<Response, DeskError> {
    // A fresh double-submit token unless the browser already holds one.
    let (token, set) = match csrf {
        Some(t) => (t, None),
        None => {
            let t = random_secret();
            let c = host_cookie(LOGIN_CSRF_COOKIE, &t, Some(3600));
            (t, Some(c))
        }
    };
    let page = LoginPage {
        c: Chrome::anonymous(lang, "/desk/login", "login.title"),
        csrf: token,
        username,
        error,
        notice,
    };
    let mut resp = render(lang, status, &page)?;
    if let Some(c) = set {
        if let Ok(v) = c.parse() {
            resp.headers_mut().insert(header::SET_COOKIE, v);
        }
    }
    Ok(resp)
}

/// The notices the sign-in page shows on request (anything else is ignored).
fn notice_key(q: &std::collections::HashMap<String, String>) -> Option<&'static str> {
    match q.get("notice").map(String::as_str) {
        Some("login.session_ended") => Some("login.session_ended"),
        Some("login.signed_out") => Some("login.signed_out"),
        _ => None,
    }
}

/// `GET /desk/login`
async fn login_page(
    headers: HeaderMap,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, DeskError> {
    let lang = lang_of(&headers);
    let held = cookie(&headers, LOGIN_CSRF_COOKIE)
        .filter(|t| t.len() == 43)
        .map(String::from);
    login_response(
        lang,
        StatusCode::OK,
        held,
        String::new(),
        None,
        notice_key(&q),
    )
}

/// The sign-in form.
#[derive(Debug, serde::Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// `POST /desk/login`
async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    connect: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Result<Response, DeskError> {
    let lang = lang_of(&headers);
    let Ok(Form(form)) = form else {
        return Err(DeskError::bad_request(lang));
    };
    let held = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if !same_secret(&form.csrf, held) {
        return login_response(
            lang,
            StatusCode::FORBIDDEN,
            None,
            form.username,
            Some("login.expired"),
            None,
        );
    }
    let peer = connect.map(|axum::Extension(ConnectInfo(a))| a);
    let address = client_address(&state, &headers, peer);
    match sign_in(&state, &form.username, &form.password, &address).await {
        Ok(id) => {
            let mut resp = Redirect::to("/desk/").into_response();
            let cookies = [
                host_cookie(SESSION_COOKIE, &id, None),
                host_cookie(LOGIN_CSRF_COOKIE, "", Some(0)),
            ];
            for c in cookies {
                if let Ok(v) = c.parse() {
                    resp.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            Ok(resp)
        }
        Err(SignInRefused::Wrong) => login_response(
            lang,
            StatusCode::UNAUTHORIZED,
            Some(held.to_string()),
            form.username,
            Some("login.failed"),
            None,
        ),
        Err(SignInRefused::RateLimited) => login_response(
            lang,
            StatusCode::TOO_MANY_REQUESTS,
            Some(held.to_string()),
            form.username,
            Some("login.rate_limited"),
            None,
        ),
        Err(SignInRefused::Failed(error)) => Err(DeskError::Internal { lang, error }),
    }
}

/// The sign-out form.
#[derive(Debug, serde::Deserialize)]
pub struct CsrfForm {
    /// The session's CSRF token.
    #[serde(default)]
    pub csrf: String,
}

/// `POST /desk/logout`: deletes the session row and the cookie.
async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: DeskUser,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Result<Response, DeskError> {
    let Form(form) = form.map_err(|e| user.bad_form(e))?;
    user.check_csrf(&form.csrf)?;
    if let Some(id) = cookie(&headers, SESSION_COOKIE) {
        let hash = Sha256::digest(id.as_bytes()).to_vec();
        db::web::delete_session(&state.db, &hash)
            .await
            .map_err(|e| user.fail(e.into()))?;
    }
    let mut resp = Redirect::to("/desk/login?notice=login.signed_out").into_response();
    if let Ok(v) = host_cookie(SESSION_COOKIE, "", Some(0)).parse() {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(resp)
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

    #[test]
    fn cookies_are_host_only_secure_http_only_strict() {
        let c = host_cookie(SESSION_COOKIE, "x", None);
        assert_eq!(
            c,
            "__Host-desk_session=x; Path=/; Secure; HttpOnly; SameSite=Strict"
        );
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
