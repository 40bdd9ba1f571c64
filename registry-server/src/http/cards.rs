//! Cards: issue, fetch (metadata, signed bytes, QR text), status for insurers and pharmacies,
//! revoke.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use card_format::CardSerial;
use serde::{Deserialize, Serialize};

use super::admin::actor;
use super::{ApiError, AppJson, AppQuery, AppState};
use crate::auth::{Caller, Role};
use crate::db::{self, cards::CardRow};
use crate::issuance::{self, IssuedCard};

/// Routes under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/patients/{id}/cards", post(issue))
        .route("/cards/{serial}", get(metadata))
        .route("/cards/{serial}/cose", get(cose))
        .route("/cards/{serial}/qr", get(qr))
        .route("/cards/{serial}/status", get(status))
        .route("/cards/{serial}/revoke", post(revoke))
}

/// `POST /api/v1/patients/{id}/cards`: issue a card (supersedes the current one).
#[utoipa::path(
    post,
    path = "/api/v1/patients/{id}/cards",
    summary = "Issue a card",
    tag = "cards",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    responses(
        (status = 201, description = "Issued; the patient's previous card is superseded", body = IssuedCard),
        (status = 404, description = "No such patient (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The record holds more than a card can carry", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn issue(
    State(state): State<AppState>,
    caller: Caller,
    Path(patient_id): Path<String>,
) -> Result<(StatusCode, AppJson<IssuedCard>), ApiError> {
    caller.require(&[Role::Registrar])?;
    let card = issuance::issue(&state, &caller, &patient_id).await?;
    state.metrics.cards_issued.inc();
    Ok((StatusCode::CREATED, AppJson(card)))
}

async fn load(state: &AppState, serial: &str) -> Result<CardRow, ApiError> {
    let serial = CardSerial::parse(serial).map_err(|_| ApiError::NotFound { what: "card" })?;
    db::cards::get(&state.db, &serial.to_compact())
        .await?
        .ok_or(ApiError::NotFound { what: "card" })
}

/// Loads a card for `caller` and records the read in the audit log (cards lead to patients).
async fn load_audited(
    state: &AppState,
    caller: &Caller,
    serial: &str,
    action: &str,
) -> Result<CardRow, ApiError> {
    let c = load(state, serial).await?;
    db::audit::append_alone(
        &state.db,
        state.clock.now(),
        &actor(caller),
        action,
        "card",
        &c.serial,
    )
    .await?;
    Ok(c)
}

/// A card's metadata.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CardView {
    /// Serial.
    pub serial: String,
    /// Patient id.
    pub patient_id: String,
    /// Issuing key id, hex.
    pub issuer_kid: String,
    /// `active`, `superseded` or `revoked`.
    pub status: String,
    /// Unix seconds.
    pub issued_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// The card that replaced it.
    pub superseded_by: Option<String>,
    /// Why it was revoked.
    pub revoked_reason: Option<String>,
    /// Unix seconds.
    pub revoked_at: Option<i64>,
}

fn display_serial(compact: &str) -> String {
    CardSerial::parse(compact).map_or_else(|_| compact.to_string(), |s| s.to_string())
}

/// `GET /api/v1/cards/{serial}` (registrar).
#[utoipa::path(
    get,
    path = "/api/v1/cards/{serial}",
    summary = "Read a card's metadata",
    tag = "cards",
    security(("bearer" = [])),
    params(("serial" = String, Path, description = "Card serial, `XXXX-XXXX-XXXX-XXXX` (hyphens optional)")),
    responses(
        (status = 200, description = "The card's metadata (the read is audited)", body = CardView),
        (status = 404, description = "No such card (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn metadata(
    State(state): State<AppState>,
    caller: Caller,
    Path(serial): Path<String>,
) -> Result<AppJson<CardView>, ApiError> {
    caller.require(&[Role::Registrar])?;
    let c = load_audited(&state, &caller, &serial, "card.read").await?;
    Ok(AppJson(CardView {
        serial: display_serial(&c.serial),
        patient_id: c.patient_id,
        issuer_kid: c.issuer_kid,
        status: c.status,
        issued_at: c.issued_at,
        expires_at: c.expires_at,
        superseded_by: c.superseded_by.as_deref().map(display_serial),
        revoked_reason: c.revoked_reason,
        revoked_at: c.revoked_at,
    }))
}

/// Options of `GET /cards/{serial}/cose`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CoseQuery {
    /// Carry the issuer certificate in the unprotected header (for smart cards, which must
    /// verify with the root key alone). Default true.
    pub certificate: Option<bool>,
}

/// `GET /api/v1/cards/{serial}/cose` (registrar): the signed bytes, `application/cose`.
#[utoipa::path(
    get,
    path = "/api/v1/cards/{serial}/cose",
    summary = "Fetch a card's signed bytes",
    tag = "cards",
    security(("bearer" = [])),
    params(("serial" = String, Path, description = "Card serial, `XXXX-XXXX-XXXX-XXXX` (hyphens optional)"), CoseQuery),
    responses(
        (status = 200, description = "The signed card (COSE_Sign1), for writing to a smart card",
            content_type = "application/cose; cose-type=\"cose-sign1\"", body = Vec<u8>),
        (status = 404, description = "No such card (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn cose(
    State(state): State<AppState>,
    caller: Caller,
    Path(serial): Path<String>,
    AppQuery(q): AppQuery<CoseQuery>,
) -> Result<Response, ApiError> {
    caller.require(&[Role::Registrar])?;
    let bytes = signed_card(&state, &caller, &serial, q.certificate.unwrap_or(true)).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/cose; cose-type=\"cose-sign1\"",
        )],
        bytes,
    )
        .into_response())
}

