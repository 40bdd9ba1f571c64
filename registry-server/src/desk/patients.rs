//! Patient pages: find (registrars, clinicians), register (registrars), the record
//! (registrars, clinicians), issuing and revoking cards, and a card's bytes for the smart-card
//! script (registrars).

use std::collections::HashMap;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use card_format::model::{IdType, Insurance, Sex};

use super::record::{self as desk_record, RecordForms};
use super::{percent_encode, render, Chrome, DeskError, DeskUser, FormState, Lang};
use crate::auth::Role;
use crate::domain::patients::{self, PatientView, SearchQuery, READERS};
use crate::domain::{cards, Error, Registry};
use crate::names;
use crate::patient::PatientInput;

/// Routes under `/desk`.
pub fn router() -> Router<Registry> {
    Router::new()
        .route("/patients", get(search).post(register))
        .route("/patients/new", get(new_form).post(propose))
        .route("/patients/{id}", get(record))
        .route("/patients/{id}/cards", post(issue))
        .route("/cards/{serial}/revoke", post(revoke))
        .route("/cards/{serial}/card", get(card_bytes))
        .route("/cards/{serial}/pdf", get(card_pdf))
}

/// One patient in a result list.
#[derive(Debug)]
struct Found {
    id: String,
    name_ar: String,
    name_latin: String,
    identifier: String,
    birth_date: String,
}

#[derive(Template)]
#[template(path = "desk/search.html")]
struct SearchPage {
    c: Chrome,
    f: FormState,
    id_types: Vec<(String, String)>,
    searched: bool,
    results: Vec<Found>,
    next: Option<String>,
    error: Option<&'static str>,
}

/// The identifier schemes, labelled in `lang`.
fn id_types(lang: Lang) -> Vec<(String, String)> {
    ["national", "passport", "family_book", "registry"]
        .iter()
        .map(|k| (k.to_string(), lang.t(&format!("idtype.{k}")).to_string()))
        .collect()
}

