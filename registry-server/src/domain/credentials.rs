//! Credentials with an end (issue #15): API tokens expire after a configurable lifetime
//! ([`super::Settings::token_lifetime_days`], 90 days by default), an admin lists and revokes
//! them by id, and disables or re-enables a user. A disabled user's tokens and desk sessions
//! open nothing (its sessions are deleted; its tokens stay listed, and work again only if the
//! user is enabled and they have neither expired nor been revoked). An admin cannot disable
//! their own account, so the registry is never left without an admin by mistake. Every
//! change is audited (`token.create`, `token.revoke`, `user.disable`, `user.enable`).

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use super::access::ADMINS;
use super::approvals::{self, Held};
use super::audit::actor;
use super::{Error, Registry, Result};
use crate::auth::{self, Caller, Role};
use crate::db::approvals::Approval;
use crate::db::users::User;
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
    /// A token for another user opens nothing until a second admin approves this request;
    /// null for an admin's own token.
    pub approval: Option<Approval>,
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
        approval: None,
    })
}

/// Creates another API token for a user (`token.create`). Admins. A token for another user
/// is held until a second admin approves it.
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
    let mut token = issue(registry, &mut tx, user_id, now).await?;
    if user_id != caller.user_id {
        let held = Held::Token {
            user_id,
            token_id: &token.id,
        };
        token.approval = Some(approvals::request(&mut tx, caller, held, now).await?);
    }
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
/// (`user.enable`) a user. Admins; never their own account. Disabling takes effect at once;
/// re-enabling is a request a second admin approves (the answer, `Some`).
///
/// # Errors
/// [`Error::Forbidden`], [`Error::NotFound`], [`Error::Conflict`] `own_account`,
/// `already_disabled` or `already_active`, database errors.
pub async fn set_active(
    registry: &Registry,
    caller: &Caller,
    user_id: &str,
    active: bool,
) -> Result<Option<Approval>> {
    caller.require(ADMINS)?;
    if user_id == caller.user_id {
        return Err(Error::conflict(
            "own_account",
            "an admin cannot disable or enable their own account",
        ));
    }
    let now = registry.clock.now();
    let mut tx = registry.db.pool.begin().await?;
    let Some(user) = db::users::user(&mut tx, user_id).await? else {
        return Err(Error::NotFound { what: "user" });
    };
    if active && user.active == 0 {
        let approval = approvals::request(&mut tx, caller, Held::Enable { user_id }, now).await?;
        db::audit::append(&mut tx, now, &actor(caller), "user.enable", "user", user_id).await?;
        tx.commit().await?;
        return Ok(Some(approval));
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
    Ok(None)
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
    /// The token's id (to list and revoke it).
    pub token_id: String,
    /// Unix seconds: the token's end of life.
    pub token_expires_at: i64,
    /// The request a second admin must approve before the user (inactive until then) may
    /// sign in; null when none is needed ([`super::approvals`]).
    pub approval: Option<Approval>,
}

/// Creates a user and its first API token (`user.create`). Admins. A user of a role that
/// reaches patient data stays inactive until a second admin approves
/// ([`super::approvals::new_user_waits`]).
///
/// # Errors
/// [`Error::Forbidden`], [`Error::Validation`], [`Error::Conflict`] (`duplicate_username`),
/// database errors.
pub async fn create_user(
    registry: &Registry,
    caller: &Caller,
    body: NewUser,
) -> Result<UserWithToken> {
    caller.require(ADMINS)?;
    let name_ok = (2..=40).contains(&body.username.len())
        && body
            .username
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_".contains(c));
    if !name_ok {
        return Err(Error::invalid(
            "username",
            "2 to 40 of a-z, 0-9, '.', '-', '_'",
        ));
    }
    super::text::check("display_name", &body.display_name, 80)?;
    if db::users::facility(&registry.db, &body.facility_code)
        .await?
        .is_none()
    {
        return Err(Error::invalid("facility_code", "no such facility"));
    }
    let now = registry.clock.now();
    let mut tx = registry.db.pool.begin().await?;
    let waits = approvals::new_user_waits(&mut tx, body.role).await?;
    let user = User {
        id: auth::new_id(),
        username: body.username,
        display_name: body.display_name.trim().to_string(),
        role: body.role.as_str().to_string(),
        facility_code: body.facility_code,
        active: i64::from(!waits),
        created_at: now,
    };
    db::users::insert_user(&mut *tx, &user).await.map_err(|e| {
        if db::is_unique_violation(&e) {
            Error::conflict("duplicate_username", "this username is taken")
        } else {
            e.into()
        }
    })?;
    let token = issue(registry, &mut tx, &user.id, now).await?;
    let approval = if waits {
        let held = Held::NewUser {
            user_id: &user.id,
            token_id: &token.id,
        };
        Some(approvals::request(&mut tx, caller, held, now).await?)
    } else {
        None
    };
    db::audit::append(
        &mut tx,
        now,
        &actor(caller),
        "user.create",
        "user",
        &user.id,
    )
    .await?;
    tx.commit().await?;
    Ok(UserWithToken {
        user,
        token: token.token,
        token_id: token.id,
        token_expires_at: token.expires_at,
        approval,
    })
}

/// Every user. Admins.
///
/// # Errors
/// [`Error::Forbidden`], database errors.
pub async fn users(registry: &Registry, caller: &Caller) -> Result<Vec<User>> {
    caller.require(ADMINS)?;
    Ok(db::users::list_users(&registry.db).await?)
}