/// A card's signed bytes, with the issuer certificate in the unprotected header when
/// `certificate` is true and the registry's own key signed it; the read is audited
/// (`card.read`). The caller's role is checked by the caller.
///
/// # Errors
/// [`ApiError::NotFound`], database errors.
pub async fn signed_card(
    state: &AppState,
    caller: &Caller,
    serial: &str,
    certificate: bool,
) -> Result<Vec<u8>, ApiError> {
    let c = load_audited(state, caller, serial, "card.read").await?;
    let certificate = certificate
        .then_some(state.signing.issuer_certificate.as_slice())
        .filter(|_| c.issuer_kid == state.signing.issuer_info.kid().to_hex());
    card_format::cose::set_certificate(&c.cose, certificate, card_format::error::Object::Card)
        .map_err(|e| ApiError::Internal(format!("stored card does not parse: {e}")))
}

/// `GET /api/v1/cards/{serial}/qr` (registrar): the QR text, `text/plain`.
#[utoipa::path(
    get,
    path = "/api/v1/cards/{serial}/qr",
    summary = "Fetch a card's QR text",
    tag = "cards",
    security(("bearer" = [])),
    params(("serial" = String, Path, description = "Card serial, `XXXX-XXXX-XXXX-XXXX` (hyphens optional)")),
    responses(
        (status = 200, description = "The QR text (`LYOC1:` and Base45) to print",
            content_type = "text/plain", body = String),
        (status = 404, description = "No such card (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn qr(
    State(state): State<AppState>,
    caller: Caller,
    Path(serial): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(&[Role::Registrar])?;
    let c = load_audited(&state, &caller, &serial, "card.read").await?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        card_format::qr::encode(&c.cose),
    )
        .into_response())
}

/// A card's status, for insurers and pharmacies: no patient data.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CardStatus {
    /// Serial.
    pub serial: String,
    /// `valid`, `revoked`, `superseded` or `expired`.
    pub status: &'static str,
    /// Why it was revoked.
    pub revoked_reason: Option<String>,
    /// The card that replaced it.
    pub superseded_by: Option<String>,
    /// Unix seconds.
    pub expires_at: i64,
}

