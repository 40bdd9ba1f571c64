//! A second admin's approvals (admins; [`crate::domain::approvals`]): list the requests,
//! approve or refuse one.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Admins, Allowed};
use super::{ApiError, AppJson, AppQuery, Registry};
use crate::db::approvals::Approval;
use crate::domain::approvals;

/// Routes under `/api/v1`.
pub fn router() -> OpenApiRouter<Registry> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(approve))
        .routes(routes!(refuse))
}

/// 204 when a change took effect at once; 202 with the request when a second admin must
/// approve it.
pub fn held_or_done(approval: Option<Approval>) -> Response {
    match approval {
        None => StatusCode::NO_CONTENT.into_response(),
        Some(a) => (StatusCode::ACCEPTED, AppJson(a)).into_response(),
    }
}

/// Options of `GET /api/v1/approvals`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only the requests still waiting (default true); false lists the decided ones too.
    pub pending: Option<bool>,
}

/// `GET /api/v1/approvals`
#[utoipa::path(
    get,
    path = "/api/v1/approvals",
    summary = "List the requests waiting for a second admin",
    description = "Newest first, at most 500. A request holds a new user of a role that \
        reads patient data, a token or desk password for another user, or a user's \
        re-enabling, until an admin other than the requester approves it.",
    tag = "admin",
    security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, description = "The requests", body = Vec<Approval>))
)]
async fn list(
    Allowed(caller, _): Allowed<Admins>,
    State(state): State<Registry>,
    AppQuery(q): AppQuery<ListQuery>,
) -> Result<AppJson<Vec<Approval>>, ApiError> {
    let pending = q.pending.unwrap_or(true);
    Ok(AppJson(approvals::list(&state, &caller, pending).await?))
}

/// `POST /api/v1/approvals/{id}/approve`
#[utoipa::path(
    post,
    path = "/api/v1/approvals/{id}/approve",
    summary = "Approve a request of another admin",
    description = "What the request holds takes effect: the new user becomes active, the \
        token opens, the password replaces the old one (ending the user's desk sessions), \
        the user is enabled. Audited (`approval.approve`).",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Request id")),
    responses(
        (status = 200, description = "Approved", body = Approval),
        (status = 404, description = "No such request (`not_found`)",
            body = super::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The caller's own request (`own_request`), decided \
            already (`already_decided`), or older than 7 days (`approval_expired`)",
            body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn approve(
    Allowed(caller, _): Allowed<Admins>,
    State(state): State<Registry>,
    Path(id): Path<String>,
) -> Result<AppJson<Approval>, ApiError> {
    Ok(AppJson(approvals::approve(&state, &caller, &id).await?))
}

/// `POST /api/v1/approvals/{id}/refuse`
#[utoipa::path(
    post,
    path = "/api/v1/approvals/{id}/refuse",
    summary = "Refuse a request of another admin",
    description = "A held token is revoked, a held password forgotten, a new user stays \
        inactive. Audited (`approval.refuse`).",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Request id")),
    responses(
        (status = 200, description = "Refused", body = Approval),
        (status = 404, description = "No such request (`not_found`)",
            body = super::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The caller's own request (`own_request`), or decided \
            already (`already_decided`)",
            body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn refuse(
    Allowed(caller, _): Allowed<Admins>,
    State(state): State<Registry>,
    Path(id): Path<String>,
) -> Result<AppJson<Approval>, ApiError> {
    Ok(AppJson(approvals::refuse(&state, &caller, &id).await?))
}