/// `GET /desk/patients?identifier=&id_type=&name=&after=`
async fn search(
    State(state): State<Registry>,
    user: DeskUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, DeskError> {
    user.require(READERS)?;
    let f = FormState::with_values("s", q.clone());
    let identifier = f.opt("identifier");
    let name = f.opt("name");
    let mut page = SearchPage {
        c: Chrome::for_user(&user, "/desk/patients", "search.title", "/desk/patients"),
        id_types: id_types(user.lang),
        searched: false,
        results: Vec::new(),
        next: None,
        error: None,
        f,
    };
    if identifier.is_some() || name.is_some() {
        let query = SearchQuery {
            id_type: page.f.opt("id_type"),
            // An identifier wins when both are typed.
            name: if identifier.is_some() { None } else { name },
            identifier,
            after: page.f.opt("after"),
            limit: Some(20),
        };
        match patients::find(&state, &user.caller, &query).await {
            Ok(found) => {
                page.searched = true;
                page.next = found.next.map(|after| {
                    let mut link = format!("/desk/patients?after={}", percent_encode(&after));
                    for k in ["name", "identifier", "id_type"] {
                        if let Some(v) = page.f.opt(k) {
                            link.push_str(&format!("&{k}={}", percent_encode(&v)));
                        }
                    }
                    link
                });
                page.results = found.patients.iter().map(found_row).collect();
            }
            Err(Error::Validation { .. }) => page.error = Some("search.give_one"),
            Err(e) => return Err(user.fail(e)),
        }
    }
    render(user.lang, StatusCode::OK, &page)
}

fn found_row(p: &PatientView) -> Found {
    Found {
        id: p.id.clone(),
        name_ar: p.data.name_ar.join(" "),
        name_latin: p.data.name_latin.join(" "),
        identifier: p.data.id.value.clone(),
        birth_date: p.data.birth_date.to_string(),
    }
}

#[derive(Template)]
#[template(path = "desk/register.html")]
struct RegisterPage {
    c: Chrome,
    f: FormState,
    id_types: Vec<(String, String)>,
    sexes: Vec<(String, String)>,
    blood_groups: Vec<(String, String)>,
    proposal: Option<String>,
    conflict: Option<&'static str>,
}

fn register_page(user: &DeskUser, f: FormState, conflict: Option<&'static str>) -> RegisterPage {
    let lang = user.lang;
    let arabic: Vec<String> = (1..=4).filter_map(|i| f.opt(&format!("ar{i}"))).collect();
    let latin_empty = (1..=4).all(|i| f.opt(&format!("la{i}")).is_none());
    let proposal = (!arabic.is_empty() && latin_empty).then(|| {
        arabic
            .iter()
            .map(|p| names::propose_latin(p))
            .collect::<Vec<_>>()
            .join(" ")
    });
    let mut sexes = vec![(String::new(), "—".to_string())];
    sexes.extend(
        ["female", "male", "not_known", "not_applicable"]
            .iter()
            .map(|k| (k.to_string(), lang.t(&format!("sex.{k}")).to_string())),
    );
    let mut blood_groups = vec![(String::new(), "—".to_string())];
    blood_groups.extend(
        ["A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-"]
            .iter()
            .map(|g| (g.to_string(), g.to_string())),
    );
    RegisterPage {
        c: Chrome::for_user(
            user,
            "/desk/patients/new",
            "register.title",
            "/desk/patients/new",
        ),
        id_types: id_types(lang),
        sexes,
        blood_groups,
        proposal,
        conflict,
        f,
    }
}

/// `GET /desk/patients/new`
async fn new_form(user: DeskUser) -> Result<Response, DeskError> {
    user.require(&[Role::Registrar])?;
    let mut f = FormState::new("r");
    f.values.insert("id_type".into(), "national".into());
    render(user.lang, StatusCode::OK, &register_page(&user, f, None))
}

/// `POST /desk/patients/new`: fills the Latin name with the proposal and shows the form
/// again (nothing is stored).
async fn propose(
    user: DeskUser,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, DeskError> {
    let values = user.posted(form, &[Role::Registrar])?;
    let mut f = FormState::with_values("r", values);
    for i in 1..=4 {
        if let Some(part) = f.opt(&format!("ar{i}")) {
            f.values
                .insert(format!("la{i}"), names::propose_latin(&part));
        }
    }
    render(user.lang, StatusCode::OK, &register_page(&user, f, None))
}

/// A serde enum from its name (`"female"`).
fn enum_named<T: serde::de::DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
}

/// The form's field for an API validation error's field.
fn form_field(api_field: &str) -> &'static str {
    let head = api_field.split(['.', '[']).next().unwrap_or(api_field);
    match (head, api_field) {
        ("id_value" | "id", _) => "id_value",
        ("birth_date", _) => "birth_date",
        ("name_ar", _) => "name_ar",
        ("name_latin", _) => "name_latin",
        ("phone", _) => "phone",
        ("municipality", _) => "municipality",
        ("region", _) => "region",
        ("sex", _) => "sex",
        ("insurance", f) if f.ends_with("scheme") => "ins_scheme",
        ("insurance", _) => "ins_member",
        _ => "id_value",
    }
}

/// The message for an invalid field, in `lang` (a generic one when the catalogue has none).
pub fn invalid_message(lang: Lang, field: &str) -> &'static str {
    lang.try_t(&format!("invalid.{field}"))
        .or_else(|| lang.try_t("invalid.generic"))
        .unwrap_or("")
}

