//! One patient, one record ([`crate::domain::linkage`]): the duplicate search, the review
//! queue, merges and unmerges.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Allowed, LinkageQueueReaders, Linkers, Unmergers};
use super::error::Problem;
use super::{ApiError, AppJson, Registry};
use crate::domain::linkage::merge::{self, MergeView, Merged};
use crate::domain::linkage::{self, CandidateView, PairView};
use crate::patient::PatientInput;

/// Routes under `/api/v1`.
pub fn router() -> OpenApiRouter<Registry> {
    OpenApiRouter::new()
        .routes(routes!(search_duplicates))
        .routes(routes!(duplicates_of_patient))
        .routes(routes!(duplicate_queue))
        .routes(routes!(mark_distinct))
        .routes(routes!(merge_patients))
        .routes(routes!(list_merges))
        .routes(routes!(unmerge_patients))
}

/// `POST /api/v1/duplicates/search`: candidates for a registration not yet made.
#[utoipa::path(
    post,
    path = "/api/v1/duplicates/search",
    summary = "Find registered patients who may be this person",
    description = "The body is a registration, validated as one (digits in any script). The \
        candidates come from the patients born within a day, a month or a year of it (or with \
        month and day swapped) and those whose identifier is one typo away, scored on \
        identifier, Arabic and Latin name keys, birth date and sex; at most 10, best first, \
        each with its reasons. Every patient shown is audited as read. Registrars.",
    tag = "patients",
    security(("bearer" = [])),
    request_body = PatientInput,
    responses(
        (status = 200, description = "Candidates, best first", body = Vec<CandidateView>),
    )
)]
async fn search_duplicates(
    Allowed(caller, _): Allowed<Linkers>,
    State(state): State<Registry>,
    AppJson(input): AppJson<PatientInput>,
) -> Result<AppJson<Vec<CandidateView>>, ApiError> {
    Ok(AppJson(linkage::search(&state, &caller, input).await?))
}

/// `GET /api/v1/patients/{id}/duplicates`: candidates for a registered patient.
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}/duplicates",
    summary = "Find the duplicates of a registered patient",
    description = "As the search before a registration; each candidate pair is also queued \
        for review unless a registrar decided it before. Registrars.",
    tag = "patients",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    responses(
        (status = 200, description = "Candidates, best first", body = Vec<CandidateView>),
        (status = 404, description = "No such patient (`not_found`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn duplicates_of_patient(
    Allowed(caller, _): Allowed<Linkers>,
    State(state): State<Registry>,
    Path(id): Path<String>,
) -> Result<AppJson<Vec<CandidateView>>, ApiError> {
    Ok(AppJson(linkage::of_patient(&state, &caller, &id).await?))
}

/// The queue's filter.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct QueueQuery {
    /// `open` (the default), `distinct` or `merged`.
    status: Option<String>,
    /// Page, from 0 (50 pairs a page).
    page: Option<u32>,
}

/// `GET /api/v1/duplicates`: the review queue.
#[utoipa::path(
    get,
    path = "/api/v1/duplicates",
    summary = "The review queue of candidate duplicate pairs",
    description = "Pairs found at registrations and searches, highest score first, 50 a \
        page; both patients of each pair are audited as read. Registrars and auditors.",
    tag = "patients",
    security(("bearer" = [])),
    params(QueueQuery),
    responses(
        (status = 200, description = "Pairs", body = Vec<PairView>),
    )
)]
async fn duplicate_queue(
    Allowed(caller, _): Allowed<LinkageQueueReaders>,
    State(state): State<Registry>,
    Query(q): Query<QueueQuery>,
) -> Result<AppJson<Vec<PairView>>, ApiError> {
    let status = q.status.as_deref().unwrap_or("open");
    Ok(AppJson(
        linkage::queue(&state, &caller, status, q.page.unwrap_or(0)).await?,
    ))
}

/// Two patients.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PairBody {
    /// One patient's id.
    pub a: String,
    /// The other's.
    pub b: String,
}

