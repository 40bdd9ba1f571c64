//! One patient, one record at the desk ([`crate::domain::linkage`]): the review queue of
//! candidate duplicate pairs side by side with the score's reasons, where a registrar merges
//! a pair (choosing the record kept) or marks it two people; the latest merges, which an
//! auditor can undo; and the record page's "find duplicates" button.

use std::collections::HashMap;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::{render, Chrome, DeskError, DeskUser, Lang};
use crate::auth::Role;
use crate::domain::linkage::merge::{self, MergeView, UNMERGERS};
use crate::domain::linkage::{self, PairView, ReasonView, REGISTRARS};
use crate::domain::patients::PatientView;
use crate::domain::{Error, Registry};

/// Routes under `/desk`.
pub fn router() -> Router<Registry> {
    Router::new()
        .route("/duplicates", get(page))
        .route("/duplicates/merge", post(merge_pair))
        .route("/duplicates/distinct", post(distinct))
        .route("/patients/{id}/duplicates", post(find))
        .route("/merges/{id}/unmerge", post(unmerge))
}

/// One side of a pair, display-ready.
#[derive(Debug)]
struct Side {
    id: String,
    href: String,
    name_ar: String,
    name_latin: String,
    identifier: String,
    birth_date: String,
    sex: String,
    municipality: String,
}

impl Side {
    fn of(lang: Lang, p: &PatientView) -> Side {
        let d = &p.data;
        let sex = name(&d.sex);
        Side {
            id: p.id.clone(),
            href: format!("/desk/patients/{}", p.id),
            name_ar: d.name_ar.join(" "),
            name_latin: d.name_latin.join(" "),
            identifier: format!(
                "{} {}",
                lang.try_t(&format!("idtype.{}", name(&d.id.kind)))
                    .unwrap_or(""),
                d.id.value
            ),
            birth_date: d.birth_date.to_string(),
            sex: lang
                .try_t(&format!("sex.{sex}"))
                .map_or(sex.clone(), String::from),
            municipality: d.municipality.clone().unwrap_or_default(),
        }
    }
}

/// A serde enum's name (`female`, `national`).
fn name(v: &impl serde::Serialize) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// A pair, display-ready.
#[derive(Debug)]
struct Pair {
    a: Side,
    b: Side,
    score: i64,
    reasons: Vec<String>,
}

fn reason_text(lang: Lang, r: &ReasonView) -> String {
    let text = match lang {
        Lang::Ar => &r.message_ar,
        Lang::En => &r.message_en,
    };
    format!("{text} ({:+})", r.points)
}

fn pair_of(lang: Lang, p: &PairView) -> Pair {
    Pair {
        a: Side::of(lang, &p.a),
        b: Side::of(lang, &p.b),
        score: p.score,
        reasons: p.reasons.iter().map(|r| reason_text(lang, r)).collect(),
    }
}

/// A merge, display-ready.
#[derive(Debug)]
struct MergeItem {
    id: String,
    survivor_href: String,
    merged_href: String,
    reason: String,
    moved: String,
    at: String,
    undone: bool,
}

fn merge_of(m: &MergeView) -> MergeItem {
    MergeItem {
        id: m.id.clone(),
        survivor_href: format!("/desk/patients/{}", m.survivor_id),
        merged_href: format!("/desk/patients/{}", m.merged_id),
        reason: m.reason.clone(),
        moved: m
            .moved
            .iter()
            .map(|(table, keys)| format!("{table}: {}", keys.len()))
            .collect::<Vec<_>>()
            .join(", "),
        at: super::date_of(m.merged_at),
        undone: m.unmerged_at.is_some(),
    }
}

#[derive(Template)]
#[template(path = "desk/duplicates.html")]
struct DuplicatesPage {
    c: Chrome,
    pairs: Vec<Pair>,
    merges: Vec<MergeItem>,
    done: Option<&'static str>,
    error: Option<&'static str>,
    is_registrar: bool,
    is_auditor: bool,
}

/// The page's query: what was just done.
#[derive(Debug, Deserialize)]
struct Done {
    done: Option<String>,
}