/// Builds the API's input from the form, or the form with its errors.
fn patient_input(lang: Lang, f: &mut FormState) -> Option<PatientInput> {
    let required = lang.t("invalid.required").to_string();
    let id_type: Option<IdType> = f.opt("id_type").and_then(|v| enum_named(&v));
    if id_type.is_none() {
        f.fail("id_type", &required);
    }
    if f.opt("id_value").is_none() {
        f.fail("id_value", &required);
    }
    let name_ar: Vec<String> = (1..=4).filter_map(|i| f.opt(&format!("ar{i}"))).collect();
    if name_ar.is_empty() {
        f.fail("name_ar", &required);
    }
    let sex: Option<Sex> = f.opt("sex").and_then(|v| enum_named(&v));
    if sex.is_none() {
        f.fail("sex", &required);
    }
    if f.opt("birth_date").is_none() {
        f.fail("birth_date", &required);
    }
    let blood_group = match f.opt("blood_group") {
        None => None,
        Some(v) => match enum_named(&v) {
            Some(g) => Some(g),
            None => {
                f.fail("blood_group", lang.t("invalid.generic"));
                None
            }
        },
    };
    let latin: Vec<String> = (1..=4).filter_map(|i| f.opt(&format!("la{i}"))).collect();
    let insurance = match (f.opt("ins_scheme"), f.opt("ins_member")) {
        (Some(scheme), Some(member_id)) => Some(Insurance { scheme, member_id }),
        (None, None) => None,
        (None, Some(_)) => {
            f.fail("ins_scheme", &required);
            None
        }
        (Some(_), None) => {
            f.fail("ins_member", &required);
            None
        }
    };
    if f.has_errors() {
        return None;
    }
    Some(PatientInput {
        id_type: id_type?,
        id_value: f.v("id_value").to_string(),
        name_ar,
        name_latin: (!latin.is_empty()).then_some(latin),
        sex: sex?,
        birth_date: f.v("birth_date").to_string(),
        blood_group,
        municipality: f.opt("municipality"),
        region: f.opt("region"),
        phone: f.opt("phone"),
        insurance,
    })
}

