//! The registry's statistics through the API on every backend: the sample population, eight
//! women of the east with tumours of 2025 and one whose region is not recorded; the
//! registrar's full table, the statistician's suppressed one, the CSV file, the reports'
//! statement of what they counted, and the refusals.

use crate::support::{backends, patient_body, Staff, TestApp, START};
use axum::http::{Method, StatusCode};
use registry_server::db::audit::Actor;
use serde_json::{json, Value};

const SAMPLE: &[u8] = include_bytes!("../../data/population/sample.csv");

/// East, 2025, women aged 50-54 in the sample file.
const EAST_WOMEN_50_54: f64 = 37_020.0;

async fn import_sample(app: &TestApp) {
    let actor = Actor {
        user_id: "system",
        role: "system",
        facility_code: "LY-MOH",
    };
    registry_server::domain::population::import(&app.state.db, START, &actor, SAMPLE)
        .await
        .unwrap()
        .unwrap();
}

/// Nine women's given names, so that nine registrations are nine people.
const GIVEN: [(&str, &str); 9] = [
    ("فاطمة", "Fatima"),
    ("عائشة", "Aisha"),
    ("خديجة", "Khadija"),
    ("مريم", "Maryam"),
    ("زينب", "Zainab"),
    ("سارة", "Sara"),
    ("ليلى", "Layla"),
    ("هدى", "Huda"),
    ("نور", "Nour"),
];

/// Registers a woman born 1973-04-12 (52 at the 2025 incidence dates) in `region` with one
/// tumour; returns her id.
async fn woman(
    app: &TestApp,
    staff: &Staff,
    n: u32,
    region: Option<&str>,
    tumour: Value,
) -> String {
    let mut body = patient_body(&format!("2197304{n:05}"));
    let (ar, latin) = GIVEN[n as usize % GIVEN.len()];
    body["name_ar"] = json!([ar, "محمد", "عبدالله", "المنصوري"]);
    body["name_latin"] = json!([latin, "Mohamed", "Abdullah", "Almansouri"]);
    if let Some(region) = region {
        body["region"] = json!(region);
    }
    let (status, p) = app
        .call(
            Method::POST,
            "/api/v1/patients",
            &staff.registrar,
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let id = p["patient"]["id"].as_str().unwrap().to_string();
    let url = format!("/api/v1/patients/{id}/tumours");
    let (status, t) = app
        .call(Method::POST, &url, &staff.clinician, Some(tumour))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    id
}

fn breast() -> Value {
    json!({"icd10": "C50.4", "topography": "C50.4", "morphology": 8500, "behaviour": 3,
           "grade": 2, "basis": 7, "incidence": "2025-09-03"})
}

fn lung() -> Value {
    json!({"icd10": "C34.1", "topography": "C34.1", "morphology": 8070, "behaviour": 3,
           "grade": 2, "basis": 5, "incidence": "2025-05-01"})
}

fn site<'a>(report: &'a Value, key: &str) -> &'a Value {
    report["sites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == key)
        .unwrap_or_else(|| panic!("no row {key} in {report}"))
}

