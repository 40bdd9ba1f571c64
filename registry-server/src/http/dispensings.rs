//! Dispensings (pharmacists), and the review list of offline dispensings recorded in
//! conflict with a rule.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Allowed, ConflictReviewers, Dispensers, DispensingReaders, Givers};
use super::{ApiError, AppJson, AppQuery, Registry};
use crate::db::dispensings::ConflictRow;
use crate::domain::administration::{self, Administered, AdministrationInput};
use crate::domain::dispensing::{self, DispenseRequest, Dispensed, Dispensing};

/// Routes under `/api/v1`.
pub fn router() -> OpenApiRouter<Registry> {
    OpenApiRouter::new()
        .routes(routes!(record))
        .routes(routes!(conflicts))
        .routes(routes!(list))
        .routes(routes!(administer))
}

/// `POST /api/v1/administrations` (clinician): 201 when recorded, 200 for a retry.
#[utoipa::path(
    post,
    path = "/api/v1/administrations",
    summary = "Record an infusion or injection given at a day-care unit",
    description = "Counted against the authorisation as a dispensing is (one cycle, one \
        dispensing), judged by the same rules except the card's (no card is presented at the \
        chair), and drawn on the unit's stock when its facility keeps stock in the registry. \
        Audited as `administration.record`.",
    tag = "dispensings",
    security(("bearer" = [])),
    request_body = AdministrationInput,
    responses(
        (status = 201, description = "Recorded", body = Administered),
        (status = 200, description = "A retry of a recorded request: the first result (`replayed`)", body = Administered),
        (status = 409, description = "Refused: `medicine_not_authorised`, `authorisation_expired`, `over_quantity`, `over_count`, `too_soon`, `out_of_stock` (recorded as a stock-out event), `idempotency_key_reused`", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid `idempotency_key`, `cycle` or `quantity` (`validation`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn administer(
    Allowed(caller, _): Allowed<Givers>,
    State(state): State<Registry>,
    AppJson(input): AppJson<AdministrationInput>,
) -> Result<(StatusCode, AppJson<Administered>), ApiError> {
    let done = administration::administer(&state, &caller, &input).await?;
    let status = if done.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, AppJson(done)))
}

/// `POST /api/v1/dispensings`: 201 when recorded, 200 for a retry of a recorded request.
#[utoipa::path(
    post,
    path = "/api/v1/dispensings",
    summary = "Record a dispensing",
    tag = "dispensings",
    security(("bearer" = [])),
    description = "With `offline_at` (a dispensing the pharmacy made while offline, sent \
        now), the rules are judged at that time, and a breach of `before_card` (dated before \
        the card was issued), `card_revoked`, `card_superseded`, `card_expired`, \
        `before_authorisation` (dated before the authorisation was recorded), \
        `authorisation_expired`, `over_quantity`, `over_count` or `too_soon` is recorded (201) with that `conflict` and flagged for \
        review instead of refused: the medicine has already left the pharmacy. \
        `card_unknown`, `medicine_not_authorised` and `idempotency_key_reused` still refuse. \
        A pharmacy that keeps its stock in the registry (from its first receipt or count) \
        has each dispensing drawn from its unexpired batches, first expiry first; an offline \
        one is never refused for stock: what was short is recorded as a stock-out event.",
    request_body = DispenseRequest,
    responses(
        (status = 201, description = "Recorded (an offline dispensing possibly with a `conflict`, flagged for review)", body = Dispensed),
        (status = 200, description = "A retry of a recorded request: the first result, with its `conflict` (`replayed` is true)", body = Dispensed),
        (status = 409, description = "Refused, with a specific code: `card_unknown`, `card_revoked`, `card_superseded`, `card_expired`, `medicine_not_authorised`, `authorisation_expired`, `over_quantity`, `over_count`, `too_soon`, `idempotency_key_reused`, `out_of_stock` (the pharmacy keeps its stock in the registry and holds too little in date: recorded as a stock-out event) (with `offline_at`, only `card_unknown`, `medicine_not_authorised` and `idempotency_key_reused`)", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid `idempotency_key`, `card_serial`, `quantity`, or `offline_at` (more than 5 minutes ahead of the registry's clock, or more than 90 days ago) (`validation`, `field` names it)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn record(
    Allowed(caller, _): Allowed<Dispensers>,
    State(state): State<Registry>,
    AppJson(request): AppJson<DispenseRequest>,
) -> Result<(StatusCode, AppJson<Dispensed>), ApiError> {
    let result = dispensing::dispense(&state, &caller, &request).await?;
    let status = if result.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, AppJson(result)))
}

/// `GET /api/v1/authorisations/{id}/dispensings` (pharmacist, clinician).
#[utoipa::path(
    get,
    path = "/api/v1/authorisations/{id}/dispensings",
    summary = "List an authorisation's dispensings",
    tag = "dispensings",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Authorisation id (as printed on the card)")),
    responses(
        (status = 200, description = "Dispensings against the authorisation, in the order they were handed out, each with `offline`, `received_at` and `conflict`", body = Vec<Dispensing>),
        (status = 404, description = "No such authorisation (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn list(
    Allowed(caller, _): Allowed<DispensingReaders>,
    State(state): State<Registry>,
    Path(id): Path<String>,
) -> Result<AppJson<Vec<Dispensing>>, ApiError> {
    // The id is parsed by the domain, not the extractor, so a non-numeric id is a
    // problem+json 404 too (after the role check).
    Ok(AppJson(
        dispensing::dispensings_of(&state, &caller, &id).await?,
    ))
}

/// Paging of the review list.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConflictsQuery {
    /// Cursor: the `id` of the last dispensing of the previous page; the page starts after it.
    pub before: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<i64>,
}

/// `GET /api/v1/dispensings/conflicts?before=&limit=` (clinician, auditor).
#[utoipa::path(
    get,
    path = "/api/v1/dispensings/conflicts",
    summary = "List dispensings flagged for review",
    description = "Offline dispensings recorded although they broke a rule, newest recorded \
        first (`received_at`, then `id`, descending). A page shorter than `limit` is the last; \
        otherwise pass the last `id` as `before` for the next. Each authorisation shown is an \
        audited read (`dispensing.conflicts.read`).",
    tag = "dispensings",
    security(("bearer" = [])),
    params(ConflictsQuery),
    responses(
        (status = 200, description = "One page of flagged dispensings", body = Vec<ConflictRow>),
        (status = 422, description = "`limit` out of 1 to 1000, or `before` not a flagged dispensing (`validation`, `field` names it)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn conflicts(
    Allowed(caller, _): Allowed<ConflictReviewers>,
    State(state): State<Registry>,
    AppQuery(q): AppQuery<ConflictsQuery>,
) -> Result<AppJson<Vec<ConflictRow>>, ApiError> {
    let limit = q.limit.unwrap_or(100);
    let rows = dispensing::conflicts(&state, &caller, q.before.as_deref(), limit).await?;
    Ok(AppJson(rows))
}