/// `GET /api/v1/cards/{serial}/status` (insurer, pharmacist, registrar).
#[utoipa::path(
    get,
    path = "/api/v1/cards/{serial}/status",
    summary = "Check a card's status",
    tag = "cards",
    security(("bearer" = [])),
    params(("serial" = String, Path, description = "Card serial, `XXXX-XXXX-XXXX-XXXX` (hyphens optional)")),
    responses(
        (status = 200, description = "Whether the card is valid; no patient data", body = CardStatus),
        (status = 404, description = "No such card (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn status(
    State(state): State<AppState>,
    caller: Caller,
    Path(serial): Path<String>,
) -> Result<AppJson<CardStatus>, ApiError> {
    caller.require(&[Role::Insurer, Role::Pharmacist, Role::Registrar])?;
    status_of(&state, &caller, &serial).await.map(AppJson)
}

/// A card's status (no patient data); the read is audited (`card.status`). The caller's role
/// is checked by the caller.
///
/// # Errors
/// [`ApiError::NotFound`], database errors.
pub async fn status_of(
    state: &AppState,
    caller: &Caller,
    serial: &str,
) -> Result<CardStatus, ApiError> {
    let c = load_audited(state, caller, serial, "card.status").await?;
    let now = state.clock.now();
    let status = match c.status.as_str() {
        "revoked" => "revoked",
        "superseded" => "superseded",
        _ if c.expires_at <= now => "expired",
        _ => "valid",
    };
    Ok(CardStatus {
        serial: display_serial(&c.serial),
        status,
        revoked_reason: c.revoked_reason,
        superseded_by: c.superseded_by.as_deref().map(display_serial),
        expires_at: c.expires_at,
    })
}

/// A revocation.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    /// `lost`, `stolen`, `deceased` or `error`.
    pub reason: String,
}

/// `POST /api/v1/cards/{serial}/revoke` (registrar).
#[utoipa::path(
    post,
    path = "/api/v1/cards/{serial}/revoke",
    summary = "Revoke a card",
    tag = "cards",
    security(("bearer" = [])),
    params(("serial" = String, Path, description = "Card serial, `XXXX-XXXX-XXXX-XXXX` (hyphens optional)")),
    request_body = Revocation,
    responses(
        (status = 200, description = "Revoked; the next trust bundle lists it", body = CardStatus),
        (status = 404, description = "No such card (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already revoked (`already_revoked`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(serial): Path<String>,
    AppJson(body): AppJson<Revocation>,
) -> Result<AppJson<CardStatus>, ApiError> {
    caller.require(&[Role::Registrar])?;
    revoke_card(&state, &caller, &serial, &body.reason)
        .await
        .map(AppJson)
}

/// Revokes a card (`lost`, `stolen`, `deceased` or `error`) and bumps the trust bundle, with
/// its audit entry (`card.revoke`). The caller's role is checked by the caller.
///
/// # Errors
/// [`ApiError::Validation`] for another reason, [`ApiError::NotFound`],
/// [`ApiError::Conflict`] (`already_revoked`), database errors.
pub async fn revoke_card(
    state: &AppState,
    caller: &Caller,
    serial: &str,
    reason: &str,
) -> Result<CardStatus, ApiError> {
    if !["lost", "stolen", "deceased", "error"].contains(&reason) {
        return Err(ApiError::invalid(
            "reason",
            "lost, stolen, deceased or error",
        ));
    }
    let c = load(state, serial).await?;
    let now = state.clock.now();
    let mut tx = state.db.pool.begin().await?;
    if !db::cards::revoke(&mut tx, &c.serial, reason, now).await? {
        return Err(ApiError::conflict(
            "already_revoked",
            "the card is already revoked",
        ));
    }
    db::trust::bump_sequence(&mut tx, now).await?;
    db::audit::append(
        &mut tx,
        now,
        &actor(caller),
        "card.revoke",
        "card",
        &c.serial,
    )
    .await?;
    tx.commit().await?;
    Ok(CardStatus {
        serial: display_serial(&c.serial),
        status: "revoked",
        revoked_reason: Some(reason.to_string()),
        superseded_by: c.superseded_by.as_deref().map(display_serial),
        expires_at: c.expires_at,
    })
}