#[tokio::test]
async fn incidence_quality_survival_and_what_each_counted() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let staff = Staff::hire(&app).await;
        import_sample(&app).await;
        let mut ids = Vec::new();
        for n in 0..7 {
            ids.push(woman(&app, &staff, n, Some("East"), breast()).await);
        }
        ids.push(woman(&app, &staff, 7, Some("east"), lung()).await);
        ids.push(woman(&app, &staff, 8, None, breast()).await);

        let url = "/api/v1/statistics/incidence?from=2025&to=2025&region=east&sex=female";
        let (status, full) = app.call(Method::GET, url, &staff.registrar, None).await;
        assert_eq!(status, StatusCode::OK, "{backend:?} {full}");
        let counted = &full["counted"];
        assert_eq!(counted["records"], 9, "8 of the east and 1 not recorded");
        assert_eq!(counted["included"], 8);
        assert_eq!(counted["excluded"][0]["reason"], "region_not_recorded");
        assert!(
            counted["suppression"].is_null(),
            "registrars see every cell"
        );
        let b = site(&full, "C50");
        assert_eq!(b["cases"], 7);
        // 7 women aged 50-54 over the 37,020 of the sample: 18.9087 per 100,000.
        let rate = b["age_rates"][10].as_f64().unwrap();
        assert!(
            (rate - 7.0 / EAST_WOMEN_50_54 * 100_000.0).abs() < 1e-9,
            "{rate}"
        );
        assert_eq!(b["rank"], 1);
        assert_eq!(site(&full, "C33-34")["cases"], 1);

        // The statistician: the lung row of one case is hidden whole, the note says so.
        let (status, public) = app.call(Method::GET, url, &staff.statistician, None).await;
        assert_eq!(status, StatusCode::OK);
        let l = site(&public, "C33-34");
        assert_eq!(
            (l["suppressed"].clone(), l["cases"].clone()),
            (json!(true), Value::Null)
        );
        assert_eq!(site(&public, "C50")["cases"], 7);
        assert_eq!(
            public["counted"]["suppression"],
            "cells of fewer than 5 cases are not shown"
        );
        let text = public.to_string();
        for id in &ids {
            assert!(
                !text.contains(id.as_str()),
                "a patient id in the statistics"
            );
        }
        assert!(!text.contains("2197304") && !text.contains("Fatima") && !text.contains("محمد"));

        // The CSV file is suppressed even for the registrar, and says what it counted.
        let (status, bytes, headers) = app
            .raw(
                Method::GET,
                &format!("{url}&format=csv"),
                &staff.registrar,
                None,
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
        let csv = String::from_utf8(bytes).unwrap();
        assert!(
            csv.starts_with("# period: 2025-2025; area: east; sex: female\n"),
            "{csv}"
        );
        assert!(csv.contains("# excluded: 1 (region_not_recorded)"));
        assert!(csv.contains("\nC33-34,"));
        let lung_line = csv.lines().find(|l| l.starts_with("C33-34,")).unwrap();
        assert!(lung_line.contains(",<5,"), "{lung_line}");

        // The country counts the woman whose region is not recorded.
        let (_, country) = app
            .call(
                Method::GET,
                "/api/v1/statistics/incidence?from=2025&to=2025",
                &staff.registrar,
                None,
            )
            .await;
        assert_eq!(site(&country, "C50")["cases"], 8);

        // Quality: breast histology (basis 7) and lung cytology (basis 5) are both
        // microscopically verified.
        let (status, quality) = app
            .call(
                Method::GET,
                "/api/v1/statistics/quality?from=2025&to=2025&region=east",
                &staff.registrar,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{quality}");
        assert_eq!(quality["total"]["cases"], 8);
        assert_eq!(quality["total"]["mv_percent"], 100.0);
        assert_eq!(quality["total"]["dco_percent"], 0.0);
        assert_eq!(quality["by_facility"][0]["key"], "LY-BEN-PED");

        // Survival: nobody has a follow-up yet; all are left out and counted.
        let (status, survival) = app
            .call(
                Method::GET,
                "/api/v1/statistics/survival?from=2025&to=2025&region=east",
                &staff.registrar,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{survival}");
        let excluded = &survival["counted"]["excluded"];
        assert!(
            excluded
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["reason"] == "no_follow_up" && e["count"] == 8),
            "{excluded}"
        );

        // Refusals: a year without denominators, a period backwards, a bad parameter.
        let (status, problem) = app
            .call(
                Method::GET,
                "/api/v1/statistics/incidence?from=2024&to=2025",
                &staff.registrar,
                None,
            )
            .await;
        assert_eq!(
            (status, problem["code"].clone()),
            (StatusCode::CONFLICT, json!("no_population"))
        );
        let (status, _) = app
            .call(
                Method::GET,
                "/api/v1/statistics/incidence?from=2025&to=2024",
                &staff.registrar,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _) = app
            .call(
                Method::GET,
                "/api/v1/statistics/incidence?from=x&to=2025",
                &staff.registrar,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        // The CanReg5 export: a header and one line per tumour, pseudonymous keys only.
        let (status, bytes, headers) = app
            .raw(
                Method::GET,
                "/api/v1/statistics/export",
                &staff.registrar,
                None,
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            headers["content-type"],
            "text/tab-separated-values; charset=utf-8"
        );
        let tsv = String::from_utf8(bytes).unwrap();
        let lines: Vec<&str> = tsv.split_terminator("\r\n").collect();
        assert_eq!(lines.len(), 1 + 9, "{tsv}");
        assert!(
            lines[0].starts_with("PatientID\tTumourID\t"),
            "{}",
            lines[0]
        );
        let width = lines[0].split('\t').count();
        assert!(lines.iter().all(|l| l.split('\t').count() == width));
        let lung_line = lines
            .iter()
            .find(|l| l.contains("\t341\t"))
            .expect("lung, topography 341");
        assert!(
            lung_line.starts_with(&format!("{}\t", ids[7])),
            "{lung_line}"
        );
        assert!(!tsv.contains("2197304") && !tsv.contains("Fatima") && !tsv.contains("محمد"));
        let (status, _) = app
            .call(
                Method::GET,
                "/api/v1/statistics/export",
                &staff.statistician,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        let reads: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'statistics.read'")
                .fetch_one(&app.state.db.pool)
                .await
                .unwrap();
        assert_eq!(reads, 6, "{backend:?}: every report answered is audited");
    }
}
