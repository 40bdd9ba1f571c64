//! The role matrix: every route of the API, called by every role, with no token and with a
//! garbage token, on SQLite and (with `TEST_POSTGRES_URL`) PostgreSQL.
//!
//! [`MATRIX`] is the single statement of who may call what. Without a valid token a caller
//! gets 401 (except on the public routes); a role not listed gets 403 with the problem code
//! `forbidden` before its path, query or body is looked at (an invalid body is refused with
//! the same 403), and such a refusal writes nothing, not even an audit entry; a listed role gets
//! through (and, with the real ids and valid bodies used here, succeeds).

use crate::support::{backends, medicine_body, patient_body, tumour_body, Staff, TestApp, START};
use axum::http::{Method, StatusCode};
use registry_server::auth::Role;
use serde_json::{json, Value};

/// Who may call a route.
#[derive(Debug, Clone, Copy)]
enum Access {
    /// Anyone, without a token.
    Public,
    /// Any signed-in user, whatever the role.
    SignedIn,
    /// Only these roles.
    Only(&'static [Role]),
}

use Access::{Only, Public, SignedIn};

const ADMIN: &[Role] = &[Role::Admin];
const REGISTRAR: &[Role] = &[Role::Registrar];
const CLINICIAN: &[Role] = &[Role::Clinician];
const PHARMACIST: &[Role] = &[Role::Pharmacist];
const AUDITOR: &[Role] = &[Role::Auditor];
/// Registrars and clinicians read patients and records.
const READERS: &[Role] = &[Role::Registrar, Role::Clinician];
/// Histories: auditors, and the registrars and clinicians who keep the records.
const HISTORY: &[Role] = &[Role::Registrar, Role::Clinician, Role::Auditor];
/// Card status, for claims and pharmacies (no patient data).
const CARD_STATUS: &[Role] = &[Role::Insurer, Role::Pharmacist, Role::Registrar];
/// Dispensings are read by pharmacists and by the prescribing side.
const DISPENSING_READERS: &[Role] = &[Role::Pharmacist, Role::Clinician];
/// Offline dispensings flagged for review: the ministry's auditors and the prescribing side
/// (not admins, who see no patient data; not pharmacists, who would see every pharmacy's).
const CONFLICT_REVIEWERS: &[Role] = &[Role::Clinician, Role::Auditor];
/// The registry's aggregate statistics: its registrars and the ministry's statisticians. The
/// statistician appears nowhere else in this table: no route that returns a person's data
/// admits that role.
const STATISTICS: &[Role] = &[Role::Registrar, Role::Statistician];
/// Stock is read by the facility's pharmacists and the ministry's supply officers (who see
/// every facility's, and never a patient).
const STOCK_READERS: &[Role] = &[Role::Pharmacist, Role::SupplyOfficer];
/// Published issuer keys are listed for admins and auditors.
const ISSUER_READERS: &[Role] = &[Role::Admin, Role::Auditor];

/// THE table: method, route, who may call it. `{name}` placeholders are replaced by ids of
/// records made by [`Fixture::make`] (`*_w` ones are withdrawn, `patient_issue` gets a new
/// card, `card_revoke` is revoked, so the other ids stay usable for every later call).
#[rustfmt::skip]
const MATRIX: &[(&str, &str, Access)] = &[
    // Facilities and users: admins manage them; facility codes are not patient data.
    ("GET",  "/api/v1/facilities",                        SignedIn),
    ("POST", "/api/v1/facilities",                        Only(ADMIN)),
    ("GET",  "/api/v1/users",                             Only(ADMIN)),
    ("POST", "/api/v1/users",                             Only(ADMIN)),
    ("POST", "/api/v1/users/{user}/tokens",               Only(ADMIN)),
    ("PUT",  "/api/v1/users/{user}/password",             Only(ADMIN)),
    ("GET",  "/api/v1/users/{user}/tokens",               Only(ADMIN)),
    ("POST", "/api/v1/tokens/{token}/revoke",             Only(ADMIN)),
    // Disabled, then enabled again (in this order, as pass 2 calls them).
    ("POST", "/api/v1/users/{user}/disable",              Only(ADMIN)),
    ("POST", "/api/v1/users/{user}/enable",               Only(ADMIN)),
    // A second admin's approvals (the fixture's requests are the second admin's).
    ("GET",  "/api/v1/approvals",                         Only(ADMIN)),
    ("POST", "/api/v1/approvals/{approval}/approve",      Only(ADMIN)),
    ("POST", "/api/v1/approvals/{approval_r}/refuse",     Only(ADMIN)),
    // Patients: registrars register and correct, registrars and clinicians read.
    ("GET",  "/api/v1/patients?identifier=219730412345",  Only(READERS)),
    ("POST", "/api/v1/patients",                          Only(REGISTRAR)),
    ("GET",  "/api/v1/patients/{patient}",                Only(READERS)),
    ("PUT",  "/api/v1/patients/{patient}",                Only(REGISTRAR)),
    ("GET",  "/api/v1/patients/{patient}/history",        Only(HISTORY)),
    ("GET",  "/api/v1/patients/{patient}/record",         Only(READERS)),
    // Clinical records: clinicians write them.
    ("POST", "/api/v1/patients/{patient}/tumours",        Only(CLINICIAN)),
    ("POST", "/api/v1/patients/{patient}/treatments",     Only(CLINICIAN)),
    ("POST", "/api/v1/patients/{patient}/allergies",      Only(CLINICIAN)),
    ("POST", "/api/v1/patients/{patient}/medicines",      Only(CLINICIAN)),
    ("PUT",  "/api/v1/tumours/{tumour}",                  Only(CLINICIAN)),
    ("PUT",  "/api/v1/treatments/{treatment}",            Only(CLINICIAN)),
    ("PUT",  "/api/v1/allergies/{allergy}",               Only(CLINICIAN)),
    ("PUT",  "/api/v1/medicines/{medicine}",              Only(CLINICIAN)),
    ("POST", "/api/v1/tumours/{tumour_w}/withdraw",       Only(CLINICIAN)),
    ("POST", "/api/v1/treatments/{treatment_w}/withdraw", Only(CLINICIAN)),
    ("POST", "/api/v1/allergies/{allergy_w}/withdraw",    Only(CLINICIAN)),
    ("POST", "/api/v1/medicines/{medicine_w}/withdraw",   Only(CLINICIAN)),
    ("GET",  "/api/v1/tumours/{tumour}/history",          Only(HISTORY)),
    ("GET",  "/api/v1/treatments/{treatment}/history",    Only(HISTORY)),
    ("GET",  "/api/v1/allergies/{allergy}/history",       Only(HISTORY)),
    ("GET",  "/api/v1/medicines/{medicine}/history",      Only(HISTORY)),
    // Cards: registrars issue, read and revoke; status for insurers, pharmacists, registrars.
    ("POST", "/api/v1/patients/{patient_issue}/cards",    Only(REGISTRAR)),
    ("GET",  "/api/v1/cards/{card}",                      Only(REGISTRAR)),
    ("GET",  "/api/v1/cards/{card}/cose",                 Only(REGISTRAR)),
    ("GET",  "/api/v1/cards/{card}/qr",                   Only(REGISTRAR)),
    ("GET",  "/api/v1/cards/{card}/status",               Only(CARD_STATUS)),
    ("POST", "/api/v1/cards/{card_revoke}/revoke",        Only(REGISTRAR)),
    // Dispensings: pharmacists record; pharmacists and clinicians read; flagged offline
    // dispensings are reviewed by clinicians and auditors.
    ("POST", "/api/v1/dispensings",                       Only(PHARMACIST)),
    ("GET",  "/api/v1/authorisations/{auth}/dispensings", Only(DISPENSING_READERS)),
    ("GET",  "/api/v1/dispensings/conflicts?limit=10",    Only(CONFLICT_REVIEWERS)),
    // Administrations at a day-care unit: clinicians.
    ("POST", "/api/v1/administrations",                   Only(CLINICIAN)),
    // Stock: pharmacists keep their own facility's (receiving what is sent to it); supply
    // officers read every facility's.
    ("POST", "/api/v1/stock/receipts",                    Only(PHARMACIST)),
    ("POST", "/api/v1/stock/counts",                      Only(PHARMACIST)),
    ("POST", "/api/v1/stock/adjustments",                 Only(PHARMACIST)),
    ("POST", "/api/v1/stock/transfers",                   Only(PHARMACIST)),
    ("POST", "/api/v1/stock/transfers/{transfer}/receive", Only(PHARMACIST)),
    ("GET",  "/api/v1/facilities/LY-BEN-PH1/stock",       Only(STOCK_READERS)),
    ("GET",  "/api/v1/facilities/LY-BEN-PH1/stock/ledger?atc=L02BA01&strength=20%20mg&form=tablet", Only(STOCK_READERS)),
    ("GET",  "/api/v1/facilities/LY-BEN-PH1/transfers",   Only(STOCK_READERS)),
    ("GET",  "/api/v1/demand?facility=LY-BEN-PH1",        Only(STOCK_READERS)),
    // The watch on unjustified disbursement: the ministry's inspectors.
    ("GET",  "/api/v1/watch",                             Only(&[Role::Inspector])),
    // The audit log: auditors only.
    ("GET",  "/api/v1/audit?limit=10",                    Only(AUDITOR)),
    ("GET",  "/api/v1/audit/verify",                      Only(AUDITOR)),
    ("GET",  "/api/v1/audit/elsewhere",                   Only(AUDITOR)),
    // Issuer keys in the trust bundle: admins publish and revoke, auditors may list.
    ("GET",  "/api/v1/issuers",                           Only(ISSUER_READERS)),
    ("POST", "/api/v1/issuers",                           Only(ADMIN)),
    ("POST", "/api/v1/issuers/{issuer}/revoke",           Only(ADMIN)),
    // Statistics: aggregates only (the sample population is for 2025).
    ("GET",  "/api/v1/statistics/incidence?from=2025&to=2025",            Only(STATISTICS)),
    ("GET",  "/api/v1/statistics/childhood?from=2025&to=2025&region=east", Only(STATISTICS)),
    ("GET",  "/api/v1/statistics/quality?from=2025&to=2025&format=csv",   Only(STATISTICS)),
    ("GET",  "/api/v1/statistics/survival?from=2020&to=2025",             Only(STATISTICS)),
    ("GET",  "/api/v1/statistics/areas",                                  Only(STATISTICS)),
    // The CanReg5 export is one line per tumour (pseudonymised): registrars only.
    ("GET",  "/api/v1/statistics/export",                                 Only(REGISTRAR)),
    // Public.
    ("GET",  "/api/v1/trust-bundle",                      Public),
    ("GET",  "/api/v1/openapi.json",                      Public),
    ("GET",  "/metrics",                                  Public),
    ("GET",  "/healthz",                                  Public),
    ("GET",  "/readyz",                                   Public),
];

/// Who calls: a role's token, none, or one the registry never issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Role(Role),
    NoToken,
    BadToken,
}

