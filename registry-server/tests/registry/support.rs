//! A registry in-process on a real database: SQLite in a temporary file, or PostgreSQL in a
//! fresh schema when `TEST_POSTGRES_URL` is set. Requests go through the real router with
//! `oneshot`.

use std::path::PathBuf;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use card_format::SoftwareKey;
use http_body_util::BodyExt;
use registry_server::db::{self, Backend, DbOptions};
use registry_server::domain::{Clock, Registry, Settings};
use registry_server::signing::Signing;
use serde_json::{json, Value};
use tower::ServiceExt;

/// 2026-06-01T00:00:00Z: where the test clock starts.
pub const START: i64 = 1_780_272_000;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(fixtures().join(path)).unwrap()
}

/// The test signing keys of `fixtures/` (read directly: a fresh clone has them 0644, which
/// the server's own loader rightly refuses).
pub fn signing() -> Signing {
    let cert = |p: &str| hex::decode(read(p).trim()).unwrap();
    Signing::new(
        Box::new(SoftwareKey::from_pkcs8_pem(&read("keys/issuer-benghazi.key.pem")).unwrap()),
        cert("trust/issuer-benghazi.cert.hex"),
        Box::new(SoftwareKey::from_pkcs8_pem(&read("keys/list-signer.key.pem")).unwrap()),
        cert("trust/list-signer.cert.hex"),
        card_format::PublicKey::from_pem(&read("keys/root.pub.pem")).unwrap(),
    )
    .unwrap()
}

/// The backends to run on: SQLite always, PostgreSQL when `TEST_POSTGRES_URL` is set (and a
/// failure naming PostgreSQL when it is not but the real stack is required).
pub fn backends() -> Vec<Backend> {
    let mut all = vec![Backend::Sqlite];
    if testkit::postgres_url().is_some() {
        all.push(Backend::Postgres);
    }
    all
}

fn unique(prefix: &str) -> String {
    format!("{prefix}_{}", registry_server::auth::new_id())
}

/// Options for a fresh database of `backend`.
pub fn fresh_db(backend: Backend) -> DbOptions {
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join("registry-tests");
            std::fs::create_dir_all(&dir).unwrap();
            DbOptions {
                url: format!(
                    "sqlite:{}?mode=rwc",
                    dir.join(format!("{}.sqlite", unique("t"))).display()
                ),
                max_connections: 1,
                pg_schema: None,
            }
        }
        Backend::Postgres => DbOptions {
            url: testkit::postgres_url().expect("TEST_POSTGRES_URL"),
            max_connections: 8,
            pg_schema: Some(unique("t")),
        },
    }
}

/// One registry instance.
pub struct TestApp {
    /// The router.
    pub router: Router,
    /// Its state (clock, database).
    pub state: Registry,
    /// The first admin's token.
    pub admin: String,
    /// A second admin's token, who approves what the first asks for (empty on a second
    /// instance).
    pub admin2: String,
    /// How to connect a second instance to the same database.
    pub db_options: DbOptions,
}

impl TestApp {
    /// A registry on a fresh database.
    pub async fn new(backend: Backend) -> TestApp {
        TestApp::on(fresh_db(backend), true).await
    }

    /// A registry on the database `options` (a second instance when `first` is false).
    pub async fn on(options: DbOptions, first: bool) -> TestApp {
        let db = db::connect(&options).await.unwrap_or_else(|e| {
            let which = if options.url.starts_with("postgres") {
                "PostgreSQL at TEST_POSTGRES_URL"
            } else {
                "SQLite"
            };
            panic!(
                "{which} is not usable ({e}); scripts/test.sh starts PostgreSQL \
                 (pg_ctlcluster --skip-systemctl-redirect VERSION main start)"
            )
        });
        // Tests move the clock by months and years: tokens live ten years here (the
        // credentials test works at the edge of whatever lifetime is set).
        let settings = Settings {
            token_lifetime_days: 3650,
            ..Settings::default()
        };
        let state = registry_server::app::prepare(db, signing(), settings, Clock::fixed(START))
            .await
            .unwrap();
        let admin = if first {
            registry_server::app::first_admin(&state)
                .await
                .unwrap()
                .unwrap()
        } else {
            String::new()
        };
        let mut app = TestApp {
            router: registry_server::server::app(state.clone()),
            state,
            admin,
            admin2: String::new(),
            db_options: options,
        };
        if first {
            // While the registry has one admin, the first admin makes the second at once.
            let (status, body) = app.create_user("admin", "LY-MOH").await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            assert!(body["approval"].is_null(), "{body}");
            app.admin2 = body["token"].as_str().unwrap().to_string();
        }
        app
    }

    /// Asks for a new user with `role` at `facility` as the first admin: the answer.
    pub async fn create_user(&self, role: &str, facility: &str) -> (StatusCode, Value) {
        self.call(
            Method::POST,
            "/api/v1/users",
            &self.admin,
            Some(json!({
                "username": unique(role).to_lowercase().chars().take(30).collect::<String>(),
                "display_name": format!("Test {role}"),
                "role": role,
                "facility_code": facility,
            })),
        )
        .await
    }

    /// The first admin's user id.
    pub async fn admin_id(&self) -> String {
        let (_, users) = self
            .call(Method::GET, "/api/v1/users", &self.admin, None)
            .await;
        users
            .as_array()
            .and_then(|all| all.iter().find(|u| u["username"] == "admin"))
            .and_then(|u| u["id"].as_str())
            .expect("the first admin in the users")
            .to_string()
    }

