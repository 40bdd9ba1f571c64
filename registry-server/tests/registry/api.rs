//! The registry's HTTP API, in-process, on SQLite and (with `TEST_POSTGRES_URL`) PostgreSQL.
//! Every test runs its story once per backend, each on a fresh database.

use crate::support::{
    backends, bundle_store, medicine_body, patient_body, register_patient, tumour_body, Staff,
    TestApp, START,
};
use axum::http::{Method, StatusCode};
use card_format::{qr, Policy};
use serde_json::{json, Value};

const GET: Method = Method::GET;
const POST: Method = Method::POST;
const PUT: Method = Method::PUT;

async fn register(app: &TestApp, staff: &Staff, id: &str) -> String {
    register_patient(app, staff, patient_body(id)).await["patient"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn authorise(
    app: &TestApp,
    staff: &Staff,
    patient: &str,
    dispensings: u32,
    interval: u32,
) -> u64 {
    let (status, body) = app
        .call(
            POST,
            &format!("/api/v1/patients/{patient}/medicines"),
            &staff.clinician,
            Some(medicine_body(dispensings, interval)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().parse().unwrap()
}

async fn issue(app: &TestApp, staff: &Staff, patient: &str) -> Value {
    let (status, body) = app
        .call(
            POST,
            &format!("/api/v1/patients/{patient}/cards"),
            &staff.registrar,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

fn dispense(key: &str, serial: &str, auth: u64, quantity: u32) -> Value {
    json!({"idempotency_key": key, "card_serial": serial, "authorisation_id": auth, "quantity": quantity})
}

#[tokio::test]
async fn walkthrough_register_issue_dispense_revoke() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let patient = register(&app, &staff, "٢١٩٧٣٠٤١٢٣٤٥").await;
        for _ in 0..2 {
            let (status, body) = app
                .call(
                    POST,
                    &format!("/api/v1/patients/{patient}/tumours"),
                    &staff.clinician,
                    Some(tumour_body()),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{backend:?} {body}");
        }
        let auth = authorise(&app, &staff, &patient, 2, 28).await;
        let card = issue(&app, &staff, &patient).await;
        let serial = card["serial"].as_str().unwrap().to_string();

        // The QR the registry hands out verifies offline against its own bundle.
        let store = bundle_store(&app).await;
        let cose = qr::decode(card["qr"].as_str().unwrap()).unwrap();
        let verified = store
            .verify_card(&cose, START as u64 + 60, &Policy::default())
            .unwrap();
        let summary = &verified.value().summary;
        assert_eq!(summary.patient.id.value, "219730412345", "{backend:?}");
        assert_eq!(summary.tumours.len(), 2);
        assert_eq!(summary.medicines[0].id, auth);

        // Dispense; a retry returns the first result; a second dispensing is too soon.
        let (status, first) = send(
            &app,
            &staff.pharmacist,
            dispense("retry-key-1", &serial, auth, 30),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{backend:?} {first}");
        let (status, again) = send(
            &app,
            &staff.pharmacist,
            dispense("retry-key-1", &serial, auth, 30),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{again}");
        assert_eq!(again["replayed"], true);
        assert_eq!(again["dispensing"]["id"], first["dispensing"]["id"]);
        let (status, body) = send(
            &app,
            &staff.pharmacist,
            dispense("second-key", &serial, auth, 30),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("too_soon")),
            "{body}"
        );

        // Revoke: the card is refused online and, after a bundle sync, offline.
        let (status, body) = app
            .call(
                POST,
                &format!("/api/v1/cards/{serial}/revoke"),
                &staff.registrar,
                Some(json!({"reason": "lost"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        app.state.clock.advance(29 * 86_400);
        let (status, body) = send(
            &app,
            &staff.pharmacist,
            dispense("third-key1", &serial, auth, 30),
        )
        .await;
        assert_eq!(body["code"], "card_revoked", "{status} {body}");
        let err = bundle_store(&app)
            .await
            .verify_card(&cose, START as u64 + 120, &Policy::default())
            .unwrap_err();
        assert_eq!(err.code(), "revoked");
        let (_, status_body) = app
            .call(
                GET,
                &format!("/api/v1/cards/{serial}/status"),
                &staff.insurer,
                None,
            )
            .await;
        assert_eq!(status_body["status"], "revoked");
        assert_eq!(status_body["revoked_reason"], "lost");
    }
}

#[tokio::test]
async fn dispensing_refusals_are_specific_and_change_nothing() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let patient = register(&app, &staff, "219730412345").await;
        let other = register(&app, &staff, "119800101234").await;
        let auth = authorise(&app, &staff, &patient, 1, 0).await;
        let others_auth = authorise(&app, &staff, &other, 1, 0).await;
        let serial = issue(&app, &staff, &patient).await["serial"]
            .as_str()
            .unwrap()
            .to_string();
        let cases = [
            (dispense("over-qty-1", &serial, auth, 31), "over_quantity"),
            (
                dispense("not-mine-1", &serial, others_auth, 1),
                "medicine_not_authorised",
            ),
            (
                dispense("no-card-01", "AAAA-AAAA-AAAA-AAAA", auth, 1),
                "card_unknown",
            ),
        ];
        for (i, (body, code)) in cases.iter().enumerate() {
            let (status, resp) = send(&app, &staff.pharmacist, body.clone()).await;
            assert_eq!(
                (status, resp["code"].as_str()),
                (StatusCode::CONFLICT, Some(*code)),
                "case {i} {backend:?}: {resp}"
            );
        }
        let (status, _) = send(
            &app,
            &staff.pharmacist,
            dispense("ok-key-001", &serial, auth, 30),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        let (_, resp) = send(
            &app,
            &staff.pharmacist,
            dispense("ok-key-002", &serial, auth, 30),
        )
        .await;
        assert_eq!(resp["code"], "over_count", "{resp}");
        let (_, resp) = send(
            &app,
            &staff.pharmacist,
            dispense("ok-key-001", &serial, auth, 29),
        )
        .await;
        assert_eq!(resp["code"], "idempotency_key_reused", "{resp}");
        // After all that, exactly one dispensing exists.
        let (_, list) = app
            .call(
                GET,
                &format!("/api/v1/authorisations/{auth}/dispensings"),
                &staff.pharmacist,
                None,
            )
            .await;
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
        // An authorisation past its end date.
        app.state.clock.advance(400 * 86_400);
        let (_, resp) = send(
            &app,
            &staff.pharmacist,
            dispense("late-key-1", &serial, others_auth, 1),
        )
        .await;
        assert_eq!(resp["code"], "medicine_not_authorised", "{resp}");
    }
}

#[tokio::test]
async fn bad_input_gets_a_specific_4xx_and_changes_nothing() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let before = audit_len(&app, &staff).await;
        let url = "/api/v1/patients";
        let (status, _, _) = app
            .raw(
                POST,
                url,
                &staff.registrar,
                Some(b"{not json".to_vec()),
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let mut unknown = patient_body("219730412345");
        unknown["favourite_colour"] = json!("blue");
        let (status, body) = app.call(POST, url, &staff.registrar, Some(unknown)).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("favourite_colour")),
            "{body}"
        );
        let mut wrong_type = patient_body("219730412345");
        wrong_type["sex"] = json!(7);
        let (status, body) = app
            .call(POST, url, &staff.registrar, Some(wrong_type))
            .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("sex")),
            "{body}"
        );
        let (status, body) = app
            .call(POST, url, &staff.registrar, Some(patient_body("12345")))
            .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("id_value")),
            "{body}"
        );
        let patient = register(&app, &staff, "219730412345").await;
        let (status, body) = app
            .call(
                POST,
                url,
                &staff.registrar,
                Some(patient_body("219730412345")),
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("duplicate_identifier"))
        );
        let mut bad_tumour = tumour_body();
        bad_tumour["morphology"] = json!(7000);
        let (status, body) = app
            .call(
                POST,
                &format!("/api/v1/patients/{patient}/tumours"),
                &staff.clinician,
                Some(bad_tumour),
            )
            .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("tumour.morphology")),
            "{body}"
        );
        let (status, _) = app
            .call(GET, "/api/v1/patients/nope", &staff.registrar, None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let big = vec![b' '; 300 * 1024];
        let (status, _, _) = app.raw(POST, url, &staff.registrar, Some(big), &[]).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        // One patient registered (and its audit entry), nothing else written by the refusals.
        let (_, record) = app
            .call(
                GET,
                &format!("/api/v1/patients/{patient}/record"),
                &staff.clinician,
                None,
            )
            .await;
        assert_eq!(record["tumours"].as_array().unwrap().len(), 0);
        let after = audit_len(&app, &staff).await;
        // +1 register, +1 the duplicate_identifier refusal (a read: it said the number is
        // registered), +1 record read, +1 the first audit read itself.
        assert_eq!(after, before + 4, "{backend:?}");
    }
}

