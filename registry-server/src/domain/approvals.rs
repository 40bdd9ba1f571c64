//! Admins administer; they do not treat (issue #15): a grant that reaches patient data needs
//! a second admin's approval.
//!
//! Held until another admin approves (`POST /api/v1/approvals/{id}/approve`):
//! - a new user of a role that reads patient data, or may grant it ([`REACHES_PATIENTS`]):
//!   the user is created inactive, its first token with it, and is made active on approval;
//! - a token for another user: it opens nothing (`held_by`) until approved;
//! - a desk password for another user: the hash waits in the request, and replaces the old
//!   one (ending the user's sessions) on approval;
//! - re-enabling a user.
//!
//! The requester cannot approve their own request (`own_request`), a request is decided
//! once (`already_decided`), and a request not approved within [`APPROVAL_SECONDS`] can only
//! be refused (`approval_expired`). A refusal revokes the held token and forgets the held
//! password. Every request is audited as the action it asks for (`user.create`,
//! `token.create`, `user.password`, `user.enable`), every decision as `approval.approve` or
//! `approval.refuse`.
//!
//! What needs no second admin: a user of a role that sees no patient (statistician, supply
//! officer); an admin's own token or password (an admin's token opens no patient route);
//! disabling a user or revoking a token (taking access away). And, once, the start: while the
//! registry has fewer than two active admins, an admin creates an admin at once, so the
//! first admin can make the second (docs/registry-server.md: do it at the key ceremony,
//! two people present).

use sqlx::AnyConnection;

use super::audit::actor;
use super::{Error, Registry, Result};
use crate::auth::{self, Caller, Role};
use crate::db::{self, approvals::Approval, approvals::NewApproval};

/// Roles whose users read patient data or grant access to it: creating one needs a second
/// admin.
pub const REACHES_PATIENTS: &[Role] = &[
    Role::Admin,
    Role::Registrar,
    Role::Clinician,
    Role::Pharmacist,
    Role::Insurer,
    Role::Auditor,
    Role::Inspector,
];

/// How long a request may wait for its approval: 7 days.
pub const APPROVAL_SECONDS: i64 = 7 * 86_400;

/// What a request holds until it is decided.
#[derive(Debug, Clone, Copy)]
pub enum Held<'a> {
    /// A new user (inactive until approved) and its first token.
    NewUser {
        /// The user.
        user_id: &'a str,
        /// Its first token (named in the request; the user's being inactive holds it).
        token_id: &'a str,
    },
    /// A token for another user.
    Token {
        /// Its owner.
        user_id: &'a str,
        /// The token.
        token_id: &'a str,
    },
    /// A desk password for another user.
    Password {
        /// The user.
        user_id: &'a str,
        /// Its argon2id hash.
        hash: &'a str,
    },
    /// Re-enabling a user.
    Enable {
        /// The user.
        user_id: &'a str,
    },
}

impl Held<'_> {
    fn action(&self) -> &'static str {
        match self {
            Held::NewUser { .. } => "user.create",
            Held::Token { .. } => "token.create",
            Held::Password { .. } => "user.password",
            Held::Enable { .. } => "user.enable",
        }
    }

    fn user_id(&self) -> &str {
        match self {
            Held::NewUser { user_id, .. }
            | Held::Token { user_id, .. }
            | Held::Password { user_id, .. }
            | Held::Enable { user_id } => user_id,
        }
    }
}

/// Whether creating a user of `role` waits for a second admin (inside the creating
/// transaction, so two instances agree on the count of admins).
///
/// # Errors
/// Database errors.
pub async fn new_user_waits(conn: &mut AnyConnection, role: Role) -> Result<bool> {
    if !REACHES_PATIENTS.contains(&role) {
        return Ok(false);
    }
    if role == Role::Admin && db::approvals::active_admins(conn).await? < 2 {
        return Ok(false);
    }
    Ok(true)
}

