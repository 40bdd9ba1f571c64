//! The audit log, for auditors: filtered reads and a chain check ([`crate::domain::audit`]).

use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Allowed, Auditors};
use super::{ApiError, AppJson, AppQuery, Registry};
use crate::db::audit::{ChainReport, Entry, Filter, ReadElsewhere};
use crate::domain::audit;

/// Routes under `/api/v1`.
pub fn router() -> OpenApiRouter<Registry> {
    OpenApiRouter::new()
        .routes(routes!(query))
        .routes(routes!(verify))
        .routes(routes!(elsewhere))
}

/// Options of `GET /api/v1/audit/elsewhere`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ElsewhereQuery {
    /// From (Unix seconds, inclusive); default 30 days before `until`.
    pub from: Option<i64>,
    /// Until (Unix seconds, exclusive); default now (this second included).
    pub until: Option<i64>,
}

/// `GET /api/v1/audit/elsewhere?from=&until=`
#[utoipa::path(
    get,
    path = "/api/v1/audit/elsewhere",
    summary = "Reads of patients registered at another facility",
    description = "Registrars and clinicians read patients nationally (a patient is treated \
        wherever they go); this report lists, per reader and patient, the reads by a user \
        of another facility than the one that registered the patient, for the auditor's \
        review. At most 1,000 rows, latest first; the report is itself audited.",
    tag = "audit",
    security(("bearer" = [])),
    params(ElsewhereQuery),
    responses((status = 200, description = "Reads elsewhere", body = Vec<ReadElsewhere>))
)]
async fn elsewhere(
    Allowed(caller, _): Allowed<Auditors>,
    State(state): State<Registry>,
    AppQuery(q): AppQuery<ElsewhereQuery>,
) -> Result<AppJson<Vec<ReadElsewhere>>, ApiError> {
    let until = q
        .until
        .unwrap_or_else(|| state.clock.now().saturating_add(1));
    let from = q.from.unwrap_or(until.saturating_sub(30 * 86_400));
    Ok(AppJson(
        audit::read_elsewhere(&state, &caller, from, until).await?,
    ))
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
