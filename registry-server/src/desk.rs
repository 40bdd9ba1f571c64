//! The web desk: server-rendered pages under `/desk/` for registration desks, clinicians,
//! pharmacists and auditors, in Arabic (the default, right to left) and English.
//!
//! The desk is the registry's second door, beside the JSON API: its pages parse forms into
//! the domain's types and call the same operations ([`crate::domain`]) with the signed-in
//! user as the [`Caller`](crate::auth::Caller), so validation, rules and audit entries are
//! the API's own: a page that shows patient data writes the same audit action as the API
//! call that returns it. The desk never calls the API, in process or over HTTP.
//!
//! - [`session`]: passwords (argon2id), database-backed sessions, CSRF tokens, the sign-in
//!   rate limit; [`login`]: the sign-in and sign-out pages;
//! - [`i18n`]: the languages and the message catalogue;
//! - [`assets`]: CSS, JavaScript and fonts compiled into the binary;
//! - [`patients`], [`record`], [`clinical`], [`pharmacy`], [`audit`]: the pages;
//! - [`stock`], [`demand`], [`watch`]: medicines and supplies (pharmacists, supply officers,
//!   inspectors).
//!
//! Every response under `/desk/` carries a strict Content-Security-Policy (no inline script
//! or style anywhere), `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`, and
//! pages carry `Cache-Control: no-store`. See docs/web-desk.md.

pub mod admin;
pub mod assets;
pub mod audit;
pub mod charts;
pub mod clinical;
pub mod demand;
pub mod duplicates;
pub mod error;
pub mod follow_up;
pub mod form;
pub mod i18n;
pub mod import;
pub mod login;
pub mod patients;
pub mod pharmacy;
pub mod recheck;
pub mod record;
pub mod session;
pub mod statistics;
pub mod stock;
pub mod watch;

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, Request};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

pub use error::DeskError;
pub use form::FormState;
pub use i18n::Lang;
pub use session::DeskUser;

use crate::auth::Role;
use crate::domain::{Error, Registry};

/// The Content-Security-Policy of every desk response. `connect-src` admits the desk's own
/// card-agent on the loopback interface (any port: the port is configurable in the page).
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: blob:; font-src 'self'; \
    connect-src 'self' http://127.0.0.1:* http://localhost:*; form-action 'self'; \
    frame-ancestors 'none'; base-uri 'none'";

/// The language cookie (not secret: readable by scripts is fine, it holds `ar` or `en`).
pub const LANG_COOKIE: &str = "lang";

/// Routes: `/` redirects to `/desk/`; the pages under `/desk/`, with the security headers.
pub fn router() -> Router<Registry> {
    let pages = Router::new()
        .route("/lang", get(switch_language))
        .merge(login::router())
        .merge(assets::router())
        .merge(patients::router())
        .merge(clinical::router())
        .merge(follow_up::router())
        .merge(pharmacy::router())
        .merge(audit::router())
        .merge(admin::router())
        .merge(duplicates::router())
        .merge(import::router())
        .merge(recheck::router())
        .merge(statistics::router())
        .merge(stock::router())
        .merge(demand::router())
        .merge(watch::router())
        .fallback(not_found);
    Router::new()
        .route("/", get(|| async { Redirect::to("/desk/") }))
        .route("/desk/", get(home))
        .nest("/desk", pages)
        .layer(axum::middleware::from_fn(security_headers))
}

/// Adds the security headers to every desk response; `no-store` unless it is a static asset.
async fn security_headers(req: Request, next: Next) -> Response {
    let is_asset = req.uri().path().starts_with("/desk/assets/");
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !is_asset {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The page language from the `lang` cookie (Arabic without one).
pub fn lang_of(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE).map_or(Lang::Ar, Lang::from_code)
}

/// A link in the menu.
#[derive(Debug, Clone)]
pub struct NavItem {
    /// Where it goes.
    pub href: &'static str,
    /// Message key of its label.
    pub label: &'static str,
    /// Whether it is the current section.
    pub current: bool,
}

/// The signed-in user as the page header shows them.
#[derive(Debug, Clone)]
pub struct UserBar {
    /// Name shown.
    pub display_name: String,
    /// Message key of the role.
    pub role_key: String,
    /// The session's CSRF token (for the sign-out form).
    pub csrf: String,
}

/// What every page template gets: language, user, menu, where the language switch returns.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// Page language.
    pub lang: Lang,
    /// The signed-in user, if any.
    pub user: Option<UserBar>,
    /// The menu for the user's role.
    pub nav: Vec<NavItem>,
    /// The current path and query, for the language switch to come back to.
    pub here: String,
    /// Message key of the page title.
    pub title: &'static str,
}

