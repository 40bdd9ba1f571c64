//! The web desk through the real router (`oneshot`): sign-in, sessions, the rate limit shared
//! by two instances, CSRF, roles, security headers, forms, Arabic-Indic digits, audited reads,
//! the language switch, the pharmacy page. Session, sign-in and rate-limit tests run on SQLite
//! and (with `TEST_POSTGRES_URL`) PostgreSQL.

use std::collections::HashMap;
use std::net::SocketAddr;

use crate::support::{backends, medicine_body, patient_body, tumour_body, TestApp};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use registry_server::db::Backend;
use serde_json::json;
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery staple";
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: blob:; font-src 'self'; \
    connect-src 'self' http://127.0.0.1:* http://localhost:*; form-action 'self'; \
    frame-ancestors 'none'; base-uri 'none'";

/// A response as a test sees it.
struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The first hidden `csrf` field's value.
    fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("a csrf field");
        let rest = &self.body[at + 19..];
        rest[..rest.find('"').unwrap()].to_string()
    }
}

/// A browser: a cookie jar and a client address.
struct Browser<'a> {
    app: &'a TestApp,
    jar: HashMap<String, String>,
    address: SocketAddr,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Browser<'a> {
        Browser::from(app, "192.0.2.1")
    }

    fn from(app: &'a TestApp, ip: &str) -> Browser<'a> {
        Browser {
            app,
            jar: HashMap::new(),
            address: format!("{ip}:40000").parse().unwrap(),
        }
    }

    /// The same cookies on another instance.
    async fn send(&mut self, method: Method, uri: &str, body: Option<(Vec<u8>, &str)>) -> Page {
        let mut req = Request::builder().method(method).uri(uri);
        let cookies: Vec<String> = self.jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if !cookies.is_empty() {
            req = req.header(header::COOKIE, cookies.join("; "));
        }
        let body = match body {
            Some((b, content_type)) => {
                req = req.header(header::CONTENT_TYPE, content_type);
                Body::from(b)
            }
            None => Body::empty(),
        };
        let mut req = req.body(body).unwrap();
        req.extensions_mut().insert(ConnectInfo(self.address));
        let resp = self.app.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        for c in headers.get_all(header::SET_COOKIE) {
            let c = c.to_str().unwrap();
            let (pair, _) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() || c.contains("Max-Age=0") {
                self.jar.remove(k);
            } else {
                self.jar.insert(k.to_string(), v.to_string());
            }
        }
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        Page {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&mut self, uri: &str) -> Page {
        self.send(Method::GET, uri, None).await
    }

    async fn post(&mut self, uri: &str, fields: &[(&str, &str)]) -> Page {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.send(
            Method::POST,
            uri,
            Some((body.into_bytes(), "application/x-www-form-urlencoded")),
        )
        .await
    }

    /// Signs in; returns the response to the form.
    async fn sign_in(&mut self, username: &str, password: &str) -> Page {
        let login = self.get("/desk/login").await;
        assert_eq!(login.status, StatusCode::OK, "{}", login.body);
        let csrf = login.csrf();
        self.post(
            "/desk/login",
            &[
                ("csrf", &csrf),
                ("username", username),
                ("password", password),
            ],
        )
        .await
    }

    /// Signs in and checks it worked.
    async fn signed_in(app: &'a TestApp, username: &str) -> Browser<'a> {
        let mut b = Browser::new(app);
        let r = b.sign_in(username, PASSWORD).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        b
    }

    /// The session's CSRF token, from the home page.
    async fn csrf(&mut self) -> String {
        self.get("/desk/").await.csrf()
    }
}

fn enc(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A user with `role` and a desk password; returns (username, user id).
async fn person(app: &TestApp, role: &str, facility: &str) -> (String, String) {
    let username = format!("{role}.{}", &registry_server::auth::new_id()[..8]);
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/users",
            &app.admin,
            Some(
                json!({"username": username, "display_name": format!("Desk {role}"),
                "role": role, "facility_code": facility}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.approve(&body["approval"]).await;
    let id = body["user"]["id"].as_str().unwrap().to_string();
    let (status, body) = app
        .call(
            Method::PUT,
            &format!("/api/v1/users/{id}/password"),
            &app.admin,
            Some(json!({ "password": PASSWORD })),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    app.approve(&body).await;
    (username, id)
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    n
}

async fn audited(app: &TestApp, action: &str, entity_id: &str) -> i64 {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE action = $1 AND entity_id = $2")
            .bind(action)
            .bind(entity_id)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    n
}

fn assert_security_headers(page: &Page, what: &str) {
    let h = |name: &str| {
        page.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(h("content-security-policy"), CSP, "{what}");
    assert_eq!(h("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(h("referrer-policy"), "no-referrer", "{what}");
    assert_eq!(h("cache-control"), "no-store", "{what}");
}

/// No inline script, no `style=` attribute, no `on*=` handler, no `<style>` element.
fn assert_no_inline_code(page: &Page, what: &str) {
    let html = page.body.to_lowercase();
    let mut rest = html.as_str();
    while let Some(at) = rest.find("<script") {
        let tag_end = rest[at..].find('>').unwrap() + at;
        let tag = &rest[at..tag_end];
        assert!(tag.contains(" src=\"/desk/assets/"), "{what}: {tag}");
        assert!(
            rest[tag_end + 1..].starts_with("</script>"),
            "{what}: inline script body"
        );
        rest = &rest[tag_end..];
    }
    assert!(!html.contains("<style"), "{what}: <style> element");
    assert!(!html.contains(" style="), "{what}: style attribute");
    for (i, _) in html.match_indices(" on") {
        let attr: String = html[i + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        let next = html[i + 1 + attr.len()..].chars().next();
        assert!(
            !(next == Some('=') && attr.len() > 2),
            "{what}: event handler attribute {attr}"
        );
    }
}

#[tokio::test]
async fn sign_in_succeeds_with_the_password_and_fails_without() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let (registrar, _) = person(&app, "registrar", "LY-BEN-PED").await;
        let mut b = Browser::new(&app);

        // Not signed in: pages send the browser to the sign-in page.
        let home = b.get("/desk/").await;
        assert_eq!(home.status, StatusCode::SEE_OTHER);
        assert_eq!(home.location(), "/desk/login");
        assert_eq!(b.get("/").await.location(), "/desk/");

        let wrong = b.sign_in(&registrar, "not the password at all").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{backend:?}");
        assert!(wrong.body.contains("اسم المستخدم أو كلمة المرور غير صحيحة"));
        assert!(!b.jar.contains_key("__Host-desk_session"));
        assert!(
            wrong.body.contains(&format!("value=\"{registrar}\"")),
            "username kept"
        );

        let ok = b.sign_in(&registrar, PASSWORD).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
        assert_eq!(ok.location(), "/desk/");
        let set: Vec<&str> = ok
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        let session = set
            .iter()
            .find(|c| c.starts_with("__Host-desk_session="))
            .expect("a session cookie");
        for attr in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(session.contains(attr), "{session}");
        }
        assert!(!session.contains("Domain"), "{session}");
        // The database holds the id's hash, never the id.
        let id = b.jar["__Host-desk_session"].clone();
        assert_eq!(id.len(), 43);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM web_sessions").await, 1);
        let (stored,): (Vec<u8>,) = sqlx::query_as("SELECT id_hash FROM web_sessions")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
        assert_eq!(stored.len(), 32);
        assert_ne!(stored, id.as_bytes());

        let home = b.get("/desk/").await;
        assert_eq!(home.status, StatusCode::OK);
        assert!(home.body.contains("Desk registrar"));
        // Signing in again from this browser replaces its session.
        let again = b.sign_in(&registrar, PASSWORD).await;
        assert_eq!(again.status, StatusCode::SEE_OTHER);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM web_sessions").await, 1);
        assert_ne!(b.jar["__Host-desk_session"], id);
        let id = b.jar["__Host-desk_session"].clone();
        let home = b.get("/desk/").await;

        // Sign-out deletes the row; the old cookie opens nothing.
        let csrf = home.csrf();
        let out = b.post("/desk/logout", &[("csrf", &csrf)]).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM web_sessions").await, 0);
        b.jar.insert("__Host-desk_session".into(), id);
        assert_eq!(b.get("/desk/").await.status, StatusCode::SEE_OTHER);
    }
}

#[tokio::test]
async fn a_user_without_a_password_cannot_sign_in() {
    let app = TestApp::new(Backend::Sqlite).await;
    let mut b = Browser::new(&app);
    // The first admin has no password.
    let r = b.sign_in("admin", "").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = b.sign_in("admin", PASSWORD).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn rate_limit_refuses_a_sixth_attempt_on_any_instance_and_hides_who_exists() {
    for backend in backends() {
        let first = TestApp::new(backend).await;
        let second = TestApp::on(first.db_options.clone(), false).await;
        let (user, _) = person(&first, "pharmacist", "LY-MOH").await;
        let instances = [&first, &second];

        // Five failures for the username, alternating between the instances.
        for i in 0..5 {
            let mut b = Browser::from(instances[i % 2], "198.51.100.7");
            let r = b.sign_in(&user, "wrong password number x").await;
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "attempt {i} {backend:?}"
            );
        }
        // The sixth, even with the right password, is refused on either instance.
        for app in instances {
            let mut b = Browser::from(app, "198.51.100.8");
            let r = b.sign_in(&user, PASSWORD).await;
            assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{backend:?}");
            assert!(r.body.contains("محاولات كثيرة فاشلة"), "Arabic message");
            assert!(!b.jar.contains_key("__Host-desk_session"));
        }
        // In English for an English user.
        let mut b = Browser::from(&second, "198.51.100.9");
        b.jar.insert("lang".into(), "en".into());
        let r = b.sign_in(&user, PASSWORD).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(r.body.contains("Too many failed attempts"));

        // An unknown username gets exactly the same answers.
        for i in 0..5 {
            let mut b = Browser::from(instances[i % 2], "198.51.100.10");
            let r = b.sign_in("nobody.here", "wrong password number x").await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
        }
        let mut b = Browser::from(&first, "198.51.100.11");
        assert_eq!(
            b.sign_in("nobody.here", PASSWORD).await.status,
            StatusCode::TOO_MANY_REQUESTS
        );

        // Fifteen minutes later the username may try again.
        first.state.clock.advance(15 * 60 + 1);
        second.state.clock.advance(15 * 60 + 1);
        let mut b = Browser::from(&second, "198.51.100.12");
        assert_eq!(
            b.sign_in(&user, PASSWORD).await.status,
            StatusCode::SEE_OTHER
        );
    }
}

#[tokio::test]
async fn rate_limit_counts_twenty_failures_per_address_and_a_success_does_not_reset_it() {
    for backend in backends() {
        let first = TestApp::new(backend).await;
        let second = TestApp::on(first.db_options.clone(), false).await;
        let (user, _) = person(&first, "clinician", "LY-BEN-PED").await;
        let address = "203.0.113.5";
        // 19 failures from one address, four per username (under the username limit).
        for i in 0..19 {
            let app = if i % 2 == 0 { &first } else { &second };
            let mut b = Browser::from(app, address);
            let r = b
                .sign_in(&format!("guess{}", i / 4), "wrong password")
                .await;
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "attempt {i} {backend:?}"
            );
        }
        // A success from the address does not reset its count...
        let mut b = Browser::from(&first, address);
        assert_eq!(
            b.sign_in(&user, PASSWORD).await.status,
            StatusCode::SEE_OTHER
        );
        // ...so the 20th failure is still answered, and the next attempt is refused.
        let mut b = Browser::from(&second, address);
        assert_eq!(
            b.sign_in("guess9", "wrong password").await.status,
            StatusCode::UNAUTHORIZED
        );
        let mut b = Browser::from(&first, address);
        assert_eq!(
            b.sign_in(&user, PASSWORD).await.status,
            StatusCode::TOO_MANY_REQUESTS
        );
        // Another address is not affected.
        let mut b = Browser::from(&first, "203.0.113.6");
        assert_eq!(
            b.sign_in(&user, PASSWORD).await.status,
            StatusCode::SEE_OTHER
        );
    }
}

#[tokio::test]
async fn sessions_end_after_thirty_idle_minutes_or_twelve_hours() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let (user, _) = person(&app, "auditor", "LY-MOH").await;

        let mut b = Browser::signed_in(&app, &user).await;
        app.state.clock.advance(29 * 60);
        assert_eq!(b.get("/desk/").await.status, StatusCode::OK, "{backend:?}");
        app.state.clock.advance(29 * 60);
        assert_eq!(b.get("/desk/").await.status, StatusCode::OK);
        app.state.clock.advance(31 * 60);
        let r = b.get("/desk/audit").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(r.location().starts_with("/desk/login"));
        assert_eq!(count(&app, "SELECT COUNT(*) FROM web_sessions").await, 0);

        // Active all along, still over after 12 hours.
        let mut b = Browser::signed_in(&app, &user).await;
        for _ in 0..24 {
            app.state.clock.advance(29 * 60);
            assert_eq!(b.get("/desk/").await.status, StatusCode::OK);
        }
        app.state.clock.advance(25 * 60);
        assert_eq!(b.get("/desk/").await.status, StatusCode::SEE_OTHER);
    }
}

#[tokio::test]
async fn a_password_change_ends_the_users_sessions_and_short_passwords_are_refused() {
    let app = TestApp::new(Backend::Sqlite).await;
    let (user, id) = person(&app, "registrar", "LY-BEN-PED").await;
    let mut b = Browser::signed_in(&app, &user).await;
    let uri = format!("/api/v1/users/{id}/password");
    let (status, body) = app
        .call(
            Method::PUT,
            &uri,
            &app.admin,
            Some(json!({"password": "short"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "password");
    assert_eq!(b.get("/desk/").await.status, StatusCode::OK);
    let (status, held) = app
        .call(
            Method::PUT,
            &uri,
            &app.admin,
            Some(json!({"password": "another long password"})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{held}");
    assert_eq!(
        b.get("/desk/").await.status,
        StatusCode::OK,
        "the session lasts until a second admin approves"
    );
    app.approve(&held).await;
    assert_eq!(b.get("/desk/").await.status, StatusCode::SEE_OTHER);
    assert_eq!(audited(&app, "user.password", &id).await, 2);
    let (status, _) = app
        .call(
            Method::PUT,
            "/api/v1/users/nosuchuser/password",
            &app.admin,
            Some(json!({"password": "another long password"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// A registration form, all strings.
fn registration(csrf: &str, id: &str, birth: &str) -> Vec<(String, String)> {
    [
        ("csrf", csrf),
        ("id_type", "national"),
        ("id_value", id),
        ("ar1", "فاطمة"),
        ("ar2", "محمد"),
        ("ar3", "عبدالله"),
        ("ar4", "المنصوري"),
        ("la1", ""),
        ("sex", "female"),
        ("birth_date", birth),
        ("blood_group", "A+"),
        ("municipality", "بنغازي"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

async fn post_owned(b: &mut Browser<'_>, uri: &str, fields: &[(String, String)]) -> Page {
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    b.post(uri, &borrowed).await
}

#[tokio::test]
async fn csrf_missing_or_wrong_is_refused_and_changes_nothing() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let (user, _) = person(&app, "registrar", "LY-BEN-PED").await;
        let mut b = Browser::signed_in(&app, &user).await;
        let good = b.csrf().await;
        let patients = "SELECT COUNT(*) FROM patients";
        for (what, token) in [("missing", ""), ("wrong", "A".repeat(43).as_str())] {
            let mut form = registration(token, "219730412345", "1973-04-12");
            if token.is_empty() {
                form.retain(|(k, _)| k != "csrf");
            }
            let r = post_owned(&mut b, "/desk/patients", &form).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{what} {backend:?}");
            assert!(r.body.contains("رمز الحماية"), "{what}: {}", r.body);
            assert_eq!(count(&app, patients).await, 0, "{what}");
        }
        // Sign-out without the token keeps the session.
        let r = b.post("/desk/logout", &[("csrf", "nope")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM web_sessions").await, 1);
        // The sign-in form's double-submit cookie must match its field.
        let mut other = Browser::new(&app);
        other.get("/desk/login").await;
        let r = other
            .post(
                "/desk/login",
                &[("csrf", "x"), ("username", &user), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(!other.jar.contains_key("__Host-desk_session"));
        // With the right token it works.
        let r = post_owned(
            &mut b,
            "/desk/patients",
            &registration(&good, "219730412345", "1973-04-12"),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(count(&app, patients).await, 1);
    }
}

#[tokio::test]
async fn a_wrong_role_gets_a_403_page_in_its_language_and_changes_nothing() {
    let app = TestApp::new(Backend::Sqlite).await;
    let pharmacy = app.pharmacy("LY-BEN-PH1").await;
    let (pharmacist, _) = person(&app, "pharmacist", &pharmacy).await;
    let (clinician, _) = person(&app, "clinician", "LY-BEN-PED").await;
    let (registrar, _) = person(&app, "registrar", "LY-BEN-PED").await;

    let mut p = Browser::signed_in(&app, &pharmacist).await;
    for uri in ["/desk/patients/new", "/desk/patients", "/desk/audit"] {
        let r = p.get(uri).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{uri}");
        assert!(r.body.contains("دورك لا يسمح"), "{uri}");
        assert!(r.body.contains("lang=\"ar\" dir=\"rtl\""));
    }
    p.jar.insert("lang".into(), "en".into());
    let r = p.get("/desk/patients/new").await;
    assert!(r.body.contains("Your role may not use this page"));
    // The menu offers only the pharmacy.
    let home = p.get("/desk/").await;
    assert!(home.body.contains("href=\"/desk/pharmacy\""));
    assert!(!home.body.contains("href=\"/desk/patients/new\""));

    let mut r_ = Browser::signed_in(&app, &registrar).await;
    assert_eq!(r_.get("/desk/pharmacy").await.status, StatusCode::FORBIDDEN);
    assert_eq!(r_.get("/desk/audit").await.status, StatusCode::FORBIDDEN);

    // A clinician posting a registration (with a valid token) is refused; nothing stored.
    let mut c = Browser::signed_in(&app, &clinician).await;
    let csrf = c.csrf().await;
    let r = post_owned(
        &mut c,
        "/desk/patients",
        &registration(&csrf, "219730412345", "1973-04-12"),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM patients").await, 0);
    let home = c.get("/desk/").await;
    assert!(!home.body.contains("/desk/patients/new"));
}

/// A registrar, a clinician and a pharmacist signed in, and one patient with a tumour, a
/// medicine (interval 28 days) and a card; returns the patient id and the card's QR text.
struct World<'a> {
    registrar: Browser<'a>,
    clinician: Browser<'a>,
    pharmacist: Browser<'a>,
    auditor: Browser<'a>,
    patient: String,
    serial: String,
    qr: String,
}

async fn world(app: &TestApp) -> World<'_> {
    let pharmacy = app.pharmacy("LY-BEN-PH1").await;
    let (registrar, _) = person(app, "registrar", "LY-BEN-PED").await;
    let (clinician, _) = person(app, "clinician", "LY-BEN-PED").await;
    let (pharmacist, _) = person(app, "pharmacist", &pharmacy).await;
    let (auditor, _) = person(app, "auditor", "LY-MOH").await;
    let mut r = Browser::signed_in(app, &registrar).await;
    let csrf = r.csrf().await;
    let done = post_owned(
        &mut r,
        "/desk/patients",
        &registration(&csrf, "219730412345", "1973-04-12"),
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let patient = done
        .location()
        .trim_start_matches("/desk/patients/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let mut c = Browser::signed_in(app, &clinician).await;
    let csrf = c.csrf().await;
    let t = tumour_body();
    let r1 = c
        .post(
            &format!("/desk/patients/{patient}/tumours"),
            &[
                ("csrf", &csrf),
                ("icd10", t["icd10"].as_str().unwrap()),
                ("topography", "C50.4"),
                ("morphology", "٨٥٠٠"),
                ("behaviour", "٣"),
                ("grade", "2"),
                ("basis", "7"),
                ("incidence", "٢٠٢٥-٠٩-٠٣"),
                ("stage_scheme", "tnm8"),
                ("stage_t", "T2"),
                ("stage_n", "N1"),
                ("stage_m", "M0"),
                ("stage_group", "IIB"),
            ],
        )
        .await;
    assert_eq!(r1.status, StatusCode::SEE_OTHER, "{}", r1.body);
    let m = medicine_body(3, 28);
    let r2 = c
        .post(
            &format!("/desk/patients/{patient}/medicines"),
            &[
                ("csrf", &csrf),
                ("atc", m["atc"].as_str().unwrap()),
                ("name", "tamoxifen"),
                ("strength", "20 mg"),
                ("form", "tablet"),
                ("quantity", "٣٠"),
                ("dispensings", "3"),
                ("interval_days", "28"),
                ("valid_until", "2027-06-30"),
            ],
        )
        .await;
    assert_eq!(r2.status, StatusCode::SEE_OTHER, "{}", r2.body);
    let csrf = r.csrf().await;
    let issued = r
        .post(
            &format!("/desk/patients/{patient}/cards"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(issued.status, StatusCode::SEE_OTHER, "{}", issued.body);
    let (serial,): (String,) = sqlx::query_as("SELECT serial FROM cards WHERE patient_id = $1")
        .bind(&patient)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let (_, body) = app
        .call(
            Method::GET,
            &format!("/api/v1/cards/{serial}/qr"),
            &api_token(app, "registrar").await,
            None,
        )
        .await;
    let qr = body.as_str().unwrap().to_string();
    World {
        registrar: r,
        clinician: c,
        pharmacist: Browser::signed_in(app, &pharmacist).await,
        auditor: Browser::signed_in(app, &auditor).await,
        patient,
        serial,
        qr,
    }
}

async fn api_token(app: &TestApp, role: &str) -> String {
    app.user(role, "LY-BEN-PED").await
}

#[tokio::test]
async fn every_page_has_the_security_headers_and_no_inline_code() {
    let app = TestApp::new(Backend::Sqlite).await;
    let mut w = world(&app).await;
    let (tumour,): (String,) = sqlx::query_as("SELECT id FROM tumours")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let p = w.patient.clone();
    let mut anonymous = Browser::new(&app);
    let mut pages = vec![
        ("login", anonymous.get("/desk/login").await),
        ("not found", anonymous.get("/desk/nothing-here").await),
    ];
    for lang in ["ar", "en"] {
        for b in [&mut w.registrar, &mut w.clinician] {
            b.jar.insert("lang".into(), lang.into());
        }
        pages.push(("home", w.registrar.get("/desk/").await));
        pages.push(("search", w.registrar.get("/desk/patients?name=فاطمة").await));
        pages.push(("register", w.registrar.get("/desk/patients/new").await));
        pages.push((
            "record (registrar)",
            w.registrar.get(&format!("/desk/patients/{p}")).await,
        ));
        pages.push((
            "record (clinician)",
            w.clinician.get(&format!("/desk/patients/{p}")).await,
        ));
        pages.push((
            "correction",
            w.clinician
                .get(&format!("/desk/records/tumours/{tumour}"))
                .await,
        ));
        pages.push(("pharmacy", w.pharmacist.get("/desk/pharmacy").await));
        pages.push(("audit", w.auditor.get("/desk/audit?verify=1").await));
        pages.push(("forbidden", w.pharmacist.get("/desk/audit").await));
    }
    let csrf = w.pharmacist.csrf().await;
    let qr = w.qr.clone();
    pages.push((
        "scanned card",
        w.pharmacist
            .post("/desk/pharmacy/scan", &[("csrf", &csrf), ("qr", &qr)])
            .await,
    ));
    for (what, page) in &pages {
        assert!(
            page.status.is_success()
                || [StatusCode::FORBIDDEN, StatusCode::NOT_FOUND].contains(&page.status),
            "{what}: {}",
            page.status
        );
        assert_security_headers(page, what);
        assert_no_inline_code(page, what);
        assert!(
            page.body.contains("<label")
                || *what == "not found"
                || *what == "forbidden"
                || *what == "home",
            "{what}"
        );
    }
    // Assets are served from the binary with the same policy.
    for asset in [
        "desk.css",
        "desk.js",
        "NotoNaskhArabic-Regular.ttf",
        "NotoSans-Regular.ttf",
    ] {
        let r = anonymous.get(&format!("/desk/assets/{asset}")).await;
        assert_eq!(r.status, StatusCode::OK, "{asset}");
        assert_eq!(r.headers["content-security-policy"], CSP);
        assert_eq!(r.headers["x-content-type-options"], "nosniff");
    }
}

#[tokio::test]
async fn a_validation_error_keeps_everything_typed_and_marks_the_field() {
    let app = TestApp::new(Backend::Sqlite).await;
    let (user, _) = person(&app, "registrar", "LY-BEN-PED").await;
    let mut b = Browser::signed_in(&app, &user).await;
    let csrf = b.csrf().await;
    // A birth date in the future, typed in Arabic-Indic digits.
    let r = post_owned(
        &mut b,
        "/desk/patients",
        &registration(&csrf, "٢١٩٧٣٠٤١٢٣٤٥", "٢٠٩٠-٠١-٠١"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    for typed in [
        "فاطمة",
        "محمد",
        "عبدالله",
        "المنصوري",
        "٢١٩٧٣٠٤١٢٣٤٥",
        "٢٠٩٠-٠١-٠١",
        "بنغازي",
    ] {
        assert!(
            r.body.contains(&format!("value=\"{typed}\"")),
            "{typed} kept"
        );
    }
    assert!(r.body.contains("<option value=\"female\" selected>"));
    assert!(r.body.contains("<option value=\"A+\" selected>"));
    assert!(r.body.contains("id=\"r-birth_date-error\""));
    assert!(r.body.contains("تاريخ غير صالح"));
    assert!(r.body.contains("aria-invalid=\"true\""));
    // The ICAO proposal for the empty Latin name is shown.
    assert!(r.body.contains("id=\"proposal\""));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM patients").await, 0);

    // Missing fields are each named, in English for an English page.
    b.jar.insert("lang".into(), "en".into());
    let r = b.post("/desk/patients", &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.matches("This field is required.").count() >= 4,
        "{}",
        r.body
    );

    // A clinician's tumour form with a bad site code keeps its values.
    let (clin, _) = person(&app, "clinician", "LY-BEN-PED").await;
    b.jar.insert("lang".into(), "ar".into());
    let csrf = b.csrf().await;
    let ok = post_owned(
        &mut b,
        "/desk/patients",
        &registration(&csrf, "219730412345", "1973-04-12"),
    )
    .await;
    let patient = ok
        .location()
        .trim_start_matches("/desk/patients/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let mut c = Browser::signed_in(&app, &clin).await;
    let csrf = c.csrf().await;
    let r = c
        .post(
            &format!("/desk/patients/{patient}/tumours"),
            &[
                ("csrf", &csrf),
                ("icd10", "C50.4"),
                ("topography", "X99"),
                ("morphology", "8500"),
                ("behaviour", "3"),
                ("basis", "7"),
                ("incidence", "2025-09-03"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("value=\"X99\""));
    assert!(r.body.contains("id=\"tu-topography-error\""), "{}", r.body);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM tumours").await, 0);
}

#[tokio::test]
async fn arabic_indic_digits_are_accepted_in_identifiers_dates_and_numbers() {
    let app = TestApp::new(Backend::Sqlite).await;
    let mut w = world(&app).await;
    let p = w.patient.clone();
    let record = w.registrar.get(&format!("/desk/patients/{p}")).await;
    assert_eq!(record.status, StatusCode::OK);
    assert!(record.body.contains("219730412345"));
    assert!(record.body.contains("1973-04-12"));
    // The tumour typed as ٨٥٠٠/٣ on ٢٠٢٥-٠٩-٠٣ and the quantity ٣٠.
    assert!(record.body.contains("8500/3"), "{}", record.body);
    assert!(record.body.contains("2025-09-03"));
    let (quantity,): (i64,) = sqlx::query_as("SELECT quantity FROM medicine_authorisations")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(quantity, 30);
    // Search by identifier in Eastern Arabic-Indic digits.
    let found = w
        .registrar
        .get("/desk/patients?id_type=national&identifier=۲۱۹۷۳۰۴۱۲۳۴۵")
        .await;
    assert!(
        found.body.contains(&format!("/desk/patients/{p}")),
        "{}",
        found.body
    );
    // And by name, Arabic or Latin.
    let found = w.clinician.get("/desk/patients?name=فاطمه").await;
    assert!(found.body.contains(&format!("/desk/patients/{p}")));
    let found = w.clinician.get("/desk/patients?name=Fatima").await;
    assert!(found.body.contains(&format!("/desk/patients/{p}")));
}

#[tokio::test]
async fn every_read_of_patient_data_on_a_page_is_audited_as_the_api_audits_it() {
    let app = TestApp::new(Backend::Sqlite).await;
    let mut w = world(&app).await;
    let p = w.patient.clone();
    let compact = w.serial.clone();

    let before = audited(&app, "patient.read", &p).await;
    w.registrar.get(&format!("/desk/patients/{p}")).await;
    w.clinician.get(&format!("/desk/patients/{p}")).await;
    assert_eq!(audited(&app, "patient.read", &p).await, before + 2);

    let before = audited(&app, "patient.search", &p).await;
    w.registrar.get("/desk/patients?name=Fatima").await;
    w.registrar
        .get("/desk/patients?identifier=219730412345")
        .await;
    assert_eq!(audited(&app, "patient.search", &p).await, before + 2);

    let (tumour,): (String,) = sqlx::query_as("SELECT id FROM tumours")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let before = audited(&app, "record.history", &tumour).await;
    w.clinician
        .get(&format!("/desk/records/tumours/{tumour}"))
        .await;
    assert_eq!(audited(&app, "record.history", &tumour).await, before + 1);

    let before = audited(&app, "card.read", &compact).await;
    let bytes = w
        .registrar
        .get(&format!("/desk/cards/{compact}/card"))
        .await;
    assert_eq!(bytes.status, StatusCode::OK);
    assert!(bytes.body.starts_with("{\"card\":\""));
    assert_eq!(audited(&app, "card.read", &compact).await, before + 1);
    // Only registrars get a card's bytes.
    assert_eq!(
        w.clinician
            .get(&format!("/desk/cards/{compact}/card"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    let (auth,): (i64,) = sqlx::query_as("SELECT id FROM medicine_authorisations")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let status_before = audited(&app, "card.status", &compact).await;
    let reads_before = audited(&app, "dispensing.read", &auth.to_string()).await;
    let csrf = w.pharmacist.csrf().await;
    let qr = w.qr.clone();
    w.pharmacist
        .post("/desk/pharmacy/scan", &[("csrf", &csrf), ("qr", &qr)])
        .await;
    assert_eq!(
        audited(&app, "card.status", &compact).await,
        status_before + 1
    );
    assert_eq!(
        audited(&app, "dispensing.read", &auth.to_string()).await,
        reads_before + 1
    );

    let before = count(
        &app,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'audit.read'",
    )
    .await;
    w.auditor.get("/desk/audit").await;
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'audit.read'"
        )
        .await,
        before + 1
    );
}

#[tokio::test]
async fn the_language_switch_sets_a_cookie_that_survives_navigation_and_sign_in() {
    let app = TestApp::new(Backend::Sqlite).await;
    let (user, _) = person(&app, "registrar", "LY-BEN-PED").await;
    let mut b = Browser::new(&app);
    let login = b.get("/desk/login").await;
    assert!(login.body.contains("<html lang=\"ar\" dir=\"rtl\">"));
    assert!(
        login
            .body
            .contains("href=\"/desk/lang?to=en&#38;back=/desk/login\""),
        "{}",
        login.body
    );
    let switched = b.get("/desk/lang?to=en&back=/desk/login").await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    assert_eq!(switched.location(), "/desk/login");
    assert_eq!(b.jar["lang"], "en");
    let login = b.get("/desk/login").await;
    assert!(login.body.contains("<html lang=\"en\" dir=\"ltr\">"));
    let csrf = login.csrf();
    b.post(
        "/desk/login",
        &[("csrf", &csrf), ("username", &user), ("password", PASSWORD)],
    )
    .await;
    let home = b.get("/desk/patients/new").await;
    assert!(home.body.contains("<html lang=\"en\" dir=\"ltr\">"));
    assert!(home.body.contains("Register a new patient"));
    b.get("/desk/lang?to=ar&back=/desk/patients/new").await;
    let page = b.get("/desk/patients/new").await;
    assert!(page.body.contains("<html lang=\"ar\" dir=\"rtl\">"));
    assert!(page.body.contains("تسجيل مريض جديد"));
    // Only paths under /desk/ are followed.
    for back in [
        "//evil.example/",
        "https://evil.example/",
        "/api/v1/users",
        "/desk/\r\nSet-Cookie: x=1",
    ] {
        let r = b.get(&format!("/desk/lang?to=en&back={}", enc(back))).await;
        assert_eq!(r.location(), "/desk/", "{back}");
    }
}

#[tokio::test]
async fn the_pharmacy_page_dispenses_once_and_refuses_clearly() {
    let app = TestApp::new(Backend::Sqlite).await;
    let mut w = world(&app).await;
    let csrf = w.pharmacist.csrf().await;
    let qr = w.qr.clone();
    let page = w
        .pharmacist
        .post("/desk/pharmacy/scan", &[("csrf", &csrf), ("qr", &qr)])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("فاطمة محمد عبدالله المنصوري"));
    assert!(page.body.contains("tamoxifen"));
    assert!(page.body.contains("0 / 3"));
    let (auth,): (i64,) = sqlx::query_as("SELECT id FROM medicine_authorisations")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let key = {
        let at = page.body.find("name=\"key\" value=\"").unwrap();
        let rest = &page.body[at + 18..];
        rest[..rest.find('"').unwrap()].to_string()
    };
    let form = |key: &str| {
        vec![
            ("csrf".to_string(), csrf.clone()),
            ("qr".to_string(), qr.clone()),
            ("authorisation".to_string(), auth.to_string()),
            ("quantity".to_string(), "٣٠".to_string()),
            ("key".to_string(), key.to_string()),
        ]
    };
    let done = post_owned(&mut w.pharmacist, "/desk/pharmacy/dispense", &form(&key)).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("سُجّل الصرف"));
    assert!(done.body.contains("1 / 3"));
    // The same form submitted again records nothing new.
    let again = post_owned(&mut w.pharmacist, "/desk/pharmacy/dispense", &form(&key)).await;
    assert!(again.body.contains("مسجّل مسبقاً"), "{}", again.body);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM dispensings").await, 1);
    // A fresh form for the same medicine the same day is refused: too soon.
    let refused = post_owned(
        &mut w.pharmacist,
        "/desk/pharmacy/dispense",
        &form("another-key-0001"),
    )
    .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused.body.contains("لم تمضِ المدة المطلوبة"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("[too_soon]"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM dispensings").await, 1);

    // A revoked card is refused by the verifier, before any dispensing.
    let csrf_r = w.registrar.csrf().await;
    let serial = w.serial.clone();
    let p = w.patient.clone();
    let r = w
        .registrar
        .post(
            &format!("/desk/cards/{serial}/revoke"),
            &[("csrf", &csrf_r), ("reason", "lost"), ("patient", &p)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    w.pharmacist.jar.insert("lang".into(), "en".into());
    let refused = w
        .pharmacist
        .post("/desk/pharmacy/scan", &[("csrf", &csrf), ("qr", &qr)])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("The card is revoked."),
        "{}",
        refused.body
    );

    // Garbage QR text, a photo that is not an image, and an oversized upload.
    let bad = w
        .pharmacist
        .post("/desk/pharmacy/scan", &[("csrf", &csrf), ("qr", "hello")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let boundary = "XyZ";
    let multipart = |photo: &[u8]| {
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.png\"\r\n\
             Content-Type: image/png\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(photo);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        body
    };
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let r = w
        .pharmacist
        .send(
            Method::POST,
            "/desk/pharmacy/photo",
            Some((multipart(b"not an image"), &content_type)),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("not a readable PNG or JPEG"), "{}", r.body);
    let big = "a".repeat(6 * 1024 * 1024);
    let r = w
        .pharmacist
        .send(
            Method::POST,
            "/desk/pharmacy/photo",
            Some((multipart(big.as_bytes()), &content_type)),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(r.body.contains("too large"));

    // 8000 × 8000 pixels (a 64-megapixel blank, well under 5 MB as a PNG) cost seconds of
    // decoding: it is refused from its header, past 16 megapixels.
    let mut png = Vec::new();
    image::GrayImage::from_pixel(8_000, 8_000, image::Luma([255]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    assert!(png.len() < 5 * 1024 * 1024, "{} bytes", png.len());
    let r = w
        .pharmacist
        .send(
            Method::POST,
            "/desk/pharmacy/photo",
            Some((multipart(&png), &content_type)),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("16 megapixels"), "{}", r.body);
}

#[tokio::test]
async fn unknown_ids_get_a_clear_page() {
    let app = TestApp::new(Backend::Sqlite).await;
    let mut w = world(&app).await;
    let r = w.registrar.get("/desk/patients/nosuchpatient").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("غير موجود"));
    let r = w.clinician.get("/desk/records/tumours/nosuch").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = w.clinician.get("/desk/records/kittens/nosuch").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let csrf = w.registrar.csrf().await;
    let r = w
        .registrar
        .post("/desk/patients/nosuchpatient/cards", &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM cards").await, 1);
}

#[tokio::test]
async fn a_clinician_corrects_a_record_with_a_reason_and_sees_its_history() {
    let app = TestApp::new(Backend::Sqlite).await;
    let mut w = world(&app).await;
    let (tumour,): (String,) = sqlx::query_as("SELECT id FROM tumours")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let uri = format!("/desk/records/tumours/{tumour}");
    let page = w.clinician.get(&uri).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("value=\"C50.4\""));
    let csrf = page.csrf();
    let mut fields: Vec<(String, String)> = [
        ("csrf", csrf.as_str()),
        ("version", "1"),
        ("icd10", "C50.9"),
        ("topography", "C50.9"),
        ("morphology", "8500"),
        ("behaviour", "3"),
        ("basis", "7"),
        ("incidence", "2025-09-03"),
        ("reason", ""),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    // Without a reason: refused beside the reason field, values kept.
    let r = post_owned(&mut w.clinician, &uri, &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"co-reason-error\""));
    assert!(r.body.contains("value=\"C50.9\""));
    fields.last_mut().unwrap().1 = "site was coded too precisely".into();
    let r = post_owned(&mut w.clinician, &uri, &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = w.clinician.get(&uri).await;
    assert!(page.body.contains("site was coded too precisely"));
    assert!(page.body.contains("value=\"C50.9\""));
    // The same (now stale) version again: a conflict, nothing changed.
    let r = post_owned(&mut w.clinician, &uri, &fields).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(count(&app, "SELECT version FROM tumours").await, 2);
    // Registrars may not correct.
    let csrf = w.registrar.csrf().await;
    fields[0].1 = csrf;
    let r = post_owned(&mut w.registrar, &uri, &fields).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_auditor_filters_pages_and_verifies_the_chain() {
    let app = TestApp::new(Backend::Sqlite).await;
    let mut w = world(&app).await;
    let p = w.patient.clone();
    let r = w
        .auditor
        .get(&format!(
            "/desk/audit?entity_id={p}&action=patient.create&verify=1"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("patient.create"));
    assert!(!r.body.contains("tumour.create"));
    assert!(r.body.contains("id=\"chain\""));
    assert!(r.body.contains("السلسلة سليمة"));
    let r = w
        .auditor
        .get("/desk/audit?from=٢٠٢٦-٠٦-٠١&until=2026-06-02")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("card.issue"));
    let r = w.auditor.get("/desk/audit?from=yesterday").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"a-from-error\""));
    let _ = patient_body("x");
}

#[tokio::test]
async fn a_registrar_downloads_the_printable_card_and_others_cannot() {
    let app = TestApp::new(Backend::Sqlite).await;
    let mut w = world(&app).await;
    let compact = w.serial.clone();
    let before = audited(&app, "card.read", &compact).await;
    let pdf = w.registrar.get(&format!("/desk/cards/{compact}/pdf")).await;
    assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.body);
    assert_eq!(pdf.headers["content-type"], "application/pdf");
    assert!(pdf.body.starts_with("%PDF-"));
    assert!(pdf.headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"card-"));
    assert_eq!(audited(&app, "card.read", &compact).await, before + 1);
    assert_eq!(
        w.clinician
            .get(&format!("/desk/cards/{compact}/pdf"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        w.pharmacist
            .get(&format!("/desk/cards/{compact}/pdf"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // A superseded card is not printed: a new card for the patient replaces it.
    let csrf = w.registrar.csrf().await;
    let p = w.patient.clone();
    let reissued = w
        .registrar
        .post(&format!("/desk/patients/{p}/cards"), &[("csrf", &csrf)])
        .await;
    assert_eq!(reissued.status, StatusCode::SEE_OTHER, "{}", reissued.body);
    let superseded = w.registrar.get(&format!("/desk/cards/{compact}/pdf")).await;
    assert_eq!(
        superseded.status,
        StatusCode::CONFLICT,
        "{}",
        superseded.body
    );
    assert!(superseded.body.contains("لا تُطبع إلا البطاقة السارية"));
    // A revoked card is not printed.
    w.registrar
        .post(
            &format!("/desk/cards/{compact}/revoke"),
            &[("csrf", &csrf), ("reason", "stolen"), ("patient", &p)],
        )
        .await;
    let refused = w.registrar.get(&format!("/desk/cards/{compact}/pdf")).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.body.contains("لا تُطبع إلا البطاقة السارية"));
}

#[tokio::test]
async fn a_rare_tumour_is_shown_with_its_check_and_kept_once_confirmed() {
    let app = TestApp::new(Backend::Sqlite).await;
    let (registrar, _) = person(&app, "registrar", "LY-BEN-PED").await;
    let (clinician, _) = person(&app, "clinician", "LY-BEN-PED").await;
    let mut r = Browser::signed_in(&app, &registrar).await;
    let csrf = r.csrf().await;
    let done = post_owned(
        &mut r,
        "/desk/patients",
        &registration(&csrf, "219730412345", "1973-04-12"),
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let patient = done
        .location()
        .trim_start_matches("/desk/patients/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let mut c = Browser::signed_in(&app, &clinician).await;
    let csrf = c.csrf().await;
    let url = format!("/desk/patients/{patient}/tumours");
    // A retinoblastoma at 52: rare for the IARC age/site/histology rules.
    let fields = [
        ("csrf", csrf.as_str()),
        ("icd10", "C69.2"),
        ("topography", "C69.2"),
        ("morphology", "9510"),
        ("behaviour", "3"),
        ("grade", "9"),
        ("basis", "7"),
        ("incidence", "2025-09-03"),
    ];
    let page = c.post(&url, &fields).await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(page.body.contains("فحوص السجل (IARC)"), "{}", page.body);
    assert!(
        page.body
            .contains("name=\"confirm.age_topography_morphology\""),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("العمر 52"),
        "the Arabic message: {}",
        page.body
    );
    assert!(
        page.body.contains("value=\"9510\""),
        "what was typed is kept"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM tumours").await, 0);

    let mut confirmed = fields.to_vec();
    confirmed.push(("confirm.age_topography_morphology", "1"));
    let saved = c.post(&url, &confirmed).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM tumours").await, 1);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM record_confirmations WHERE check_code = 'age_topography_morphology'"
        )
        .await,
        1
    );
    // The record shows what the multiple-primary rules decided.
    let page = c.get(&format!("/desk/patients/{patient}")).await;
    assert!(
        page.body.contains("أولي متعدد (IARC 2004)"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("ورم أولي جديد (first_tumour)"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn the_recheck_page_lists_stored_tumours_that_fail_for_registrars_and_auditors() {
    let app = TestApp::new(Backend::Sqlite).await;
    let staff = crate::support::Staff::hire(&app).await;
    let (patient, tumour) = crate::support::patient_with_tumour(&app, &staff).await;
    let (registrar, _) = person(&app, "registrar", "LY-BEN-PED").await;
    let mut r = Browser::signed_in(&app, &registrar).await;
    let page = r.get("/desk/recheck").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("كل الأورام المسجلة تجتاز الفحوص."),
        "{}",
        page.body
    );

    // Entered before the checks: a prostate carcinoma on a woman's record.
    sqlx::query("UPDATE tumours SET topography = 'C61.9', icd10 = 'C61' WHERE id = $1")
        .bind(&tumour)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let page = r.get("/desk/recheck").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&tumour), "{}", page.body);
    assert!(page.body.contains("sex_topography"), "{}", page.body);
    assert!(page
        .body
        .contains(&format!("/desk/patients/{patient}#tumours")));
    assert!(page.body.contains("LY-BEN-PED"), "the facility");
    assert_security_headers(&page, "/desk/recheck");
    assert_eq!(audited(&app, "registry.recheck", "tumours").await, 2);

    let (pharmacist, _) = person(&app, "pharmacist", "LY-BEN-PED").await;
    let mut p = Browser::signed_in(&app, &pharmacist).await;
    assert_eq!(p.get("/desk/recheck").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_death_recorded_on_the_record_page_revokes_the_card() {
    let app = TestApp::new(Backend::Sqlite).await;
    let mut w = world(&app).await;
    let record = format!("/desk/patients/{}", w.patient);
    let page = w.clinician.get(&record).await;
    assert!(
        page.body.contains("المتابعة والحالة الحيوية"),
        "{}",
        page.body
    );
    let csrf = w.clinician.csrf().await;
    let url = format!("{record}/follow-ups");
    let today =
        card_format::model::Date::from_unix_seconds(crate::support::START as u64).to_string();
    // A death without its cause: the field is marked, in Arabic, and nothing changes.
    let refused = w
        .clinician
        .post(
            &url,
            &[
                ("csrf", &csrf),
                ("last_contact", &today),
                ("vital_status", "dead"),
                ("death_date", &today),
            ],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("id=\"fu-death_cause-error\""),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("رمز ICD-10 مثل C91.0"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM follow_ups").await, 0);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM cards WHERE status = 'active'").await,
        1
    );

    let saved = w
        .clinician
        .post(
            &url,
            &[
                ("csrf", &csrf),
                ("last_contact", &today),
                ("vital_status", "dead"),
                ("death_date", &today),
                ("death_cause", "c50.9"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let page = w.clinician.get(saved.location()).await;
    assert!(
        page.body.contains("الوفاة تلغي بطاقات المريض"),
        "{}",
        page.body
    );
    assert!(page.body.contains("C50.9"), "the cause, upper-cased");
    let (status, reason): (String, Option<String>) =
        sqlx::query_as("SELECT status, revoked_reason FROM cards WHERE serial = $1")
            .bind(&w.serial)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(
        (status.as_str(), reason.as_deref()),
        ("revoked", Some("deceased"))
    );
    // A pharmacist may not record follow-up.
    let csrf = w.pharmacist.csrf().await;
    let forbidden = w
        .pharmacist
        .post(
            &url,
            &[
                ("csrf", &csrf),
                ("last_contact", &today),
                ("vital_status", "alive"),
            ],
        )
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
}

mod import;
mod supply;

/// The administrator's page (issue #15): requests, users, facilities and the trust bundle in
/// one page; a second admin approves at the desk what the first asked for through the API;
/// a user made at the desk waits, its token shown once; disabling, asking to enable and
/// revoking a token; other roles get 403.
#[tokio::test]
async fn the_admin_page_approves_disables_and_revokes() {
    let app = TestApp::new(Backend::Sqlite).await;
    let (admin, _) = person(&app, "admin", "LY-MOH").await;
    let mut b = Browser::signed_in(&app, &admin).await;
    let page = b.get("/desk/admin").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for section in [
        "id=\"requests\"",
        "id=\"users\"",
        "id=\"facilities\"",
        "id=\"trust\"",
    ] {
        assert!(page.body.contains(section), "{section}");
    }
    assert!(
        page.body.contains("LY-BEN-PED"),
        "the issuing site's key and facility"
    );
    assert!(
        page.body.contains("href=\"/desk/admin\""),
        "the admin's menu"
    );

    // The first admin asks through the API; the desk's admin approves.
    let (status, asked) = app.create_user("clinician", "LY-BEN-PED").await;
    assert_eq!(status, StatusCode::CREATED, "{asked}");
    let token = asked["token"].as_str().unwrap().to_string();
    let approval = asked["approval"]["id"].as_str().unwrap().to_string();
    let page = b.get("/desk/admin").await;
    assert!(page
        .body
        .contains(&format!("/desk/admin/approvals/{approval}/approve")));
    let csrf = page.csrf();
    let done = b
        .post(
            &format!("/desk/admin/approvals/{approval}/approve"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), "/desk/admin?done=approved");
    let (status, _) = app
        .call(Method::GET, "/api/v1/patients?name=x", &token, None)
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the approved clinician's token works"
    );
    let again = b
        .post(
            &format!("/desk/admin/approvals/{approval}/approve"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    // A user made at the desk: its token once, waiting; its own request has no buttons.
    let made = b
        .post(
            "/desk/admin/users",
            &[
                ("csrf", &csrf),
                ("username", "desk.made"),
                ("display_name", "Made at the desk"),
                ("role", "registrar"),
                ("facility_code", "LY-BEN-PED"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    assert!(
        made.body.contains("id=\"made-token\">lyr_"),
        "{}",
        made.body
    );
    assert!(made.body.contains("id=\"made-waits\""));
    let (_, pending) = app
        .call(Method::GET, "/api/v1/approvals", &app.admin2, None)
        .await;
    let own = pending
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "user.create")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!made
        .body
        .contains(&format!("/desk/admin/approvals/{own}/approve")));
    let mine = b
        .post(
            &format!("/desk/admin/approvals/{own}/approve"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(mine.status, StatusCode::CONFLICT, "own request");
    let bad = b
        .post(
            "/desk/admin/users",
            &[
                ("csrf", &csrf),
                ("username", "X"),
                ("display_name", "x"),
                ("role", "clinician"),
                ("facility_code", "LY-BEN-PED"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Disable the approved clinician, ask to enable again; revoke its token.
    let clinician = asked["user"]["id"].as_str().unwrap();
    let off = b
        .post(
            &format!("/desk/admin/users/{clinician}/disable"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(off.location(), "/desk/admin?done=disabled");
    let (status, _) = app
        .call(Method::GET, "/api/v1/patients?name=x", &token, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let on = b
        .post(
            &format!("/desk/admin/users/{clinician}/enable"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(on.location(), "/desk/admin?done=requested");
    let tokens = b.get(&format!("/desk/admin/users/{clinician}")).await;
    assert_eq!(tokens.status, StatusCode::OK);
    let token_id = asked["token_id"].as_str().unwrap();
    assert!(tokens.body.contains(token_id));
    assert!(!tokens.body.contains(&token), "never the token itself");
    let revoked = b
        .post(
            &format!("/desk/admin/tokens/{token_id}/revoke"),
            &[("csrf", &csrf), ("user", clinician)],
        )
        .await;
    assert_eq!(
        revoked.location(),
        format!("/desk/admin/users/{clinician}?done=revoked")
    );
    let (status, listed) = app
        .call(
            Method::GET,
            &format!("/api/v1/users/{clinician}/tokens"),
            &app.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(listed[0]["revoked_at"].is_i64(), "{listed}");
    let no_csrf = b
        .post(&format!("/desk/admin/users/{clinician}/disable"), &[])
        .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);

    // Other roles: 403.
    let (registrar, _) = person(&app, "registrar", "LY-BEN-PED").await;
    let mut r = Browser::signed_in(&app, &registrar).await;
    assert_eq!(r.get("/desk/admin").await.status, StatusCode::FORBIDDEN);
    assert!(!r.get("/desk/").await.body.contains("/desk/admin"));
}
