//! API tokens and users' access: create, list and revoke tokens, disable and re-enable
//! users (admins; [`crate::domain::credentials`]).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Admins, Allowed};
use super::{ApiError, AppJson, Registry};
use axum::response::Response;

use crate::db::approvals::Approval;
use crate::db::tokens::TokenRow;
use crate::domain::credentials::{self, NewToken};

/// Routes under `/api/v1`.
pub fn router() -> OpenApiRouter<Registry> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(disable_user))
        .routes(routes!(enable_user))
}

/// `POST /api/v1/users/{id}/tokens`
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/tokens",
    summary = "Create another token for a user",
    description = "The token works until `expires_at` (the registry's token lifetime, 90 days \
        by default) unless revoked sooner or its user is disabled. A token for another user \
        than the caller is held until a second admin approves it \
        (`POST /api/v1/approvals/{id}/approve`). Audited (`token.create`).",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 201, description = "Created; the token is shown only here. A token for \
            another user opens nothing until a second admin approves its `approval`", body = NewToken),
        (status = 404, description = "No such user (`not_found`)",
            body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn create_token(
    Allowed(caller, _): Allowed<Admins>,
    State(state): State<Registry>,
    Path(id): Path<String>,
) -> Result<(StatusCode, AppJson<NewToken>), ApiError> {
    let token = credentials::create_token(&state, &caller, &id).await?;
    Ok((StatusCode::CREATED, AppJson(token)))
}

/// `GET /api/v1/users/{id}/tokens`
#[utoipa::path(
    get,
    path = "/api/v1/users/{id}/tokens",
    summary = "List a user's tokens",
    description = "Newest first, with their ids, ends of life and revocations; never the \
        tokens themselves.",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, description = "The user's tokens", body = Vec<TokenRow>),
        (status = 404, description = "No such user (`not_found`)",
            body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn list_tokens(
    Allowed(caller, _): Allowed<Admins>,
    State(state): State<Registry>,
    Path(id): Path<String>,
) -> Result<AppJson<Vec<TokenRow>>, ApiError> {
    Ok(AppJson(credentials::tokens(&state, &caller, &id).await?))
}

/// `POST /api/v1/tokens/{id}/revoke`
#[utoipa::path(
    post,
    path = "/api/v1/tokens/{id}/revoke",
    summary = "Revoke a token",
    description = "From the next request on, the token opens nothing. Audited (`token.revoke`).",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such token (`not_found`)",
            body = super::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already revoked (`token_revoked`)",
            body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn revoke_token(
    Allowed(caller, _): Allowed<Admins>,
    State(state): State<Registry>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    credentials::revoke_token(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/users/{id}/disable`
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/disable",
    summary = "Disable a user",
    description = "The user's tokens and desk password open nothing, and its desk sessions \
        end, until it is enabled again. Never the caller's own account. Audited \
        (`user.disable`).",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 204, description = "Disabled"),
        (status = 404, description = "No such user (`not_found`)",
            body = super::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already disabled (`already_disabled`), or the caller's \
            own account (`own_account`)",
            body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn disable_user(
    Allowed(caller, _): Allowed<Admins>,
    State(state): State<Registry>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    credentials::set_active(&state, &caller, &id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/users/{id}/enable`
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/enable",
    summary = "Enable a disabled user",
    description = "A request a second admin approves (`POST /api/v1/approvals/{id}/approve`): \
        then its tokens that have neither expired nor been revoked work again, and its desk \
        password too. Audited (`user.enable`).",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 202, description = "Requested: a second admin approves it", body = Approval),
        (status = 404, description = "No such user (`not_found`)",
            body = super::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already active (`already_active`), or the caller's own \
            account (`own_account`)",
            body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn enable_user(
    Allowed(caller, _): Allowed<Admins>,
    State(state): State<Registry>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let approval = credentials::set_active(&state, &caller, &id, true).await?;
    Ok(super::approvals::held_or_done(approval))
}
