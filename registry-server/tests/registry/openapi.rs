//! Operations: the OpenAPI document covers every route, `/metrics` counts by route template
//! and leaks no patient data, HTTPS works with a certificate, and the real binary logs JSON
//! lines without paths, query strings or tokens.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use crate::support::{backends, patient_body, Staff, TestApp};
use axum::http::{Method, StatusCode};
use registry_server::db::Backend;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Every route the router serves, as it registers them: method and template.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/facilities"),
    ("POST", "/api/v1/facilities"),
    ("GET", "/api/v1/users"),
    ("POST", "/api/v1/users"),
    ("POST", "/api/v1/users/{id}/tokens"),
    ("GET", "/api/v1/users/{id}/tokens"),
    ("POST", "/api/v1/tokens/{id}/revoke"),
    ("POST", "/api/v1/users/{id}/disable"),
    ("POST", "/api/v1/users/{id}/enable"),
    ("PUT", "/api/v1/users/{id}/password"),
    ("GET", "/api/v1/approvals"),
    ("POST", "/api/v1/approvals/{id}/approve"),
    ("POST", "/api/v1/approvals/{id}/refuse"),
    ("GET", "/api/v1/patients"),
    ("POST", "/api/v1/patients"),
    ("GET", "/api/v1/patients/{id}"),
    ("PUT", "/api/v1/patients/{id}"),
    ("GET", "/api/v1/patients/{id}/history"),
    ("GET", "/api/v1/patients/{id}/follow-ups"),
    ("POST", "/api/v1/patients/{id}/follow-ups"),
    ("GET", "/api/v1/patients/{id}/duplicates"),
    ("POST", "/api/v1/patients/{id}/merge"),
    ("POST", "/api/v1/duplicates/search"),
    ("GET", "/api/v1/duplicates"),
    ("POST", "/api/v1/duplicates/distinct"),
    ("GET", "/api/v1/merges"),
    ("GET", "/api/v1/statistics/incidence"),
    ("GET", "/api/v1/statistics/childhood"),
    ("GET", "/api/v1/statistics/quality"),
    ("GET", "/api/v1/statistics/survival"),
    ("GET", "/api/v1/statistics/areas"),
    ("GET", "/api/v1/statistics/export"),
    ("POST", "/api/v1/merges/{id}/unmerge"),
    ("GET", "/api/v1/patients/{id}/record"),
    ("POST", "/api/v1/patients/{id}/tumours"),
    ("POST", "/api/v1/patients/{id}/treatments"),
    ("POST", "/api/v1/patients/{id}/allergies"),
    ("POST", "/api/v1/patients/{id}/medicines"),
    ("PUT", "/api/v1/tumours/{id}"),
    ("PUT", "/api/v1/treatments/{id}"),
    ("PUT", "/api/v1/allergies/{id}"),
    ("PUT", "/api/v1/medicines/{id}"),
    ("POST", "/api/v1/{kind}/{id}/withdraw"),
    ("GET", "/api/v1/{kind}/{id}/history"),
    ("POST", "/api/v1/patients/{id}/cards"),
    ("GET", "/api/v1/cards/{serial}"),
    ("GET", "/api/v1/cards/{serial}/cose"),
    ("GET", "/api/v1/cards/{serial}/qr"),
    ("GET", "/api/v1/cards/{serial}/status"),
    ("POST", "/api/v1/cards/{serial}/revoke"),
    ("POST", "/api/v1/dispensings"),
    ("GET", "/api/v1/dispensings/conflicts"),
    ("GET", "/api/v1/authorisations/{id}/dispensings"),
    ("POST", "/api/v1/administrations"),
    ("POST", "/api/v1/stock/receipts"),
    ("POST", "/api/v1/stock/counts"),
    ("POST", "/api/v1/stock/adjustments"),
    ("POST", "/api/v1/stock/transfers"),
    ("POST", "/api/v1/stock/transfers/{id}/receive"),
    ("GET", "/api/v1/facilities/{code}/stock"),
    ("GET", "/api/v1/facilities/{code}/stock/ledger"),
    ("GET", "/api/v1/facilities/{code}/transfers"),
    ("GET", "/api/v1/demand"),
    ("GET", "/api/v1/watch"),
    ("GET", "/api/v1/audit"),
    ("GET", "/api/v1/audit/verify"),
    ("GET", "/api/v1/audit/elsewhere"),
    ("GET", "/api/v1/trust-bundle"),
    ("GET", "/api/v1/issuers"),
    ("POST", "/api/v1/issuers"),
    ("POST", "/api/v1/issuers/{kid}/revoke"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
];