/// `POST /desk/patients`: registers, then shows the record; a validation error shows the form
/// again with everything typed and the message beside the field.
async fn register(
    State(state): State<Registry>,
    user: DeskUser,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, DeskError> {
    let values = user.posted(form, &[Role::Registrar])?;
    let mut f = FormState::with_values("r", values);
    let Some(input) = patient_input(user.lang, &mut f) else {
        let page = register_page(&user, f, None);
        return render(user.lang, StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    match patients::register(&state, &user.caller, input).await {
        Ok(registered) => {
            let warned = if registered.warnings.is_empty() {
                ""
            } else {
                "&warned=1"
            };
            Ok(Redirect::to(&format!(
                "/desk/patients/{}?done=register{warned}",
                registered.patient.id
            ))
            .into_response())
        }
        Err(Error::Validation { field, .. }) => {
            let name = form_field(&field);
            f.fail(name, invalid_message(user.lang, name));
            let page = register_page(&user, f, None);
            render(user.lang, StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(Error::Conflict { code, .. }) => {
            let page = register_page(&user, f, Some(super::conflict_key(code)));
            render(user.lang, StatusCode::CONFLICT, &page)
        }
        Err(e) => Err(user.fail(e)),
    }
}

/// `GET /desk/patients/{id}`: the whole record (an audited `patient.read`, as the API's).
async fn record(
    State(state): State<Registry>,
    user: DeskUser,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, DeskError> {
    user.require(READERS)?;
    let done = q.get("done").map(String::as_str);
    desk_record::show_record(&state, &user, &id, RecordForms::new(), done, StatusCode::OK).await
}

/// `POST /desk/patients/{id}/cards`: issues a card (registrars).
async fn issue(
    State(state): State<Registry>,
    user: DeskUser,
    Path(id): Path<String>,
    form: Result<Form<super::login::CsrfForm>, FormRejection>,
) -> Result<Response, DeskError> {
    let Form(form) = form.map_err(|e| user.bad_form(e))?;
    user.check_csrf(&form.csrf)?;
    user.require(&[Role::Registrar])?;
    cards::issue(&state, &user.caller, &id)
        .await
        .map_err(|e| user.fail(e))?;
    Ok(Redirect::to(&format!("/desk/patients/{id}?done=issue")).into_response())
}

/// The revocation form.
#[derive(Debug, serde::Deserialize)]
struct RevokeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    patient: String,
}

/// `POST /desk/cards/{serial}/revoke`: revokes a card with a reason (registrars).
async fn revoke(
    State(state): State<Registry>,
    user: DeskUser,
    Path(serial): Path<String>,
    form: Result<Form<RevokeForm>, FormRejection>,
) -> Result<Response, DeskError> {
    let Form(form) = form.map_err(|e| user.bad_form(e))?;
    user.check_csrf(&form.csrf)?;
    user.require(&[Role::Registrar])?;
    cards::revoke_card(&state, &user.caller, &serial, &form.reason)
        .await
        .map_err(|e| user.fail(e))?;
    // Back to the record the form came from (ids are [a-z0-9]; anything else goes home).
    let back =
        if !form.patient.is_empty() && form.patient.chars().all(|c| c.is_ascii_alphanumeric()) {
            format!("/desk/patients/{}?done=revoke", form.patient)
        } else {
            "/desk/".to_string()
        };
    Ok(Redirect::to(&back).into_response())
}

/// `GET /desk/cards/{serial}/card`: `{"card": base64}`, the signed card with the issuer
/// certificate, for the smart-card script to hand to the card-agent (registrars; an audited
/// `card.read`, as the API's `/cards/{serial}/cose`).
async fn card_bytes(
    State(state): State<Registry>,
    user: DeskUser,
    Path(serial): Path<String>,
) -> Result<Response, DeskError> {
    user.require(&[Role::Registrar])?;
    let bytes = cards::signed_card(&state, &user.caller, &serial, true)
        .await
        .map_err(|e| user.fail(e))?;
    let body = serde_json::json!({ "card": data_encoding::BASE64.encode(&bytes) });
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response())
}

/// `GET /desk/cards/{serial}/pdf`: the card printed as an ID-1 PDF, front and back, by the
/// renderer `card-agent print` uses (registrars; an audited `card.read`). The card is
/// verified first, as an offline verifier would; a revoked or superseded card is not printed.
async fn card_pdf(
    State(state): State<Registry>,
    user: DeskUser,
    Path(serial): Path<String>,
) -> Result<Response, DeskError> {
    user.require(&[Role::Registrar])?;
    // Without the certificate in the QR code: a smaller, easier code to scan, as
    // `card-agent print` prints by default; verifiers have the certificate in the bundle.
    let bytes = cards::signed_card(&state, &user.caller, &serial, false)
        .await
        .map_err(|e| user.fail(e))?;
    // A superseded card is refused too: only the patient's current card is printed.
    let policy = card_format::Policy {
        reject_superseded: true,
        ..card_format::Policy::default()
    };
    let verified = match super::pharmacy::verify_cose(&state, &bytes, &policy).await {
        Ok(v) => v,
        Err(super::pharmacy::VerifyFailed::Card(_)) => {
            return Err(DeskError::Page {
                status: StatusCode::CONFLICT,
                message: "card.not_printable",
                lang: user.lang,
            })
        }
        Err(super::pharmacy::VerifyFailed::Registry(e)) => return Err(user.fail(e)),
    };
    let card = card_print::PrintCard::from_payload(
        verified.value(),
        &verified.signer().region,
        card_format::qr::encode(&bytes),
    );
    let name = format!("card-{}.pdf", card.serial);
    let pdf = tokio::task::spawn_blocking(move || {
        card_print::render(&[card], card_print::Layout::Card, &mut |_| {})
    })
    .await
    .map_err(|e| user.fail(Error::Internal(format!("print task failed: {e}"))))?
    .map_err(|e| user.fail(Error::Internal(format!("printing failed: {e}"))))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        pdf,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_fields_map_to_form_fields() {
        assert_eq!(form_field("id_value"), "id_value");
        assert_eq!(form_field("name_ar[1]"), "name_ar");
        assert_eq!(form_field("name_latin.0"), "name_latin");
        assert_eq!(form_field("insurance.scheme"), "ins_scheme");
        assert_eq!(form_field("birth_date"), "birth_date");
    }

    #[test]
    fn a_form_missing_required_fields_names_each() {
        let mut f = FormState::new("r");
        assert!(patient_input(Lang::En, &mut f).is_none());
        for field in ["id_type", "id_value", "name_ar", "sex", "birth_date"] {
            assert_eq!(f.err(field), Some("This field is required."), "{field}");
        }
    }

    #[test]
    fn invalid_messages_exist_in_both_languages() {
        assert_eq!(
            invalid_message(Lang::En, "birth_date"),
            Lang::En.t("invalid.birth_date")
        );
        assert!(!invalid_message(Lang::Ar, "no_such_field").is_empty());
    }
}
