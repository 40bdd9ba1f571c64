//! The import page (registrars) through the real router: a dry run shows the counts and the
//! rows not imported, by line, key and column and never a value; the import writes; the
//! same file again changes nothing; an unreadable file gets a clear page; other roles are
//! refused.

use super::*;

const FILE: &str = "record_id,id_type,id_value,name_ar,sex,birth_date,icd10,topography,\
morphology,behaviour,basis,incidence_date\n\
d1,national,119600000101,كريم سالم,male,1960-01-01,C34.1,C34.1,8070,3,7,2024-04-04\n\
d2,national,219600000202,Huda,female,1960-02-02,,,,,,\n";

fn upload(csrf: &str, source: &str, dry_run: bool, file: &[u8]) -> (Vec<u8>, String) {
    let boundary = "ImportBoundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"source\"\r\n\r\n{source}\r\n"
    );
    if dry_run {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"dry_run\"\r\n\r\non\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    ));
    let mut body = body.into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (body, format!("multipart/form-data; boundary={boundary}"))
}

#[tokio::test]
async fn a_registrar_dry_runs_then_imports_a_file_on_the_desk() {
    let app = TestApp::new(Backend::Sqlite).await;
    let (registrar, _) = person(&app, "registrar", "LY-BEN-PED").await;
    let mut r = Browser::signed_in(&app, &registrar).await;
    let page = r.get("/desk/import").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("استيراد السجلات الموجودة"),
        "{}",
        page.body
    );
    assert_security_headers(&page, "/desk/import");
    let csrf = page.csrf();
    let patients = "SELECT COUNT(*) FROM patients";
    let before = count(&app, patients).await;

    let (body, kind) = upload(&csrf, "desk-test", true, FILE.as_bytes());
    let dry = r
        .send(Method::POST, "/desk/import", Some((body, &kind)))
        .await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.body);
    assert!(dry.body.contains("نتيجة التجربة"), "{}", dry.body);
    assert!(
        dry.body.contains("data-outcome=\"would_import\""),
        "{}",
        dry.body
    );
    assert!(dry.body.contains("data-outcome=\"refused\""));
    assert!(
        dry.body.contains("name_ar[0]"),
        "the column of row 3's fault"
    );
    for value in ["Huda", "219600000202", "كريم"] {
        assert!(!dry.body.contains(value), "the page echoes {value}");
    }
    assert_eq!(
        count(&app, patients).await,
        before,
        "a dry run writes nothing"
    );

    let (body, kind) = upload(&csrf, "desk-test", false, FILE.as_bytes());
    let done = r
        .send(Method::POST, "/desk/import", Some((body, &kind)))
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(
        done.body.contains("data-outcome=\"imported\""),
        "{}",
        done.body
    );
    assert_eq!(count(&app, patients).await, before + 1);
    let (body, kind) = upload(&csrf, "desk-test", false, FILE.as_bytes());
    let again = r
        .send(Method::POST, "/desk/import", Some((body, &kind)))
        .await;
    assert!(
        again.body.contains("data-outcome=\"unchanged\""),
        "{}",
        again.body
    );
    assert_eq!(
        count(&app, patients).await,
        before + 1,
        "the same file again"
    );

    let (body, kind) = upload(&csrf, "desk-test", true, b"just,some\ntext,here\n");
    let bad = r
        .send(Method::POST, "/desk/import", Some((body, &kind)))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("تعذّرت قراءة الملف"), "{}", bad.body);

    let (body, kind) = upload("wrong", "desk-test", true, FILE.as_bytes());
    let forged = r
        .send(Method::POST, "/desk/import", Some((body, &kind)))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let (clinician, _) = person(&app, "clinician", "LY-BEN-PED").await;
    let mut c = Browser::signed_in(&app, &clinician).await;
    assert_eq!(c.get("/desk/import").await.status, StatusCode::FORBIDDEN);
    let csrf = c.csrf().await;
    let (body, kind) = upload(&csrf, "desk-test", false, FILE.as_bytes());
    let refused = c
        .send(Method::POST, "/desk/import", Some((body, &kind)))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(count(&app, patients).await, before + 1);
}
