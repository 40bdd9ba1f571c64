//! The record page: a patient's identity, tumours, treatments, authorised medicines,
//! allergies and cards, each with its version, and the actions the user's role may take on
//! them (the clinical forms of [`super::clinical`], issuing, revoking and printing cards, the
//! smart-card buttons). The whole record is one audited read (`patient.read`), through
//! indexed queries by patient id only.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

use super::{date_of, render, Chrome, DeskError, DeskUser, FormState, Lang};
use card_format::model::{DoseForm, Treatment, Tumour};

use crate::auth::Role;
use crate::domain::clinical::{self, Record};
use crate::domain::follow_up;
use crate::domain::Registry;

/// The four clinical forms of the record page, with what was typed and the errors.
#[derive(Debug, Clone)]
pub struct RecordForms {
    /// New tumour.
    pub tumours: FormState,
    /// New treatment.
    pub treatments: FormState,
    /// New medicine authorisation.
    pub medicines: FormState,
    /// New allergy.
    pub allergies: FormState,
    /// New follow-up contact.
    pub follow_up: FormState,
}

impl RecordForms {
    /// Empty forms.
    pub fn new() -> RecordForms {
        RecordForms {
            tumours: FormState::new("tu"),
            treatments: FormState::new("tr"),
            medicines: FormState::new("me"),
            allergies: FormState::new("al"),
            follow_up: FormState::new("fu"),
        }
    }
}

impl Default for RecordForms {
    fn default() -> Self {
        RecordForms::new()
    }
}

/// One row of a record table.
#[derive(Debug)]
pub struct Item {
    /// Record id.
    pub id: String,
    /// Version.
    pub version: i64,
    /// `active`, `withdrawn`, `superseded`, `revoked`.
    pub status: String,
    /// The status in the page language.
    pub status_label: String,
    /// The cells, display-ready.
    pub cells: Vec<String>,
    /// The correction page, for clinicians.
    pub correct_href: Option<String>,
}

/// The identity block.
#[derive(Debug)]
struct Identity {
    id: String,
    version: i64,
    name_ar: String,
    name_latin: String,
    id_type: String,
    identifier: String,
    sex: String,
    birth_date: String,
    blood_group: String,
    municipality: String,
    region: String,
    phone: String,
}

#[derive(Template)]
#[template(path = "desk/record.html")]
struct RecordPage {
    c: Chrome,
    p: Identity,
    tumours: Vec<Item>,
    treatments: Vec<Item>,
    medicines: Vec<Item>,
    allergies: Vec<Item>,
    follow_ups: Vec<Vec<String>>,
    cards: Vec<Item>,
    active_card: Option<String>,
    done: Option<&'static str>,
    is_registrar: bool,
    is_clinician: bool,
    /// The record this one was merged into.
    merged_into: Option<String>,
    /// Open duplicate pairs this patient is in (shown to registrars).
    duplicates_open: usize,
    f: RecordForms,
    options: Options,
}

/// Option lists of the forms' `<select>`s, labelled in the page language.
#[derive(Debug)]
pub struct Options {
    /// Staging schemes.
    pub stage_schemes: Vec<(String, String)>,
    /// Treatment kinds.
    pub treatment_kinds: Vec<(String, String)>,
    /// Dose forms.
    pub dose_forms: Vec<(String, String)>,
    /// Allergy severities.
    pub severities: Vec<(String, String)>,
    /// Allergy kinds.
    pub allergy_kinds: Vec<(String, String)>,
    /// Card revocation reasons.
    pub revoke_reasons: Vec<(String, String)>,
    /// Vital statuses.
    pub vital_statuses: Vec<(String, String)>,
}

/// The options of a `<select>`: each value with its label `group.value` in `lang` (the value
/// itself without one), after an empty choice when `blank`.
pub fn labelled(lang: Lang, group: &str, values: &[&str], blank: bool) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if blank {
        out.push((String::new(), "—".to_string()));
    }
    out.extend(values.iter().map(|v| {
        let label = lang
            .try_t(&format!("{group}.{v}"))
            .map_or_else(|| v.to_string(), String::from);
        (v.to_string(), label)
    }));
    out
}

