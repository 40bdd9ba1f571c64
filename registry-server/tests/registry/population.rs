//! Population denominators imported on every backend: the sample file, a re-import that
//! replaces its year, and a refused file that changes nothing.

use crate::support::{backends, TestApp, START};
use registry_server::db::audit::Actor;
use registry_server::domain::population::import;

const SAMPLE: &[u8] = include_bytes!("../../data/population/sample.csv");

const ACTOR: Actor<'static> = Actor {
    user_id: "system",
    role: "system",
    facility_code: "LY-MOH",
};

async fn audit_entries(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'population.import'")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_import_replaces_its_year_and_a_refused_file_changes_nothing() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let db = &app.state.db;
        let first = import(db, START, &ACTOR, SAMPLE).await.unwrap().unwrap();
        assert_eq!(first.len(), 1, "one year in the sample");
        assert_eq!(
            (
                first[0].year,
                first[0].version,
                first[0].cells,
                first[0].areas
            ),
            (2025, 1, 108, 3)
        );
        let cell = registry_server::db::population::cell(db, 2025, "east", "male", 0)
            .await
            .unwrap();
        assert_eq!(cell, Some(96_330), "{backend:?}");

        // A corrected file for the same year: the year is replaced, its version moves on.
        let corrected = String::from_utf8(SAMPLE.to_vec())
            .unwrap()
            .replace("east,2025,male,0-4,96330", "east,2025,male,0-4,96000");
        let second = import(db, START + 60, &ACTOR, corrected.as_bytes())
            .await
            .unwrap()
            .unwrap();
        assert_eq!((second[0].version, second[0].cells), (2, 108));
        let cell = registry_server::db::population::cell(db, 2025, "east", "male", 0)
            .await
            .unwrap();
        assert_eq!(cell, Some(96_000));
        assert_eq!(audit_entries(&app).await, 2);

        // A file with one negative cell: refused, named, nothing changed.
        let bad = corrected.replace("west,2025,female,85+,", "west,2025,female,85+,-");
        let refused = import(db, START + 120, &ACTOR, bad.as_bytes())
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(refused.errors[0].column, "population");
        assert_eq!(refused.errors[0].message, "negative");
        let imports = registry_server::db::population::imports(db).await.unwrap();
        assert_eq!(imports.len(), 1);
        assert_eq!(imports[0].version, 2);
        assert_eq!(audit_entries(&app).await, 2);
        let cell = registry_server::db::population::cell(db, 2025, "west", "female", 17)
            .await
            .unwrap();
        assert!(cell.is_some_and(|p| p > 0));
    }
}