const CALLERS: [Caller; 11] = [
    Caller::Role(Role::Admin),
    Caller::Role(Role::Registrar),
    Caller::Role(Role::Clinician),
    Caller::Role(Role::Pharmacist),
    Caller::Role(Role::Insurer),
    Caller::Role(Role::Auditor),
    Caller::Role(Role::Statistician),
    Caller::Role(Role::SupplyOfficer),
    Caller::Role(Role::Inspector),
    Caller::NoToken,
    Caller::BadToken,
];

impl Caller {
    fn name(self) -> &'static str {
        match self {
            Caller::Role(r) => r.as_str(),
            Caller::NoToken => "no token",
            Caller::BadToken => "garbage token",
        }
    }
}

/// What the matrix says a caller gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Unauthorized,
    Forbidden,
    Allowed,
}

fn expect(access: Access, caller: Caller) -> Expect {
    match (access, caller) {
        (Public, _) => Expect::Allowed,
        (_, Caller::NoToken | Caller::BadToken) => Expect::Unauthorized,
        (SignedIn, Caller::Role(_)) => Expect::Allowed,
        (Only(roles), Caller::Role(r)) if roles.contains(&r) => Expect::Allowed,
        (Only(_), Caller::Role(_)) => Expect::Forbidden,
    }
}

