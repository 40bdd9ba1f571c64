//! Patients: register, find, read, correct. Every read of patient data is audited.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};

use super::admin::actor;
use super::{ApiError, AppJson, AppQuery, AppState};
use crate::auth::{self, Caller, Role};
use crate::db::{self, patients::HistoryRow, patients::PatientRow};
use crate::names;
use crate::patient::{ascii_digits, PatientData, PatientInput};

/// Who may read patient records.
pub const READERS: &[Role] = &[Role::Registrar, Role::Clinician];

/// Routes under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/patients", get(search).post(register))
        .route("/patients/{id}", get(read).put(correct))
        .route("/patients/{id}/history", get(history))
}

/// A patient as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PatientView {
    /// Registry id.
    pub id: String,
    /// Version; send it back with a correction.
    pub version: i64,
    /// The data.
    #[serde(flatten)]
    pub data: PatientData,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

impl PatientView {
    /// From a row.
    ///
    /// # Errors
    /// A row that does not parse.
    pub fn from_row(row: &PatientRow) -> Result<PatientView, ApiError> {
        Ok(PatientView {
            id: row.id.clone(),
            version: row.version,
            data: row.data()?,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// A patient with the registrar's warnings.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Registered {
    /// The patient.
    pub patient: PatientView,
    /// Cross-check warnings (never rejections).
    pub warnings: Vec<String>,
}

fn search_keys(data: &PatientData) -> Vec<String> {
    let mut keys = names::search_keys(&data.name_ar);
    keys.extend(names::search_keys(&data.name_latin));
    keys
}

fn duplicate(e: sqlx::Error) -> ApiError {
    if db::is_unique_violation(&e) {
        ApiError::conflict(
            "duplicate_identifier",
            "a patient with this identifier is registered",
        )
    } else {
        e.into()
    }
}

/// `POST /api/v1/patients`
#[utoipa::path(
    post,
    path = "/api/v1/patients",
    summary = "Register a patient",
    tag = "patients",
    security(("bearer" = [])),
    request_body = PatientInput,
    responses(
        (status = 201, description = "Registered, with cross-check warnings", body = Registered),
        (status = 409, description = "A patient with this identifier is registered (`duplicate_identifier`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn register(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(input): AppJson<PatientInput>,
) -> Result<(StatusCode, AppJson<Registered>), ApiError> {
    caller.require(&[Role::Registrar])?;
    let registered = register_patient(&state, &caller, input).await?;
    Ok((StatusCode::CREATED, AppJson(registered)))
}

/// Validates and registers a patient, with its audit entry (`patient.create`); the caller's
/// role is checked by the caller (the API handler, the desk page).
///
/// # Errors
/// [`ApiError::Validation`] naming the field, [`ApiError::Conflict`]
/// (`duplicate_identifier`), database errors.
pub async fn register_patient(
    state: &AppState,
    caller: &Caller,
    input: PatientInput,
) -> Result<Registered, ApiError> {
    let (data, warnings) = input.validate(state.clock.today())?;
    let id = auth::new_id();
    let now = state.clock.now();
    let mut tx = state.db.pool.begin().await?;
    db::patients::insert(
        &mut tx,
        &id,
        &data,
        &search_keys(&data),
        now,
        &caller.user_id,
    )
    .await
    .map_err(duplicate)?;
    db::audit::append(
        &mut tx,
        now,
        &actor(caller),
        "patient.create",
        "patient",
        &id,
    )
    .await?;
    tx.commit().await?;
    let row = db::patients::get(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound { what: "patient" })?;
    Ok(Registered {
        patient: PatientView::from_row(&row)?,
        warnings,
    })
}

/// Search parameters: an identifier, or a name; paginated by id.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Identifier scheme, with `identifier`.
    pub id_type: Option<String>,
    /// Identifier value (any digit script).
    pub identifier: Option<String>,
    /// Name words, Arabic or Latin.
    pub name: Option<String>,
    /// Cursor: the last id of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 100 (default 20).
    pub limit: Option<i64>,
}

/// One page of results.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page {
    /// The patients.
    pub patients: Vec<PatientView>,
    /// Cursor for the next page, when there may be one.
    pub next: Option<String>,
}

/// `GET /api/v1/patients?id_type=national&identifier=...` or `?name=...`
#[utoipa::path(
    get,
    path = "/api/v1/patients",
    summary = "Find patients by identifier or name",
    tag = "patients",
    security(("bearer" = [])),
    params(SearchQuery),
    responses(
        (status = 200, description = "One page of matching patients (each read is audited)", body = Page),
    )
)]
async fn search(
    State(state): State<AppState>,
    caller: Caller,
    AppQuery(q): AppQuery<SearchQuery>,
) -> Result<AppJson<Page>, ApiError> {
    caller.require(READERS)?;
    Ok(AppJson(find(&state, &caller, &q).await?))
}

