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
async fn record(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(request): AppJson<DispenseRequest>,
) -> Result<(StatusCode, AppJson<Dispensed>), ApiError> {
    caller.require(&[Role::Pharmacist])?;
    let result = dispensing::dispense(&state, &caller, &request).await?;
    let status = if result.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, AppJson(result)))
}

/// `GET /api/v1/authorisations/{id}/dispensings` (pharmacist, clinician).
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<AppJson<Vec<DispensingRow>>, ApiError> {
    caller.require(&[Role::Pharmacist, Role::Clinician])?;
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
