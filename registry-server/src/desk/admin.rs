//! The administrator's pages (issue #15): the requests waiting for a second admin, with
//! approve and refuse; users, with disable and enable and a form for a new one (its token
//! shown once); facilities; the trust bundle's state and the published issuer keys; and a
//! user's tokens, with revoke. Every action is the API's own domain operation
//! ([`crate::domain::credentials`], [`crate::domain::approvals`]), audited the same way.

use std::collections::HashMap;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::{render, time_of, Chrome, DeskError, DeskUser};
use crate::auth::Role;
use crate::domain::access::{self, ADMINS};
use crate::domain::credentials::{self, NewUser};
use crate::domain::{approvals, issuers, trust, Error, Registry};

/// Routes under `/desk`.
pub fn router() -> Router<Registry> {
    Router::new()
        .route("/admin", get(page))
        .route("/admin/users", post(create_user))
        .route("/admin/users/{id}", get(user_page))
        .route("/admin/users/{id}/{action}", post(user_action))
        .route("/admin/approvals/{id}/{decision}", post(decide))
        .route("/admin/tokens/{id}/revoke", post(revoke))
}

/// A request, display-ready.
#[derive(Debug)]
struct RequestRow {
    id: String,
    action: String,
    user: String,
    requested_by: String,
    at: String,
    /// The caller asked: another admin decides.
    own: bool,
}

/// A user, display-ready.
#[derive(Debug)]
struct UserRow {
    id: String,
    username: String,
    display_name: String,
    role_key: String,
    facility: String,
    active: bool,
    own: bool,
}

/// A facility, display-ready.
#[derive(Debug)]
struct FacilityRow {
    code: String,
    name: String,
    region: String,
    kind: String,
}

/// A published issuer key, display-ready.
#[derive(Debug)]
struct IssuerRow {
    kid: String,
    issuer_id: String,
    region: String,
    from: String,
    until: String,
    revoked: bool,
}

/// What a new user's form made, shown once.
#[derive(Debug)]
struct Made {
    username: String,
    token: String,
    waits: bool,
}

#[derive(Template)]
#[template(path = "desk/admin.html")]
struct AdminPage {
    c: Chrome,
    done: Option<&'static str>,
    error: Option<&'static str>,
    made: Option<Made>,
    requests: Vec<RequestRow>,
    users: Vec<UserRow>,
    facilities: Vec<FacilityRow>,
    roles: Vec<(&'static str, String)>,
    sequence: i64,
    bundle_bytes: usize,
    etag: String,
    issuers: Vec<IssuerRow>,
}

/// A token, display-ready.
#[derive(Debug)]
struct TokenItem {
    id: String,
    created: String,
    expires: String,
    revoked: Option<String>,
    held: bool,
}

#[derive(Template)]
#[template(path = "desk/admin_user.html")]
struct UserPage {
    c: Chrome,
    done: Option<&'static str>,
    user: UserRow,
    tokens: Vec<TokenItem>,
}

/// The page's query: what was just done.
#[derive(Debug, Deserialize)]
struct Done {
    done: Option<String>,
}

fn done_key(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "approved" => Some("admin.done.approved"),
        "refused" => Some("admin.done.refused"),
        "disabled" => Some("admin.done.disabled"),
        "requested" => Some("admin.done.requested"),
        "revoked" => Some("admin.done.revoked"),
        _ => None,
    }
}

