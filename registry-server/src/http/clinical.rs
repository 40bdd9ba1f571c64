//! A patient's clinical record over the API ([`crate::domain::clinical`]): one route per
//! kind to add and to correct (each with its own body schema), and the shared withdraw and
//! history routes.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use card_format::model::{Allergy, Treatment, Tumour};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Allowed, ClinicalWriters, HistoryReaders, PatientReaders};
use super::{ApiError, AppJson, AppQuery, Registry};
use crate::db::patients::HistoryRow;
use crate::domain::clinical::{self, Draft, MedicineInput, Record, Withdrawal, Written};
use crate::domain::patients::Correction;

/// Routes under `/api/v1`.
pub fn router() -> OpenApiRouter<Registry> {
    OpenApiRouter::new()
        .routes(routes!(record))
        .routes(routes!(add_tumour))
        .routes(routes!(add_treatment))
        .routes(routes!(add_allergy))
        .routes(routes!(add_medicine))
        .routes(routes!(correct_tumour))
        .routes(routes!(correct_treatment))
        .routes(routes!(correct_allergy))
        .routes(routes!(correct_medicine))
        .routes(routes!(withdraw))
        .routes(routes!(history))
}

/// `GET /api/v1/patients/{id}/record`
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}/record",
    summary = "Read a patient's whole record",
    tag = "clinical",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    responses(
        (status = 200, description = "The whole record with its cards (the read is audited)", body = Record),
        (status = 404, description = "No such patient (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn record(
    Allowed(caller, _): Allowed<PatientReaders>,
    State(state): State<Registry>,
    Path(id): Path<String>,
) -> Result<AppJson<Record>, ApiError> {
    Ok(AppJson(clinical::record(&state, &caller, &id).await?))
}

/// One handler to add a record of a kind and one to correct it: the body's type and the
/// path's documentation differ, the rest is [`clinical::create`] and [`clinical::correct`].
/// `?confirm=age_morphology,topography_morphology`: the record checks a person confirms.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Confirm {
    /// Comma-separated codes of the record checks whose query or rare finding the caller
    /// confirms (a tumour is kept only when every such finding is confirmed; the confirmation
    /// is stored with the caller and the time, and audited).
    pub confirm: Option<String>,
}

impl Confirm {
    /// The codes, trimmed, empty ones left out.
    pub fn codes(&self) -> Vec<String> {
        self.confirm
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect()
    }
}

macro_rules! kind_routes {
    ($add:ident, $correct:ident, $body:ty, $variant:ident,
     $add_path:literal, $add_summary:literal, $correct_path:literal, $correct_summary:literal) => {
        #[doc = concat!("`POST ", $add_path, "`")]
        #[utoipa::path(
            post,
            path = $add_path,
            summary = $add_summary,
            tag = "clinical",
            security(("bearer" = [])),
            params(("id" = String, Path, description = "Patient id"), Confirm),
            request_body = $body,
            responses(
                (status = 201, description = "Recorded at version 1", body = Written),
                (status = 404, description = "No such patient (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
                (status = 422, description = "A tumour fails the record checks (`record_invalid`), or needs a person to confirm some (`needs_confirmation`); the problem's `checks` lists them", body = super::error::Problem, content_type = "application/problem+json"),
            )
        )]
        async fn $add(
            Allowed(caller, _): Allowed<ClinicalWriters>,
            State(state): State<Registry>,
            Path(patient_id): Path<String>,
            AppQuery(confirm): AppQuery<Confirm>,
            AppJson(body): AppJson<$body>,
        ) -> Result<(StatusCode, AppJson<Written>), ApiError> {
            let draft = Draft::$variant(body);
            let written =
                clinical::create(&state, &caller, &patient_id, draft, &confirm.codes()).await?;
            Ok((StatusCode::CREATED, AppJson(written)))
        }

        #[doc = concat!("`PUT ", $correct_path, "`")]
        #[utoipa::path(
            put,
            path = $correct_path,
            summary = $correct_summary,
            tag = "clinical",
            security(("bearer" = [])),
            params(("id" = String, Path, description = "Record id"), Confirm),
            request_body = Correction<$body>,
            responses(
                (status = 200, description = "Corrected; the previous version is kept in the history", body = Written),
                (status = 404, description = "No such record (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
                (status = 409, description = "The record changed since it was read, or is withdrawn (`stale_version`)", body = super::error::Problem, content_type = "application/problem+json"),
                (status = 422, description = "A tumour fails the record checks (`record_invalid`), or needs a person to confirm some (`needs_confirmation`); the problem's `checks` lists them", body = super::error::Problem, content_type = "application/problem+json"),
            )
        )]
        async fn $correct(
            Allowed(caller, _): Allowed<ClinicalWriters>,
            State(state): State<Registry>,
            Path(id): Path<String>,
            AppQuery(confirm): AppQuery<Confirm>,
            AppJson(body): AppJson<Correction<$body>>,
        ) -> Result<AppJson<Written>, ApiError> {
            let body = Correction {
                version: body.version,
                reason: body.reason,
                data: Draft::$variant(body.data),
            };
            let written = clinical::correct(&state, &caller, &id, body, &confirm.codes()).await?;
            Ok(AppJson(written))
        }
    };
}

