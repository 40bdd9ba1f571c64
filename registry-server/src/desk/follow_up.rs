//! Recording a contact and the vital status from the record page (registrars, clinicians):
//! `POST /desk/patients/{id}/follow-ups` ([`crate::domain::follow_up`]; a death revokes the
//! patient's cards as `deceased`).

use std::collections::HashMap;

use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};

use super::clinical::UNPROCESSABLE;
use super::record::{show_record, RecordForms};
use super::{parse_date, DeskError, DeskUser, FormState};
use crate::domain::follow_up::{self, FollowUpInput, VitalStatus};
use crate::domain::{Error, Registry};

/// Routes under `/desk`.
pub fn router() -> Router<Registry> {
    Router::new().route("/patients/{id}/follow-ups", post(record))
}

/// The form's fields as the domain's input; a field that does not parse is marked.
fn input_of(user: &DeskUser, f: &mut FormState) -> Option<FollowUpInput> {
    let lang = user.lang;
    let day = |f: &mut FormState, name: &str, required: bool| match f.opt(name) {
        None if required => {
            f.fail(name, lang.t("invalid.required"));
            None
        }
        None => None,
        Some(text) => {
            let parsed = parse_date(&text);
            if parsed.is_none() {
                f.fail(name, lang.t("invalid.date"));
            }
            parsed
        }
    };
    let last_contact = day(f, "last_contact", true);
    let death_date = day(f, "death_date", false);
    let vital_status = match f.v("vital_status") {
        "alive" => Some(VitalStatus::Alive),
        "dead" => Some(VitalStatus::Dead),
        "lost" => Some(VitalStatus::Lost),
        _ => {
            f.fail("vital_status", lang.t("invalid.required"));
            None
        }
    };
    let death_cause = f.opt("death_cause").map(|c| c.to_uppercase());
    if f.has_errors() {
        return None;
    }
    Some(FollowUpInput {
        last_contact: last_contact?,
        vital_status: vital_status?,
        death_date,
        death_cause,
    })
}

/// `POST /desk/patients/{id}/follow-ups`
async fn record(
    State(state): State<Registry>,
    user: DeskUser,
    Path(patient_id): Path<String>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, DeskError> {
    let values = user.posted(form, follow_up::RECORDERS)?;
    let mut forms = RecordForms::new();
    forms.follow_up.values = values;
    let result = match input_of(&user, &mut forms.follow_up) {
        Some(input) => follow_up::record(&state, &user.caller, &patient_id, input)
            .await
            .map(|_| ()),
        None => Err(Error::invalid("form", "")),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!(
            "/desk/patients/{patient_id}?done=followup#follow-up"
        ))
        .into_response()),
        Err(Error::Validation { field, .. }) => {
            let key = match field.as_str() {
                "last_contact" => Some("follow_up.invalid_last_contact"),
                "death_date" => Some("follow_up.invalid_death_date"),
                "death_cause" => Some("follow_up.invalid_death_cause"),
                _ => None,
            };
            if let Some(key) = key {
                forms.follow_up.fail(&field, user.lang.t(key));
            }
            show_record(&state, &user, &patient_id, forms, None, UNPROCESSABLE).await
        }
        Err(e) => Err(user.fail(e)),
    }
}