/// Real records for the routes to act on, and a token per role.
struct Fixture {
    ids: Vec<(&'static str, String)>,
    admin: String,
    staff: Staff,
    supply_officer: String,
    inspector: String,
}

const P1: &str = "219730412345";

impl Fixture {
    async fn make(app: &TestApp) -> Fixture {
        let staff = Staff::hire(app).await;
        let mut ids = Vec::new();
        let (_, user) = ok(
            app,
            Method::POST,
            "/api/v1/users",
            &app.admin,
            Some(
                json!({"username": "token.target", "display_name": "Token target",
                "role": "insurer", "facility_code": "LY-MOH"}),
            ),
        )
        .await;
        app.approve(&user["approval"]).await;
        ids.push(("user", str_of(&user["user"]["id"])));
        ids.push(("token", str_of(&user["token_id"])));
        // Two requests of the second admin, for the first to approve and to refuse.
        for (name, username) in [("approval", "held.one"), ("approval_r", "held.two")] {
            let (_, held) = ok(
                app,
                Method::POST,
                "/api/v1/users",
                &app.admin2,
                Some(json!({"username": username, "display_name": "Held",
                    "role": "clinician", "facility_code": "LY-MOH"})),
            )
            .await;
            ids.push((name, str_of(&held["approval"]["id"])));
        }
        let mut patients = Vec::new();
        for national in [P1, "219730412346", "219730412347"] {
            let (_, p) = ok(
                app,
                Method::POST,
                "/api/v1/patients",
                &staff.registrar,
                Some(patient_body(national)),
            )
            .await;
            patients.push(str_of(&p["patient"]["id"]));
        }
        let p1 = patients[0].clone();
        for (kind, body) in [
            ("tumours", tumour_body()),
            ("treatments", treatment_body()),
            ("allergies", allergy_body()),
            ("medicines", medicine_body(3, 0)),
        ] {
            let mut two = Vec::new();
            for _ in 0..2 {
                let url = format!("/api/v1/patients/{p1}/{kind}");
                let (_, w) = ok(
                    app,
                    Method::POST,
                    &url,
                    &staff.clinician,
                    Some(body.clone()),
                )
                .await;
                two.push(str_of(&w["id"]));
            }
            let (name, name_w) = match kind {
                "tumours" => ("tumour", "tumour_w"),
                "treatments" => ("treatment", "treatment_w"),
                "allergies" => ("allergy", "allergy_w"),
                _ => ("medicine", "medicine_w"),
            };
            ids.push((name, two[0].clone()));
            ids.push((name_w, two[1].clone()));
        }
        let url = format!("/api/v1/patients/{p1}/medicines");
        let (_, auth) = ok(
            app,
            Method::POST,
            &url,
            &staff.clinician,
            Some(medicine_body(10, 0)),
        )
        .await;
        ids.push(("auth", str_of(&auth["id"])));
        for (name, patient) in [("card", &patients[0]), ("card_revoke", &patients[2])] {
            let url = format!("/api/v1/patients/{patient}/cards");
            let (_, card) = ok(app, Method::POST, &url, &staff.registrar, None).await;
            ids.push((name, str_of(&card["serial"])));
        }
        ids.push(("patient", p1));
        ids.push(("patient_issue", patients[1].clone()));
        // Two other sites' certificates: one published now (to revoke), one to publish.
        let (_, published) = ok(
            app,
            Method::POST,
            "/api/v1/issuers",
            &app.admin,
            Some(json!({"certificate_hex": other_site_certificate()})),
        )
        .await;
        ids.push(("issuer", str_of(&published["kid"])));
        ids.push(("issuer_cert", other_site_certificate()));
        let actor = registry_server::db::audit::Actor {
            user_id: "system",
            role: "system",
            facility_code: "LY-MOH",
        };
        let sample = include_bytes!("../../data/population/sample.csv");
        registry_server::domain::population::import(&app.state.db, START, &actor, sample)
            .await
            .unwrap()
            .unwrap();
        // A transfer in transit to the pharmacist's facility, from another pharmacy.
        let other = app.pharmacy("LY-TRP-PH2").await;
        let sender = app.user("pharmacist", &other).await;
        let stock = |key: &str, extra: Value| {
            let mut body = json!({"idempotency_key": key, "atc": "L02BA01", "strength": "20 mg",
                "form": "tablet", "lot": "MX-2"});
            for (k, v) in extra.as_object().unwrap() {
                body[k] = v.clone();
            }
            body
        };
        let receipt = stock(
            "fixture-receipt",
            json!({"expiry": "2027-06-30", "quantity": 10}),
        );
        ok(
            app,
            Method::POST,
            "/api/v1/stock/receipts",
            &sender,
            Some(receipt),
        )
        .await;
        let transfer = stock(
            "fixture-transfer",
            json!({"quantity": 4, "to_facility": "LY-BEN-PH1"}),
        );
        let (_, sent) = ok(
            app,
            Method::POST,
            "/api/v1/stock/transfers",
            &sender,
            Some(transfer),
        )
        .await;
        ids.push(("transfer", str_of(&sent["transfer"]["id"])));
        Fixture {
            ids,
            admin: app.admin.clone(),
            staff,
            supply_officer: app.user("supply_officer", "LY-MOH").await,
            inspector: app.user("inspector", "LY-MOH").await,
        }
    }

