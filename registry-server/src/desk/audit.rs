//! The audit log page (auditors): filter by user, action, entity and dates, page through
//! the entries, and verify the hash chain on request. Reading it is itself audited
//! (`audit.read`), as the API's read is.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::{parse_date, percent_encode, render, time_of, Chrome, DeskError, DeskUser, FormState};
use crate::auth::Role;
use crate::db::audit::{ChainReport, Filter};
use crate::domain::{audit, Registry};

/// Entries per page.
const PAGE: i64 = 50;

/// Routes under `/desk`.
pub fn router() -> Router<Registry> {
    Router::new().route("/audit", get(page))
}

/// One entry, display-ready.
#[derive(Debug)]
struct Row {
    seq: i64,
    at: String,
    user_id: String,
    role: String,
    facility: String,
    action: String,
    entity_type: String,
    entity_id: String,
}

#[derive(Template)]
#[template(path = "desk/audit.html")]
struct AuditPage {
    c: Chrome,
    f: FormState,
    rows: Vec<Row>,
    next: Option<String>,
    chain: Option<ChainReport>,
    verify_href: String,
}

/// `GET /desk/audit?user_id=&action=&entity_type=&entity_id=&from=&until=&after=&verify=1`
async fn page(
    State(state): State<Registry>,
    user: DeskUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, DeskError> {
    user.require(&[Role::Auditor])?;
    let lang = user.lang;
    let mut f = FormState::with_values("a", q);
    let day = |f: &mut FormState, name: &str| -> Option<i64> {
        let text = f.opt(name)?;
        match parse_date(&text) {
            Some(d) => Some(i64::from(d.0) * 86_400),
            None => {
                f.fail(name, lang.t("invalid.date"));
                None
            }
        }
    };
    let from = day(&mut f, "from");
    let until = day(&mut f, "until");
    let filter = Filter {
        user_id: f.opt("user_id"),
        action: f.opt("action"),
        entity_type: f.opt("entity_type"),
        entity_id: f.opt("entity_id"),
        from,
        until,
        after: super::parse_number(f.v("after")),
        limit: Some(PAGE),
    };
    let entries = audit::read(&state, &user.caller, (!f.has_errors()).then_some(&filter))
        .await
        .map_err(|e| user.fail(e))?;
    let chain = if f.v("verify") == "1" {
        Some(
            audit::verify(&state, &user.caller)
                .await
                .map_err(|e| user.fail(e))?,
        )
    } else {
        None
    };
    let query_of = |extra: &str| {
        let mut link = String::from("/desk/audit?");
        for k in [
            "user_id",
            "action",
            "entity_type",
            "entity_id",
            "from",
            "until",
        ] {
            if let Some(v) = f.opt(k) {
                link.push_str(&format!("{k}={}&", percent_encode(&v)));
            }
        }
        link.push_str(extra);
        link
    };
    let next = (entries.len() as i64 == PAGE)
        .then(|| {
            entries
                .last()
                .map(|e| query_of(&format!("after={}", e.seq)))
        })
        .flatten();
    let verify_href = query_of("verify=1");
    let rows = entries
        .into_iter()
        .map(|e| Row {
            seq: e.seq,
            at: time_of(e.at),
            user_id: e.user_id,
            role: e.role,
            facility: e.facility_code,
            action: e.action,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
        })
        .collect();
    let status = if f.has_errors() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = AuditPage {
        c: Chrome::for_user(&user, "/desk/audit", "audit.title", "/desk/audit"),
        f,
        rows,
        next,
        chain,
        verify_href,
    };
    render(lang, status, &page)
}
