//! The clinical forms: clinicians add tumours, treatments, medicine
//! authorisations and allergies, and correct them (with the version they correct and a
//! reason, seeing the earlier versions).
//!
//! A form becomes the API's own body (the same JSON the API accepts, deserialised by the same
//! code), then goes through the API's domain functions: the pages add no rule of their own.

use std::collections::HashMap;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde_json::{json, Map, Value};

use super::record::{show_record, Options, RecordForms};
use super::{parse_number, render, Chrome, DeskError, DeskUser, FormState, Lang};
use crate::auth::Role;
use crate::db::clinical::Kind;
use crate::http::clinical as api;
use crate::http::error::parse_json;
use crate::http::patients::Correction;
use crate::http::{ApiError, AppState};

/// Routes under `/desk`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/patients/{id}/{kind}", axum::routing::post(add))
        .route("/records/{kind}/{id}", get(correction_page).post(correct))
}

/// The record kinds of the desk's paths.
fn kind_of(path: &str) -> Option<Kind> {
    api::kind_from_path(path).ok()
}

/// The form's JSON body for `kind`, as the API takes it; number fields that do not parse are
/// marked on the form.
fn body_of(kind: Kind, lang: Lang, f: &mut FormState) -> Option<Value> {
    let mut o = Map::new();
    let text = |o: &mut Map<String, Value>, f: &FormState, name: &str, key: &str| {
        if let Some(v) = f.opt(name) {
            o.insert(key.to_string(), Value::String(v));
        }
    };
    let mut bad = Vec::new();
    let mut number = |o: &mut Map<String, Value>, f: &FormState, name: &str, key: &str| {
        if let Some(v) = f.opt(name) {
            match parse_number::<u64>(&v) {
                Some(n) => {
                    o.insert(key.to_string(), json!(n));
                }
                None => bad.push(name.to_string()),
            }
        }
    };
    // Dates in any digit script become ASCII; the API's own parser judges them.
    let date = |o: &mut Map<String, Value>, f: &FormState, name: &str| {
        if let Some(v) = f.opt(name) {
            o.insert(
                name.to_string(),
                Value::String(crate::patient::ascii_digits(&v)),
            );
        }
    };
    match kind {
        Kind::Tumour => {
            text(&mut o, f, "icd10", "icd10");
            text(&mut o, f, "topography", "topography");
            number(&mut o, f, "morphology", "morphology");
            number(&mut o, f, "behaviour", "behaviour");
            number(&mut o, f, "grade", "grade");
            number(&mut o, f, "basis", "basis");
            date(&mut o, f, "incidence");
            text(&mut o, f, "iccc", "iccc");
            if f.opt("stage_scheme").is_some() {
                let mut s = Map::new();
                text(&mut s, f, "stage_scheme", "scheme");
                text(&mut s, f, "stage_t", "t");
                text(&mut s, f, "stage_n", "n");
                text(&mut s, f, "stage_m", "m");
                text(&mut s, f, "stage_group", "group");
                o.insert("stage".into(), Value::Object(s));
            }
        }
        Kind::Treatment => {
            text(&mut o, f, "kind", "kind");
            text(&mut o, f, "regimen", "regimen");
            number(&mut o, f, "cycles", "cycles");
            date(&mut o, f, "start");
            date(&mut o, f, "end");
        }
        Kind::Allergy => {
            text(&mut o, f, "substance", "substance");
            text(&mut o, f, "severity", "severity");
            text(&mut o, f, "kind", "kind");
        }
        Kind::Medicine => {
            text(&mut o, f, "atc", "atc");
            text(&mut o, f, "name", "name");
            text(&mut o, f, "strength", "strength");
            text(&mut o, f, "form", "form");
            number(&mut o, f, "quantity", "quantity");
            number(&mut o, f, "dispensings", "dispensings");
            number(&mut o, f, "interval_days", "interval_days");
            date(&mut o, f, "valid_until");
        }
    }
    for name in bad {
        f.fail(&name, lang.t("invalid.number"));
    }
    (!f.has_errors()).then_some(Value::Object(o))
}

