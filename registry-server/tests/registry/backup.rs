//! Backups and restores (`registry-server backup` / `restore`) on each database: a populated
//! registry round-trips table for table, a restore never overwrites, a tampered backup is
//! refused and leaves nothing behind, and the restored registry's next bundle is past every
//! bundle published since the backup.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use axum::http::{Method, StatusCode};
use registry_server::backup::{self, Place};
use registry_server::db::{self, Backend, DbOptions};
use serde_json::json;
use sqlx::{Connection, Executor};

use crate::support::{backends, fresh_db, medicine_body, patient_body, patient_with_tumour};
use crate::support::{register_patient, Staff, TestApp, START};

/// A database of its own on the test server (PostgreSQL): a restore takes the whole
/// database, or the schema the backup names, so source and target cannot share one.
struct Scratch {
    admin: String,
    names: Vec<String>,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            admin: registry_server_testkit_url(),
            names: Vec::new(),
        }
    }

    async fn database(&mut self) -> String {
        let name = format!("lyr_backup_{}", registry_server::auth::new_id());
        let mut conn = sqlx::AnyConnection::connect(&self.admin).await.unwrap();
        conn.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .unwrap();
        self.names.push(name.clone());
        let base = self.admin.rsplit_once('/').unwrap().0;
        format!("{base}/{name}")
    }

    async fn drop_all(&self) {
        let mut conn = sqlx::AnyConnection::connect(&self.admin).await.unwrap();
        for name in &self.names {
            conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await
                .unwrap();
        }
    }
}

fn registry_server_testkit_url() -> String {
    testkit::postgres_url().expect("TEST_POSTGRES_URL")
}

/// A fresh place of `backend`: a new SQLite file under `dir`, or a new database.
async fn place(backend: Backend, dir: &Path, name: &str, scratch: &mut Scratch) -> Place {
    let url = match backend {
        Backend::Sqlite => format!("sqlite:{}?mode=rwc", dir.join(name).display()),
        Backend::Postgres => scratch.database().await,
    };
    Place {
        url,
        pg_schema: None,
    }
}

fn options(place: &Place) -> DbOptions {
    DbOptions {
        url: place.url.clone(),
        max_connections: 2,
        pg_schema: place.pg_schema.clone(),
    }
}