async fn show(
    state: &Registry,
    user: &DeskUser,
    done: Option<&'static str>,
    error: Option<&'static str>,
    made: Option<Made>,
    status: StatusCode,
) -> Result<Response, DeskError> {
    user.require(ADMINS)?;
    let fail = |e| user.fail(e);
    let users = credentials::users(state, &user.caller)
        .await
        .map_err(fail)?;
    let name_of = |id: &str| {
        users
            .iter()
            .find(|u| u.id == id)
            .map_or_else(|| id.to_string(), |u| u.username.clone())
    };
    let requests = approvals::list(state, &user.caller, true)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|a| RequestRow {
            own: a.requested_by == user.caller.user_id,
            user: name_of(&a.user_id),
            requested_by: name_of(&a.requested_by),
            at: time_of(a.requested_at),
            action: a.action,
            id: a.id,
        })
        .collect();
    let facilities = access::facilities(state, &user.caller)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|f| FacilityRow {
            code: f.code,
            name: f.name,
            region: f.region,
            kind: f.kind,
        })
        .collect();
    let bundle = trust::current(state).await.map_err(fail)?;
    let issuers = issuers::list(state, &user.caller)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|i| IssuerRow {
            kid: i.kid,
            issuer_id: i.issuer_id,
            region: i.region,
            from: super::date_of(i64::try_from(i.not_before).unwrap_or(i64::MAX)),
            until: super::date_of(i64::try_from(i.not_after).unwrap_or(i64::MAX)),
            revoked: i.revoked,
        })
        .collect();
    let page = AdminPage {
        c: Chrome::for_user(user, "/desk/admin", "admin.title", "/desk/admin"),
        done,
        error,
        made,
        requests,
        users: users.iter().map(|u| row_of(u, user)).collect(),
        facilities,
        // Every role an admin may give, the admin role last.
        roles: Role::ALL
            .iter()
            .filter(|r| **r != Role::Admin)
            .chain(std::iter::once(&Role::Admin))
            .map(|r| (r.as_str(), format!("role.{}", r.as_str())))
            .collect(),
        sequence: bundle.sequence,
        bundle_bytes: bundle.bytes.len(),
        etag: bundle.etag.trim_matches('"').to_string(),
        issuers,
    };
    render(user.lang, status, &page)
}

fn row_of(u: &crate::db::users::User, caller: &DeskUser) -> UserRow {
    UserRow {
        id: u.id.clone(),
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        role_key: format!("role.{}", u.role),
        facility: u.facility_code.clone(),
        active: u.active == 1,
        own: u.id == caller.caller.user_id,
    }
}

/// `GET /desk/admin`
async fn page(
    State(state): State<Registry>,
    user: DeskUser,
    Query(q): Query<Done>,
) -> Result<Response, DeskError> {
    let done = done_key(q.done.as_deref());
    show(&state, &user, done, None, None, StatusCode::OK).await
}

/// A refusal shown on the admin page (a conflict, a field), or the error page.
async fn refused(state: &Registry, user: &DeskUser, e: Error) -> Result<Response, DeskError> {
    let (key, status) = match &e {
        Error::Conflict { code, .. } => (super::conflict_key(code), StatusCode::CONFLICT),
        Error::Validation { .. } => ("admin.invalid_user", super::clinical::UNPROCESSABLE),
        _ => return Err(user.fail(e)),
    };
    show(state, user, None, Some(key), None, status).await
}

fn field(values: &HashMap<String, String>, name: &str) -> String {
    values
        .get(name)
        .map(|v| v.trim().to_string())
        .unwrap_or_default()
}