    /// The second admin approves the request in `answer["approval"]` (if any).
    pub async fn approve(&self, approval: &Value) {
        if approval.is_null() {
            return;
        }
        let id = approval["id"].as_str().expect("an approval id");
        let (status, body) = self
            .call(
                Method::POST,
                &format!("/api/v1/approvals/{id}/approve"),
                &self.admin2,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    /// Sends a request; returns the status and the JSON body (or the text as a JSON string,
    /// or null when empty).
    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let (status, bytes, _) = self
            .raw(
                method,
                uri,
                token,
                body.map(|b| b.to_string().into_bytes()),
                &[],
            )
            .await;
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        (status, value)
    }

    /// Sends a request with a raw body and extra headers; returns status, body and headers.
    /// A body goes as `application/json` unless `headers` name a Content-Type.
    pub async fn raw(
        &self,
        method: Method,
        uri: &str,
        token: &str,
        body: Option<Vec<u8>>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Vec<u8>, axum::http::HeaderMap) {
        let mut req = Request::builder().method(method).uri(uri);
        if !token.is_empty() {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        let typed = headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
        if body.is_some() && !typed {
            req = req.header("content-type", "application/json");
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(body.map_or_else(Body::empty, Body::from)).unwrap();
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        (status, bytes, headers)
    }

    /// A new user with `role` at `facility`, approved by the second admin; returns its
    /// token.
    pub async fn user(&self, role: &str, facility: &str) -> String {
        let (status, body) = self.create_user(role, facility).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        self.approve(&body["approval"]).await;
        body["token"].as_str().unwrap().to_string()
    }

    /// A pharmacy facility; returns its code.
    pub async fn pharmacy(&self, code: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/facilities",
                &self.admin,
                Some(json!({"code": code, "name": "Test pharmacy", "region": "east", "kind": "pharmacy"})),
            )
            .await;
        assert!(
            status == StatusCode::CREATED || status == StatusCode::CONFLICT,
            "{body}"
        );
        code.to_string()
    }
}

/// Tokens of one user per role.
pub struct Staff {
    /// Registrar at the issuing site.
    pub registrar: String,
    /// Clinician at the issuing site.
    pub clinician: String,
    /// Pharmacist at a pharmacy.
    pub pharmacist: String,
    /// Insurer.
    pub insurer: String,
    /// Auditor at the ministry.
    pub auditor: String,
    /// Statistician at the ministry (aggregates only).
    pub statistician: String,
}

impl Staff {
    /// Creates one user per role.
    pub async fn hire(app: &TestApp) -> Staff {
        let pharmacy = app.pharmacy("LY-BEN-PH1").await;
        Staff {
            registrar: app.user("registrar", "LY-BEN-PED").await,
            clinician: app.user("clinician", "LY-BEN-PED").await,
            pharmacist: app.user("pharmacist", &pharmacy).await,
            insurer: app.user("insurer", "LY-MOH").await,
            auditor: app.user("auditor", "LY-MOH").await,
            statistician: app.user("statistician", "LY-MOH").await,
        }
    }
}

/// A registration body for a woman born in 1973 with national number `id`.
pub fn patient_body(id: &str) -> Value {
    json!({
        "id_type": "national",
        "id_value": id,
        "name_ar": ["فاطمة", "محمد", "عبدالله", "المنصوري"],
        "name_latin": ["Fatima", "Mohamed", "Abdullah", "Almansouri"],
        "sex": "female",
        "birth_date": "1973-04-12",
        "blood_group": "A+",
    })
}

/// A breast tumour.
pub fn tumour_body() -> Value {
    json!({
        "icd10": "C50.4", "topography": "C50.4", "morphology": 8500, "behaviour": 3, "grade": 2,
        "basis": 7, "incidence": "2025-09-03",
        "stage": {"scheme": "tnm8", "t": "T2", "n": "N1", "m": "M0", "group": "IIB"}
    })
}

/// An authorisation of `dispensings` dispensings of 30 tablets, `interval` days apart.
pub fn medicine_body(dispensings: u32, interval: u32) -> Value {
    json!({
        "atc": "L02BA01", "name": "tamoxifen", "strength": "20 mg", "form": "tablet",
        "quantity": 30, "dispensings": dispensings, "interval_days": interval,
        "valid_until": "2027-06-30"
    })
}

/// The registry's trust bundle, verified into a store as a `trust sync` would.
pub async fn bundle_store(app: &TestApp) -> card_format::TrustStore {
    let (status, bytes, _) = app
        .raw(
            axum::http::Method::GET,
            "/api/v1/trust-bundle",
            "",
            None,
            &[],
        )
        .await;
    assert_eq!(status, axum::http::StatusCode::OK);
    card_format::TrustStore::from_bundle(
        app.state.signing.root.clone(),
        &bytes,
        card_format::trust::MAX_BUNDLE_LEN,
    )
    .unwrap()
}

/// Registers a patient from `body` (a registration) as the registrar; the answer.
pub async fn register_patient(app: &TestApp, staff: &Staff, body: Value) -> Value {
    let (status, answer) = app
        .call(
            axum::http::Method::POST,
            "/api/v1/patients",
            &staff.registrar,
            Some(body),
        )
        .await;
    assert_eq!(status, axum::http::StatusCode::CREATED, "{answer}");
    answer
}

/// The support patient registered with the support breast tumour: (patient id, tumour id).
pub async fn patient_with_tumour(app: &TestApp, staff: &Staff) -> (String, String) {
    let answer = register_patient(app, staff, patient_body("219730412345")).await;
    let patient = answer["patient"]["id"].as_str().unwrap().to_string();
    let (status, body) = app
        .call(
            axum::http::Method::POST,
            &format!("/api/v1/patients/{patient}/tumours"),
            &staff.clinician,
            Some(tumour_body()),
        )
        .await;
    assert_eq!(status, axum::http::StatusCode::CREATED, "{body}");
    (patient, body["id"].as_str().unwrap().to_string())
}
