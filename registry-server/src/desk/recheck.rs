//! The re-check page (registrars, auditors): every stored tumour that fails the record checks
//! now, by facility, with each check's message in the page's language and a link to the
//! record ([`crate::domain::recheck`]; the run is audited as `registry.recheck`).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::{render, Chrome, DeskError, DeskUser, Lang};
use crate::domain::{recheck, Registry};

/// Routes under `/desk`.
pub fn router() -> Router<Registry> {
    Router::new().route("/recheck", get(page))
}

/// One finding of one tumour, display-ready.
#[derive(Debug)]
struct Row {
    facility: String,
    patient_href: String,
    tumour_id: String,
    version: i64,
    check: &'static str,
    outcome: &'static str,
    message: String,
}

#[derive(Template)]
#[template(path = "desk/recheck.html")]
struct RecheckPage {
    c: Chrome,
    checked: usize,
    failing: usize,
    rows: Vec<Row>,
}

/// `GET /desk/recheck`
async fn page(State(state): State<Registry>, user: DeskUser) -> Result<Response, DeskError> {
    let found = recheck::review(&state, &user.caller)
        .await
        .map_err(|e| user.fail(e))?;
    let rows = found
        .failures
        .iter()
        .flat_map(|f| {
            f.findings.iter().map(move |finding| Row {
                facility: f.facility.clone(),
                patient_href: format!("/desk/patients/{}#tumours", f.patient_id),
                tumour_id: f.tumour_id.clone(),
                version: f.version,
                check: finding.check.code(),
                outcome: finding.outcome.code(),
                message: match user.lang {
                    Lang::Ar => finding.message.ar(),
                    Lang::En => finding.message.en(),
                },
            })
        })
        .collect();
    let page = RecheckPage {
        c: Chrome::for_user(&user, "/desk/recheck", "recheck.title", "/desk/recheck"),
        checked: found.checked,
        failing: found.failures.len(),
        rows,
    };
    render(user.lang, StatusCode::OK, &page)
}
