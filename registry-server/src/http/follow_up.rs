//! Follow-up and vital status of a patient ([`crate::domain::follow_up`]).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Allowed, FollowUpRecorders, PatientReaders};
use super::{ApiError, AppJson, Registry};
use crate::domain::follow_up::{self, FollowUp, FollowUpInput, Recorded};

/// Routes under `/api/v1`.
pub fn router() -> OpenApiRouter<Registry> {
    OpenApiRouter::new().routes(routes!(list, record))
}

/// `POST /api/v1/patients/{id}/follow-ups`: a contact; a death revokes the patient's cards.
#[utoipa::path(
    post,
    path = "/api/v1/patients/{id}/follow-ups",
    summary = "Record a contact and the vital status",
    description = "A death (`vital_status: dead`, with `death_date` and an ICD-10 \
        `death_cause`) revokes every card of the patient's as `deceased` in the same \
        transaction: the next trust bundle lists them, so offline verifiers refuse them after \
        a `trust sync`, dispensing against them is refused, and no new card is issued.",
    tag = "patients",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    request_body = FollowUpInput,
    responses(
        (status = 201, description = "Recorded; the cards a death revoked", body = Recorded),
        (status = 404, description = "No such patient (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn record(
    Allowed(caller, _): Allowed<FollowUpRecorders>,
    State(state): State<Registry>,
    Path(patient_id): Path<String>,
    AppJson(input): AppJson<FollowUpInput>,
) -> Result<(StatusCode, AppJson<Recorded>), ApiError> {
    let recorded = follow_up::record(&state, &caller, &patient_id, input).await?;
    Ok((StatusCode::CREATED, AppJson(recorded)))
}

/// `GET /api/v1/patients/{id}/follow-ups`: every contact, oldest first (audited).
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}/follow-ups",
    summary = "Read a patient's follow-up",
    tag = "patients",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    responses(
        (status = 200, description = "Every contact, oldest first; the last is the current vital status (the read is audited)", body = Vec<FollowUp>),
        (status = 404, description = "No such patient (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn list(
    Allowed(caller, _): Allowed<PatientReaders>,
    State(state): State<Registry>,
    Path(patient_id): Path<String>,
) -> Result<AppJson<Vec<FollowUp>>, ApiError> {
    Ok(AppJson(
        follow_up::list(&state, &caller, &patient_id).await?,
    ))
}