/// Routes that answer without a token.
const PUBLIC: &[&str] = &[
    "/api/v1/trust-bundle",
    "/api/v1/openapi.json",
    "/healthz",
    "/readyz",
    "/metrics",
];

/// A concrete path for a template (`{kind}` must be a real kind for the route to be reached).
fn concrete(template: &str) -> String {
    template
        .replace("{kind}", "tumours")
        .replace("{id}", "1")
        .replace("{code}", "LY-BEN-PH1")
        .replace("{serial}", "ABCD-EFGH-JKMN-PQRS")
}

async fn document(app: &TestApp) -> Value {
    let (status, bytes, headers) = app
        .raw(Method::GET, "/api/v1/openapi.json", "", None, &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/json");
    serde_json::from_slice(&bytes).expect("the document is JSON")
}

/// Follows a local `$ref` (`#/components/schemas/X`).
fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

fn refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => {
                        out.insert(r.clone());
                    }
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn openapi_document_covers_every_route() {
    let app = TestApp::new(Backend::Sqlite).await;
    let doc = document(&app).await;
    // `OPENAPI_OUT=path cargo test --test openapi` writes the document out (for docs, linters).
    if let Ok(out) = std::env::var("OPENAPI_OUT") {
        std::fs::write(out, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    }
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        doc["openapi"]
    );
    assert!(doc["info"]["title"].is_string());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );

    // Documented operations are exactly the served routes.
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "put", "post", "delete", "patch"] {
            if item.get(method).is_some() {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let served: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_string(), (*p).to_string()))
        .collect();
    assert_eq!(documented, served, "documented vs served routes");

    let mut operation_ids = BTreeSet::new();
    for (method, path) in ROUTES {
        let op = &doc["paths"][path][method.to_lowercase()];
        let id = op["operationId"].as_str().unwrap();
        assert!(
            operation_ids.insert(id),
            "{method} {path}: operationId {id} twice"
        );
        assert!(
            op["summary"].is_string() && op["tags"][0].is_string(),
            "{method} {path}"
        );
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{method} {path} documents no success"
        );
        let public = PUBLIC.contains(path);
        let secured = op["security"]
            .as_array()
            .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
        assert_eq!(secured, !public, "{method} {path}: security");
        if secured {
            for status in ["401", "403"] {
                assert!(responses.contains_key(status), "{method} {path}: {status}");
            }
        }
        if op.get("requestBody").is_some() {
            for status in ["400", "422"] {
                assert!(responses.contains_key(status), "{method} {path}: {status}");
            }
        }
        for name in path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        {
            let declared = op["parameters"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["name"] == name && p["in"] == "path"));
            assert!(declared, "{method} {path}: path parameter {name}");
        }

        // The route is really served: without a token, a secured route says 401 (a missing
        // route would be a 404 or 405), a public one answers.
        let (status, _, _) = app
            .raw(
                Method::from_bytes(method.as_bytes()).unwrap(),
                &concrete(path),
                "",
                None,
                &[],
            )
            .await;
        if public {
            assert!(status.is_success(), "{method} {path}: {status}");
        } else {
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
        }
    }

    // Errors are problem documents; every reference resolves.
    let problem = &doc["components"]["responses"]["Unauthorized"]["content"]
        ["application/problem+json"]["schema"]["$ref"];
    assert_eq!(problem, "#/components/schemas/Problem");
    let mut all = BTreeSet::new();
    refs(&doc, &mut all);
    for r in &all {
        assert!(resolve(&doc, r).is_some(), "dangling {r}");
    }
    for schema in [
        "Tumour",
        "Treatment",
        "Allergy",
        "DoseForm",
        "Sex",
        "PatientInput",
    ] {
        assert!(
            doc["components"]["schemas"].get(schema).is_some(),
            "schema {schema}"
        );
    }
    // A record with its id and version (an allOf) must not forbid those extra members.
    let versioned =
        serde_json::to_string(&doc["components"]["schemas"]["Versioned_Tumour"]).unwrap();
    assert!(!versioned.contains("additionalProperties"), "{versioned}");
    assert_eq!(
        doc["components"]["schemas"]["Tumour"]["additionalProperties"], false,
        "request bodies refuse unknown fields"
    );
    assert_eq!(
        doc["components"]["schemas"]["Sex"]["enum"],
        json!(["not_known", "male", "female", "not_applicable"])
    );
}