kind_routes!(
    add_tumour,
    correct_tumour,
    Tumour,
    Tumour,
    "/api/v1/patients/{id}/tumours",
    "Record a tumour",
    "/api/v1/tumours/{id}",
    "Correct a tumour"
);
kind_routes!(
    add_treatment,
    correct_treatment,
    Treatment,
    Treatment,
    "/api/v1/patients/{id}/treatments",
    "Record a treatment",
    "/api/v1/treatments/{id}",
    "Correct a treatment"
);
kind_routes!(
    add_allergy,
    correct_allergy,
    Allergy,
    Allergy,
    "/api/v1/patients/{id}/allergies",
    "Record an allergy",
    "/api/v1/allergies/{id}",
    "Correct an allergy"
);
kind_routes!(
    add_medicine,
    correct_medicine,
    MedicineInput,
    Medicine,
    "/api/v1/patients/{id}/medicines",
    "Authorise a medicine",
    "/api/v1/medicines/{id}",
    "Correct a medicine authorisation"
);

/// The record kinds of the `/{kind}/{id}/withdraw` and `/{kind}/{id}/history` paths.
#[derive(Debug, Clone, Copy, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum RecordKind {
    /// Tumours.
    Tumours,
    /// Treatments.
    Treatments,
    /// Allergies.
    Allergies,
    /// Medicine authorisations.
    Medicines,
}

/// `POST /api/v1/{tumours|treatments|allergies|medicines}/{id}/withdraw`
#[utoipa::path(
    post,
    path = "/api/v1/{kind}/{id}/withdraw",
    summary = "Withdraw a clinical record",
    tag = "clinical",
    security(("bearer" = [])),
    params(
        ("kind" = RecordKind, Path, description = "The kind of record"),
        ("id" = String, Path, description = "Record id"),
    ),
    request_body = Withdrawal,
    responses(
        (status = 200, description = "Withdrawn (kept, marked withdrawn)", body = Written),
        (status = 404, description = "No such record or kind (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The record changed since it was read, or is withdrawn (`stale_version`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn withdraw(
    Allowed(caller, _): Allowed<ClinicalWriters>,
    State(state): State<Registry>,
    Path((kind, id)): Path<(String, String)>,
    AppJson(body): AppJson<Withdrawal>,
) -> Result<AppJson<Written>, ApiError> {
    let kind = clinical::kind_from_path(&kind)?;
    Ok(AppJson(
        clinical::withdraw(&state, &caller, kind, &id, &body).await?,
    ))
}

/// `GET /api/v1/{tumours|treatments|allergies|medicines}/{id}/history`
#[utoipa::path(
    get,
    path = "/api/v1/{kind}/{id}/history",
    summary = "Earlier versions of a clinical record",
    tag = "clinical",
    security(("bearer" = [])),
    params(
        ("kind" = RecordKind, Path, description = "The kind of record"),
        ("id" = String, Path, description = "Record id"),
    ),
    responses(
        (status = 200, description = "Earlier versions, oldest first", body = Vec<HistoryRow>),
        (status = 404, description = "No such record or kind (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn history(
    Allowed(caller, _): Allowed<HistoryReaders>,
    State(state): State<Registry>,
    Path((kind, id)): Path<(String, String)>,
) -> Result<AppJson<Vec<HistoryRow>>, ApiError> {
    let kind = clinical::kind_from_path(&kind)?;
    Ok(AppJson(
        clinical::history(&state, &caller, kind, &id).await?,
    ))
}
