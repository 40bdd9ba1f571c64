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
use card_format::model::{Allergy, Date, Stage, Treatment, Tumour};

use super::record::{show_record, Options, RecordForms};
use super::{parse_date, render, Chrome, DeskError, DeskUser, FormState, Lang};
use crate::domain::clinical::{self, Draft, Kind, MedicineInput};
use crate::domain::patients::Correction;
use crate::domain::{Error, Registry};

/// Routes under `/desk`.
pub fn router() -> Router<Registry> {
    Router::new()
        .route("/patients/{id}/{kind}", axum::routing::post(add))
        .route("/records/{kind}/{id}", get(correction_page).post(correct))
}

/// The record kinds of the desk's paths.
fn kind_of(path: &str) -> Option<Kind> {
    clinical::kind_from_path(path).ok()
}

/// Reads a form's fields into typed values, marking each field that does not parse.
struct Fields<'a> {
    f: &'a mut FormState,
    lang: Lang,
}

impl Fields<'_> {
    /// A required text field.
    fn text(&mut self, name: &str) -> String {
        match self.f.opt(name) {
            Some(v) => v,
            None => {
                let message = super::patients::invalid_message(self.lang, name);
                self.f.fail(name, message);
                String::new()
            }
        }
    }

    /// A whole number in any digit script, `None` when left empty; out of `T`'s range is
    /// the field's own message.
    fn number<T: TryFrom<u64>>(&mut self, name: &str) -> Option<T> {
        let text = self.f.opt(name)?;
        let Some(n) = super::parse_number::<u64>(&text) else {
            self.f.fail(name, self.lang.t("invalid.number"));
            return None;
        };
        let value = T::try_from(n).ok();
        if value.is_none() {
            let message = self
                .lang
                .try_t(&format!("invalid.{name}"))
                .unwrap_or(self.lang.t("invalid.number"));
            self.f.fail(name, message);
        }
        value
    }

    /// A required whole number.
    fn required_number<T: TryFrom<u64> + Default>(&mut self, name: &str) -> T {
        if self.f.opt(name).is_none() {
            let message = self.lang.t("invalid.number");
            self.f.fail(name, message);
        }
        self.number(name).unwrap_or_default()
    }

    /// A date `YYYY-MM-DD` in any digit script, `None` when left empty.
    fn date(&mut self, name: &str) -> Option<Date> {
        let text = self.f.opt(name)?;
        let date = parse_date(&text);
        if date.is_none() {
            self.f.fail(name, self.date_message(name));
        }
        date
    }

    /// A required date.
    fn required_date(&mut self, name: &str) -> Date {
        if self.f.opt(name).is_none() {
            self.f.fail(name, self.date_message(name));
        }
        self.date(name).unwrap_or(Date(0))
    }

    /// The field's own message for a bad date (`invalid.valid_until`), else the general one.
    fn date_message(&self, name: &str) -> &'static str {
        self.lang
            .try_t(&format!("invalid.{name}"))
            .unwrap_or(self.lang.t("invalid.date"))
    }

    /// The name of one of an enumeration's values (its API name), `None` when left empty.
    fn choice<T: serde::de::DeserializeOwned>(&mut self, name: &str) -> Option<T> {
        let text = self.f.opt(name)?;
        let value = serde_json::from_value(serde_json::Value::String(text)).ok();
        if value.is_none() {
            let message = super::patients::invalid_message(self.lang, name);
            self.f.fail(name, message);
        }
        value
    }

    /// A required choice.
    fn required_choice<T: serde::de::DeserializeOwned>(&mut self, name: &str) -> Option<T> {
        if self.f.opt(name).is_none() {
            let message = super::patients::invalid_message(self.lang, name);
            self.f.fail(name, message);
        }
        self.choice(name)
    }
}