/// Finds patients by identifier or by name; every patient shown is an audited read
/// (`patient.search`). The caller's role is checked by the caller.
///
/// # Errors
/// [`ApiError::Validation`] for a bad query, database errors.
pub async fn find(state: &AppState, caller: &Caller, q: &SearchQuery) -> Result<Page, ApiError> {
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid("limit", "1 to 100"));
    }
    let rows = match (&q.identifier, &q.name) {
        (Some(identifier), None) => {
            let id_type = q.id_type.as_deref().unwrap_or("national");
            if !["national", "passport", "family_book", "registry"].contains(&id_type) {
                return Err(ApiError::invalid(
                    "id_type",
                    "national, passport, family_book or registry",
                ));
            }
            let mut value = ascii_digits(identifier.trim());
            if id_type == "national" {
                value.retain(|c| c != ' ' && c != '-');
            } else {
                value = value.to_uppercase();
            }
            db::patients::find_by_identifier(&state.db, id_type, &value)
                .await?
                .into_iter()
                .collect()
        }
        (None, Some(name)) => {
            let keys = names::query_keys(name);
            if keys.is_empty() {
                return Err(ApiError::invalid("name", "give at least one name"));
            }
            db::patients::search(
                &state.db,
                &keys,
                q.after.as_deref().unwrap_or(""),
                limit + 1,
            )
            .await?
        }
        _ => {
            return Err(ApiError::invalid(
                "identifier",
                "give either identifier or name",
            ))
        }
    };
    let more = rows.len() as i64 > limit;
    let rows: Vec<&PatientRow> = rows
        .iter()
        .take(usize::try_from(limit).unwrap_or(20))
        .collect();
    let now = state.clock.now();
    let shown: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    db::audit::append_reads(
        &state.db,
        now,
        &actor(caller),
        "patient.search",
        "patient",
        &shown,
    )
    .await?;
    Ok(Page {
        next: more.then(|| rows.last().map(|r| r.id.clone())).flatten(),
        patients: rows
            .into_iter()
            .map(PatientView::from_row)
            .collect::<Result<_, _>>()?,
    })
}

/// `GET /api/v1/patients/{id}`
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}",
    summary = "Read a patient",
    tag = "patients",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    responses(
        (status = 200, description = "The patient (the read is audited)", body = PatientView),
        (status = 404, description = "No such patient (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<AppJson<PatientView>, ApiError> {
    caller.require(READERS)?;
    let row = db::patients::get(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound { what: "patient" })?;
    db::audit::append_alone(
        &state.db,
        state.clock.now(),
        &actor(&caller),
        "patient.read",
        "patient",
        &id,
    )
    .await?;
    Ok(AppJson(PatientView::from_row(&row)?))
}

/// A correction: the version it corrects, why, and the new data.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Correction<T> {
    /// The version being corrected (from the last read).
    pub version: i64,
    /// Why (kept in the history).
    pub reason: String,
    /// The corrected data.
    pub data: T,
}

/// Checks a correction's reason.
///
/// # Errors
/// [`ApiError::Validation`] for an empty or overlong reason.
pub fn check_reason(reason: &str) -> Result<(), ApiError> {
    if reason.trim().is_empty() || reason.chars().count() > 200 {
        return Err(ApiError::invalid("reason", "1 to 200 characters"));
    }
    Ok(())
}

/// `PUT /api/v1/patients/{id}`
#[utoipa::path(
    put,
    path = "/api/v1/patients/{id}",
    summary = "Correct a patient's identity",
    tag = "patients",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    request_body = Correction<PatientInput>,
    responses(
        (status = 200, description = "Corrected; the previous version is kept", body = Registered),
        (status = 404, description = "No such patient (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Stale version (`stale_version`) or identifier taken (`duplicate_identifier`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn correct(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    AppJson(body): AppJson<Correction<PatientInput>>,
) -> Result<AppJson<Registered>, ApiError> {
    caller.require(&[Role::Registrar])?;
    check_reason(&body.reason)?;
    let (data, warnings) = body.data.validate(state.clock.today())?;
    if db::patients::get(&state.db, &id).await?.is_none() {
        return Err(ApiError::NotFound { what: "patient" });
    }
    let now = state.clock.now();
    let mut tx = state.db.pool.begin().await?;
    let keys = search_keys(&data);
    let done = db::patients::update(
        &mut tx,
        &id,
        body.version,
        &data,
        &keys,
        &body.reason,
        now,
        &caller.user_id,
    )
    .await
    .map_err(duplicate)?;
    if !done {
        return Err(ApiError::conflict(
            "stale_version",
            "the record changed since it was read; read it again and reapply the correction",
        ));
    }
    db::audit::append(
        &mut tx,
        now,
        &actor(&caller),
        "patient.correct",
        "patient",
        &id,
    )
    .await?;
    tx.commit().await?;
    let row = db::patients::get(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound { what: "patient" })?;
    Ok(AppJson(Registered {
        patient: PatientView::from_row(&row)?,
        warnings,
    }))
}

/// `GET /api/v1/patients/{id}/history`: earlier versions of the patient's identity.
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}/history",
    summary = "Earlier versions of a patient's identity",
    tag = "patients",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    responses(
        (status = 200, description = "Earlier versions, oldest first", body = Vec<HistoryRow>),
        (status = 404, description = "No such patient (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn history(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<AppJson<Vec<HistoryRow>>, ApiError> {
    caller.require(&[Role::Registrar, Role::Clinician, Role::Auditor])?;
    if db::patients::get(&state.db, &id).await?.is_none() {
        return Err(ApiError::NotFound { what: "patient" });
    }
    let rows = db::patients::history(&state.db, "patients", &id).await?;
    db::audit::append_alone(
        &state.db,
        state.clock.now(),
        &actor(&caller),
        "patient.history",
        "patient",
        &id,
    )
    .await?;
    Ok(AppJson(rows))
}