/// `POST /desk/admin/users`: `username`, `display_name`, `role`, `facility_code`. The token
/// is shown on the page that answers, once.
async fn create_user(
    State(state): State<Registry>,
    user: DeskUser,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, DeskError> {
    let values = user.posted(form, ADMINS)?;
    let Some(role) = Role::from_name(&field(&values, "role")) else {
        return show(
            &state,
            &user,
            None,
            Some("admin.invalid_user"),
            None,
            super::clinical::UNPROCESSABLE,
        )
        .await;
    };
    let body = NewUser {
        username: field(&values, "username"),
        display_name: field(&values, "display_name"),
        role,
        facility_code: field(&values, "facility_code"),
    };
    match credentials::create_user(&state, &user.caller, body).await {
        Ok(made) => {
            let made = Made {
                username: made.user.username,
                token: made.token,
                waits: made.approval.is_some(),
            };
            show(&state, &user, None, None, Some(made), StatusCode::CREATED).await
        }
        Err(e) => refused(&state, &user, e).await,
    }
}

/// `GET /desk/admin/users/{id}`: the user and their tokens.
async fn user_page(
    State(state): State<Registry>,
    user: DeskUser,
    Path(id): Path<String>,
    Query(q): Query<Done>,
) -> Result<Response, DeskError> {
    user.require(ADMINS)?;
    let fail = |e| user.fail(e);
    let users = credentials::users(&state, &user.caller)
        .await
        .map_err(fail)?;
    let shown = users
        .iter()
        .find(|u| u.id == id)
        .ok_or_else(|| user.fail(Error::NotFound { what: "user" }))?;
    let tokens = credentials::tokens(&state, &user.caller, &id)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|t| TokenItem {
            id: t.id,
            created: time_of(t.created_at),
            expires: time_of(t.expires_at),
            revoked: t.revoked_at.map(time_of),
            held: t.held_by.is_some(),
        })
        .collect();
    let page = UserPage {
        c: Chrome::for_user(
            &user,
            &format!("/desk/admin/users/{id}"),
            "admin.user_title",
            "/desk/admin",
        ),
        done: done_key(q.done.as_deref()),
        user: row_of(shown, &user),
        tokens,
    };
    render(user.lang, StatusCode::OK, &page)
}

/// `POST /desk/admin/users/{id}/disable` or `/enable` (the latter a request a second admin
/// approves).
async fn user_action(
    State(state): State<Registry>,
    user: DeskUser,
    Path((id, action)): Path<(String, String)>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, DeskError> {
    user.posted(form, ADMINS)?;
    let active = match action.as_str() {
        "disable" => false,
        "enable" => true,
        _ => return Err(user.fail(Error::NotFound { what: "action" })),
    };
    match credentials::set_active(&state, &user.caller, &id, active).await {
        Ok(None) => Ok(Redirect::to("/desk/admin?done=disabled").into_response()),
        Ok(Some(_)) => Ok(Redirect::to("/desk/admin?done=requested").into_response()),
        Err(e) => refused(&state, &user, e).await,
    }
}

/// `POST /desk/admin/approvals/{id}/approve` or `/refuse`.
async fn decide(
    State(state): State<Registry>,
    user: DeskUser,
    Path((id, decision)): Path<(String, String)>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, DeskError> {
    user.posted(form, ADMINS)?;
    let decided = match decision.as_str() {
        "approve" => approvals::approve(&state, &user.caller, &id).await,
        "refuse" => approvals::refuse(&state, &user.caller, &id).await,
        _ => return Err(user.fail(Error::NotFound { what: "decision" })),
    };
    match decided {
        Ok(a) if a.status == "approved" => {
            Ok(Redirect::to("/desk/admin?done=approved").into_response())
        }
        Ok(_) => Ok(Redirect::to("/desk/admin?done=refused").into_response()),
        Err(e) => refused(&state, &user, e).await,
    }
}

/// `POST /desk/admin/tokens/{id}/revoke` (`user`: whose page to go back to).
async fn revoke(
    State(state): State<Registry>,
    user: DeskUser,
    Path(id): Path<String>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, DeskError> {
    let values = user.posted(form, ADMINS)?;
    let owner = field(&values, "user");
    match credentials::revoke_token(&state, &user.caller, &id).await {
        Ok(()) => {
            let back = if owner.chars().all(|c| c.is_ascii_alphanumeric()) && !owner.is_empty() {
                format!("/desk/admin/users/{owner}?done=revoked")
            } else {
                "/desk/admin?done=revoked".to_string()
            };
            Ok(Redirect::to(&back).into_response())
        }
        Err(e) => refused(&state, &user, e).await,
    }
}