async fn show(
    state: &Registry,
    user: &DeskUser,
    done: Option<&str>,
    error: Option<&'static str>,
    status: StatusCode,
) -> Result<Response, DeskError> {
    let pairs = linkage::queue(state, &user.caller, "open", 0)
        .await
        .map_err(|e| user.fail(e))?;
    let merges = merge::merges(state, &user.caller, None)
        .await
        .map_err(|e| user.fail(e))?;
    let done = match done {
        Some("distinct") => Some("dup.distinct_done"),
        Some("unmerged") => Some("dup.unmerged_done"),
        Some("found") => Some("dup.found_done"),
        _ => None,
    };
    let page = DuplicatesPage {
        c: Chrome::for_user(user, "/desk/duplicates", "dup.title", "/desk/duplicates"),
        pairs: pairs.iter().map(|p| pair_of(user.lang, p)).collect(),
        merges: merges.iter().map(merge_of).collect(),
        done,
        error,
        is_registrar: user.caller.role == Role::Registrar,
        is_auditor: user.caller.role == Role::Auditor,
    };
    render(user.lang, status, &page)
}

/// `GET /desk/duplicates`
async fn page(
    State(state): State<Registry>,
    user: DeskUser,
    Query(q): Query<Done>,
) -> Result<Response, DeskError> {
    show(&state, &user, q.done.as_deref(), None, StatusCode::OK).await
}

/// A refusal shown on the queue page, or the error page for anything else.
async fn refused(state: &Registry, user: &DeskUser, e: Error) -> Result<Response, DeskError> {
    match e {
        Error::Validation { field, .. } if field == "reason" => {
            show(
                state,
                user,
                None,
                Some("dup.reason_required"),
                super::clinical::UNPROCESSABLE,
            )
            .await
        }
        Error::Conflict { code, .. } => {
            show(
                state,
                user,
                None,
                Some(super::conflict_key(code)),
                StatusCode::CONFLICT,
            )
            .await
        }
        e => Err(user.fail(e)),
    }
}

fn field(values: &HashMap<String, String>, name: &str) -> String {
    values
        .get(name)
        .map(|v| v.trim().to_string())
        .unwrap_or_default()
}

/// `POST /desk/duplicates/merge`: `a`, `b`, `keep` (`a` or `b`: the record kept), `reason`.
async fn merge_pair(
    State(state): State<Registry>,
    user: DeskUser,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, DeskError> {
    let values = user.posted(form, REGISTRARS)?;
    let (a, b) = (field(&values, "a"), field(&values, "b"));
    let (survivor, merged) = if field(&values, "keep") == "b" {
        (b, a)
    } else {
        (a, b)
    };
    match merge::merge(
        &state,
        &user.caller,
        &survivor,
        &merged,
        &field(&values, "reason"),
    )
    .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/desk/patients/{survivor}?done=merged")).into_response())
        }
        Err(e) => refused(&state, &user, e).await,
    }
}

/// `POST /desk/duplicates/distinct`: `a`, `b`.
async fn distinct(
    State(state): State<Registry>,
    user: DeskUser,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, DeskError> {
    let values = user.posted(form, REGISTRARS)?;
    match linkage::distinct(
        &state,
        &user.caller,
        &field(&values, "a"),
        &field(&values, "b"),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/desk/duplicates?done=distinct").into_response()),
        Err(e) => refused(&state, &user, e).await,
    }
}

/// `POST /desk/patients/{id}/duplicates`: search now; the pairs found join the queue.
async fn find(
    State(state): State<Registry>,
    user: DeskUser,
    Path(id): Path<String>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, DeskError> {
    user.posted(form, REGISTRARS)?;
    linkage::of_patient(&state, &user.caller, &id)
        .await
        .map_err(|e| user.fail(e))?;
    Ok(Redirect::to("/desk/duplicates?done=found").into_response())
}

/// `POST /desk/merges/{id}/unmerge`: `reason`. Auditors.
async fn unmerge(
    State(state): State<Registry>,
    user: DeskUser,
    Path(id): Path<String>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, DeskError> {
    let values = user.posted(form, UNMERGERS)?;
    match merge::unmerge(&state, &user.caller, &id, &field(&values, "reason")).await {
        Ok(_) => Ok(Redirect::to("/desk/duplicates?done=unmerged").into_response()),
        Err(e) => refused(&state, &user, e).await,
    }
}