/// The fields of each form, in order (the first is where an unplaceable error goes).
fn fields(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Tumour => &[
            "icd10",
            "topography",
            "morphology",
            "behaviour",
            "grade",
            "basis",
            "incidence",
            "stage_scheme",
            "stage_t",
            "stage_n",
            "stage_m",
            "stage_group",
            "iccc",
        ],
        Kind::Treatment => &["kind", "regimen", "cycles", "start", "end"],
        Kind::Allergy => &["substance", "severity", "kind"],
        Kind::Medicine => &[
            "atc",
            "name",
            "strength",
            "form",
            "quantity",
            "dispensings",
            "interval_days",
            "valid_until",
        ],
    }
}

/// Places an API validation error on the form field it names.
fn place_error(kind: Kind, lang: Lang, f: &mut FormState, api_field: &str) {
    let mut path = api_field;
    for prefix in ["data.", "tumour.", "treatment.", "allergy.", "medicine."] {
        path = path.strip_prefix(prefix).unwrap_or(path);
    }
    let name = path.replace("stage.", "stage_");
    let name = name.split(['.', '[']).next().unwrap_or_default();
    let known = fields(kind);
    let field = known
        .iter()
        .find(|k| **k == name)
        .or(known.first())
        .copied()
        .unwrap_or("reason");
    let message = match field {
        "incidence" | "start" | "end" => lang.t("invalid.date"),
        "morphology" | "behaviour" | "grade" | "basis" | "cycles" | "quantity" | "dispensings"
        | "interval_days" => lang
            .try_t(&format!("invalid.{field}"))
            .unwrap_or(lang.t("invalid.number")),
        other => super::patients::invalid_message(lang, other),
    };
    f.fail(field, message);
}

/// The API's body type for `kind`, run through the API's domain function.
async fn create(
    state: &AppState,
    user: &DeskUser,
    kind: Kind,
    patient_id: &str,
    body: &Value,
) -> Result<(), ApiError> {
    let bytes = body.to_string().into_bytes();
    let id = patient_id.to_string();
    match kind {
        Kind::Tumour => api::create_tumour(state, &user.caller, id, parse_json(&bytes)?).await,
        Kind::Treatment => {
            api::create_treatment(state, &user.caller, id, parse_json(&bytes)?).await
        }
        Kind::Allergy => api::create_allergy(state, &user.caller, id, parse_json(&bytes)?).await,
        Kind::Medicine => api::create_medicine(state, &user.caller, id, parse_json(&bytes)?).await,
    }
    .map(|_| ())
}

