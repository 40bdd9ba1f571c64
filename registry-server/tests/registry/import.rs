//! Bringing existing records in (`registry-server import`, `domain::import`) on each
//! database: a dry run reports every row and writes nothing; the import writes what passed;
//! a second run of the same file changes nothing; a row edited since is reported, not
//! applied; a CanReg5 export (short names, `yyyyMMdd`, three-digit sites) and an XLSX sheet
//! read as the template does; and the command itself, with its report file.

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt;

use registry_server::auth::{Caller, Role};
use registry_server::db::{Backend, Db};
use registry_server::domain::import::{self, Options, Outcome, Report};
use sqlx::Row;

use crate::support::{backends, TestApp};

const HEADER: &str = "record_id,id_type,id_value,name_ar,name_latin,sex,birth_date,region,\
icd10,topography,morphology,behaviour,grade,basis,incidence_date,stage_scheme,stage";

/// Rows: two tumours of one patient, a patient without a tumour, a bad sex, a male breast
/// diagnosed on clinical grounds alone (a record check to confirm), a site/histology combination refused outright,
/// the same person under another identifier, a repeated key, and one whose patient fields
/// disagree with an earlier row of the same identifier.
fn template_file() -> String {
    let rows = [
        "r1,national,119500000011,سالم علي الفيتوري,Salem Ali Alfitouri,male,1950-05-06,east,C18.7,C18.7,8140,3,2,7,2024-03-01,other,IIA",
        "r2,national,119500000011,سالم علي الفيتوري,Salem Ali Alfitouri,male,1950-05-06,east,C61.9,C61.9,8140,3,,7,2025-01-10,,",
        "r3,family_book,FB-2010-7,مريم خالد,,female,2010-02-03,west,,,,,,,,,",
        "r4,national,219800000022,هدى سالم,,x,1980-01-01,east,,,,,,,,,",
        "r5,national,119700000033,عمر محمود,,male,1970-07-07,south,C50.9,C50.9,8500,3,,1,2023-05-05,,",
        "r6,national,219600000044,نور يوسف,,female,1960-06-06,east,C61.9,C61.9,8140,3,,7,2023-05-05,,",
        "r7,passport,EGY:A1234567,سالم علي الفيتوري,Salem Ali Alfitouri,male,1950-05-06,east,,,,,,,,,",
        "r1,national,119900000055,أحمد,,male,1991-01-01,east,,,,,,,,,",
        "r8,national,119500000011,سالم علي الفيتوري,Salem Ali Alfitouri,male,1950-05-07,east,,,,,,,,,",
    ];
    format!("{HEADER}\n{}\n", rows.join("\n"))
}

async fn registrar(app: &TestApp) -> Caller {
    let (_, body) = app.create_user("registrar", "LY-BEN-PED").await;
    app.approve(&body["approval"]).await;
    Caller {
        user_id: body["user"]["id"].as_str().unwrap().to_string(),
        username: body["user"]["username"].as_str().unwrap().to_string(),
        role: Role::Registrar,
        facility_code: "LY-BEN-PED".into(),
    }
}

fn options(source: &str, dry_run: bool) -> Options {
    Options {
        source: source.into(),
        dry_run,
        confirm_checks: false,
        layout: None,
    }
}

