//! The clinical forms: clinicians add tumours, treatments, medicine authorisations and
//! allergies, and correct them (with the version they correct and a reason, seeing the
//! earlier versions).
//!
//! A form is parsed straight into the domain's [`Draft`] (digits in any script, dates, the
//! names of enumerations), each field that does not parse marked on the form; the draft then
//! goes through the same operations as the API's ([`crate::domain::clinical`]): the pages
//! add no rule of their own.

use std::collections::HashMap;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};

mod form;

use form::{draft_of, place_error, place_findings, values_of};

use super::record::{show_record, Options, RecordForms};
use super::{render, Chrome, DeskError, DeskUser, FormState};
use crate::domain::clinical::{self, Draft, Kind};
use crate::domain::patients::Correction;
use crate::domain::{Error, Registry};

/// Routes under `/desk`.
pub fn router() -> Router<Registry> {
    Router::new()
        .route("/patients/{id}/{kind}", axum::routing::post(add))
        .route("/records/{kind}/{id}", get(correction_page).post(correct))
}

/// A form sent back with its errors.
pub(super) const UNPROCESSABLE: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;

/// The record checks a form confirms: its `confirm.<code>` boxes that are ticked.
fn confirmed_in(values: &HashMap<String, String>) -> Vec<String> {
    let mut codes: Vec<String> = values
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .filter_map(|(k, _)| k.strip_prefix("confirm."))
        .map(str::to_string)
        .collect();
    codes.sort_unstable();
    codes
}

/// The record kinds of the desk's paths.
fn kind_of(path: &str) -> Option<Kind> {
    clinical::kind_from_path(path).ok()
}

/// `POST /desk/patients/{id}/{tumours|treatments|medicines|allergies}` (clinicians).
async fn add(
    State(state): State<Registry>,
    user: DeskUser,
    Path((patient_id, kind)): Path<(String, String)>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, DeskError> {
    let values = user.posted(form, clinical::WRITERS)?;
    let path_kind = kind.clone();
    let kind = kind_of(&kind).ok_or_else(|| DeskError::not_found(user.lang))?;
    let mut forms = RecordForms::new();
    let slot = match kind {
        Kind::Tumour => &mut forms.tumours,
        Kind::Treatment => &mut forms.treatments,
        Kind::Allergy => &mut forms.allergies,
        Kind::Medicine => &mut forms.medicines,
    };
    slot.values = values;
    let result = match draft_of(kind, user.lang, slot) {
        Some(draft) => {
            let confirmed = confirmed_in(&slot.values);
            clinical::create(&state, &user.caller, &patient_id, draft, &confirmed)
                .await
                .map(|_| ())
        }
        None => Err(Error::invalid("form", "")),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!(
            "/desk/patients/{patient_id}?done=saved#{path_kind}"
        ))
        .into_response()),
        Err(Error::Checks { code, findings }) => {
            place_findings(user.lang, slot, &findings, code == "needs_confirmation");
            show_record(&state, &user, &patient_id, forms, None, UNPROCESSABLE).await
        }
        Err(Error::Validation { field, .. }) => {
            if field != "form" {
                place_error(kind, user.lang, slot, &field);
            }
            show_record(&state, &user, &patient_id, forms, None, UNPROCESSABLE).await
        }
        Err(e) => Err(user.fail(e)),
    }
}

/// One earlier version.
#[derive(Debug)]
struct Earlier {
    version: i64,
    data: String,
    reason: String,
    changed_at: String,
}

#[derive(Template)]
#[template(path = "desk/correct.html")]
struct CorrectPage {
    c: Chrome,
    kind: String,
    id: String,
    patient_id: String,
    version: i64,
    f: FormState,
    history: Vec<Earlier>,
    options: Options,
    conflict: Option<&'static str>,
}

impl CorrectPage {
    /// The correction page of record `id` (of the kind named `kind` in paths).
    #[allow(clippy::too_many_arguments)] // each is one distinct part of the page
    fn new(
        user: &DeskUser,
        kind: String,
        id: String,
        patient_id: String,
        version: i64,
        f: FormState,
        history: Vec<Earlier>,
        conflict: Option<&'static str>,
    ) -> CorrectPage {
        CorrectPage {
            c: Chrome::for_user(
                user,
                &format!("/desk/records/{kind}/{id}"),
                "record.correction_title",
                "/desk/patients",
            ),
            kind,
            id,
            patient_id,
            version,
            f,
            history,
            options: Options::new(user.lang),
            conflict,
        }
    }
}

