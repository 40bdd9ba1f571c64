//! Dispensings (pharmacists).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;

use super::admin::actor;
use super::{ApiError, AppJson, AppState};
use crate::auth::{Caller, Role};
use crate::db::{self, dispensings::DispensingRow};
use crate::dispensing::{self, DispenseRequest, Dispensed};

/// Routes under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dispensings", post(record))
        .route("/authorisations/{id}/dispensings", get(list))
}

/// `POST /api/v1/dispensings`: 201 when recorded, 200 for a retry of a recorded request.
#[utoipa::path(
    post,
    path = "/api/v1/dispensings",
    summary = "Record a dispensing",
    tag = "dispensings",
    security(("bearer" = [])),
    request_body = DispenseRequest,
    responses(
        (status = 201, description = "Recorded", body = Dispensed),
        (status = 200, description = "A retry of a recorded request: the first result (`replayed` is true)", body = Dispensed),
        (status = 409, description = "Refused, with a specific code: `card_unknown`, `card_revoked`, `card_superseded`, `card_expired`, `medicine_not_authorised`, `authorisation_expired`, `over_quantity`, `over_count`, `too_soon`, `idempotency_key_reused`", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn record(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(request): AppJson<DispenseRequest>,
) -> Result<(StatusCode, AppJson<Dispensed>), ApiError> {
    caller.require(&[Role::Pharmacist])?;
    let result = match dispensing::dispense(&state, &caller, &request).await {
        Ok(result) => result,
        Err(e) => {
            if let ApiError::Conflict { code, .. } = &e {
                state
                    .metrics
                    .dispensings_refused
                    .with_label_values(&[*code])
                    .inc();
            }
            return Err(e);
        }
    };
    let status = if result.replayed {
        state.metrics.dispensings_replayed.inc();
        StatusCode::OK
    } else {
        state.metrics.dispensings_recorded.inc();
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
        (status = 200, description = "Dispensings against the authorisation", body = Vec<DispensingRow>),
        (status = 404, description = "No such authorisation (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<AppJson<Vec<DispensingRow>>, ApiError> {
    caller.require(&[Role::Pharmacist, Role::Clinician])?;
    // Parsed here, not by the extractor, so a non-numeric id is a problem+json 404 too.
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound {
        what: "authorisation",
    })?;
    if db::clinical::medicine(&state.db, id).await?.is_none() {
        return Err(ApiError::NotFound {
            what: "authorisation",
        });
    }
    let rows = db::dispensings::for_authorisation(&state.db, id).await?;
    db::audit::append_alone(
        &state.db,
        state.clock.now(),
        &actor(&caller),
        "dispensing.read",
        "authorisation",
        &id.to_string(),
    )
    .await?;
    Ok(AppJson(rows))
}
