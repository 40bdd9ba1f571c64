//! Dispensings (pharmacists), and the review list of offline dispensings recorded in
//! conflict with a rule.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;

use super::admin::actor;
use super::{ApiError, AppJson, AppQuery, AppState};
use crate::auth::{Caller, Role};
use crate::db::{self, dispensings::ConflictRow, dispensings::DispensingRow};
use crate::dispensing::{self, DispenseRequest, Dispensed};

/// Who reviews flagged dispensings: auditors (the ministry's reviewers, who already read the
/// audit log) and clinicians (the prescribing side, who already read an authorisation's
/// dispensings). Not admins: they manage facilities and users and see no patient data.
pub const CONFLICT_REVIEWERS: &[Role] = &[Role::Clinician, Role::Auditor];

/// Routes under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dispensings", post(record))
        .route("/dispensings/conflicts", get(conflicts))
        .route("/authorisations/{id}/dispensings", get(list))
}

/// `POST /api/v1/dispensings`: 201 when recorded, 200 for a retry of a recorded request.
#[utoipa::path(
    post,
    path = "/api/v1/dispensings",
    summary = "Record a dispensing",
    tag = "dispensings",
    security(("bearer" = [])),
    description = "With `offline_at` (a dispensing the pharmacy made while offline, sent \
        now), the rules are judged at that time, and a breach of `card_revoked`, \
        `card_superseded`, `card_expired`, `authorisation_expired`, `over_quantity`, \
        `over_count` or `too_soon` is recorded (201) with that `conflict` and flagged for \
        review instead of refused: the medicine has already left the pharmacy. \
        `card_unknown`, `medicine_not_authorised` and `idempotency_key_reused` still refuse.",
    request_body = DispenseRequest,
    responses(
        (status = 201, description = "Recorded (an offline dispensing possibly with a `conflict`, flagged for review)", body = Dispensed),
        (status = 200, description = "A retry of a recorded request: the first result, with its `conflict` (`replayed` is true)", body = Dispensed),
        (status = 409, description = "Refused, with a specific code: `card_unknown`, `card_revoked`, `card_superseded`, `card_expired`, `medicine_not_authorised`, `authorisation_expired`, `over_quantity`, `over_count`, `too_soon`, `idempotency_key_reused` (with `offline_at`, only `card_unknown`, `medicine_not_authorised` and `idempotency_key_reused`)", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid `idempotency_key`, `card_serial`, `quantity`, or `offline_at` (more than 5 minutes ahead of the registry's clock, or more than 90 days ago) (`validation`, `field` names it)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn record(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(request): AppJson<DispenseRequest>,
) -> Result<(StatusCode, AppJson<Dispensed>), ApiError> {
    caller.require(&[Role::Pharmacist])?;
    let result = record_counted(&state, &caller, &request).await?;
    let status = if result.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, AppJson(result)))
}

/// [`dispensing::dispense`], counted in the metrics (recorded, replayed, flagged, refused by
/// code). The caller's role is checked by the caller.
///
/// # Errors
/// As [`dispensing::dispense`].
pub async fn record_counted(
    state: &AppState,
    caller: &Caller,
    request: &DispenseRequest,
) -> Result<Dispensed, ApiError> {
    let result = match dispensing::dispense(state, caller, request).await {
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
    if result.replayed {
        state.metrics.dispensings_replayed.inc();
    } else {
        state.metrics.dispensings_recorded.inc();
        if let Some(code) = &result.conflict {
            state
                .metrics
                .dispensings_flagged
                .with_label_values(&[code.as_str()])
                .inc();
        }
    }
    Ok(result)
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
        (status = 200, description = "Dispensings against the authorisation, in the order they were handed out, each with `offline`, `received_at` and `conflict`", body = Vec<DispensingRow>),
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
    Ok(AppJson(dispensings_of(&state, &caller, id).await?))
}

/// An authorisation's dispensings, in the order they were handed out; the read is audited
/// (`dispensing.read`). The caller's role is checked by the caller.
///
/// # Errors
/// [`ApiError::NotFound`], database errors.
pub async fn dispensings_of(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<Vec<DispensingRow>, ApiError> {
    if db::clinical::medicine(&state.db, id).await?.is_none() {
        return Err(ApiError::NotFound {
            what: "authorisation",
        });
    }
    let rows = db::dispensings::for_authorisation(&state.db, id).await?;
    db::audit::append_alone(
        &state.db,
        state.clock.now(),
        &actor(caller),
        "dispensing.read",
        "authorisation",
        &id.to_string(),
    )
    .await?;
    Ok(rows)
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
    State(state): State<AppState>,
    caller: Caller,
    AppQuery(q): AppQuery<ConflictsQuery>,
) -> Result<AppJson<Vec<ConflictRow>>, ApiError> {
    caller.require(CONFLICT_REVIEWERS)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit", "1 to 1000"));
    }
    let before = match &q.before {
        None => None,
        Some(id) => Some(
            db::dispensings::conflict_position(&state.db, id)
                .await?
                .ok_or_else(|| ApiError::invalid("before", "not a flagged dispensing's id"))?,
        ),
    };
    let rows = db::dispensings::conflicts(&state.db, before, limit).await?;
    // One audited read per authorisation shown (its card serial and dispensings are
    // patient-related), as a search audits each patient it returns.
    let mut shown: Vec<String> = rows
        .iter()
        .map(|r| r.authorisation_id.to_string())
        .collect();
    shown.sort_unstable();
    shown.dedup();
    let shown: Vec<&str> = shown.iter().map(String::as_str).collect();
    db::audit::append_reads(
        &state.db,
        state.clock.now(),
        &actor(&caller),
        "dispensing.conflicts.read",
        "authorisation",
        &shown,
    )
    .await?;
    Ok(AppJson(rows))
}
