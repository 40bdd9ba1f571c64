//! The import page (registrars): upload a file of existing records (the template, a CanReg5
//! export; CSV, tab-separated or XLSX), see the dry run's report, then import
//! ([`crate::domain::import`]). The page shows a count per outcome and every row not
//! imported by line, key, column and reason, never a value. Files up to
//! [`MAX_UPLOAD_BYTES`]; a larger one goes through `registry-server import`.

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::{render, Chrome, DeskError, DeskUser};
use crate::domain::import::{self, Options, Outcome};
use crate::domain::{Error, Registry};

/// Largest upload, bytes (about 100,000 rows of the template).
pub const MAX_UPLOAD_BYTES: usize = 32 * 1024 * 1024;

/// Most rows listed on the page; the command's `--report` lists them all.
const MAX_LISTED: usize = 500;

/// Routes under `/desk`.
pub fn router() -> Router<Registry> {
    Router::new().route(
        "/import",
        get(page)
            .post(upload)
            .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
    )
}

/// A row not imported, display-ready.
#[derive(Debug)]
struct Listed {
    line: usize,
    record: String,
    outcome: &'static str,
    problems: String,
    duplicates: String,
}

/// What a run did.
#[derive(Debug)]
struct Done {
    dry_run: bool,
    source: String,
    counts: Vec<(&'static str, usize)>,
    patients: usize,
    tumours: usize,
    ignored: String,
    listed: Vec<Listed>,
    more: usize,
}

#[derive(Template)]
#[template(path = "desk/import.html")]
struct ImportPage {
    c: Chrome,
    csrf: String,
    source: String,
    error: Option<String>,
    done: Option<Done>,
}

fn import_page(user: &DeskUser) -> ImportPage {
    ImportPage {
        c: Chrome::for_user(user, "/desk/import", "import.title", "/desk/import"),
        csrf: user.csrf.clone(),
        source: String::new(),
        error: None,
        done: None,
    }
}

/// `GET /desk/import`
async fn page(user: DeskUser) -> Result<Response, DeskError> {
    user.require(import::IMPORTERS)?;
    render(user.lang, StatusCode::OK, &import_page(&user))
}

/// `POST /desk/import` (multipart: `csrf`, `source`, `dry_run`, `confirm_checks`, `file`).
async fn upload(
    State(state): State<Registry>,
    user: DeskUser,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, DeskError> {
    let mut multipart = multipart.map_err(|_| DeskError::bad_request(user.lang))?;
    let too_large =
        |e: axum::extract::multipart::MultipartError| DeskError::of_multipart(user.lang, &e);
    let (mut csrf, mut source, mut bytes) = (String::new(), String::new(), Vec::new());
    let (mut dry_run, mut confirm_checks) = (false, false);
    while let Some(field) = multipart.next_field().await.map_err(too_large)? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(too_large)?,
            Some("source") => source = field.text().await.map_err(too_large)?,
            Some("dry_run") => dry_run = true,
            Some("confirm_checks") => confirm_checks = true,
            Some("file") => bytes = field.bytes().await.map_err(too_large)?.to_vec(),
            _ => {}
        }
    }
    user.check_csrf(&csrf)?;
    user.require(import::IMPORTERS)?;
    let mut page = import_page(&user);
    page.source = source.trim().to_string();
    let options = Options {
        source: page.source.clone(),
        dry_run,
        confirm_checks,
        layout: None,
    };
    let now = state.clock.now();
    match import::run(&state.db, now, &user.caller, &bytes, &options, &|_, _| {}).await {
        Ok(report) => {
            let shown: Vec<&import::RowReport> = report
                .rows
                .iter()
                .filter(|r| {
                    !matches!(
                        r.outcome,
                        Outcome::Imported | Outcome::WouldImport | Outcome::Unchanged
                    ) || !r.problems.is_empty()
                        || !r.duplicates.is_empty()
                })
                .collect();
            page.done = Some(Done {
                dry_run,
                source: report.source.clone(),
                counts: report.counts.iter().map(|(k, v)| (*k, *v)).collect(),
                patients: report.patients,
                tumours: report.tumours,
                ignored: report.ignored_columns.join(", "),
                more: shown.len().saturating_sub(MAX_LISTED),
                listed: shown
                    .iter()
                    .take(MAX_LISTED)
                    .map(|r| Listed {
                        line: r.line,
                        record: r.record.clone(),
                        outcome: r.outcome.code(),
                        problems: r
                            .problems
                            .iter()
                            .map(|p| format!("{}: {}", p.field, p.message))
                            .collect::<Vec<_>>()
                            .join("; "),
                        duplicates: r.duplicates.join(" "),
                    })
                    .collect(),
            });
            render(user.lang, StatusCode::OK, &page)
        }
        Err(Error::Validation { field, message }) => {
            let what = if field == "source" {
                user.lang.t("import.bad_source")
            } else {
                user.lang.t("import.bad_file")
            };
            page.error = Some(format!("{what} {message}"));
            render(user.lang, StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(user.fail(e)),
    }
}