/// The draft a form of `kind` holds, or `None` with every field that does not parse marked.
fn draft_of(kind: Kind, lang: Lang, f: &mut FormState) -> Option<Draft> {
    let mut x = Fields { f, lang };
    let draft = match kind {
        Kind::Tumour => {
            let stage = match x.f.opt("stage_scheme") {
                None => None,
                Some(_) => x.choice("stage_scheme").map(|scheme| Stage {
                    scheme,
                    t: x.f.opt("stage_t"),
                    n: x.f.opt("stage_n"),
                    m: x.f.opt("stage_m"),
                    group: x.text("stage_group"),
                }),
            };
            Draft::Tumour(Tumour {
                icd10: x.text("icd10"),
                topography: x.text("topography"),
                morphology: x.required_number("morphology"),
                behaviour: x.required_number("behaviour"),
                grade: x.number("grade"),
                basis: x.required_number("basis"),
                incidence: x.required_date("incidence"),
                stage,
                iccc: x.f.opt("iccc"),
            })
        }
        Kind::Treatment => {
            let kind = x.required_choice("kind");
            Draft::Treatment(Treatment {
                regimen: x.f.opt("regimen"),
                cycles: x.number("cycles"),
                start: x.required_date("start"),
                end: x.date("end"),
                kind: kind?,
            })
        }
        Kind::Allergy => {
            let severity = x.required_choice("severity");
            Draft::Allergy(Allergy {
                substance: x.text("substance"),
                kind: x.choice("kind"),
                severity: severity?,
            })
        }
        Kind::Medicine => {
            let form = x.required_choice("form");
            Draft::Medicine(MedicineInput {
                atc: x.text("atc"),
                name: x.text("name"),
                strength: x.text("strength"),
                quantity: x.required_number("quantity"),
                dispensings: x.required_number("dispensings"),
                interval_days: x.required_number("interval_days"),
                valid_until: x.required_date("valid_until"),
                form: form?,
            })
        }
    };
    (!f.has_errors()).then_some(draft)
}

fn name_of<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// The form values of a record's current data (what the correction form starts from).
fn values_of(draft: &Draft) -> HashMap<String, String> {
    let mut out: Vec<(&str, String)> = Vec::new();
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    match draft {
        Draft::Tumour(t) => {
            out.extend([
                ("icd10", t.icd10.clone()),
                ("topography", t.topography.clone()),
                ("morphology", t.morphology.to_string()),
                ("behaviour", t.behaviour.to_string()),
                ("grade", t.grade.map(|g| g.to_string()).unwrap_or_default()),
                ("basis", t.basis.to_string()),
                ("incidence", t.incidence.to_string()),
                ("iccc", opt(&t.iccc)),
            ]);
            if let Some(s) = &t.stage {
                out.extend([
                    ("stage_scheme", name_of(&s.scheme)),
                    ("stage_t", opt(&s.t)),
                    ("stage_n", opt(&s.n)),
                    ("stage_m", opt(&s.m)),
                    ("stage_group", s.group.clone()),
                ]);
            }
        }
        Draft::Treatment(t) => out.extend([
            ("kind", name_of(&t.kind)),
            ("regimen", opt(&t.regimen)),
            (
                "cycles",
                t.cycles.map(|c| c.to_string()).unwrap_or_default(),
            ),
            ("start", t.start.to_string()),
            ("end", t.end.map(|d| d.to_string()).unwrap_or_default()),
        ]),
        Draft::Allergy(a) => out.extend([
            ("substance", a.substance.clone()),
            ("severity", name_of(&a.severity)),
            ("kind", a.kind.as_ref().map(name_of).unwrap_or_default()),
        ]),
        Draft::Medicine(m) => out.extend([
            ("atc", m.atc.clone()),
            ("name", m.name.clone()),
            ("strength", m.strength.clone()),
            ("form", name_of(&m.form)),
            ("quantity", m.quantity.to_string()),
            ("dispensings", m.dispensings.to_string()),
            ("interval_days", m.interval_days.to_string()),
            ("valid_until", m.valid_until.to_string()),
        ]),
    }
    out.into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_string(), v))
        .collect()
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

