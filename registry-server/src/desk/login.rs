//! The sign-in and sign-out pages. The checks themselves (passwords, the rate limit,
//! sessions) are the domain's, in [`crate::domain::access`].

use std::net::SocketAddr;

use super::session::{same_secret, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use super::{cookie, lang_of, render, Chrome, DeskError, DeskUser, Lang};
use crate::domain::access::{self, random_secret, SignInRefused};
use crate::domain::Registry;
use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};

/// Routes under `/desk`.
pub fn router() -> Router<Registry> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
}

/// The client address the rate limit counts: the connection's peer, or the first address of
/// the header named by `--desk-client-address-header` when a proxy sets it.
fn client_address(state: &Registry, parts_headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
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
    State(state): State<Registry>,
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
    match access::sign_in(&state, &form.username, &form.password, &address).await {
        Ok(id) => {
            // A session this browser held before signing in again ends now.
            if let Some(old) = cookie(&headers, SESSION_COOKIE) {
                access::sign_out(&state, old)
                    .await
                    .map_err(|error| DeskError::Internal { lang, error })?;
            }
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
    State(state): State<Registry>,
    headers: HeaderMap,
    user: DeskUser,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Result<Response, DeskError> {
    let Form(form) = form.map_err(|e| user.bad_form(e))?;
    user.check_csrf(&form.csrf)?;
    if let Some(id) = cookie(&headers, SESSION_COOKIE) {
        access::sign_out(&state, id)
            .await
            .map_err(|e| user.fail(e))?;
    }
    let mut resp = Redirect::to("/desk/login?notice=login.signed_out").into_response();
    if let Ok(v) = host_cookie(SESSION_COOKIE, "", Some(0)).parse() {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_host_only_secure_http_only_strict() {
        let c = host_cookie(SESSION_COOKIE, "x", None);
        assert_eq!(
            c,
            "__Host-desk_session=x; Path=/; Secure; HttpOnly; SameSite=Strict"
        );
    }
}
