//! Facilities, users and desk passwords (admins; [`crate::domain::access`]); tokens and
//! disabling users are in [`super::credentials`].

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Admins, Allowed};
use super::{ApiError, AppJson, Registry};
use crate::auth::Caller;
use crate::db::users::{Facility, User};
use crate::domain::access::{self, NewFacility};
use crate::domain::credentials::{self, NewUser, UserWithToken};

/// Routes under `/api/v1`.
pub fn router() -> OpenApiRouter<Registry> {
    OpenApiRouter::new()
        .routes(routes!(list_facilities, create_facility))
        .routes(routes!(list_users, create_user))
        .routes(routes!(set_password))
}

/// `POST /api/v1/facilities`
#[utoipa::path(
    post,
    path = "/api/v1/facilities",
    summary = "Create a facility",
    tag = "admin",
    security(("bearer" = [])),
    request_body = NewFacility,
    responses(
        (status = 201, description = "Created", body = Facility),
        (status = 409, description = "A facility with this code exists (`duplicate_facility`)",
            body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn create_facility(
    Allowed(caller, _): Allowed<Admins>,
    State(state): State<Registry>,
    AppJson(body): AppJson<NewFacility>,
) -> Result<(StatusCode, AppJson<Facility>), ApiError> {
    let facility = access::create_facility(&state, &caller, body).await?;
    Ok((StatusCode::CREATED, AppJson(facility)))
}

/// `GET /api/v1/facilities` (any signed-in user: facility codes are not patient data).
#[utoipa::path(
    get,
    path = "/api/v1/facilities",
    summary = "List facilities",
    tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, description = "Every facility", body = Vec<Facility>))
)]
async fn list_facilities(
    State(state): State<Registry>,
    caller: Caller,
) -> Result<AppJson<Vec<Facility>>, ApiError> {
    Ok(AppJson(access::facilities(&state, &caller).await?))
}

/// `POST /api/v1/users`
#[utoipa::path(
    post,
    path = "/api/v1/users",
    summary = "Create a user and its first token",
    description = "A user of a role that reads patient data (admin, registrar, clinician, \
        pharmacist, insurer, auditor, inspector) is created inactive with a request in \
        `approval`: its token opens nothing until a second admin approves it \
        (`POST /api/v1/approvals/{id}/approve`). While the registry has fewer than two active \
        admins, an admin is created at once (the first admin makes the second). Audited \
        (`user.create`).",
    tag = "admin",
    security(("bearer" = [])),
    request_body = NewUser,
    responses(
        (status = 201, description = "Created; the token is shown only here", body = UserWithToken),
        (status = 409, description = "The username is taken (`duplicate_username`)",
            body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn create_user(
    Allowed(caller, _): Allowed<Admins>,
    State(state): State<Registry>,
    AppJson(body): AppJson<NewUser>,
) -> Result<(StatusCode, AppJson<UserWithToken>), ApiError> {
    let created = credentials::create_user(&state, &caller, body).await?;
    Ok((StatusCode::CREATED, AppJson(created)))
}

/// `GET /api/v1/users`
#[utoipa::path(
    get,
    path = "/api/v1/users",
    summary = "List users",
    tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, description = "Every user", body = Vec<User>))
)]
async fn list_users(
    Allowed(caller, _): Allowed<Admins>,
    State(state): State<Registry>,
) -> Result<AppJson<Vec<User>>, ApiError> {
    Ok(AppJson(credentials::users(&state, &caller).await?))
}

/// A new desk password.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    /// The password, 12 to 256 characters. Stored only as an argon2id hash.
    pub password: String,
}

/// `PUT /api/v1/users/{id}/password`
#[utoipa::path(
    put,
    path = "/api/v1/users/{id}/password",
    summary = "Set a user's web desk password",
    description = "Sets the password the user signs in to the web desk (`/desk/`) with, \
        stored as an argon2id hash, and ends the user's desk sessions. API tokens are not \
        affected. The caller's own password is set at once; another user's is a request a \
        second admin approves (`POST /api/v1/approvals/{id}/approve`), the old password \
        working until then. Audited (`user.password`).",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    request_body = NewPassword,
    responses(
        (status = 204, description = "Set (the caller's own); the desk sessions are ended"),
        (status = 202, description = "Requested (another user's): a second admin approves it",
            body = crate::db::approvals::Approval),
        (status = 404, description = "No such user (`not_found`)",
            body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn set_password(
    Allowed(caller, _): Allowed<Admins>,
    State(state): State<Registry>,
    Path(id): Path<String>,
    AppJson(body): AppJson<NewPassword>,
) -> Result<axum::response::Response, ApiError> {
    let approval = access::set_password_as(&state, &caller, &id, body.password).await?;
    Ok(super::approvals::held_or_done(approval))
}