async fn audit_len(app: &TestApp, staff: &Staff) -> usize {
    let (status, body) = app
        .call(GET, "/api/v1/audit?limit=1000", &staff.auditor, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array().unwrap().len()
}

#[tokio::test]
async fn corrections_keep_history_and_refuse_stale_versions() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let patient = register(&app, &staff, "219730412345").await;
        let mut corrected = patient_body("219730412345");
        corrected["name_latin"] = json!(["Fatma", "Mohamed", "Abdullah", "Almansouri"]);
        let body = json!({"version": 1, "reason": "spelling on the passport", "data": corrected});
        let (status, resp) = app
            .call(
                PUT,
                &format!("/api/v1/patients/{patient}"),
                &staff.registrar,
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{resp}");
        assert_eq!(resp["patient"]["version"], 2);
        let (status, resp) = app
            .call(
                PUT,
                &format!("/api/v1/patients/{patient}"),
                &staff.registrar,
                Some(body),
            )
            .await;
        assert_eq!(
            (status, resp["code"].as_str()),
            (StatusCode::CONFLICT, Some("stale_version"))
        );
        let (_, history) = app
            .call(
                GET,
                &format!("/api/v1/patients/{patient}/history"),
                &staff.auditor,
                None,
            )
            .await;
        let history = history.as_array().unwrap();
        assert_eq!(history.len(), 1, "{backend:?}");
        assert!(history[0]["data"].as_str().unwrap().contains("Fatima"));
        assert_eq!(history[0]["reason"], "spelling on the passport");
        // A tumour corrected then withdrawn: both old versions kept.
        let (_, t) = app
            .call(
                POST,
                &format!("/api/v1/patients/{patient}/tumours"),
                &staff.clinician,
                Some(tumour_body()),
            )
            .await;
        let tid = t["id"].as_str().unwrap();
        let mut fixed = tumour_body();
        fixed["grade"] = json!(3);
        let (status, resp) = app
            .call(
                PUT,
                &format!("/api/v1/tumours/{tid}"),
                &staff.clinician,
                Some(json!({"version": 1, "reason": "pathology review", "data": fixed})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{resp}");
        let (status, resp) = app
            .call(
                POST,
                &format!("/api/v1/tumours/{tid}/withdraw"),
                &staff.clinician,
                Some(json!({"version": 2, "reason": "duplicate entry"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{resp}");
        let (_, history) = app
            .call(
                GET,
                &format!("/api/v1/tumours/{tid}/history"),
                &staff.clinician,
                None,
            )
            .await;
        assert_eq!(history.as_array().unwrap().len(), 2, "{history}");
        let (_, record) = app
            .call(
                GET,
                &format!("/api/v1/patients/{patient}/record"),
                &staff.registrar,
                None,
            )
            .await;
        assert_eq!(record["tumours"][0]["status"], "withdrawn");
        assert_eq!(record["tumours"][0]["grade"], 3);
    }
}

#[tokio::test]
async fn search_by_identifier_and_normalised_name() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let patient = register(&app, &staff, "219730412345").await;
        for (query, found) in [
            ("identifier=٢١٩٧٣٠٤١٢٣٤٥", true),
            ("identifier=219730412346", false),
            ("name=Muhammad%20Fatma", true),
            ("name=%D8%A3%D8%AD%D9%85%D8%AF", false), // أحمد
            ("name=%D9%81%D8%A7%D8%B7%D9%85%D9%87", true), // فاطمه (ة folded to ه)
        ] {
            let (status, body) = app
                .call(
                    GET,
                    &format!("/api/v1/patients?{query}"),
                    &staff.registrar,
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{query}: {body}");
            let ids: Vec<&str> = body["patients"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_str().unwrap())
                .collect();
            assert_eq!(
                ids.contains(&patient.as_str()),
                found,
                "{backend:?} {query}: {body}"
            );
        }
    }
}

#[tokio::test]
async fn audit_chain_verifies_and_detects_tampering() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let patient = register(&app, &staff, "219730412345").await;
        app.call(
            GET,
            &format!("/api/v1/patients/{patient}"),
            &staff.clinician,
            None,
        )
        .await;
        let (_, report) = app
            .call(GET, "/api/v1/audit/verify", &staff.auditor, None)
            .await;
        assert_eq!(report["intact"], true, "{report}");
        let (_, reads) = app
            .call(
                GET,
                &format!("/api/v1/audit?action=patient.read&entity_id={patient}"),
                &staff.auditor,
                None,
            )
            .await;
        assert_eq!(reads.as_array().unwrap().len(), 1, "{reads}");
        sqlx::query("UPDATE audit_log SET user_id = 'someone-else' WHERE seq = 3")
            .execute(&app.state.db.pool)
            .await
            .unwrap();
        let (_, report) = app
            .call(GET, "/api/v1/audit/verify", &staff.auditor, None)
            .await;
        assert_eq!(
            (report["intact"].as_bool(), report["first_broken"].as_i64()),
            (Some(false), Some(3)),
            "{report}"
        );
    }
}

#[tokio::test]
async fn trust_bundle_etag_changes_only_when_revocations_do() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let (_, _, headers) = app.raw(GET, "/api/v1/trust-bundle", "", None, &[]).await;
        let etag = headers["etag"].to_str().unwrap().to_string();
        let (status, body, _) = app
            .raw(
                GET,
                "/api/v1/trust-bundle",
                "",
                None,
                &[("if-none-match", &etag)],
            )
            .await;
        assert_eq!((status, body.len()), (StatusCode::NOT_MODIFIED, 0));
        let patient = register(&app, &staff, "219730412345").await;
        let serial = issue(&app, &staff, &patient).await["serial"]
            .as_str()
            .unwrap()
            .to_string();
        let (status, _, _) = app
            .raw(
                GET,
                "/api/v1/trust-bundle",
                "",
                None,
                &[("if-none-match", &etag)],
            )
            .await;
        assert_eq!(
            status,
            StatusCode::NOT_MODIFIED,
            "a first card supersedes nothing"
        );
        app.call(
            POST,
            &format!("/api/v1/cards/{serial}/revoke"),
            &staff.registrar,
            Some(json!({"reason": "stolen"})),
        )
        .await;
        let (status, _, headers) = app
            .raw(
                GET,
                "/api/v1/trust-bundle",
                "",
                None,
                &[("if-none-match", &etag)],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{backend:?}");
        assert_ne!(headers["etag"].to_str().unwrap(), etag);
        // A re-issue supersedes; the old card then verifies with a warning.
        let old = issue(&app, &staff, &patient).await;
        let new = issue(&app, &staff, &patient).await;
        assert_eq!(new["supersedes"], old["serial"]);
        let cose = qr::decode(old["qr"].as_str().unwrap()).unwrap();
        let verified = bundle_store(&app)
            .await
            .verify_card(&cose, START as u64 + 10, &Policy::default())
            .unwrap();
        assert_eq!(verified.warnings()[0].code(), "superseded");
    }
}

#[tokio::test]
async fn revoked_issuer_key_fails_its_cards_after_a_bundle_sync() {
    use card_format::keys::Es256Signer;
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        // Another site's key, certified by the (test) root.
        let root = card_format::SoftwareKey::from_pkcs8_pem(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../fixtures/keys/root.key.pem"
            ))
            .unwrap(),
        )
        .unwrap();
        let other = card_format::SoftwareKey::generate();
        let cert = card_format::Certificate {
            public_key: other.public_key().clone(),
            issuer_id: "LY-TRP-ONC".into(),
            region: "west".into(),
            not_before: START as u64 - 86_400,
            not_after: START as u64 + 365 * 86_400,
            usage: card_format::Usage::CARDS,
        }
        .sign(&root)
        .unwrap();
        let body = json!({"certificate_hex": hex::encode(&cert)});
        let (status, resp) = app
            .call(POST, "/api/v1/issuers", &app.admin, Some(body.clone()))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{backend:?} {resp}");
        let kid = resp["kid"].as_str().unwrap().to_string();
        let (status, _) = app
            .call(POST, "/api/v1/issuers", &app.admin, Some(body))
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, _) = app
            .call(
                POST,
                "/api/v1/issuers",
                &staff.registrar,
                Some(json!({"certificate_hex": "00"})),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // A card from that site verifies with the bundle, until the key is revoked.
        let payload = card_format::model::CardPayload {
            issuer: "LY-TRP-ONC".into(),
            issued_at: START as u64,
            expires_at: START as u64 + 1000 * 86_400,
            serial: card_format::CardSerial::random(),
            summary: serde_json::from_str(include_str!("../../../fixtures/summaries/adult.json"))
                .unwrap(),
        };
        let card = card_format::sign_card(&other, &payload, None).unwrap();
        bundle_store(&app)
            .await
            .verify_card(&card, START as u64 + 10, &Policy::default())
            .unwrap();
        let (status, _) = app
            .call(
                POST,
                &format!("/api/v1/issuers/{kid}/revoke"),
                &app.admin,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let err = bundle_store(&app)
            .await
            .verify_card(&card, START as u64 + 10, &Policy::default())
            .unwrap_err();
        assert_eq!(err.code(), "issuer_revoked");
        // The server's own key cannot be revoked while it signs.
        let own = app.state.signing.issuer_info.kid().to_hex();
        let (_, resp) = app
            .call(
                POST,
                &format!("/api/v1/issuers/{own}/revoke"),
                &app.admin,
                None,
            )
            .await;
        assert_eq!(resp["code"], "revoking_own_key");
    }
}