async fn count(db: &Db, table: &str) -> i64 {
    sqlx::query(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .get(0)
}

async fn counts(db: &Db) -> Vec<i64> {
    let mut out = Vec::new();
    for t in [
        "patients",
        "tumours",
        "import_records",
        "audit_log",
        "duplicate_pairs",
        "tumour_primaries",
    ] {
        out.push(count(db, t).await);
    }
    out
}

async fn run(app: &TestApp, who: &Caller, bytes: &[u8], o: &Options) -> Report {
    import::run(
        &app.state.db,
        app.state.clock.now(),
        who,
        bytes,
        o,
        &|_, _| {},
    )
    .await
    .unwrap()
}

fn outcome(r: &Report, record: &str) -> Outcome {
    r.rows.iter().find(|x| x.record == record).unwrap().outcome
}

fn row(r: &Report, line: usize) -> &import::RowReport {
    r.rows.iter().find(|x| x.line == line).unwrap()
}

#[tokio::test]
async fn a_dry_run_reports_every_row_and_an_import_writes_once() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let who = registrar(&app).await;
        let file = template_file();
        let before = counts(&app.state.db).await;

        let dry = run(&app, &who, file.as_bytes(), &options("ben-2019", true)).await;
        assert_eq!(
            counts(&app.state.db).await,
            before,
            "{backend:?}: a dry run writes nothing"
        );
        assert_eq!(dry.rows.len(), 9);
        assert_eq!(
            outcome(&dry, "r2"),
            Outcome::WouldImport,
            "{:?}",
            row(&dry, 3)
        );
        assert_eq!(outcome(&dry, "r3"), Outcome::WouldImport);
        let bad_sex = row(&dry, 5);
        assert_eq!(bad_sex.outcome, Outcome::Refused);
        assert_eq!(bad_sex.problems[0].field, "sex");
        let clinical_only = row(&dry, 6);
        assert_eq!(
            clinical_only.outcome,
            Outcome::NeedsConfirmation,
            "{clinical_only:?}"
        );
        assert_eq!(clinical_only.checks, vec!["basis_morphology".to_string()]);
        let female_prostate = row(&dry, 7);
        assert_eq!(
            female_prostate.outcome,
            Outcome::Refused,
            "{female_prostate:?}"
        );
        assert_eq!(
            row(&dry, 8).duplicates,
            vec!["line 2".to_string()],
            "same person"
        );
        let repeated = row(&dry, 9);
        assert_eq!(repeated.outcome, Outcome::Refused);
        assert!(repeated.problems[0].message.contains("line 2"));
        let disagreeing = row(&dry, 10);
        assert_eq!(disagreeing.outcome, Outcome::Refused);
        assert!(disagreeing.problems[0].message.contains("line 2"));
        assert_eq!((dry.patients, dry.tumours), (3, 2));
        let text = serde_json::to_string(&dry).unwrap();
        for value in ["سالم", "Salem", "119500000011", "1950-05-06"] {
            assert!(!text.contains(value), "the report echoes {value}");
        }

        let done = run(&app, &who, file.as_bytes(), &options("ben-2019", false)).await;
        assert_eq!(outcome(&done, "r2"), Outcome::Imported);
        assert_eq!((done.patients, done.tumours), (3, 2));
        let after = counts(&app.state.db).await;
        assert_eq!(after[0] - before[0], 3, "{backend:?}: patients");
        assert_eq!(after[1] - before[1], 2, "tumours");
        assert_eq!(after[2], 4, "import records: r1 r2 r3 r7");
        assert_eq!(after[4] - before[4], 1, "the same person queued for review");
        // patient.create x3, tumour.create x2, import.run
        assert_eq!(after[3] - before[3], 6, "audit entries");
        let p = row(&done, 2).patient.clone();
        assert_eq!(row(&done, 3).patient, p, "one patient, two tumours");
        let chain = registry_server::db::audit::verify_chain(&app.state.db)
            .await
            .unwrap();
        assert!(chain.intact, "{chain:?}");

        // The same file again: nothing changes.
        let again = run(&app, &who, file.as_bytes(), &options("ben-2019", false)).await;
        assert_eq!(
            counts(&app.state.db).await,
            after,
            "{backend:?}: idempotent"
        );
        assert_eq!(again.counts.get("unchanged"), Some(&4));
        assert_eq!((again.patients, again.tumours), (0, 0));

        // A row edited since, and the held-back row confirmed.
        let edited = file.replace("2024-03-01", "2024-03-02");
        let mut confirm = options("ben-2019", false);
        confirm.confirm_checks = true;
        let third = run(&app, &who, edited.as_bytes(), &confirm).await;
        assert_eq!(outcome(&third, "r1"), Outcome::Changed);
        assert_eq!(outcome(&third, "r5"), Outcome::Imported);
        let last = counts(&app.state.db).await;
        assert_eq!(last[1], after[1] + 1, "only r5's tumour");
        let confirmed: i64 = sqlx::query("SELECT COUNT(*) FROM record_confirmations")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap()
            .get(0);
        assert!(
            confirmed >= 1,
            "the confirmation is stored as the importer's"
        );
    }
}

