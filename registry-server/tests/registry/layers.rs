//! The layers hold (docs/architecture.md): the domain imports neither door, neither door
//! imports the other, every SQL statement is in `db/`, and no source file grows past 500
//! lines of code before its tests. Read from the source tree, so a change that breaks a
//! rule fails here with the file and line.

use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, relative to `src/`, with its text.
fn sources(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let name = path.strip_prefix(src()).unwrap().display().to_string();
                out.push((name, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// The lines of code before the file's `#[cfg(test)]` module, without comments.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .take_while(|(_, l)| l.trim() != "#[cfg(test)]")
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.starts_with("//"))
}

fn is_in(name: &str, module: &str) -> bool {
    name == format!("{module}.rs") || name.starts_with(&format!("{module}/"))
}

/// A line that looks like SQL: a query call, or a statement keyword in a string.
fn looks_like_sql(line: &str) -> bool {
    if line.contains("sqlx::query") || line.contains("query_as(") || line.contains("query_scalar(")
    {
        return true;
    }
    let Some(quoted) = line.split_once('"').map(|(_, rest)| rest) else {
        return false;
    };
    [
        "SELECT ",
        "INSERT INTO ",
        "DELETE FROM ",
        "CREATE TABLE",
        " SET ",
    ]
    .iter()
    .any(|k| quoted.contains(k) && (k != &" SET " || quoted.contains("UPDATE ")))
}

#[test]
fn sql_lives_in_db_only() {
    let mut found = Vec::new();
    for (name, text) in sources(&src()) {
        if is_in(&name, "db") {
            continue;
        }
        for (n, line) in code_lines(&text) {
            if looks_like_sql(line) {
                found.push(format!("src/{name}:{n}: {line}"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "SQL outside src/db/:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_sql_check_sees_sql() {
    assert!(looks_like_sql(r#"sqlx::query("SELECT 1")"#));
    assert!(looks_like_sql(
        r#"let q = "UPDATE cards SET status = 'revoked'";"#
    ));
    assert!(looks_like_sql(r#"x("INSERT INTO t (a) VALUES ($1)")"#));
    assert!(!looks_like_sql(r#"format!("select a medicine")"#));
    assert!(!looks_like_sql("let set = 1;"));
}

#[test]
fn the_domain_imports_neither_door_and_the_doors_not_each_other() {
    let rules: [(&str, &[&str]); 3] = [
        ("domain", &["crate::http", "crate::desk", "axum", "askama"]),
        ("http", &["crate::desk"]),
        ("desk", &["crate::http"]),
    ];
    let mut found = Vec::new();
    for (name, text) in sources(&src()) {
        for (module, banned) in rules {
            if !is_in(&name, module) {
                continue;
            }
            for (n, line) in code_lines(&text) {
                for b in banned {
                    let uses =
                        line.starts_with(&format!("use {b}")) || line.contains(&format!("{b}::"));
                    if uses {
                        found.push(format!("src/{name}:{n}: {line}"));
                    }
                }
            }
        }
    }
    assert!(found.is_empty(), "layers crossed:\n{}", found.join("\n"));
}

#[test]
fn no_source_file_passes_500_lines_of_code() {
    let long: Vec<String> = sources(&src())
        .into_iter()
        // A `tests.rs` module is compiled only under `#[cfg(test)]` (its parent says so).
        .filter(|(name, _)| !name.ends_with("/tests.rs"))
        .filter_map(|(name, text)| {
            let n = text
                .lines()
                .take_while(|l| l.trim() != "#[cfg(test)]")
                .count();
            (n > 500).then(|| format!("src/{name}: {n} lines before its tests"))
        })
        .collect();
    assert!(
        long.is_empty(),
        "split these along their concerns:\n{}",
        long.join("\n")
    );
}

/// Every statement of `db/` prepares on every backend: a column renamed in one migration, a
/// function one database lacks, a typo in a statement no other test happens to run, fails
/// here by its name.
#[tokio::test]
async fn every_statement_prepares_on_every_backend() {
    use sqlx::Executor;
    let statements = registry_server::db::statements();
    assert!(statements.len() > 80, "{} statements", statements.len());
    for backend in crate::support::backends() {
        let options = crate::support::fresh_db(backend);
        let db = registry_server::db::connect(&options).await.unwrap();
        let mut conn = db.pool.acquire().await.unwrap();
        let mut failed = Vec::new();
        for (name, sql) in &statements {
            if let Err(e) = (&mut *conn).prepare(sql.as_str()).await {
                failed.push(format!("{name}: {e}\n    {sql}"));
            }
        }
        assert!(
            failed.is_empty(),
            "{backend:?}: {} of {} statements do not prepare:\n{}",
            failed.len(),
            statements.len(),
            failed.join("\n")
        );
    }
}

/// A stored value that does not parse is an error, never a default: a tumour whose
/// incidence day is out of a date's range fails the record's read (an opaque 500, logged)
/// instead of showing 1970-01-01. (Statuses cannot even be stored wrong: both schemas
/// CHECK them, as this test also sees.)
#[tokio::test]
async fn a_stored_value_that_does_not_parse_is_an_error() {
    use axum::http::{Method, StatusCode};
    for backend in crate::support::backends() {
        let app = crate::support::TestApp::new(backend).await;
        let staff = crate::support::Staff::hire(&app).await;
        let (id, _) = crate::support::patient_with_tumour(&app, &staff).await;
        let record = format!("/api/v1/patients/{id}/record");
        let (status, _) = app.call(Method::GET, &record, &staff.clinician, None).await;
        assert_eq!(status, StatusCode::OK);
        let wrong_status = sqlx::query("UPDATE tumours SET status = 'archived'")
            .execute(&app.state.db.pool)
            .await;
        assert!(
            wrong_status.is_err(),
            "{backend:?}: a status outside the CHECK"
        );
        sqlx::query("UPDATE tumours SET incidence = 99999999999")
            .execute(&app.state.db.pool)
            .await
            .unwrap();
        let (status, body) = app.call(Method::GET, &record, &staff.clinician, None).await;
        assert_eq!(
            status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{backend:?}: {body}"
        );
        assert_eq!(body["code"], "internal", "{body}");
    }
}

/// The SQLite database holds health data: the file, its -wal and its -shm are created for the
/// registry's user alone (0600), whatever the umask would give (0644 under the usual 022).
#[cfg(unix)]
#[tokio::test]
async fn the_sqlite_files_are_created_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("registry").join("r.sqlite");
    let options = registry_server::db::DbOptions {
        url: format!("sqlite:{}?mode=rwc", file.display()),
        max_connections: 1,
        pg_schema: None,
    };
    let db = registry_server::db::connect(&options).await.unwrap();
    // A write, so that the WAL and its index exist.
    sqlx::query("INSERT INTO facilities (code, name, region, kind, created_at) VALUES ('ZZ1', 'x', 'r', 'pharmacy', 0)")
        .execute(&db.pool)
        .await
        .unwrap();
    for suffix in ["", "-wal", "-shm"] {
        let path = format!("{}{suffix}", file.display());
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{path} has mode {mode:o}");
    }
}