impl Chrome {
    /// Chrome for a signed-in user on page `here`, in section `section` (a menu href).
    pub fn for_user(user: &DeskUser, here: &str, title: &'static str, section: &str) -> Chrome {
        Chrome {
            lang: user.lang,
            user: Some(UserBar {
                display_name: user.display_name.clone(),
                role_key: format!("role.{}", user.caller.role.as_str()),
                csrf: user.csrf.clone(),
            }),
            nav: menu(user.caller.role, section),
            here: here.to_string(),
            title,
        }
    }

    /// Chrome for a page without a signed-in user.
    pub fn anonymous(lang: Lang, here: &str, title: &'static str) -> Chrome {
        Chrome {
            lang,
            user: None,
            nav: Vec::new(),
            here: here.to_string(),
            title,
        }
    }

    /// The message `key` in the page language.
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        self.lang.t(key)
    }

    /// The language switch's link.
    pub fn switch_href(&self) -> String {
        format!(
            "/desk/lang?to={}&back={}",
            self.lang.other().code(),
            percent_encode(&self.here)
        )
    }
}

/// The menu of a role: only what the role may do.
pub fn menu(role: Role, section: &str) -> Vec<NavItem> {
    let items: &[(&'static str, &'static str)] = match role {
        Role::Registrar => &[
            ("/desk/patients", "nav.patients"),
            ("/desk/patients/new", "nav.register"),
            ("/desk/duplicates", "nav.duplicates"),
            ("/desk/recheck", "nav.recheck"),
            ("/desk/import", "nav.import"),
            ("/desk/statistics", "nav.statistics"),
        ],
        Role::Clinician => &[("/desk/patients", "nav.patients")],
        Role::Pharmacist => &[
            ("/desk/pharmacy", "nav.pharmacy"),
            ("/desk/stock", "nav.stock"),
            ("/desk/demand", "nav.demand"),
        ],
        Role::Auditor => &[
            ("/desk/audit", "nav.audit"),
            ("/desk/duplicates", "nav.duplicates"),
            ("/desk/recheck", "nav.recheck"),
        ],
        Role::Statistician => &[("/desk/statistics", "nav.statistics")],
        Role::SupplyOfficer => &[("/desk/demand", "nav.demand"), ("/desk/stock", "nav.stock")],
        Role::Inspector => &[("/desk/watch", "nav.watch")],
        Role::Admin => &[("/desk/admin", "nav.admin")],
        Role::Insurer => &[],
    };
    items
        .iter()
        .map(|(href, label)| NavItem {
            href,
            label,
            current: *href == section,
        })
        .collect()
}

/// Percent-encodes everything but unreserved characters (RFC 3986 §2.3).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The message key of a conflict code (a generic one when the catalogue has none).
pub fn conflict_key(code: &str) -> &'static str {
    for prefix in ["conflict.", "refusal."] {
        let key = format!("{prefix}{code}");
        if let Some((k, _, _)) = i18n::all().find(|(k, _, _)| *k == key) {
            return k;
        }
    }
    "error.bad_request"
}

/// A CSV file to download as `name` (UTF-8, as the desk's CSV exports are written).
pub fn csv_download(name: &str, body: impl Into<axum::body::Body>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body.into(),
    )
        .into_response()
}

/// Renders a template into a response with `status`.
///
/// # Errors
/// A template that fails to render (a programming error), as a 500 page.
pub fn render<T: Template>(
    lang: Lang,
    status: StatusCode,
    page: &T,
) -> Result<Response, DeskError> {
    page.render()
        .map(|html| (status, Html(html)).into_response())
        .map_err(|e| DeskError::Internal {
            lang,
            error: Error::Internal(format!("template: {e}")),
        })
}

