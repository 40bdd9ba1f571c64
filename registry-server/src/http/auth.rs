//! The API's caller: the bearer token of `Authorization`, looked up by its SHA-256.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::{ApiError, Registry};
use crate::auth::{hash_token, Caller, Role};
use crate::db;

impl FromRequestParts<Registry> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Registry) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ApiError::Unauthorized)?;
        let owner = db::users::token_owner(&state.db, &hash_token(token.trim()))
            .await?
            .ok_or(ApiError::Unauthorized)?;
        let role = Role::from_name(&owner.role).ok_or_else(|| {
            ApiError::internal(format!("unknown role in database: {}", owner.role))
        })?;
        Ok(Caller {
            user_id: owner.user_id,
            username: owner.username,
            role,
            facility_code: owner.facility_code,
        })
    }
}