/// Stores the request for `held` inside the caller's transaction (which audits the action
/// itself) and holds a token for another user.
///
/// # Errors
/// Database errors.
pub async fn request(
    conn: &mut AnyConnection,
    caller: &Caller,
    held: Held<'_>,
    now: i64,
) -> Result<Approval> {
    let id = auth::new_id();
    let password_hash = match held {
        Held::Password { hash, .. } => Some(hash),
        _ => None,
    };
    let token_id = match held {
        Held::NewUser { token_id, .. } | Held::Token { token_id, .. } => Some(token_id),
        Held::Password { .. } | Held::Enable { .. } => None,
    };
    db::approvals::insert(
        &mut *conn,
        &NewApproval {
            id: &id,
            action: held.action(),
            user_id: held.user_id(),
            token_id,
            password_hash,
            requested_by: &caller.user_id,
            requested_at: now,
        },
    )
    .await?;
    if let Held::Token { token_id, .. } = held {
        db::approvals::hold_token(&mut *conn, token_id, &id).await?;
    }
    Ok(Approval {
        id,
        action: held.action().to_string(),
        user_id: held.user_id().to_string(),
        token_id: token_id.map(str::to_string),
        requested_by: caller.user_id.clone(),
        requested_at: now,
        status: "pending".into(),
        decided_by: None,
        decided_at: None,
    })
}

/// Requests, newest first (at most 500); only the pending ones with `pending`. Admins.
///
/// # Errors
/// [`Error::Forbidden`], database errors.
pub async fn list(registry: &Registry, caller: &Caller, pending: bool) -> Result<Vec<Approval>> {
    caller.require(super::access::ADMINS)?;
    Ok(db::approvals::list(&registry.db, pending, 500).await?)
}

/// Approves a request: what it holds takes effect (`approval.approve`). Another admin than
/// the requester.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::NotFound`], [`Error::Conflict`] `own_request`,
/// `already_decided` or `approval_expired`, database errors.
pub async fn approve(registry: &Registry, caller: &Caller, id: &str) -> Result<Approval> {
    decide(registry, caller, id, true).await
}

/// Refuses a request: a held token is revoked, a held password forgotten, a new user left
/// inactive (`approval.refuse`). Another admin than the requester.
///
/// # Errors
/// As [`approve`], without `approval_expired`.
pub async fn refuse(registry: &Registry, caller: &Caller, id: &str) -> Result<Approval> {
    decide(registry, caller, id, false).await
}

async fn decide(registry: &Registry, caller: &Caller, id: &str, yes: bool) -> Result<Approval> {
    caller.require(super::access::ADMINS)?;
    let now = registry.clock.now();
    let mut tx = registry.db.pool.begin().await?;
    let Some((mut approval, hash)) = db::approvals::get_in(&mut tx, id).await? else {
        return Err(Error::NotFound { what: "approval" });
    };
    if approval.requested_by == caller.user_id {
        return Err(Error::conflict(
            "own_request",
            "another admin must decide this request",
        ));
    }
    if approval.status != "pending" {
        return Err(already_decided());
    }
    if yes && now >= approval.requested_at.saturating_add(APPROVAL_SECONDS) {
        return Err(Error::conflict(
            "approval_expired",
            "this request waited more than 7 days: refuse it and ask again",
        ));
    }
    let status = if yes { "approved" } else { "refused" };
    if !db::approvals::decide(&mut tx, id, status, &caller.user_id, now).await? {
        return Err(already_decided());
    }
    if yes {
        take_effect(&mut tx, &approval, hash.as_deref()).await?;
    } else if let Some(token) = &approval.token_id {
        db::tokens::revoke(&mut tx, token, now).await?;
    }
    let action = if yes {
        "approval.approve"
    } else {
        "approval.refuse"
    };
    db::audit::append(&mut tx, now, &actor(caller), action, "approval", id).await?;
    tx.commit().await?;
    approval.status = status.into();
    approval.decided_by = Some(caller.user_id.clone());
    approval.decided_at = Some(now);
    Ok(approval)
}

async fn take_effect(conn: &mut AnyConnection, a: &Approval, hash: Option<&str>) -> Result<()> {
    match a.action.as_str() {
        "user.create" | "user.enable" => {
            db::users::set_active(&mut *conn, &a.user_id, true).await?;
        }
        "token.create" => {
            if let Some(token) = &a.token_id {
                db::approvals::release_token(&mut *conn, token).await?;
            }
        }
        "user.password" => {
            let hash = hash.ok_or_else(|| {
                Error::Internal(format!("approval {} holds no password hash", a.id))
            })?;
            db::web::set_password_hash(&mut *conn, &a.user_id, hash).await?;
            db::web::delete_user_sessions(&mut *conn, &a.user_id).await?;
        }
        other => {
            return Err(Error::Internal(format!(
                "approval {} of an unknown action {other:?}",
                a.id
            )))
        }
    }
    Ok(())
}

fn already_decided() -> Error {
    Error::conflict("already_decided", "this request was decided already")
}