#[derive(Template)]
#[template(path = "desk/home.html")]
struct HomePage {
    c: Chrome,
}

/// `GET /desk/`: the home page of the signed-in user's role.
async fn home(user: DeskUser) -> Result<Response, DeskError> {
    let page = HomePage {
        c: Chrome::for_user(&user, "/desk/", "home.title", ""),
    };
    render(user.lang, StatusCode::OK, &page)
}

/// `GET /desk/lang?to=en&back=/desk/...`: sets the language cookie and goes back. Only a
/// path under `/desk/` is followed (no open redirect).
async fn switch_language(Query(q): Query<HashMap<String, String>>) -> Response {
    let lang = Lang::from_code(q.get("to").map_or("ar", String::as_str));
    let back = q
        .get("back")
        .filter(|b| {
            // Visible ASCII only: a control character would not be a valid Location header.
            b.starts_with("/desk/") && !b.contains('\\') && b.chars().all(|c| c.is_ascii_graphic())
        })
        .map_or("/desk/", String::as_str);
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax; Secure",
        lang.code()
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to(back)).into_response()
}

async fn not_found(headers: HeaderMap) -> DeskError {
    DeskError::not_found(lang_of(&headers))
}

/// Unix seconds as `YYYY-MM-DD`.
pub fn date_of(unix: i64) -> String {
    card_format::model::Date::from_unix_seconds(u64::try_from(unix).unwrap_or(0)).to_string()
}

/// Unix seconds as `YYYY-MM-DD HH:MM` (UTC).
pub fn time_of(unix: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(unix) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        ),
        Err(_) => unix.to_string(),
    }
}

/// Parses a date typed in any digit script (`١٩٧٣-٠٤-١٢`).
pub fn parse_date(text: &str) -> Option<card_format::model::Date> {
    card_format::model::Date::parse("date", &crate::patient::ascii_digits(text.trim())).ok()
}

/// Parses a whole number typed in any digit script.
pub fn parse_number<T: std::str::FromStr>(text: &str) -> Option<T> {
    crate::patient::ascii_digits(text.trim()).parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_finds_a_value_among_several() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; lang=en; b=2"),
        );
        assert_eq!(cookie(&h, "lang"), Some("en"));
        assert_eq!(cookie(&h, "c"), None);
        assert_eq!(lang_of(&h), Lang::En);
        assert_eq!(lang_of(&HeaderMap::new()), Lang::Ar);
    }

    #[test]
    fn menus_offer_only_the_roles_pages() {
        let hrefs = |r| menu(r, "").iter().map(|n| n.href).collect::<Vec<_>>();
        assert_eq!(
            hrefs(Role::Pharmacist),
            ["/desk/pharmacy", "/desk/stock", "/desk/demand"]
        );
        assert_eq!(hrefs(Role::SupplyOfficer), ["/desk/demand", "/desk/stock"]);
        assert_eq!(hrefs(Role::Inspector), ["/desk/watch"]);
        assert_eq!(hrefs(Role::Admin), ["/desk/admin"]);
        assert!(hrefs(Role::Insurer).is_empty());
        assert!(!hrefs(Role::Clinician).contains(&"/desk/patients/new"));
        assert!(hrefs(Role::Registrar).contains(&"/desk/patients/new"));
        assert_eq!(
            hrefs(Role::Auditor),
            ["/desk/audit", "/desk/duplicates", "/desk/recheck"]
        );
    }

    #[test]
    fn digits_and_dates_in_arabic_indic_parse() {
        assert_eq!(parse_number::<u32>("٣٠"), Some(30));
        assert_eq!(parse_number::<u32>("۲۸"), Some(28));
        assert_eq!(
            parse_date("٢٠٢٥-٠٩-٠٣").map(|d| d.to_string()).as_deref(),
            Some("2025-09-03")
        );
        assert_eq!(percent_encode("/desk/p?a=1&b"), "/desk/p%3Fa%3D1%26b");
    }
}
