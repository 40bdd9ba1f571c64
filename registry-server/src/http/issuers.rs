//! Issuer keys published in the trust bundle (admin): register another site's root-signed
//! certificate, list them, revoke a compromised key ([`crate::domain::issuers`]).

use super::auth::{Allowed, IssuerPublishers, IssuerReaders};
use super::{ApiError, AppJson, Registry};
use crate::domain::issuers::{self, IssuerView, NewIssuer};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Routes under `/api/v1`.
pub fn router() -> OpenApiRouter<Registry> {
    OpenApiRouter::new()
        .routes(routes!(list, register))
        .routes(routes!(revoke))
}

/// `POST /api/v1/issuers`: publish a certificate that chains to the ministry root.
#[utoipa::path(
    post,
    path = "/api/v1/issuers",
    summary = "Publish another site's issuer certificate in the trust bundle",
    tag = "issuers",
    security(("bearer" = [])),
    request_body = NewIssuer,
    responses(
        (status = 201, description = "Published", body = IssuerView),
        (status = 409, description = "Already published (`duplicate_issuer`)",
            body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn register(
    Allowed(caller, _): Allowed<IssuerPublishers>,
    State(state): State<Registry>,
    AppJson(body): AppJson<NewIssuer>,
) -> Result<(StatusCode, AppJson<IssuerView>), ApiError> {
    let view = issuers::register(&state, &caller, &body).await?;
    Ok((StatusCode::CREATED, AppJson(view)))
}

/// `GET /api/v1/issuers`
#[utoipa::path(
    get,
    path = "/api/v1/issuers",
    summary = "List the published issuer keys",
    tag = "issuers",
    security(("bearer" = [])),
    responses((status = 200, description = "Every published issuer key", body = Vec<IssuerView>))
)]
pub(super) async fn list(
    Allowed(caller, _): Allowed<IssuerReaders>,
    State(state): State<Registry>,
) -> Result<AppJson<Vec<IssuerView>>, ApiError> {
    let views = issuers::list(&state, &caller).await?;
    Ok(AppJson(views))
}

/// `POST /api/v1/issuers/{kid}/revoke`: every card signed by this key fails verification
/// (`issuer_revoked`) once verifiers sync the bundle.
#[utoipa::path(
    post,
    path = "/api/v1/issuers/{kid}/revoke",
    summary = "Revoke an issuer key",
    tag = "issuers",
    security(("bearer" = [])),
    params(("kid" = String, Path, description = "Key id, 16 hex digits")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such published key",
            body = super::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already revoked (`already_revoked`), or this server's own key \
            (`revoking_own_key`)", body = super::error::Problem,
            content_type = "application/problem+json"),
    )
)]
pub(super) async fn revoke(
    Allowed(caller, _): Allowed<IssuerPublishers>,
    State(state): State<Registry>,
    Path(kid): Path<String>,
) -> Result<StatusCode, ApiError> {
    issuers::revoke(&state, &caller, &kid).await?;
    Ok(StatusCode::NO_CONTENT)
}