/// Places a domain validation error on the form field it names.
fn place_error(kind: Kind, lang: Lang, f: &mut FormState, field: &str) {
    let mut path = field;
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

/// `POST /desk/patients/{id}/{tumours|treatments|medicines|allergies}` (clinicians).
async fn add(
    State(state): State<Registry>,
    user: DeskUser,
    Path((patient_id, kind)): Path<(String, String)>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, DeskError> {
    let Form(mut values) = form.map_err(|e| user.bad_form(e))?;
    user.check_csrf(values.get("csrf").map_or("", String::as_str))?;
    user.require(clinical::WRITERS)?;
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
    let result = match draft_of(kind, user.lang, slot) {
        Some(draft) => clinical::create(&state, &user.caller, &patient_id, draft)
            .await
            .map(|_| ()),
        None => Err(Error::invalid("form", "")),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!(
            "/desk/patients/{patient_id}?done=saved#{path_kind}"
        ))
        .into_response()),
        Err(Error::Validation { field, .. }) => {
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
    let Form(mut values) = form.map_err(|e| user.bad_form(e))?;
    user.check_csrf(values.get("csrf").map_or("", String::as_str))?;
    user.require(clinical::WRITERS)?;
    let kind = kind_of(&kind_path).ok_or_else(|| DeskError::not_found(user.lang))?;
    values.remove("csrf");
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
            clinical::correct(&state, &user.caller, &id, correction)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn form(prefix: &'static str, pairs: &[(&str, &str)]) -> FormState {
        let mut f = FormState::new(prefix);
        for (k, v) in pairs {
            f.values.insert((*k).into(), (*v).into());
        }
        f
    }

    #[test]
    fn a_tumour_form_becomes_a_draft_with_ascii_digits() {
        let mut f = form(
            "tu",
            &[
                ("icd10", "C50.4"),
                ("topography", "C50.4"),
                ("morphology", "٨٥٠٠"),
                ("behaviour", "3"),
                ("basis", "7"),
                ("incidence", "٢٠٢٥-٠٩-٠٣"),
                ("stage_scheme", "tnm8"),
                ("stage_group", "IIB"),
            ],
        );
        let Some(Draft::Tumour(t)) = draft_of(Kind::Tumour, Lang::En, &mut f) else {
            panic!("{:?}", f.errors);
        };
        assert_eq!(t.morphology, 8500);
        assert_eq!(t.incidence.to_string(), "2025-09-03");
        assert_eq!(t.stage.map(|s| s.group), Some("IIB".to_string()));
    }

    #[test]
    fn a_number_that_is_not_one_is_marked() {
        let mut f = form("me", &[("quantity", "thirty")]);
        assert!(draft_of(Kind::Medicine, Lang::Ar, &mut f).is_none());
        assert_eq!(f.err("quantity"), Some(Lang::Ar.t("invalid.number")));
    }

    #[test]
    fn unknown_names_and_bad_dates_are_marked_on_their_fields() {
        let mut f = form(
            "tr",
            &[("kind", "magic"), ("start", "2025-13-01"), ("cycles", "2")],
        );
        assert!(draft_of(Kind::Treatment, Lang::En, &mut f).is_none());
        assert!(f.has_err("kind"));
        assert_eq!(f.err("start"), Some(Lang::En.t("invalid.date")));
        assert!(!f.has_err("cycles"));
    }

    #[test]
    fn a_record_shown_for_correction_parses_back_to_itself() {
        let mut f = form(
            "al",
            &[
                ("substance", "penicillin"),
                ("severity", "severe"),
                ("kind", "allergy"),
            ],
        );
        let draft = draft_of(Kind::Allergy, Lang::En, &mut f).unwrap();
        let mut again = FormState::with_values("co", values_of(&draft));
        assert_eq!(draft_of(Kind::Allergy, Lang::En, &mut again), Some(draft));
    }

    #[test]
    fn domain_errors_land_on_their_fields() {
        let mut f = FormState::new("tu");
        place_error(Kind::Tumour, Lang::En, &mut f, "tumour.stage.group");
        assert!(f.has_err("stage_group"));
        place_error(Kind::Medicine, Lang::En, &mut f, "medicine.valid_until");
        assert!(f.has_err("valid_until"));
    }
}