#[tokio::test]
async fn metrics_count_route_templates_and_no_patient_data() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let (status, body) = app
            .call(
                Method::POST,
                "/api/v1/patients",
                &staff.registrar,
                Some(patient_body("219730412345")),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let patient = body["patient"]["id"].as_str().unwrap().to_string();
        let uri = format!("/api/v1/patients/{patient}");
        assert_eq!(
            app.call(Method::GET, &uri, &staff.registrar, None).await.0,
            StatusCode::OK
        );
        let search = "/api/v1/patients?name=Fatima%20Almansouri";
        assert_eq!(
            app.call(Method::GET, search, &staff.registrar, None)
                .await
                .0,
            StatusCode::OK
        );
        let cards = format!("/api/v1/patients/{patient}/cards");
        let (status, card) = app.call(Method::POST, &cards, &staff.registrar, None).await;
        assert_eq!(status, StatusCode::CREATED, "{card}");
        let refused = json!({"idempotency_key": "key-00000001", "card_serial": "ABCD-EFGH-JKMN-PQRS",
            "authorisation_id": 7, "quantity": 1});
        let (status, body) = app
            .call(
                Method::POST,
                "/api/v1/dispensings",
                &staff.pharmacist,
                Some(refused),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        let code = body["code"].as_str().unwrap().to_string();
        app.call(Method::GET, "/no/such/route/219730412345", "", None)
            .await;

        let (status, bytes, headers) = app.raw(Method::GET, "/metrics", "", None, &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"));
        let text = String::from_utf8(bytes).unwrap();
        for expected in [
            r#"registry_http_requests_total{method="GET",route="/api/v1/patients/{id}",status="200"} 1"#,
            r#"registry_http_requests_total{method="GET",route="/api/v1/patients",status="200"} 1"#,
            r#"registry_http_requests_total{method="POST",route="/api/v1/patients",status="201"} 1"#,
            r#"registry_http_requests_total{method="GET",route="unmatched",status="404"} 1"#,
            r#"registry_http_request_duration_seconds_bucket{method="GET",route="/api/v1/patients/{id}",le="0.5"}"#,
            "registry_cards_issued_total 1",
            "registry_dispensings_recorded_total 0",
            r#"registry_db_pool_connections{state="idle"}"#,
            "registry_db_pool_max_connections",
        ] {
            assert!(
                text.contains(expected),
                "{backend:?}: {expected} missing from\n{text}"
            );
        }
        assert!(
            text.contains(&format!(
                r#"registry_dispensings_refused_total{{code="{code}"}} 1"#
            )),
            "{text}"
        );
        let serial = card["serial"].as_str().unwrap();
        for secret in [
            patient.as_str(),
            "219730412345",
            "Fatima",
            "Almansouri",
            "name=",
            serial,
            &staff.registrar,
            &app.admin,
        ] {
            assert!(
                !text.contains(secret),
                "{backend:?}: /metrics shows {secret}"
            );
        }
    }
}

fn self_signed(
    dir: &Path,
) -> (
    std::path::PathBuf,
    std::path::PathBuf,
    CertificateDer<'static>,
) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert = dir.join("tls.crt");
    let key = dir.join("tls.key");
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    set_mode(&key, 0o600);
    (cert, key, made.cert.der().clone())
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// An HTTPS client trusting only `ca`: sends `GET path` and returns the raw response.
async fn https_get(
    address: std::net::SocketAddr,
    ca: CertificateDer<'static>,
    path: &str,
) -> String {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(address).await.unwrap();
    let mut tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    // A peer closing without close_notify is not this test's concern: keep what was read.
    let _ = tls.read_to_end(&mut response).await;
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let app = TestApp::new(Backend::Sqlite).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(registry_server::server::serve(
        listener,
        app.router.clone(),
        Duration::from_secs(1),
        async {
            let _ = stopped.await;
        },
    ));

    // Half a request, then silence: the server closes the connection (read_to_end returns)
    // well before the 20 s this test waits.
    let mut slow = TcpStream::connect(address).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: 1")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), slow.read_to_end(&mut answer)).await;
    assert!(
        read.is_ok(),
        "a connection with partial headers stayed open"
    );

    // A whole request on the same listener is served.
    let mut quick = TcpStream::connect(address).await.unwrap();
    quick
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = Vec::new();
    quick.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(40), server)
        .await
        .expect("the server stops")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn https_with_a_certificate_and_no_plain_http_on_its_port() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, ca) = self_signed(dir.path());
    let tls = registry_server::server::tls::load_config(&cert, &key).unwrap();
    let app = TestApp::new(Backend::Sqlite).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(registry_server::server::tls::serve(
        listener,
        app.router.clone(),
        tls,
        Duration::from_secs(30),
        async {
            let _ = stopped.await;
        },
    ));

    let response = https_get(address, ca.clone(), "/healthz").await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with("ok"), "{response}");
    assert!(
        response
            .to_ascii_lowercase()
            .contains("\r\nstrict-transport-security: max-age=31536000\r\n"),
        "{response}"
    );
    let response = https_get(address, ca, "/api/v1/openapi.json").await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");

    // Plain HTTP to the TLS port gets no HTTP answer (a TLS alert at most, then close).
    let mut plain = TcpStream::connect(address).await.unwrap();
    plain
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), plain.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the server kept a plain-HTTP connection open");
    assert!(
        !answer.starts_with(b"HTTP/"),
        "{}",
        String::from_utf8_lossy(&answer)
    );

    // A key that does not belong to the certificate is refused at start.
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    std::fs::write(
        dir.path().join("other.key"),
        other.signing_key.serialize_pem(),
    )
    .unwrap();
    set_mode(&dir.path().join("other.key"), 0o600);
    let mismatch = registry_server::server::tls::load_config(&cert, &dir.path().join("other.key"))
        .unwrap_err();
    assert!(
        format!("{mismatch:#}").contains("does not fit"),
        "{mismatch:#}"
    );
    assert!(registry_server::server::tls::load_config(&key, &key).is_err());
    // A TLS key that others may read is refused, as the signing keys are.
    set_mode(&key, 0o644);
    let wide = registry_server::server::tls::load_config(&cert, &key).unwrap_err();
    assert!(format!("{wide:#}").contains("chmod 600"), "{wide:#}");
    set_mode(&key, 0o600);

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server stops")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn the_binary_logs_json_lines_without_paths_queries_or_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, ca) = self_signed(dir.path());
    let token_file = dir.path().join("first-admin-token");
    let database = format!("sqlite:{}?mode=rwc", dir.path().join("r.sqlite").display());
    let mut child = testkit::registry_command(dir.path(), &database)
        .env_clear()
        .env("RUST_LOG", "info")
        .args(["--log-format", "json"])
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    let address = loop {
        let line = lines_rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("no 'registry listening' line ({e}): {lines:#?}"));
        let event: Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        lines.push(line);
        if event["fields"]["message"] == "registry listening" {
            assert_eq!(event["fields"]["scheme"], "https");
            break event["fields"]["address"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
        }
    };
    let admin = std::fs::read_to_string(&token_file)
        .unwrap()
        .trim()
        .to_string();

    let response = https_get(address, ca.clone(), "/healthz").await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let probe = "/api/v1/patients/SECRETPATIENT?name=SECRETNAME";
    let response = https_get(address, ca.clone(), probe).await;
    assert!(response.starts_with("HTTP/1.1 401"), "{response}");
    // With the admin token: a 403 (patients are not the admin's), logged at the route.
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = TcpStream::connect(address).await.unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let request = format!(
        "GET {probe} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {admin}\r\nConnection: close\r\n\r\n"
    );
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    let _ = tls.read_to_end(&mut response).await;
    assert!(
        response.starts_with(b"HTTP/1.1 403"),
        "{}",
        String::from_utf8_lossy(&response)
    );

    // Let the access-log lines arrive, then stop the server.
    let mut routed = false;
    while let Ok(line) = lines_rx.recv_timeout(Duration::from_secs(5)) {
        routed |= line.contains(r#""route":"/api/v1/patients/{id}""#) && line.contains("403");
        lines.push(line);
        if routed {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    while let Ok(line) = lines_rx.recv_timeout(Duration::from_millis(200)) {
        lines.push(line);
    }

    assert!(
        routed,
        "no access-log line with the route template and status: {lines:#?}"
    );
    for line in &lines {
        let event: Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        assert!(
            event["level"].is_string() && event["timestamp"].is_string(),
            "{line}"
        );
        for secret in [
            "SECRETPATIENT",
            "SECRETNAME",
            "name=",
            admin.as_str(),
            "lyr_",
        ] {
            assert!(!line.contains(secret), "a log line shows {secret}: {line}");
        }
    }
}