/// CanReg5's export as its default writes it: upper-case short names, `yyyyMMdd`, the site
/// in three digits, ICD-10 without its dot, a deleted and an obsolete record.
fn canreg5_file() -> String {
    [
        "REGNO\tTUMOURID\tFAMN\tFIRSTN\tSEX\tBIRTHD\tINCID\tTOP\tMOR\tBEH\tBAS\tI10\tAGE\tRECS\tOBSOLETEFLAGTUMOURTABLE",
        "20190001\t201900010101\tالورفلي\tسالم\t1\t20150620\t20190211\t749\t9500\t3\t7\tC749\t3\t1\t0",
        "20190001\t201900010102\tالورفلي\tسالم\t1\t20150620\t20200301\t719\t9470\t3\t7\tC719\t4\t1\t0",
        "20190002\t201900020101\tالعبيدي\tمنى\t2\t20120199\t20190305\t649\t8960\t3\t7\tC649\t7\t1\t0",
        "20190003\t201900030101\tالزوي\tعلي\t1\t20100101\t20180101\t409\t9180\t3\t7\tC409\t8\t2\t0",
        "20190004\t201900040101\tالزوي\tعلي\t1\t20100101\t20180101\t409\t9180\t3\t7\tC409\t8\t1\t1",
    ]
    .join("\r\n")
}