#[tokio::test]
async fn malformed_path_ids_are_problem_documents() {
    let app = TestApp::new(crate::support::backends()[0]).await;
    let staff = Staff::hire(&app).await;
    for (token, uri) in [
        (
            &staff.pharmacist,
            "/api/v1/authorisations/not-a-number/dispensings",
        ),
        (&staff.registrar, "/api/v1/cards/not-a-serial"),
        (&staff.registrar, "/api/v1/patients/unknown"),
    ] {
        let (status, _, headers) = app.raw(GET, uri, token, None, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(headers["content-type"], "application/problem+json", "{uri}");
    }
}

#[tokio::test]
async fn malformed_query_strings_are_problem_documents() {
    let app = TestApp::new(crate::support::backends()[0]).await;
    let staff = Staff::hire(&app).await;
    for (token, uri) in [
        (&staff.registrar, "/api/v1/patients?name=Ali&limit=lots"),
        (&staff.registrar, "/api/v1/patients?favourite=1"),
        (&staff.auditor, "/api/v1/audit?from=yesterday"),
    ] {
        let (status, body) = app.call(GET, uri, token, None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{uri}: {body}");
        assert_eq!(body["field"], "query", "{uri}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reads_are_each_audited_in_one_unbroken_chain() {
    for backend in backends() {
        let app = std::sync::Arc::new(TestApp::new(backend).await);
        let staff = Staff::hire(&app).await;
        let patient = register(&app, &staff, "219730412345").await;
        let before = audit_len(&app, &staff).await;
        let reads: Vec<_> = (0..50)
            .map(|_| {
                let (app, token, uri) = (
                    app.clone(),
                    staff.clinician.clone(),
                    format!("/api/v1/patients/{patient}"),
                );
                tokio::spawn(async move { app.call(GET, &uri, &token, None).await.0 })
            })
            .collect();
        for read in reads {
            assert_eq!(read.await.unwrap(), StatusCode::OK);
        }
        let (_, entries) = app
            .call(
                GET,
                &format!("/api/v1/audit?action=patient.read&entity_id={patient}"),
                &staff.auditor,
                None,
            )
            .await;
        assert_eq!(entries.as_array().unwrap().len(), 50, "{backend:?}");
        // +50 reads, +1 the audit read above, +1 the count's own read.
        assert_eq!(audit_len(&app, &staff).await, before + 52, "{backend:?}");
        let (_, report) = app
            .call(GET, "/api/v1/audit/verify", &staff.auditor, None)
            .await;
        assert_eq!(report["intact"], true, "{backend:?} {report}");
    }
}

// ---- Offline dispensings: recorded after the fact, conflicts flagged for review ----

const DAY: i64 = 86_400;

fn offline(key: &str, serial: &str, auth: u64, quantity: u32, at: i64) -> Value {
    json!({"idempotency_key": key, "card_serial": serial, "authorisation_id": auth,
        "quantity": quantity, "offline_at": at})
}

async fn send(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    app.call(POST, "/api/v1/dispensings", token, Some(body))
        .await
}

/// (dispensing rows, dispensed_count, last_dispensed_at) of an authorisation, from the
/// database itself.
async fn counters(app: &TestApp, auth: u64) -> (i64, i64, Option<i64>) {
    let auth = i64::try_from(auth).unwrap();
    let (rows,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM dispensings WHERE authorisation_id = $1")
            .bind(auth)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    let (count, last): (i64, Option<i64>) = sqlx::query_as(
        "SELECT dispensed_count, last_dispensed_at FROM medicine_authorisations WHERE id = $1",
    )
    .bind(auth)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    (rows, count, last)
}

/// A patient with an authorisation and a card: (authorisation id, card serial).
async fn patient_with_card(
    app: &TestApp,
    staff: &Staff,
    national: &str,
    dispensings: u32,
    interval: u32,
) -> (u64, String) {
    let patient = register(app, staff, national).await;
    let auth = authorise(app, staff, &patient, dispensings, interval).await;
    let serial = issue(app, staff, &patient).await["serial"]
        .as_str()
        .unwrap()
        .to_string();
    (auth, serial)
}

async fn conflict_list(app: &TestApp, token: &str, query: &str) -> (StatusCode, Value) {
    app.call(
        GET,
        &format!("/api/v1/dispensings/conflicts{query}"),
        token,
        None,
    )
    .await
}

#[tokio::test]
async fn offline_dispensing_within_the_rules_is_recorded_without_conflict() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let (auth, serial) = patient_with_card(&app, &staff, "219730412345", 2, 28).await;
        app.state.clock.advance(3 * DAY);
        let at = START + DAY + 3600;
        let (status, body) = send(
            &app,
            &staff.pharmacist,
            offline("offline-ok-1", &serial, auth, 30, at),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{backend:?} {body}");
        assert_eq!(
            (&body["conflict"], &body["offline"], &body["replayed"]),
            (&Value::Null, &json!(true), &json!(false)),
            "{body}"
        );
        assert_eq!(body["dispensed_count"], 1);
        let row = &body["dispensing"];
        assert_eq!(row["dispensed_at"], at, "{body}");
        assert_eq!(row["received_at"], START + 3 * DAY, "{body}");
        assert_eq!(
            (&row["offline"], &row["conflict"]),
            (&json!(true), &Value::Null)
        );
        assert_eq!(counters(&app, auth).await, (1, 1, Some(at)), "{backend:?}");
        // The authorisation's list shows it as offline; the review list does not.
        let (status, list) = app
            .call(
                GET,
                &format!("/api/v1/authorisations/{auth}/dispensings"),
                &staff.clinician,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert_eq!(list[0]["offline"], true, "{list}");
        assert_eq!(list[0]["received_at"], START + 3 * DAY, "{list}");
        assert!(list[0]["conflict"].is_null(), "{list}");
        let (status, flagged) = conflict_list(&app, &staff.auditor, "").await;
        assert_eq!((status, flagged), (StatusCode::OK, json!([])));
        // Audited as an offline dispensing; counted as recorded.
        let (_, entries) = app
            .call(
                GET,
                "/api/v1/audit?action=dispensing.record.offline",
                &staff.auditor,
                None,
            )
            .await;
        assert_eq!(entries.as_array().unwrap().len(), 1, "{entries}");
        assert_eq!(entries[0]["entity_id"], auth.to_string());
        // An online dispensing is unchanged: no conflict, not offline, received when dispensed.
        app.state.clock.advance(28 * DAY);
        let (status, body) = send(
            &app,
            &staff.pharmacist,
            dispense("online-ok-1", &serial, auth, 30),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(
            (&body["conflict"], &body["offline"]),
            (&Value::Null, &json!(false))
        );
        let row = &body["dispensing"];
        assert_eq!(row["dispensed_at"], row["received_at"], "{body}");
        assert_eq!(body["dispensed_count"], 2);
    }
}

#[tokio::test]
async fn two_offline_pharmacies_beyond_the_count_are_both_recorded_the_later_flagged() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let other_pharmacy = app.pharmacy("LY-BEN-PH2").await;
        let other_pharmacist = app.user("pharmacist", &other_pharmacy).await;
        let (auth, serial) = patient_with_card(&app, &staff, "219730412345", 1, 0).await;
        app.state.clock.advance(5 * DAY);
        // Both handed out the one authorised dispensing while offline; the second pharmacy's
        // dispensing happened first, but arrives last.
        let (first_at, second_at) = (START + 2 * DAY, START + DAY);
        let (status, first) = send(
            &app,
            &staff.pharmacist,
            offline("pharmacy-1-q-0001", &serial, auth, 30, first_at),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{backend:?} {first}");
        assert!(first["conflict"].is_null(), "{first}");
        app.state.clock.advance(60);
        let (status, second) = send(
            &app,
            &other_pharmacist,
            offline("pharmacy-2-q-0001", &serial, auth, 30, second_at),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{backend:?} {second}");
        assert_eq!(second["conflict"], "over_count", "{second}");
        assert_eq!(second["dispensing"]["conflict"], "over_count", "{second}");
        assert_eq!(
            (
                &second["dispensed_count"],
                &second["dispensings_authorised"]
            ),
            (&json!(2), &json!(1)),
            "{second}"
        );
        // Both kept and counted; the last dispensing is the later of the two times.
        assert_eq!(
            counters(&app, auth).await,
            (2, 2, Some(first_at)),
            "{backend:?}"
        );
        // Only the flagged one is in the review list, with what a reviewer needs.
        let (status, flagged) = conflict_list(&app, &staff.auditor, "").await;
        assert_eq!(status, StatusCode::OK, "{flagged}");
        assert_eq!(flagged.as_array().unwrap().len(), 1, "{flagged}");
        let item = &flagged[0];
        assert_eq!(item["id"], second["dispensing"]["id"]);
        assert_eq!(item["authorisation_id"], auth);
        assert_eq!(item["card_serial"], serial.replace('-', ""));
        assert_eq!(item["facility_code"], "LY-BEN-PH2");
        assert_eq!(item["quantity"], 30);
        assert_eq!(item["dispensed_at"], second_at);
        assert_eq!(item["received_at"], START + 5 * DAY + 60);
        assert_eq!(item["conflict"], "over_count");
        let fields: Vec<&String> = item.as_object().unwrap().keys().collect();
        assert_eq!(fields.len(), 8, "{item}");
        // The authorisation's own list shows both, with their flags.
        let (_, list) = app
            .call(
                GET,
                &format!("/api/v1/authorisations/{auth}/dispensings"),
                &staff.pharmacist,
                None,
            )
            .await;
        let conflicts: Vec<&Value> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|d| &d["conflict"])
            .collect();
        assert_eq!(conflicts, [&json!("over_count"), &Value::Null], "{list}");
        // The counters moved: online, the authorisation is used up.
        let (status, body) = send(
            &app,
            &staff.pharmacist,
            dispense("online-after-sync", &serial, auth, 30),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("over_count"))
        );
        // The conflict is in the audit log, by code, and the chain is intact.
        let (_, entries) = app
            .call(
                GET,
                "/api/v1/audit?action=dispensing.record.offline.over_count",
                &staff.auditor,
                None,
            )
            .await;
        assert_eq!(entries.as_array().unwrap().len(), 1, "{entries}");
        assert_eq!(entries[0]["facility_code"], "LY-BEN-PH2");
        let (_, report) = app
            .call(GET, "/api/v1/audit/verify", &staff.auditor, None)
            .await;
        assert_eq!(report["intact"], true, "{report}");
        // /metrics counts the flag by code.
        let (_, bytes, _) = app.raw(GET, "/metrics", "", None, &[]).await;
        let text = String::from_utf8(bytes).unwrap();
        assert!(
            text.contains(r#"registry_dispensings_flagged_total{code="over_count"} 1"#),
            "{text}"
        );
    }
}

#[tokio::test]
async fn offline_retry_replays_the_first_result_with_its_conflict() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let (auth, serial) = patient_with_card(&app, &staff, "219730412345", 1, 0).await;
        let (status, _) = send(
            &app,
            &staff.pharmacist,
            dispense("online-first-1", &serial, auth, 30),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        app.state.clock.advance(DAY);
        let item = offline("queued-item-0001", &serial, auth, 30, START + 3600);
        let (status, first) = send(&app, &staff.pharmacist, item.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{backend:?} {first}");
        assert_eq!(first["conflict"], "over_count", "{first}");
        let audit_before = audit_len(&app, &staff).await;
        let (status, again) = send(&app, &staff.pharmacist, item.clone()).await;
        assert_eq!(status, StatusCode::OK, "{again}");
        assert_eq!(
            (&again["replayed"], &again["conflict"], &again["offline"]),
            (&json!(true), &json!("over_count"), &json!(true)),
            "{again}"
        );
        assert_eq!(again["dispensing"], first["dispensing"]);
        assert_eq!(
            counters(&app, auth).await,
            (2, 2, Some(START + 3600)),
            "{backend:?}"
        );
        // Nothing was written for the retry (+1: the count's own audit read).
        assert_eq!(audit_len(&app, &staff).await, audit_before + 1);
        // Long after, with the dispensing now older than the 90-day window, a retry still
        // gets its first result: a retry never needs a person.
        app.state.clock.advance(100 * DAY);
        let (status, late) = send(&app, &staff.pharmacist, item).await;
        assert_eq!(status, StatusCode::OK, "{late}");
        assert_eq!(late["dispensing"]["id"], first["dispensing"]["id"]);
        // The same key for a different offline time is another request.
        let (status, body) = send(
            &app,
            &staff.pharmacist,
            offline("queued-item-0001", &serial, auth, 30, START + 3601),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("idempotency_key_reused")),
            "{body}"
        );
        assert_eq!(counters(&app, auth).await.0, 2);
    }
}

#[tokio::test]
async fn offline_card_revocation_and_supersession_are_judged_at_offline_at() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let (auth, serial) = patient_with_card(&app, &staff, "219730412345", 10, 0).await;
        // Revoked one day after issue.
        app.state.clock.advance(DAY);
        let revoked_at = START + DAY;
        let (status, body) = app
            .call(
                POST,
                &format!("/api/v1/cards/{serial}/revoke"),
                &staff.registrar,
                Some(json!({"reason": "stolen"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        app.state.clock.advance(2 * DAY);
        for (key, at, want) in [
            ("before-revoke-1", revoked_at - 3600, Value::Null),
            ("after-revoke-01", revoked_at + 3600, json!("card_revoked")),
            ("at-the-revoke-1", revoked_at, json!("card_revoked")),
        ] {
            let (status, body) =
                send(&app, &staff.pharmacist, offline(key, &serial, auth, 30, at)).await;
            assert_eq!(status, StatusCode::CREATED, "{backend:?} {key}: {body}");
            assert_eq!(body["conflict"], want, "{backend:?} {key}: {body}");
        }
        assert_eq!(counters(&app, auth).await.0, 3);

        // A card superseded by a re-issue: flagged only after the new card was issued.
        let patient = register(&app, &staff, "119800101234").await;
        let auth = authorise(&app, &staff, &patient, 10, 0).await;
        let old = issue(&app, &staff, &patient).await["serial"]
            .as_str()
            .unwrap()
            .to_string();
        app.state.clock.advance(DAY);
        let reissued_at = app.state.clock.now();
        issue(&app, &staff, &patient).await;
        app.state.clock.advance(DAY);
        for (key, at, want) in [
            ("before-reissue1", reissued_at - 60, Value::Null),
            (
                "after-reissue01",
                reissued_at + 60,
                json!("card_superseded"),
            ),
        ] {
            let (status, body) =
                send(&app, &staff.pharmacist, offline(key, &old, auth, 30, at)).await;
            assert_eq!(status, StatusCode::CREATED, "{backend:?} {key}: {body}");
            assert_eq!(body["conflict"], want, "{backend:?} {key}: {body}");
        }
        // Online, both cards are still refused.
        for (card, code) in [(&serial, "card_revoked"), (&old, "card_superseded")] {
            let (status, body) = send(
                &app,
                &staff.pharmacist,
                dispense("online-now-01", card, auth, 30),
            )
            .await;
            assert_eq!(
                (status, body["code"].as_str()),
                (StatusCode::CONFLICT, Some(code)),
                "{body}"
            );
        }
    }
}

#[tokio::test]
async fn offline_expiry_quantity_and_interval_are_judged_at_offline_at() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let patient = register(&app, &staff, "219730412345").await;
        // Valid until 2027-06-30 (394 days after START, 2026-06-01).
        let auth = authorise(&app, &staff, &patient, 10, 28).await;
        let card = issue(&app, &staff, &patient).await;
        let serial = card["serial"].as_str().unwrap().to_string();
        let card_expires = card["expires_at"].as_i64().unwrap();

        // The interval between neighbours, whatever order they arrive in: day 60 first,
        // then day 10 (50 days before: fine), then day 30 (20 days after day 10: too soon).
        app.state.clock.advance(80 * DAY);
        for (key, day, quantity, want) in [
            ("day-60-item-01", 60, 30, Value::Null),
            ("day-10-item-01", 10, 30, Value::Null),
            ("day-30-item-01", 30, 30, json!("too_soon")),
            ("day-38-item-01", 38, 31, json!("over_quantity")),
        ] {
            let (status, body) = send(
                &app,
                &staff.pharmacist,
                offline(key, &serial, auth, quantity, START + day * DAY),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{backend:?} {key}: {body}");
            assert_eq!(body["conflict"], want, "{backend:?} {key}: {body}");
        }
        assert_eq!(
            counters(&app, auth).await,
            (4, 4, Some(START + 60 * DAY)),
            "last_dispensed_at is the latest dispensing"
        );
        // Online at day 80, the interval since day 60 has not passed.
        let (_, body) = send(
            &app,
            &staff.pharmacist,
            dispense("online-day-80", &serial, auth, 30),
        )
        .await;
        assert_eq!(body["code"], "too_soon", "{body}");

        // The authorisation's last day and the day after.
        app.state.clock.advance(330 * DAY);
        for (key, at, want) in [
            (
                "last-valid-day1",
                START + 394 * DAY + 12 * 3600,
                Value::Null,
            ),
            (
                "first-late-day1",
                START + 395 * DAY + 3600,
                json!("authorisation_expired"),
            ),
        ] {
            let (status, body) =
                send(&app, &staff.pharmacist, offline(key, &serial, auth, 30, at)).await;
            assert_eq!(status, StatusCode::CREATED, "{backend:?} {key}: {body}");
            assert_eq!(body["conflict"], want, "{backend:?} {key}: {body}");
        }
        // Years later: the card expires; before that the authorisation had (first rule broken).
        app.state
            .clock
            .advance(card_expires - app.state.clock.now() + 5 * DAY);
        for (key, at, want) in [
            (
                "card-not-expired",
                card_expires - DAY,
                "authorisation_expired",
            ),
            ("card-has-expired", card_expires + 3600, "card_expired"),
        ] {
            let (status, body) =
                send(&app, &staff.pharmacist, offline(key, &serial, auth, 30, at)).await;
            assert_eq!(status, StatusCode::CREATED, "{backend:?} {key}: {body}");
            assert_eq!(body["conflict"], want, "{backend:?} {key}: {body}");
        }
    }
}

#[tokio::test]
async fn offline_at_outside_its_window_is_invalid_and_changes_nothing() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let (auth, serial) = patient_with_card(&app, &staff, "219730412345", 5, 0).await;
        app.state.clock.advance(100 * DAY);
        let now = app.state.clock.now();
        let audit_before = audit_len(&app, &staff).await;
        for (key, at) in [
            ("in-the-future1", json!(now + 301)),
            ("far-future-001", json!(now + 365 * DAY)),
            ("ninety-one-day", json!(now - 90 * DAY - 1)),
            ("way-too-large1", json!(u64::MAX)),
        ] {
            let mut body = offline(key, &serial, auth, 30, 0);
            body["offline_at"] = at;
            let (status, resp) = send(&app, &staff.pharmacist, body).await;
            assert_eq!(
                (status, resp["field"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some("offline_at")),
                "{backend:?} {key}: {resp}"
            );
        }
        for (key, at, value) in [
            ("negative-time1", "-5", ""),
            ("not-a-number1", "", "\"soon\""),
        ] {
            let text = format!(
                r#"{{"idempotency_key": "{key}", "card_serial": "{serial}", "authorisation_id": {auth}, "quantity": 30, "offline_at": {at}{value}}}"#
            );
            let (status, bytes, _) = app
                .raw(
                    POST,
                    "/api/v1/dispensings",
                    &staff.pharmacist,
                    Some(text.into_bytes()),
                    &[],
                )
                .await;
            let resp: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(
                (status, resp["field"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some("offline_at")),
                "{backend:?} {key}: {resp}"
            );
        }
        assert_eq!(counters(&app, auth).await, (0, 0, None), "{backend:?}");
        // +1: the count's own audit read; the refusals wrote nothing.
        assert_eq!(audit_len(&app, &staff).await, audit_before + 1);
        // The edges of the window are inside it.
        for (key, at) in [
            ("five-min-ahead", now + 300),
            ("ninety-days-ago", now - 90 * DAY),
        ] {
            let (status, body) =
                send(&app, &staff.pharmacist, offline(key, &serial, auth, 30, at)).await;
            assert_eq!(status, StatusCode::CREATED, "{backend:?} {key}: {body}");
        }
    }
}

#[tokio::test]
async fn offline_dispensings_that_fit_no_authorisation_are_still_refused() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let patient = register(&app, &staff, "219730412345").await;
        let auth = authorise(&app, &staff, &patient, 5, 0).await;
        // A withdrawn authorisation of the card's own patient.
        let withdrawn = authorise(&app, &staff, &patient, 5, 0).await;
        let (status, body) = app
            .call(
                POST,
                &format!("/api/v1/medicines/{withdrawn}/withdraw"),
                &staff.clinician,
                Some(json!({"version": 1, "reason": "entered twice"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let serial = issue(&app, &staff, &patient).await["serial"]
            .as_str()
            .unwrap()
            .to_string();
        let (others_auth, _) = patient_with_card(&app, &staff, "119800101234", 5, 0).await;
        app.state.clock.advance(DAY);
        let at = START + 3600;
        let audit_before = audit_len(&app, &staff).await;
        for (body, code) in [
            (
                offline("not-mine-0001", &serial, others_auth, 30, at),
                "medicine_not_authorised",
            ),
            (
                offline("no-such-auth1", &serial, 4_242_424_242, 30, at),
                "medicine_not_authorised",
            ),
            (
                offline("withdrawn-001", &serial, withdrawn, 30, at),
                "medicine_not_authorised",
            ),
            (
                offline("no-such-card1", "AAAA-AAAA-AAAA-AAAA", auth, 30, at),
                "card_unknown",
            ),
        ] {
            let (status, resp) = send(&app, &staff.pharmacist, body).await;
            assert_eq!(
                (status, resp["code"].as_str()),
                (StatusCode::CONFLICT, Some(code)),
                "{backend:?}: {resp}"
            );
        }
        for id in [auth, others_auth, withdrawn] {
            assert_eq!(counters(&app, id).await, (0, 0, None), "{backend:?}");
        }
        let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM dispensings")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
        assert_eq!(rows, 0);
        // Nothing but the refusals themselves, kept for the inspectors' refusal rates, and
        // the auditor's read before them.
        assert_eq!(audit_len(&app, &staff).await, audit_before + 1 + 4);
        let refused: Vec<(String,)> = sqlx::query_as(
            "SELECT action FROM audit_log WHERE action LIKE 'dispensing.refused.%' ORDER BY seq",
        )
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap();
        let refused: Vec<&str> = refused.iter().map(|(a,)| a.as_str()).collect();
        assert_eq!(
            refused,
            [
                "dispensing.refused.medicine_not_authorised",
                "dispensing.refused.medicine_not_authorised",
                "dispensing.refused.medicine_not_authorised",
                "dispensing.refused.card_unknown",
            ],
            "{backend:?}"
        );
    }
}

#[tokio::test]
async fn conflicts_list_pages_newest_first_and_each_read_is_audited() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let (auth, serial) = patient_with_card(&app, &staff, "219730412345", 1, 0).await;
        let (other_auth, other_serial) =
            patient_with_card(&app, &staff, "119800101234", 1, 0).await;
        app.state.clock.advance(DAY);
        // Six offline dispensings on two authorisations of one dispensing each, received a
        // minute apart: all but the first on each are flagged.
        let mut flagged = Vec::new();
        for i in 0..6 {
            let (a, s) = if i % 2 == 0 {
                (auth, &serial)
            } else {
                (other_auth, &other_serial)
            };
            let key = format!("paging-item-{i:02}");
            let (status, body) = send(
                &app,
                &staff.pharmacist,
                offline(&key, s, a, 30, START + 3600 + i),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            if !body["conflict"].is_null() {
                flagged.push(body["dispensing"]["id"].as_str().unwrap().to_string());
            }
            app.state.clock.advance(60);
        }
        assert_eq!(flagged.len(), 4, "{backend:?}");
        flagged.reverse(); // newest first
        let (status, page1) = conflict_list(&app, &staff.clinician, "?limit=3").await;
        assert_eq!(status, StatusCode::OK, "{page1}");
        let ids = |page: &Value| -> Vec<String> {
            page.as_array()
                .unwrap()
                .iter()
                .map(|d| d["id"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(ids(&page1), flagged[..3], "{backend:?}");
        let last = &flagged[2];
        let (status, page2) =
            conflict_list(&app, &staff.auditor, &format!("?limit=3&before={last}")).await;
        assert_eq!(status, StatusCode::OK, "{page2}");
        assert_eq!(ids(&page2), flagged[3..], "{backend:?}");
        // Reading the list is audited per authorisation shown: both on page 1, one on page 2.
        let (_, entries) = app
            .call(
                GET,
                "/api/v1/audit?action=dispensing.conflicts.read",
                &staff.auditor,
                None,
            )
            .await;
        let mut read: Vec<(String, String)> = entries
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["role"].as_str().unwrap().to_string(),
                    e["entity_id"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        read.sort();
        let mut want = vec![
            ("clinician".to_string(), auth.to_string()),
            ("clinician".to_string(), other_auth.to_string()),
            (
                "auditor".to_string(),
                page2[0]["authorisation_id"].to_string(),
            ),
        ];
        want.sort();
        assert_eq!(read, want, "{backend:?} {entries}");
        // Bad paging parameters name the field.
        for (query, field) in [
            ("?limit=0", "limit"),
            ("?limit=1001", "limit"),
            ("?before=no-such-dispensing", "before"),
            ("?page=2", "query"),
        ] {
            let (status, body) = conflict_list(&app, &staff.auditor, query).await;
            assert_eq!(
                (status, body["field"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
                "{query}: {body}"
            );
        }
        let (status, all) = conflict_list(&app, &staff.auditor, "?limit=1000").await;
        assert_eq!((status, all.as_array().unwrap().len()), (StatusCode::OK, 4));
    }
}

#[tokio::test]
async fn iccc_is_derived_for_a_child_and_a_typed_one_must_agree() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let mut child = patient_body("120150101234");
        child["birth_date"] = json!("2015-01-01");
        let body = register_patient(&app, &staff, child).await;
        let patient = body["patient"]["id"].as_str().unwrap().to_string();
        let url = format!("/api/v1/patients/{patient}/tumours");
        // Retinoblastoma of the retina at age 3: ICCC-3 group V, never typed.
        let retinoblastoma = json!({
            "icd10": "C69.2", "topography": "C69.2", "morphology": 9510, "behaviour": 3,
            "basis": 7, "incidence": "2018-03-01"
        });
        let mut typed = retinoblastoma.clone();
        typed["iccc"] = json!("Ia");
        let (status, body) = app.call(POST, &url, &staff.clinician, Some(typed)).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("tumour.iccc")),
            "{backend:?} {body}"
        );
        assert!(
            body["detail"].as_str().unwrap().contains("here: V"),
            "{body}"
        );
        let (status, body) = app
            .call(POST, &url, &staff.clinician, Some(retinoblastoma.clone()))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{backend:?} {body}");
        // The same tumour in an adult (born 1973) is rare (IARC age/histology rules): kept once
        // confirmed, and then it has no ICCC-3 group.
        let adult = register(&app, &staff, "219730412345").await;
        let adult_url = format!("/api/v1/patients/{adult}/tumours");
        let (status, body) = app
            .call(
                POST,
                &adult_url,
                &staff.clinician,
                Some(retinoblastoma.clone()),
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("needs_confirmation")),
            "{body}"
        );
        let codes: Vec<&str> = body["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["check"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["age_topography_morphology"], "{body}");
        let confirmed = format!("{adult_url}?confirm={}", codes.join(","));
        let (status, body) = app
            .call(
                POST,
                &confirmed,
                &staff.clinician,
                Some(retinoblastoma.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let mut groups = Vec::new();
        for id in [&patient, &adult] {
            let (_, record) = app
                .call(
                    GET,
                    &format!("/api/v1/patients/{id}/record"),
                    &staff.clinician,
                    None,
                )
                .await;
            groups.push(record["tumours"][0]["iccc"].clone());
        }
        assert_eq!(groups, [json!("V"), Value::Null]);
    }
}

#[tokio::test]
async fn a_recorded_death_revokes_the_card_stops_dispensing_and_issuing() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let patient = register(&app, &staff, "219730412345").await;
        let auth = authorise(&app, &staff, &patient, 6, 1).await;
        let first = issue(&app, &staff, &patient).await;
        let card = issue(&app, &staff, &patient).await; // the first is now superseded
        let serial = card["serial"].as_str().unwrap().to_string();
        let cose = qr::decode(card["qr"].as_str().unwrap()).unwrap();
        let today = card_format::model::Date::from_unix_seconds(START as u64).to_string();
        let url = format!("/api/v1/patients/{patient}/follow-ups");

        // A death without its cause is refused and changes nothing.
        let (status, body) = app
            .call(
                POST,
                &url,
                &staff.clinician,
                Some(json!({"last_contact": today, "vital_status": "dead", "death_date": today})),
            )
            .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("death_cause")),
            "{backend:?} {body}"
        );
        let (status, _) = send(
            &app,
            &staff.pharmacist,
            dispense("before-death", &serial, auth, 30),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{backend:?}");

        let death = json!({
            "last_contact": today, "vital_status": "dead", "death_date": today,
            "death_cause": "C91.0"
        });
        let (status, body) = app.call(POST, &url, &staff.registrar, Some(death)).await;
        assert_eq!(status, StatusCode::CREATED, "{backend:?} {body}");
        let mut revoked: Vec<&str> = body["revoked_cards"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        revoked.sort_unstable();
        let mut both = [first["serial"].as_str().unwrap(), serial.as_str()];
        both.sort_unstable();
        assert_eq!(revoked, both, "both cards, the superseded one too: {body}");
        assert_eq!(body["follow_up"]["vital_status"], "dead");

        // Online: the card is revoked as deceased, dispensing is refused.
        app.state.clock.advance(2 * 86_400);
        let (_, status_body) = app
            .call(
                GET,
                &format!("/api/v1/cards/{serial}/status"),
                &staff.insurer,
                None,
            )
            .await;
        assert_eq!(status_body["status"], "revoked", "{status_body}");
        assert_eq!(status_body["revoked_reason"], "deceased", "{status_body}");
        let (_, body) = send(
            &app,
            &staff.pharmacist,
            dispense("after-death", &serial, auth, 30),
        )
        .await;
        assert_eq!(body["code"], "card_revoked", "{backend:?} {body}");
        // Offline: the bundle lists it, so a verifier that synced refuses it.
        let err = bundle_store(&app)
            .await
            .verify_card(&cose, START as u64 + 120, &Policy::default())
            .unwrap_err();
        assert_eq!(err.code(), "revoked");
        // No new card for a patient recorded dead.
        let (status, body) = app
            .call(
                POST,
                &format!("/api/v1/patients/{patient}/cards"),
                &staff.registrar,
                None,
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("patient_deceased")),
            "{body}"
        );
        // The follow-up reads back (an audited read); pharmacists may not read it.
        let (status, list) = app.call(GET, &url, &staff.clinician, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
        assert_eq!(list[0]["death_cause"], "C91.0");
        let (status, _) = app.call(GET, &url, &staff.pharmacist, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn record_checks_refuse_the_impossible_and_keep_the_rare_once_confirmed() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let mut man = patient_body("119730412345");
        man["sex"] = json!("male");
        let body = register_patient(&app, &staff, man).await;
        let patient = body["patient"]["id"].as_str().unwrap().to_string();
        let url = format!("/api/v1/patients/{patient}/tumours");
        let before = audit_len(&app, &staff).await;

        // A carcinoma of the cervix uteri in a man: invalid (IARC sex/site), refused.
        let cervix = json!({
            "icd10": "C53.9", "topography": "C53.9", "morphology": 8070, "behaviour": 3,
            "grade": 2, "basis": 7, "incidence": "2025-09-03"
        });
        let (status, body) = app
            .call(
                POST,
                &format!("{url}?confirm=sex_topography"),
                &staff.clinician,
                Some(cervix),
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("record_invalid")),
            "{backend:?} {body}"
        );
        let check = &body["checks"][0];
        assert_eq!(check["check"], "sex_topography", "{body}");
        assert_eq!(check["outcome"], "invalid");
        assert!(
            check["message_en"].as_str().unwrap().contains("C53.9"),
            "{body}"
        );
        assert!(!check["message_ar"].as_str().unwrap().is_empty());

        // A prostate adenocarcinoma at 35 (born 1973, incidence 2008): rare, kept only
        // once confirmed; an unknown code is refused.
        let prostate = json!({
            "icd10": "C61", "topography": "C61.9", "morphology": 8140, "behaviour": 3,
            "grade": 2, "basis": 7, "incidence": "2008-06-01"
        });
        let (status, body) = app
            .call(POST, &url, &staff.clinician, Some(prostate.clone()))
            .await;
        assert_eq!(body["code"], "needs_confirmation", "{status} {body}");
        let asked: Vec<String> = body["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["check"].as_str().unwrap().to_string())
            .collect();
        assert!(asked.iter().any(|c| c.starts_with("age_")), "{body}");
        let (status, body) = app
            .call(
                POST,
                &format!("{url}?confirm=no_such_check"),
                &staff.clinician,
                Some(prostate.clone()),
            )
            .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("confirm")),
            "{body}"
        );
        let (_, record) = app
            .call(
                GET,
                &format!("/api/v1/patients/{patient}/record"),
                &staff.clinician,
                None,
            )
            .await;
        assert_eq!(
            record["tumours"].as_array().unwrap().len(),
            0,
            "nothing written"
        );
        // +1: the record read just now.
        assert_eq!(audit_len(&app, &staff).await, before + 2, "{backend:?}");

        let (status, body) = app
            .call(
                POST,
                &format!("{url}?confirm={}", asked.join(",")),
                &staff.clinician,
                Some(prostate),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{backend:?} {body}");
        let id = body["id"].as_str().unwrap().to_string();
        // The confirmation is kept with who and when, and audited.
        let stored: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT check_code, outcome, confirmed_by FROM record_confirmations \
             WHERE table_name = 'tumours' AND record_id = $1 AND version = 1 ORDER BY check_code",
        )
        .bind(&id)
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap();
        let mut expected = asked.clone();
        expected.sort();
        assert_eq!(
            stored.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
            expected
        );
        assert!(stored.iter().all(|r| r.1 == "rare" || r.1 == "query"));
        let (_, entries) = app
            .call(
                GET,
                &format!("/api/v1/audit?action=tumour.confirm&entity_id={id}"),
                &staff.auditor,
                None,
            )
            .await;
        assert_eq!(entries.as_array().unwrap().len(), 1, "{entries}");
        // The record shows the confirmations of the current version.
        let (_, record) = app
            .call(
                GET,
                &format!("/api/v1/patients/{patient}/record"),
                &staff.clinician,
                None,
            )
            .await;
        let shown: Vec<&str> = record["confirmations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["check_code"].as_str().unwrap())
            .collect();
        assert_eq!(shown.len(), asked.len(), "{record}");
    }
}

#[tokio::test]
async fn recheck_lists_the_stored_tumours_that_fail_by_facility() {
    use registry_server::db::audit::Actor;
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let patient = register(&app, &staff, "219730412345").await;
        let url = format!("/api/v1/patients/{patient}/tumours");
        let mut ids = Vec::new();
        for _ in 0..2 {
            let (status, body) = app
                .call(POST, &url, &staff.clinician, Some(tumour_body()))
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            ids.push(body["id"].as_str().unwrap().to_string());
        }
        // Data entered before the checks: a prostate carcinoma on a woman's record.
        sqlx::query("UPDATE tumours SET icd10 = 'C61', topography = 'C61.9', morphology = 8140 WHERE id = $1")
            .bind(&ids[1])
            .execute(&app.state.db.pool)
            .await
            .unwrap();
        let actor = Actor {
            user_id: "system",
            role: "system",
            facility_code: "LY-MOH",
        };
        let found = registry_server::domain::recheck::run(&app.state.db, START, &actor)
            .await
            .unwrap();
        assert_eq!(found.checked, 2, "{backend:?}");
        assert_eq!(found.failures.len(), 1, "{backend:?} {found:?}");
        let failure = &found.failures[0];
        assert_eq!(failure.tumour_id, ids[1]);
        assert_eq!(failure.facility, "LY-BEN-PED", "the clinician's facility");
        let codes: Vec<&str> = failure.findings.iter().map(|f| f.check.code()).collect();
        assert!(codes.contains(&"sex_topography"), "{codes:?}");
        let (_, entries) = app
            .call(
                GET,
                "/api/v1/audit?action=registry.recheck",
                &staff.auditor,
                None,
            )
            .await;
        assert_eq!(entries.as_array().unwrap().len(), 1, "audited: {entries}");
    }
}

#[tokio::test]
async fn the_multiple_primary_rules_mark_a_second_breast_tumour_duplicate_and_a_colon_one_new() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let patient = register(&app, &staff, "219730412345").await;
        let url = format!("/api/v1/patients/{patient}/tumours");
        let post = |body: Value| {
            let app = &app;
            let url = url.clone();
            let token = staff.clinician.clone();
            async move { app.call(POST, &url, &token, Some(body)).await }
        };
        let (status, first) = post(tumour_body()).await;
        assert_eq!(status, StatusCode::CREATED, "{first}");
        assert_eq!(first["primary"]["decision"], "new_primary", "{first}");
        assert_eq!(first["primary"]["rule"], "first_tumour");
        // The other breast quadrant, same histology: one organ, one tumour (rule 3).
        let mut again = tumour_body();
        again["topography"] = json!("C50.1");
        let (status, second) = post(again).await;
        assert_eq!(status, StatusCode::CREATED, "{second}");
        assert_eq!(
            second["primary"]["decision"], "duplicate",
            "{backend:?} {second}"
        );
        assert_eq!(second["primary"]["rule"], "same_organ_same_histology");
        assert_eq!(second["primary"]["against"], first["id"]);
        assert!(
            second["primary"]["message_en"]
                .as_str()
                .unwrap()
                .contains("rule 3"),
            "{second}"
        );
        // An adenocarcinoma of the colon: another organ, a new primary.
        let colon = json!({
            "icd10": "C18.7", "topography": "C18.7", "morphology": 8140, "behaviour": 3,
            "grade": 2, "basis": 7, "incidence": "2025-10-01"
        });
        let (status, third) = post(colon).await;
        assert_eq!(status, StatusCode::CREATED, "{third}");
        assert_eq!(third["primary"]["decision"], "new_primary", "{third}");
        assert_eq!(third["primary"]["rule"], "different_organ");
        // The record carries each tumour's stored decision.
        let (_, record) = app
            .call(
                GET,
                &format!("/api/v1/patients/{patient}/record"),
                &staff.clinician,
                None,
            )
            .await;
        let mut decisions: Vec<(String, String)> = record["primaries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["tumour_id"].as_str().unwrap().to_string(),
                    p["decision"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        decisions.sort();
        let mut expected = vec![
            (
                first["id"].as_str().unwrap().to_string(),
                "new_primary".to_string(),
            ),
            (
                second["id"].as_str().unwrap().to_string(),
                "duplicate".to_string(),
            ),
            (
                third["id"].as_str().unwrap().to_string(),
                "new_primary".to_string(),
            ),
        ];
        expected.sort();
        assert_eq!(decisions, expected, "{record}");
    }
}

#[tokio::test]
async fn a_death_certificate_only_tumour_needs_the_death_and_its_date() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let patient = register(&app, &staff, "219730412345").await;
        let url = format!("/api/v1/patients/{patient}/tumours");
        let today = card_format::model::Date::from_unix_seconds(START as u64).to_string();
        let dco = |incidence: &str| {
            json!({
                "icd10": "C80.9", "topography": "C80.9", "morphology": 8000, "behaviour": 3,
                "basis": 0, "incidence": incidence
            })
        };
        let (status, body) = app
            .call(POST, &url, &staff.clinician, Some(dco(&today)))
            .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("tumour.basis")),
            "{backend:?} {body}"
        );
        let death = json!({"last_contact": today, "vital_status": "dead", "death_date": today,
                           "death_cause": "C80.9"});
        let (status, _) = app
            .call(
                POST,
                &format!("/api/v1/patients/{patient}/follow-ups"),
                &staff.registrar,
                Some(death),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, body) = app
            .call(POST, &url, &staff.clinician, Some(dco("2026-01-01")))
            .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("tumour.incidence")),
            "{body}"
        );
        assert!(body["detail"].as_str().unwrap().contains(&today), "{body}");
        let (status, body) = app
            .call(POST, &url, &staff.clinician, Some(dco(&today)))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{backend:?} {body}");
    }
}
