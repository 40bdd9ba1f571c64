//! The registry's HTTP API, in-process, on SQLite and (with `TEST_POSTGRES_URL`) PostgreSQL.
//! Every test runs its story once per backend, each on a fresh database.

// Helpers outside #[test] functions unwrap too: a panic there is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::http::{Method, StatusCode};
use card_format::trust::MAX_BUNDLE_LEN;
use card_format::{qr, Policy, TrustStore};
use serde_json::{json, Value};
use support::{backends, medicine_body, patient_body, tumour_body, Staff, TestApp, START};

const GET: Method = Method::GET;
const POST: Method = Method::POST;
const PUT: Method = Method::PUT;

async fn register(app: &TestApp, staff: &Staff, id: &str) -> String {
    let (status, body) = app
        .call(
            POST,
            "/api/v1/patients",
            &staff.registrar,
            Some(patient_body(id)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["patient"]["id"].as_str().unwrap().to_string()
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

async fn bundle_store(app: &TestApp) -> TrustStore {
    let (status, bytes, _) = app.raw(GET, "/api/v1/trust-bundle", "", None, &[]).await;
    assert_eq!(status, StatusCode::OK);
    TrustStore::from_bundle(app.state.signing.root.clone(), &bytes, MAX_BUNDLE_LEN).unwrap()
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
        let (status, first) = app
            .call(
                POST,
                "/api/v1/dispensings",
                &staff.pharmacist,
                Some(dispense("retry-key-1", &serial, auth, 30)),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{backend:?} {first}");
        let (status, again) = app
            .call(
                POST,
                "/api/v1/dispensings",
                &staff.pharmacist,
                Some(dispense("retry-key-1", &serial, auth, 30)),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{again}");
        assert_eq!(again["replayed"], true);
        assert_eq!(again["dispensing"]["id"], first["dispensing"]["id"]);
        let (status, body) = app
            .call(
                POST,
                "/api/v1/dispensings",
                &staff.pharmacist,
                Some(dispense("second-key", &serial, auth, 30)),
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
        let (status, body) = app
            .call(
                POST,
                "/api/v1/dispensings",
                &staff.pharmacist,
                Some(dispense("third-key1", &serial, auth, 30)),
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
            let (status, resp) = app
                .call(
                    POST,
                    "/api/v1/dispensings",
                    &staff.pharmacist,
                    Some(body.clone()),
                )
                .await;
            assert_eq!(
                (status, resp["code"].as_str()),
                (StatusCode::CONFLICT, Some(*code)),
                "case {i} {backend:?}: {resp}"
            );
        }
        let (status, _) = app
            .call(
                POST,
                "/api/v1/dispensings",
                &staff.pharmacist,
                Some(dispense("ok-key-001", &serial, auth, 30)),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let (_, resp) = app
            .call(
                POST,
                "/api/v1/dispensings",
                &staff.pharmacist,
                Some(dispense("ok-key-002", &serial, auth, 30)),
            )
            .await;
        assert_eq!(resp["code"], "over_count", "{resp}");
        let (_, resp) = app
            .call(
                POST,
                "/api/v1/dispensings",
                &staff.pharmacist,
                Some(dispense("ok-key-001", &serial, auth, 29)),
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
        let (_, resp) = app
            .call(
                POST,
                "/api/v1/dispensings",
                &staff.pharmacist,
                Some(dispense("late-key-1", &serial, others_auth, 1)),
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
        // +1 register, +1 record read, +1 the first audit read itself.
        assert_eq!(after, before + 3, "{backend:?}");
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
            summary: serde_json::from_str(include_str!("../../fixtures/summaries/adult.json"))
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
    let app = TestApp::new(support::backends()[0]).await;
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
    let app = TestApp::new(support::backends()[0]).await;
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
