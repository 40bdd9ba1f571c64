//! A patient's clinical record: tumours, treatments, allergies and medicine authorisations
//! (clinicians write them), and the whole record with its cards (registrars and clinicians
//! read it). Corrections carry the version they correct and a reason; the previous version is
//! kept. Withdrawing marks a record withdrawn, it never deletes it.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::Router;
use card_format::model::{Allergy, Date, DoseForm, MedicineAuthorisation, Treatment, Tumour};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use super::admin::actor;
use super::patients::{check_reason, Correction, PatientView, READERS};
use super::{ApiError, AppJson, AppState};
use crate::auth::{self, Caller, Role};
use crate::db::{self, clinical::Kind, patients::HistoryRow};

/// Routes under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/patients/{id}/record", get(record))
        .route("/patients/{id}/tumours", post(add_tumour))
        .route("/patients/{id}/treatments", post(add_treatment))
        .route("/patients/{id}/allergies", post(add_allergy))
        .route("/patients/{id}/medicines", post(add_medicine))
        .route("/tumours/{id}", put(correct_tumour))
        .route("/treatments/{id}", put(correct_treatment))
        .route("/allergies/{id}", put(correct_allergy))
        .route("/medicines/{id}", put(correct_medicine))
        .route("/{kind}/{id}/withdraw", post(withdraw))
        .route("/{kind}/{id}/history", get(history))
}

/// What a clinician sends to authorise a medicine; the registry assigns the id and records
/// the clinician as prescriber.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MedicineInput {
    /// WHO ATC code (level 5).
    pub atc: String,
    /// Medicine name (INN).
    pub name: String,
    /// Strength.
    pub strength: String,
    /// Dose form.
    pub form: DoseForm,
    /// Quantity per dispensing.
    pub quantity: u32,
    /// Number of dispensings.
    pub dispensings: u16,
    /// Minimum days between dispensings.
    pub interval_days: u16,
    /// Last valid day.
    pub valid_until: Date,
}

impl MedicineInput {
    fn with_id(&self, id: u64) -> MedicineAuthorisation {
        MedicineAuthorisation {
            id,
            atc: self.atc.clone(),
            name: self.name.clone(),
            strength: self.strength.clone(),
            form: self.form,
            quantity: self.quantity,
            dispensings: self.dispensings,
            interval_days: self.interval_days,
            valid_until: self.valid_until,
        }
    }
}

/// The id and version of a record just written.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Written {
    /// Record id.
    pub id: String,
    /// Its version now.
    pub version: i64,
}

/// A record id with its version and status, beside the record's own fields.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Versioned<T> {
    /// Id.
    pub id: String,
    /// Version.
    pub version: i64,
    /// `active` or `withdrawn`.
    pub status: String,
    /// The record.
    #[serde(flatten)]
    pub record: T,
}

/// An authorisation with its dispensing counters.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MedicineView {
    /// Version.
    pub version: i64,
    /// `active` or `withdrawn`.
    pub status: String,
    /// The authorisation.
    #[serde(flatten)]
    pub medicine: MedicineAuthorisation,
    /// Prescriber's user id.
    pub prescriber: Option<String>,
    /// Prescribing facility.
    pub facility_code: Option<String>,
    /// Dispensings recorded.
    pub dispensed_count: i64,
    /// Unix seconds of the last dispensing.
    pub last_dispensed_at: Option<i64>,
}

/// A card as listed in a record (without its bytes).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CardSummaryView {
    /// Serial.
    pub serial: String,
    /// `active`, `superseded` or `revoked`.
    pub status: String,
    /// Unix seconds.
    pub issued_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// Why it was revoked.
    pub revoked_reason: Option<String>,
}

/// The whole record.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Record {
    /// Identity.
    pub patient: PatientView,
    /// Tumours.
    pub tumours: Vec<Versioned<Tumour>>,
    /// Treatments.
    pub treatments: Vec<Versioned<Treatment>>,
    /// Allergies.
    pub allergies: Vec<Versioned<Allergy>>,
    /// Medicine authorisations.
    pub medicines: Vec<MedicineView>,
    /// Cards, newest first.
    pub cards: Vec<CardSummaryView>,
}

