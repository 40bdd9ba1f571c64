//! The audit log, for auditors: filtered reads and a chain check.

use axum::extract::State;
use axum::routing::get;
use axum::Router;

use super::admin::actor;
use super::{ApiError, AppJson, AppQuery, AppState};
use crate::auth::{Caller, Role};
use crate::db::{self, audit::ChainReport, audit::Entry, audit::Filter};

/// Routes under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/audit", get(query))
        .route("/audit/verify", get(verify))
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
    State(state): State<AppState>,
    caller: Caller,
    AppQuery(filter): AppQuery<Filter>,
) -> Result<AppJson<Vec<Entry>>, ApiError> {
    caller.require(&[Role::Auditor])?;
    let entries = db::audit::query(&state.db, &filter).await?;
    db::audit::append_alone(
        &state.db,
        state.clock.now(),
        &actor(&caller),
        "audit.read",
        "audit",
        "log",
    )
    .await?;
    Ok(AppJson(entries))
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
    State(state): State<AppState>,
    caller: Caller,
) -> Result<AppJson<ChainReport>, ApiError> {
    caller.require(&[Role::Auditor])?;
    Ok(AppJson(db::audit::verify_chain(&state.db).await?))
}
