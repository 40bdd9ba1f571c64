//! Credentials with an end (issue #15): API tokens expire after a configurable lifetime
//! ([`super::Settings::token_lifetime_days`], 90 days by default), an admin lists and revokes
//! them by id, and disables or re-enables a user. A disabled user's tokens and desk sessions
//! open nothing (its sessions are deleted; its tokens stay listed, and work again only if the
//! user is enabled and they have neither expired nor been revoked). An admin cannot disable
//! their own account, so the registry is never left without an admin by mistake. Every
//! change is audited (`token.create`, `token.revoke`, `user.disable`, `user.enable`).

use serde::Serialize;
use sqlx::AnyConnection;

use super::access::ADMINS;
use super::audit::actor;
use super::{Error, Registry, Result};
use crate::auth::{self, Caller};
use crate::db::{self, tokens::NewTokenRow, tokens::TokenRow};

/// A new token: shown once, with the id it is listed and revoked by.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NewToken {
    /// The API token, shown once.
    pub token: String,
    /// Its id.
    pub id: String,
    /// Unix seconds: from then on it opens nothing.
    pub expires_at: i64,
}

/// Makes and stores a token for `user_id`, ending after the configured lifetime (the
/// caller's transaction audits it).
///
/// # Errors
/// Database errors.
pub async fn issue(
    registry: &Registry,
    conn: &mut AnyConnection,
    user_id: &str,
    now: i64,
) -> Result<NewToken> {
    let token = auth::new_token();
    let id = auth::new_id();
    let lifetime = i64::try_from(registry.settings.token_lifetime_days)
        .unwrap_or(i64::MAX / 86_400)
        .saturating_mul(86_400);
    let expires_at = now.saturating_add(lifetime);
    db::tokens::insert(
        &mut *conn,
        &NewTokenRow {
            hash: &auth::hash_token(&token),
            id: &id,
            user_id,
            created_at: now,
            expires_at,
        },
    )
    .await?;
    Ok(NewToken {
        token,
        id,
        expires_at,
    })
}

/// Creates another API token for a user (`token.create`). Admins.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::NotFound`], database errors.
pub async fn create_token(registry: &Registry, caller: &Caller, user_id: &str) -> Result<NewToken> {
    caller.require(ADMINS)?;
    let now = registry.clock.now();
    let mut tx = registry.db.pool.begin().await?;
    if db::users::user(&mut tx, user_id).await?.is_none() {
        return Err(Error::NotFound { what: "user" });
    }
    let token = issue(registry, &mut tx, user_id, now).await?;
    db::audit::append(
        &mut tx,
        now,
        &actor(caller),
        "token.create",
        "user",
        user_id,
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// A user's tokens, newest first (never the tokens themselves). Admins.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::NotFound`], database errors.
pub async fn tokens(registry: &Registry, caller: &Caller, user_id: &str) -> Result<Vec<TokenRow>> {
    caller.require(ADMINS)?;
    if !db::users::user_exists(&registry.db, user_id).await? {
        return Err(Error::NotFound { what: "user" });
    }
    Ok(db::tokens::of_user(&registry.db, user_id).await?)
}

/// Revokes a token (`token.revoke`): from now on it opens nothing. Admins.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::NotFound`], [`Error::Conflict`] `token_revoked` (already),
/// database errors.
pub async fn revoke_token(registry: &Registry, caller: &Caller, id: &str) -> Result<()> {
    caller.require(ADMINS)?;
    let now = registry.clock.now();
    let mut tx = registry.db.pool.begin().await?;
    if db::tokens::by_id(&mut tx, id).await?.is_none() {
        return Err(Error::NotFound { what: "token" });
    }
    if !db::tokens::revoke(&mut tx, id, now).await? {
        return Err(Error::conflict(
            "token_revoked",
            "this token is already revoked",
        ));
    }
    db::audit::append(&mut tx, now, &actor(caller), "token.revoke", "token", id).await?;
    tx.commit().await?;
    Ok(())
}

/// Disables (`active` false: `user.disable`, its desk sessions ended) or re-enables
/// (`user.enable`) a user. Admins; never their own account.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::NotFound`], [`Error::Conflict`] `own_account`,
/// `already_disabled` or `already_active`, database errors.
pub async fn set_active(
    registry: &Registry,
    caller: &Caller,
    user_id: &str,
    active: bool,
) -> Result<()> {
    caller.require(ADMINS)?;
    if user_id == caller.user_id {
        return Err(Error::conflict(
            "own_account",
            "an admin cannot disable or enable their own account",
        ));
    }
    let now = registry.clock.now();
    let mut tx = registry.db.pool.begin().await?;
    if db::users::user(&mut tx, user_id).await?.is_none() {
        return Err(Error::NotFound { what: "user" });
    }
    if !db::users::set_active(&mut tx, user_id, active).await? {
        return Err(if active {
            Error::conflict("already_active", "this user is already active")
        } else {
            Error::conflict("already_disabled", "this user is already disabled")
        });
    }
    if !active {
        db::web::delete_user_sessions(&mut tx, user_id).await?;
    }
    let action = if active {
        "user.enable"
    } else {
        "user.disable"
    };
    db::audit::append(&mut tx, now, &actor(caller), action, "user", user_id).await?;
    tx.commit().await?;
    Ok(())
}