    fn id(&self, name: &str) -> &str {
        &self.ids.iter().find(|(n, _)| *n == name).unwrap().1
    }

    fn uri(&self, template: &str) -> String {
        let mut uri = template.to_string();
        for (name, id) in &self.ids {
            uri = uri.replace(&format!("{{{name}}}"), id);
        }
        assert!(!uri.contains('{'), "unfilled placeholder in {template}");
        uri
    }

    fn token(&self, caller: Caller) -> String {
        match caller {
            Caller::Role(Role::Admin) => self.admin.clone(),
            Caller::Role(Role::Registrar) => self.staff.registrar.clone(),
            Caller::Role(Role::Clinician) => self.staff.clinician.clone(),
            Caller::Role(Role::Pharmacist) => self.staff.pharmacist.clone(),
            Caller::Role(Role::Insurer) => self.staff.insurer.clone(),
            Caller::Role(Role::Auditor) => self.staff.auditor.clone(),
            Caller::Role(Role::Statistician) => self.staff.statistician.clone(),
            Caller::Role(Role::SupplyOfficer) => self.supply_officer.clone(),
            Caller::Role(Role::Inspector) => self.inspector.clone(),
            Caller::NoToken => String::new(),
            Caller::BadToken => "lyr_not-a-token-this-registry-ever-issued".to_string(),
        }
    }