/// `POST /api/v1/duplicates/distinct`: two people, not one.
#[utoipa::path(
    post,
    path = "/api/v1/duplicates/distinct",
    summary = "Mark two patients as different people",
    description = "The pair leaves the queue and is not proposed again (audited \
        `patient.distinct`). Registrars.",
    tag = "patients",
    security(("bearer" = [])),
    request_body = PairBody,
    responses(
        (status = 204, description = "Recorded"),
        (status = 404, description = "No such patient (`not_found`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn mark_distinct(
    Allowed(caller, _): Allowed<Linkers>,
    State(state): State<Registry>,
    AppJson(body): AppJson<PairBody>,
) -> Result<StatusCode, ApiError> {
    linkage::distinct(&state, &caller, &body.a, &body.b).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What to merge into a record.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    /// The record merged into this one (it stays, marked `merged_into`).
    pub merged_id: String,
    /// Why (1 to 200 characters).
    pub reason: String,
}

/// `POST /api/v1/patients/{id}/merge`: merge another record into this one.
#[utoipa::path(
    post,
    path = "/api/v1/patients/{id}/merge",
    summary = "Merge a duplicate record into this one",
    description = "In one transaction: the merged record's active card is superseded (the \
        next trust bundle says so), its tumours, treatments, allergies, medicine \
        authorisations, follow-ups and cards move to this record, and the merge is audited \
        (`patient.merge`). An auditor can undo it. Registrars.",
    tag = "patients",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The surviving patient's id")),
    request_body = MergeBody,
    responses(
        (status = 201, description = "Merged", body = Merged),
        (status = 404, description = "No such patient (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A record merged already (`patient_merged`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn merge_patients(
    Allowed(caller, _): Allowed<Linkers>,
    State(state): State<Registry>,
    Path(id): Path<String>,
    AppJson(body): AppJson<MergeBody>,
) -> Result<(StatusCode, AppJson<Merged>), ApiError> {
    let merged = merge::merge(&state, &caller, &id, &body.merged_id, &body.reason).await?;
    Ok((StatusCode::CREATED, AppJson(merged)))
}

/// The merges' filter.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct MergesQuery {
    /// Only the merges this patient took part in.
    patient: Option<String>,
}

/// `GET /api/v1/merges`: the merges.
#[utoipa::path(
    get,
    path = "/api/v1/merges",
    summary = "The merges, newest first",
    description = "The latest 200, or those of one patient. Registrars and auditors.",
    tag = "patients",
    security(("bearer" = [])),
    params(MergesQuery),
    responses(
        (status = 200, description = "Merges", body = Vec<MergeView>),
    )
)]
async fn list_merges(
    Allowed(caller, _): Allowed<LinkageQueueReaders>,
    State(state): State<Registry>,
    Query(q): Query<MergesQuery>,
) -> Result<AppJson<Vec<MergeView>>, ApiError> {
    Ok(AppJson(
        merge::merges(&state, &caller, q.patient.as_deref()).await?,
    ))
}

/// Why a merge is undone.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnmergeBody {
    /// Why (1 to 200 characters).
    pub reason: String,
}

/// `POST /api/v1/merges/{id}/unmerge`: undo a merge.
#[utoipa::path(
    post,
    path = "/api/v1/merges/{id}/unmerge",
    summary = "Undo a merge",
    description = "Moves exactly the rows the merge moved back to the merged record and \
        makes it live again (audited `patient.unmerge`); cards the merge superseded stay \
        superseded. Auditors.",
    tag = "patients",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Merge id")),
    request_body = UnmergeBody,
    responses(
        (status = 200, description = "Undone", body = MergeView),
        (status = 404, description = "No such merge (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Undone already (`already_unmerged`), or its rows moved on (`merged_again`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn unmerge_patients(
    Allowed(caller, _): Allowed<Unmergers>,
    State(state): State<Registry>,
    Path(id): Path<String>,
    AppJson(body): AppJson<UnmergeBody>,
) -> Result<AppJson<MergeView>, ApiError> {
    Ok(AppJson(
        merge::unmerge(&state, &caller, &id, &body.reason).await?,
    ))
}