/// `POST /desk/patients/{id}/{tumours|treatments|medicines|allergies}` (clinicians).
async fn add(
    State(state): State<AppState>,
    user: DeskUser,
    Path((patient_id, kind)): Path<(String, String)>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, DeskError> {
    let Form(mut values) = form.map_err(|e| user.bad_form(e))?;
    user.check_csrf(values.get("csrf").map_or("", String::as_str))?;
    user.require(&[Role::Clinician])?;
    let path_kind = kind.clone();
    let kind = kind_of(&kind).ok_or_else(|| DeskError::not_found(user.lang))?;
    values.remove("csrf");
    let mut forms = RecordForms::new();
    let slot = match kind {
        Kind::Tumour => &mut forms.tumours,
        Kind::Treatment => &mut forms.treatments,
        Kind::Allergy => &mut forms.allergies,
        Kind::Medicine => &mut forms.medicines,
    };
    slot.values = values;
    let result = match body_of(kind, user.lang, slot) {
        Some(body) => create(&state, &user, kind, &patient_id, &body).await,
        None => Err(ApiError::invalid("form", "")),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!(
            "/desk/patients/{patient_id}?done=saved#{path_kind}"
        ))
        .into_response()),
        Err(ApiError::Validation { field, .. }) => {
            if field != "form" {
                place_error(kind, user.lang, slot, &field);
            }
            show_record(
                &state,
                &user,
                &patient_id,
                forms,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
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

/// The form values of a record's current data.
fn values_of(kind: Kind, data: &Value) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let Some(obj) = data.as_object() else {
        return out;
    };
    for (k, v) in obj {
        match (k.as_str(), v) {
            ("stage", Value::Object(s)) => {
                for (sk, sv) in s {
                    let name = if sk == "scheme" {
                        "stage_scheme".to_string()
                    } else {
                        format!("stage_{sk}")
                    };
                    out.insert(name, plain(sv));
                }
            }
            (k, v) if fields(kind).contains(&k) => {
                out.insert(k.to_string(), plain(v));
            }
            _ => {}
        }
    }
    out
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The record's patient, version and current data as JSON, from the whole record (an
/// audited `patient.read`) and its history (an audited `record.history`).
async fn current(
    state: &AppState,
    user: &DeskUser,
    kind: Kind,
    id: &str,
) -> Result<(String, i64, Value, Vec<Earlier>), DeskError> {
    let owner = crate::db::clinical::owner(&state.db, kind, id)
        .await
        .map_err(|e| user.fail(e.into()))?
        .ok_or_else(|| DeskError::not_found(user.lang))?;
    let record = api::record_of(state, &user.caller, &owner.0)
        .await
        .map_err(|e| user.fail(e))?;
    let found = match kind {
        Kind::Tumour => record
            .tumours
            .iter()
            .find(|t| t.id == id)
            .map(|t| (t.version, serde_json::to_value(&t.record))),
        Kind::Treatment => record
            .treatments
            .iter()
            .find(|t| t.id == id)
            .map(|t| (t.version, serde_json::to_value(&t.record))),
        Kind::Allergy => record
            .allergies
            .iter()
            .find(|t| t.id == id)
            .map(|t| (t.version, serde_json::to_value(&t.record))),
        Kind::Medicine => record
            .medicines
            .iter()
            .find(|m| m.medicine.id.to_string() == id)
            .map(|m| (m.version, serde_json::to_value(&m.medicine))),
    };
    let (version, data) = found.ok_or_else(|| DeskError::not_found(user.lang))?;
    let data = data.map_err(|e| user.fail(ApiError::Internal(e.to_string())))?;
    let history = api::history_of(state, &user.caller, kind, id)
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
    Ok((owner.0, version, data, history))
}

/// `GET /desk/records/{kind}/{id}`: the correction form with the earlier versions
/// (clinicians).
async fn correction_page(
    State(state): State<AppState>,
    user: DeskUser,
    Path((kind_path, id)): Path<(String, String)>,
) -> Result<Response, DeskError> {
    user.require(&[Role::Clinician])?;
    let kind = kind_of(&kind_path).ok_or_else(|| DeskError::not_found(user.lang))?;
    let (patient_id, version, data, history) = current(&state, &user, kind, &id).await?;
    let mut f = FormState::with_values("co", values_of(kind, &data));
    f.values.insert("version".into(), version.to_string());
    let page = CorrectPage::new(&user, kind_path, id, patient_id, version, f, history, None);
    render(user.lang, StatusCode::OK, &page)
}

/// `POST /desk/records/{kind}/{id}`: applies a correction (clinicians).
async fn correct(
    State(state): State<AppState>,
    user: DeskUser,
    Path((kind_path, id)): Path<(String, String)>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, DeskError> {
    let Form(mut values) = form.map_err(|e| user.bad_form(e))?;
    user.check_csrf(values.get("csrf").map_or("", String::as_str))?;
    user.require(&[Role::Clinician])?;
    let kind = kind_of(&kind_path).ok_or_else(|| DeskError::not_found(user.lang))?;
    values.remove("csrf");
    let mut f = FormState::with_values("co", values);
    let version: Option<i64> = parse_number(f.v("version"));
    let reason = f.v("reason").trim().to_string();
    let body = body_of(kind, user.lang, &mut f);
    let result = match (body, version) {
        (Some(data), Some(version)) => {
            let correction = json!({"version": version, "reason": reason, "data": data});
            apply(&state, &user, kind, &id, &correction).await
        }
        (_, None) => Err(ApiError::invalid("version", "")),
        (None, _) => Err(ApiError::invalid("form", "")),
    };
    let conflict = match result {
        Ok(()) => {
            let (patient_id, _) = crate::db::clinical::owner(&state.db, kind, &id)
                .await
                .map_err(|e| user.fail(e.into()))?
                .ok_or_else(|| DeskError::not_found(user.lang))?;
            return Ok(
                Redirect::to(&format!("/desk/patients/{patient_id}?done=saved")).into_response(),
            );
        }
        Err(ApiError::Validation { field, .. }) => {
            match field.as_str() {
                "form" => {}
                "reason" => f.fail("reason", user.lang.t("invalid.reason")),
                "version" => return Err(DeskError::bad_request(user.lang)),
                other => place_error(kind, user.lang, &mut f, other),
            }
            None
        }
        Err(ApiError::Conflict { code, .. }) => Some(super::conflict_key(code)),
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

async fn apply(
    state: &AppState,
    user: &DeskUser,
    kind: Kind,
    id: &str,
    correction: &Value,
) -> Result<(), ApiError> {
    let bytes = correction.to_string().into_bytes();
    let id = id.to_string();
    let c = &user.caller;
    match kind {
        Kind::Tumour => {
            let body: Correction<card_format::model::Tumour> = parse_json(&bytes)?;
            api::correct_tumour_as(state, c, id, body).await
        }
        Kind::Treatment => {
            let body: Correction<card_format::model::Treatment> = parse_json(&bytes)?;
            api::correct_treatment_as(state, c, id, body).await
        }
        Kind::Allergy => {
            let body: Correction<card_format::model::Allergy> = parse_json(&bytes)?;
            api::correct_allergy_as(state, c, id, body).await
        }
        Kind::Medicine => {
            let body: Correction<api::MedicineInput> = parse_json(&bytes)?;
            api::correct_medicine_as(state, c, id, body).await
        }
    }
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tumour_form_becomes_the_api_body_with_ascii_digits() {
        let mut f = FormState::new("tu");
        for (k, v) in [
            ("icd10", "C50.4"),
            ("topography", "C50.4"),
            ("morphology", "٨٥٠٠"),
            ("behaviour", "3"),
            ("basis", "7"),
            ("incidence", "٢٠٢٥-٠٩-٠٣"),
            ("stage_scheme", "tnm8"),
            ("stage_group", "IIB"),
        ] {
            f.values.insert(k.into(), v.into());
        }
        let body = body_of(Kind::Tumour, Lang::En, &mut f).unwrap();
        assert_eq!(body["morphology"], 8500);
        assert_eq!(body["incidence"], "2025-09-03");
        assert_eq!(body["stage"]["group"], "IIB");
        let tumour: card_format::model::Tumour = parse_json(body.to_string().as_bytes()).unwrap();
        assert_eq!(tumour.morphology, 8500);
    }

    #[test]
    fn a_number_that_is_not_one_is_marked() {
        let mut f = FormState::new("me");
        f.values.insert("quantity".into(), "thirty".into());
        assert!(body_of(Kind::Medicine, Lang::Ar, &mut f).is_none());
        assert_eq!(f.err("quantity"), Some(Lang::Ar.t("invalid.number")));
    }

    #[test]
    fn api_errors_land_on_their_fields() {
        let mut f = FormState::new("tu");
        place_error(Kind::Tumour, Lang::En, &mut f, "tumour.stage.group");
        assert!(f.has_err("stage_group"));
        place_error(Kind::Medicine, Lang::En, &mut f, "medicine.valid_until");
        assert!(f.has_err("valid_until"));
    }
}