/// The record's patient, version and current data, from the whole record (an audited
/// `patient.read`) and its history (an audited `record.history`).
async fn current(
    state: &Registry,
    user: &DeskUser,
    kind: Kind,
    id: &str,
) -> Result<(String, i64, Draft, Vec<Earlier>), DeskError> {
    let patient_id = clinical::patient_of(state, kind, id)
        .await
        .map_err(|e| user.fail(e))?;
    let record = clinical::record(state, &user.caller, &patient_id)
        .await
        .map_err(|e| user.fail(e))?;
    let (version, draft) = record
        .draft(kind, id)
        .ok_or_else(|| DeskError::not_found(user.lang))?;
    let history = clinical::history(state, &user.caller, kind, id)
        .await
        .map_err(|e| user.fail(e))?
        .into_iter()
        .map(|h| Earlier {
            version: h.version,
            data: h.data,
            reason: h.reason.unwrap_or_default(),
            changed_at: super::time_of(h.changed_at),
        })
        .collect();
    Ok((patient_id, version, draft, history))
}

/// `GET /desk/records/{kind}/{id}`: the correction form with the earlier versions
/// (clinicians).
async fn correction_page(
    State(state): State<Registry>,
    user: DeskUser,
    Path((kind_path, id)): Path<(String, String)>,
) -> Result<Response, DeskError> {
    user.require(clinical::WRITERS)?;
    let kind = kind_of(&kind_path).ok_or_else(|| DeskError::not_found(user.lang))?;
    let (patient_id, version, draft, history) = current(&state, &user, kind, &id).await?;
    let mut f = FormState::with_values("co", values_of(&draft));
    f.values.insert("version".into(), version.to_string());
    let page = CorrectPage::new(&user, kind_path, id, patient_id, version, f, history, None);
    render(user.lang, StatusCode::OK, &page)
}

/// `POST /desk/records/{kind}/{id}`: applies a correction (clinicians).
async fn correct(
    State(state): State<Registry>,
    user: DeskUser,
    Path((kind_path, id)): Path<(String, String)>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, DeskError> {
    let values = user.posted(form, clinical::WRITERS)?;
    let kind = kind_of(&kind_path).ok_or_else(|| DeskError::not_found(user.lang))?;
    let mut f = FormState::with_values("co", values);
    let version: Option<i64> = super::parse_number(f.v("version"));
    let reason = f.v("reason").trim().to_string();
    let draft = draft_of(kind, user.lang, &mut f);
    let result = match (draft, version) {
        (Some(data), Some(version)) => {
            let correction = Correction {
                version,
                reason,
                data,
            };
            clinical::correct(
                &state,
                &user.caller,
                &id,
                correction,
                &confirmed_in(&f.values),
            )
            .await
            .map(|_| ())
        }
        (_, None) => Err(Error::invalid("version", "")),
        (None, _) => Err(Error::invalid("form", "")),
    };
    let conflict = match result {
        Ok(()) => {
            let patient_id = clinical::patient_of(&state, kind, &id)
                .await
                .map_err(|e| user.fail(e))?;
            return Ok(
                Redirect::to(&format!("/desk/patients/{patient_id}?done=saved")).into_response(),
            );
        }
        Err(Error::Checks { code, findings }) => {
            place_findings(user.lang, &mut f, &findings, code == "needs_confirmation");
            None
        }
        Err(Error::Validation { field, .. }) => {
            match field.as_str() {
                "form" => {}
                "reason" => f.fail("reason", user.lang.t("invalid.reason")),
                "version" => return Err(DeskError::bad_request(user.lang)),
                other => place_error(kind, user.lang, &mut f, other),
            }
            None
        }
        Err(Error::Conflict { code, .. }) => Some(super::conflict_key(code)),
        Err(e) => return Err(user.fail(e)),
    };
    let (patient_id, current_version, _, history) = current(&state, &user, kind, &id).await?;
    let page = CorrectPage::new(
        &user,
        kind_path,
        id,
        patient_id,
        current_version,
        f,
        history,
        conflict,
    );
    let status = if conflict.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(user.lang, status, &page)
}