impl Options {
    /// The lists in `lang`.
    pub fn new(lang: Lang) -> Options {
        Options {
            stage_schemes: labelled(lang, "scheme", &["tnm8", "toronto", "other"], true),
            treatment_kinds: labelled(
                lang,
                "treatmentkind",
                &[
                    "surgery",
                    "radiotherapy",
                    "chemotherapy",
                    "hormone_therapy",
                    "immuno_or_targeted",
                    "stem_cell_transplant",
                    "palliative",
                ],
                false,
            ),
            dose_forms: labelled(lang, "doseform", &DoseForm::CODES, false),
            severities: labelled(
                lang,
                "severity",
                &["mild", "moderate", "severe", "life_threatening"],
                false,
            ),
            allergy_kinds: labelled(
                lang,
                "allergykind",
                &["allergy", "intolerance", "contraindication"],
                true,
            ),
            revoke_reasons: labelled(
                lang,
                "revoke",
                &["lost", "stolen", "deceased", "error"],
                false,
            ),
            vital_statuses: labelled(lang, "vital", &["alive", "dead", "lost"], false),
        }
    }
}

fn label(lang: Lang, group: &str, value: &str) -> String {
    lang.try_t(&format!("{group}.{value}"))
        .map_or_else(|| value.to_string(), String::from)
}

fn serde_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// Renders the record page (after an audited read of the record).
///
/// # Errors
/// [`DeskError`] pages: not found, database errors.
pub async fn show_record(
    state: &Registry,
    user: &DeskUser,
    id: &str,
    forms: RecordForms,
    done: Option<&str>,
    status: StatusCode,
) -> Result<Response, DeskError> {
    let record = clinical::record(state, &user.caller, id)
        .await
        .map_err(|e| user.fail(e))?;
    let follow_ups = follow_up::list(state, &user.caller, id)
        .await
        .map_err(|e| user.fail(e))?;
    let mut page = record_page(user, record, forms, done);
    if page.is_registrar {
        page.duplicates_open = crate::domain::linkage::open_pairs_of(state, id)
            .await
            .map_err(|e| user.fail(e))?
            .len();
    }
    page.follow_ups = follow_ups
        .iter()
        .map(|f| {
            vec![
                f.last_contact.to_string(),
                label(user.lang, "vital", f.vital_status.as_str()),
                f.death_date.map(|d| d.to_string()).unwrap_or_default(),
                f.death_cause.clone().unwrap_or_default(),
                date_of(f.recorded_at),
            ]
        })
        .collect();
    render(user.lang, status, &page)
}