    /// A valid body for the route, so that a refusal can only come from the role check.
    fn body(&self, method: &str, template: &str) -> Option<Value> {
        let correction = |data: Value| json!({"version": 1, "reason": "role matrix", "data": data});
        let body = match (method, template) {
            ("POST", "/api/v1/facilities") => json!({"code": "LY-TST-MATRIX",
                "name": "Matrix pharmacy", "region": "east", "kind": "pharmacy"}),
            ("POST", "/api/v1/users") => json!({"username": "matrix.user",
                "display_name": "Matrix user", "role": "clinician", "facility_code": "LY-MOH"}),
            ("PUT", "/api/v1/users/{user}/password") => {
                json!({"password": "a desk password of some length"})
            }
            ("POST", "/api/v1/patients") => patient_body("219730412348"),
            ("PUT", "/api/v1/patients/{patient}") => correction(patient_body(P1)),
            ("POST", "/api/v1/patients/{patient}/tumours") => tumour_body(),
            ("POST", "/api/v1/patients/{patient}/treatments") => treatment_body(),
            ("POST", "/api/v1/patients/{patient}/allergies") => allergy_body(),
            ("POST", "/api/v1/patients/{patient}/medicines") => medicine_body(3, 0),
            ("PUT", "/api/v1/tumours/{tumour}") => correction(tumour_body()),
            ("PUT", "/api/v1/treatments/{treatment}") => correction(treatment_body()),
            ("PUT", "/api/v1/allergies/{allergy}") => correction(allergy_body()),
            ("PUT", "/api/v1/medicines/{medicine}") => correction(medicine_body(3, 0)),
            ("POST", t) if t.ends_with("/withdraw") => {
                json!({"version": 1, "reason": "entered twice"})
            }
            ("POST", "/api/v1/cards/{card_revoke}/revoke") => json!({"reason": "lost"}),
            ("POST", "/api/v1/issuers") => json!({"certificate_hex": self.id("issuer_cert")}),
            ("POST", "/api/v1/dispensings") => json!({"idempotency_key": "role-matrix-1",
                "card_serial": self.id("card"), "authorisation_id":
                self.id("auth").parse::<u64>().unwrap(), "quantity": 30}),
            ("POST", "/api/v1/administrations") => json!({"idempotency_key": "role-matrix-2",
                "authorisation_id": self.id("auth").parse::<u64>().unwrap(), "cycle": 1,
                "quantity": 30}),
            // Pass 2 runs the table in order: the receipt brings lot MX-1 that the count,
            // the adjustment and the transfer then act on.
            ("POST", "/api/v1/stock/receipts") => stock_body(
                "role-matrix-3",
                json!({"lot": "MX-1", "expiry": "2027-06-30", "quantity": 10}),
            ),
            ("POST", "/api/v1/stock/counts") => {
                stock_body("role-matrix-4", json!({"lot": "MX-1", "counted": 9}))
            }
            ("POST", "/api/v1/stock/adjustments") => stock_body(
                "role-matrix-5",
                json!({"lot": "MX-1", "reason": "found", "quantity": 1}),
            ),
            ("POST", "/api/v1/stock/transfers") => stock_body(
                "role-matrix-6",
                json!({"lot": "MX-1", "quantity": 2, "to_facility": "LY-TRP-PH2"}),
            ),
            ("POST", "/api/v1/stock/transfers/{transfer}/receive") => json!({}),
            _ => return None,
        };
        Some(body)
    }
}

/// A new key of another site, certified by the (test) ministry root, as hex.
fn other_site_certificate() -> String {
    use card_format::keys::Es256Signer;
    let root_pem = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/keys/root.key.pem"
    ))
    .unwrap();
    let root = card_format::SoftwareKey::from_pkcs8_pem(&root_pem).unwrap();
    let key = card_format::SoftwareKey::generate();
    let cert = card_format::Certificate {
        public_key: key.public_key().clone(),
        issuer_id: "LY-TRP-ONC".into(),
        region: "west".into(),
        not_before: 1_735_689_600,
        not_after: 1_893_456_000,
        usage: card_format::Usage::CARDS,
    }
    .sign(&root)
    .unwrap();
    hex::encode(cert)
}