/// Patients, a tumour, an authorisation, two cards (one revoked, which moves the bundle
/// on), users and tokens, and their audit entries.
async fn populate(app: &TestApp) -> (String, Staff) {
    let staff = Staff::hire(app).await;
    let (patient, _) = patient_with_tumour(app, &staff).await;
    register_patient(app, &staff, patient_body("219800101234")).await;
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/api/v1/patients/{patient}/medicines"),
            &staff.clinician,
            Some(medicine_body(3, 28)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let mut serials = Vec::new();
    for _ in 0..2 {
        let (status, card) = app
            .call(
                Method::POST,
                &format!("/api/v1/patients/{patient}/cards"),
                &staff.registrar,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{card}");
        serials.push(card["serial"].as_str().unwrap().to_string());
    }
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/api/v1/cards/{}/revoke", serials[1]),
            &staff.registrar,
            Some(json!({"reason": "lost"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (patient, staff)
}

/// The schema (or file) holds nothing: the restore left nothing behind.
async fn holds_nothing(backend: Backend, place: &Place) -> bool {
    match backend {
        Backend::Sqlite => !Path::new(
            place
                .url
                .trim_start_matches("sqlite:")
                .split('?')
                .next()
                .unwrap(),
        )
        .exists(),
        Backend::Postgres => {
            let mut conn = sqlx::AnyConnection::connect(&place.url).await.unwrap();
            db::backup::postgres_objects(&mut conn).await.unwrap() == 0
        }
    }
}

#[tokio::test]
async fn a_backup_restores_every_table_and_moves_the_bundle_on() {
    let dir = tempfile::tempdir().unwrap();
    for backend in backends() {
        let mut scratch = Scratch::new();
        let source = match backend {
            Backend::Sqlite => {
                let o = fresh_db(backend);
                Place {
                    url: o.url,
                    pg_schema: None,
                }
            }
            Backend::Postgres => place(backend, dir.path(), "", &mut scratch).await,
        };
        let app = TestApp::on(options(&source), true).await;
        let (patient, staff) = populate(&app).await;
        let before = db::backup::digests(&app.state.db).await.unwrap();
        for table in [
            "patients",
            "tumours",
            "cards",
            "audit_log",
            "api_tokens",
            "users",
        ] {
            let t = before.iter().find(|t| t.table == table).unwrap();
            assert!(t.rows > 0, "{backend:?}: {table} is empty");
        }
        let sequence = db::trust::sequence(&app.state.db).await.unwrap();
        assert!(
            sequence > 0,
            "{backend:?}: the revocation moved the bundle on"
        );

        let file = dir.path().join(format!("{backend:?}.backup"));
        let made = backup::backup(&source, &file).await.unwrap();
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{backend:?}: the backup is private");
        assert_eq!(made.bytes, std::fs::metadata(&file).unwrap().len());
        assert!(
            backup::backup(&source, &file).await.is_err(),
            "{backend:?}: a backup never overwrites a file"
        );
        // Written after the backup: not in it.
        register_patient(&app, &staff, patient_body("219900101234")).await;

        // Restored, with the field having seen three bundles more than the backup holds.
        let target = place(backend, dir.path(), "restored.sqlite", &mut scratch).await;
        let now = START + 3_600;
        let restored = backup::restore(&file, &target, sequence + 3, now)
            .await
            .unwrap();
        assert_eq!(
            restored.tables, before,
            "{backend:?}: every table, every row"
        );
        assert_eq!(restored.sha256, made.sha256);
        assert_eq!(restored.bundle_sequence_in_backup, sequence);
        assert_eq!(restored.bundle_sequence, sequence + 4);
        let audited = before.iter().find(|t| t.table == "audit_log").unwrap();
        assert_eq!(restored.audit_entries, audited.rows);

        // The restored registry serves the backup's patient, publishes the new sequence,
        // and its chain holds the restore as its last entry.
        let second = TestApp::on(options(&target), false).await;
        let db = &second.state.db;
        assert_eq!(db::trust::sequence(db).await.unwrap(), sequence + 4);
        let chain = db::audit::verify_chain(db).await.unwrap();
        assert!(chain.intact, "{backend:?}: {chain:?}");
        assert_eq!(chain.entries, audited.rows + 1);
        let filter = db::audit::Filter {
            action: Some("registry.restore".into()),
            ..db::audit::Filter::default()
        };
        let entries = db::audit::query(db, &filter).await.unwrap();
        assert_eq!(entries.len(), 1, "{backend:?}");
        assert_eq!(entries[0].entity_id, made.sha256);
        // The backup's tokens work on the restored registry.
        let (status, body) = second
            .call(
                Method::GET,
                &format!("/api/v1/patients/{patient}"),
                &staff.registrar,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{backend:?}: {body}");

        // A second restore onto it is refused and changes nothing.
        let now_there = db::backup::digests(db).await.unwrap();
        let again = backup::restore(&file, &target, 0, now).await.unwrap_err();
        assert!(
            format!("{again:#}").contains("never overwrite"),
            "{backend:?}: {again:#}"
        );
        assert_eq!(db::backup::digests(db).await.unwrap(), now_there);
        drop(second);

        // A backup whose audit chain was changed is refused, and the restore leaves
        // nothing behind.
        sqlx::query("UPDATE audit_log SET user_id = 'someone-else' WHERE seq = 2")
            .execute(&app.state.db.pool)
            .await
            .unwrap();
        let tampered = dir.path().join(format!("{backend:?}-tampered.backup"));
        backup::backup(&source, &tampered).await.unwrap();
        let elsewhere = place(backend, dir.path(), "tampered.sqlite", &mut scratch).await;
        let refused = backup::restore(&tampered, &elsewhere, 0, now)
            .await
            .unwrap_err();
        let said = format!("{refused:#}");
        assert!(
            said.contains("broken at entry 2") && said.contains("undone"),
            "{backend:?}: {said}"
        );
        assert!(
            holds_nothing(backend, &elsewhere).await,
            "{backend:?}: the refused restore left something behind"
        );
        drop(app);
        if backend == Backend::Postgres {
            scratch.drop_all().await;
        }
    }
}