/// A tumour's cells in the record's table: ICD-10, site, morphology/behaviour, grade, basis,
/// incidence, stage, ICCC.
fn tumour_cells(x: &Tumour) -> Vec<String> {
    let stage = x.stage.as_ref().map_or(String::new(), |s| {
        [
            Some(serde_name(&s.scheme)),
            s.t.clone(),
            s.n.clone(),
            s.m.clone(),
            Some(s.group.clone()),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
    });
    vec![
        x.icd10.clone(),
        x.topography.clone(),
        format!("{}/{}", x.morphology, x.behaviour),
        x.grade.map_or(String::new(), |g| g.to_string()),
        x.basis.to_string(),
        x.incidence.to_string(),
        stage,
        x.iccc.clone().unwrap_or_default(),
    ]
}

/// A treatment's cells: kind, regimen, cycles, start, end.
fn treatment_cells(lang: Lang, x: &Treatment) -> Vec<String> {
    vec![
        label(lang, "treatmentkind", &serde_name(&x.kind)),
        x.regimen.clone().unwrap_or_default(),
        x.cycles.map_or(String::new(), |c| c.to_string()),
        x.start.to_string(),
        x.end.map_or(String::new(), |e| e.to_string()),
    ]
}

fn record_page(user: &DeskUser, r: Record, forms: RecordForms, done: Option<&str>) -> RecordPage {
    let lang = user.lang;
    let is_clinician = user.caller.role == Role::Clinician;
    let d = &r.patient.data;
    let correct = |kind: &str, id: &str| is_clinician.then(|| format!("/desk/records/{kind}/{id}"));
    let row = |kind: &str, id: &str, version: i64, status: &str, cells: Vec<String>| Item {
        id: id.to_string(),
        version,
        status: status.to_string(),
        status_label: label(lang, "status", status),
        cells,
        correct_href: correct(kind, id),
    };
    let tumours = r
        .tumours
        .iter()
        .map(|t| {
            let mut cells = tumour_cells(&t.record);
            cells.push(
                r.primaries
                    .iter()
                    .find(|p| p.tumour_id == t.id)
                    .map_or(String::new(), |p| {
                        format!("{} ({})", label(lang, "primary", &p.decision), p.rule)
                    }),
            );
            let confirmed: Vec<String> = r
                .confirmations
                .iter()
                .filter(|c| c.record_id == t.id)
                .map(|c| {
                    let key = format!("recheck.outcome_{}", c.outcome);
                    let outcome = lang.t(&key);
                    format!("{} ({outcome}, {})", c.check_code, date_of(c.confirmed_at))
                })
                .collect();
            cells.push(confirmed.join(" · "));
            row("tumours", &t.id, t.version, &t.status, cells)
        })
        .collect();
    let treatments = r
        .treatments
        .iter()
        .map(|t| {
            let cells = treatment_cells(lang, &t.record);
            row("treatments", &t.id, t.version, &t.status, cells)
        })
        .collect();
    let medicines = r
        .medicines
        .iter()
        .map(|m| {
            let x = &m.medicine;
            let cells = vec![
                x.atc.clone(),
                x.name.clone(),
                x.strength.clone(),
                label(lang, "doseform", &serde_name(&x.form)),
                x.quantity.to_string(),
                format!("{} / {}", m.dispensed_count, x.dispensings),
                x.interval_days.to_string(),
                x.valid_until.to_string(),
            ];
            row("medicines", &x.id.to_string(), m.version, &m.status, cells)
        })
        .collect();
    let allergies = r
        .allergies
        .iter()
        .map(|a| {
            let x = &a.record;
            let cells = vec![
                x.substance.clone(),
                label(lang, "severity", &serde_name(&x.severity)),
                x.kind.map_or(String::new(), |k| {
                    label(lang, "allergykind", &serde_name(&k))
                }),
            ];
            row("allergies", &a.id, a.version, &a.status, cells)
        })
        .collect();
    let active_card = r
        .cards
        .iter()
        .find(|c| c.status == "active")
        .map(|c| c.serial.clone());
    let cards = r
        .cards
        .iter()
        .map(|c| Item {
            id: c.serial.clone(),
            version: 0,
            status: c.status.clone(),
            status_label: label(lang, "status", &c.status),
            cells: vec![
                date_of(c.issued_at),
                date_of(c.expires_at),
                c.revoked_reason
                    .as_deref()
                    .map_or(String::new(), |r| label(lang, "revoke", r)),
            ],
            correct_href: None,
        })
        .collect();
    let done = match done {
        Some("register") => Some("register.done"),
        Some("saved") => Some("record.saved"),
        Some("issue") => Some("card.issued_ok"),
        Some("revoke") => Some("card.revoked_ok"),
        Some("followup") => Some("follow_up.saved"),
        Some("merged") => Some("dup.merged_done"),
        _ => None,
    };
    RecordPage {
        c: Chrome::for_user(
            user,
            &format!("/desk/patients/{}", r.patient.id),
            "record.title",
            "/desk/patients",
        ),
        p: Identity {
            id: r.patient.id.clone(),
            version: r.patient.version,
            name_ar: d.name_ar.join(" "),
            name_latin: d.name_latin.join(" "),
            id_type: label(lang, "idtype", &serde_name(&d.id.kind)),
            identifier: d.id.value.clone(),
            sex: label(lang, "sex", &serde_name(&d.sex)),
            birth_date: d.birth_date.to_string(),
            blood_group: d.blood_group.as_ref().map_or(String::new(), serde_name),
            municipality: d.municipality.clone().unwrap_or_default(),
            region: d.region.clone().unwrap_or_default(),
            phone: d.phone.clone().unwrap_or_default(),
        },
        tumours,
        treatments,
        medicines,
        allergies,
        follow_ups: Vec::new(),
        cards,
        active_card,
        done,
        is_registrar: user.caller.role == Role::Registrar,
        is_clinician,
        merged_into: r.patient.merged_into.clone(),
        duplicates_open: 0,
        f: forms,
        options: Options::new(lang),
    }
}