/// A stock movement of tamoxifen 20 mg tablets.
fn stock_body(key: &str, extra: Value) -> Value {
    let mut body = json!({"idempotency_key": key, "atc": "L02BA01", "strength": "20 mg",
        "form": "tablet"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

fn treatment_body() -> Value {
    json!({"kind": "chemotherapy", "regimen": "AC-T", "cycles": 4, "start": "2025-10-01"})
}

fn allergy_body() -> Value {
    json!({"substance": "penicillin", "severity": "severe", "kind": "allergy"})
}

fn str_of(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_string()
}

/// A setup call that must succeed.
async fn ok(
    app: &TestApp,
    method: Method,
    uri: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let (status, value) = app.call(method.clone(), uri, token, body).await;
    assert!(
        status.is_success(),
        "setup {method} {uri}: {status} {value}"
    );
    (status, value)
}

/// Everything a refused call could have changed: row counts, version sums, counters, heads.
async fn snapshot(app: &TestApp) -> Vec<(String, i64)> {
    let mut queries: Vec<String> = [
        "facilities",
        "users",
        "api_tokens",
        "web_sessions",
        "login_failures",
        "patients",
        "patient_name_keys",
        "tumours",
        "treatments",
        "allergies",
        "medicine_authorisations",
        "record_history",
        "cards",
        "dispensings",
        "issuer_certificates",
        "revoked_issuers",
        "audit_log",
        "stock_facilities",
        "stock_items",
        "stock_batches",
        "stock_ledger",
        "stock_transfers",
        "stock_outs",
        "administrations",
    ]
    .iter()
    .map(|t| format!("SELECT COUNT(*) FROM {t}"))
    .collect();
    for t in [
        "patients",
        "tumours",
        "treatments",
        "allergies",
        "medicine_authorisations",
    ] {
        queries.push(format!(
            "SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) FROM {t}"
        ));
    }
    queries.extend(
        [
            "SELECT CAST(COALESCE(SUM(dispensed_count), 0) AS BIGINT) FROM medicine_authorisations",
            "SELECT COUNT(*) FROM cards WHERE status = 'active'",
            "SELECT COUNT(*) FROM cards WHERE status = 'revoked'",
            "SELECT COUNT(*) FROM api_tokens WHERE revoked_at IS NOT NULL",
            "SELECT COUNT(*) FROM users WHERE password_hash IS NOT NULL",
            "SELECT seq FROM audit_head",
            "SELECT sequence FROM trust_state",
        ]
        .map(String::from),
    );
    let mut out = Vec::new();
    for q in queries {
        let (n,): (i64,) = sqlx::query_as(&q)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap_or_else(|e| panic!("{q}: {e}"));
        out.push((q, n));
    }
    out
}

/// The number of audit entries, as an auditor sees it (the chain check writes nothing).
async fn audit_entries(app: &TestApp, auditor: &str) -> i64 {
    let (status, report) = app
        .call(Method::GET, "/api/v1/audit/verify", auditor, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["intact"], true, "{report}");
    report["entries"].as_i64().unwrap()
}

#[tokio::test]
async fn every_route_admits_exactly_the_roles_in_the_matrix() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let fx = Fixture::make(&app).await;
        let cells = MATRIX.len() * CALLERS.len();
        let mut checked = 0;

        // Pass 1: every refusal (401 and 403), and proof that refusals write nothing.
        let before = snapshot(&app).await;
        let audit_before = audit_entries(&app, &fx.staff.auditor).await;
        for (index, &(method, template, access)) in MATRIX.iter().enumerate() {
            for caller in CALLERS {
                let want = expect(access, caller);
                if want == Expect::Allowed {
                    continue;
                }
                // The refusal comes first, whatever is sent: with the valid input, and with
                // an invalid body and an unknown query parameter (which an allowed caller
                // would see refused with 422) the answer is the same 401 or 403.
                for invalid in [false, true] {
                    let cell = format!(
                        "cell #{index} {method} {template} as {}{} on {backend:?}",
                        caller.name(),
                        if invalid { " with invalid input" } else { "" }
                    );
                    let (uri, body) = if invalid {
                        let uri = fx.uri(template);
                        let joint = if uri.contains('?') { '&' } else { '?' };
                        (
                            format!("{uri}{joint}not_a_parameter=1"),
                            fx.body(method, template)
                                .map(|_| br#"{"not_a_member": 1}"#.to_vec()),
                        )
                    } else {
                        (
                            fx.uri(template),
                            fx.body(method, template)
                                .map(|b| b.to_string().into_bytes()),
                        )
                    };
                    let (status, bytes, headers) = app
                        .raw(
                            Method::from_bytes(method.as_bytes()).unwrap(),
                            &uri,
                            &fx.token(caller),
                            body,
                            &[],
                        )
                        .await;
                    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                    let (want_status, want_code) = match want {
                        Expect::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
                        _ => (StatusCode::FORBIDDEN, "forbidden"),
                    };
                    assert_eq!(
                        (status, body["code"].as_str()),
                        (want_status, Some(want_code)),
                        "{cell}: {}",
                        String::from_utf8_lossy(&bytes)
                    );
                    let content_type = headers
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    assert_eq!(content_type, "application/problem+json", "{cell}");
                }
                checked += 1;
            }
        }
        let after = snapshot(&app).await;
        for ((query, was), (_, now)) in before.iter().zip(&after) {
            assert_eq!(was, now, "refused calls changed `{query}` on {backend:?}");
        }
        let audit_after = audit_entries(&app, &fx.staff.auditor).await;
        assert_eq!(
            audit_after, audit_before,
            "refused calls wrote audit entries on {backend:?}"
        );

        // Pass 2: every allowed caller gets through, and with real ids and valid bodies the
        // call succeeds.
        for (index, &(method, template, access)) in MATRIX.iter().enumerate() {
            for caller in CALLERS {
                if expect(access, caller) != Expect::Allowed {
                    continue;
                }
                let cell = format!(
                    "cell #{index} {method} {template} as {} on {backend:?}",
                    caller.name()
                );
                let (status, bytes, _) = app
                    .raw(
                        Method::from_bytes(method.as_bytes()).unwrap(),
                        &fx.uri(template),
                        &fx.token(caller),
                        fx.body(method, template)
                            .map(|b| b.to_string().into_bytes()),
                        &[],
                    )
                    .await;
                let text = String::from_utf8_lossy(&bytes);
                assert!(
                    status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                    "{cell}: an allowed caller was refused: {status} {text}"
                );
                assert!(
                    status.is_success(),
                    "{cell}: allowed, but the call failed (fixture or handler): {status} {text}"
                );
                checked += 1;
            }
        }
        assert_eq!(checked, cells, "every cell checked once");
        eprintln!("{backend:?}: {cells} cells checked");
    }
}

#[test]
fn matrix_lists_every_route_once() {
    let mut seen = std::collections::HashSet::new();
    for (method, template, _) in MATRIX {
        let path = template.split('?').next().unwrap();
        assert!(seen.insert((method, path)), "{method} {path} listed twice");
    }
    assert_eq!(MATRIX.len(), 72);
}
