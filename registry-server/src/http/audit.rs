//! The audit log, for auditors: filtered reads and a chain check ([`crate::domain::audit`]).

use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Allowed, Auditors};
use super::{ApiError, AppJson, AppQuery, Registry};
use crate::db::audit::{ChainReport, Entry, Filter};
use crate::domain::audit;

/// Routes under `/api/v1`.
pub fn router() -> OpenApiRouter<Registry> {
    OpenApiRouter::new()
        .routes(routes!(query))
        .routes(routes!(verify))
}

/// `GET /api/v1/audit?user_id=&action=&entity_type=&entity_id=&from=&until=&after=&limit=`
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    summary = "Read the audit log",
    tag = "audit",
    security(("bearer" = [])),
    params(Filter),
    responses((status = 200, description = "Matching entries in chain order (the read is itself audited)", body = Vec<Entry>))
)]
async fn query(
    Allowed(caller, _): Allowed<Auditors>,
    State(state): State<Registry>,
    AppQuery(filter): AppQuery<Filter>,
) -> Result<AppJson<Vec<Entry>>, ApiError> {
    Ok(AppJson(audit::read(&state, &caller, Some(&filter)).await?))
}

/// `GET /api/v1/audit/verify`: recomputes the whole chain.
#[utoipa::path(
    get,
    path = "/api/v1/audit/verify",
    summary = "Verify the audit chain",
    tag = "audit",
    security(("bearer" = [])),
    responses((status = 200, description = "The result of recomputing the whole chain", body = ChainReport))
)]
async fn verify(
    Allowed(caller, _): Allowed<Auditors>,
    State(state): State<Registry>,
) -> Result<AppJson<ChainReport>, ApiError> {
    Ok(AppJson(audit::verify(&state, &caller).await?))
}
