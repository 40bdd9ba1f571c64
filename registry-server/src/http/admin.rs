//! Facilities and users (admin only).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};

use super::{ApiError, AppJson, AppState};
use crate::auth::{self, Caller, Role};
use crate::db::{self, audit::Actor, users::Facility, users::User};

/// Routes under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/facilities", get(list_facilities).post(create_facility))
        .route("/users", get(list_users).post(create_user))
        .route("/users/{id}/tokens", post(create_token))
        .route("/users/{id}/password", axum::routing::put(set_password))
}

/// A new facility.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFacility {
    /// Code: uppercase letters, digits and hyphens, e.g. `LY-BEN-PED`.
    pub code: String,
    /// Name.
    pub name: String,
    /// Region.
    pub region: String,
    /// `oncology_centre`, `pharmacy`, `insurer` or `ministry`.
    pub kind: String,
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
    State(state): State<AppState>,
    caller: Caller,
    AppJson(body): AppJson<NewFacility>,
) -> Result<(StatusCode, AppJson<Facility>), ApiError> {
    caller.require(&[Role::Admin])?;
    let code_ok = (2..=32).contains(&body.code.len())
        && body
            .code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
    if !code_ok {
        return Err(ApiError::invalid(
            "code",
            "2 to 32 uppercase letters, digits or hyphens",
        ));
    }
    if !["oncology_centre", "pharmacy", "insurer", "ministry"].contains(&body.kind.as_str()) {
        return Err(ApiError::invalid(
            "kind",
            "oncology_centre, pharmacy, insurer or ministry",
        ));
    }
    for (field, value) in [("name", &body.name), ("region", &body.region)] {
        if value.trim().is_empty() || value.chars().count() > 80 {
            return Err(ApiError::invalid(field, "1 to 80 characters"));
        }
    }
    let now = state.clock.now();
    let facility = Facility {
        code: body.code,
        name: body.name.trim().to_string(),
        region: body.region.trim().to_string(),
        kind: body.kind,
        created_at: now,
    };
    let mut tx = state.db.pool.begin().await?;
    db::users::insert_facility(&mut *tx, &facility)
        .await
        .map_err(|e| {
            if db::is_unique_violation(&e) {
                ApiError::conflict("duplicate_facility", "a facility with this code exists")
            } else {
                e.into()
            }
        })?;
    db::audit::append(
        &mut tx,
        now,
        &actor(&caller),
        "facility.create",
        "facility",
        &facility.code,
    )
    .await?;
    tx.commit().await?;
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
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<AppJson<Vec<Facility>>, ApiError> {
    Ok(AppJson(db::users::list_facilities(&state.db).await?))
}

/// A new user.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Login name: lowercase letters, digits, `.`, `-`, `_`.
    pub username: String,
    /// Name shown on screens.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Facility code.
    pub facility_code: String,
}

/// A user with a token shown once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserWithToken {
    /// The user.
    pub user: User,
    /// The API token. Shown only in this response; the registry keeps only its hash.
    pub token: String,
}

/// `POST /api/v1/users`
#[utoipa::path(
    post,
    path = "/api/v1/users",
    summary = "Create a user and its first token",
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
    State(state): State<AppState>,
    caller: Caller,
    AppJson(body): AppJson<NewUser>,
) -> Result<(StatusCode, AppJson<UserWithToken>), ApiError> {
    caller.require(&[Role::Admin])?;
    let name_ok = (2..=40).contains(&body.username.len())
        && body
            .username
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_".contains(c));
    if !name_ok {
        return Err(ApiError::invalid(
            "username",
            "2 to 40 of a-z, 0-9, '.', '-', '_'",
        ));
    }
    if body.display_name.trim().is_empty() || body.display_name.chars().count() > 80 {
        return Err(ApiError::invalid("display_name", "1 to 80 characters"));
    }
    if db::users::facility(&state.db, &body.facility_code)
        .await?
        .is_none()
    {
        return Err(ApiError::invalid("facility_code", "no such facility"));
    }
    let now = state.clock.now();
    let user = User {
        id: auth::new_id(),
        username: body.username,
        display_name: body.display_name.trim().to_string(),
        role: body.role.as_str().to_string(),
        facility_code: body.facility_code,
        active: 1,
        created_at: now,
    };
    let token = auth::new_token();
    let mut tx = state.db.pool.begin().await?;
    db::users::insert_user(&mut *tx, &user).await.map_err(|e| {
        if db::is_unique_violation(&e) {
            ApiError::conflict("duplicate_username", "this username is taken")
        } else {
            e.into()
        }
    })?;
    db::users::insert_token(&mut *tx, &auth::hash_token(&token), &user.id, now).await?;
    db::audit::append(
        &mut tx,
        now,
        &actor(&caller),
        "user.create",
        "user",
        &user.id,
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, AppJson(UserWithToken { user, token })))
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
    State(state): State<AppState>,
    caller: Caller,
) -> Result<AppJson<Vec<User>>, ApiError> {
    caller.require(&[Role::Admin])?;
    Ok(AppJson(db::users::list_users(&state.db).await?))
}

/// A new token for an existing user.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NewToken {
    /// The API token, shown once.
    pub token: String,
}

/// `POST /api/v1/users/{id}/tokens`
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/tokens",
    summary = "Create another token for a user",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 201, description = "Created; the token is shown only here", body = NewToken),
        (status = 404, description = "No such user (`not_found`)",
            body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<(StatusCode, AppJson<NewToken>), ApiError> {
    caller.require(&[Role::Admin])?;
    if !db::users::user_exists(&state.db, &id).await? {
        return Err(ApiError::NotFound { what: "user" });
    }
    let now = state.clock.now();
    let token = auth::new_token();
    let mut tx = state.db.pool.begin().await?;
    db::users::insert_token(&mut *tx, &auth::hash_token(&token), &id, now).await?;
    db::audit::append(&mut tx, now, &actor(&caller), "token.create", "user", &id).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, AppJson(NewToken { token })))
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
        affected. Audited (`user.password`).",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    request_body = NewPassword,
    responses(
        (status = 204, description = "Set; the user's desk sessions are ended"),
        (status = 404, description = "No such user (`not_found`)",
            body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn set_password(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    AppJson(body): AppJson<NewPassword>,
) -> Result<StatusCode, ApiError> {
    caller.require(&[Role::Admin])?;
    crate::desk::session::set_password(
        &state.db,
        state.clock.now(),
        &actor(&caller),
        &id,
        body.password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The audit log's view of a caller.
pub fn actor(caller: &Caller) -> Actor<'_> {
    Actor {
        user_id: &caller.user_id,
        role: caller.role.as_str(),
        facility_code: &caller.facility_code,
    }
}