/// A one-sheet XLSX workbook of `rows` (inline strings; whole numbers as numbers, as a
/// spreadsheet stores them).
fn xlsx(rows: &[Vec<&str>]) -> Vec<u8> {
    let mut sheet = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><worksheet \
         xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>",
    );
    for (r, cells) in rows.iter().enumerate() {
        sheet.push_str(&format!("<row r=\"{}\">", r + 1));
        for (c, v) in cells.iter().enumerate() {
            let at = format!("{}{}", char::from(b'A' + u8::try_from(c).unwrap()), r + 1);
            if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) && !v.starts_with('0') {
                sheet.push_str(&format!("<c r=\"{at}\"><v>{v}</v></c>"));
            } else {
                sheet.push_str(&format!(
                    "<c r=\"{at}\" t=\"inlineStr\"><is><t>{v}</t></is></c>"
                ));
            }
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    let files = [
        ("[Content_Types].xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/><Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/></Types>".to_string()),
        ("_rels/.rels", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>".to_string()),
        ("xl/workbook.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets><sheet name=\"records\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>".to_string()),
        ("xl/_rels/workbook.xml.rels", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>".to_string()),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    for (name, body) in files {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    out.into_inner()
}

#[tokio::test]
async fn a_canreg5_export_and_a_spreadsheet_are_read_like_the_template() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let who = registrar(&app).await;
        let done = run(
            &app,
            &who,
            canreg5_file().as_bytes(),
            &options("cr5", false),
        )
        .await;
        assert_eq!(done.layout, import::layout::Layout::Canreg5);
        assert_eq!(done.ignored_columns, vec!["AGE".to_string()]);
        let rows: Vec<Outcome> = done.rows.iter().map(|r| r.outcome).collect();
        assert_eq!(
            rows,
            [
                Outcome::Imported,
                Outcome::Imported,
                Outcome::Refused,
                Outcome::Skipped,
                Outcome::Skipped
            ],
            "{backend:?}: {:?}",
            done.rows
        );
        assert!(done.rows[2].problems[0].message.contains("unknown"));
        assert_eq!(done.rows[0].patient, done.rows[1].patient);
        let stored: (String, String, Option<String>) = sqlx::query_as(
            "SELECT topography, icd10, iccc FROM tumours WHERE patient_id = $1 ORDER BY incidence",
        )
        .bind(&done.rows[0].patient)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
        assert_eq!(stored, ("C74.9".into(), "C74.9".into(), Some("IVa".into())));
        let id: (String, String) =
            sqlx::query_as("SELECT id_type, id_value FROM patients WHERE id = $1")
                .bind(&done.rows[0].patient)
                .fetch_one(&app.state.db.pool)
                .await
                .unwrap();
        assert_eq!(id, ("registry".into(), "20190001".into()));

        let sheet = xlsx(&[
            vec![
                "record_id",
                "id_type",
                "id_value",
                "name_ar",
                "sex",
                "birth_date",
                "icd10",
                "topography",
                "morphology",
                "behaviour",
                "basis",
                "incidence_date",
            ],
            vec![
                "x1",
                "national",
                "219900000066",
                "ليلى عمر",
                "female",
                "1999-09-09",
                "C50.1",
                "C50.1",
                "8500",
                "3",
                "7",
                "2024-02-02",
            ],
            vec![
                "x2",
                "national",
                "219900000077",
                "Laila",
                "female",
                "1999-09-09",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
        ]);
        let done = run(&app, &who, &sheet, &options("sheet", false)).await;
        assert_eq!(done.layout, import::layout::Layout::Template);
        assert_eq!(done.rows[0].outcome, Outcome::Imported, "{:?}", done.rows);
        assert_eq!(done.rows[0].line, 2);
        assert_eq!(done.rows[1].outcome, Outcome::Refused);
        assert!(
            done.rows[1].problems[0].field.starts_with("name_ar"),
            "{:?}",
            done.rows[1]
        );
        let again = run(&app, &who, &sheet, &options("sheet", false)).await;
        assert_eq!(again.rows[0].outcome, Outcome::Unchanged);
    }
}

#[tokio::test]
async fn only_a_registrar_imports_and_a_bad_file_changes_nothing() {
    let app = TestApp::new(Backend::Sqlite).await;
    let mut who = registrar(&app).await;
    let before = counts(&app.state.db).await;
    for bad in [
        &b""[..],
        b"a,b\n1,2\n",
        b"record_id,sex\nr1,male\n",
        b"PK\x03\x04junk",
    ] {
        let e = import::run(
            &app.state.db,
            0,
            &who,
            bad,
            &options("s", false),
            &|_, _| {},
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&e, registry_server::domain::Error::Validation { field, .. } if field == "file"),
            "{e:?}"
        );
    }
    let e = import::run(
        &app.state.db,
        0,
        &who,
        b"",
        &options("a b", false),
        &|_, _| {},
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&e, registry_server::domain::Error::Validation { field, .. } if field == "source")
    );
    who.role = Role::Admin;
    let e = import::run(
        &app.state.db,
        0,
        &who,
        template_file().as_bytes(),
        &options("s", false),
        &|_, _| {},
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, registry_server::domain::Error::Forbidden { .. }),
        "{e:?}"
    );
    assert_eq!(counts(&app.state.db).await, before);
}

#[tokio::test]
async fn the_command_imports_and_writes_its_report_for_its_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}?mode=rwc", dir.path().join("r.sqlite").display());
    let app = TestApp::on(
        registry_server::db::DbOptions {
            url: url.clone(),
            max_connections: 1,
            pg_schema: None,
        },
        true,
    )
    .await;
    let who = registrar(&app).await;
    drop(app);
    let file = dir.path().join("records.csv");
    std::fs::write(&file, template_file()).unwrap();
    let report = dir.path().join("report.csv");
    let out = std::process::Command::new(testkit::binary("registry-server"))
        .args([
            "import",
            "--source",
            "ben",
            "--user",
            &who.username,
            "--dry-run",
        ])
        .arg("--report")
        .arg(&report)
        .arg("--database-url")
        .arg(&url)
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("would be registered"), "{stdout}");
    assert!(stdout.contains("line 5\tr4\trefused\tsex: "), "{stdout}");
    let mode = std::fs::metadata(&report).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&report).unwrap();
    assert_eq!(text.lines().count(), 10, "{text}");
    assert!(text.starts_with("line,record,outcome,patient,problems,checks,primary,duplicates"));
    // A clinician may not import.
    let out = std::process::Command::new(testkit::binary("registry-server"))
        .args(["import", "--source", "ben", "--user", "admin"])
        .arg("--database-url")
        .arg(&url)
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("imported by a registrar"));
}