/// `GET /api/v1/patients/{id}/record`
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}/record",
    summary = "Read a patient's whole record",
    tag = "clinical",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    responses(
        (status = 200, description = "The whole record with its cards (the read is audited)", body = Record),
        (status = 404, description = "No such patient (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn record(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<AppJson<Record>, ApiError> {
    caller.require(READERS)?;
    Ok(AppJson(record_of(&state, &caller, &id).await?))
}

/// A patient's whole record with its cards; the read is audited (`patient.read`). Only
/// indexed reads by patient id. The caller's role is checked by the caller.
///
/// # Errors
/// [`ApiError::NotFound`], database errors.
pub async fn record_of(state: &AppState, caller: &Caller, id: &str) -> Result<Record, ApiError> {
    let row = db::patients::get(&state.db, id)
        .await?
        .ok_or(ApiError::NotFound { what: "patient" })?;
    let db = &state.db;
    let record = Record {
        patient: PatientView::from_row(&row)?,
        tumours: db::clinical::tumours(db, id)
            .await?
            .iter()
            .map(|t| {
                Ok(Versioned {
                    id: t.id.clone(),
                    version: t.version,
                    status: t.status.clone(),
                    record: t.tumour()?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?,
        treatments: db::clinical::treatments(db, id)
            .await?
            .iter()
            .map(|t| {
                Ok(Versioned {
                    id: t.id.clone(),
                    version: t.version,
                    status: t.status.clone(),
                    record: t.treatment()?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?,
        allergies: db::clinical::allergies(db, id)
            .await?
            .iter()
            .map(|a| {
                Ok(Versioned {
                    id: a.id.clone(),
                    version: a.version,
                    status: a.status.clone(),
                    record: a.allergy()?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?,
        medicines: db::clinical::medicines(db, id)
            .await?
            .iter()
            .map(|m| {
                Ok(MedicineView {
                    version: m.version,
                    status: m.status.clone(),
                    medicine: m.medicine()?,
                    prescriber: m.prescriber.clone(),
                    facility_code: m.facility_code.clone(),
                    dispensed_count: m.dispensed_count,
                    last_dispensed_at: m.last_dispensed_at,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?,
        cards: db::cards::for_patient(db, id)
            .await?
            .into_iter()
            .map(|c| CardSummaryView {
                serial: card_format::CardSerial::parse(&c.serial)
                    .map_or(c.serial.clone(), |s| s.to_string()),
                status: c.status,
                issued_at: c.issued_at,
                expires_at: c.expires_at,
                revoked_reason: c.revoked_reason,
            })
            .collect(),
    };
    db::audit::append_alone(
        &state.db,
        state.clock.now(),
        &actor(caller),
        "patient.read",
        "patient",
        id,
    )
    .await?;
    Ok(record)
}

/// The patient's birth date, or 404.
async fn birth_date(state: &AppState, patient_id: &str) -> Result<Date, ApiError> {
    let row = db::patients::get(&state.db, patient_id)
        .await?
        .ok_or(ApiError::NotFound { what: "patient" })?;
    Ok(row.data()?.birth_date)
}

/// Runs a write and its audit entry in one transaction.
async fn write<F>(
    state: &AppState,
    caller: &Caller,
    action: &str,
    entity: (&str, &str),
    f: F,
) -> Result<(), ApiError>
where
    F: for<'c> FnOnce(
        &'c mut AnyConnection,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<bool, ApiError>> + Send + 'c>,
    >,
{
    let now = state.clock.now();
    let mut tx = state.db.pool.begin().await?;
    if !f(&mut tx).await? {
        return Err(ApiError::conflict(
            "stale_version",
            "the record changed since it was read, or is withdrawn; read it again",
        ));
    }
    db::audit::append(&mut tx, now, &actor(caller), action, entity.0, entity.1).await?;
    tx.commit().await?;
    Ok(())
}

/// `POST /api/v1/patients/{id}/tumours`
#[utoipa::path(
    post,
    path = "/api/v1/patients/{id}/tumours",
    summary = "Record a tumour",
    tag = "clinical",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    request_body = Tumour,
    responses(
        (status = 201, description = "Recorded at version 1", body = Written),
        (status = 404, description = "No such patient (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn add_tumour(
    State(state): State<AppState>,
    caller: Caller,
    Path(patient_id): Path<String>,
    AppJson(tumour): AppJson<Tumour>,
) -> Result<(StatusCode, AppJson<Written>), ApiError> {
    caller.require(&[Role::Clinician])?;
    let written = create_tumour(&state, &caller, patient_id, tumour).await?;
    Ok((StatusCode::CREATED, AppJson(written)))
}

/// Validates and records a tumour (`tumour.create`). The caller's role is checked by the
/// caller.
///
/// # Errors
/// [`ApiError::Validation`], [`ApiError::NotFound`], database errors.
pub async fn create_tumour(
    state: &AppState,
    caller: &Caller,
    patient_id: String,
    tumour: Tumour,
) -> Result<Written, ApiError> {
    tumour.validate("tumour", birth_date(state, &patient_id).await?)?;
    let id = auth::new_id();
    let at = (state.clock.now(), caller.user_id.clone());
    let record_id = id.clone();
    write(state, caller, "tumour.create", ("tumour", &id), |c| {
        Box::pin(async move {
            Ok(
                db::clinical::put_tumour(c, &record_id, &patient_id, &tumour, None, (at.0, &at.1))
                    .await?,
            )
        })
    })
    .await?;
    Ok(Written { id, version: 1 })
}

/// `POST /api/v1/patients/{id}/treatments`
#[utoipa::path(
    post,
    path = "/api/v1/patients/{id}/treatments",
    summary = "Record a treatment",
    tag = "clinical",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    request_body = Treatment,
    responses(
        (status = 201, description = "Recorded at version 1", body = Written),
        (status = 404, description = "No such patient (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn add_treatment(
    State(state): State<AppState>,
    caller: Caller,
    Path(patient_id): Path<String>,
    AppJson(treatment): AppJson<Treatment>,
) -> Result<(StatusCode, AppJson<Written>), ApiError> {
    caller.require(&[Role::Clinician])?;
    let written = create_treatment(&state, &caller, patient_id, treatment).await?;
    Ok((StatusCode::CREATED, AppJson(written)))
}

/// Validates and records a treatment (`treatment.create`). The caller's role is checked by
/// the caller.
///
/// # Errors
/// [`ApiError::Validation`], [`ApiError::NotFound`], database errors.
pub async fn create_treatment(
    state: &AppState,
    caller: &Caller,
    patient_id: String,
    treatment: Treatment,
) -> Result<Written, ApiError> {
    treatment.validate("treatment")?;
    birth_date(state, &patient_id).await?;
    let id = auth::new_id();
    let at = (state.clock.now(), caller.user_id.clone());
    let record_id = id.clone();
    write(state, caller, "treatment.create", ("treatment", &id), |c| {
        Box::pin(async move {
            Ok(db::clinical::put_treatment(
                c,
                &record_id,
                &patient_id,
                &treatment,
                None,
                (at.0, &at.1),
            )
            .await?)
        })
    })
    .await?;
    Ok(Written { id, version: 1 })
}

/// `POST /api/v1/patients/{id}/allergies`
#[utoipa::path(
    post,
    path = "/api/v1/patients/{id}/allergies",
    summary = "Record an allergy",
    tag = "clinical",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    request_body = Allergy,
    responses(
        (status = 201, description = "Recorded at version 1", body = Written),
        (status = 404, description = "No such patient (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn add_allergy(
    State(state): State<AppState>,
    caller: Caller,
    Path(patient_id): Path<String>,
    AppJson(allergy): AppJson<Allergy>,
) -> Result<(StatusCode, AppJson<Written>), ApiError> {
    caller.require(&[Role::Clinician])?;
    let written = create_allergy(&state, &caller, patient_id, allergy).await?;
    Ok((StatusCode::CREATED, AppJson(written)))
}

/// Validates and records an allergy (`allergy.create`). The caller's role is checked by the
/// caller.
///
/// # Errors
/// [`ApiError::Validation`], [`ApiError::NotFound`], database errors.
pub async fn create_allergy(
    state: &AppState,
    caller: &Caller,
    patient_id: String,
    allergy: Allergy,
) -> Result<Written, ApiError> {
    allergy.validate("allergy")?;
    birth_date(state, &patient_id).await?;
    let id = auth::new_id();
    let at = (state.clock.now(), caller.user_id.clone());
    let record_id = id.clone();
    write(state, caller, "allergy.create", ("allergy", &id), |c| {
        Box::pin(async move {
            Ok(
                db::clinical::put_allergy(
                    c,
                    &record_id,
                    &patient_id,
                    &allergy,
                    None,
                    (at.0, &at.1),
                )
                .await?,
            )
        })
    })
    .await?;
    Ok(Written { id, version: 1 })
}

/// A new authorisation id: random, positive, below 2^53 so JSON clients keep it exact.
fn new_medicine_id() -> u64 {
    (OsRng.next_u64() >> 11).max(1)
}

/// `POST /api/v1/patients/{id}/medicines`
#[utoipa::path(
    post,
    path = "/api/v1/patients/{id}/medicines",
    summary = "Authorise a medicine",
    tag = "clinical",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    request_body = MedicineInput,
    responses(
        (status = 201, description = "Recorded at version 1", body = Written),
        (status = 404, description = "No such patient (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn add_medicine(
    State(state): State<AppState>,
    caller: Caller,
    Path(patient_id): Path<String>,
    AppJson(input): AppJson<MedicineInput>,
) -> Result<(StatusCode, AppJson<Written>), ApiError> {
    caller.require(&[Role::Clinician])?;
    let written = create_medicine(&state, &caller, patient_id, input).await?;
    Ok((StatusCode::CREATED, AppJson(written)))
}

/// Validates and records a medicine authorisation (`medicine.create`), prescribed by the
/// caller at the caller's facility. The caller's role is checked by the caller.
///
/// # Errors
/// [`ApiError::Validation`], [`ApiError::NotFound`], database errors.
pub async fn create_medicine(
    state: &AppState,
    caller: &Caller,
    patient_id: String,
    input: MedicineInput,
) -> Result<Written, ApiError> {
    let medicine = input.with_id(new_medicine_id());
    medicine.validate("medicine")?;
    if medicine.valid_until < state.clock.today() {
        return Err(ApiError::invalid("valid_until", "already past"));
    }
    birth_date(state, &patient_id).await?;
    let id = medicine.id.to_string();
    let at = (
        state.clock.now(),
        caller.user_id.clone(),
        caller.facility_code.clone(),
    );
    write(
        state,
        caller,
        "medicine.create",
        ("authorisation", &id),
        |c| {
            Box::pin(async move {
                Ok(db::clinical::put_medicine(
                    c,
                    &patient_id,
                    &medicine,
                    (&at.1, &at.2),
                    None,
                    (at.0, &at.1),
                )
                .await?)
            })
        },
    )
    .await?;
    Ok(Written { id, version: 1 })
}

/// The current data of a record as JSON, for the history, read before the transaction (the
/// update's version check makes it consistent: a concurrent change fails the update).
async fn current_json(
    state: &AppState,
    kind: Kind,
    patient_id: &str,
    id: &str,
) -> Result<String, ApiError> {
    let db = &state.db;
    let data = match kind {
        Kind::Tumour => serde_json::to_string(
            &find(db::clinical::tumours(db, patient_id).await?, |r| r.id == id)?.tumour()?,
        ),
        Kind::Treatment => serde_json::to_string(
            &find(db::clinical::treatments(db, patient_id).await?, |r| {
                r.id == id
            })?
            .treatment()?,
        ),
        Kind::Allergy => serde_json::to_string(
            &find(db::clinical::allergies(db, patient_id).await?, |r| {
                r.id == id
            })?
            .allergy()?,
        ),
        Kind::Medicine => serde_json::to_string(
            &find(db::clinical::medicines(db, patient_id).await?, |r| {
                r.id.to_string() == id
            })?
            .medicine()?,
        ),
    };
    data.map_err(|e| ApiError::Internal(e.to_string()))
}

fn find<T>(rows: Vec<T>, pred: impl Fn(&T) -> bool) -> Result<T, ApiError> {
    rows.into_iter()
        .find(pred)
        .ok_or(ApiError::NotFound { what: "record" })
}

fn stale() -> ApiError {
    ApiError::conflict(
        "stale_version",
        "the record changed since it was read, or is withdrawn; read it again",
    )
}

/// The boxed future a correction's update returns.
type Update<'c> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<bool, sqlx::Error>> + Send + 'c>>;

/// Applies a correction of `kind` in one transaction: history, update, audit.
async fn correction(
    state: &AppState,
    caller: &Caller,
    kind: Kind,
    id: &str,
    version: i64,
    reason: &str,
    apply: impl for<'c> FnOnce(&'c mut AnyConnection, String, (i64, String)) -> Update<'c>,
) -> Result<Written, ApiError> {
    check_reason(reason)?;
    let (patient_id, current) = db::clinical::owner(&state.db, kind, id)
        .await?
        .ok_or(ApiError::NotFound { what: "record" })?;
    if current != version {
        return Err(stale());
    }
    let previous = current_json(state, kind, &patient_id, id).await?;
    let now = state.clock.now();
    let mut tx = state.db.pool.begin().await?;
    db::patients::insert_history(
        &mut tx,
        kind.table(),
        id,
        version,
        &previous,
        reason,
        now,
        &caller.user_id,
    )
    .await
    .map_err(|e| {
        if db::is_unique_violation(&e) {
            stale()
        } else {
            e.into()
        }
    })?;
    if !apply(&mut tx, patient_id, (now, caller.user_id.clone())).await? {
        return Err(stale());
    }
    let action = format!("{}.correct", entity_name(kind));
    db::audit::append(&mut tx, now, &actor(caller), &action, entity_name(kind), id).await?;
    tx.commit().await?;
    Ok(Written {
        id: id.to_string(),
        version: version + 1,
    })
}

/// The audit log's entity name of a record kind.
pub fn entity_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Tumour => "tumour",
        Kind::Treatment => "treatment",
        Kind::Allergy => "allergy",
        Kind::Medicine => "authorisation",
    }
}

/// `PUT /api/v1/tumours/{id}`
#[utoipa::path(
    put,
    path = "/api/v1/tumours/{id}",
    summary = "Correct a tumour",
    tag = "clinical",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Record id")),
    request_body = Correction<Tumour>,
    responses(
        (status = 200, description = "Corrected; the previous version is kept in the history", body = Written),
        (status = 404, description = "No such record (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The record changed since it was read, or is withdrawn (`stale_version`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn correct_tumour(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    AppJson(body): AppJson<Correction<Tumour>>,
) -> Result<AppJson<Written>, ApiError> {
    caller.require(&[Role::Clinician])?;
    correct_tumour_as(&state, &caller, id, body)
        .await
        .map(AppJson)
}

/// Applies a correction of a tumour (`tumour.correct`), keeping the previous
/// version in the history. The caller's role is checked by the caller.
///
/// # Errors
/// [`ApiError::Validation`], [`ApiError::NotFound`], [`ApiError::Conflict`]
/// (`stale_version`), database errors.
pub async fn correct_tumour_as(
    state: &AppState,
    caller: &Caller,
    id: String,
    body: Correction<Tumour>,
) -> Result<Written, ApiError> {
    let (patient_id, _) = db::clinical::owner(&state.db, Kind::Tumour, &id)
        .await?
        .ok_or(ApiError::NotFound { what: "record" })?;
    body.data
        .validate("data", birth_date(state, &patient_id).await?)?;
    let (record_id, version, tumour) = (id.clone(), body.version, body.data);
    correction(
        state,
        caller,
        Kind::Tumour,
        &id,
        body.version,
        &body.reason,
        move |c, patient, at| {
            Box::pin(async move {
                db::clinical::put_tumour(
                    c,
                    &record_id,
                    &patient,
                    &tumour,
                    Some(version),
                    (at.0, &at.1),
                )
                .await
            })
        },
    )
    .await
}

/// `PUT /api/v1/treatments/{id}`
#[utoipa::path(
    put,
    path = "/api/v1/treatments/{id}",
    summary = "Correct a treatment",
    tag = "clinical",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Record id")),
    request_body = Correction<Treatment>,
    responses(
        (status = 200, description = "Corrected; the previous version is kept in the history", body = Written),
        (status = 404, description = "No such record (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The record changed since it was read, or is withdrawn (`stale_version`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn correct_treatment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    AppJson(body): AppJson<Correction<Treatment>>,
) -> Result<AppJson<Written>, ApiError> {
    caller.require(&[Role::Clinician])?;
    correct_treatment_as(&state, &caller, id, body)
        .await
        .map(AppJson)
}

/// Applies a correction of a treatment (`treatment.correct`), keeping the previous
/// version in the history. The caller's role is checked by the caller.
///
/// # Errors
/// [`ApiError::Validation`], [`ApiError::NotFound`], [`ApiError::Conflict`]
/// (`stale_version`), database errors.
pub async fn correct_treatment_as(
    state: &AppState,
    caller: &Caller,
    id: String,
    body: Correction<Treatment>,
) -> Result<Written, ApiError> {
    body.data.validate("data")?;
    let (record_id, version, treatment) = (id.clone(), body.version, body.data);
    correction(
        state,
        caller,
        Kind::Treatment,
        &id,
        body.version,
        &body.reason,
        move |c, patient, at| {
            Box::pin(async move {
                db::clinical::put_treatment(
                    c,
                    &record_id,
                    &patient,
                    &treatment,
                    Some(version),
                    (at.0, &at.1),
                )
                .await
            })
        },
    )
    .await
}

/// `PUT /api/v1/allergies/{id}`
#[utoipa::path(
    put,
    path = "/api/v1/allergies/{id}",
    summary = "Correct an allergy",
    tag = "clinical",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Record id")),
    request_body = Correction<Allergy>,
    responses(
        (status = 200, description = "Corrected; the previous version is kept in the history", body = Written),
        (status = 404, description = "No such record (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The record changed since it was read, or is withdrawn (`stale_version`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn correct_allergy(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    AppJson(body): AppJson<Correction<Allergy>>,
) -> Result<AppJson<Written>, ApiError> {
    caller.require(&[Role::Clinician])?;
    correct_allergy_as(&state, &caller, id, body)
        .await
        .map(AppJson)
}

/// Applies a correction of a allergy (`allergy.correct`), keeping the previous
/// version in the history. The caller's role is checked by the caller.
///
/// # Errors
/// [`ApiError::Validation`], [`ApiError::NotFound`], [`ApiError::Conflict`]
/// (`stale_version`), database errors.
pub async fn correct_allergy_as(
    state: &AppState,
    caller: &Caller,
    id: String,
    body: Correction<Allergy>,
) -> Result<Written, ApiError> {
    body.data.validate("data")?;
    let (record_id, version, allergy) = (id.clone(), body.version, body.data);
    correction(
        state,
        caller,
        Kind::Allergy,
        &id,
        body.version,
        &body.reason,
        move |c, patient, at| {
            Box::pin(async move {
                db::clinical::put_allergy(
                    c,
                    &record_id,
                    &patient,
                    &allergy,
                    Some(version),
                    (at.0, &at.1),
                )
                .await
            })
        },
    )
    .await
}

/// `PUT /api/v1/medicines/{id}`
#[utoipa::path(
    put,
    path = "/api/v1/medicines/{id}",
    summary = "Correct a medicine authorisation",
    tag = "clinical",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Record id")),
    request_body = Correction<MedicineInput>,
    responses(
        (status = 200, description = "Corrected; the previous version is kept in the history", body = Written),
        (status = 404, description = "No such record (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The record changed since it was read, or is withdrawn (`stale_version`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn correct_medicine(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    AppJson(body): AppJson<Correction<MedicineInput>>,
) -> Result<AppJson<Written>, ApiError> {
    caller.require(&[Role::Clinician])?;
    correct_medicine_as(&state, &caller, id, body)
        .await
        .map(AppJson)
}

/// Applies a correction of a medicine (`authorisation.correct`), keeping the previous
/// version in the history. The caller's role is checked by the caller.
///
/// # Errors
/// [`ApiError::Validation`], [`ApiError::NotFound`], [`ApiError::Conflict`]
/// (`stale_version`), database errors.
pub async fn correct_medicine_as(
    state: &AppState,
    caller: &Caller,
    id: String,
    body: Correction<MedicineInput>,
) -> Result<Written, ApiError> {
    let numeric: u64 = id
        .parse()
        .map_err(|_| ApiError::NotFound { what: "record" })?;
    let medicine = body.data.with_id(numeric);
    medicine.validate("data")?;
    let (version, facility) = (body.version, caller.facility_code.clone());
    correction(
        state,
        caller,
        Kind::Medicine,
        &id,
        body.version,
        &body.reason,
        move |c, patient, at| {
            Box::pin(async move {
                db::clinical::put_medicine(
                    c,
                    &patient,
                    &medicine,
                    (&at.1, &facility),
                    Some(version),
                    (at.0, &at.1),
                )
                .await
            })
        },
    )
    .await
}

/// The record kinds of the `/{kind}/{id}/withdraw` and `/{kind}/{id}/history` paths.
#[derive(Debug, Clone, Copy, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum RecordKind {
    /// Tumours.
    Tumours,
    /// Treatments.
    Treatments,
    /// Allergies.
    Allergies,
    /// Medicine authorisations.
    Medicines,
}

/// The record kind named in a path (`tumours`, `treatments`, `allergies`, `medicines`).
///
/// # Errors
/// [`ApiError::NotFound`] for another name.
pub fn kind_from_path(kind: &str) -> Result<Kind, ApiError> {
    match kind {
        "tumours" => Ok(Kind::Tumour),
        "treatments" => Ok(Kind::Treatment),
        "allergies" => Ok(Kind::Allergy),
        "medicines" => Ok(Kind::Medicine),
        _ => Err(ApiError::NotFound {
            what: "record kind",
        }),
    }
}

/// A withdrawal.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Withdrawal {
    /// The version being withdrawn.
    pub version: i64,
    /// Why.
    pub reason: String,
}

/// `POST /api/v1/{tumours|treatments|allergies|medicines}/{id}/withdraw`
#[utoipa::path(
    post,
    path = "/api/v1/{kind}/{id}/withdraw",
    summary = "Withdraw a clinical record",
    tag = "clinical",
    security(("bearer" = [])),
    params(
        ("kind" = RecordKind, Path, description = "The kind of record"),
        ("id" = String, Path, description = "Record id"),
    ),
    request_body = Withdrawal,
    responses(
        (status = 200, description = "Withdrawn (kept, marked withdrawn)", body = Written),
        (status = 404, description = "No such record or kind (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The record changed since it was read, or is withdrawn (`stale_version`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn withdraw(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, id)): Path<(String, String)>,
    AppJson(body): AppJson<Withdrawal>,
) -> Result<AppJson<Written>, ApiError> {
    let kind = kind_from_path(&kind)?;
    caller.require(&[Role::Clinician])?;
    check_reason(&body.reason)?;
    db::clinical::owner(&state.db, kind, &id)
        .await?
        .ok_or(ApiError::NotFound { what: "record" })?;
    let action = format!("{}.withdraw", entity_name(kind));
    let (record_id, version, reason, at) = (
        id.clone(),
        body.version,
        body.reason.clone(),
        (state.clock.now(), caller.user_id.clone()),
    );
    write(&state, &caller, &action, (entity_name(kind), &id), |c| {
        Box::pin(async move {
            Ok(
                db::clinical::withdraw(c, kind, &record_id, version, &reason, (at.0, &at.1))
                    .await?,
            )
        })
    })
    .await?;
    Ok(AppJson(Written {
        id,
        version: body.version + 1,
    }))
}

/// `GET /api/v1/{tumours|treatments|allergies|medicines}/{id}/history`
#[utoipa::path(
    get,
    path = "/api/v1/{kind}/{id}/history",
    summary = "Earlier versions of a clinical record",
    tag = "clinical",
    security(("bearer" = [])),
    params(
        ("kind" = RecordKind, Path, description = "The kind of record"),
        ("id" = String, Path, description = "Record id"),
    ),
    responses(
        (status = 200, description = "Earlier versions, oldest first", body = Vec<HistoryRow>),
        (status = 404, description = "No such record or kind (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn history(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, id)): Path<(String, String)>,
) -> Result<AppJson<Vec<HistoryRow>>, ApiError> {
    let kind = kind_from_path(&kind)?;
    caller.require(&[Role::Registrar, Role::Clinician, Role::Auditor])?;
    Ok(AppJson(history_of(&state, &caller, kind, &id).await?))
}

/// The earlier versions of a clinical record, with the patient it belongs to; the read is
/// audited (`record.history`). The caller's role is checked by the caller.
///
/// # Errors
/// [`ApiError::NotFound`], database errors.
pub async fn history_of(
    state: &AppState,
    caller: &Caller,
    kind: Kind,
    id: &str,
) -> Result<Vec<HistoryRow>, ApiError> {
    db::clinical::owner(&state.db, kind, id)
        .await?
        .ok_or(ApiError::NotFound { what: "record" })?;
    let rows = db::patients::history(&state.db, kind.table(), id).await?;
    db::audit::append_alone(
        &state.db,
        state.clock.now(),
        &actor(caller),
        "record.history",
        entity_name(kind),
        id,
    )
    .await?;
    Ok(rows)
}
