//! One patient, one record, through the API on every backend: the duplicate search at and
//! before a registration, the review queue, a merge (rows moved, card superseded, bundle
//! says so), "distinct", and an auditor's unmerge.

use crate::support::{
    backends, bundle_store, medicine_body, patient_body, register_patient, tumour_body, Staff,
    TestApp, START,
};
use axum::http::{Method, StatusCode};
use card_format::{qr, Policy, Warning};
use serde_json::{json, Value};

const GET: Method = Method::GET;
const POST: Method = Method::POST;

/// The support patient (Fatima Mohamed Abdullah Almansouri, 1973-04-12) typed again: the
/// identifier in Arabic-Indic digits with one digit wrong, the Latin name spelt differently,
/// the name parts in another order, and the birth date with month and day swapped.
fn typed_again() -> Value {
    json!({
        "id_type": "national",
        "id_value": "٢١٩٧٣٠٤١٢٣٤٦",
        "name_ar": ["فاطمه", "المنصوري", "محمد", "عبد الله"],
        "name_latin": ["Fatma", "Al-Mansouri", "Muhammad", "Abdallah"],
        "sex": "female",
        "birth_date": "1973-12-04",
    })
}

fn stranger() -> Value {
    json!({
        "id_type": "national",
        "id_value": "119800101010",
        "name_ar": ["خالد", "سالم", "الورفلي"],
        "name_latin": ["Khaled", "Salem", "Alwarfalli"],
        "sex": "male",
        "birth_date": "1973-04-12",
    })
}

/// A GET that must answer 200; its JSON.
async fn get(app: &TestApp, path: &str, token: &str) -> Value {
    let (status, body) = app.call(GET, path, token, None).await;
    assert_eq!(status, StatusCode::OK, "{path} {body}");
    body
}

/// A POST's status and problem code.
async fn refusal(app: &TestApp, path: &str, token: &str, body: Value) -> (StatusCode, String) {
    let (status, problem) = app.call(POST, path, token, Some(body)).await;
    (
        status,
        problem["code"].as_str().unwrap_or_default().to_string(),
    )
}

