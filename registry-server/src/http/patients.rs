//! Patients: register, find, read, correct ([`crate::domain::patients`]).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Allowed, HistoryReaders, PatientReaders, Registrars};
use super::{ApiError, AppJson, AppQuery, Registry};
use crate::db::patients::HistoryRow;
use crate::domain::patients::{self, Correction, Page, PatientView, Registered, SearchQuery};
use crate::patient::PatientInput;

/// Routes under `/api/v1`.
pub fn router() -> OpenApiRouter<Registry> {
    OpenApiRouter::new()
        .routes(routes!(search, register))
        .routes(routes!(read, correct))
        .routes(routes!(history))
}

/// `POST /api/v1/patients`
#[utoipa::path(
    post,
    path = "/api/v1/patients",
    summary = "Register a patient",
    tag = "patients",
    security(("bearer" = [])),
    request_body = PatientInput,
    responses(
        (status = 201, description = "Registered, with cross-check warnings", body = Registered),
        (status = 409, description = "A patient with this identifier is registered (`duplicate_identifier`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn register(
    Allowed(caller, _): Allowed<Registrars>,
    State(state): State<Registry>,
    AppJson(input): AppJson<PatientInput>,
) -> Result<(StatusCode, AppJson<Registered>), ApiError> {
    let registered = patients::register(&state, &caller, input).await?;
    Ok((StatusCode::CREATED, AppJson(registered)))
}

/// `GET /api/v1/patients?id_type=national&identifier=...` or `?name=...`
#[utoipa::path(
    get,
    path = "/api/v1/patients",
    summary = "Find patients by identifier or name",
    tag = "patients",
    security(("bearer" = [])),
    params(SearchQuery),
    responses(
        (status = 200, description = "One page of matching patients (each read is audited)", body = Page),
    )
)]
async fn search(
    Allowed(caller, _): Allowed<PatientReaders>,
    State(state): State<Registry>,
    AppQuery(q): AppQuery<SearchQuery>,
) -> Result<AppJson<Page>, ApiError> {
    Ok(AppJson(patients::find(&state, &caller, &q).await?))
}

/// `GET /api/v1/patients/{id}`
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}",
    summary = "Read a patient",
    tag = "patients",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    responses(
        (status = 200, description = "The patient (the read is audited)", body = PatientView),
        (status = 404, description = "No such patient (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn read(
    Allowed(caller, _): Allowed<PatientReaders>,
    State(state): State<Registry>,
    Path(id): Path<String>,
) -> Result<AppJson<PatientView>, ApiError> {
    Ok(AppJson(patients::read(&state, &caller, &id).await?))
}

/// `PUT /api/v1/patients/{id}`
#[utoipa::path(
    put,
    path = "/api/v1/patients/{id}",
    summary = "Correct a patient's identity",
    tag = "patients",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    request_body = Correction<PatientInput>,
    responses(
        (status = 200, description = "Corrected; the previous version is kept", body = Registered),
        (status = 404, description = "No such patient (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Stale version (`stale_version`) or identifier taken (`duplicate_identifier`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn correct(
    Allowed(caller, _): Allowed<Registrars>,
    State(state): State<Registry>,
    Path(id): Path<String>,
    AppJson(body): AppJson<Correction<PatientInput>>,
) -> Result<AppJson<Registered>, ApiError> {
    Ok(AppJson(
        patients::correct(&state, &caller, &id, body).await?,
    ))
}

/// `GET /api/v1/patients/{id}/history`: earlier versions of the patient's identity.
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}/history",
    summary = "Earlier versions of a patient's identity",
    tag = "patients",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    responses(
        (status = 200, description = "Earlier versions, oldest first", body = Vec<HistoryRow>),
        (status = 404, description = "No such patient (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn history(
    Allowed(caller, _): Allowed<HistoryReaders>,
    State(state): State<Registry>,
    Path(id): Path<String>,
) -> Result<AppJson<Vec<HistoryRow>>, ApiError> {
    Ok(AppJson(patients::history(&state, &caller, &id).await?))
}