fn codes(candidate: &Value) -> Vec<String> {
    candidate["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_patient_typed_again_is_found_explained_and_queued() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let first = register_patient(&app, &staff, patient_body("219730412345")).await;
        let first_id = first["patient"]["id"].as_str().unwrap().to_string();
        assert!(first.get("possible_duplicates").is_none(), "{first}");
        register_patient(&app, &staff, stranger()).await;

        // Before registering: the search finds the first record, not the stranger born the
        // same day, and says why.
        let (status, found) = app
            .call(
                POST,
                "/api/v1/duplicates/search",
                &staff.registrar,
                Some(typed_again()),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{backend:?} {found}");
        let found = found.as_array().unwrap().clone();
        assert_eq!(found.len(), 1, "{backend:?} {found:?}");
        assert_eq!(found[0]["patient"]["id"], first_id.as_str());
        assert_eq!(
            codes(&found[0]),
            [
                "identifier_typo",
                "arabic_names",
                "latin_names",
                "birth_date_swapped"
            ],
            "{backend:?} {found:?}"
        );
        let total: i64 = found[0]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["points"].as_i64().unwrap())
            .sum();
        assert_eq!(found[0]["score"].as_i64(), Some(total));
        // Bad input: a specific error, nothing searched.
        let mut bad = typed_again();
        bad["birth_date"] = json!("1973-13-40");
        let (status, body) = app
            .call(
                POST,
                "/api/v1/duplicates/search",
                &staff.registrar,
                Some(bad),
            )
            .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("birth_date")),
            "{body}"
        );
        // Only registrars search.
        let (status, _) = app
            .call(
                POST,
                "/api/v1/duplicates/search",
                &staff.clinician,
                Some(typed_again()),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // Registering it anyway: the answer names the candidate and the pair is queued.
        let second = register_patient(&app, &staff, typed_again()).await;
        let second_id = second["patient"]["id"].as_str().unwrap().to_string();
        assert_eq!(
            second["possible_duplicates"][0]["patient"]["id"],
            first_id.as_str(),
            "{second}"
        );
        let (status, queue) = app
            .call(GET, "/api/v1/duplicates", &staff.auditor, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{queue}");
        let queue = queue.as_array().unwrap().clone();
        assert_eq!(queue.len(), 1, "{queue:?}");
        let ids = [
            queue[0]["a"]["id"].as_str().unwrap(),
            queue[0]["b"]["id"].as_str().unwrap(),
        ];
        assert!(ids.contains(&first_id.as_str()) && ids.contains(&second_id.as_str()));
        assert_eq!(queue[0]["status"], "open");
        // The search from the registered record finds the same pair and does not queue it
        // twice; each patient shown was audited as read.
        let (status, found) = app
            .call(
                GET,
                &format!("/api/v1/patients/{second_id}/duplicates"),
                &staff.registrar,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(found[0]["patient"]["id"], first_id.as_str());
        let (_, queue) = app
            .call(GET, "/api/v1/duplicates", &staff.registrar, None)
            .await;
        assert_eq!(queue.as_array().unwrap().len(), 1);
        let (_, audit) = app
            .call(
                GET,
                &format!("/api/v1/audit?action=patient.duplicates&entity_id={first_id}"),
                &staff.auditor,
                None,
            )
            .await;
        assert!(audit.as_array().unwrap().len() >= 3, "{backend:?} {audit}");

        // "Two people": the pair leaves the queue and is not proposed again.
        let (status, _) = app
            .call(
                POST,
                "/api/v1/duplicates/distinct",
                &staff.registrar,
                Some(json!({"a": first_id, "b": second_id})),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        app.call(
            GET,
            &format!("/api/v1/patients/{second_id}/duplicates"),
            &staff.registrar,
            None,
        )
        .await;
        let (_, queue) = app
            .call(GET, "/api/v1/duplicates", &staff.registrar, None)
            .await;
        assert_eq!(queue, json!([]), "{backend:?}");
        let (_, decided) = app
            .call(
                GET,
                "/api/v1/duplicates?status=distinct",
                &staff.registrar,
                None,
            )
            .await;
        assert!(decided[0]["decided_by"].as_str().is_some(), "{decided}");
    }
}

async fn count(app: &TestApp, sql: &str, id: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .bind(id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_merge_moves_the_record_supersedes_its_card_and_an_auditor_undoes_it() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let keep = register_patient(&app, &staff, patient_body("219730412345")).await["patient"]
            ["id"]
            .as_str()
            .unwrap()
            .to_string();
        let gone = register_patient(&app, &staff, typed_again()).await["patient"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let (status, _) = app
            .call(
                POST,
                &format!("/api/v1/patients/{gone}/tumours"),
                &staff.clinician,
                Some(tumour_body()),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, body) = app
            .call(
                POST,
                &format!("/api/v1/patients/{gone}/medicines"),
                &staff.clinician,
                Some(medicine_body(6, 1)),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let auth: u64 = body["id"].as_str().unwrap().parse().unwrap();
        let (_, card) = app
            .call(
                POST,
                &format!("/api/v1/patients/{gone}/cards"),
                &staff.registrar,
                None,
            )
            .await;
        let serial = card["serial"].as_str().unwrap().to_string();
        let cose = qr::decode(card["qr"].as_str().unwrap()).unwrap();
        // The same breast tumour was also entered on the record kept, at another facility.
        let (status, _) = app
            .call(
                POST,
                &format!("/api/v1/patients/{keep}/tumours"),
                &staff.clinician,
                Some(tumour_body()),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let url = format!("/api/v1/patients/{keep}/merge");

        // Refusals change nothing: no reason, itself, the wrong role.
        for (who, body, expected) in [
            (
                &staff.registrar,
                json!({"merged_id": gone, "reason": " "}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                &staff.registrar,
                json!({"merged_id": keep, "reason": "same"}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                &staff.clinician,
                json!({"merged_id": gone, "reason": "same person"}),
                StatusCode::FORBIDDEN,
            ),
            (
                &staff.registrar,
                json!({"merged_id": "nobody", "reason": "same person"}),
                StatusCode::NOT_FOUND,
            ),
        ] {
            let (status, problem) = app.call(POST, &url, who, Some(body)).await;
            assert_eq!(status, expected, "{backend:?} {problem}");
        }
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM tumours WHERE patient_id = $1",
                &gone
            )
            .await,
            1
        );

        let (status, merged) = app
            .call(
                POST,
                &url,
                &staff.registrar,
                Some(json!({"merged_id": gone, "reason": "same child, typed twice"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{backend:?} {merged}");
        assert_eq!(merged["superseded_cards"], json!([serial]));
        // Judged again against the kept record's tumours: the same tumour twice.
        assert_eq!(merged["primaries"][0]["decision"], "duplicate", "{merged}");
        assert_eq!(merged["primaries"][0]["rule"], "same_organ_same_histology");
        assert_eq!(
            merged["merge"]["moved"]["tumours"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            merged["merge"]["moved"]["medicine_authorisations"],
            json!([auth.to_string()])
        );
        let merge_id = merged["merge"]["id"].as_str().unwrap().to_string();

        // The survivor holds the rows; the merged record says where it went and takes no
        // more writes or cards; a name search finds one record.
        let record = get(
            &app,
            &format!("/api/v1/patients/{keep}/record"),
            &staff.clinician,
        )
        .await;
        assert_eq!(record["tumours"].as_array().unwrap().len(), 2, "{record}");
        let decisions: Vec<&str> = record["primaries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["decision"].as_str().unwrap())
            .collect();
        assert!(decisions.contains(&"duplicate"), "{record}");
        assert_eq!(record["medicines"].as_array().unwrap().len(), 1, "{record}");
        let old = get(&app, &format!("/api/v1/patients/{gone}"), &staff.registrar).await;
        assert_eq!(old["merged_into"], keep.as_str(), "{old}");
        for (path, who, body) in [
            (
                format!("/api/v1/patients/{gone}/cards"),
                &staff.registrar,
                None,
            ),
            (
                format!("/api/v1/patients/{gone}/tumours"),
                &staff.clinician,
                Some(tumour_body()),
            ),
        ] {
            let (status, problem) = app.call(POST, &path, who, body).await;
            assert_eq!(
                (status, problem["code"].as_str()),
                (StatusCode::CONFLICT, Some("patient_merged")),
                "{backend:?} {path}"
            );
        }
        let page = get(&app, "/api/v1/patients?name=Almansouri", &staff.registrar).await;
        assert_eq!(page["patients"].as_array().unwrap().len(), 1, "{page}");
        // A second merge of the same record is refused.
        assert_eq!(
            refusal(
                &app,
                &url,
                &staff.registrar,
                json!({"merged_id": gone, "reason": "again"})
            )
            .await,
            (StatusCode::CONFLICT, "patient_merged".into())
        );

        // The merged record's card: superseded online, and offline after a bundle sync.
        let status_body = get(
            &app,
            &format!("/api/v1/cards/{serial}/status"),
            &staff.insurer,
        )
        .await;
        assert_eq!(status_body["status"], "superseded", "{status_body}");
        let store = bundle_store(&app).await;
        let verified = store
            .verify_card(&cose, START as u64 + 60, &Policy::default())
            .unwrap();
        assert_eq!(verified.warnings(), [Warning::Superseded], "{backend:?}");
        let strict = Policy {
            reject_superseded: true,
            ..Policy::default()
        };
        let err = store
            .verify_card(&cose, START as u64 + 60, &strict)
            .unwrap_err();
        assert_eq!(err.code(), "superseded", "{backend:?}");

        // Only an auditor undoes it, with a reason; then everything moved goes back.
        let unmerge = format!("/api/v1/merges/{merge_id}/unmerge");
        let (status, _) = app
            .call(
                POST,
                &unmerge,
                &staff.registrar,
                Some(json!({"reason": "not the same"})),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, undone) = app
            .call(
                POST,
                &unmerge,
                &staff.auditor,
                Some(json!({"reason": "two sisters"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{backend:?} {undone}");
        assert_eq!(undone["unmerge_reason"], "two sisters");
        let back = get(
            &app,
            &format!("/api/v1/patients/{gone}/record"),
            &staff.clinician,
        )
        .await;
        assert_eq!(back["primaries"][0]["rule"], "first_tumour", "{back}");
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM tumours WHERE patient_id = $1",
                &gone
            )
            .await,
            1
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM medicine_authorisations WHERE patient_id = $1",
                &keep
            )
            .await,
            0
        );
        let old = get(&app, &format!("/api/v1/patients/{gone}"), &staff.registrar).await;
        assert!(old.get("merged_into").is_none(), "{old}");
        assert_eq!(
            refusal(&app, &unmerge, &staff.auditor, json!({"reason": "again"})).await,
            (StatusCode::CONFLICT, "already_unmerged".into())
        );
        // Both are audited, and the chain holds.
        let audit = get(
            &app,
            &format!("/api/v1/audit?entity_id={merge_id}"),
            &staff.auditor,
        )
        .await;
        let actions: Vec<&str> = audit
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["patient.merge", "patient.unmerge"], "{audit}");
        let chain = get(&app, "/api/v1/audit/verify", &staff.auditor).await;
        assert_eq!(chain["intact"], true, "{chain}");
        // The merge list shows it undone.
        let merges = get(
            &app,
            &format!("/api/v1/merges?patient={keep}"),
            &staff.auditor,
        )
        .await;
        assert!(merges[0]["unmerged_by"].as_str().is_some(), "{merges}");
    }
}

/// The search's recall and precision are measured in memory (`domain::duplicates::synthetic`,
/// docs/benchmarks.md); this holds the database's search to the same figures: a synthetic
/// population registered through the API, then `registry-server duplicates`' scan, must
/// report the pairs the in-memory pipeline reports.
#[tokio::test]
async fn the_database_search_finds_what_the_measured_in_memory_search_finds() {
    use registry_server::domain::duplicates::synthetic::{evaluate, population, Population};
    use std::collections::{BTreeSet, HashMap};
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        let pop = population(380, 40, 7);
        // Register every record the registry takes (a duplicate with the original's
        // identifier is refused by the unique index: left out of both sides).
        let mut kept = Vec::new();
        let mut ids: HashMap<String, usize> = HashMap::new();
        for (i, record) in pop.records.iter().enumerate() {
            let body = serde_json::to_value(&record.typed).unwrap();
            let (status, answer) = app
                .call(POST, "/api/v1/patients", &staff.registrar, Some(body))
                .await;
            match status {
                StatusCode::CREATED => {
                    ids.insert(answer["patient"]["id"].as_str().unwrap().into(), kept.len());
                    kept.push(i);
                }
                StatusCode::CONFLICT => assert_eq!(answer["code"], "duplicate_identifier"),
                other => panic!("{other} {answer}"),
            }
        }
        let index: HashMap<usize, usize> = kept.iter().enumerate().map(|(k, &i)| (i, k)).collect();
        let subset = Population {
            records: kept.iter().map(|&i| pop.records[i].clone()).collect(),
            planted: pop
                .planted
                .iter()
                .filter_map(|(a, b)| Some((*index.get(a)?, *index.get(b)?)))
                .collect(),
            siblings: Vec::new(),
        };
        let expected = evaluate(&subset);
        assert!(expected.planted >= 20, "{expected}");

        let scan = registry_server::domain::linkage::scan(
            &app.state.db,
            START,
            &registry_server::db::audit::Actor {
                user_id: "system",
                role: "system",
                facility_code: "LY-MOH",
            },
        )
        .await
        .unwrap();
        assert_eq!(scan.patients, kept.len());
        let planted: BTreeSet<(usize, usize)> = subset
            .planted
            .iter()
            .map(|&(a, b)| (a.min(b), a.max(b)))
            .collect();
        let mut pairs = BTreeSet::new();
        for page in 0.. {
            let rows = registry_server::db::linkage::pairs(&app.state.db, "open", 50, page * 50)
                .await
                .unwrap();
            if rows.is_empty() {
                break;
            }
            for r in rows {
                let (a, b) = (ids[&r.patient_a], ids[&r.patient_b]);
                pairs.insert((a.min(b), a.max(b)));
            }
        }
        assert_eq!(scan.pairs, pairs.len());
        assert_eq!(pairs.len(), expected.reported, "{backend:?} {expected}");
        assert_eq!(
            pairs.intersection(&planted).count(),
            expected.true_positives,
            "{backend:?} {expected}"
        );
    }
}
